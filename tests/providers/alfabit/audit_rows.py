"""The AlfaBit Pay audit (../shared/audits/alfabit.md), row by row, measured against a running
sandbox: each row's check calls the sandbox over HTTP and compares what comes back with the docs
page or the public client behind the row. A row is `exact` (matches the docs or the clients) or
`labelled` (the docs are silent; the sandbox's choice is marked [A] in docs/providers/alfabit.md,
which must show the same verdict). A failing check counts as `differs`.

    python tests/providers/alfabit/audit_rows.py --server http://127.0.0.1:8080   # a running sandbox
    pytest tests/providers/alfabit/test_alfabit_audit.py                          # in-process

Receivers for callbacks listen on 127.0.0.1 and ::1 of this machine; each row starts from a
reset sandbox (seed 7, 2025-01-15T10:00:00Z). The checks rows 11-105 need are in audit_checks.py.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[3]
DOCS_PAGE = ROOT / "docs" / "providers" / "alfabit.md"
SAMPLE = json.loads((Path(__file__).resolve().parent / "fixtures" / "sample_order.json").read_text("utf-8"))
V1, V2 = "/alfabit/api/v1/integration", "/alfabit/api/v2/integration"
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
ROWS: dict[int, tuple[str, str, Callable[["Probe"], Awaitable[None]]]] = {}
# the audit's "missing" rows: a check of one of them that fails counts as missing, any other as differs
WERE_MISSING = frozenset({16, 18, 23, 24, 25, 35, 41, 62, 63, 75, 81})


def row(number: int, verdict: str, behaviour: str):
    """Register a row's check; `verdict` is what the row is when the check holds."""
    assert verdict in ("exact", "labelled")

    def register(check):
        ROWS[number] = (verdict, behaviour, check)
        return check
    return register


class Hook:
    """A callback receiver on a real socket: records peer, method, headers and body; answers as scripted."""

    def __init__(self, replies=(200,)):
        self.replies, self.seen = list(replies), []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append({"peer": request.remote, "method": request.method, "headers": dict(request.headers),
                          "body": await request.read(), "path": request.path})
        status = self.replies[min(len(self.seen), len(self.replies)) - 1]
        return web.Response(status=status, text="OK")

    def json(self, index: int = -1) -> dict:
        return json.loads(self.seen[index]["body"])

    def statuses(self) -> list[str]:
        return [json.loads(s["body"])["status"] for s in self.seen]


class Probe:
    """The merchant's client and the tester's admin hands, over HTTP only."""

    def __init__(self, session: aiohttp.ClientSession, base: str):
        self.session, self.base = session, base.rstrip("/")
        self.key = ""
        self.merchant: dict = {}
        self.hooks: list[Hook] = []

    async def reset(self) -> None:
        await self.admin("POST", "/reset", {"seed": 7, "start": "2025-01-15T10:00:00Z"})
        await self.admin("DELETE", "/faults")
        self.merchant = (await self.admin("GET", "/providers"))["alfabit"]["merchants"][0]
        self.key = self.merchant["api_key"]

    async def admin(self, method: str, path: str, body=None, expect: int | None = 200):
        async with self.session.request(method, self.base + "/_sandbox" + path, json=body) as resp:
            out = await resp.json()
            assert expect is None or resp.status == expect, (path, resp.status, out)
            return out

    async def api(self, method: str, path: str, body=None, *, raw: bytes | None = None,
                  headers: dict | None = None, key: bool = True) -> tuple[int, dict]:
        hdrs = {"x-api-key": self.key} if key else {}
        if body is not None:
            raw, hdrs["Content-Type"] = json.dumps(body).encode(), "application/json"
        hdrs.update(headers or {})
        async with self.session.request(method, self.base + path, data=raw, headers=hdrs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, {"text": text, "content_type": resp.content_type}

    async def ok(self, method: str, path: str, body=None, status: int | None = None):
        code, answer = await self.api(method, path, body)
        assert answer.get("message") == "ok" and (status is None or code == status), (path, code, answer)
        return answer["data"]

    async def invoice(self, currency: str = "USDTTRC20", amount: str | None = "10", **extra) -> dict:
        if amount is None:
            return await self.ok("POST", V1 + "/orders/invoice/without-amount", {"currencyInCode": currency, **extra})
        return await self.ok("POST", V1 + "/orders/invoice", {"currencyInCode": currency, "invoiceAmount": amount,
                                                              **extra})

    async def order(self, uid: str) -> dict:
        return await self.ok("GET", f"{V1}/orders/{uid}")

    async def sim(self, verb: str, expect: int | None = 200, **params):
        return await self.admin("POST", f"/simulate/alfabit/{verb}", params, expect=expect)

    async def advance(self, by: str) -> None:
        await self.admin("POST", "/clock/advance", {"by": by})

    async def set(self, **settings) -> None:
        await self.admin("PATCH", "/providers/alfabit/merchant", settings)

    async def hook(self, replies=(200,), host: str = "127.0.0.1", merchant: bool = True) -> Hook:
        hook = Hook(replies)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", hook.handle)
        hook.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await hook.runner.setup()
        site = web.TCPSite(hook.runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        hook.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/cb"
        self.hooks.append(hook)
        if merchant:
            await self.set(webhook_url=hook.url)
        return hook

    async def close_hooks(self) -> None:
        for hook in self.hooks:
            await hook.runner.cleanup()
        self.hooks = []


def docs_verdicts() -> dict[int, str]:
    """Row number -> verdict, from the docs page's table "documented -> sandbox -> source"."""
    verdicts = {}
    for line in DOCS_PAGE.read_text("utf-8").splitlines():
        match = re.match(r"\|\s*(\d+)\s*\|.*\|\s*(exact|labelled)\s*\|\s*$", line)
        if match:
            verdicts[int(match.group(1))] = match.group(2)
    return verdicts


async def measure(base: str, only: list[int] | None = None, out=sys.stdout) -> dict[int, str]:
    """Run every row's check; row -> exact | labelled | differs | missing (a check that failed)."""
    import audit_checks  # noqa: F401 - importing it registers every row's check
    results: dict[int, str] = {}
    documented = docs_verdicts()
    async with aiohttp.ClientSession(trust_env=False) as session:
        probe = Probe(session, base)
        for number in sorted(ROWS):
            if only and number not in only:
                continue
            verdict, behaviour, check = ROWS[number]
            await probe.reset()
            try:
                await check(probe)
                problem = None if documented.get(number) == verdict else \
                    f"docs page says {documented.get(number)!r}, the check measures {verdict!r}"
            except Exception as exc:   # noqa: BLE001 - a row that does not hold is reported, not raised
                problem = f"{type(exc).__name__}: {exc}"[:300] or traceback.format_exc(limit=1)
            finally:
                await probe.close_hooks()
            results[number] = verdict if not problem else ("missing" if number in WERE_MISSING else "differs")
            print(f"{number:>3}  {results[number]:<9} {behaviour}" + (f"\n       {problem}" if problem else ""),
                  file=out)
    counts = Counter(results.values())
    print(f"\n{len(results)} rows: exact {counts['exact']}, differs {counts['differs']}, missing {counts['missing']}, "
          f"labelled {counts['labelled']}, unlabelled {len(set(range(1, 106)) - set(documented))}", file=out)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="http://127.0.0.1:8080", help="the running sandbox's origin")
    parser.add_argument("rows", nargs="*", type=int, help="only these rows")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import audit_rows   # the checks register into the importable module, not into __main__
    results = asyncio.run(audit_rows.measure(args.server, args.rows))
    return 0 if not {"differs", "missing"} & set(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
