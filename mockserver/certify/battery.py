"""The checks: each sends the handler one delivery (or two) and judges the answer by the verdict a
production-safe handler gives.

Order matters and is fixed: the forgeries first (the handler has seen nothing genuine yet, so a
forgery that is acted on shows in its state), then the later event, the earlier one after it, and
the duplicates and re-serialised copies, each compared with the merchant's view before it. The
merchant's view is what `--state-url` answers for the object; what the handler asked the provider
(its API calls, from the sandbox's journal) is shown and judged as well: a duplicate must not
cause a second write.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from .copies import Copy
from .objects import Target

EXCERPT = 60


@dataclass
class Answer:
    status: int | None
    body: bytes = b""
    ms: float = 0.0
    error: str | None = None

    def text(self) -> str:
        if self.status is None:
            return self.error or "no answer"
        body = self.body.decode("utf-8", "replace").strip().replace("\n", " ")
        shown = f" {body[:EXCERPT]!r}" + ("..." if len(body) > EXCERPT else "") if body else " (empty body)"
        return f"{self.status}{shown} in {self.ms:.0f} ms"


@dataclass
class Result:
    name: str
    ok: bool
    sent: str
    got: str
    expected: str
    why: str
    object: str = ""
    problem: str = ""


class Bench:
    """What every check needs: the handler, the provider's facts, the merchant, the sandbox."""

    def __init__(self, *, client, provider, merchant: dict, handler_url: str, state_url: str | None):
        self.client, self.provider, self.facts = client, provider, provider.certification
        self.merchant, self.handler_url, self.state_url = merchant, handler_url, state_url
        self.timeout = float(merchant.get("webhook_timeout") or 10)
        self.verifying = {**merchant, "webhook_url": handler_url}   # a signature may cover its path
        self.listed, self.unlisted = self.facts.sources(merchant) if self.facts.sources else ((None, {}), None)
        self._sessions: dict[str | None, aiohttp.ClientSession] = {}

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()

    def _session(self, source: str | None) -> aiohttp.ClientSession:
        if source not in self._sessions:
            connector = aiohttp.TCPConnector(force_close=True, local_addr=(source, 0) if source else None)
            self._sessions[source] = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._sessions[source]

    async def post(self, copy: Copy) -> Answer:
        source, extra = (copy.source, {}) if copy.source else self.listed
        headers = {**copy.headers, **extra}
        started = time.perf_counter()
        try:
            async with self._session(source).post(URL(self.handler_url, encoded=True), data=copy.body,
                                                  headers=headers, allow_redirects=False,
                                                  timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                body = await resp.content.read(2048)
                return Answer(resp.status, body, (time.perf_counter() - started) * 1000)
        except asyncio.TimeoutError:
            return Answer(None, error=f"no answer within {self.timeout:g}s (the provider's timeout)")
        except (aiohttp.ClientError, OSError) as exc:
            return Answer(None, error=f"{type(exc).__name__}: {exc}")

    def acknowledged(self, answer: Answer) -> bool:
        return answer.status is not None and self.facts.ack(answer.status, answer.body)

    async def view(self, target: Target) -> tuple[bool, Any]:
        """(read, the merchant's view of the object): what --state-url answers, or (False, why)."""
        if not self.state_url:
            return False, "no --state-url"
        url = self.state_url.replace("{id}", target.id).replace("{reference}", target.reference or target.id)
        try:
            session = self._session(None)
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    return False, f"--state-url answered {resp.status}"
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError) as exc:
            return False, f"--state-url: {type(exc).__name__}: {exc}"
        try:
            return True, json.loads(raw)
        except ValueError:
            return True, raw.decode("utf-8", "replace")

    async def mark(self) -> int:
        latest = (await self.client.admin("GET", "/journal", query={"limit": 1})).json()
        return latest[-1]["seq"] if latest else 0

    async def api_calls(self, since: int) -> list[dict]:
        """The provider API calls made since `since` (the handler's, while it handled a delivery)."""
        entries = (await self.client.admin("GET", "/journal", query={"kind": "api", "since": since,
                                                                      "provider": self.provider.name})).json()
        return [e for e in entries if e.get("seq", 0) > since]

    def valid(self, copy: Copy) -> bool:
        return bool(self.provider.verify_webhook(self.verifying, copy.headers, copy.body))


def status_fields(view: Any, path: str = "") -> dict[str, Any]:
    """The parts of a merchant's view that say where the order stands (keys named like status,
    state, paid): what a stale event must never move."""
    out: dict[str, Any] = {}
    if isinstance(view, dict):
        for key, value in view.items():
            where = f"{path}.{key}" if path else str(key)
            name = str(key).lower()
            if any(word in name for word in ("status", "state")) or name in ("paid", "is_paid", "fulfilled"):
                out[where] = value
            elif isinstance(value, (dict, list)):
                out.update(status_fields(value, where))
    elif isinstance(view, list):
        for index, value in enumerate(view):
            out.update(status_fields(value, f"{path}[{index}]"))
    return out


def _calls(entries: list[dict]) -> str:
    return ", ".join(f"{e.get('method')} {e.get('path')} {e.get('status')}" for e in entries) or "none"


def _writes(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e.get("method") not in ("GET", "HEAD", "OPTIONS")]


WHY = {
    "refuses-tampered-copy": "a forger keeps a real signature and changes what the notice claims: "
                             "accepted, it marks an unpaid order paid",
    "refuses-bad-signature": "anyone can POST to your webhook URL; only the signature says the provider sent it",
    "refuses-missing-signature": "a delivery without a signature is the cheapest forgery there is",
    "refuses-another-merchants-key": "a signature made with another account's key is valid, but not for you",
    "refuses-stale-timestamp": "the send time is signed so that a recorded delivery cannot be replayed later",
    "refuses-unlisted-source": "this provider authenticates callbacks by their source address: "
                               "only its published addresses send them",
    "acknowledges-genuine": "the provider resends anything it does not take as an acknowledgement: {rule}, "
                            "within {timeout:g}s",
    "never-moves-backwards": "deliveries are not ordered: an earlier event can arrive after a later one "
                             "and must not move the order back",
    "once-on-retry": "a provider resends after a lost or slow answer: the second copy must not act again",
    "once-on-two-at-once": "copies can arrive at the same moment (a retry racing the original): one effect",
    "same-with-keys-reordered": "key order is not part of a JSON message: verify the bytes received, "
                                "never a re-encoding of them",
    "same-with-unknown-fields": "providers add fields over time: a parser that refuses them stops "
                                "acknowledging overnight",
    "acknowledges-unknown-object": "{unknown}",
}
