"""Scenario files: line-numbered load errors, env substitution, step parsing."""
import pytest

from mockserver.scenarios.loader import ScenarioLoadError, load_file, load_text

GOOD = """\
scenario: exact payment
provider: cryptopayment
seed: 7
webhook_url: ${SANDBOX_TEST_HOOK:-builtin}
webhook_timeout: 200ms
receiver: {replies: [500, timeout, {status: 200, body: OK, slow: 10ms}]}
steps:
  - call: POST /invoices
    json: {network: trc20, amount_usd: 50}
    expect: {status: 201, json: {invoice: {status: pending}}}
    save: {invoice: invoice.id}
  - pay: "{invoice}"
  - advance: 1h30m
  - advance: until_quiet
  - expect_webhook: {event: payment.confirmed, attempts: 3, gaps: [1m, 5m], at: +36m}
  - expect_no_webhook:
  - resend: {event: payment.confirmed, tamper: signature}
    expect: rejected
"""


def _error(text: str) -> ScenarioLoadError:
    with pytest.raises(ScenarioLoadError) as info:
        load_text(text, "s.yaml")
    return info.value


def test_good_file_parses_every_step(monkeypatch):
    monkeypatch.delenv("SANDBOX_TEST_HOOK", raising=False)
    [scenario] = load_text(GOOD, "s.yaml")
    assert scenario.name == "exact payment" and scenario.seed == 7
    assert scenario.webhook_url == "builtin" and scenario.webhook_timeout == pytest.approx(0.2)
    assert scenario.start.isoformat() == "2024-01-15T10:00:00+00:00"
    verbs = [s.verb for s in scenario.steps]
    assert verbs == ["call", "pay", "advance", "advance", "expect_webhook", "expect_no_webhook", "resend"]
    assert scenario.steps[1].arg == {"invoice": "{invoice}"}  # string shorthand
    assert scenario.steps[5].arg == {}
    assert [s.line for s in scenario.steps] == [8, 12, 13, 14, 15, 16, 17]
    assert scenario.steps[0].options["save"] == {"invoice": "invoice.id"}


def test_env_substitution(monkeypatch):
    monkeypatch.setenv("SANDBOX_TEST_HOOK", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("SANDBOX_TEST_SEED", "42")
    [scenario] = load_text(GOOD.replace("seed: 7", "seed: ${SANDBOX_TEST_SEED}"), "s.yaml")
    assert scenario.webhook_url == "http://127.0.0.1:9/hook"
    assert scenario.seed == 42


def test_unset_env_without_default_names_line(monkeypatch):
    monkeypatch.delenv("SANDBOX_NOPE", raising=False)
    err = _error(GOOD.replace("${SANDBOX_TEST_HOOK:-builtin}", "${SANDBOX_NOPE}"))
    assert err.line == 4 and "SANDBOX_NOPE is not set" in str(err)


@pytest.mark.parametrize("old,new,line,words", [
    ("advance: 1h30m", "advance: soon", 13, ["step 3: advance", "'soon' is not valid here: expected a duration"]),
    ("  - pay: \"{invoice}\"", "  - pya: \"{invoice}\"", 12, ["step 2", "no verb"]),
    ("    expect: rejected", "    expect: maybe", 18, ["step 7: expect", "'maybe'"]),
    ("seed: 7", "seed: seven", 3, ["seed", "not of type 'integer'"]),
    ("seed: 7", "sed: 7", 3, ["unknown key", "sed"]),
    ("attempts: 3", "attempts: 3, colour: red", 15, ["step 5: expect_webhook.colour", "unknown key"]),
    ("    save: {invoice: invoice.id}", "    save: {invoice: invoice.id}\n    pay: x", 8,
     ["one verb per step", "call, pay"]),
    ("at: +36m", "at: tomorrow", 15, ["step 5: expect_webhook.at", "tomorrow"]),
    ("webhook_url: ${SANDBOX_TEST_HOOK:-builtin}", "webhook_url: ftp://x", 4, ["webhook_url"]),
    ("steps:", "steps:\n  - advance: 1m\n  - call: GET invoices", 9, ["step 2: call"]),
])
def test_bad_files_name_line_and_problem(old, new, line, words):
    assert old in GOOD
    err = _error(GOOD.replace(old, new))
    assert err.line == line, str(err)
    for word in words:
        assert word in str(err), str(err)
    assert str(err).startswith(f"s.yaml:{line}: ")


def test_yaml_syntax_error_and_duplicates():
    err = _error("scenario: x\nprovider: cryptopayment\nsteps: [advance: 1m\n")
    assert "YAML" in str(err) and err.line
    err = _error("scenario: x\nscenario: y\nprovider: cryptopayment\nsteps: [{advance: 1m}]\n")
    assert err.line == 2 and "duplicate key 'scenario'" in str(err)
    assert "empty file" in str(_error(""))
    assert "mapping" in str(_error("- just a list\n"))


def test_unknown_provider_is_a_load_error():
    from mockserver.providers.registry import load_providers
    assert "cryptopayment" in load_providers()
    err = _error(GOOD.replace("provider: cryptopayment", "provider: nosuchpay"))
    assert err.line == 2 and "unknown provider 'nosuchpay'" in str(err)


def test_multi_document_file(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(GOOD + "---\n" + GOOD.replace("exact payment", "second"))
    first, second = load_file(path)
    assert (first.name, second.name) == ("exact payment", "second")
    assert second.line == 20


def test_missing_file():
    with pytest.raises(ScenarioLoadError, match="cannot read"):
        load_file("/nonexistent/x.yaml")


def test_chain_steps_parse_with_a_txid_shorthand():
    [scenario] = load_text("""\
scenario: chain
provider: cryptopayment
steps:
  - transfer: {network: tron, address: TAddr, amount: 5, confirmations_stuck: true}
    save: {tx: txid}
  - release: "{tx}"
  - reorg: "{tx}"
  - reorg: {network: tron, depth: 3, drop: true}
  - double_spend: {txid: "{tx}", to: TOther}
    expect: {status: 409}
""", "s.yaml")
    assert [(s.verb, s.arg) for s in scenario.steps] == [
        ("transfer", {"network": "tron", "address": "TAddr", "amount": 5, "confirmations_stuck": True}),
        ("release", {"txid": "{tx}"}), ("reorg", {"txid": "{tx}"}),
        ("reorg", {"network": "tron", "depth": 3, "drop": True}),
        ("double_spend", {"txid": "{tx}", "to": "TOther"})]
    problem = _error("scenario: x\nprovider: cryptopayment\nsteps:\n  - transfer: {network: tron}\n")
    assert "address" in str(problem) and ":4:" in str(problem)
