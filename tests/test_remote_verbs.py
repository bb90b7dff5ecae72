"""`mockserver trigger | deliveries | advance` against a sandbox reached over HTTP (in-process here)."""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import subprocess
import sys

import pytest
import yaml

from mockserver.cli import build_parser
from mockserver.providers.registry import load_providers
from mockserver.remote import (TriggerError, advance, follow_deliveries, list_deliveries, record, story_scenario,
                               trigger)
from mockserver.scenarios.client import SandboxClient, SandboxUnavailable
from mockserver.scenarios.runner import InProcessSandbox, client_session

PROVIDERS = sorted(load_providers())
# the first webhook event each provider sends for an exactly paid invoice/order
FIRST_EVENT = {"cryptopayment": "payment.detected", "alt5pay": "ipn.paid", "alchemypay": "on-ramp.PAY_SUCCESS",
               "alfabit": "invoiceWaitConfirms", "alppay": "payment.NEW"}


@pytest.fixture
async def remote():
    async with client_session() as session:
        sandbox = InProcessSandbox()
        client = SandboxClient(await sandbox.start(), session)
        try:
            yield client
        finally:
            await sandbox.close()


def _inbox(client: SandboxClient, name: str) -> str:
    return f"{client.base_url}/_sandbox/inbox/{name}"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_trigger_exact_creates_pays_and_shows_the_webhooks(remote, provider):
    out = io.StringIO()
    code = await trigger(remote, provider, "exact", out, webhook_url=_inbox(remote, provider), order_ref="TRG-1")
    text = out.getvalue()
    assert code == 0, text
    assert "FAIL" not in text and f"trigger {provider} exact" in text
    assert "TRG-1" in text  # what was sent: the create call's body
    assert f" webhook dlv_000001 #1 {provider} {FIRST_EVENT[provider]} -> 200" in text
    # the sandbox saw the same thing the command printed
    deliveries = await remote.deliveries(provider)
    assert deliveries and deliveries[0]["event"] == FIRST_EVENT[provider]
    merchant = (await remote.providers())[provider]["merchants"][0]
    secrets = [v for k, v in merchant.items() if "secret" in k or k in ("app_key", "private_key")]
    assert all(str(s) not in text for s in secrets if s)


@pytest.mark.parametrize("story, events, final", [
    ("partial", ["payment.detected"], "expired"),
    ("over", ["payment.detected", "payment.confirmed"], "confirmed"),
    ("late", [], "expired"),
    ("expire", [], "expired"),
])
async def test_trigger_stories_for_cryptopayment(remote, story, events, final):
    out = io.StringIO()
    assert await trigger(remote, "cryptopayment", story, out, webhook_url=_inbox(remote, "c")) == 0
    text = out.getvalue()
    assert f"simulate state  -> 200 {final}" in text
    assert [d["event"] for d in await remote.deliveries("cryptopayment")] == events
    assert ("no webhook attempts" in text) == (not events)


async def test_trigger_lists_only_its_own_objects_webhooks(remote):
    """Another payment's retries fall due during this story's advance: not listed under it."""
    first = io.StringIO()
    await trigger(remote, "alppay", "exact", first, webhook_url=_inbox(remote, "down") + "?fail=100")
    other = first.getvalue().split("alppay object: ")[1].split()[0]
    out = io.StringIO()
    assert await trigger(remote, "alppay", "expire", out, webhook_url=_inbox(remote, "up")) == 0
    text = out.getvalue()
    mine = text.split("alppay object: ")[1].split()[0]
    listed = {line.split()[2] for line in text.splitlines() if " webhook dlv_" in line}
    deliveries = await remote.deliveries("alppay")
    assert listed and listed == {d["id"] for d in deliveries if d["ref"] == mine}, text
    # the other payment's retries did fall due during the story (+1m, +5m, +15m, +1h...)
    retried = [d for d in deliveries if d["ref"] == other]
    assert retried and len(retried[0]["attempts"]) > 2


async def test_trigger_refuses_unknown_provider_or_story_before_sending_anything(remote):
    with pytest.raises(TriggerError, match="known: exact, expire"):
        await trigger(remote, "alchemypay", "partial", io.StringIO())
    with pytest.raises(TriggerError, match="unknown provider"):
        await trigger(remote, "nosuch", "exact", io.StringIO())
    assert await remote.journal() == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_story_is_a_valid_scenario(provider):
    p = load_providers()[provider]
    assert {"create", "state", "exact"} <= set(p.stories)
    for story in set(p.stories) - {"create", "state"}:
        assert story in {"exact", "partial", "over", "late", "expire"}
        assert story_scenario(p, story).steps


async def test_advance_prints_the_new_clock(remote):
    out = io.StringIO()
    view = await advance(remote, "6m", out)
    assert out.getvalue().startswith(f"clock {view['now']}  (+6m since start;")


def _args(**kw) -> argparse.Namespace:
    base = {"provider": None, "event": None, "status": None, "limit": None, "json": False, "interval": 0.01}
    return argparse.Namespace(**{**base, **kw})


async def test_deliveries_follow_prints_new_attempts_with_filters_until_cancelled(remote):
    await remote.update_merchant("cryptopayment", 0, {"webhook_url": _inbox(remote, "f")})
    await trigger(remote, "cryptopayment", "exact", io.StringIO())    # before: not shown
    out, failed = io.StringIO(), io.StringIO()
    follow = asyncio.create_task(follow_deliveries(remote, _args(provider="cryptopayment"), out))
    only_failed = asyncio.create_task(follow_deliveries(remote, _args(status="failed", json=True), failed))
    await asyncio.sleep(0.1)
    await remote.update_merchant("cryptopayment", 0, {"webhook_url": "http://127.0.0.1:9/down"})
    await trigger(remote, "cryptopayment", "exact", io.StringIO())
    for _ in range(200):
        if out.getvalue().count("\n") >= 2 and failed.getvalue():
            break
        await asyncio.sleep(0.02)
    for task in (follow, only_failed):
        task.cancel()
    await asyncio.gather(follow, only_failed, return_exceptions=True)
    lines = out.getvalue().splitlines()
    assert {line.split()[2] for line in lines} == {"dlv_000003", "dlv_000004"}  # only attempts after it began
    assert " dlv_000003 #1 " in lines[0] and "connection refused" in lines[0] and "(retry at " in lines[0]
    entries = [json.loads(line) for line in failed.getvalue().splitlines()]
    assert entries and all(not e["acknowledged"] for e in entries)


async def test_deliveries_follow_carries_on_after_a_reset(remote):
    await remote.update_merchant("cryptopayment", 0, {"webhook_url": _inbox(remote, "r")})
    for _ in range(3):
        await trigger(remote, "cryptopayment", "exact", io.StringIO())   # a long journal before
    out = io.StringIO()
    follow = asyncio.create_task(follow_deliveries(remote, _args(), out))
    await asyncio.sleep(0.1)
    await remote.reset()            # a new journal, numbered from 1 again
    await trigger(remote, "alfabit", "exact", io.StringIO(), webhook_url=_inbox(remote, "r2"))
    for _ in range(200):
        if "alfabit success" in out.getvalue():
            break
        await asyncio.sleep(0.02)
    follow.cancel()
    await asyncio.gather(follow, return_exceptions=True)
    assert " webhook dlv_000001 #1 alfabit invoiceWaitConfirms -> 200" in out.getvalue()
    assert "cryptopayment" not in out.getvalue()


async def test_deliveries_listing_filters_by_status(remote):
    await trigger(remote, "cryptopayment", "exact", io.StringIO(), webhook_url=_inbox(remote, "l"))
    out = io.StringIO()
    await list_deliveries(remote, _args(status="delivered"), out)
    assert out.getvalue().startswith("dlv_000001 cryptopayment payment.detected delivered 1/")
    none = io.StringIO()
    await list_deliveries(remote, _args(status="exhausted"), none)
    assert none.getvalue() == "no deliveries\n"


def test_verbs_are_commands_and_an_unreachable_sandbox_is_one_line():
    args = build_parser().parse_args(["trigger", "cryptopayment", "exact", "--server", "http://127.0.0.1:9"])
    assert args.story == "exact" and args.server == "http://127.0.0.1:9"
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "advance", "6m", "--server", "http://127.0.0.1:9"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "mockserver advance: no sandbox at http://127.0.0.1:9 (connection refused; from --server): start one "
        "with `mockserver serve`, or give its URL with --server URL or SANDBOX_URL"]


@pytest.mark.parametrize("argv", [["trigger", "cryptopayment", "exact"], ["deliveries"], ["deliveries", "--follow"],
                                  ["advance", "6m"]])
@pytest.mark.parametrize("where", ["--server", "SANDBOX_URL", "a bad URL", "a port that is not one"])
def test_every_verb_without_a_reachable_sandbox_says_so_in_one_line(argv, where, monkeypatch, capsys):
    from mockserver.cli import main
    monkeypatch.delenv("SANDBOX_URL", raising=False)
    if where == "--server":
        argv = [*argv, "--server", "http://127.0.0.1:9"]
    elif where == "SANDBOX_URL":
        monkeypatch.setenv("SANDBOX_URL", "http://127.0.0.1:9")
    elif where == "a bad URL":
        argv = [*argv, "--server", "127.0.0.1:9"]    # no scheme
    else:
        argv = [*argv, "--server", "http://127.0.0.1:abc"]   # was a traceback from the URL parser
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"mockserver {argv[0]}: no sandbox at ") and "--server" in err and "SANDBOX_URL" in err
    assert ("from SANDBOX_URL" in err) == (where == "SANDBOX_URL")
    assert ("not an http:// URL" in err) == (where in ("a bad URL", "a port that is not one"))


def test_run_against_an_unreachable_server_is_one_line(capsys):
    from mockserver.cli import main
    assert main(["run", "--server", "http://127.0.0.1:9", "--library", "cryptopayment"]) == 1
    out = capsys.readouterr()
    assert out.out == ""   # not one failure per scenario
    assert out.err.splitlines() == [
        "mockserver run: no sandbox at http://127.0.0.1:9 (connection refused; from --server): start one with "
        "`mockserver serve`, or leave out --server to run in-process"]


async def test_verbs_take_a_tenant(remote, capsys):
    from mockserver.cli import main
    assert await asyncio.to_thread(main, ["advance", "1h", "--server", remote.base_url, "--tenant", "qa"]) == 0
    tenant = SandboxClient(remote.base_url + "/t/qa", remote.session)
    assert (await tenant.clock())["elapsed"] == "1h"
    assert (await remote.clock())["elapsed"] == "0s"     # the default world did not move


async def test_the_command_line_prints_what_the_verbs_print_through_aiohttps_client(remote, capsys, tmp_path):
    """`advance`, `record` and the `deliveries` listing send their admin calls over the standard
    library's HTTP client (BlockingClient): the same lines, files and refusals as the verbs
    through the aiohttp client the scenario runner uses."""
    from mockserver.cli import main
    await trigger(remote, "cryptopayment", "exact", io.StringIO(), webhook_url=_inbox(remote, "cli"))

    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, [*argv, "--server", remote.base_url])

    for argv, options in ((["deliveries"], {}), (["deliveries", "--json", "--status", "delivered", "--limit", "1"],
                                                 {"json": True, "status": "delivered", "limit": 1})):
        expected = io.StringIO()
        await list_deliveries(remote, _args(**options), expected)
        capsys.readouterr()
        assert await cli(*argv) == 0
        assert capsys.readouterr().out == expected.getvalue()
    story = io.StringIO()
    await record(remote, None, story, io.StringIO())
    assert await cli("record") == 0
    assert capsys.readouterr().out == story.getvalue()
    assert await cli("record", "-o", str(tmp_path / "story.yaml")) == 0
    assert (tmp_path / "story.yaml").read_text() == story.getvalue()
    steps = len(yaml.safe_load(story.getvalue())["steps"])
    assert capsys.readouterr().err.startswith(f"recorded {steps} steps (seed ")
    with pytest.raises(SandboxUnavailable) as refused:
        await remote.advance("1zz")
    assert await cli("advance", "1zz") == 1
    assert capsys.readouterr().err == f"sandbox at {remote.base_url}: {refused.value}\n"


async def test_the_command_line_sends_the_admin_token_from_the_environment(aiohttp_client, monkeypatch, capsys):
    from mockserver.app import build_app
    from mockserver.cli import main
    from mockserver.config import SandboxConfig
    server = await aiohttp_client(build_app(SandboxConfig(admin_token="verb-token")))
    argv = ["advance", "1m", "--server", str(server.make_url("")).rstrip("/")]
    monkeypatch.delenv("SANDBOX_ADMIN_TOKEN", raising=False)
    assert await asyncio.to_thread(main, argv) == 1
    assert "POST /_sandbox/clock/advance -> 401: " in capsys.readouterr().err
    monkeypatch.setenv("SANDBOX_ADMIN_TOKEN", "verb-token")
    assert await asyncio.to_thread(main, argv) == 0
    assert capsys.readouterr().out.startswith("clock ")
