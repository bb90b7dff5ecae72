"""A story driven through the dashboard in Chromium (a settings form, simulate buttons on an object
page and on a hosted checkout page, clock buttons, redeliver), saved with "Save as scenario" and
replayed by `mockserver run` on a fresh sandbox: the two journal exports are the same (issue 25).
Waits are Playwright's, never sleeps."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest
import requests
import yaml
from playwright.sync_api import expect

from mockserver.config import SandboxConfig

from conftest import ThreadedApp

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
START = datetime(2025, 6, 2, 8, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def fresh():
    server = ThreadedApp(SandboxConfig(seed=77, start=START, self_check=True))
    server.start()
    yield server
    server.stop()


def _invoice(base: str, order: str, amount_usd: int = 40) -> dict:
    resp = requests.post(f"{base}/cryptopayment/api/v1/invoices", headers=AUTH, timeout=10,
                         json={"network": "trc20", "amount_usd": amount_usd, "order_id": order})
    assert resp.status_code == 201, resp.text
    return {**resp.json()["invoice"], "checkout_url": resp.json()["checkout_url"]}


@pytest.mark.slow(reason="two sandboxes, a browser story and a `mockserver run` subprocess")
def test_a_story_clicked_in_the_dashboard_saves_and_replays(page, sandbox, fresh, tmp_path):
    base = sandbox.url
    requests.post(f"{base}/_sandbox/reset", json={"seed": 5150}, timeout=10).raise_for_status()
    page.goto(base + "/_sandbox/ui/")
    # a settings change through the merchant form: webhooks to the inbox, its first answer 500
    form = page.locator("#provider-cryptopayment form.merchant")
    form.locator("input[name=webhook_url]").fill("inbox:shop?fail=1")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#toast")).to_contain_text("Done")

    first = _invoice(base, "ORD-10")
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/invoice/{first['id']}")
    page.get_by_role("button", name="Pay half").click()
    expect(page.locator("#amount-paid")).to_have_text("20.00 USDT")
    expect(page.locator("#timeline li.k-webhook-attempt").first).to_contain_text("attempt 1 → 500")
    page.get_by_role("button", name="Pay the remainder").click()
    expect(page.locator("#status")).to_have_text("confirming")

    page.goto(base + "/_sandbox/ui/")
    page.get_by_role("button", name="+1m").click()
    expect(page.locator("#clock-elapsed")).to_have_text("1m")
    page.get_by_role("button", name="+5m").click()
    expect(page.locator("#clock-elapsed")).to_have_text("6m")

    second = _invoice(base, "ORD-11", amount_usd=20)
    page.goto(second["checkout_url"])                      # the hosted checkout page, then its buttons
    page.get_by_role("button", name="Pay half").click()
    expect(page.locator("#paid")).to_have_text("10.00")

    delivery = requests.get(f"{base}/_sandbox/deliveries?ref={first['id']}", timeout=10).json()[0]
    page.goto(f"{base}/_sandbox/ui/deliveries/{delivery['id']}")
    page.get_by_role("button", name="Redeliver now").click()
    expect(page.locator("#attempts tbody tr").last).to_contain_text("(manual)")
    page.goto(base + "/_sandbox/ui/")
    page.get_by_role("button", name="Run until quiet").click()
    expect(page.locator("#clock-next")).to_have_text("none")

    with page.expect_download() as download:
        page.get_by_role("link", name="Save as scenario").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    recorded = requests.get(f"{base}/_sandbox/journal/export", timeout=10).text

    steps = yaml.safe_load(saved.read_text())["steps"]
    kinds = {next(k for k in step if k not in ("provider", "merchant", "expect")) for step in steps}
    assert {"admin", "call", "simulate", "advance", "expect_webhook"} <= kinds, kinds
    assert any(step.get("base") == "mount" for step in steps)       # the hosted page's GETs
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "run", "--server", fresh.url, "--default-world", str(saved)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert requests.get(f"{fresh.url}/_sandbox/journal/export", timeout=10).text == recorded
