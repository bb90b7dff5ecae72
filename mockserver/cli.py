"""mockserver serve | contracts (and run, for scenarios)."""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
from pathlib import Path

from aiohttp import web

from .config import ConfigError, SandboxConfig


def _serve_config(args: argparse.Namespace) -> SandboxConfig:
    cfg = SandboxConfig.load(args.config) if args.config else SandboxConfig()
    for key in ("host", "port", "seed", "clock", "speed", "public_url", "self_check"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(cfg, key, value)
    if args.start:
        cfg = SandboxConfig.from_mapping({**cfg.__dict__, "start": args.start})
    return cfg


def banner(app: web.Application, origin: str) -> str:
    from .core.http import WORLD
    world = app[WORLD]
    lines = [f"provider-sandbox on {origin}  (seed {world.seed}, clock {world.clock.mode}, "
             f"now {world.clock.now().isoformat()})", ""]
    for name, provider in world.providers.items():
        merchant = world.backend(name).merchants[0] if world.backend(name).merchants else {}
        info = provider.describe(merchant, origin)
        lines.append(f"  {provider.title:<28} {info['base_url']}")
        lines.append(f"  {'':<28} replaces {info['replaces']}")
        for key, value in info.get("credentials", {}).items():
            lines.append(f"  {'':<28} {key}: {value}")
        lines.append("")
    lines.append(f"  Admin API                    {origin}/_sandbox/health")
    return "\n".join(lines)


async def _serve(cfg: SandboxConfig) -> None:
    from .app import build_app
    app = build_app(cfg)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, cfg.host, cfg.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the real port when --port 0
    host = cfg.host if ":" not in cfg.host else f"[{cfg.host}]"
    print(banner(app, f"http://{host}:{port}"), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        cfg = _serve_config(args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(cfg))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"cannot listen on {cfg.host}:{cfg.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def cmd_contracts(args: argparse.Namespace) -> int:
    from .core.contracts import load_contracts
    from .providers.registry import load_providers
    providers = load_providers()
    if args.provider not in providers:
        print(f"unknown provider {args.provider!r}; known: {', '.join(sorted(providers))}", file=sys.stderr)
        return 2
    contracts = load_contracts(args.provider)
    if not args.message:
        print("\n".join(contracts.names()))
        return 0
    if args.message not in contracts:
        print(f"no contract {args.provider}/{args.message}; see `mockserver contracts {args.provider}`",
              file=sys.stderr)
        return 2
    failed = 0
    for path in args.files:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read JSON: {exc}")
            failed += 1
            continue
        violations = contracts.validate(args.message, document)
        for v in violations:
            print(f"{path}: {v.instance_path}: {v.message}  [{v.contract}#{v.schema_path}]")
        print(f"{path}: {'FAIL' if violations else 'ok'}")
        failed += bool(violations)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="provider-sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the sandbox")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--config", help="YAML config file")
    serve.add_argument("--seed", type=int, help="seed for ids, addresses and fake data")
    serve.add_argument("--clock", choices=["virtual", "realtime"], help="clock mode (default virtual)")
    serve.add_argument("--speed", type=float, help="realtime speed factor")
    serve.add_argument("--start", help="virtual start instant, ISO 8601")
    serve.add_argument("--self-check", dest="self_check", action="store_true", default=None,
                       help="validate every response and webhook against the contracts too")
    serve.add_argument("--public-url", dest="public_url", help="origin used in checkout URLs")
    serve.set_defaults(func=cmd_serve)
    contracts = sub.add_parser("contracts", help="list contracts or validate JSON files against one")
    contracts.add_argument("provider")
    contracts.add_argument("message", nargs="?", help="contract name, e.g. invoice-create.request")
    contracts.add_argument("files", nargs="*", help="JSON documents to validate")
    contracts.set_defaults(func=cmd_contracts)
    if importlib.util.find_spec("mockserver.scenarios.cli"):  # the scenario runner adds `run`
        from .scenarios.cli import add_run_command
        add_run_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
