"""HTTP access to a sandbox: its admin API and a provider's API, the only ways the runner drives it.

In-process and `--server URL` runs use this same client; only the base URL differs.
BlockingClient sends the same requests over the standard library's http.client, for the CLI's
verbs that need only a running sandbox's admin API (`advance`, `record`, the `deliveries`
listing): aiohttp and asyncio are most of such a verb's start (~0.3 s of ~0.4 s), and this
module loads aiohttp only where SandboxClient sends a request.
"""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:   # imported where a request is sent: the CLI's verbs send theirs without it
    import aiohttp

ADMIN = "/_sandbox"


def _not_a_url() -> tuple[type[Exception], ...]:
    """What aiohttp raises for "localhost:8080" (no scheme): NonHttpUrlClientError since 3.10."""
    import aiohttp
    return (aiohttp.InvalidURL, getattr(aiohttp, "NonHttpUrlClientError", aiohttp.InvalidURL))


class SandboxUnavailable(Exception):
    """The sandbox could not be reached or answered the admin API with an error."""


class SandboxUnreachable(SandboxUnavailable):
    """Nothing answers at `origin` (refused, unknown host, not an http:// URL): `reason` says which."""

    def __init__(self, origin: str, reason: str):
        super().__init__(f"nothing answers at {origin} ({reason})")
        self.origin, self.reason = origin, reason


def _origin(url: str) -> str:
    """scheme://host:port of `url`, or `url` itself when it has neither."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url


def _http_target(url: str) -> tuple[str, str, int | None]:
    """The scheme, host and port of an http(s) URL; anything else (no scheme, no host, a port that is not
    a number or out of range) is SandboxUnreachable "not an http:// URL", as aiohttp's InvalidURL,
    where its URL parser would raise a bare ValueError for the port."""
    parts = urlsplit(url)
    try:
        port, host = parts.port, parts.hostname
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host:
        raise SandboxUnreachable(_origin(url), "not an http:// URL")
    return parts.scheme, host, port


def _why_unreachable(exc: Exception) -> str:
    if isinstance(exc, _not_a_url()):
        return "not an http:// URL"
    return _why_not_connected(getattr(exc, "os_error", exc))


def _why_not_connected(cause: BaseException) -> str:
    """A failed connect's reason in words."""
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "unknown host"
    return getattr(cause, "strerror", None) or str(cause) or type(cause).__name__


@dataclass
class Exchange:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def text(self, limit: int = 600) -> str:
        text = self.body.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "..."


def tenant_url(base_url: str, tenant: str | None) -> str:
    """A sandbox's URL as one tenant's: every provider and admin route under `/t/{tenant}`."""
    return base_url.rstrip("/") + f"/t/{tenant}" if tenant else base_url


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class SandboxClient:
    def __init__(self, base_url: str, session: aiohttp.ClientSession):
        self.base_url = base_url.rstrip("/")
        self.session = session

    async def send(self, method: str, url: str, *, body: bytes | None = None,
                   headers: dict[str, str] | None = None, source: str | None = None) -> Exchange:
        """`source`: the local address to call from (e.g. 127.0.0.3, a second loopback caller for
        IP allow-list stories); a connection of its own, closed after the request."""
        import aiohttp
        from yarl import URL
        not_a_url = _not_a_url()
        _http_target(url)   # the one check of both clients, before aiohttp parses it
        session = self.session
        if source:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True),
                trust_env=False, timeout=self.session.timeout)
        try:
            # encoded=True: the path goes out byte for byte as the client signed it
            async with session.request(method, URL(url, encoded=True), data=body, headers=headers,
                                       allow_redirects=False) as resp:
                return Exchange(resp.status, dict(resp.headers), await resp.read())
        except (aiohttp.ClientConnectorError, *not_a_url) as exc:
            raise SandboxUnreachable(_origin(url), _why_unreachable(exc)) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise SandboxUnavailable(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        finally:
            if source:
                await session.close()

    async def admin(self, method: str, path: str, payload: Any = None, *,
                    query: dict | None = None, ok: tuple[int, ...] | range = (), raw: bytes | None = None) -> Exchange:
        """`raw`: the exact body text instead of `payload`'s compact JSON."""
        url = f"{self.base_url}{ADMIN}{path}" + (f"?{urlencode(query)}" if query else "")
        body = raw if raw is not None else None if payload is None else _compact(payload)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        token = os.environ.get("SANDBOX_ADMIN_TOKEN")
        if token:  # a sandbox served off loopback (or with --admin-token) wants it on /_sandbox/
            headers["X-Sandbox-Token"] = token
        exchange = await self.send(method, url, body=body, headers=headers)
        if exchange.status >= 400 and exchange.status not in ok:
            raise SandboxUnavailable(f"{method} {ADMIN}{path} -> {exchange.status}: {exchange.text()}")
        return exchange

    # Admin API ------------------------------------------------------------------------------
    async def health(self) -> dict:
        return (await self.admin("GET", "/health")).json()

    async def reset(self, seed: int | None = None, start: str | None = None) -> dict:
        payload = {k: v for k, v in (("seed", seed), ("start", start)) if v is not None}
        return (await self.admin("POST", "/reset", payload)).json()

    async def providers(self) -> dict:
        return (await self.admin("GET", "/providers")).json()

    async def update_merchant(self, provider: str, index: int, settings: dict) -> dict:
        return (await self.admin("PATCH", f"/providers/{provider}/merchant", settings,
                                 query={"index": index})).json()

    async def advance(self, by: str | float) -> dict:
        return (await self.admin("POST", "/clock/advance", {"by": by})).json()

    async def run_until_quiet(self) -> dict:
        return (await self.admin("POST", "/clock/run", {})).json()

    async def clock(self) -> dict:
        return (await self.admin("GET", "/clock")).json()

    async def simulate(self, provider: str, action: str, params: dict) -> Exchange:
        """Answers are returned as they come (a refusal is something a scenario may expect)."""
        return await self.admin("POST", f"/simulate/{provider}/{action}", params, ok=tuple(range(400, 500)))

    async def chain(self, route: str, params: dict) -> Exchange:
        """POST /_sandbox/chain/<route> (transfers, reorg, double_spend, release); refusals are returned."""
        return await self.admin("POST", f"/chain/{route}", params, ok=tuple(range(400, 500)))

    async def deliveries(self, provider: str | None = None) -> list[dict]:
        return (await self.admin("GET", "/deliveries", query={"provider": provider} if provider else None)).json()

    async def redeliver(self, delivery_id: str) -> dict:
        return (await self.admin("POST", f"/deliveries/{delivery_id}/redeliver")).json()

    async def last_seq(self) -> int:
        """The journal's newest entry (0 when empty)."""
        latest = await self.journal(limit=1)
        return latest[-1]["seq"] if latest else 0

    async def journal(self, limit: int | None = None) -> list[dict]:
        return (await self.admin("GET", "/journal", query={"limit": limit} if limit else None)).json()

    async def add_fault(self, rule: dict) -> dict:
        return (await self.admin("POST", "/faults", rule)).json()

    async def clear_faults(self) -> dict:
        return (await self.admin("DELETE", "/faults")).json()

    async def journal_export(self) -> str:
        return (await self.admin("GET", "/journal/export")).body.decode("utf-8")

    # Provider API ---------------------------------------------------------------------------
    async def call(self, provider, merchant: dict, method: str, path: str, *, json_body: Any = None,
                   query: dict | None = None, headers: dict | None = None, auth: bool = True,
                   source: str | None = None, raw: bytes | None = None, base: str = "api") -> Exchange:
        """A request as the provider's real client sends it (signed by its `client_request`).
        `raw`: the exact body bytes instead of `json_body` (signed as they are); `base="mount"`:
        `path` is relative to the provider's mount point (hosted pages), not its API base."""
        if query:
            path += ("&" if "?" in path else "?") + urlencode(query, doseq=True)
        if auth:
            if raw is not None:
                sent_headers, body = provider.client_request(merchant, method, path, None, raw=raw)
            else:
                sent_headers, body = provider.client_request(merchant, method, path, json_body)
            sent_headers = dict(sent_headers)
        elif raw is not None:
            body, sent_headers = raw, {}
        else:
            body = b"" if json_body is None else _compact(json_body)
            sent_headers = {"Content-Type": "application/json"} if json_body is not None else {}
        sent_headers.update(headers or {})
        url = f"{self.base_url}{provider.prefix if base == 'mount' else provider.api_base}{path}"
        return await self.send(method, url, body=body or None, headers=sent_headers, source=source)


class BlockingClient(SandboxClient):
    """SandboxClient (admin API, signed provider calls, the same errors) with `send` over
    http.client: one connection per request, no proxy from the environment (as client_session)."""

    TIMEOUT = 300.0   # seconds, as client_session's total

    def __init__(self, base_url: str):
        super().__init__(base_url, None)

    async def send(self, method: str, url: str, *, body: bytes | None = None,
                   headers: dict[str, str] | None = None, source: str | None = None) -> Exchange:
        import http.client   # here: the runner's processes never need it

        scheme, host, port = _http_target(url)
        origin = _origin(url)
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = kind(host, port, timeout=self.TIMEOUT, source_address=(source, 0) if source else None)
        try:
            try:
                connection.connect()
            except OSError as exc:
                raise SandboxUnreachable(origin, _why_not_connected(exc)) from None
            # the path goes out byte for byte as the client signed it
            target = url[len(origin):] or "/"
            connection.request(method, target, body=body, headers=headers or {})
            resp = connection.getresponse()
            return Exchange(resp.status, dict(resp.getheaders()), resp.read())
        except (http.client.HTTPException, OSError) as exc:
            raise SandboxUnavailable(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        finally:
            connection.close()


def run_to_end(coro):
    """A coroutine's result, run without an event loop: it must not wait on one."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("a verb on the blocking client waited on an event loop")
