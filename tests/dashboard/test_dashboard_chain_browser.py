"""In Chromium: an object page lists the transfers to its addresses ("On the chain") with the
chain events that apply to each now, and a click on one changes the object live: a pending
payment double-spent leaves the invoice, a confirmed one reorged goes back to confirming (then
dropped, back to pending), a stuck one is released; the same table on another provider's page.

Its own sandbox (module scope); every tab fails its test on a console error. Waits are
Playwright's, never sleeps; the clock moves by the admin API only.
"""
from __future__ import annotations

import requests
from playwright.sync_api import expect

from browser_support import screenshot
from test_dashboard_applies_browser import invoice, simulate


def row(page, txid: str):
    return page.locator(f"#chain tr[data-txid='{txid}']")


def advance(base: str, by: str) -> None:
    requests.post(f"{base}/_sandbox/clock/advance", json={"by": by}, timeout=10).raise_for_status()


def balance(base: str) -> float:
    resp = requests.get(f"{base}/cryptopayment/api/v1/balances", timeout=10, headers={
        "Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"})
    return resp.json()["balances"]["USDT-TRC20"]["available"]


def test_double_spend_reorg_and_drop_from_the_invoice_page(page, sandbox):
    base = sandbox.url
    inv = invoice(base, "ORD-CHAIN")
    first = simulate(base, "cryptopayment", "pay", invoice=inv["id"])["transfer"]["txid"]
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/invoice/{inv['id']}")
    expect(page.locator("#status")).to_have_text("confirming")
    expect(row(page, first).locator(".tx-status")).to_have_text("pending")
    expect(row(page, first).locator("button")).to_have_text(["Double spend", "Drop"])
    row(page, first).get_by_role("button", name="Double spend").click()
    expect(page.locator("#status")).to_have_text("pending")
    expect(row(page, first).locator(".tx-status")).to_have_text("replaced")
    expect(row(page, first).locator("button")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("chain.double_spend")

    second = simulate(base, "cryptopayment", "pay", invoice=inv["id"])["transfer"]["txid"]
    advance(base, "5m")
    page.reload()
    expect(page.locator("#status")).to_have_text("confirmed")
    assert balance(base) == 50
    expect(row(page, second).locator("button")).to_have_text(["Reorg (mined again)", "Reorg (dropped)"])
    row(page, second).get_by_role("button", name="Reorg (mined again)").click()
    expect(page.locator("#status")).to_have_text("confirming")
    expect(row(page, second).locator(".tx-status")).to_have_text("pending")
    assert balance(base) == 0
    screenshot(page, "chain-reorged")
    advance(base, "1m")
    expect(page.locator("#status")).to_have_text("confirmed")        # live: mined again
    row(page, second).get_by_role("button", name="Reorg (dropped)").click()
    expect(page.locator("#status")).to_have_text("pending")
    expect(row(page, second).locator(".tx-status")).to_have_text("dropped")
    assert balance(base) == 0


def test_a_stuck_transfer_is_released_from_the_page(page, sandbox):
    base = sandbox.url
    inv = invoice(base, "ORD-STUCK")
    resp = requests.post(f"{base}/_sandbox/chain/transfers", timeout=10, json={
        "network": "tron", "address": inv["address"], "amount": "50", "confirmations_stuck": True})
    assert resp.status_code == 201, resp.text
    txid = resp.json()["txid"]
    advance(base, "2h")
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/invoice/{inv['id']}")
    expect(row(page, txid).locator(".tx-status")).to_have_text("stuck")
    expect(row(page, txid).locator("button")).to_have_text(["Release", "Double spend", "Drop"])
    row(page, txid).get_by_role("button", name="Release").click()
    expect(row(page, txid).locator(".tx-status")).to_have_text("pending")
    advance(base, "1m")
    expect(page.locator("#status")).to_have_text("confirmed")


def test_the_chain_table_on_another_providers_page(page, sandbox):
    base = sandbox.url
    provider = sandbox.world.providers["alppay"]
    merchant = sandbox.world.backend("alppay").merchants[0]
    body = {"amount": "100.00", "asset": {"short": "USDT", "network": "tron"},
            "customer": {"id": 1, "name": "Ann", "email": "ann@example.com"}}
    headers, raw = provider.client_request(merchant, "POST", "/payment", body)
    resp = requests.post(f"{base}/alppay/v2/payment", data=raw, headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    payment = resp.json()["id"]
    txid = simulate(base, "alppay", "pay", payment=payment)["txnId"]
    advance(base, "2m")
    page.goto(f"{base}/_sandbox/ui/p/alppay/payment/{payment}")
    expect(page.locator("#status")).to_have_text("COMPLETED")
    row(page, txid).get_by_role("button", name="Reorg (mined again)").click()
    expect(page.locator("#status")).to_have_text("OPEN")
    expect(page.locator("#timeline")).to_contain_text("chain.reorg")


def test_a_transfer_on_the_wrong_network_sent_from_the_page_is_not_counted(page, sandbox):
    base = sandbox.url
    inv = invoice(base, "ORD-FORM")
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/invoice/{inv['id']}")
    form = page.locator("form.chain-send")
    form.locator("select[name=network]").select_option("bsc")
    form.locator("input[name=amount]").fill("50")
    form.get_by_role("button", name="Send transfer").click()
    expect(page.locator("#chain .tx-status")).to_have_text(["pending"])
    expect(page.locator("#chain")).to_contain_text("bsc")
    expect(page.locator("#status")).to_have_text("pending")        # another network: not this invoice's
    form = page.locator("form.chain-send")
    expect(form.locator("select[name=network]")).to_have_value("bsc")
    form.locator("select[name=network]").select_option("tron")
    form.locator("input[name=amount]").fill("50")
    form.locator("select[name=confirmations_stuck]").select_option("true")
    form.get_by_role("button", name="Send transfer").click()
    expect(page.locator("#status")).to_have_text("confirming")
    expect(page.locator("#chain .tx-status")).to_have_text(["pending", "stuck"])
