"""mockserver serve | contracts (and run, for scenarios).

Each verb imports what it needs when it runs: `--help`, and the verbs that only read files or
talk to a running sandbox over HTTP, start without aiohttp, asyncio or the app (about 0.3 s of
a start; tests/test_startup_imports.py)."""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from .config import SandboxConfig

DRAIN_SECONDS = 30.0   # at most this long for webhook POSTs in flight when SIGTERM comes


def _serve_config(args: argparse.Namespace) -> SandboxConfig:
    from .config import ConfigError, SandboxConfig
    cfg = SandboxConfig.load(args.config) if args.config else SandboxConfig()
    for key in ("host", "port", "provider_ports", "seed", "clock", "speed", "public_url", "self_check",
                "admin_token", "header_timeout", "body_timeout", "idle_timeout", "state", "store"):
        value = getattr(args, key, None)
        if value is not None:
            setattr(cfg, key, value)
    if cfg.admin_token is None and os.environ.get("SANDBOX_ADMIN_TOKEN"):
        cfg.admin_token = os.environ["SANDBOX_ADMIN_TOKEN"]
    if getattr(args, "allowed_hosts", None):
        cfg.allowed_hosts = [*cfg.allowed_hosts, *args.allowed_hosts]
    if args.start:
        cfg = SandboxConfig.from_mapping({**cfg.__dict__, "start": args.start})
    for key in ("header_timeout", "body_timeout", "idle_timeout"):
        if getattr(cfg, key) <= 0:
            raise ConfigError(f"--{key.replace('_', '-')} must be a positive number of seconds")
    if cfg.admin_token is not None and not str(cfg.admin_token).strip():
        raise ConfigError("--admin-token must not be empty")
    if getattr(args, "advertise_url", None) or getattr(args, "lease", None):
        cluster = {**cfg.cluster}
        cluster.update({k: v for k, v in (("advertise_url", args.advertise_url), ("lease", args.lease)) if v})
        cfg.cluster = cluster
    if cfg.store is not None:   # flags are checked as the config file's keys are
        cfg = SandboxConfig.from_mapping({**cfg.__dict__, "retention": cfg.retention.__dict__})
    return cfg


def local_origin(host: str, port: int) -> str:
    """A URL this machine reaches the server at: a wildcard bind (0.0.0.0, ::) is not an address
    to open, its loopback is."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host.strip("[]") == "::":
        host = "::1"
    return f"http://[{host.strip('[]')}]:{port}" if ":" in host else f"http://{host}:{port}"


def banner(app: web.Application, origin: str, *, host: str = "127.0.0.1", token: str | None = None,
           generated: bool = False, links: str | None = None,
           own_origins: dict[str, str] | None = None) -> str:
    """`origin`: where this machine reaches the server; `links`: the origin the printed links
    use (public_url when set, else `origin`); `own_origins`: each provider's own port's origin."""
    from .core.http.context import WORLD
    from .core.http.guard import is_loopback_host
    world = app[WORLD]
    seed = (f"seed {world.seed}" if world.fixed_seed is not None
            else f"seed {world.seed}, drawn: a fresh one on each reset and tenant unless --seed")
    lines = [f"provider-sandbox on {origin}  ({seed}, clock {world.clock.mode}, "
             f"now {world.clock.now().isoformat()})", ""]
    port = origin.rsplit(":", 1)[1]
    origin = (links or origin).rstrip("/")
    for name, provider in world.providers.items():
        merchant = world.backend(name).merchants[0] if world.backend(name).merchants else {}
        info = provider.describe(merchant, origin)
        lines.append(f"  {provider.title:<28} {info['base_url']}")
        real_base = info["base_url"][len(origin) + len(provider.prefix):]
        for own in ([own_origins[name]] if own_origins and name in own_origins else []) + \
                [f"http://{name}.localhost:{port}"]:
            lines.append(f"  {'':<28} also {own}{real_base}")
        lines.append(f"  {'':<28} replaces {info['replaces']}")
        for key, value in info.get("credentials", {}).items():
            lines.append(f"  {'':<28} {key}: {value}")
        lines.append("")
    lines.append(f"  Dashboard                    {origin}/_sandbox/ui/")
    lines.append(f"  Admin API                    {origin}/_sandbox/health")
    if not is_loopback_host(host):
        lines.insert(1, f"  WARNING: listening on {host}, reachable from other machines; the admin API "
                        f"needs the token below.")
    if token:
        how = "generated for this run" if generated else "from config/--admin-token/SANDBOX_ADMIN_TOKEN"
        lines.append(f"  {'':<28} admin token ({how}): send 'Authorization: Bearer {token}' "
                     f"or 'X-Sandbox-Token: {token}'")
        lines.append(f"  {'':<28} browsers (checkout page buttons): open {origin}/_sandbox/login?token={token}")
    return "\n".join(lines)


async def _serve(cfg: SandboxConfig, console: dict | None = None) -> None:
    import asyncio
    import signal

    from aiohttp import web

    from .app import build_app
    from .core.http.console import Console
    from .core.http.guard import check_bind, runner_for
    from .core.http.origins import ORIGINS, serve_provider_ports
    from .core.http.context import WORLD
    from .core.http.runtime import tune_collector
    generated = check_bind(cfg) is not None
    app = build_app(cfg)
    console = console or {}
    runner = runner_for(app, cfg, access_log=None)
    await runner.setup()   # a durable World replays its inputs here, before the console listens
    tune_collector()       # after start-up's objects exist: see core/http/runtime.py
    if console.get("level", 1) > 0:  # -q: not even a listener on the request path
        app[WORLD].journal.subscribe(Console(fmt=console.get("fmt", "text"), level=console.get("level", 1)))
    site = web.TCPSite(runner, cfg.host, cfg.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the real port when --port 0
    origin = local_origin(cfg.host, port)
    app[ORIGINS].main_port = port
    from .core.http.cluster import listening
    await listening(app, cfg.cluster.get("advertise_url") or origin)   # --store: peers may forward here now
    first = cfg.first_provider_port(cfg.port)
    own = await serve_provider_ports(runner, cfg.host, first) if first is not None else None
    if own:   # links to open, as for the main origin: a wildcard bind's loopback
        own = {name: local_origin(cfg.host, int(url.rsplit(":", 1)[1])) for name, url in own.items()}
    text = banner(app, origin, host=cfg.host, token=cfg.admin_token, generated=generated,
                  links=cfg.public_url, own_origins=own)
    if cfg.store:   # the seed line above is this process's; the shared default World keeps its own
        text += ("\n  Shared store                 tenants (the default World is the tenant 'default') kept in "
                 "PostgreSQL, shared with every serve on it; this process: GET /_sandbox/cluster")
    if console.get("fmt") == "json":  # stdout stays pure JSON lines; the banner goes to stderr
        print(text, file=sys.stderr, flush=True)
        print(json.dumps({"kind": "listening", "url": origin, **({"providers": own} if own else {})}),
              flush=True)
    else:
        print(text, flush=True)
    stop = asyncio.Event()
    try:  # SIGTERM: stop taking requests, let webhook POSTs in flight end (and be kept), exit 0
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    except (NotImplementedError, RuntimeError):  # not on this platform or thread
        pass
    try:
        await stop.wait()
        for listening in list(runner.sites):
            await listening.stop()
        await app[WORLD].drain(DRAIN_SECONDS)
        from .core.http.tenants import TENANTS
        if hasattr(app[TENANTS], "drain"):   # --store: every tenant this process serves
            await app[TENANTS].drain(DRAIN_SECONDS)
    finally:
        await runner.cleanup()


def run_loop(main, choice: str = "auto"):
    """Run `main` on uvloop (the `[fast]` extra: a C event loop) when it is installed, unless
    `--loop asyncio`; on asyncio's own loop otherwise. The sandbox answers the same on both;
    uvloop spends a little less CPU per request."""
    import asyncio

    from .config import ConfigError
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                main.close()
                raise ConfigError("--loop uvloop: uvloop is not installed (pip install 'provider-sandbox[fast]')") \
                    from None
        else:
            return uvloop.run(main)
    # asyncio's own loop, whatever event loop policy the process has set
    make_loop = asyncio.DefaultEventLoopPolicy().new_event_loop
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=make_loop) as runner:
            return runner.run(main)
    loop = make_loop()   # Python 3.10: what asyncio.run does, on that loop
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()


def cmd_serve(args: argparse.Namespace) -> int:
    from .config import ConfigError
    try:
        cfg = _serve_config(args)
    except ConfigError as exc:  # a file's errors already say `file:line:`
        print(exc if exc.file else f"config error: {exc}", file=sys.stderr)
        return 2
    from .core.contracts.contract_set import ContractsUnavailable
    from .core.state.store import StateInUse, StoreUnavailable
    try:
        level = 0 if args.quiet else 2 if args.verbose else 1
        run_loop(_serve(cfg, {"fmt": args.log_format, "level": level}), getattr(args, "loop", "auto"))
    except KeyboardInterrupt:
        pass
    except (ContractsUnavailable, StateInUse, StoreUnavailable) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:   # e.g. --state names a file that is not a sandbox's SQLite file
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot listen on {cfg.host}:{cfg.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def cmd_contracts(args: argparse.Namespace) -> int:
    from .core.contracts.contract_set import ContractsUnavailable, load_contracts
    from .providers.registry import provider_names   # not the providers: ~0.35 s of `contracts`
    if args.provider not in provider_names():   # the registry's own list for the message
        from .providers.registry import load_providers
        providers = load_providers()
        if args.provider not in providers:
            print(f"unknown provider {args.provider!r}; known: {', '.join(sorted(providers))}", file=sys.stderr)
            return 2
    try:
        contracts = load_contracts(args.provider)
    except ContractsUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
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


def _version() -> str:
    """The installed distribution's version (pyproject.toml's, once installed)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("provider-sandbox")
    except PackageNotFoundError:
        return "(not installed: run from a source tree)"


class _VersionAction(argparse.Action):
    """--version, reading the installed metadata only when asked (~5 ms of every start otherwise)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"provider-sandbox {_version()}")   # on stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="provider-sandbox")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the sandbox")
    serve.add_argument("--host", help="bind address (default 127.0.0.1); any other address needs the admin "
                       "token (--admin-token, or one is generated and printed)")
    serve.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--provider-ports", dest="provider_ports", nargs="?", const=True, type=int,
                       metavar="FIRST", help="each provider also on a port of its own, at its real paths "
                       "(ports after --port, or from FIRST; free ones with --port 0)")
    serve.add_argument("--config", help="YAML config file")
    serve.add_argument("--seed", type=int, help="seed for ids, addresses and fake data")
    serve.add_argument("--clock", choices=["virtual", "realtime"], help="clock mode (default virtual)")
    serve.add_argument("--speed", type=float, help="realtime speed factor")
    serve.add_argument("--start", help="virtual start instant, ISO 8601")
    serve.add_argument("--self-check", dest="self_check", action="store_true", default=None,
                       help="validate every response and webhook against the contracts too")
    serve.add_argument("--public-url", dest="public_url", help="origin used in checkout URLs")
    serve.add_argument("--admin-token", dest="admin_token",
                       help="token every /_sandbox/ request must carry (Authorization: Bearer or "
                            "X-Sandbox-Token); generated and printed when --host is not loopback; "
                            "default from SANDBOX_ADMIN_TOKEN")
    serve.add_argument("--allowed-host", dest="allowed_hosts", action="append", metavar="NAME",
                       help="also serve requests whose Host is NAME ('.example.com' for subdomains); repeatable")
    serve.add_argument("--header-timeout", dest="header_timeout", type=float,
                       help="seconds a connection may take to send its request headers (default 10)")
    serve.add_argument("--body-timeout", dest="body_timeout", type=float,
                       help="seconds a request's body may take to arrive (default 30)")
    serve.add_argument("--idle-timeout", dest="idle_timeout", type=float,
                       help="seconds a kept-alive connection may stay idle (default 60)")
    serve.add_argument("--state", metavar="PATH",
                       help="keep the world in this SQLite file: everything accepted survives a restart "
                            "(default: in memory, gone when the process ends)")
    serve.add_argument("--store", metavar="URL",
                       help="keep tenants in PostgreSQL (postgresql://USER@HOST:PORT/DB), shared by every "
                            "serve started on it: run several behind a load balancer (README \"A shared sandbox\")")
    serve.add_argument("--advertise-url", dest="advertise_url", metavar="URL",
                       help="with --store: where the other processes reach this one (default http://HOST:PORT)")
    serve.add_argument("--lease", type=float, metavar="SECONDS",
                       help="with --store: a process silent this long loses its tenants to the others (default 10)")
    serve.add_argument("--log-format", dest="log_format", choices=["text", "json"], default="text",
                       help="live console: one text line (default) or JSON line per API call and webhook attempt")
    serve.add_argument("-q", "--quiet", action="store_true", help="no line per API call or webhook attempt")
    serve.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto",
                       help="event loop: uvloop when installed (pip install 'provider-sandbox[fast]'), "
                            "else asyncio's (default auto)")
    serve.add_argument("-v", "--verbose", action="store_true",
                       help="also simulations, clock moves, enqueued and exhausted deliveries")
    serve.set_defaults(func=cmd_serve)
    contracts = sub.add_parser("contracts", help="list contracts or validate JSON files against one")
    contracts.add_argument("provider")
    contracts.add_argument("message", nargs="?", help="contract name, e.g. invoice-create.request")
    contracts.add_argument("files", nargs="*", help="JSON documents to validate")
    contracts.set_defaults(func=cmd_contracts)
    from .openapi_cli import add_openapi_command
    add_openapi_command(sub)
    if importlib.util.find_spec("mockserver.scenarios.cli"):  # the scenario runner adds `run`
        from .scenarios.cli import add_run_command
        add_run_command(sub)
    from .remote import add_commands  # trigger, deliveries, advance: verbs against a running sandbox
    add_commands(sub)
    from .certify.cli import add_certify_command
    add_certify_command(sub)
    return parser


SIGPIPE_STATUS = 128 + 13   # what a shell reports for a writer killed by SIGPIPE (`| head`)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        code = args.func(args)
        sys.stdout.flush()   # here, where a closed pipe can still be handled, not at exit
        return code
    except KeyboardInterrupt:  # Ctrl-C anywhere (even while still importing): a word, not a traceback
        print("interrupted", file=sys.stderr, flush=True)
        return 130
    except BrokenPipeError:    # `mockserver deliveries | head -1`: the reader has what it wanted
        _drop_stdout()
        return SIGPIPE_STATUS


def _drop_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for the closed pipe is dropped when
    Python flushes at exit, instead of a second BrokenPipeError ("Exception ignored...")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):   # stdout replaced by something without a file
        pass


if __name__ == "__main__":
    sys.exit(main())
