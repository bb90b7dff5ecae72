"""build_app(config) -> the sandbox: admin API at /_sandbox, one sub-application per provider."""
from __future__ import annotations

from datetime import datetime

from aiohttp import web

from . import dashboard
from .config import SandboxConfig
from .core import admin, inbox, tenants
from .core import guard as guard_module
from .core.guard import GUARD, Guard, check_bind, guard_middleware
from .core.durable import durable_middleware, replay
from .core.http import WORLD
from .core.store import Store
from .core.world import World
from .providers.registry import load_providers

MAX_BODY = 1024 * 1024  # requests above 1 MiB get the provider's 413 shape


def build_world(config: SandboxConfig, store: Store | None = None, seed: int | None = None,
                start: datetime | None = None) -> World:
    """The World; durable when `store` is given, or when config.state names a SQLite file.
    A tenant's World gives its own store, `seed` and `start` (else the config's)."""
    providers = load_providers()
    settings = {name: config.provider_settings(name, p.default_merchants())
                for name, p in providers.items()}
    if store is None and config.state:
        from .core.store import SQLiteStore
        store = SQLiteStore(config.state)
    kept = store.meta() if store is not None else {}
    # a kept World restarts from its own seed and start, whatever this run's flags say
    seed = kept.get("seed", config.resolved_seed() if seed is None else seed)
    start = datetime.fromisoformat(kept["start"]) if kept.get("start") else (start or config.start)
    world = World(providers=providers, settings=settings, seed=seed,
                  start=start, clock_mode=kept.get("clock", config.clock), speed=config.speed,
                  journal_size=config.journal_size,
                  allow_external_webhooks=config.allow_external_webhooks,
                  public_url=config.public_url, self_check=config.self_check,
                  retention=config.retention, store=store)
    if store is not None and not kept:
        store.set_meta(seed=world.seed, start=world.start.isoformat(), clock=world.clock_mode)
    return world


def build_app(config: SandboxConfig | None = None, world: World | None = None) -> web.Application:
    config = config or SandboxConfig()
    check_bind(config)  # off loopback with no admin token: one is generated (config.admin_token)
    world = world or build_world(config)
    guard = Guard.from_config(config)
    # the guard is outermost: Host allow-list on every route, token and JSON rules on /_sandbox/
    middlewares = [guard_middleware(guard), admin.admin_middleware()]
    if world.durability is not None:   # inside the guard: only what it let through is recorded
        middlewares.insert(1, durable_middleware)
    app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares)
    app[WORLD] = world
    app[GUARD] = guard
    app.add_routes(admin.routes)
    app.add_routes(inbox.routes)
    app.add_routes(guard_module.routes)
    dashboard.setup(app)
    max_tenants, idle = config.tenant_limits()
    tenants.setup(app, tenants.Tenants(lambda seed, start: build_world(config, None, seed, start),
                                       max_tenants=max_tenants, idle_seconds=idle))
    for provider in world.providers.values():
        sub = provider.build_app(world)
        sub[WORLD] = world
        app.add_subapp(provider.prefix, sub)

    async def on_startup(_app: web.Application) -> None:
        if world.durability is not None:
            await replay(app, world)
        world.start_driver()

    async def on_cleanup(_app: web.Application) -> None:
        await world.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
