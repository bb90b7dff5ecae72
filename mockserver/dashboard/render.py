"""Jinja2 environment (built once, on the first page view) and the page/partial renderer."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web

_ENV = None
PARTIAL_HEADER = "X-Dashboard-Partial"   # the live refresh asks for the #live block only


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _short_time(value: str | None) -> str:
    """"2025-01-15T10:30:00+00:00" -> "2025-01-15 10:30:00" (every time shown is virtual UTC)."""
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def env():
    global _ENV
    if _ENV is None:
        import jinja2
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("mockserver.dashboard", "templates"),
            autoescape=True, trim_blocks=True, lstrip_blocks=True)
        _ENV.filters["pretty"] = _pretty
        _ENV.filters["t"] = _short_time
        _ENV.filters["tojson_attr"] = lambda v: json.dumps(v, separators=(",", ":"))
    return _ENV


def page(request: web.Request, template: str, **context: Any) -> web.Response:
    tmpl = env().get_template(template)
    context.setdefault("nav", template.split(".")[0])
    if request.headers.get(PARTIAL_HEADER):
        ctx = tmpl.new_context(context)
        html = "".join(tmpl.blocks["live"](ctx))
    else:
        html = tmpl.render(**context)
    # What pages show comes from outside (webhook bodies, inbox posts): a JSON "\ud800" parses to
    # a lone surrogate, which UTF-8 cannot carry; show it as "?" rather than fail the page.
    return web.Response(body=html.encode("utf-8", "replace"), content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-store"})
