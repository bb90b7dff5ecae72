"""A request for a tenant another sandbox process owns, sent on to that process (core/state/cluster.py).

The owner must see what the client sent, byte for byte (signatures cover the path, headers and
body): the path as the main origin knows it (after origins.py's rewrite, with `X-Sandbox-Via`
telling how the client came), every header as sent less the hop-by-hop ones, the body
untouched. One header is added, `X-Sandbox-Forwarded: <secret>; for=<client address>; hop=<n>;
to=<owner's id>`: the secret every process reads from the database proves it came from a peer,
so the owner takes the request as the forwarder saw it (no second origin rewrite, the client's
address for IP allow-lists) and drops the header before anything records or reads it. A client's
own copy, not knowing the secret, is dropped too. The answer comes back the same way: status,
headers, bytes.
"""
from __future__ import annotations

import asyncio
import hmac
from typing import Any

from aiohttp import (ClientConnectorError, ClientOSError, ClientSession, ClientTimeout,
                     ServerDisconnectedError, TCPConnector, web)
from multidict import CIMultiDict
from yarl import URL

from .context import FORWARDED_PEER, peer_host

FORWARD_HEADER = "X-Sandbox-Forwarded"
MAX_HOPS = 2                       # ownership can move once while a request is on its way
# an owner that hangs (paused) holds a forwarded request this long at most; a slow answer (an
# advance waiting for webhook timeouts) stays well inside it
FORWARD_TIMEOUT = 300.0
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade",
                        "transfer-encoding", "proxy-authorization", "proxy-authenticate",
                        "content-length", FORWARD_HEADER.lower()})
CLIENT: web.AppKey = web.AppKey("forward_client", object)
MISDIRECTED = "X-Sandbox-Misdirected"


class OwnerUnreachable(Exception):
    """The owner did not take the request (refused, reset before any answer): it may be gone."""


def parse(value: str | None, secret: str) -> tuple[str | None, int, str | None] | None:
    """(client address, hops so far, the process it was meant for) from a peer's header; None
    when it is not a peer's."""
    if not value or not secret:
        return None
    token, _, rest = value.partition(";")
    if not hmac.compare_digest(token.strip().encode(), secret.encode()):
        return None
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(";") if "=" in part)
    try:
        hops = int(fields.get("hop", "1"))
    except ValueError:
        hops = MAX_HOPS
    return fields.get("for") or None, hops, fields.get("to") or None


def misdirected(request: web.Request, me: str) -> web.Response | None:
    """A peer's request meant for another process than `me`: the one it knew at this address
    is gone (its port now someone else's). Said so, and the sender treats it as unreachable."""
    forwarded = request.get(FORWARDED_PEER)
    if forwarded and forwarded[2] and forwarded[2] != me:
        return web.json_response({"error": "not the sandbox process this request was forwarded to"},
                                 status=421, headers={MISDIRECTED: "1"})
    return None


def hops(request: web.Request) -> int:
    forwarded = request.get(FORWARDED_PEER)
    return forwarded[1] if forwarded else 0


class Client:
    """The connections to the peers, kept alive between forwards; made on first use."""
    session: ClientSession | None = None


def install(app: web.Application) -> None:
    app[CLIENT] = Client()


def _client(app: web.Application) -> ClientSession:
    holder = app[CLIENT]
    if holder.session is None or holder.session.closed:
        holder.session = ClientSession(connector=TCPConnector(limit=256), auto_decompress=False,
                                       timeout=ClientTimeout(total=FORWARD_TIMEOUT, sock_connect=3))
    return holder.session


async def close(app: web.Application) -> None:
    holder = app.get(CLIENT)
    if holder is not None and holder.session is not None:
        await holder.session.close()


async def forward(request: web.Request, owner_url: str, secret: str, owner: str = "") -> web.StreamResponse:
    """Send `request` (not yet read) to the owner (process id `owner`, at `owner_url`) and answer
    with what it answered."""
    app = request.app
    raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers
           if k.decode("latin-1").lower() not in HOP_BY_HOP]
    peer = peer_host(request) or ""
    raw.append((FORWARD_HEADER, f"{secret}; for={peer}; hop={hops(request) + 1}; to={owner}"))
    declared = request.content_length
    body: Any
    if declared is not None and declared > request._client_max_size:
        body = request.content                  # streamed: the owner answers 413 in its shape
        raw.append(("Content-Length", str(declared)))
    elif declared is not None or request.body_exists:
        body = await request.read()
        raw.append(("Content-Length", str(len(body))))
    else:
        body = None
    url = URL(owner_url.rstrip("/") + request.raw_path, encoded=True)
    try:
        upstream = await _client(app).request(
            request.method, url, headers=CIMultiDict(raw), data=body, allow_redirects=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            compress=None, chunked=None)
    except ClientConnectorError as exc:   # refused: nothing reached the owner
        raise OwnerUnreachable(str(exc)) from exc
    except asyncio.TimeoutError:
        raise web.HTTPGatewayTimeout(text='{"error": "the sandbox process serving this tenant did not '
                                          'answer in time; retry"}', content_type="application/json") from None
    except (ServerDisconnectedError, ClientOSError) as exc:
        # the owner went away with the request: it may or may not have been kept, so it is not
        # sent again (a create would be made twice); the client retries, as after any 502
        raise web.HTTPBadGateway(text='{"error": "the sandbox process serving this tenant stopped '
                                      'while handling the request; retry"}',
                                 content_type="application/json") from exc
    async with upstream:
        if upstream.status == 421 and MISDIRECTED in upstream.headers:
            raise OwnerUnreachable(f"{owner_url} is another process now")
        headers = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
        length = upstream.headers.get("Content-Length")
        if length is not None or request.method == "HEAD":
            payload = await upstream.read()
            response = web.Response(status=upstream.status, reason=upstream.reason, body=payload)
            response.headers.clear()
            response.headers.extend(headers)
            return response
        response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
        response.headers.extend(headers)
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response
