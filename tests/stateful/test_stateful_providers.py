"""Every provider as a state machine (tests/stateful/machine.py and one `<provider>_machine.py`
each): fixed seeds, a few hundred steps per provider in `make test`; `make fuzz` runs long
(SANDBOX_STATEFUL_EXAMPLES runs of SANDBOX_STATEFUL_STEPS steps each) and appends each
provider's tally to SANDBOX_FUZZ_REPORT when set."""
from __future__ import annotations

import importlib
import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from machine import EXAMPLES, STEPS, machine_for

PROVIDERS = ["cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay"]


@pytest.mark.parametrize("name", PROVIDERS)
def test_every_sequence_of_operations_keeps_the_invariants(name):
    spec = importlib.import_module(f"{name}_machine").SPEC
    machine = machine_for(spec)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
        phases=[Phase.generate], report_multiple_bugs=False, suppress_health_check=list(HealthCheck)))
    t = machine.tally
    moves = ", ".join(f"{k[0]} {k[1]}->{k[2]} x{n}" for k, n in sorted(t.moves.items()))
    line = (f"stateful {name}: {t.examples} runs, {t.steps} steps, {t.requests} requests ({t.refused} refused), "
            f"verbs {dict(t.verbs)}, verbs not offered answered {dict(t.not_offered)}, {t.deliveries} deliveries "
            f"with {t.attempts} attempts, {t.replays} replays; moves: {moves}")
    print("\n" + line)
    report = os.environ.get("SANDBOX_FUZZ_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(line + "\n")
    assert t.steps > 0 and t.replays > 0
