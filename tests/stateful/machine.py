"""The sandbox as a state machine (issue 23): Hypothesis `RuleBasedStateMachine`s that run random
sequences of a provider's API calls (signed as its client signs them), simulation verbs, chain
transfers, clock moves, receiver behaviours (up, down, slow, reset) and resets against a served
sandbox with a durable store and `self_check` on, and check after every step:

- no 5xx; no exception in a scheduled event; nothing the sandbox sent broke its contracts;
- a refusal changes nothing (the World's state fingerprint, tests/fuzzing.py) and its words show
  no internals (tests/plain_words.py);
- a verb the provider does not offer for the object's state (its SIMULATION_PARAMS `when`) is
  a 409 that changes nothing (a 400 when the drawn parameters are themselves wrong); a preset the
  dashboard hides because it would change nothing (its Preset `when`) changes nothing;
- statuses move only along the provider's transitions (`Spec.transitions`, declared beside each
  machine); a final status never changes;
- balances equal what the chain credited minus what was withdrawn (`Spec.balances`).

and, when a run ends: every delivery ended delivered or exhausted on its retry schedule, the
receiver saw exactly the attempts the outbox lists, and the World's recording (GET
/_sandbox/recording) run by the scenario runner on a fresh sandbox gives the same World.

A provider's machine is a `Spec`: how objects are made through its API, what is read, its
transitions (None: only observed, printed with the tally), its balances, and the verbs that apply
in any state (money sent on a chain).
"""
from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fuzzing import state_diff, state_image
from plain_words import leaks
from sandbox_harness import MODES, Answer, Served, problems
from mockserver.config import SandboxConfig
from mockserver.providers.base import Preset
from mockserver.scenarios.loader import load_text
from mockserver.scenarios.runner import run_all

START = datetime(2025, 1, 15, 10, tzinfo=timezone.utc)
# "slow": the receiver answers after HOLD s, well within the merchant's webhook_timeout (1 s). A
# receiver held past the timeout is left out: the recording orders its replies by when attempts
# ended, so a replay may hand a timed-out attempt's reply to another one (see the report).
HOLD = 0.1
HOSTILE = ["", "x", "-1", "0", "1e400", "1e30", "NaN", "é", "\u0000", 10**30, -1, 0, 0.5, True, None, [], {}]
ADVANCES = ["1s", "20s", "1m", "3m", "10m", "31m", "2h", "1d"]
FORM_AMOUNTS = ["0.5", "1", "10", "100", "0.00000001", 1, 25]


def pick(data, items: list, label: str = ""):
    """items[i] for a drawn i: the same draws whatever the list holds (ids come from the server)."""
    return items[data.draw(st.integers(0, 2**16), label=label) % len(items)]


@dataclass
class Create:
    """An object made through the provider's API: `body(data)` draws a (mostly valid) body."""
    method: str
    path: str
    body: Callable[[Any], Any]
    # headers besides the signed ones, from the machine (e.g. a session token it fetched)
    headers: Callable[[Any], dict] | None = None


@dataclass
class Read:
    """A read through the API; `{id}` in the path is an object of `kind` (None: no object)."""
    method: str
    path: str
    kind: str | None = None
    body: Any = None


@dataclass
class Spec:
    provider: str
    creates: list[Create]
    reads: list[Read]
    # kind -> status -> the statuses it may move to directly; a status with none is final
    transitions: dict[str, dict[str, set[str]]] | None
    balances: Callable[["SandboxMachine"], list[str]] | None = None
    # verbs that apply in every state (money sent on a chain arrives whatever the object says)
    anytime: set[str] = field(default_factory=set)
    # form bodies for verbs offered with fields only, by verb
    samples: dict[str, list[dict]] = field(default_factory=dict)
    # (network, address) pairs a chain transfer may go to, for an object's dashboard view
    chain_targets: Callable[[Any, dict], list[tuple[str, str]]] | None = None
    merchant: dict = field(default_factory=dict)     # merchant settings besides the webhook URL
    options: dict = field(default_factory=dict)
    # a refused request that may change state on purpose (e.g. a fresh seeded trace id): World
    # attributes (state_image keys) left out of the comparison
    volatile: set[str] = field(default_factory=set)
    # what a merchant verb that went through means for the spec's own bookkeeping (balances)
    on_merchant_verb: Callable[[Any, str, dict, Any], None] | None = None


def _closure(table: dict[str, set[str]]) -> dict[str, set[str]]:
    reach = {s: set(nxt) for s, nxt in table.items()}
    changed = True
    while changed:
        changed = False
        for s, nxt in reach.items():
            more = set().union(*(reach.get(n, set()) for n in nxt)) - nxt
            if more:
                nxt |= more
                changed = True
    return reach


@dataclass
class Tally:
    steps: int = 0
    requests: int = 0
    refused: int = 0
    not_offered: Counter = field(default_factory=Counter)   # answer status of verbs not offered
    deliveries: int = 0
    attempts: int = 0
    replays: int = 0
    examples: int = 0
    moves: Counter = field(default_factory=Counter)          # (kind, from, to) seen
    verbs: Counter = field(default_factory=Counter)          # verb -> times run


class SandboxMachine(RuleBasedStateMachine):
    spec: Spec
    tally: Tally

    def __init__(self):
        super().__init__()
        spec = self.spec
        merchant = {"webhook_timeout": 1, **spec.merchant}

        # the webhook URL is set by a PATCH (after every reset too), an input the recording keeps
        # and its replay points at the runner's receiver
        def config(_url: str) -> SandboxConfig:
            return SandboxConfig(seed=17, start=START, self_check=True,
                                 providers={spec.provider: {"merchants": [merchant], "options": spec.options}})
        self.config = config
        self.served = Served(config, hold_seconds=HOLD).start()
        self.hook_up()
        self.reach = {kind: _closure(table) for kind, table in (spec.transitions or {}).items()}
        self.seen: dict[tuple[str, str], str] = {}
        self.reached_before_reset: Counter = Counter()    # bodies that reached the receiver, earlier worlds
        self.extra: dict = {}       # the spec's own bookkeeping (what a merchant verb added); cleared by reset
        self.tally.examples += 1

    # -- plumbing -------------------------------------------------------------------------------
    @property
    def world(self):
        return self.served.world

    @property
    def provider(self):
        return self.world.providers[self.spec.provider]

    @property
    def backend(self):
        return self.world.backend(self.spec.provider)

    def objects(self) -> list[dict]:
        return self.provider.objects(self.backend)

    def view(self, kind: str, object_id: str) -> dict | None:
        return self.provider.object_view(self.backend, kind, object_id)

    def answered(self, what: str, answer: Answer, before: dict | None) -> Answer:
        """The checks every answer gets: no 5xx; a refusal in plain words that changed nothing."""
        self.tally.requests += 1
        assert answer.status < 500, f"{what} -> {answer.status}: {answer.text[:300]}"
        if answer.status >= 400:
            self.tally.refused += 1
            shown = leaks(answer.json if answer.json is not None else answer.body)
            assert not shown, f"{what} -> {answer.status}: {shown}"
            if before is not None:
                after = self.image()
                assert after == before, f"{what} -> {answer.status} changed {state_diff(before, after)}"
        return answer

    def image(self) -> dict:
        found = image(self.world)
        for name in self.spec.volatile:
            found.pop(name, None)
        return found

    def api(self, method: str, path: str, body: Any = None, *, check_unchanged: bool = True,
            headers: dict | None = None) -> Answer:
        before = self.image() if check_unchanged else None
        answer = self.served.call(self.spec.provider, method, path, None if method == "GET" else body,
                                  extra=headers)
        return self.answered(f"{method} {path} {str(body)[:200]}", answer, before)

    def admin(self, method: str, path: str, payload: Any = None, *, check_unchanged: bool = True) -> Answer:
        before = self.image() if check_unchanged else None
        return self.answered(f"{method} /_sandbox{path} {str(payload)[:200]}",
                             self.served.admin(method, path, payload), before)

    def quiet(self) -> None:
        """Wait for the webhook exchanges in flight (a slow receiver holds them)."""
        async def wait() -> None:
            pending = [o.task for o in self.world.scheduler._outstanding]
            if pending:
                await asyncio.wait(pending)
        self.served.run(wait())

    # -- the one rule ---------------------------------------------------------------------------
    # One rule picking its action by weight, rather than a rule per action: Hypothesis's swarm
    # testing switches whole rules off per run, so a handful of runs would rarely see a verb.
    ACTIONS = (("create", 3), ("read", 2), ("verb", 5), ("merchant_verb", 1), ("chain_transfer", 2),
               ("advance", 3), ("receiver", 1), ("reset", 1))

    @rule(data=st.data())
    def step(self, data):
        names = [name for name, weight in self.ACTIONS for _ in range(weight)]
        action = pick(data, names, "action")
        if action == "reset" and data.draw(st.integers(0, 3), label="reset?") != 0:   # rarer still
            action = "advance"
        getattr(self, action)(data)

    # -- actions --------------------------------------------------------------------------------
    def create(self, data):
        recipe = pick(data, self.spec.creates, "create")
        body = recipe.body(data)
        if data.draw(st.integers(0, 5), label="hostile") == 0 and isinstance(body, dict) and body:
            body = {**body, pick(data, sorted(body), "field"): pick(data, HOSTILE, "value")}
        self.api(recipe.method, recipe.path, body, headers=recipe.headers(self) if recipe.headers else None)

    def read(self, data):
        recipe = pick(data, self.spec.reads, "read")
        path = recipe.path
        if recipe.kind is not None:
            ids = [o["id"] for o in self.objects() if o["kind"] == recipe.kind]
            path = path.replace("{id}", pick(data, ids, "id") if ids else "no-such-object")
        body = recipe.body(self) if callable(recipe.body) else recipe.body
        answer = self.api(recipe.method, path, body)
        assert answer.status < 400 or recipe.kind is None or "no-such-object" in path or answer.status == 404, \
            f"a read of an object that exists was refused: {path} -> {answer.status} {answer.text[:200]}"

    def verb(self, data) -> None:
        objects = self.objects()
        if not objects:
            return
        obj = pick(data, objects, "object")
        kind, object_id = obj["kind"], obj["id"]
        offered = []
        for verb, spec in self.provider.simulation_params.items():
            target = spec.get("for")
            key = target.get(kind) if isinstance(target, dict) else (spec.get("id", kind) if target == kind else None)
            if key is None:
                continue
            for label, preset in (spec.get("presets") or {}).items():
                offered.append((verb, spec, key, preset))
            for sample in self.spec.samples.get(verb, []) + ([None] if spec.get("fields") else []):
                offered.append((verb, spec, key, Preset(sample) if sample else None))
        if not offered:
            return
        verb, spec, key, preset = pick(data, offered, "verb")
        view = self.view(kind, object_id)
        applies = spec.get("when") is None or spec["when"](view)
        redundant = False       # the verb applies, but these parameters would change nothing
        if isinstance(preset, Preset):
            params, redundant = dict(preset.params), preset.when is not None and not preset.when(view)
        elif preset is None:            # the verb's form, filled with drawn values
            params = {name: (pick(data, choices) if isinstance(choices, list) else pick(data, FORM_AMOUNTS))
                      for name, choices in (spec.get("fields") or {}).items()
                      if isinstance(choices, list) or choices == "number"}
        else:
            params = dict(preset)
        hostile = data.draw(st.integers(0, 7), label="hostile") == 0
        if hostile:
            params[pick(data, sorted(params) + ["amount", "fraction", "kind"], "field")] = pick(data, HOSTILE, "value")
        before, body = self.image(), {key: object_id, **params}
        answer = self.answered(f"simulate {verb} {str(body)[:200]} on a {kind} in {view['status']}",
                               self.served.admin("POST", f"/simulate/{self.spec.provider}/{verb}", body), before)
        self.tally.verbs[verb] += 1
        if applies and redundant and answer.status < 400 and verb not in self.spec.anytime:
            after = self.image()
            assert after == before, (f"{verb} {params} on {kind} {object_id} in {view['status']} would change "
                                     f"nothing, yet changed {state_diff(before, after)}")
        if not applies and verb not in self.spec.anytime:
            self.tally.not_offered[answer.status] += 1
            # a 400 when the parameters are themselves wrong: drawn, hostile, or a preset meant
            # for another state or kind (its own `when`, e.g. a refund verdict on a withdrawal)
            allowed = (409, 400) if hostile or preset is None or redundant else (409,)
            assert answer.status in allowed, (f"{verb} {params} on {kind} {object_id} in {view['status']} is not "
                                              f"offered there, yet answered {answer.status}: {answer.text[:300]}")

    def merchant_verb(self, data):
        """A verb about no object (fund a balance, credit an account), with the spec's samples."""
        offered = [(verb, sample) for verb, spec in self.provider.simulation_params.items()
                   if spec.get("for") is None for sample in self.spec.samples.get(verb, [])]
        if offered:
            verb, sample = pick(data, offered, "merchant verb")
            self.tally.verbs[verb] += 1
            answer = self.admin("POST", f"/simulate/{self.spec.provider}/{verb}", sample)
            if answer.status < 400 and self.spec.on_merchant_verb is not None:
                self.spec.on_merchant_verb(self, verb, sample, answer)

    def chain_transfer(self, data):
        if self.spec.chain_targets is None:
            return
        targets = [t for o in self.objects() for t in self.spec.chain_targets(self, o)]
        if not targets:
            return
        network, address = pick(data, targets, "target")
        amount = pick(data, ["0.00000001", "0.5", "1", "25", "100", "1000", "1e-30", "1e16"], "amount")
        self.admin("POST", "/chain/transfers", {"network": network, "address": address, "amount": amount})

    def advance(self, data):
        by = pick(data, ADVANCES, "by")
        self.admin("POST", "/clock/advance", {"by": by}, check_unchanged=False)

    def receiver(self, data):
        self.served.receiver.mode = pick(data, list(MODES), "mode")

    def reset(self, data):
        self.quiet()
        self.reached_before_reset += self.reached()
        self.admin("POST", "/reset", {}, check_unchanged=False)
        self.hook_up()
        self.seen.clear()
        self.extra.clear()

    def hook_up(self) -> None:
        answer = self.admin("PATCH", f"/providers/{self.spec.provider}/merchant",
                            {"webhook_url": self.served.receiver.url}, check_unchanged=False)
        assert answer.status == 200, answer.text[:300]

    # -- invariants -----------------------------------------------------------------------------
    @invariant()
    def nothing_broke(self):
        self.tally.steps += 1
        found = problems(self.world)
        assert not found, "\n".join(found[:5])

    @invariant()
    def statuses_move_only_along_the_transitions(self):
        for obj in self.objects():
            key, status = (obj["kind"], obj["id"]), obj["status"]
            table = self.reach.get(obj["kind"])
            if table is None:        # no table: observed only
                before = self.seen.get(key)
                if before is not None and before != status:
                    self.tally.moves[(obj["kind"], before, status)] += 1
                self.seen[key] = status
                continue
            assert status in table, f"{obj['kind']} {obj['id']}: status {status!r} is not in the transition table"
            before = self.seen.get(key)
            if before is not None and before != status:
                self.tally.moves[(obj["kind"], before, status)] += 1
                assert table[before], f"{obj['kind']} {obj['id']}: final status {before} changed to {status}"
                assert status in table[before], f"{obj['kind']} {obj['id']}: {before} -> {status} is no transition"
            self.seen[key] = status

    @invariant()
    def balances_are_what_the_chain_credited_less_what_was_withdrawn(self):
        if self.spec.balances is not None:
            found = self.spec.balances(self)
            assert not found, "\n".join(found)

    # -- when a run ends ------------------------------------------------------------------------
    def reached(self) -> Counter:
        """Bodies of the attempts the outbox lists that reached the receiver (it answered, held
        them past the timeout, or dropped the connection after reading them)."""
        return Counter(d.body for d in self.world.outbox.list() for a in d.attempts
                       if a.status is not None or a.error in ("timeout", "connection reset"))

    def teardown(self):
        if not hasattr(self, "served"):
            return
        try:
            self.served.receiver.mode = "up"
            self.quiet()
            self.admin("POST", "/clock/run", {"horizon": "30d"}, check_unchanged=False)
            self.quiet()
            self._deliveries_end_on_their_schedule()
            seen = Counter(r["body"] for r in self.served.receiver.requests)
            listed = self.reached_before_reset + self.reached()
            assert seen == listed, (f"the receiver saw {sum(seen.values())} attempts, the outbox lists "
                                    f"{sum(listed.values())}: {(seen - listed) or (listed - seen)}")
            self._a_replay_gives_the_same_world()
        finally:
            self.served.close()

    def _deliveries_end_on_their_schedule(self) -> None:
        for d in self.world.outbox.list():
            self.tally.deliveries += 1
            self.tally.attempts += len(d.attempts)
            assert d.status in ("delivered", "exhausted"), f"{d.id} {d.event}: {d.status} {d.reason or ''}"
            scheduled = [a for a in d.attempts if not a.manual]
            first = scheduled[0].at
            for n, (earlier, later) in enumerate(zip(scheduled, scheduled[1:]), start=1):
                assert later.at == d.policy.next_attempt_at(n, first, earlier.at), \
                    f"{d.id}: attempt {n + 1} at {later.at}, not on the schedule"
            if d.status == "delivered":
                assert scheduled[-1].acknowledged, f"{d.id}: delivered, its last attempt unacknowledged"
            else:
                assert not any(a.acknowledged for a in scheduled), f"{d.id}: exhausted though acknowledged"
                assert d.policy.next_attempt_at(len(scheduled), first, scheduled[-1].at) is None, \
                    f"{d.id}: exhausted after {len(scheduled)} attempts, its schedule has more"

    def _a_replay_gives_the_same_world(self) -> None:
        """The World's recording, run by the scenario runner on a fresh sandbox built alike."""
        recording = self.served.request("GET", "/_sandbox/recording")
        assert recording.status == 200, recording.text[:300]
        if os.environ.get("SANDBOX_STATEFUL_KEEP"):
            Path(os.environ["SANDBOX_STATEFUL_KEEP"]).write_text(recording.text)
        fresh = Served(self.config, hold_seconds=HOLD).start()
        try:
            base = str(fresh.client.make_url("")).rstrip("/")
            results = fresh.run(run_all(load_text(recording.text, "recording.yaml"), server=base, tenant=""))
            assert results and results[0].ok, [(s.label, s.problem, s.got) for s in results[0].steps
                                               if not s.ok] or results[0].error
            fresh.run(fresh.world.scheduler.settle())
            self.tally.replays += 1
            before, after = replay_image(self.world), replay_image(fresh.world)
            differ = sorted(k for k in before if before[k] != after.get(k))
            assert not differ, f"the replayed World differs in {differ}: {_first_difference(before, after, differ)}"
        finally:
            fresh.close()


def image(world) -> dict:
    """The state fingerprint but the durable store, which records every input, refused or not."""
    found = state_image(world)
    found.pop("durability", None)
    return found


_WALL = re.compile(r"'(_wall_anchor|latency_ms)', '[0-9.e-]+'")
_LOCAL = re.compile(r"127\.0\.0\.1:\d+")
# per-attempt signatures (some over the wall clock, as real clients' are) and the wall-clock
# timestamp header beside them: the recording does not compare them either (SIGNATURE_WORDS)
_SIGNED_HEADER = re.compile(r"(\"'[^']*(?:[Ss]ign|HMAC|[Hh]mac|timestamp)[^']*'\", )'[^']*'")
# a client's own wall-clock timestamp in a body it signed (ALT 5 Pay's): the runner signs afresh
_CLIENT_CLOCK = re.compile(r"(\"'timestamp'\", )\d+")
_SIGNED_FIELD = re.compile(r'(\\?"\w*(?:[Ss]ign|[Hh]mac)\w*\\?":\s?\\?")[^"\\]*')


def replay_image(world) -> dict[str, str]:
    """The state fingerprint without what another sandbox may differ in: the wall-clock anchor of
    the virtual clock, how long each webhook attempt took on the wall clock, the ports of 127.0.0.1 (its own, its receiver's) and how many resets it
    took to get there (`generation`: the runner resets before it replays)."""
    def plain(text: str) -> str:
        text = _CLIENT_CLOCK.sub(r"\1T", _LOCAL.sub("127.0.0.1:PORT", _WALL.sub("", text)))
        return _SIGNED_FIELD.sub(r"\1SIG", _SIGNED_HEADER.sub(r"\1'SIG'", text))
    # a replay guard remembers each signed request's own wall-clock timestamp: set aside
    guards = [g for b in world.backends.values() for g in vars(b).values() if type(g).__name__ == "ReplayGuard"]
    kept = [g._seen for g in guards]
    try:
        for g in guards:
            g._seen = {}
        return {k: plain(repr(v)) for k, v in image(world).items() if k != "generation"}
    finally:
        for g, seen in zip(guards, kept):
            g._seen = seen


def _first_difference(before: dict, after: dict, keys: list[str]) -> str:
    a, b = before[keys[0]], after.get(keys[0], "")
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{keys[0]} at {at}: {a[max(0, at - 150):at + 150]!r} / {b[max(0, at - 150):at + 150]!r}"


STEPS = int(os.environ.get("SANDBOX_STATEFUL_STEPS", "40"))
EXAMPLES = int(os.environ.get("SANDBOX_STATEFUL_EXAMPLES", "5"))


def machine_for(spec: Spec) -> type[SandboxMachine]:
    return type(f"{spec.provider.title()}Machine", (SandboxMachine,), {"spec": spec, "tally": Tally()})
