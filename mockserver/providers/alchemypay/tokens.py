"""Login-free user tokens: ``POST /open/api/v4/merchant/getToken`` and the ``access-token`` header.

Documented [D] ("Get Token"): body ``{"email": ...}`` or ``{"uid": ...}`` (the user's real email, or
the merchant's user id); answer ``data {id, accessToken, email}``; "The accessToken is valid for
10 days". Create Order (``trade/create``) lists ``access-token`` as a mandatory header [D].

Assumptions:
- [A] One token per (appId, user): asking again while it is valid answers the same token; once it
  has expired (10 days on the virtual clock) a new one is issued.
- [A] ``id`` and ``email`` in the answer are opaque strings (the docs' sample shows encrypted
  values): base64 of a digest of the user, the same for the same user every time.
- [A] The token's shape follows the docs' sample: ``ACH<10 digits>@ACH@<id>@PAY@<email>@IO@<random>``.
- [A] The order created with a token belongs to the token's user: its ``email`` is the token's
  email (a uid token gets a made-up email).
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_LIFETIME = timedelta(days=10)   # [D]


@dataclass
class AccessToken:
    token: str
    app_id: str
    email: str
    uid: str
    user_id: str        # the opaque "id" of the answer
    email_id: str       # the opaque "email" of the answer
    issued_at: datetime
    expires_at: datetime

    def answer(self) -> dict[str, str]:
        return {"id": self.user_id, "accessToken": self.token, "email": self.email_id}


def _opaque(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).digest()[:16]
    return base64.b64encode(digest).decode()


class TokenBook:
    """The tokens issued in one World."""

    def __init__(self, world):
        self.world = world
        self.by_token: dict[str, AccessToken] = {}
        self.by_user: dict[tuple[str, str, str], AccessToken] = {}

    def issue(self, app_id: str, *, email: str = "", uid: str = "") -> AccessToken:
        now = self.world.clock.now()
        key = (app_id, email.lower(), uid)
        current = self.by_user.get(key)
        if current is not None and now < current.expires_at:
            return current
        user_id = _opaque("user", app_id, email.lower(), uid)
        email_id = _opaque("email", email.lower() or uid)
        rng = self.world.rng
        tail = base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode()
        token = f"ACH{rng.randrange(10**9, 10**10)}@ACH@{user_id}@PAY@{email_id}@IO@{tail}"
        issued = AccessToken(token=token, app_id=app_id, email=email, uid=uid, user_id=user_id,
                             email_id=email_id, issued_at=now, expires_at=now + TOKEN_LIFETIME)
        self.by_token[token] = issued
        self.by_user[key] = issued
        return issued

    def valid(self, app_id: str, token: str) -> AccessToken | None:
        """The token if it was issued to this appId and has not expired, else None."""
        found = self.by_token.get(token)
        if found is None or found.app_id != app_id or self.world.clock.now() >= found.expires_at:
            return None
        return found
