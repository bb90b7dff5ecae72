"""`mockserver openapi PROVIDER [-o FILE] [--url ORIGIN]`: the provider's OpenAPI 3.1 document,
the same one `GET /_sandbox/openapi/PROVIDER.json` serves (core/contracts/openapi.py builds both)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def cmd_openapi(args: argparse.Namespace) -> int:
    from .app import build_app
    from .config import SandboxConfig
    from .core.http.context import WORLD
    from .core.contracts.openapi import spec_for

    app = build_app(SandboxConfig())
    world = app[WORLD]
    if args.provider not in world.providers:
        print(f"unknown provider {args.provider!r}; known: {', '.join(sorted(world.providers))}",
              file=sys.stderr)
        return 2
    text = json.dumps(spec_for(app, world, args.provider, args.url), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def add_openapi_command(sub) -> None:
    parser = sub.add_parser("openapi", help="print a provider's OpenAPI 3.1 document")
    parser.add_argument("provider")
    parser.add_argument("-o", "--output", help="write to FILE instead of standard output")
    parser.add_argument("--url", default="http://127.0.0.1:8080",
                        help="the sandbox's origin, for the document's server URL (default %(default)s)")
    parser.set_defaults(func=cmd_openapi)
