"""Scenario steps `fault` and `clear_faults`: a merchant's retry story told in YAML."""
from mockserver.scenarios.loader import load_text
from mockserver.scenarios.runner import run_all

RETRY = """\
scenario: the gateway is down twice, then the invoice is created
provider: cryptopayment
seed: 3
steps:
  - fault: {route: POST /invoices, status: 503, times: 2}
  - call: POST /invoices
    json: {network: trc20, amount_usd: 10}
    expect: {status: 503, json: {success: false}}
  - call: POST /invoices
    json: {network: trc20, amount_usd: 10}
    expect: {status: 503}
  - call: POST /invoices
    json: {network: trc20, amount_usd: 10}
    expect: {status: 201}
  - fault: {route: GET /balances, status: 429, retry_after: 30}
  - call: GET /balances
    expect: {status: 429, headers: {Retry-After: "30"}}
  - clear_faults: true
  - call: GET /balances
    expect: {status: 200}
"""


async def test_fault_steps_drive_a_retry_story():
    [result] = await run_all(load_text(RETRY, "retry.yaml"))
    assert result.ok, result.failed_step and result.failed_step.problem
    assert result.steps[0].summary.startswith("-> fault_1: status on POST /invoices")
    assert result.steps[6].summary == "-> 2 cleared"   # the spent rule was still listed


def test_bad_fault_step_is_refused_by_the_loader():
    bad = RETRY.replace("clear_faults: true", "clear_faults: 3")
    try:
        load_text(bad, "bad.yaml")
    except Exception as exc:  # noqa: BLE001 - the loader's own error type
        assert "clear_faults" in str(exc)
    else:
        raise AssertionError("clear_faults: 3 was accepted")
