"""Why a credential or a signature was refused, for the person debugging their client.

A provider answers a bad signature with its own terse error (`sign error`, `Invalid X-HMAC
signature`). The sandbox adds, in the `X-Sandbox-Reason` header of that answer and in its journal
entry (the provider middleware copies the header there; the dashboard's journal shows it): the
formula, the exact string the sandbox signed (shortened, with its byte length and the start of its
SHA-256, so a client can compare its own), and what part differed when the sandbox can tell
(timestamp window, body bytes, key order, path with or without query, encoding). Never a secret:
callers pass only what the client sent or could compute without the key.
"""
from __future__ import annotations

import hashlib
import json

from ..basics.errors import SandboxError

REASON_HEADER = "X-Sandbox-Reason"
SHOWN_CHARS = 400          # of a signed string; its length and hash say the rest
MAX_REASON = 1800          # a header line, whatever was signed


def signed(text: str | bytes) -> str:
    """A signed string as a header can carry it: JSON-quoted (escapes visible), shortened, with its
    byte length and the first 16 hex of its SHA-256."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    shown = json.dumps(data.decode("utf-8", "replace"))
    if len(shown) > SHOWN_CHARS:
        shown = shown[:SHOWN_CHARS] + '..."'
    return f"{shown} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]})"


def reason(what: str, *, formula: str | None = None, signed_text: str | bytes | None = None,
           differed: str | None = None) -> str:
    """One header line: what was refused; the formula; the string signed; the part that differed."""
    parts = [what]
    if formula:
        parts.append(f"formula: {formula}")
    if signed_text is not None:
        parts.append(f"the sandbox signed {signed(signed_text)}")
    if differed:
        parts.append(f"differed: {differed}")
    line = "; ".join(parts)
    line = line.encode("ascii", "backslashreplace").decode("ascii").replace("\r", " ").replace("\n", " ")
    return line if len(line) <= MAX_REASON else line[:MAX_REASON] + "..."


def explained(err: SandboxError, why: str) -> SandboxError:
    """`err` carrying `why` in the reason header (and so in the journal)."""
    err.headers[REASON_HEADER] = why
    return err
