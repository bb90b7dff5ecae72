"""Safe by default off loopback: the admin token, the Host allow-list, JSON-only admin writes,
and a header-read timeout for every connection.

The rules, in the order the middleware applies them:

1. **Host allow-list** (every route, providers included). A browser tricked by DNS rebinding sends
   the attacker's *name* in `Host:`; so names are refused unless listed. Allowed: no `Host` at all
   (HTTP/1.0), any IP literal (an IP cannot be rebound), `localhost` and `*.localhost`, the bound
   host, the host of `public_url`, and every `allowed_hosts` entry (`example.com`, `.example.com`
   for it and its subdomains, `*` for any). Anything else: 421 in the admin error shape.
2. **Cross-site browser requests** to `/_sandbox/` are refused (403): an `Origin` header whose host
   is not allowed by rule 1, or `Sec-Fetch-Site: cross-site`. Browsers send these; curl and test
   clients do not.
3. **Admin token** (`admin_token`): when set, every `/_sandbox/` route needs
   `Authorization: Bearer <token>` or `X-Sandbox-Token: <token>` (compared in constant time),
   except `POST /_sandbox/inbox/{name}` — the built-in webhook receiver, which the sandbox's own
   outbox calls. When no token is set (only allowed on a loopback bind), the admin API is open.
4. **JSON-only admin writes**: POST/PUT/PATCH/DELETE under `/_sandbox/` (inbox POSTs excepted)
   with a body must say `Content-Type: application/json` (or `application/*+json`), else 415.
   A bodiless write may omit the header (so `curl -X POST $B/_sandbox/reset` keeps working) but
   may not carry one of the three types an HTML form sends cross-site without a preflight
   (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`): an empty
   `text/plain` form post cannot reset the sandbox. A bodiless cross-site `fetch` carries an
   `Origin`, which rule 2 refuses.

Secrets (`GET /_sandbox/providers`) are shown only to an *authorized* request: one that carries
the token, or — when no token is configured — one whose peer is a loopback address.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

from aiohttp import web, web_protocol, web_runner, web_server
from aiohttp.http_exceptions import HttpProcessingError

from ..basics.errors import SandboxError
from .context import REPLAYING
from .jsonio import json_response, render_admin_error

ADMIN_PREFIX = "/_sandbox/"
INBOX_ROUTE = "/_sandbox/inbox/{name}"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOKEN_HEADER = "X-Sandbox-Token"
TOKEN_COOKIE = "sandbox_token"        # set by GET /_sandbox/login?token=...: for browsers (checkout pages)
LOGIN_PATH = "/_sandbox/login"
# what an HTML form (or a CORS "simple" request) can send cross-site without a preflight
FORM_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})


def is_loopback_host(host: str | None) -> bool:
    """A bind or peer address that only this machine can reach."""
    host = (host or "").strip().strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return host != ""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _bytes(text: str) -> bytes:
    # headers with undecodable bytes arrive with lone surrogates; never a 500 over a bad token
    return text.encode("utf-8", "surrogateescape")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _split_host(value: str) -> str:
    """'example.com:8080' -> 'example.com'; '[::1]:8080' -> '::1'; lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value  # a bare name, or an unbracketed IPv6 literal


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return True
    except ValueError:
        return False


# Host header values already found to name an IP or localhost (allowed whatever the allow-list)
_LOCAL_HOSTS: set[str] = set()


@dataclass
class Guard:
    token: str | None = None
    allowed_hosts: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: Any) -> "Guard":
        hosts = list(getattr(config, "allowed_hosts", None) or [])
        bound = getattr(config, "host", None)
        if bound and bound not in ("0.0.0.0", "::", ""):
            hosts.append(_split_host(bound))
        public = getattr(config, "public_url", None)
        if public:
            public_host = urlsplit(public).hostname
            if public_host:
                hosts.append(public_host.lower())
        return cls(token=getattr(config, "admin_token", None) or None, allowed_hosts=hosts)

    # -- Host allow-list ---------------------------------------------------------------------
    def host_allowed(self, host_header: str | None) -> bool:
        if not host_header or host_header in _LOCAL_HOSTS:
            return True
        host = _split_host(host_header).rstrip(".")
        if _is_ip(host) or host == "localhost" or host.endswith(".localhost"):
            if len(_LOCAL_HOSTS) < 1024:   # remembered: parsing an IP on every request costs more
                _LOCAL_HOSTS.add(host_header)
            return True
        for entry in self.allowed_hosts:
            entry = entry.strip().lower().rstrip(".")
            if entry == "*" or host == entry:
                return True
            if entry.startswith(".") and (host == entry[1:] or host.endswith(entry)):
                return True
        return False

    def cross_site(self, request: web.Request) -> bool:
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            return True
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        if origin == "null":  # sandboxed frames, file:// pages: never a trusted admin client
            return True
        try:
            netloc = urlsplit(origin).netloc
        except ValueError:  # "http://[nonsense": not an origin any trusted page has
            return True
        return not self.host_allowed(netloc or origin)

    # -- token -------------------------------------------------------------------------------
    def presented_token(self, request: web.Request) -> str | None:
        given = request.headers.get(TOKEN_HEADER)
        if given:
            return given.strip()
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip()
        return request.cookies.get(TOKEN_COOKIE) or None

    def token_ok(self, request: web.Request) -> bool:
        if not self.token:
            return True
        given = self.presented_token(request)
        return given is not None and hmac.compare_digest(_bytes(given), _bytes(self.token))

    def authorized(self, request: web.Request) -> bool:
        """May this request see secrets? The token if there is one, else a loopback peer."""
        if self.token:
            return self.token_ok(request)
        return is_loopback_host(request.remote)

    # -- content type ------------------------------------------------------------------------
    @staticmethod
    def json_write_ok(request: web.Request) -> bool:
        mime = request.content_type.lower() if "Content-Type" in request.headers else ""
        has_body = (request.content_length or 0) > 0 or "chunked" in request.headers.get(
            "Transfer-Encoding", "").lower()
        if has_body:
            return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))
        return mime not in FORM_TYPES


GUARD: web.AppKey = web.AppKey("guard", Guard)


def _deny(status: int, message: str, headers: dict | None = None) -> web.Response:
    response = render_admin_error(SandboxError(message, status=status))
    response.headers.update(headers or {})
    return response


def guard_middleware(guard: Guard):
    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.get(REPLAYING):   # a durable World's recorded input: judged when it first came
            return await handler(request)
        if not guard.host_allowed(request.headers.get("Host")):
            return _deny(421, "Host not allowed: add it to allowed_hosts (or --allowed-host) to serve it")
        path = request.path
        # decided on both the decoded path and the route the router chose, so no spelling of a
        # path (%5F, %2F, dot segments) reaches an admin handler without passing the rules below
        resource = getattr(getattr(request.match_info, "route", None), "resource", None)
        canonical = getattr(resource, "canonical", "") or ""
        if not (path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/")
                or canonical.startswith(ADMIN_PREFIX)):
            return await handler(request)
        inbox_post = canonical == INBOX_ROUTE and request.method == "POST"
        if inbox_post or canonical == LOGIN_PATH:  # a webhook receiver; the login checks the token itself
            return await handler(request)
        if guard.cross_site(request):
            return _deny(403, "cross-site requests to the admin API are refused")
        if not guard.token_ok(request):
            return _deny(401, f"admin token required: send 'Authorization: Bearer <token>' or "
                              f"'{TOKEN_HEADER}: <token>'", {"WWW-Authenticate": 'Bearer realm="sandbox"'})
        routed = getattr(request.match_info, "http_exception", None) is None  # unknown route: its 404
        if routed and request.method in WRITE_METHODS and not guard.json_write_ok(request):
            return _deny(415, "admin writes take Content-Type: application/json")
        return await handler(request)

    return middleware


routes = web.RouteTableDef()


@routes.get(LOGIN_PATH)
async def login(request: web.Request) -> web.StreamResponse:
    """GET /_sandbox/login?token=T[&next=/path]: for a browser (the checkout pages' buttons call the
    admin API). Sets an HttpOnly, SameSite=Strict cookie holding the token, which the guard accepts
    like the header; SameSite=Strict keeps it off every cross-site request."""
    guard = request.app[GUARD]
    given = request.query.get("token", "")
    if not guard.token:
        return _deny(404, "no admin token is configured: the admin API is open on loopback")
    if not hmac.compare_digest(_bytes(given), _bytes(guard.token)):
        return _deny(401, "wrong or missing token")
    target = request.query.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        response: web.StreamResponse = web.Response(status=303, headers={"Location": target})
    else:
        from .jsonio import json_response
        response = json_response({"status": "ok", "cookie": TOKEN_COOKIE})
    response.set_cookie(TOKEN_COOKIE, guard.token, httponly=True, samesite="Strict", path="/")
    return response


SECRET_WORDS = ("secret", "key", "token", "password", "sign", "private")
MASK = "<hidden: send the admin token>"


def mask_secrets(value: Any, *, under_secret: bool = False) -> Any:
    """A copy with every value under a secret-sounding key (and every credential line) hidden."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            name = str(k).lower()
            secret = under_secret or name == "credentials" or any(w in name for w in SECRET_WORDS)
            out[k] = mask_secrets(v, under_secret=secret)
        return out
    if isinstance(value, list):
        return [mask_secrets(v, under_secret=under_secret) for v in value]
    if under_secret and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return MASK
    return value


# -- header-read timeout -------------------------------------------------------------------------

class _HeaderWatchdog:
    """Closes a connection whose request headers are not complete `timeout` seconds after the
    connection opened, or after the first byte of a later request on a kept-alive connection.

    aiohttp has an idle (keep-alive) timeout but none for reading headers; a client that sends
    half a request line and goes quiet would otherwise hold the connection until the idle timeout.
    """

    def __init__(self, handler: web_protocol.RequestHandler, timeout: float):
        self.handler = handler
        self.timeout = timeout
        self.timer: asyncio.TimerHandle | None = None
        self.count_at_arm = 0

    def _count(self) -> int:
        return getattr(self.handler, "_request_count", 0)

    def arm(self) -> None:
        if self.timer is None:
            self.count_at_arm = self._count()
            self.timer = asyncio.get_running_loop().call_later(self.timeout, self.fire)

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def fire(self) -> None:
        self.timer = None
        if self._count() == self.count_at_arm:  # no complete request head since armed
            transport = self.handler.transport
            self.handler.force_close()
            if transport is not None:
                transport.close()

    def after_data(self, count_before: int) -> None:
        if self._count() != count_before:
            self.disarm()          # a request head completed
            return
        waiter = getattr(self.handler, "_waiter", None)
        if waiter is not None and not waiter.done():
            self.arm()             # bytes of a new request head while idle


class _GuardedHandler(web_protocol.RequestHandler):
    """aiohttp's RequestHandler plus the header watchdog (it has __slots__, so a subclass)."""

    _header_timeout: float = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._watchdog = _HeaderWatchdog(self, self._header_timeout) if self._header_timeout > 0 else None
        super().connection_made(transport)
        if self._watchdog is not None:
            self._watchdog.arm()

    def data_received(self, data: bytes) -> None:
        watchdog = getattr(self, "_watchdog", None)
        before = watchdog._count() if watchdog else 0
        super().data_received(data)
        if watchdog is not None:
            watchdog.after_data(before)

    def connection_lost(self, exc: BaseException | None) -> None:
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.disarm()
        super().connection_lost(exc)

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """Bytes that are not an HTTP request we serve (a header line over 8 KiB, two Host headers,
        Content-Length beside Transfer-Encoding) fail before any route, so no provider can answer:
        one log line (never a traceback) and a 400 in the sandbox's own JSON shape, then close."""
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        reason = (getattr(exc, "message", "") or "malformed request").split(":", 1)[0][:120]
        self.logger.info("malformed request from %s: %s", getattr(request, "remote", None), reason)
        return render_admin_error(SandboxError(f"Malformed HTTP request: {reason}", status=400))


class _GuardedServer(web_server.Server):
    _header_timeout: float = 0.0

    def __call__(self) -> web_protocol.RequestHandler:
        handler = _GuardedHandler(self, loop=self._loop, **self._kwargs)
        handler._header_timeout = self._header_timeout
        return handler


class GuardedAppRunner(web_runner.AppRunner):
    """AppRunner whose connections get a header-read timeout; `keepalive_timeout` is the idle one."""

    def __init__(self, app: web.Application, *, header_timeout: float = 10.0, **kwargs: Any):
        super().__init__(app, **kwargs)
        self._header_timeout = header_timeout

    async def _make_server(self) -> web_server.Server:
        server = await super()._make_server()
        guarded = _GuardedServer.__new__(_GuardedServer)
        guarded.__dict__.update(server.__dict__)
        guarded._header_timeout = self._header_timeout
        return guarded


def runner_for(app: web.Application, config: Any, **kwargs: Any) -> GuardedAppRunner:
    # lingering_time: the rest of a body a refusal did not read is drained (then the connection
    # closed) within the body deadline too, not aiohttp's own 10 s
    kwargs.setdefault("lingering_time", min(10.0, float(getattr(config, "body_timeout", 10.0))))
    return GuardedAppRunner(app, header_timeout=float(getattr(config, "header_timeout", 10.0)),
                            keepalive_timeout=float(getattr(config, "idle_timeout", 60.0)), **kwargs)


def check_bind(config: Any) -> str | None:
    """Off loopback with no token: make one. Returns the generated token (to print), else None."""
    if is_loopback_host(config.host) or getattr(config, "admin_token", None):
        return None
    config.admin_token = new_token()
    return config.admin_token


def iter_allowed(guard: Guard) -> Iterable[str]:
    return iter(guard.allowed_hosts)
