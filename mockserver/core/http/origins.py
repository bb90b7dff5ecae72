"""Each provider at the root of its own origin, besides its prefix on the main one.

A client whose base URL is a host root and which builds absolute paths
(`new URL("/open/api/v4/merchant/trade/create", base)`, `urljoin(base, "/v2/payment")`) would drop
the sandbox's `/alchemypay` prefix. So a provider is also reached at its real paths:

- on a port of its own (`--provider-ports`): every request on that port is the provider's;
- on any port, with `Host: <provider>.localhost[:port]` (the provider's folder name; `*.localhost`
  resolves to loopback on the usual systems and in curl);
- and a tenant's: `/t/{tenant}/...` on a provider port, or `Host: {tenant}.{provider}.localhost`.

How: the request line is rewritten before the request object exists (the app's request factory),
so `/api/v1/invoices` on CryptoPayment's origin *is* `/cryptopayment/api/v1/invoices` to the
router, the guard, the durable record, the signature checks and the handlers: nothing downstream
knows a second way in. `/_sandbox/...` (the admin API, the dashboard, the inbox) stays itself on
every origin. How the client addressed the sandbox travels as the `X-Sandbox-Via` header (a
client's own is dropped), which links are built from (context.public_base, provider_base) and a
durable World replays with. Answers going back out get the provider's prefix taken off their
redirects and HTML links (middleware below).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .context import FORWARDED_PEER, TENANT_PREFIX, VIA_HEADER, addressed, public_base
from .forward import FORWARD_HEADER, parse

ORIGINS: web.AppKey = web.AppKey("origins", object)
_VIA_LOWER = VIA_HEADER.lower()
_VIA_RAW = VIA_HEADER.encode()
ADMIN = "/_sandbox"
TENANT = "/t/"
# the registry and the process's own view: never a tenant's, even under a shared store
GLOBAL = ("/_sandbox/tenants", "/_sandbox/cluster")
_FWD_LOWER = FORWARD_HEADER.lower()


@dataclass
class Origins:
    """Which provider each way in leads to: provider -> mount prefix, local port -> provider."""

    prefixes: dict[str, str]
    ports: dict[int, str] = field(default_factory=dict)
    main_port: int | None = None
    # several processes on one PostgreSQL store (core/state/cluster.py): the default World is
    # this tenant, and a peer's forwarded request (http/forward.py) proves itself with the secret
    default_tenant: str | None = None
    secret: str | None = None

    def defaulted(self, path: str) -> bool:
        """Does this main-origin path belong to the default tenant (shared store only)?"""
        return (self.default_tenant is not None and path.startswith("/") and not path.startswith(TENANT)
                and not path.startswith(GLOBAL))

    def addressed_by(self, host_header: str | None, local_port: int | None) -> tuple[str | None, str | None]:
        """(provider, tenant named by the Host) for a request; (None, None) on the main origin."""
        if host_header and ".localhost" in host_header:
            name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
            labels = name.lower().rstrip(".").split(".")
            if len(labels) in (2, 3) and labels[-1] == "localhost" and labels[-2] in self.prefixes:
                return labels[-2], labels[0] if len(labels) == 3 else None
        if local_port is not None and local_port in self.ports:
            return self.ports[local_port], None
        return None, None

    def canonical_path(self, raw_path: str, provider: str, tenant: str | None) -> str:
        """The path the main origin knows the same request by."""
        prefix = self.prefixes[provider]
        if tenant is not None:                 # {tenant}.{provider}.localhost
            inner = raw_path if _is_admin(raw_path) else prefix + raw_path
            return f"{TENANT}{tenant}{inner}"
        if raw_path.startswith(TENANT):        # /t/{tenant}/... on a provider's port
            head, sep, rest = raw_path[len(TENANT):].partition("/")
            rest = "/" + rest
            return f"{TENANT}{head}{sep and (rest if _is_admin(rest) else prefix + rest)}"
        return raw_path if _is_admin(raw_path) else prefix + raw_path


def _is_admin(path: str) -> bool:
    return path == ADMIN or path.startswith(ADMIN + "/") or path.startswith(ADMIN + "?")


def _via(provider: str | None, tenant: str | None) -> str:
    return "; ".join(([f"provider={provider}"] if provider else []) + ([f"tenant={tenant}"] if tenant else []))


def _without(message: Any, lower: str) -> Any:
    """The request message without a header (every copy of it)."""
    return message._replace(
        headers=CIMultiDictProxy(CIMultiDict((k, v) for k, v in message.headers.items() if k.lower() != lower)),
        raw_headers=tuple((k, v) for k, v in message.raw_headers if k.decode("latin-1").lower() != lower))


def install(app: web.Application, origins: Origins) -> None:
    """Wrap the app's request factory: requests addressed to a provider's own origin get the
    path the main origin knows them by (and the Via header), before routing."""
    app[ORIGINS] = origins
    make_request = app._make_request   # what Application._make_handler hands its Server

    def factory(message: Any, payload: Any, protocol: Any, writer: Any, task: Any, **kwargs: Any):
        headers = message.headers
        if _FWD_LOWER in headers:   # from a peer process (taken as it saw it), or a client's own (dropped)
            forwarded = parse(headers.get(FORWARD_HEADER), origins.secret or "")
            message = _without(message, _FWD_LOWER)
            headers = message.headers
            if forwarded is not None:
                request = make_request(message, payload, protocol, writer, task, **kwargs)
                request[FORWARDED_PEER] = forwarded
                return request
        host = headers.get("Host")
        port = None
        if origins.ports:
            transport = getattr(protocol, "transport", None)
            sockname = transport.get_extra_info("sockname") if transport is not None else None
            port = sockname[1] if isinstance(sockname, tuple) and len(sockname) > 1 else None
        provider, tenant = origins.addressed_by(host, port) if (port or (host and ".localhost" in host)) \
            else (None, None)
        spoofed = _VIA_LOWER in headers
        defaulted = provider is None and origins.defaulted(message.path)
        if provider is None and not spoofed and not defaulted:
            return make_request(message, payload, protocol, writer, task, **kwargs)
        fresh = CIMultiDict((k, v) for k, v in headers.items() if k.lower() != _VIA_LOWER)
        raw = tuple((k, v) for k, v in message.raw_headers if k.lower() != _VIA_RAW.lower())
        changes: dict[str, Any] = {}
        if (provider is not None or defaulted) and message.path.startswith("/"):
            path = message.path if provider is None else origins.canonical_path(message.path, provider, tenant)
            if origins.defaulted(path):   # a shared store's default World is a tenant; its links keep no prefix
                tenant = origins.default_tenant
                path = f"{TENANT}{tenant}{path}"
            via = _via(provider, tenant)
            fresh[VIA_HEADER] = via
            raw += ((_VIA_RAW, via.encode()),)
            changes.update(path=path, url=URL(path, encoded=True))
        changes.update(headers=CIMultiDictProxy(fresh), raw_headers=raw)
        return make_request(message._replace(**changes), payload, protocol, writer, task, **kwargs)

    app._make_request = factory


def _strip_prefix(value: str, prefix: str) -> str:
    if value == prefix or value.startswith((prefix + "/", prefix + "?")):
        return value[len(prefix):] or "/"
    return value


def _real_location(headers: Any, prefix: str) -> None:
    location = headers.get("Location")
    if location and location.startswith("/") and not location.startswith("//"):
        headers["Location"] = _strip_prefix(location, prefix)


@web.middleware
async def origin_middleware(request: web.Request, handler):
    """On a provider's own origin, its redirects and pages link to its real paths."""
    provider, _tenant = addressed(request)
    if provider is None:
        return await handler(request)
    prefix = request.app[ORIGINS].prefixes[provider]
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _real_location(exc.headers, prefix)
        raise
    _real_location(response.headers, prefix)
    if (isinstance(response, web.Response) and response.content_type == "text/html"
            and response.body is not None and not response.prepared):
        response.text = response.text.replace(f'"{prefix}/', '"/')
    return response


def origin_of(request: web.Request, port: int) -> str:
    """http://HOST:PORT with the host this request named (so a LAN name stays a LAN name)."""
    host = request.url.host or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{host}:{port}"


def main_origin(request: web.Request, world: Any) -> str:
    """The main origin (where providers answer under their prefixes), whichever origin asked."""
    provider, _tenant = addressed(request)
    origins = request.app.get(ORIGINS)
    if provider is None or origins is None or origins.main_port is None:
        return public_base(request, world)
    host = "localhost" if (request.url.host or "").endswith(".localhost") else None
    base = origin_of(request, origins.main_port) if host is None else \
        f"{request.scheme}://{host}:{origins.main_port}"
    return base + request.get(TENANT_PREFIX, "")


def provider_origins(request: web.Request, provider: str) -> list[str]:
    """Every origin where `provider` answers at its real paths, for GET /_sandbox/providers."""
    origins = request.app.get(ORIGINS)
    if origins is None:
        return []
    out = [origin_of(request, port) for port, name in origins.ports.items() if name == provider]
    main = origins.main_port or request.url.port
    if main:
        out.append(f"{request.scheme}://{provider}.localhost:{main}")
    return out


async def serve_provider_ports(runner: web.BaseRunner, host: str, first_port: int | None) -> dict[str, str]:
    """A listening site per provider on `runner` (ports from `first_port` up, in the providers'
    order, or free ones when it is 0/None); returns provider -> its origin."""
    app = runner.app
    origins: Origins = app[ORIGINS]
    shown = f"[{host}]" if ":" in host else host
    out = {}
    for index, provider in enumerate(origins.prefixes):
        site = web.TCPSite(runner, host, (first_port + index) if first_port else 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]   # the real port when 0
        origins.ports[port] = provider
        out[provider] = f"http://{shown}:{port}"
    return out
