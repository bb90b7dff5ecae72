"""build_app(config) -> the sandbox: admin API at /_sandbox, one sub-application per provider."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import datetime
from pathlib import Path

from aiohttp import web

from . import dashboard
from .config import ConfigError, SandboxConfig
from .core.http import admin, chain_admin, inbox, origins, recording, tenants
from .core.http import guard as guard_module
from .core.http.context import WORLD
from .core.http.durable import durable_middleware, replay
from .core.http.recorder import recording_middleware
from .core.http.guard import GUARD, Guard, check_bind, guard_middleware
from .core.http.middleware import BODY_TIMEOUT
from .core.state.store import Store
from .core.state.tenants import Tenants
from .core.state.world import World
from .providers.registry import load_providers

MAX_BODY = 1024 * 1024  # requests above 1 MiB get the provider's 413 shape
DEFAULT_TENANT = "default"   # --store: the default World is this tenant, shared by every process
log = logging.getLogger(__name__)


def tenant_states(config: SandboxConfig) -> Path | None:
    """With `--state PATH`, each tenant is kept in its own SQLite file under PATH.tenants/."""
    return Path(f"{config.state}.tenants") if config.state else None


def _tenant_world(config: SandboxConfig, app: web.Application, name: str, seed: int | None,
                  start: datetime | None, store: Store | None) -> World:
    if seed is None and config.seed is not None and name != DEFAULT_TENANT:
        seed = tenant_seed(config.seed, name)
    world = build_world(config, store, seed, start)
    # the live console (and any other listener of the default World) sees tenants too, tagged
    world.journal_listeners.extend(_tagged(listener, name) for listener in app[WORLD].journal_listeners)
    world.journal.announce("tenant.created", None, seed=world.seed,
                           seed_source="fixed" if world.fixed_seed is not None else "fresh")
    return world


def _shared_registry(config: SandboxConfig, app: web.Application) -> Tenants:
    """--store: tenants (the default World among them, as the tenant "default") kept in
    PostgreSQL and shared by every process on it; the cluster joins at start-up."""
    from .core.state.shared_tenants import SharedTenants

    async def on_create(name: str, world: World) -> None:
        await replay(app, world, tenant_prefix=f"{tenants.PREFIX}/{name}")

    max_tenants, idle = config.tenant_limits()
    return SharedTenants(lambda name, seed, start, store: _tenant_world(config, app, name, seed, start, store),
                         None, max_tenants=max_tenants, idle_seconds=idle, on_create=on_create)


def _registry(config: SandboxConfig, app: web.Application) -> Tenants:
    """Tenants built like the default World; durable (own store, replayed) when --state is set."""
    if config.store:
        return _shared_registry(config, app)
    states = tenant_states(config)

    def factory(name: str, seed: int | None, start: datetime | None) -> World:
        store = None
        if states is not None:
            from .core.state.store import SQLiteStore
            states.mkdir(parents=True, exist_ok=True)
            store = SQLiteStore(states / f"{name}.db")
        return _tenant_world(config, app, name, seed, start, store)

    async def on_create(name: str, world: World) -> None:
        if world.durability is not None:
            await replay(app, world, tenant_prefix=f"{tenants.PREFIX}/{name}")

    async def on_delete(name: str, world: World) -> None:
        if states is not None:   # a deleted (or expired) tenant does not come back on restart
            await asyncio.to_thread(lambda: [p.unlink(missing_ok=True)
                                             for p in states.glob(f"{name}.db*")])

    max_tenants, idle = config.tenant_limits()
    return Tenants(factory, max_tenants=max_tenants, idle_seconds=idle,
                           on_create=on_create, on_delete=on_delete)


def tenant_seed(server_seed: int, name: str) -> int:
    """A tenant's seed when the server has a fixed one and the tenant was given none: the same
    for the same server seed and tenant name (reproducible), another for another name (two
    tenants never share ids)."""
    digest = hashlib.sha256(f"{server_seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF


def _tagged(listener, name: str):
    def tagged(entry: dict) -> None:
        listener({**entry, "tenant": name})
    return tagged


async def restore_tenants(config: SandboxConfig, registry: Tenants) -> None:
    """At start-up: every tenant kept under PATH.tenants/, replayed one after the other."""
    states = tenant_states(config)
    names = sorted(p.stem for p in states.glob("*.db")) if states is not None and states.is_dir() else []
    for name in names:
        try:
            await registry.create(name)
        except Exception as exc:  # noqa: BLE001 - one tenant that cannot come back must not stop the rest
            log.error("tenant %s not restored: %s", name, exc)


def build_world(config: SandboxConfig, store: Store | None = None, seed: int | None = None,
                start: datetime | None = None) -> World:
    """The World; durable when `store` is given, or when config.state names a SQLite file.
    A tenant's World gives its own store, `seed` and `start` (else the config's)."""
    providers = load_providers()
    settings = {name: config.provider_settings(name, p.default_merchants())
                for name, p in providers.items()}
    if store is None and config.state:
        import sqlite3

        from .core.state.store import SQLiteStore, StateInUse
        try:
            store = SQLiteStore(config.state)
        except StateInUse:
            raise
        except (ValueError, OSError, sqlite3.Error) as exc:
            raise ConfigError(f"state {config.state}: {exc}") from None
    kept = store.meta() if store is not None else {}
    if kept:   # a kept World restarts from its own seed and start, whatever this run's flags say
        # (a file from before seed_fixed was kept: its resets replayed the same seed)
        seed, fixed = kept["seed"], kept.get("seed_fixed", True)
    elif seed is not None or config.seed is not None:
        seed, fixed = (config.seed if seed is None else seed), True
    else:      # no seed asked for: a fresh one (printed and served), and fresh ones on reset
        seed, fixed = secrets.randbelow(2**31), False
    start = datetime.fromisoformat(kept["start"]) if kept.get("start") else (start or config.start)
    world = World(providers=providers, settings=settings, seed=seed, seed_fixed=fixed,
                  start=start, clock_mode=kept.get("clock", config.clock), speed=config.speed,
                  journal_size=config.journal_size,
                  allow_external_webhooks=config.allow_external_webhooks,
                  public_url=config.public_url, self_check=config.self_check,
                  retention=config.retention, store=store)
    if store is not None and not kept:
        store.set_meta(seed=world.seed, seed_fixed=fixed, start=world.start.isoformat(),
                       clock=world.clock_mode)
    return world


def build_app(config: SandboxConfig | None = None, world: World | None = None) -> web.Application:
    config = config or SandboxConfig()
    check_bind(config)  # off loopback with no admin token: one is generated (config.admin_token)
    world = world or build_world(config)
    guard = Guard.from_config(config)
    # the guard is outermost: Host allow-list on every route, token and JSON rules on /_sandbox/
    # the recorder inside the guard too: what it refused never reached the World
    middlewares = [guard_middleware(guard), recording_middleware, origins.origin_middleware,
                   admin.admin_middleware()]
    if world.durability is not None or config.store:   # inside the guard: only what it let through is recorded
        middlewares.insert(1, durable_middleware)
    # auto_decompress off: a signature covers the bytes that arrived, and a body the client
    # compressed is refused in the provider's shape (middleware.refused_encoding), never inflated
    app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares,
                          handler_args={"auto_decompress": False})
    app[BODY_TIMEOUT] = float(config.body_timeout)
    # each provider also at its real paths on its own origin (a port of its own, <name>.localhost)
    own = origins.Origins({name: p.prefix for name, p in world.providers.items()},
                          default_tenant=DEFAULT_TENANT if config.store else None)
    origins.install(app, own)
    app[WORLD] = world
    app[GUARD] = guard
    app.add_routes(admin.routes)
    app.add_routes(recording.routes)
    app.add_routes(chain_admin.routes)
    app.add_routes(inbox.routes)
    app.add_routes(guard_module.routes)
    dashboard.setup(app)
    registry = _registry(config, app)
    tenants.setup(app, registry)
    for provider in world.providers.values():
        sub = provider.build_app(world)
        sub[WORLD] = world
        app.add_subapp(provider.prefix, sub)

    if config.store:
        from .core.http.cluster import join
        join(app, registry, own, config)

    async def on_startup(_app: web.Application) -> None:
        if world.durability is not None:
            await replay(app, world)
            await restore_tenants(config, registry)
        world.start_driver()

    async def on_cleanup(_app: web.Application) -> None:
        await world.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
