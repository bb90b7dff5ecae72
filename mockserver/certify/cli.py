"""`mockserver certify PROVIDER --handler URL`: the battery against a merchant's webhook handler."""
from __future__ import annotations

import argparse
import os
import sys


def add_certify_command(sub: argparse._SubParsersAction) -> None:
    cert = sub.add_parser(
        "certify", help="check a merchant's webhook handler against what production sends it",
        description="Drive the handler at URL through a battery of deliveries (genuine, forged, stale, "
                    "duplicated, out of order, re-serialised, about unknown objects), each with the verdict "
                    "a production-safe handler gives; one line per check and a score. Exit status 0 only "
                    "when every check passes.")
    cert.add_argument("provider")
    cert.add_argument("--handler", required=True, metavar="URL", help="the merchant's webhook endpoint")
    cert.add_argument("--server", metavar="URL",
                      help="the sandbox the merchant's app uses (default $SANDBOX_URL; neither: one in-process)")
    cert.add_argument("--tenant", metavar="NAME", help="that sandbox's tenant (default $SANDBOX_TENANT)")
    cert.add_argument("--object", action="append", default=[], metavar="ID",
                      help="an object your app created through the provider API (its id or your reference); "
                           "repeatable: the battery runs once per object")
    cert.add_argument("--wait-for-create", dest="wait", nargs="?", const=120.0, type=float, metavar="SECONDS",
                      help="wait (default 120 s) until your app creates an object, and use that one")
    cert.add_argument("--state-url", dest="state_url", metavar="URL",
                      help="where your app shows its view of the object ({id}: the provider's id, "
                           "{reference}: your own): duplicates must not change it, stale events not move it back")
    cert.add_argument("--merchant", type=int, default=0, help="the sandbox merchant's index (default 0)")
    cert.add_argument("--junit", metavar="FILE", help="write one JUnit testcase per check here")
    cert.set_defaults(func=cmd_certify)


async def _run(args: argparse.Namespace) -> int:
    from mockserver.scenarios.client import SandboxClient, tenant_url
    from mockserver.scenarios.runner import InProcessSandbox, client_session

    from .objects import CertifyError
    from .report import line, score, write_junit
    from .run import certify
    server = args.server or os.environ.get("SANDBOX_URL") or None
    tenant = args.tenant or os.environ.get("SANDBOX_TENANT") or None
    sandbox = None
    try:
        if server is None:
            sandbox = InProcessSandbox()
            server = await sandbox.start()
            where = f"an in-process sandbox at {server}"
        else:
            where = f"the sandbox at {server}"
        async with client_session() as session:
            client = SandboxClient(tenant_url(server, tenant), session)
            await client.health()
            print(f"certify {args.provider}: handler {args.handler}, {where}" + (f", tenant {tenant}" if tenant else ""),
                  flush=True)
            many = len(args.object) > 1
            try:
                _, results = await certify(
                    client, args.provider, args.handler, objects=args.object, wait_seconds=args.wait,
                    state_url=args.state_url, merchant_index=args.merchant,
                    say=lambda text: print(text, flush=True),
                    on_result=lambda result: print(line(result, many), flush=True))
            except CertifyError as exc:
                print(f"mockserver certify: {exc}", file=sys.stderr)
                return 2
    finally:
        if sandbox is not None:
            await sandbox.close()
    print(score(results))
    if args.junit:
        write_junit(results, args.junit, args.provider, args.handler)
        print(f"JUnit report: {args.junit}")
    return 0 if results and all(r.ok for r in results) else 1


def _handler_problem(url: str) -> str | None:
    """Why --handler is not a URL a webhook can be posted to, or None."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "an absolute http:// or https:// URL is needed, e.g. http://127.0.0.1:9000/webhooks"
    return None


def cmd_certify(args: argparse.Namespace) -> int:
    import asyncio   # here, not at import: `--help` and the other verbs never need it

    from mockserver.scenarios.client import SandboxUnavailable, SandboxUnreachable
    problem = _handler_problem(args.handler)
    if problem:
        print(f"mockserver certify: --handler {args.handler!r} is not usable: {problem}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return 130
    except SandboxUnreachable as exc:
        print(f"mockserver certify: no sandbox at {exc.origin} ({exc.reason}): start one with "
              f"`mockserver serve`, or leave out --server/SANDBOX_URL to certify in-process", file=sys.stderr)
        return 1
    except SandboxUnavailable as exc:
        print(f"mockserver certify: {exc}", file=sys.stderr)
        return 1
