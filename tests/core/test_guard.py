"""Safe by default off loopback (issue 9, defect 9): admin token, Host allow-list, JSON-only admin
writes, masked secrets, and a header-read timeout. Each test here fails on the unguarded code."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from mockserver.app import build_app
from mockserver.config import ConfigError, SandboxConfig
from mockserver.core.http.guard import GUARD, MASK, Guard, is_loopback_host, mask_secrets, runner_for
from mockserver.core.http.context import WORLD

START = datetime(2025, 1, 15, 10, 0, 0, tzinfo=timezone.utc)  # tests/conftest.py's start instant

SECRET = "sk_sandbox_9a8b7c6d5e4f3a2b1c0d"  # cryptopayment's default merchant secret


def _config(**kw) -> SandboxConfig:
    return SandboxConfig(seed=1234, start=START, **kw)


@pytest.fixture
async def public_client(aiohttp_client):
    """The app as `serve --host 0.0.0.0` builds it: no token given, so one was generated."""
    cfg = _config(host="0.0.0.0")
    app = build_app(cfg)
    assert cfg.admin_token and len(cfg.admin_token) >= 24
    client = await aiohttp_client(app)
    client.token = cfg.admin_token
    return client


# -- the admin token ------------------------------------------------------------------------------

async def test_off_loopback_the_admin_api_needs_the_generated_token(public_client):
    client, token = public_client, public_client.token
    for method, path in [("GET", "/_sandbox/health"), ("GET", "/_sandbox/providers"),
                         ("POST", "/_sandbox/reset"), ("GET", "/_sandbox/journal/export"),
                         ("GET", "/_sandbox/inbox/shop"), ("GET", "/_sandbox/nothing-here")]:
        resp = await client.request(method, path)
        assert resp.status == 401, (method, path)
        body = await resp.json()
        assert body["error"]["status"] == 401 and SECRET not in await resp.text()
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await client.get("/_sandbox/health", headers={"Authorization": "Bearer wrong"})).status == 401
    assert (await client.get("/_sandbox/health", headers={"X-Sandbox-Token": token[:-1]})).status == 401
    ok = await client.get("/_sandbox/health", headers={"Authorization": f"Bearer {token}"})
    assert ok.status == 200
    ok = await client.get("/_sandbox/providers", headers={"X-Sandbox-Token": token})
    assert ok.status == 200 and SECRET in await ok.text()  # the token holder sees the secrets


async def test_inbox_posts_need_no_token_but_reading_the_inbox_does(public_client):
    client, token = public_client, public_client.token
    resp = await client.post("/_sandbox/inbox/shop", data=b'{"event": "x"}',
                             headers={"Content-Type": "text/plain"})
    assert resp.status == 200  # a webhook receiver: the outbox (or anyone) may post
    assert (await client.get("/_sandbox/inbox/shop")).status == 401
    got = await (await client.get("/_sandbox/inbox/shop", headers={"X-Sandbox-Token": token})).json()
    assert len(got) == 1


async def test_provider_apis_are_not_behind_the_admin_token(public_client):
    resp = await public_client.post(
        "/cryptopayment/api/v1/invoices", json={"network": "trc20", "amount_usd": 5},
        headers={"Authorization": f"Bearer pk_sandbox_4f3c2a1b9d8e7f60:{SECRET}"})
    assert resp.status == 201


async def test_a_configured_token_is_checked_on_loopback_too(aiohttp_client):
    client = await aiohttp_client(build_app(_config(admin_token="t0ken")))
    assert (await client.get("/_sandbox/clock")).status == 401
    assert (await client.get("/_sandbox/clock", headers={"Authorization": "Bearer t0ken"})).status == 200


async def test_loopback_without_a_token_stays_open(client):
    resp = await client.get("/_sandbox/providers")
    assert resp.status == 200 and SECRET in await resp.text()


def test_token_is_generated_only_off_loopback():
    assert build_app(_config()) and _config().admin_token is None
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        cfg = _config(host=host)
        build_app(cfg)
        assert cfg.admin_token is None, host
    for host in ("0.0.0.0", "::", "192.168.1.20", "sandbox.example"):
        cfg = _config(host=host)
        build_app(cfg)
        assert cfg.admin_token, host
    cfg = _config(host="0.0.0.0", admin_token="mine")
    build_app(cfg)
    assert cfg.admin_token == "mine"


def test_bad_guard_settings_are_config_errors():
    for data, message in [({"admin_token": ""}, "admin_token"), ({"allowed_hosts": 5}, "allowed_hosts"),
                          ({"header_timeout": 0}, "header_timeout"), ({"idle_timeout": "x"}, "idle_timeout")]:
        with pytest.raises(ConfigError, match=message):
            SandboxConfig.from_mapping(data)
    assert SandboxConfig.from_mapping({"allowed_hosts": "a.test,b.test"}).allowed_hosts == ["a.test", "b.test"]


# -- secrets --------------------------------------------------------------------------------------

def test_secrets_are_masked_for_an_unauthorized_request():
    described = {"cryptopayment": {"base_url": "http://x/cryptopayment/api/v1",
                                   "credentials": {"Authorization": f"Bearer pk:{SECRET}"},
                                   "merchants": [{"api_key": "pk", "api_secret": SECRET, "webhook_url": "http://h",
                                                  "merchant_id": "m-1", "webhook_timeout": 2}]}}
    masked = mask_secrets(described)
    text = repr(masked)
    assert SECRET not in text and "pk:" not in text
    merchant = masked["cryptopayment"]["merchants"][0]
    assert merchant["api_secret"] == MASK and merchant["api_key"] == MASK
    assert merchant["webhook_url"] == "http://h" and merchant["merchant_id"] == "m-1"
    assert masked["cryptopayment"]["base_url"] == "http://x/cryptopayment/api/v1"


def _request(remote: str, headers: dict | None = None):
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (remote, 1234) if name == "peername" else default
    return make_mocked_request("GET", "/_sandbox/providers", headers=headers or {}, transport=transport)


def test_who_is_authorized_to_see_secrets():
    open_guard, locked = Guard(), Guard(token="t")
    assert open_guard.authorized(_request("127.0.0.1"))
    assert not open_guard.authorized(_request("10.0.0.7"))  # e.g. behind a port mapping
    assert not locked.authorized(_request("127.0.0.1"))
    assert locked.authorized(_request("10.0.0.7", {"X-Sandbox-Token": "t"}))


# -- the Host allow-list --------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.nip.io", "localhost.evil.example"])
async def test_a_rebound_dns_name_is_refused_everywhere(client, world, host):
    for path in ("/_sandbox/health", "/cryptopayment/api/v1/invoices"):
        resp = await client.get(path, headers={"Host": host})
        assert resp.status == 421, (host, path)
        assert (await resp.json())["error"]["status"] == 421
    resp = await client.post("/_sandbox/reset", headers={"Host": host})
    assert resp.status == 421


@pytest.mark.parametrize("host", ["127.0.0.1:8080", "localhost", "LOCALHOST:1", "app.localhost", "[::1]:8080",
                                  "127.0.0.2", "10.1.2.3:80", "[fe80::1]"])
async def test_loopback_names_and_ip_literals_are_served(client, host):
    assert (await client.get("/_sandbox/health", headers={"Host": host})).status == 200


def test_allowed_hosts_bound_host_and_public_url():
    guard = Guard.from_config(_config(host="sandbox.lan", public_url="https://pay.example.com:8443",
                                      allowed_hosts=["ci.internal", ".corp.example"]))
    for ok in ("sandbox.lan:8080", "pay.example.com", "ci.internal", "corp.example", "a.b.corp.example", None, ""):
        assert guard.host_allowed(ok), ok
    for bad in ("example.com", "evil.ci.internal", "xcorp.example", "sandbox.lan.evil"):
        assert not guard.host_allowed(bad), bad
    assert Guard(allowed_hosts=["*"]).host_allowed("anything.at.all")


# -- JSON-only admin writes and cross-site requests -------------------------------------------------

async def _clock(client) -> str:
    return (await (await client.get("/_sandbox/clock")).json())["now"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "text/plain;charset=UTF-8"])
async def test_a_cross_site_form_cannot_reset_or_repoint_webhooks(client, world, content_type):
    await client.post("/_sandbox/clock/advance", json={"by": "5m"})
    before = await _clock(client)
    merchant = dict(world.backend("cryptopayment").merchants[0])
    for method, path, body in [("POST", "/_sandbox/reset", b""), ("POST", "/_sandbox/reset", b'{"seed": 1}'),
                               ("POST", "/_sandbox/clock/advance", b'{"by": "1h"}'),
                               ("PATCH", "/_sandbox/providers/cryptopayment/merchant",
                                b'{"webhook_url": "http://127.0.0.1:1/steal"}')]:
        resp = await client.request(method, path, data=body, headers={"Content-Type": content_type})
        assert resp.status == 415, (method, path, await resp.text())
        assert (await resp.json())["error"]["status"] == 415
    assert await _clock(client) == before
    assert world.backend("cryptopayment").merchants[0] == merchant


async def test_a_body_without_a_content_type_is_refused(client):
    from aiohttp import payload
    resp = await client.post("/_sandbox/clock/advance",
                             data=payload.BytesPayload(b'{"by": "1h"}', content_type=None))
    if "Content-Type" in resp.request_info.headers:  # aiohttp insisted on one: send raw instead
        reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
        writer.write(b"POST /_sandbox/clock/advance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n"
                     b"Connection: close\r\n\r\n{\"by\":\"1h\"}")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 415"), answer[:60]
    else:
        assert resp.status == 415


async def test_json_writes_and_bodiless_writes_still_work(client):
    assert (await client.post("/_sandbox/clock/advance", json={"by": "5m"})).status == 200
    assert (await client.post("/_sandbox/clock/advance?by=5m")).status == 200  # no body
    resp = await client.post("/_sandbox/clock/advance", data=b'{"by": "1m"}',
                             headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status == 200
    assert (await client.post("/_sandbox/reset")).status == 200


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
async def test_cross_site_browser_requests_are_refused(client, headers):
    before = await _clock(client)
    resp = await client.post("/_sandbox/clock/advance", json={"by": "1h"}, headers=headers)
    assert resp.status == 403
    assert (await client.get("/_sandbox/providers", headers=headers)).status == 403
    assert await _clock(client) == before


async def test_same_origin_browser_requests_are_served(client):
    origin = str(client.make_url("")).rstrip("/")
    resp = await client.post("/_sandbox/clock/advance", json={"by": "1m"},
                             headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"})
    assert resp.status == 200


async def test_unknown_admin_routes_stay_404(client):
    resp = await client.post("/_sandbox/nowhere", data=b"{", headers={"Content-Type": "text/plain"})
    assert resp.status == 404


# -- timeouts --------------------------------------------------------------------------------------

@pytest.fixture
async def guarded_server():
    started = []

    async def start(header_timeout: float = 0.2, idle_timeout: float = 30.0):
        cfg = _config(header_timeout=header_timeout, idle_timeout=idle_timeout)
        runner = runner_for(build_app(cfg), cfg)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        started.append(runner)
        return site._server.sockets[0].getsockname()[1]

    yield start
    for runner in started:
        await runner.cleanup()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> tuple[bytes, float]:
    began = time.monotonic()
    data = b""
    while True:
        chunk = await asyncio.wait_for(reader.read(65536), seconds)
        if not chunk:
            return data, time.monotonic() - began
        data += chunk


async def test_half_a_request_line_is_dropped_after_the_header_timeout(guarded_server):
    port = await guarded_server(header_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /_sandbox/health HTT")
    await writer.drain()
    data, took = await _closed_within(reader, 3.0)  # today: held open for the 75 s idle timeout
    writer.close()
    assert data == b"" and took < 2.0


async def test_a_silent_connection_is_dropped_too(guarded_server):
    port = await guarded_server(header_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data, took = await _closed_within(reader, 3.0)
    writer.close()
    assert data == b"" and took < 2.0


async def test_a_kept_alive_connection_is_dropped_when_its_next_head_stalls(guarded_server):
    port = await guarded_server(header_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
    assert head.startswith(b"HTTP/1.1 200")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    await asyncio.wait_for(reader.readexactly(length), 3)
    writer.write(b"GET /_sandbox/clock HTTP/1.1\r\nHost: 127.")   # the next head never completes
    await writer.drain()
    data, took = await _closed_within(reader, 3.0)
    writer.close()
    assert data == b"" and took < 2.0


async def test_whole_requests_and_slow_bodies_are_unaffected(guarded_server):
    port = await guarded_server(header_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"by": "5m"}'
    writer.write(b"POST /_sandbox/clock/advance HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
    await writer.drain()
    await asyncio.sleep(0.4)  # the head is complete; a slow body is the handler's business
    writer.write(body)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 3)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]


async def test_idle_timeout_is_the_configured_one(guarded_server):
    port = await guarded_server(header_timeout=5.0, idle_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    data, took = await _closed_within(reader, 3.0)
    writer.close()
    assert data.startswith(b"HTTP/1.1 200") and took < 2.0


def test_is_loopback_host():
    assert all(map(is_loopback_host, ["127.0.0.1", "localhost", "::1", "[::1]", "127.9.9.9", "a.localhost"]))
    assert not any(map(is_loopback_host, ["0.0.0.0", "::", "", "10.0.0.1", "example.com", None]))


# -- browsers: the login cookie ----------------------------------------------------------------------

async def test_a_browser_logs_in_once_and_the_checkout_buttons_work(public_client):
    client, token = public_client, public_client.token
    created = await public_client.post(
        "/cryptopayment/api/v1/invoices", json={"network": "trc20", "amount_usd": 5},
        headers={"Authorization": f"Bearer pk_sandbox_4f3c2a1b9d8e7f60:{SECRET}"})
    invoice = (await created.json())["invoice"]["id"]
    assert (await client.get("/_sandbox/login?token=nope")).status == 401
    resp = await client.get(f"/_sandbox/login?token={token}&next=/cryptopayment/pay/{invoice}",
                            allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == f"/cryptopayment/pay/{invoice}"
    cookie = resp.cookies["sandbox_token"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    origin = str(client.make_url("")).rstrip("/")
    # what the checkout page's button does: same-origin fetch, JSON, the cookie rides along
    pay = await client.post("/_sandbox/simulate/cryptopayment/pay", json={"invoice": invoice},
                            headers={"Origin": origin, "Cookie": f"sandbox_token={token}"})
    assert pay.status == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil"])
async def test_login_never_redirects_off_site(public_client, target):
    resp = await public_client.get("/_sandbox/login", params={"token": public_client.token, "next": target},
                                   allow_redirects=False)
    assert resp.status == 200 and "Location" not in resp.headers


async def test_login_without_a_configured_token_is_404(client):
    assert (await client.get("/_sandbox/login?token=x")).status == 404


@pytest.mark.parametrize("header", [b"X-Sandbox-Token: \xff\xfe", b"Authorization: Bearer \xc3\x28",
                                    b"Origin: http://[nonsense", b"Host: [::1", b"Host: \xff.example",
                                    b"Cookie: sandbox_token=\xff", b"Sec-Fetch-Site: \xff"])
async def test_junk_guard_headers_are_4xx_never_500(public_client, header):
    reader, writer = await asyncio.open_connection("127.0.0.1", public_client.server.port)
    host = b"" if header.startswith(b"Host:") else b"Host: 127.0.0.1\r\n"
    writer.write(b"POST /_sandbox/reset HTTP/1.1\r\n" + host + header + b"\r\nContent-Length: 0\r\n"
                 b"Connection: close\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:200]


@pytest.mark.parametrize("method, path", [
    ("GET", "/_sandbox/./health"), ("GET", "/%5Fsandbox/health"), ("GET", "/_sandbox%2Fhealth"),
    ("GET", "//_sandbox/health"), ("GET", "/x/../_sandbox/providers"), ("GET", "/_sandbox/inbox/%2E%2E/providers"),
    ("POST", "/_sandbox/inbox/../reset"), ("POST", "/_sandbox/inbox/%2E%2E/reset"), ("POST", "/%5Fsandbox/reset")])
async def test_no_spelling_of_an_admin_path_skips_the_token(public_client, method, path):
    from yarl import URL
    await public_client.post("/_sandbox/clock/advance", json={"by": "5m"},
                             headers={"X-Sandbox-Token": public_client.token})
    url = URL(str(public_client.make_url("")).rstrip("/") + path, encoded=True)
    async with public_client.session.request(method, url) as resp:
        assert resp.status in (401, 404), (path, resp.status)
    assert public_client.server.app[WORLD].clock.now() != START  # nothing was reset


async def test_the_scenario_client_sends_the_token_from_the_environment(public_client, monkeypatch):
    import aiohttp as _aiohttp

    from mockserver.scenarios.client import SandboxClient, SandboxUnavailable
    base = str(public_client.make_url("")).rstrip("/")
    async with _aiohttp.ClientSession() as session:
        client = SandboxClient(base, session)
        with pytest.raises(SandboxUnavailable, match="401"):
            await client.health()
        monkeypatch.setenv("SANDBOX_ADMIN_TOKEN", public_client.token)
        assert (await client.health())["status"] == "ok"
        assert (await client.reset(seed=3))["seed"] == 3
