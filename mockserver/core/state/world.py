"""The World: everything one sandbox instance knows, passed explicitly, never global."""
from __future__ import annotations

import asyncio
import copy
import random
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..chain.transfers import Chain
from ..time.clock import Clock
from ..contracts.contract_set import BoundContracts, Violation, load_contracts
from .durability import Durability
from .fault_rules import Faults
from ..webhooks.inbox import Inboxes
from .journal import Journal
from .recording import Recording
from ..basics.retention import Retention
from ..time.scheduler import Event, Scheduler
from ..webhooks.outbox import Outbox

if TYPE_CHECKING:  # the core names the interface, never a provider
    from faker import Faker

    from ...providers.base import Provider
    from .store import Store


class World:
    def __init__(self, *, providers: dict[str, "Provider"], settings: dict[str, dict],
                 seed: int, seed_fixed: bool = True, start: datetime | None = None,
                 clock_mode: str = "virtual",
                 speed: float = 1.0, journal_size: int = 10_000, allow_external_webhooks: bool = False,
                 public_url: str | None = None, self_check: bool = False,
                 retention: Retention | None = None, store: "Store | None" = None):
        self.providers = providers
        self.retention = retention or Retention()
        self.settings = settings
        self.seed = seed
        # fixed (--seed, config, a tenant's own or derived seed): a reset without a seed replays
        # it. Else every such reset draws a fresh one, so ids never repeat across resets; drawn
        # from a generator seeded by the first seed, which a durable World keeps, so a replay of
        # its resets draws the same seeds again.
        self.fixed_seed: int | None = seed if seed_fixed else None
        self._fresh_seeds = random.Random(f"reseed:{seed}")
        self.start = start
        self.clock_mode = clock_mode
        self.speed = speed
        self.journal_size = journal_size
        self.allow_external_webhooks = allow_external_webhooks
        self.public_url = public_url
        self.self_check = self_check
        self.self_violations: list[dict] = []
        self._contracts = {name: BoundContracts(load_contracts(name), self._report_violation, enabled=self_check)
                           for name in providers}
        self._driver: asyncio.Task | None = None
        self.origin: str | None = None   # where this sandbox is served (learnt from a request); kept on reset
        self.outbox: Outbox | None = None
        self.journal_listeners: list = []   # kept across resets (see Journal.subscribe)
        # durable (a store given): inputs recorded before they are answered, replayed on restart
        self.durability = Durability(store, store.last_seq()) if store is not None else None
        self.generation = 0                 # resets so far: webhook outcomes are keyed by it
        self.closing = False
        self._build()

    def _build(self) -> None:
        self.clock = Clock(self.start, self.clock_mode, self.speed)
        self.start = self.clock.now() if self.start is None else self.start
        self.rng = random.Random(self.seed)
        self.faults = Faults(self.seed)  # its own rng: a fault never shifts the story's ids
        self._faker: "Faker | None" = None
        self.journal = Journal(self.clock.now, self.journal_size, self.retention.journal_field_chars,
                               listeners=self.journal_listeners)
        self.scheduler = Scheduler(self.clock, on_error=self._on_event_error)
        self.chain = Chain(self.scheduler, self.rng, max_transfers=self.retention.transfers)
        previous = self.outbox
        self.outbox = Outbox(self.scheduler, self.journal, allow_external=self.allow_external_webhooks,
                             retention=self.retention.deliveries, own_origin=lambda: self.origin)
        if previous is not None:
            self.outbox.adopt_sessions(previous)
        if self.durability is not None:
            durability = self.durability
            self.outbox.outcomes = lambda *args: durability.outcome(self, *args)
        self.backends: dict[str, Any] = {}
        self.inboxes = Inboxes(self.retention)
        self.recording = Recording(self.retention.recording)   # inputs since this reset
        for name, provider in self.providers.items():
            settings = self.settings.get(name, {})
            # copies: settings changed at run time (PATCH merchant) must not outlive a reset
            self.backends[name] = provider.create_backend(
                self, copy.deepcopy(settings.get("merchants", [])), copy.deepcopy(settings.get("options", {})))

    @property
    def faker(self) -> "Faker":
        if self._faker is None:  # building a Faker costs ~50 ms; only pay when a provider needs it
            from faker import Faker  # imported on first use: serving does not need it
            self._faker = Faker()
            self._faker.seed_instance(self.seed)
        return self._faker

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def backend(self, provider: str) -> Any:
        return self.backends[provider]

    def contracts(self, provider: str) -> BoundContracts:
        return self._contracts[provider]

    def _report_violation(self, violation: Violation) -> None:
        entry = violation.as_dict()
        self.self_violations.append(entry)
        self.journal.record("contract.self_violation", violation.contract.split("/")[0], **entry)

    def _on_event_error(self, event: Event, exc: BaseException) -> None:
        self.journal.record("error", None, event=event.label, error=f"{type(exc).__name__}: {exc}")

    # Realtime mode: one background task drives the scheduler.
    def start_driver(self) -> None:
        if self.clock_mode == "realtime" and self._driver is None:
            self._driver = asyncio.get_running_loop().create_task(self.scheduler.drive_realtime())

    async def stop_driver(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
            try:
                await self._driver
            except (asyncio.CancelledError, Exception):
                pass
            self._driver = None

    def next_seed(self) -> int:
        """The seed a reset without one uses: the fixed seed again, or a fresh one."""
        if self.fixed_seed is not None:
            return self.fixed_seed
        seed = self.seed
        while seed == self.seed:
            seed = self._fresh_seeds.randrange(2**31)
        return seed

    async def reset(self, seed: int | None = None) -> None:
        """Forget everything: state, deliveries, journal; same start, same settings. `seed` for
        this run of the World (a scenario's), else `next_seed()`."""
        await self.stop_driver()
        await self.scheduler.close()
        self.self_violations = []
        self.seed = self.next_seed() if seed is None else seed
        self.start = None if self.clock_mode == "realtime" else self.start
        self.generation += 1
        self._build()
        # not in the new journal (it starts empty), but the live console shows the seed in use
        self.journal.announce("reset", None, seed=self.seed,
                              seed_source="fixed" if seed is None and self.fixed_seed is not None
                              else "given" if seed is not None else "fresh")
        self.start_driver()

    async def drain(self, timeout: float) -> None:
        """A graceful stop: webhook POSTs in flight end by themselves (and are recorded)."""
        await self.scheduler.drain(timeout)

    async def close(self) -> None:
        self.closing = True
        await self.stop_driver()
        await self.scheduler.close()
        if self.outbox is not None:
            await self.outbox.close()
        if self.durability is not None:
            await self.durability.store.close()
