"""`mockserver run FILE_OR_DIR...`: run scenarios, print each step, optionally write JUnit XML."""
from __future__ import annotations

import argparse
import json
import sys


def add_run_command(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run YAML scenarios (in-process on the virtual clock, or --server URL)",
                         description="Run scenario files; exit code 0 only when every scenario passed.")
    run.add_argument("paths", nargs="*", metavar="FILE_OR_DIR", help="scenario files or folders of *.yaml")
    run.add_argument("--library", nargs="?", const="", action="append", default=[], metavar="PROVIDER",
                     help="the scenario library shipped with the package (one provider's stories "
                          "with PROVIDER; repeatable)")
    run.add_argument("--server", metavar="URL", help="a running sandbox (default: start one in-process)")
    run.add_argument("--tenant", metavar="NAME",
                     help="run in this tenant's world of the sandbox (/t/NAME/...), resetting only it "
                          "(default with --server: a fresh tenant of the run's own)")
    run.add_argument("--default-world", dest="default_world", action="store_true",
                     help="with --server: run in the sandbox's default world, resetting it (a recording "
                          "made there replays there exactly)")
    run.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here")
    run.add_argument("--tag", action="append", default=[], help="only scenarios with this tag (repeatable)")
    run.add_argument("-q", "--quiet", action="store_true", help="one line per passing scenario")
    run.add_argument("--schema", action="store_true", help="print the scenario file JSON Schema and exit")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from .schema import SCHEMA   # here, not at import: `serve` and `--help` never need them
    if args.schema:   # the schema alone: no runner, no aiohttp
        print(json.dumps(SCHEMA, indent=2))
        return 0
    import asyncio

    from .report import summary, write_junit
    from .runner import load_all, run_all
    if args.library:
        from ..core.basics.bundled import scenarios_root
        root = scenarios_root()
        known = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        unknown = [name for name in args.library if name and name not in known]
        if unknown or not known:
            print(f"mockserver run: no library stories for {', '.join(unknown) or 'any provider'} in {root}; "
                  f"known: {', '.join(known) or 'none'}", file=sys.stderr)
            return 2
        args.paths = [*args.paths, *(str(root / name) if name else str(root) for name in args.library)]
    if not args.paths:
        print("mockserver run: name at least one scenario file or folder (or --library)", file=sys.stderr)
        return 2
    scenarios, broken = load_all(args.paths, args.tag)
    for result in broken:
        print(result.text(), flush=True)

    live = not args.quiet  # steps stream as they run; -q waits for each scenario's end

    def start(scenario) -> None:
        print(f"RUN   {scenario.name}  ({scenario.file})", flush=True)

    def step(scenario, outcome) -> None:
        print(outcome.text(), flush=True)

    def show(result) -> None:
        print(result.text(verbose=not args.quiet, steps=not live), flush=True)

    def note(scenario, text: str) -> None:
        print(f"      ... {text}", flush=True)

    fate: list[str] = []   # what became of the run's own tenant, said after the summary

    def tenant(name: str, event: str) -> None:
        where = f"{args.server.rstrip('/')}/t/{name}"
        if event == "created":
            print(f"running in a fresh tenant {name} ({where}): the sandbox's other worlds are left as they are; "
                  f"deleted if every scenario passes, kept for a look if one fails", flush=True)
        elif event == "kept":
            fate.append(f"tenant {name} kept: its deliveries and journal at {where}/_sandbox/ui/ "
                        f"(DELETE {args.server.rstrip('/')}/_sandbox/tenants/{name} when done)")
        else:
            fate.append(f"tenant {name} deleted")

    from ..core.contracts.contract_set import ContractsUnavailable
    from .client import SandboxUnavailable, SandboxUnreachable
    try:
        if args.default_world and args.tenant:
            print("mockserver run: --default-world or --tenant, not both", file=sys.stderr)
            return 2
        results = asyncio.run(run_all(scenarios, server=args.server, on_result=show,
                                      on_start=start if live else None,
                                      on_step=step if live else None,
                                      tenant="" if args.default_world else args.tenant, on_note=note,
                                      on_tenant=tenant)) if scenarios else []
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        return 130
    except ContractsUnavailable as exc:  # the in-process sandbox cannot start without them
        print(f"cannot start the sandbox: {exc}", file=sys.stderr)
        return 2
    except SandboxUnreachable as exc:    # one line, not one failure per scenario
        print(f"mockserver run: no sandbox at {args.server} ({exc.reason}; from --server): start one "
              f"with `mockserver serve`, or leave out --server to run in-process", file=sys.stderr)
        return 1
    except SandboxUnavailable as exc:    # e.g. its admin token is wanted (SANDBOX_ADMIN_TOKEN)
        print(f"mockserver run: sandbox at {args.server}: {exc}", file=sys.stderr)
        return 1
    everything = broken + results
    if not everything:
        print("no scenarios found" + (f" with tag(s) {', '.join(args.tag)}" if args.tag else ""), file=sys.stderr)
        return 2
    print(summary(everything))
    if args.junit:
        write_junit(everything, args.junit)
        print(f"JUnit report: {args.junit}")
    for line in fate:
        print(line)
    if broken:
        return 2
    return 0 if all(r.ok for r in results) else 1
