"""What a CryptoPayment.center merchant would write, independently of the sandbox's own code:
the documented webhook signature, address checksum checks, and a thin HTTP helper.

Nothing here imports mockserver: signatures and checksums are computed from the published
formulas (BIP-173 bech32, Base58Check) so a bug in the sandbox's helpers cannot hide itself.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

API = "/cryptopayment/api/v1"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cryptopayment"
CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "cryptopayment"


def expected_signature(app_key_b64: str, invoice_id: str, event: str) -> str:
    """hex(HMAC-SHA256(key=base64decode(APP_KEY), msg=invoice_id + "." + event)), as documented."""
    key = base64.b64decode(app_key_b64)
    return hmac.new(key, f"{invoice_id}.{event}".encode(), hashlib.sha256).hexdigest()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def dec(value) -> Decimal:
    return Decimal(str(value))


# --- bech32 (BIP-173 reference algorithm, written out from the spec) ---------------------------
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def bech32_decode(address: str) -> tuple[str, list[int]] | None:
    """(hrp, data without checksum) if the bech32 checksum holds, else None."""
    if address.lower() != address or "1" not in address:
        return None
    hrp, _, rest = address.rpartition("1")
    if not hrp or len(rest) < 6 or any(c not in _CHARSET for c in rest):
        return None
    data = [_CHARSET.index(c) for c in rest]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _polymod(expanded + data) != 1:
        return None
    return hrp, data[:-6]


def witness_program(data: list[int]) -> tuple[int, bytes]:
    version, acc, bits, out = data[0], 0, 0, []
    for value in data[1:]:
        acc = (acc << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return version, bytes(out)


# --- Base58Check ---------------------------------------------------------------------------------
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check_decode(address: str) -> bytes | None:
    """version+payload if the double-SHA256 checksum holds, else None."""
    num = 0
    for char in address:
        if char not in _B58:
            return None
        num = num * 58 + _B58.index(char)
    raw = num.to_bytes((num.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(address) - len(address.lstrip("1"))) + raw
    body, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] != checksum:
        return None
    return body


class CP:
    """A merchant's client and the tester's admin hands, over real HTTP against the app."""

    def __init__(self, client, merchant: dict):
        self.client = client
        self.merchant = merchant
        self.auth = {"Authorization": f"Bearer {merchant['api_key']}:{merchant['api_secret']}"}

    async def call(self, method: str, path: str, *, json_body=None, data=None, headers=None,
                   expect: int | None = None):
        hdrs = dict(self.auth if headers is None else headers)
        resp = await self.client.request(method, API + path, json=json_body, data=data, headers=hdrs)
        text = await resp.text()
        if expect is not None:
            assert resp.status == expect, (resp.status, text)
        return resp, text

    async def create(self, network: str = "trc20", amount_usd=50, **extra) -> dict:
        resp, text = await self.call("POST", "/invoices",
                                     json_body={"network": network, "amount_usd": amount_usd, **extra},
                                     expect=201)
        return json.loads(text)["invoice"]

    async def invoice(self, invoice_id: str) -> dict:
        _, text = await self.call("GET", f"/invoices/{invoice_id}", expect=200)
        return json.loads(text)["invoice"]

    async def balances(self) -> dict:
        _, text = await self.call("GET", "/balances", expect=200)
        return json.loads(text)["balances"]

    async def withdraw(self, coin: str, amount, address: str, expect: int = 201):
        resp, text = await self.call("POST", "/withdrawals",
                                     json_body={"coin": coin, "amount": amount, "address": address},
                                     expect=expect)
        return json.loads(text)

    async def withdrawal(self, withdrawal_id: str) -> dict:
        _, text = await self.call("GET", f"/withdrawals/{withdrawal_id}", expect=200)
        return json.loads(text)["withdrawal"]

    # admin hands ------------------------------------------------------------------------------
    async def admin(self, method: str, path: str, body=None, expect: int = 200):
        resp = await self.client.request(method, "/_sandbox" + path, json=body)
        out = await resp.json()
        assert resp.status == expect, (resp.status, out)
        return out

    async def simulate(self, action: str, expect: int = 200, **params):
        return await self.admin("POST", f"/simulate/cryptopayment/{action}", params, expect=expect)

    async def pay(self, invoice_id: str, amount=None, **params) -> dict:
        if amount is not None:
            params["amount"] = amount
        return await self.simulate("pay", invoice=invoice_id, **params)

    async def advance(self, by: str) -> dict:
        return await self.admin("POST", "/clock/advance", {"by": by})

    async def run(self) -> dict:
        return await self.admin("POST", "/clock/run", {})

    async def now(self) -> datetime:
        return instant((await self.admin("GET", "/clock"))["now"])

    async def set_merchant(self, **settings) -> dict:
        return await self.admin("PATCH", "/providers/cryptopayment/merchant", settings)

    async def deliveries(self, **query) -> list[dict]:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        return await self.admin("GET", "/deliveries" + (f"?{qs}" if qs else ""))

    async def delivery(self, delivery_id: str) -> dict:
        return await self.admin("GET", f"/deliveries/{delivery_id}")
