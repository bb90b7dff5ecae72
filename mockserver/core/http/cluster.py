"""Joining the other sandbox processes on a PostgreSQL store (core/state/cluster.py) at the
HTTP edge: connect at start-up, say where this process listens, leave at shutdown, and
`GET /_sandbox/cluster`: this process and its peers, for a load balancer's health check.
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .jsonio import json_response
from .tenants import TENANTS

CLUSTER: web.AppKey = web.AppKey("cluster", object)
routes = web.RouteTableDef()


class Joined:
    """Filled at start-up: the cluster (this process among the others) once connected."""
    cluster: Any = None


def join(app: web.Application, registry: Any, origins: Any, config: Any) -> None:
    """`registry` (SharedTenants) gets its cluster at start-up, `origins` the default tenant's
    rewrite (set already) and the secret that proves a peer's forwarded request."""
    joined = app[CLUSTER] = Joined()
    app.add_routes(routes)

    async def on_startup(_app: web.Application) -> None:
        from ..state.cluster import Cluster
        from ..state.pgstore import Database
        from ..state.store import StoreUnavailable
        try:
            db = await Database.connect(config.store)
        except Exception as exc:  # noqa: BLE001 - refused, absent, bad credentials, no driver
            raise StoreUnavailable(config.store, exc) from None
        settings = config.cluster
        cluster = Cluster(db, settings.get("advertise_url") or "", settings["lease"],
                          default_tenant=origins.default_tenant)
        registry.attach(cluster)
        origins.secret = db.secret
        await cluster.start()
        joined.cluster = cluster

    async def on_cleanup(_app: web.Application) -> None:
        if joined.cluster is not None:
            await joined.cluster.close()
            await joined.cluster.db.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)


async def listening(app: web.Application, origin: str) -> None:
    """`serve` knows its port: peers may forward here now, and the tenants of processes that are
    gone are adopted (those of an earlier run of this one included)."""
    joined = app.get(CLUSTER)
    if joined is None or joined.cluster is None:
        return
    if not joined.cluster.url:
        await joined.cluster.set_url(origin)
    asyncio.get_running_loop().create_task(joined.cluster.sweep())


@routes.get("/_sandbox/cluster")
async def cluster_view(request: web.Request) -> web.Response:
    cluster = request.app[CLUSTER].cluster
    return json_response({"id": cluster.id, "url": cluster.url, "lease_seconds": cluster.lease,
                          "serving": cluster.valid(), "tenants": request.app[TENANTS].loaded(),
                          "processes": await cluster.nodes()})
