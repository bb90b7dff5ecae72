"""Headers and transport are input too (issue 23): bodies with a Content-Encoding, slow bodies,
clients that leave mid-body. Each gets the provider's own error shape (4xx) or a clean close,
never a 5xx or a traceback; a refused request changes nothing."""
from __future__ import annotations

import asyncio
import gzip
import json
import logging

import pytest
from aiohttp.test_utils import TestServer

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD

CP = ("/cryptopayment/api/v1/invoices", {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"})
BODY = json.dumps({"network": "trc20", "amount_usd": 50}).encode()
# (path, headers, how the provider's error looks)
SHAPES = {
    "cryptopayment": (CP[0], CP[1], lambda j: j.get("success") is False and isinstance(j.get("error"), str)),
    "alppay": ("/alppay/v2/payment", {"API-KEY": "ak_sandbox_7c1e4b9a2f6d8035", "X-HMAC": "00"},
               lambda j: "message" in j or "detail" in j or "error" in j),
    "alfabit": ("/alfabit/api/v1/integration/orders/invoice", {"x-api-key": "afb_sbx_7Qm2vX9kLp4Rt8Wz3Yc6Nf1Hd5Jg0Bs2"},
                lambda j: "statusCode" in j and "message" in j),
    "alt5pay": ("/alt5pay/usr/wallet/btc/create", {}, lambda j: j.get("status") == "error"),
    "alchemypay": ("/alchemypay/open/api/v4/merchant/getToken", {}, lambda j: j.get("success") is False and "returnCode" in j),
    "admin": ("/_sandbox/reset", {}, lambda j: set(j) == {"error"} and j["error"]["status"] == 415),
}


@pytest.fixture
async def served():
    app = build_app(SandboxConfig(seed=5, body_timeout=0.5))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(shutdown_timeout=0.5)
    yield server, app[WORLD]
    await server.close()


async def _raw(port: int, data: bytes, *, then_close: bool = False, read: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    if then_close:
        writer.close()
        return b""
    answer = await asyncio.wait_for(reader.read(), 10) if read else b""
    writer.close()
    return answer


def _request(path: str, headers: dict, body: bytes, **extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in {**headers, **extra}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _answer(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else {}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "gzip, gzip"])
@pytest.mark.parametrize("who", sorted(SHAPES))
async def test_any_content_encoding_is_refused_in_the_providers_shape(served, who, encoding):
    server, world = served
    path, headers, shaped = SHAPES[who]
    before = len(world.backend("cryptopayment").invoices)
    status, answer = _answer(await _raw(server.port, _request(path, headers, BODY, **{"Content-Encoding": encoding})))
    assert status == 415 and shaped(answer), (status, answer)
    assert len(world.backend("cryptopayment").invoices) == before


async def test_a_real_gzip_body_is_refused_not_inflated(served):
    server, world = served
    packed = gzip.compress(BODY)
    status, answer = _answer(await _raw(server.port, _request(*CP, packed, **{"Content-Encoding": "gzip"})))
    assert status == 415 and "uncompressed" in answer["error"]
    assert not world.backend("cryptopayment").invoices


async def test_identity_is_no_encoding(served):
    server, _world = served
    status, answer = _answer(await _raw(server.port, _request(*CP, BODY, **{"Content-Encoding": "identity"})))
    assert status == 201, answer


async def test_a_body_that_never_completes_is_cut_at_the_body_deadline(served):
    server, world = served
    head = _request(*CP, b"")[:-4].replace(b"Content-Length: 0", f"Content-Length: {len(BODY)}".encode())
    started = asyncio.get_running_loop().time()
    answer = await _raw(server.port, head + b"\r\n\r\n" + BODY[:10])   # 10 of the announced bytes, then silence
    assert asyncio.get_running_loop().time() - started < 5     # the 0.5 s deadline, not the idle timeout
    assert answer == b"" or _answer(answer)[0] == 408
    assert not world.backend("cryptopayment").invoices


async def test_a_client_leaving_mid_body_leaves_no_500_and_no_traceback(served, caplog):
    server, world = served
    caplog.set_level(logging.DEBUG)
    head = _request(*CP, b"")[:-4].replace(b"Content-Length: 0", f"Content-Length: {len(BODY)}".encode())
    await _raw(server.port, head + b"\r\n\r\n" + BODY[:10], then_close=True)
    for _ in range(200):   # the server notices the close on its own; bounded, not a sleep on a guess
        if any(e.get("error") for e in world.journal.query()):
            break
        await asyncio.sleep(0.01)
    entries = [e for e in world.journal.query() if e.get("kind") == "api"]
    assert entries and entries[-1]["error"] == "the client closed the connection mid-body"
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
    assert not world.backend("cryptopayment").invoices


@pytest.mark.parametrize("raw, words", [
    (b"GET /_sandbox/health HTTP/1.1\r\nHost: a\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n", "8190 bytes"),
    (b"GET /_sandbox/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "Duplicate 'Host'"),
    (b"POST /cryptopayment/api/v1/invoices HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding"),
    (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", "HTTPS"),
])
async def test_malformed_http_is_a_json_400_without_a_traceback(raw, words, caplog):
    """Bytes no route can be chosen for: a 400 in the sandbox's own shape, one log line."""
    from aiohttp import web
    from mockserver.core.http.guard import runner_for
    caplog.set_level(logging.DEBUG)
    config = SandboxConfig(seed=5)
    runner = runner_for(build_app(config), config, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        status, answer = _answer(await _raw(site._server.sockets[0].getsockname()[1], raw))
        assert status == 400 and words in answer["error"]["message"], answer
        assert not [r for r in caplog.records if r.exc_info]
    finally:
        await runner.cleanup()
