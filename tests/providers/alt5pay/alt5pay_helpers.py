"""ALT 5 Pay test helpers: signatures computed here from the published formula, never by the server.

The HMAC is written out the way CryptoJS computes it (SHA-512, 128-byte blocks, ipad/opad), and
the bodyString the way the docs and the public clients build it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess

# The sandbox's default merchants, as the docs/banner publish them (literal copies on purpose).
M1 = {"apikey": "1238d6999a60383a1d641db885decbc1fe8e9953",
      "secret": "5f5eee0a43c72a165c5eef6a37155e6ce581ed31b70037d03239bc0dd84330ed",
      "merchant_id": "62456d5a-b18d-8820-01a8-63cba95fca3d"}
M2 = {"apikey": "6b6e5c22b2d6c0aca0b3fc686a08ec47bd88bfad",
      "secret": "7aa665dde30b57ddf44e348caeef0cb0f488de2924f7ea54c513ade9ab64c0ac",
      "merchant_id": "72386623-c0f0-1f46-559a-7014e4c2bf01"}
NODE = shutil.which("node")


def cryptojs_hmac_sha512_hex(key: str, message: str | bytes) -> str:
    """CryptoJS.enc.Hex.stringify(CryptoJS.HmacSHA512(message, key)), by the RFC 2104 recipe."""
    block = 128
    k = key.encode("utf-8")
    if len(k) > block:
        k = hashlib.sha512(k).digest()
    k = k.ljust(block, b"\0")
    msg = message.encode("utf-8") if isinstance(message, str) else message
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in k) + msg).digest()
    return hashlib.sha512(bytes(b ^ 0x5C for b in k) + inner).hexdigest()


def authentication(merchant: dict, body_string: str) -> str:
    """btoa(apikey + ':' + hmacDigest)."""
    token = merchant["apikey"] + ":" + cryptojs_hmac_sha512_hex(merchant["secret"], body_string)
    return base64.b64encode(token.encode()).decode()


def js_value(value) -> str:
    """`${v}` in a Node client's bodyString (objects via JSON.stringify)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def node_body_string(body: dict) -> str:
    return "&".join(f"{k}={js_value(v)}" for k, v in body.items())


def headers_for(merchant: dict, body_string: str, **override) -> dict:
    out = {"apikey": merchant["apikey"], "merchant_id": merchant["merchant_id"],
           "authentication": authentication(merchant, body_string), "Content-Type": "application/json"}
    out.update(override)
    return out


class Signer:
    """Signs as a Node client does: JSON.stringify(body) sent, its keys signed in order."""

    def __init__(self, world):
        self.world = world
        self.nonce = 1000

    def stamp(self, body: dict) -> dict:
        body = dict(body)
        body.setdefault("timestamp", int(self.world.clock.wall_now().timestamp()))
        self.nonce += 1
        body.setdefault("nonce", self.nonce)
        return body

    def request(self, body: dict, merchant: dict = M1) -> tuple[dict, bytes]:
        body = self.stamp(body)
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return headers_for(merchant, node_body_string(body)), raw


def node_eval(script: str, stdin: bytes = b"") -> str:
    return subprocess.run([NODE, "-e", script], input=stdin, capture_output=True, check=True,
                          timeout=20).stdout.decode()
