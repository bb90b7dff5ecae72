"""In Chromium: the object list finds an invoice by the merchant's order id and says so when
nothing matches; hosted pages and object pages offer only what applies to the object's side and
state (no payout on an on-ramp order, no pay/expire on a confirmed invoice, late payment but no
expiry on an expired one); the checkout labels the amount still to pay beside "Pay the remainder";
a partly paid invoice's confirmations read as its timeline does.

Its own sandbox (module scope); every tab fails its test on a console error (a refused click
shows there). Waits are Playwright's, never sleeps; the clock moves by the admin API only.
"""
from __future__ import annotations

import re

import requests
from playwright.sync_api import expect

from browser_support import screenshot

AUTH = {"Authorization": "Bearer pk_sandbox_4f3c2a1b9d8e7f60:sk_sandbox_9a8b7c6d5e4f3a2b1c0d"}


def invoice(base: str, order: str, usd: int = 50) -> dict:
    resp = requests.post(f"{base}/cryptopayment/api/v1/invoices", headers=AUTH,
                         json={"network": "trc20", "amount_usd": usd, "order_id": order}, timeout=10)
    assert resp.status_code == 201, resp.text
    return {**resp.json()["invoice"], "checkout_url": resp.json()["checkout_url"]}


def simulate(base: str, provider: str, verb: str, **params) -> dict:
    resp = requests.post(f"{base}/_sandbox/simulate/{provider}/{verb}", json=params, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def alchemy_order(sandbox, order_type: str, number: str) -> str:
    """An Alchemy Pay order made with a signed order/create, as a merchant's backend does."""
    provider = sandbox.world.providers["alchemypay"]
    body = {"orderType": order_type, "merchantOrderNo": number, "amount": "100" if order_type == "4" else "50",
            "fiatCurrency": "USD", "cryptoCurrency": "USDT", "depositType": 2, "network": "TRX",
            "payWayCode": "10001", **({"address": "TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8"} if order_type == "4" else {})}
    headers, raw = provider.client_request(sandbox.world.backend("alchemypay").merchants[0], "POST",
                                           "/open/api/v4/merchant/order/create", body)
    resp = requests.post(f"{sandbox.url}/alchemypay/open/api/v4/merchant/order/create", data=raw,
                         headers=headers, timeout=10)
    assert resp.status_code == 200 and resp.json()["success"], resp.text
    return resp.json()["data"]["orderNo"]


def panel_buttons(page):
    """The hosted page's sandbox buttons, once its slot is filled."""
    expect(page.locator("section.sandbox a", has_text="open in the dashboard")).to_be_visible()
    return page.locator("section.sandbox button")


def test_the_list_finds_an_invoice_by_its_order_id_and_says_when_none_matches(page, sandbox):
    base = sandbox.url
    wanted, other = invoice(base, "ORD-1"), invoice(base, "SHOP-77")
    page.goto(base + "/_sandbox/ui/p/cryptopayment")
    expect(page.locator("#objects caption")).to_have_text("2 objects")
    expect(page.locator("#objects")).to_contain_text("SHOP-77")
    page.get_by_label("id or order id").fill("ord-1")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#objects tbody tr")).to_have_count(1)
    expect(page.locator("#objects tbody tr")).to_contain_text(wanted["id"])
    expect(page.locator("#objects tbody tr")).to_contain_text("ORD-1")
    expect(page.locator("#objects caption")).to_have_text("1 object matching id or order id containing “ord-1”")
    page.get_by_label("id or order id").fill(other["id"][:8])      # the id still finds it
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#objects tbody tr")).to_contain_text("SHOP-77")
    page.get_by_label("id or order id").fill("ORD-404")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#no-match")).to_have_text("No object matches id or order id containing “ORD-404”. Show all")
    expect(page.locator("#objects")).not_to_contain_text("Nothing yet")
    screenshot(page, "objects-no-match")
    page.get_by_role("link", name="Show all").click()
    expect(page.locator("#objects tbody tr")).to_have_count(2)
    page.locator("#objects a", has_text=wanted["id"]).click()
    expect(page.locator("#reference")).to_have_text("ORD-1")       # the object page names it too


def test_an_on_ramp_order_offers_no_payout_and_its_buttons_follow_its_state(page, sandbox):
    number = alchemy_order(sandbox, "4", "MO-BUY-1")
    page.goto(f"{sandbox.url}/alchemypay/pay/{number}")
    buttons = panel_buttons(page)
    expect(buttons.filter(has_text="Card paid")).to_be_visible()
    for absent in ("Start the payout", "Deposit the crypto", "Payout succeeded", "Send the crypto"):
        expect(buttons.filter(has_text=absent)).to_have_count(0)
    buttons.filter(has_text="Card paid").click()                       # the page reloads after a write
    expect(panel_buttons(page).filter(has_text="Send the crypto")).to_be_visible()
    expect(panel_buttons(page).filter(has_text="Card paid")).to_have_count(0)
    expect(panel_buttons(page).filter(has_text="Start the payout")).to_have_count(0)
    # an off-ramp order is the other way round
    sell = alchemy_order(sandbox, "6", "MO-SELL-1")
    page.goto(f"{sandbox.url}/_sandbox/ui/p/alchemypay/order/{sell}")
    expect(page.locator("#simulate").get_by_role("button", name="Deposit the crypto")).to_be_visible()
    expect(page.locator("#simulate").get_by_role("button", name="Card paid")).to_have_count(0)
    page.locator("#simulate").get_by_role("button", name="Deposit the crypto").click()
    expect(page.locator("#simulate").get_by_role("button", name="Start the payout")).to_be_visible()


def test_the_checkout_labels_what_remains_beside_pay_the_remainder(page, sandbox):
    checkout = invoice(sandbox.url, "ORD-REM")["checkout_url"]
    page.goto(checkout)
    buttons = panel_buttons(page)
    expect(buttons.filter(has_text="Pay half")).to_be_visible()
    expect(buttons.filter(has_text="Pay the remainder")).to_have_count(0)   # nothing paid yet
    expect(page.locator("section.sandbox .note")).to_have_count(0)
    buttons.filter(has_text="Pay half").click()
    remainder = panel_buttons(page).filter(has_text="Pay the remainder")
    expect(remainder).to_be_visible()
    note = page.locator("section.sandbox button + .note")
    expect(note).to_have_text("25.00 USDT still to pay")
    expect(note).to_be_visible()
    beside = remainder.bounding_box(), note.bounding_box()
    assert abs(beside[0]["y"] - beside[1]["y"]) < beside[0]["height"] and beside[1]["x"] > beside[0]["x"], beside
    expect(panel_buttons(page).filter(has_text="Pay half")).to_have_count(0)
    screenshot(page, "checkout-remainder")
    remainder.click()
    expect(page.locator("#status")).to_have_text("confirming")
    expect(panel_buttons(page)).to_have_text(["Confirm now"])
    panel_buttons(page).filter(has_text="Confirm now").click()
    expect(page.locator("#status")).to_have_text("confirmed")
    expect(page.locator("section.sandbox")).to_contain_text("Nothing to simulate: the invoice is confirmed.")
    expect(page.locator("section.sandbox button")).to_have_count(0)


def test_object_pages_show_what_applies_and_a_consistent_state(page, sandbox):
    base = sandbox.url
    # partly paid, then time passes: the transfer's confirmations beyond the 19 required
    partly = invoice(base, "ORD-PART")
    simulate(base, "cryptopayment", "pay", invoice=partly["id"], kind="partial")
    requests.post(f"{base}/_sandbox/clock/advance", json={"by": "2m"}, timeout=10).raise_for_status()
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/invoice/{partly['id']}")
    expect(page.locator("#status")).to_have_text("pending")
    shown = page.locator("#confirmations").inner_text()
    received = int(re.match(r"(\d+) \(19 required\): enough; the invoice waits for the rest of the amount", shown).group(1))
    expect(page.locator("#timeline li.k-chain-transfer")).to_contain_text(f", {received} confirmations)")
    expect(page.locator("#due")).to_have_text("25.00 USDT")
    expect(page.locator("#simulate .note")).to_have_text("25.00 USDT still to pay")
    expect(page.locator("#expires")).to_contain_text("virtual")
    screenshot(page, "invoice-partly-paid")
    # paid in full and confirmed: no countdown, nothing to pay or expire
    page.locator("#simulate").get_by_role("button", name="Pay the remainder").click()
    expect(page.locator("#status")).to_have_text("confirming")
    expect(page.locator("#expires")).to_have_count(0)
    page.locator("#simulate").get_by_role("button", name="Confirm now").click()
    expect(page.locator("#status")).to_have_text("confirmed")
    expect(page.locator("#simulate")).to_contain_text("Nothing to simulate: the invoice is confirmed.")
    expect(page.locator("#simulate button")).to_have_count(0)
    expect(page.locator("#expires")).to_have_count(0)
    # expired: a late payment, no second expiry
    late = invoice(base, "ORD-LATE")
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/invoice/{late['id']}")
    page.locator("#simulate").get_by_role("button", name="Expire now").click()
    expect(page.locator("#status")).to_have_text("expired")
    expect(page.locator("#simulate").get_by_role("button", name="Pay late (after expiry)")).to_be_visible()
    expect(page.locator("#simulate").get_by_role("button", name="Expire now")).to_have_count(0)
    expect(page.locator("#simulate").get_by_role("button", name="Pay exact")).to_have_count(0)


def test_a_finished_withdrawal_offers_no_review(page, sandbox):
    base = sandbox.url
    funding = invoice(base, "ORD-FUND", usd=700)
    simulate(base, "cryptopayment", "pay", invoice=funding["id"])
    simulate(base, "cryptopayment", "confirm", invoice=funding["id"])
    resp = requests.post(f"{base}/cryptopayment/api/v1/withdrawals", headers=AUTH, timeout=10,
                         json={"coin": "USDT-TRC20", "amount": 600, "address": "TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"})
    assert resp.status_code == 201, resp.text
    withdrawal = resp.json()["withdrawal"]["id"]
    page.goto(f"{base}/_sandbox/ui/p/cryptopayment/withdrawal/{withdrawal}")
    page.locator("#simulate").get_by_role("button", name="Approve").click()
    requests.post(f"{base}/_sandbox/clock/advance", json={"by": "5m"}, timeout=10).raise_for_status()
    expect(page.locator("#status")).to_have_text("completed")
    expect(page.locator("#simulate button")).to_have_count(0)


def test_the_journal_kind_box_reads_as_empty(page, sandbox):
    page.goto(sandbox.url + "/_sandbox/ui/journal")
    box = page.get_by_label("kind")
    expect(box).to_have_value("")
    expect(box).to_have_attribute("placeholder", "all")
    assert box.get_attribute("title").startswith("a kind or how it starts")
