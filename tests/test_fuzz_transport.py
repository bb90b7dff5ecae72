"""Headers and transport are input too (issue 23), as a property: Hypothesis draws raw requests
and sends them on a real socket to the sandbox served as `mockserver serve` serves it (the
guarded runner): lying or stacked Content-Encoding, Transfer-Encoding beside Content-Length, a
Content-Length that disagrees with the body, duplicate auth headers, charset parameters,
oversized and non-ASCII headers, Expect: 100-continue, HTTP/1.0, pipelined requests and a client
that stops reading. Every answer is a success (the request was valid), the provider's own error
shape with a 4xx, the guard's JSON 400 for bytes no route can be chosen for, or a clean close;
never a 5xx, never a traceback in the log, never an exception in the World's journal; the server
answers a health check after each. The one-shot cases are in tests/test_transport_edges.py.

`make test` sends 150 requests; `make fuzz` SANDBOX_TRANSPORT_EXAMPLES (report in
SANDBOX_FUZZ_REPORT)."""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
import os
from collections import Counter

from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mockserver.app import build_app
from mockserver.config import SandboxConfig
from mockserver.core.http.context import WORLD
from mockserver.core.http.guard import runner_for
from sandbox_harness import problems
from test_transport_edges import BODY, SHAPES

EXAMPLES = int(os.environ.get("SANDBOX_TRANSPORT_EXAMPLES", "150"))
GUARD = lambda j: set(j) == {"error"} and isinstance(j["error"], dict) and "message" in j["error"]   # noqa: E731
PARTS = ["lying_encoding", "stacked_encoding", "real_gzip", "te_and_cl", "short_length", "long_length",
         "duplicate_auth", "charset", "oversized_header", "non_ascii_header", "expect_continue", "http10",
         "pipelined", "stops_reading", "junk_body"]
# what makes the bytes malformed HTTP (the guard answers, not the provider)
MALFORMED = {"te_and_cl", "oversized_header", "short_length", "long_length"}


HUNG = b"(no answer and no close within 5 s)"


class Sandbox:
    """The guarded server on a loop of its own, and a log handler catching tracebacks."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.config = SandboxConfig(seed=5, body_timeout=0.2, header_timeout=1)
        self.app = build_app(self.config)
        self.runner = runner_for(self.app, self.config, access_log=None, shutdown_timeout=0.2)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.tracebacks: list[str] = []
        self.handler = logging.Handler(logging.DEBUG)
        self.handler.emit = lambda r: self.tracebacks.append(r.getMessage()) if r.exc_info else None
        logging.getLogger().addHandler(self.handler)
        self.tally: Counter = Counter()

    def close(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    async def exchange(self, data: bytes, *, read: bool = True) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(data)
            await writer.drain()
            if not read:              # a client that stops reading: it leaves without the answer
                await asyncio.sleep(0)
                return b""
            try:
                return await asyncio.wait_for(reader.read(), 5)
            except ConnectionError:
                return b""
            except asyncio.TimeoutError:
                return HUNG
        finally:
            writer.close()


def _responses(raw: bytes) -> list[tuple[int, bytes]]:
    """(status, body) of each response in `raw`, interim 1xx skipped; a cut tail is dropped."""
    out = []
    while raw:
        head, sep, rest = raw.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                       if line.lower().startswith(b"content-length:")), None)
        if 100 <= status < 200:
            raw = rest
            continue
        body, raw = (rest[:length], rest[length:]) if length is not None else (rest, b"")
        out.append((status, body))
    return out


@st.composite
def requests(draw):
    who = draw(st.sampled_from(sorted(SHAPES)))
    path, auth, _shaped = SHAPES[who]
    parts = set(draw(st.lists(st.sampled_from(PARTS), max_size=3, unique=True)))
    if "long_length" in parts and draw(st.integers(0, 3)):      # each one waits for the body deadline
        parts.discard("long_length")
    body = BODY if "junk_body" not in parts else draw(st.binary(max_size=64))
    if "real_gzip" in parts:
        body = gzip.compress(body)
    headers = [("Host", "127.0.0.1"), ("Content-Type", "application/json" + ("; charset=" + draw(
        st.sampled_from(["utf-8", "UTF-8", "latin-1", "utf-16", "x-junk", '"utf-8"'])) if "charset" in parts else ""))]
    headers += list(auth.items())
    if "duplicate_auth" in parts:
        headers += [(k, v + "x") for k, v in auth.items()] or [("Authorization", "Bearer a:b")]
    if "lying_encoding" in parts or "real_gzip" in parts:
        headers.append(("Content-Encoding", draw(st.sampled_from(["gzip", "deflate", "br", "zstd", "compress", "x-y"]))))
    if "stacked_encoding" in parts:
        headers.append(("Content-Encoding", draw(st.sampled_from(["gzip, gzip", "identity, gzip", "gzip,deflate"]))))
    length = len(body) + (-1 if "short_length" in parts and body else 7 if "long_length" in parts else 0)
    headers.append(("Content-Length", str(length)))
    if "te_and_cl" in parts:
        headers.append(("Transfer-Encoding", "chunked"))
    if "oversized_header" in parts:
        headers.append(("X-Padding", "a" * draw(st.integers(8200, 20000))))
    if "non_ascii_header" in parts:
        headers.append(("X-Note", draw(st.sampled_from(["é", "日本", "\u00ff\u00fe", "Ωmega"]))))
    if "expect_continue" in parts:
        headers.append(("Expect", "100-continue"))
    version = "HTTP/1.0" if "http10" in parts else "HTTP/1.1"
    if not ({"pipelined"} & parts):
        headers.append(("Connection", "close"))
    head = f"POST {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    one = head.encode("utf-8") + body
    if "pipelined" in parts:      # a second request after the first, in the same write
        one += (f"GET /_sandbox/health {version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").encode()
    return who, parts, one


def test_hostile_transport_gets_a_4xx_in_the_providers_shape_or_a_clean_close():
    sandbox = Sandbox()
    world = sandbox.app[WORLD]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def one(request):
        who, parts, data = request
        sandbox.tally["requests"] += 1
        raw = sandbox.loop.run_until_complete(sandbox.exchange(data, read="stops_reading" not in parts))
        assert raw != HUNG, (who, sorted(parts), HUNG, data[:400])
        answers = _responses(raw)
        sandbox.tally["closed" if not answers else "answered"] += 1
        for n, (status, body) in enumerate(answers):
            sandbox.tally[status] += 1
            assert status < 500, (who, sorted(parts), status, body[:300], data[:300])
            if status >= 400:
                answer = json.loads(body)
                # the guard answers bytes no route can be chosen for: malformed HTTP, or what
                # follows a request that closes the connection (HTTP/1.0) in the same write
                guarded = parts & MALFORMED or who == "admin" or n > 0 or {"http10", "pipelined"} <= parts
                assert SHAPES[who][2](answer) or (GUARD(answer) and guarded), \
                    (who, sorted(parts), status, answer)
        assert not sandbox.tracebacks, (who, sorted(parts), sandbox.tracebacks[:3])
        found = problems(world)
        assert not found, (who, sorted(parts), found[:3])
        alive = _responses(sandbox.loop.run_until_complete(sandbox.exchange(
            b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")))
        assert alive and alive[0][0] == 200

    try:
        one()
    finally:
        sandbox.close()
    line = f"transport: {dict(sandbox.tally)}"
    print("\n" + line)
    report = os.environ.get("SANDBOX_FUZZ_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def test_a_refused_request_whose_body_never_completes_is_closed_at_the_body_deadline():
    """Found by the property above: a 415 (or 421) answered before the body was read left the
    connection open for aiohttp's 10 s lingering drain; it closes within body_timeout now."""
    sandbox = Sandbox()
    try:
        path, auth, shaped = SHAPES["cryptopayment"]
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in auth.items())
                + f"Content-Length: {len(BODY) + 7}\r\nConnection: close\r\n\r\n").encode()
        started = sandbox.loop.time()
        raw = sandbox.loop.run_until_complete(sandbox.exchange(head + BODY))
        assert raw != HUNG and sandbox.loop.time() - started < 3
        [(status, body)] = _responses(raw) or [(0, raw)]
        assert 400 <= status < 500 and shaped(json.loads(body)), (status, body)
    finally:
        sandbox.close()
