"""What a recording needs from the scenario format: `webhook_url: keep`, `origins`, the `admin` and
`wait_journal` steps, `call` with a body as sent, and providers that sign given bytes again."""
from __future__ import annotations

import io
import json
import re
import time

import pytest

from mockserver.providers.registry import load_providers
from mockserver.remote import record
from mockserver.scenarios import replay_steps
from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.loader import ScenarioLoadError, load_text
from mockserver.scenarios.replay_steps import stand_ins
from mockserver.scenarios.runner import InProcessSandbox, client_session, run_scenario

PROVIDERS = load_providers()


@pytest.fixture
async def remote():
    async with client_session() as session:
        sandbox = InProcessSandbox()
        client = SandboxClient(await sandbox.start(), session)
        try:
            yield client
        finally:
            await sandbox.close()


def test_a_call_takes_json_or_body_not_both():
    with pytest.raises(ScenarioLoadError) as info:
        load_text("scenario: s\nprovider: cryptopayment\nsteps:\n  - call: POST /invoices\n"
                  "    json: {a: 1}\n    body: '{\"a\": 1}'\n", "s.yaml")
    assert "s.yaml:6:" in str(info.value) and "json or body, not both" in str(info.value)


def test_recording_keys_load():
    [scenario] = load_text("""\
scenario: recorded
provider: cryptopayment
webhook_url: keep
origins: {"http://127.0.0.1:8080": sandbox, "http://127.0.0.1:9": receiver}
steps:
  - admin: PATCH /providers/alppay/merchant?index=1
    json: {webhook_url: "http://127.0.0.1:9/hook"}
    expect: {status: 200}
  - wait_journal: 3
  - call: GET /pay/x
    provider: alppay
    base: mount
    auth: false
    expect: {dropped: true}
  - expect_webhook: {provider: alppay, event: payment.NEW, status: failed}
""", "r.yaml")
    assert scenario.webhook_url == "keep" and scenario.origins["http://127.0.0.1:9"] == "receiver"
    assert [s.verb for s in scenario.steps] == ["admin", "wait_journal", "call", "expect_webhook"]
    with pytest.raises(ScenarioLoadError, match="origins"):
        load_text("scenario: s\nprovider: cryptopayment\norigins: {'http://x': elsewhere}\nsteps: [{wait_journal: 0}]\n")


def test_origins_stand_in_whole_origins_only():
    swap = stand_ins({"http://127.0.0.1:80": "receiver", "http://127.0.0.1:8080/t/a": "sandbox"},
                     "http://127.0.0.1:5555", "http://127.0.0.1:6666")
    def apply(text: str) -> str:
        for pattern, new in swap:
            text = pattern.sub(lambda _m, new=new: new, text)
        return text
    assert apply("http://127.0.0.1:80/hook") == "http://127.0.0.1:5555/hook"
    assert apply("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"          # not :80's
    assert apply('{"u":"http:\\/\\/127.0.0.1:80\\/hook"}') == '{"u":"http:\\/\\/127.0.0.1:5555\\/hook"}'
    assert apply("http://127.0.0.1:8080/t/a/_sandbox/inbox/n") == "http://127.0.0.1:6666/_sandbox/inbox/n"
    assert apply("http://127.0.0.1:8080/t/ab") == "http://127.0.0.1:8080/t/ab"


async def test_keep_changes_no_merchant_setting(remote):
    await remote.update_merchant("cryptopayment", 0, {"webhook_url": "inbox:before"})
    [scenario] = load_text("scenario: s\nprovider: cryptopayment\nwebhook_url: keep\n"
                           "steps:\n  - wait_journal: 0\n", "s.yaml")
    result = await run_scenario(scenario, remote)
    assert result.ok, result.error
    merchant = (await remote.providers())["cryptopayment"]["merchants"][0]
    assert merchant["webhook_url"] is None   # the reset's settings, not the runner's receiver


async def test_wait_journal_says_where_the_journal_stopped(remote, monkeypatch):
    monkeypatch.setattr(replay_steps, "WAIT_SECONDS", 0.05)
    [scenario] = load_text("scenario: s\nprovider: cryptopayment\nwebhook_url: keep\n"
                           "steps:\n  - wait_journal: 40\n", "s.yaml")
    result = await run_scenario(scenario, remote)
    step = result.steps[0]
    assert not step.ok and "the journal stopped at entry 0" in step.problem


def _raw_create(name: str) -> tuple[str, str, bytes]:
    """The provider's trigger `create` call, its body written compactly as a client may."""
    call = next(s for s in PROVIDERS[name].stories["create"] if "call" in s and s.get("json"))
    body = json.loads(json.dumps(call["json"]).replace("{order_ref}", "ORD-RAW"))
    if name == "alt5pay":   # an old timestamp: a replay signs with the client's clock now
        body = {**body, "timestamp": int(time.time()) - 3600, "nonce": 12}
    method, path = call["call"].split()
    return method, path, json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("name", sorted(PROVIDERS))
async def test_each_provider_signs_given_bytes_again(remote, name):
    provider = PROVIDERS[name]
    merchant = (await remote.providers())[name]["merchants"][0]
    method, path, raw = _raw_create(name)
    headers = {}
    if name == "alchemypay":   # trade/create wants a user token first
        token = await remote.call(provider, merchant, "POST", "/open/api/v4/merchant/getToken",
                                  raw=b'{"email":"ann@example.com"}')
        headers["access-token"] = token.json()["data"]["accessToken"]
    sent, body = provider.client_request(merchant, method, path, None, raw=raw)
    if name == "alt5pay":
        stamp = re.compile(rb'"timestamp":\d+')
        assert body != raw and stamp.sub(b"", body) == stamp.sub(b"", raw)   # only the timestamp moved
        assert json.loads(body)["timestamp"] >= int(time.time()) - 5
    else:
        assert body == raw
    answer = await remote.call(provider, merchant, method, path, raw=raw, headers=headers)
    assert answer.status < 400, answer.text()


async def test_record_writes_the_file_and_says_how_to_replay(remote, tmp_path):
    await remote.call(PROVIDERS["cryptopayment"], (await remote.providers())["cryptopayment"]["merchants"][0],
                      "POST", "/invoices", json_body={"network": "trc20", "amount_usd": 5})
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "story.yaml"
    assert await record(remote, str(target), out, err) == 0
    assert target.read_text().startswith("# Recorded by provider-sandbox")
    assert err.getvalue() == f"recorded 1 steps (seed 1) to {target}; replay: mockserver run {target}\n"
    assert await record(remote, None, out, err) == 0 and out.getvalue() == target.read_text()
    assert await record(remote, str(tmp_path / "no" / "such" / "dir.yaml"), out, err) == 1
