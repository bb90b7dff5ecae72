"""The webhook outbox: an event becomes a delivery; a delivery becomes attempts on the provider's
retry schedule, on the World's clock.

A waiting retry is one scheduler entry, nothing more. An attempt's timeout is real time (the
receiver is real), so a "receiver times out" story costs only the configured timeout.
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

import aiohttp

from ..time.scheduler import Scheduler
from . import sender
from .targets import inbox_target, resolve_target, unusable_url

if TYPE_CHECKING:   # the World hands the outbox its journal; the state room sits above this one
    from ..state.journal import Journal

AckRule = Callable[[int, bytes], bool]
# Signs an attempt at send time: (body, attempt time) -> extra headers. Most providers sign once,
# at enqueue; this hook is for those whose signature covers a per-attempt timestamp.
Signer = Callable[[bytes, datetime], dict]

EXCERPT_BYTES = sender.EXCERPT_BYTES
_timeout = getattr(asyncio, "timeout", None)   # 3.11+: no extra task per attempt, as wait_for has


def ack_http_200(status: int, body: bytes) -> bool:
    return status == 200


def ack_any_2xx(status: int, body: bytes) -> bool:
    return 200 <= status < 300


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again after a failed attempt.

    delays         - after failed attempt k (1-based), wait delays[k-1]; no delay left -> exhausted
    measured_from  - "previous": each delay counts from the previous attempt;
                     "first": each delay is an offset from the first attempt
    give_up_after  - no attempt is made later than first attempt + this
    stop_after     - no attempt is scheduled after a failure that came this long or longer after
                     the first attempt ("stops re-posting once N minutes have passed")
    """
    delays: tuple[timedelta, ...] = ()
    measured_from: str = "previous"
    give_up_after: timedelta | None = None
    stop_after: timedelta | None = None

    @classmethod
    def minutes(cls, *minutes: float, **kw: Any) -> "RetryPolicy":
        return cls(tuple(timedelta(minutes=m) for m in minutes), **kw)

    def next_attempt_at(self, failed_attempts: int, first_at: datetime, last_at: datetime) -> datetime | None:
        if failed_attempts > len(self.delays):
            return None
        if self.stop_after is not None and last_at - first_at >= self.stop_after:
            return None
        delay = self.delays[failed_attempts - 1]
        at = (first_at if self.measured_from == "first" else last_at) + delay
        if self.give_up_after is not None and at > first_at + self.give_up_after:
            return None
        return at

    @functools.cached_property
    def max_attempts(self) -> int:
        """How many attempts the schedule allows when every one fails, its stop rules included
        (ALT 5 Pay's stop rule ends at 11 of the 12 its delays would give)."""
        first = last = datetime(2000, 1, 1, tzinfo=timezone.utc)
        count = 1
        while (nxt := self.next_attempt_at(count, first, last)) is not None:
            count, last = count + 1, nxt
        return count


@dataclass
class Attempt:
    number: int
    at: datetime
    status: int | None = None
    error: str | None = None
    latency_ms: float = 0.0
    response_excerpt: str = ""
    acknowledged: bool = False
    manual: bool = False

    def to_dict(self) -> dict:
        return {"number": self.number, "at": self.at.isoformat(), "status": self.status,
                "error": self.error, "latency_ms": round(self.latency_ms, 2),
                "response_excerpt": self.response_excerpt, "acknowledged": self.acknowledged,
                "manual": self.manual}


@dataclass
class Delivery:
    id: str
    provider: str
    event: str
    url: str | None
    body: bytes
    headers: dict[str, str]
    policy: RetryPolicy
    ack: AckRule
    created_at: datetime
    ref: str | None = None
    merchant: str | None = None
    timeout: float = 10.0
    signer: Signer | None = None
    # the local address the POST leaves from (None: the OS picks), or one per address family
    source_address: str | tuple[str, ...] | None = None
    status: str = "pending"            # pending | delivered | exhausted | failed (never attemptable)
    reason: str | None = None          # why a delivery failed without being attemptable
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: datetime | None = None
    posts: int = 0                     # POSTs started so far: a durable store keys outcomes by it

    def to_dict(self, with_body: bool = True) -> dict:
        out = {"id": self.id, "provider": self.provider, "event": self.event, "ref": self.ref,
               "merchant": self.merchant, "url": self.url, "status": self.status,
               "reason": self.reason, "created_at": self.created_at.isoformat(),
               "attempt_count": len(self.attempts),
               "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
               "max_attempts": self.policy.max_attempts,
               "attempts": [a.to_dict() for a in self.attempts]}
        if with_body:
            out["headers"] = dict(self.headers)
            out["body"] = self.body.decode("utf-8", "replace")
        return out


class Slots:
    """At most `size` exchanges at once, first come first served. asyncio.Semaphore scans its
    waiters on every release; with 10,000 attempts due at one instant that scan was most of the
    cost of a wave, so a freed slot is handed straight to the oldest waiter here: O(1) each way."""

    def __init__(self, size: int):
        self.free = size
        self._waiting: deque[asyncio.Future] = deque()

    async def __aenter__(self) -> None:
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return
        slot = asyncio.get_running_loop().create_future()
        self._waiting.append(slot)
        try:
            await slot
        except asyncio.CancelledError:
            if slot.done() and not slot.cancelled():
                self._release()          # handed a slot in the same instant it was cancelled
            elif slot in self._waiting:  # rare (a cancelled wait): O(n) is fine here
                self._waiting.remove(slot)
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiting:
            slot = self._waiting.popleft()
            if not slot.done():
                slot.set_result(None)    # the slot passes on: `free` stays as it is
                return
        self.free += 1


class Outbox:
    """Deliveries and their attempts.

    An attempt is a scheduler event; its HTTP exchange runs beside the scheduler's driver
    (`Scheduler.spawn`) and holds the clock only before its own next retry time, so a slow
    receiver never stops the clock for other deliveries, and no lock is held across network I/O.
    Attempts about one object (same provider, ref and URL) reach the receiver in the order they
    were due: each waits for the previous one's exchange to end, as a provider sending
    sequentially would. An attempt's timeout measures the exchange with the receiver only: the
    wait for a free connection slot and for the object's previous attempt are not counted.
    """

    MAX_CONCURRENT_EXCHANGES = 256   # open sockets at once; beyond that attempts wait (uncounted)

    def __init__(self, scheduler: Scheduler, journal: Journal, *, allow_external: bool = False,
                 retention: int = 10_000, own_origin: Callable[[], str | None] = lambda: None):
        self.scheduler = scheduler
        self.own_origin = own_origin     # where this sandbox is served, for `inbox:NAME` targets
        self.journal = journal
        self.allow_external = allow_external
        self.retention = retention
        self._deliveries: dict[str, Delivery] = {}
        self._finished: deque[str] = deque()
        self._ids = itertools.count(1)
        self._sessions: dict[str | None, aiohttp.ClientSession] = {}
        self._slots: Slots | None = None   # made on first use: MAX_CONCURRENT_EXCHANGES as then set
        self._last_exchange: dict[tuple, asyncio.Task] = {}
        # (delivery, index, at, post) -> (status, error, body, latency_ms): a durable World's
        # store records each answer, and answers from the record while replaying (core/state/durability.py)
        self.outcomes: Callable | None = None

    @property
    def clock(self):
        return self.scheduler.clock

    async def session(self, source_address: str | tuple[str, ...] | None = None) -> aiohttp.ClientSession:
        """One connection pool per source address: a provider that calls from published IPs
        (receivers allow-list them) sends from a chosen local address; on Linux all of
        127.0.0.0/8 is local, so 127.0.0.2 can stand in for a provider's address."""
        session = self._sessions.get(source_address)
        if session is None or session.closed:
            first = source_address[0] if isinstance(source_address, tuple) else source_address
            local_addr = (first, 0) if first else None   # https:// (external): the first family's
            # No pool limit (the semaphore bounds sockets, outside the timed exchange); no
            # proxies from the environment: deliveries go straight to the receiver.
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, force_close=True, local_addr=local_addr),
                trust_env=False)
            self._sessions[source_address] = session
        return session

    def adopt_sessions(self, previous: "Outbox") -> None:
        """Keep the connection pools across a reset."""
        self._sessions = previous._sessions

    async def close(self) -> None:
        for session in self._sessions.values():
            if not session.closed:
                await session.close()

    def enqueue(self, *, provider: str, event: str, url: str | None, body: bytes,
                headers: dict[str, str] | None = None, policy: RetryPolicy = RetryPolicy(),
                ack: AckRule = ack_http_200, ref: str | None = None, merchant: str | None = None,
                timeout: float = 10.0, signer: Signer | None = None,
                source_address: str | tuple[str, ...] | None = None) -> Delivery:
        now = self.clock.now()
        delivery = Delivery(
            id=f"dlv_{next(self._ids):06d}", provider=provider, event=event, url=url, body=body,
            headers={"Content-Type": "application/json", **(headers or {})}, policy=policy, ack=ack,
            created_at=now, ref=ref, merchant=merchant, timeout=timeout, signer=signer,
            source_address=source_address)
        self._deliveries[delivery.id] = delivery
        self.journal.record("webhook.enqueued", provider, delivery=delivery.id, event=event, ref=ref)
        reason = unusable_url(url, self.allow_external)
        if reason is None:
            origin = self.own_origin()
            if inbox_target(url) and origin is None:
                reason = f"{url}: this sandbox's own address is not known yet (learnt from its first request)"
            # deliveries and the journal show the real URL; the inbox learns whose delivery it is
            delivery.url = resolve_target(url, origin, provider)
        if reason is not None:
            # Nothing can ever be sent: say so now, once, instead of retrying a hopeless schedule.
            self._record(delivery, Attempt(number=1, at=now, error=reason), body=b"")
            self._close(delivery, "failed", reason)
            return delivery
        self._schedule(delivery, now)
        return delivery

    def _schedule(self, delivery: Delivery, at: datetime, manual: bool = False) -> None:
        if not manual:
            delivery.next_attempt_at = at
        self.scheduler.schedule(at, lambda: self._attempt(delivery, manual),
                                label=f"webhook {delivery.id} {delivery.event}")

    def get(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    def list(self, *, provider: str | None = None, status: str | None = None, event: str | None = None,
             ref: str | None = None) -> list[Delivery]:
        return [d for d in self._deliveries.values()
                if (provider is None or d.provider == provider)
                and (status is None or d.status == status)
                and (event is None or d.event == event)
                and (ref is None or d.ref == ref)]

    def redeliver(self, delivery: Delivery) -> None:
        """One extra attempt now, outside the schedule (what a provider's 'resend' button does)."""
        self._schedule(delivery, self.clock.now(), manual=True)

    # -- one attempt --------------------------------------------------------------------------
    def _attempt(self, delivery: Delivery, manual: bool = False) -> None:
        """The scheduler event: start the exchange beside the driver."""
        if delivery.status != "pending" and not manual:
            return
        at = self.clock.now()
        until = None
        if not manual:
            scheduled = [a for a in delivery.attempts if not a.manual]
            first = scheduled[0].at if scheduled else at
            until = delivery.policy.next_attempt_at(len(scheduled) + 1, first, at)
        key = (delivery.provider, delivery.ref or delivery.id, delivery.url)
        previous = self._last_exchange.get(key)
        index, delivery.posts = delivery.posts, delivery.posts + 1   # numbered in schedule order
        # journaled when the answer comes, placed in the export where the attempt began
        placed = self.journal.mark()
        task = self.scheduler.spawn(self._exchange(delivery, at, manual, previous, index, placed), until=until,
                                    label=f"webhook {delivery.id} {delivery.event}")
        self._last_exchange[key] = task
        task.add_done_callback(lambda t, key=key: self._last_exchange.pop(key, None)
                               if self._last_exchange.get(key) is t else None)

    async def _exchange(self, delivery: Delivery, at: datetime, manual: bool,
                        previous: asyncio.Task | None, index: int = 0, placed: list | None = None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])       # causal order per object; not timed
        if self._slots is None:
            self._slots = Slots(self.MAX_CONCURRENT_EXCHANGES)
        async with self._slots:                  # waiting for a socket is not timed either
            started = time.perf_counter()
            latency = None
            try:
                if self.outcomes is None:
                    status, error, body = await self._post(delivery, at)
                else:
                    status, error, body, latency = await self.outcomes(delivery, index, at, self._post)
            except Exception as exc:             # a signer or URL surprise: a failed attempt, not a lost one
                status, error, body = None, f"{type(exc).__name__}: {exc}", b""
            if latency is None:
                latency = (time.perf_counter() - started) * 1000
        attempt = Attempt(number=len(delivery.attempts) + 1, at=at, status=status, error=error,
                          latency_ms=latency, manual=manual,
                          response_excerpt=body.decode("utf-8", "replace")[:512])
        attempt.acknowledged = status is not None and delivery.ack(status, body)
        nxt = None
        if not attempt.acknowledged and not manual:
            scheduled = [a for a in delivery.attempts if not a.manual] + [attempt]
            nxt = delivery.policy.next_attempt_at(len(scheduled), scheduled[0].at, at)
        self._record(delivery, attempt, body, retry_at=nxt, placed=placed)
        if attempt.acknowledged:
            self._close(delivery, "delivered")
            return
        if manual:
            return
        if nxt is None:
            self._close(delivery, "exhausted")
            self.journal.record("webhook.exhausted", delivery.provider, placed=placed, at=at.isoformat(),
                                delivery=delivery.id, event=delivery.event, ref=delivery.ref,
                                attempts=len(delivery.attempts))
        else:
            self._schedule(delivery, nxt)

    def _record(self, delivery: Delivery, attempt: Attempt, body: bytes,
                retry_at: datetime | None = None, placed: list | None = None) -> None:
        delivery.attempts.append(attempt)
        self.journal.record(
            # stamped with the attempt's own instant, not the clock when its answer came back
            # (the clock may have moved on meanwhile): the same on every run and on a replay
            "webhook.attempt", delivery.provider, placed=placed, at=attempt.at.isoformat(), delivery=delivery.id,
            event=delivery.event,
            ref=delivery.ref, attempt=attempt.number, status=attempt.status, error=attempt.error,
            acknowledged=attempt.acknowledged, manual=attempt.manual or None,
            path=_path_of(delivery.url), latency_ms=round(attempt.latency_ms, 2),
            retry_at=retry_at.isoformat() if retry_at else None)

    def _close(self, delivery: Delivery, status: str, reason: str | None = None) -> None:
        first_close = delivery.status == "pending"
        delivery.status, delivery.next_attempt_at = status, None
        if reason is not None:
            delivery.reason = reason
        if first_close:
            self._finished.append(delivery.id)
            # Retention: finished deliveries beyond the cap go, oldest first; pending ones never.
            while len(self._finished) > self.retention:
                self._deliveries.pop(self._finished.popleft(), None)

    async def _post(self, delivery: Delivery, at: datetime) -> tuple[int | None, str | None, bytes]:
        headers = dict(delivery.headers)
        if delivery.signer:
            headers.update(delivery.signer(delivery.body, at))
        if delivery.url.startswith("http://"):
            return await self._post_plain(delivery, headers)
        session = await self.session(delivery.source_address)
        try:
            timeout = aiohttp.ClientTimeout(total=delivery.timeout)
            async with session.post(delivery.url, data=delivery.body, headers=headers,
                                    timeout=timeout, allow_redirects=False) as resp:
                excerpt = await resp.content.read(EXCERPT_BYTES)
                return resp.status, None, excerpt
        except asyncio.TimeoutError:
            return None, "timeout", b""
        except aiohttp.ServerDisconnectedError:
            return None, "connection reset", b""
        except aiohttp.ClientConnectorError as exc:
            return None, f"connection refused: {exc.os_error or exc}", b""
        except aiohttp.ClientResponseError as exc:
            return None, f"invalid response: {exc.message}", b""
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}", b""

    @staticmethod
    async def _post_plain(delivery: Delivery, headers: dict[str, str]) -> tuple[int | None, str | None, bytes]:
        """http:// (every loopback receiver): core/webhooks/sender.py, the same words for the same failures."""
        exchange = sender.post(delivery.url, delivery.body, headers, source_address=delivery.source_address)
        try:
            if _timeout is not None:
                async with _timeout(delivery.timeout):
                    status, excerpt = await exchange
            else:   # Python 3.10
                status, excerpt = await asyncio.wait_for(exchange, delivery.timeout)
            return status, None, excerpt
        except asyncio.TimeoutError:
            return None, "timeout", b""
        except sender.ConnectFailed as exc:
            return None, f"connection refused: {exc}", b""
        except sender.Disconnected:           # a reset arrives as one too (connection_lost)
            return None, "connection reset", b""
        except sender.InvalidAnswer as exc:
            return None, f"invalid response: {exc}", b""
        except (OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}", b""


def _path_of(url: Any) -> str | None:
    try:
        return urlsplit(url).path if isinstance(url, str) and url else None
    except ValueError:
        return None
