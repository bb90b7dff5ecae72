"""The dashboard: the whole sandbox in a browser at `/` and `/_sandbox/ui/`.

Server-rendered HTML (Jinja2, loaded on the first page view so `mockserver serve` starts as fast
as before), a little vanilla JS, and live updates over server-sent events. It reads the World
and the providers' dashboard hooks (`objects`, `object_view`, `simulation_params`); it knows no
provider facts. Its writes are the admin API's own routes, called with JSON like any client.
"""
from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    from . import routes
    app[routes.CLOSING] = {"closed": False}
    app.add_routes(routes.routes)
    app.on_shutdown.append(routes.close_streams)
