"""The dashboard in a real browser (Debian's Chromium via Playwright): pages load without console
errors, a click pays and the page changes live, the clock drives a retry, redeliver, reset.

One sandbox and one browser for the module; the tests run in order and share the story of one
CryptoPayment invoice whose webhook URL is the built-in inbox, failing its first attempt.
Waits are Playwright's (an element reaching a state), never sleeps.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import expect

from browser_support import ROOT, screenshot

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}
STORY: dict = {}


def _create_invoice(base: str, amount_usd: int = 50, order: str = "ORD-1") -> dict:
    resp = requests.post(f"{base}/cryptopayment/api/v1/invoices", headers=AUTH,
                         json={"network": "trc20", "amount_usd": amount_usd, "order_id": order}, timeout=10)
    assert resp.status_code == 201, resp.text
    return {**resp.json()["invoice"], "checkout_url": resp.json()["checkout_url"]}


@pytest.fixture(scope="module")
def story(sandbox):
    if not STORY:
        base = sandbox.url
        resp = requests.patch(f"{base}/_sandbox/providers/cryptopayment/merchant",
                              json={"webhook_url": f"{base}/_sandbox/inbox/shop?fail=1"}, timeout=10)
        assert resp.status_code == 200, resp.text
        STORY.update(base=base, invoice=_create_invoice(base))
    return STORY


def test_overview_shows_clock_and_providers(page, story):
    page.goto(story["base"] + "/")
    expect(page).to_have_url(story["base"] + "/_sandbox/ui/")
    expect(page.locator("#clock-elapsed")).to_have_text("0s")
    for name in ("cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay"):
        expect(page.locator(f"#provider-{name}")).to_be_visible()
    expect(page.locator("#provider-cryptopayment")).to_contain_text(story["base"] + "/cryptopayment/api/v1")
    screenshot(page, "overview")


def test_pay_changes_the_page_live_and_shows_the_webhook_attempt(page, story):
    invoice = story["invoice"]
    page.goto(f"{story['base']}/_sandbox/ui/p/cryptopayment/invoice/{invoice['id']}")
    expect(page.locator("#status")).to_have_text("pending")
    page.evaluate("window.__not_reloaded = true")
    page.get_by_role("button", name="Pay half").click()
    expect(page.locator("#amount-paid")).to_have_text("25.00 USDT")
    expect(page.locator("#amount-under")).to_have_text("25.00 USDT")
    page.get_by_role("button", name="Pay the remainder").click()
    expect(page.locator("#status")).to_have_text("confirming")
    expect(page.locator("#amount-paid")).to_have_text("50.00 USDT")
    # the inbox answers the first attempt 500: it shows in the timeline, live
    expect(page.locator("#timeline li.k-webhook-attempt").first).to_contain_text("attempt 1 → 500")
    expect(page.locator("#timeline li.k-chain-transfer")).to_have_count(2)
    assert page.evaluate("window.__not_reloaded") is True
    screenshot(page, "invoice")


def test_page_numbers_match_the_api(page, story):
    invoice_id = story["invoice"]["id"]
    api = requests.get(f"{story['base']}/cryptopayment/api/v1/invoices/{invoice_id}", headers=AUTH,
                       timeout=10).json()["invoice"]
    page.goto(f"{story['base']}/_sandbox/ui/p/cryptopayment/invoice/{invoice_id}")
    expect(page.locator("#status")).to_have_text(api["status"])
    paid = Decimal(page.locator("#amount-paid").inner_text().split()[0])
    expected = Decimal(page.locator("#amount-expected").inner_text().split()[0])
    assert paid == Decimal(str(api["paid_amount"]))
    assert expected == Decimal(str(api["amount_crypto"]))
    # the page shows the count as the timeline's transfers do; the API caps it at what is required
    received, required = map(int, re.match(r"(\d+) \((\d+) required\)", page.locator("#confirmations").inner_text()).groups())
    assert (min(received, required), required) == (api["confirmations"]["received"], api["confirmations"]["required"])


def test_advancing_the_clock_shows_a_retry_live(browser, page, story):
    deliveries = requests.get(f"{story['base']}/_sandbox/deliveries", timeout=10).json()
    delivery = next(d for d in deliveries if d["ref"] == story["invoice"]["id"])
    story["delivery"] = delivery["id"]
    page.goto(f"{story['base']}/_sandbox/ui/deliveries/{delivery['id']}")
    expect(page.locator("#attempts tbody tr")).to_have_count(1)
    expect(page.locator("#next-attempt")).not_to_have_text("none")
    expect(page.locator("#body")).to_contain_text('"invoice_id": "' + story["invoice"]["id"] + '"')
    # another tab advances the clock; this one sees the retry arrive without a reload
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    other.goto(story["base"] + "/_sandbox/ui/")
    other.get_by_role("button", name="+5m").click()
    expect(other.locator("#clock-elapsed")).to_have_text("5m")
    other.close()
    expect(page.locator("#attempts tbody tr")).to_have_count(2)
    expect(page.locator("#delivery-status")).to_have_text("delivered")
    expect(page.locator("#clock-now")).to_have_text("2025-01-15 10:05:00")   # the header follows the clock
    expect(page.locator("#attempts tbody tr").nth(1)).to_contain_text("200")
    screenshot(page, "delivery")


def test_redeliver_and_tampered_copy(page, story):
    page.goto(f"{story['base']}/_sandbox/ui/deliveries/{story['delivery']}")
    page.get_by_role("button", name="Redeliver now").click()
    expect(page.locator("#attempts tbody tr")).to_have_count(3)
    expect(page.locator("#attempts tbody tr").nth(2)).to_contain_text("(manual)")
    before = len(requests.get(f"{story['base']}/_sandbox/inbox/shop", timeout=10).json())
    page.get_by_role("button", name="Send a tampered copy").click()
    expect(page.locator("#toast")).to_contain_text("tampered copy")
    inbox = requests.get(f"{story['base']}/_sandbox/inbox/shop", timeout=10).json()
    assert len(inbox) == before + 1
    assert inbox[-1]["body"] != inbox[-2]["body"]   # one value changed, the signature kept
    story["inbox"] = len(inbox)


def test_lists_journal_and_inbox_pages(page, story):
    base = story["base"] + "/_sandbox/ui"
    page.goto(base + "/p/cryptopayment")
    expect(page.locator("#objects tbody tr")).to_have_count(1)
    page.select_option("select[name=status]", "confirmed")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(base + "/p/cryptopayment?kind=&status=confirmed&q=")
    expect(page.locator("#objects tbody tr")).to_have_count(1)
    screenshot(page, "objects")
    delivered = requests.get(f"{story['base']}/_sandbox/deliveries?status=delivered", timeout=10).json()
    page.goto(base + "/deliveries?status=delivered")
    expect(page.locator("#deliveries tbody tr")).to_have_count(len(delivered))
    screenshot(page, "deliveries")
    page.goto(base + "/journal?kind=webhook")
    expect(page.locator("#journal tbody tr").first).to_contain_text("webhook")
    screenshot(page, "journal")
    page.goto(base + "/inbox")
    expect(page.locator("article")).to_have_count(story["inbox"])
    screenshot(page, "inbox")


def test_hosted_checkout_pays_the_remainder(page, story):
    invoice = _create_invoice(story["base"], amount_usd=20, order="ORD-2")
    page.goto(invoice["checkout_url"])
    page.get_by_role("button", name="Pay half").click()
    expect(page.locator("#status")).to_have_text("pending")
    expect(page.locator("#paid")).to_have_text("10.00")
    page.get_by_role("button", name="Pay the remainder").click()
    expect(page.locator("#status")).to_have_text("confirming")
    expect(page.locator("#paid")).to_have_text("20.00")
    screenshot(page, "checkout")


def test_narrow_window_and_keyboard(browser, story):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    tab = context.new_page()
    tab.goto(story["base"] + "/_sandbox/ui/")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the overview scrolls sideways at 390 px ({width} px wide)"
    tab.keyboard.press("Tab")
    expect(tab.locator("a.skip")).to_be_focused()
    tab.keyboard.press("Tab")
    expect(tab.locator("a.brand")).to_be_focused()
    screenshot(tab, "overview-narrow")
    context.close()


def test_reset_from_the_page(page, story):
    page.goto(story["base"] + "/_sandbox/ui/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#provider-cryptopayment")).to_contain_text("(0 objects)")
    expect(page.locator("#clock-elapsed")).to_have_text("0s")
    if os.environ.get("DASHBOARD_README_IMAGE"):   # refresh the README's picture from this run
        (ROOT / "docs" / "images").mkdir(exist_ok=True)
        shutil.copy(ROOT / "reports" / "screenshots" / "invoice.png", ROOT / "docs" / "images" / "dashboard.png")


@pytest.mark.parametrize("provider", ["alt5pay", "alchemypay", "alfabit", "alppay", "cryptopayment"])
def test_every_providers_objects_and_hosted_page(page, story, provider):
    """`mockserver trigger` makes an object the way a client would; its dashboard page shows the
    API's status, and its hosted page (where the provider has one) offers the simulate buttons."""
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "trigger", provider, "partial"
                           if provider != "alchemypay" else "exact", "--server", story["base"]],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    page.goto(f"{story['base']}/_sandbox/ui/p/{provider}")
    first = page.locator("#objects tbody tr a").first
    expect(first).to_be_visible()
    status = page.locator("#objects tbody tr").first.locator(".status").inner_text()
    first.click()
    expect(page.locator("#status")).to_have_text(status)
    expect(page.locator("#timeline li").first).to_contain_text("created")
    screenshot(page, f"object-{provider}")
    offered = page.locator("#simulate button").all_inner_texts()
    hosted = page.locator("a", has_text="Hosted page")
    if hosted.count():
        hosted.click()
        expect(page.locator("section.sandbox a", has_text="open in the dashboard")).to_be_visible()
        # the hosted page offers what the object page does: what applies to the object now
        assert page.locator("section.sandbox button").all_inner_texts() == offered
        screenshot(page, f"hosted-{provider}")
