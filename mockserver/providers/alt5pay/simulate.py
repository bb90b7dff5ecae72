"""Admin verbs (POST /_sandbox/simulate/alt5pay/<verb>): what the payer and the chain do.

pay      {address | ref_id | invoice, amount (coins) | fiat | fraction, asset (invoices; btc),
          source_address?, kind?: split | dust, parts?}   a transfer to the address (with its
          destination tag on XRP); an invoice is paid through its address for `asset` (created
          on first use). fraction/default: that share of what is still due. `split`: that amount
          in `parts` transfers (2-20, default 3); `dust`: one worth half the dust line [A].
confirm  {txid | address | ref_id | invoice, confirmations?}   mine until the required count.
expire   {address | ref_id | invoice}   the quote expires now (later payments are "late").
state    {address | ref_id | invoice | txid}   the object as the API shows it.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from ...core.basics.amounts import derived, parse_amount, parse_fraction
from ...core.basics.errors import BadRequest, Conflict, NotFound
from ...core.contracts.messages import show
from ..base import Preset
from .assets import ASSETS
from . import pricing
from .backend import DUST_BELOW
from .model import AMOUNT_PLACES, crypto_for_fiat
from .views import invoice_view, payment_view

if TYPE_CHECKING:
    from ...core.state.world import World
    from .backend import Alt5Backend
    from .model import Invoice, WalletAddress


def _count(value) -> int:
    text = str(value)  # isascii: "²".isdigit() is true, but int() refuses it
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) > 1_000_000:
        raise BadRequest("confirmations must be a non-negative integer")
    return int(text)


def _invoice(backend: "Alt5Backend", params: dict) -> "Invoice | None":
    if "invoice" not in params:
        return None
    invoice = backend.invoices.get(str(params["invoice"]))
    if invoice is None:
        raise NotFound(f"unknown invoice {show(params['invoice'])}")
    return invoice


def _wallets(backend: "Alt5Backend", params: dict) -> list["WalletAddress"]:
    invoice = _invoice(backend, params)
    if invoice is not None:
        return list(invoice.wallets.values())
    if "address" in params:
        wallet = backend.wallets.get(str(params["address"]))
        if wallet is None:
            raise NotFound(f"unknown address {show(params['address'])}")
        return [wallet]
    if "ref_id" in params:
        wallets = [w for w in backend.wallets.values() if w.ref_id == str(params["ref_id"])]
        if not wallets:
            raise NotFound(f"no address for ref_id {show(params['ref_id'])}")
        return wallets
    raise BadRequest('pass {"address": ...}, {"ref_id": ...} or {"invoice": ...}')


def _view(world: "World", backend: "Alt5Backend", wallet: "WalletAddress") -> dict:
    now = world.clock.now()
    out = {"address": wallet.address, "ref_id": wallet.ref_id, "coin": wallet.asset.coin,
           "price": str(wallet.price), "currency": wallet.currency,
           "expires": wallet.expires_at.isoformat(), "expired": now >= wallet.expires_at,
           "transactions": [payment_view(p, now) for p in wallet.payments]}
    invoice = backend.invoices.get(wallet.invoice_id) if wallet.invoice_id else None
    if invoice is not None:
        out["invoice"] = invoice_view(invoice, now)
    return out


async def pay(world: "World", backend: "Alt5Backend", params: dict) -> dict:
    # every check before anything is created: a refused pay makes no address (and no rng draw)
    invoice = _invoice(backend, params)
    wallets = _wallets(backend, params) if invoice is None else []     # lookups only
    amount = parse_amount(params["amount"]) if params.get("amount") is not None else None
    fiat = parse_amount(params["fiat"], "fiat") if amount is None and params.get("fiat") is not None else None
    source = params.get("source_address")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise BadRequest("source_address must be a non-empty string")
    kind, parts = _kind(params)
    if invoice is not None:
        asset = ASSETS.get(str(params.get("asset", "btc")))
        if asset is None or not asset.sandbox:
            raise BadRequest(f"asset must be one of {', '.join(a for a, v in ASSETS.items() if v.sandbox)}")
        fraction = None
        if amount is None and fiat is None and kind != "dust":
            if invoice.amount_due() <= 0:
                raise Conflict("the invoice is fully paid; pass amount or fiat to overpay")
            fraction = parse_fraction(params.get("fraction", 1))
        wallet = backend.invoice_wallet(invoice, asset)
    else:
        wallet = wallets[-1]
        if amount is None and fiat is None and kind != "dust":
            raise BadRequest("an address has no amount due: pass amount (coins) or fiat")
    price = wallet.price if world.clock.now() < wallet.expires_at else None
    quote = price or pricing.price(wallet.asset.coin, wallet.currency, world.clock.now())
    if kind == "dust":      # [A] half of what the dust line (backend.DUST_BELOW) is worth
        amount = crypto_for_fiat(DUST_BELOW / 2, quote)
    if amount is None:
        amount = crypto_for_fiat(fiat if fiat is not None else invoice.amount_due() * fraction, quote)
    derived(amount, 8)
    amounts = split(amount, parts) if kind == "split" else [amount]
    memo = wallet.tag or None      # an XRP payer quotes the address's destination tag
    sent = [world.chain.send(wallet.asset.chain, wallet.address, part, source_address=source, memo=memo)
            for part in amounts]
    await world.scheduler.settle()
    out = {"txid": sent[-1].txid, "amount": str(amount), **_view(world, backend, wallet)}
    if kind == "split":
        out["txids"] = [tx.txid for tx in sent]
    return out


MAX_PARTS = 20


def _kind(params: dict) -> tuple[str | None, int]:
    kind, parts = params.get("kind"), params.get("parts", 3)
    if kind not in (None, "split", "dust"):
        raise BadRequest("kind must be split or dust (or left out)")
    if kind == "split" and (isinstance(parts, bool) or not isinstance(parts, int) or not 2 <= parts <= MAX_PARTS):
        raise BadRequest(f"parts must be a whole number from 2 to {MAX_PARTS}")
    return kind, parts


def split(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` as `parts` transfers at 8 decimals, the last taking the rest."""
    share = (amount / parts).quantize(AMOUNT_PLACES, rounding=ROUND_DOWN)
    if share <= 0:
        raise BadRequest(f"{amount} does not split into {parts} transfers at 8 decimals")
    return [share] * (parts - 1) + [amount - share * (parts - 1)]


async def confirm(world: "World", backend: "Alt5Backend", params: dict) -> dict:
    if "txid" in params:
        payment = backend.payments.get(str(params["txid"]))
        if payment is None:
            raise NotFound(f"unknown txid {show(params['txid'])}")
        payments, wallets = [payment], [payment.wallet]
    else:
        wallets = _wallets(backend, params)
        payments = [p for w in wallets for p in w.payments]
    if not payments:
        raise Conflict("nothing to confirm: no payment yet")
    now = world.clock.now()
    wanted = [(p, _count(params.get("confirmations", p.wallet.asset.confirmations))) for p in payments]
    if all(p.transfer.mined_at is not None and p.transfer.confirmations(now) >= needed for p, needed in wanted):
        raise Conflict("every payment already has those confirmations")     # nothing for the verb to do
    for payment, needed in wanted:
        world.chain.confirm_now(payment.transfer, needed)
    await world.scheduler.settle()
    for payment in payments:    # also when the chain forgot the transfer's threshold (retention)
        backend.payment_changed(payment)
    return {"wallets": [_view(world, backend, w) for w in wallets]}


async def expire(world: "World", backend: "Alt5Backend", params: dict) -> dict:
    now = world.clock.now()
    invoice = _invoice(backend, params)
    if invoice is not None and invoice.amount_due() <= 0:     # as offered: only while something is owed
        raise Conflict("the invoice is paid: nothing is owed at a quoted price")
    wallets = _wallets(backend, params)
    if not wallets:
        raise Conflict("nothing is quoted yet: the invoice has no address")
    if all(wallet.expires_at <= now for wallet in wallets):
        raise Conflict("the quote has ended already")
    for wallet in wallets:
        wallet.expires_at = min(wallet.expires_at, now)
    return {"wallets": [_view(world, backend, w) for w in wallets]}


async def state(world: "World", backend: "Alt5Backend", params: dict) -> dict:
    if "txid" in params:
        payment = backend.payments.get(str(params["txid"]))
        if payment is None:
            raise NotFound(f"unknown txid {show(params['txid'])}")
        return payment_view(payment, world.clock.now())
    invoice = _invoice(backend, params)
    if invoice is not None:
        return {**invoice_view(invoice, world.clock.now()),
                "wallets": [_view(world, backend, w) for w in invoice.wallets.values()]}
    wallets = _wallets(backend, params)
    return _view(world, backend, wallets[-1]) if len(wallets) == 1 else {
        "wallets": [_view(world, backend, w) for w in wallets]}


SIMULATIONS = {"pay": pay, "confirm": confirm, "expire": expire, "state": state}


# `mockserver trigger alt5pay STORY`: scenario steps (docs/scenarios.md) run against a running
# sandbox. "create" runs first, "state" last; create saves the new object's id as {ref}; {order_ref} is fresh per run.
# USDT on Tron confirms within the hour. An invoice does not expire, so late and expire use a
# payment address (POST /usr/wallet/{coin}/create), which does after 60 minutes.
STORIES = {
    "state": [{"simulate": "state", "params": {"invoice": "{ref}"}}],
    "create": [{"call": "POST /usr/invoice/create",
                "json": {"ref_id": "{order_ref}", "total_amount": 60, "currency": "USD", "sendemail": False},
                "expect": {"status": 200}, "save": {"ref": "data.invoice_id"}}],
    "exact": [{"pay": {"invoice": "{ref}", "asset": "usdt_tron"}}, {"advance": "1h"}],
    "partial": [{"pay": {"invoice": "{ref}", "asset": "usdt_tron", "fraction": 0.5}}, {"advance": "1h"}],
    "over": [{"pay": {"invoice": "{ref}", "asset": "usdt_tron", "fraction": 1.5}}, {"advance": "1h"}],
    "late": {"create": [{"call": "POST /usr/wallet/eth/create", "json": {"ref_id": "{order_ref}", "currency": "USD"},
                         "expect": {"status": 200}, "save": {"ref": "data.address"}}],
             "steps": [{"advance": "61m"}, {"pay": {"address": "{ref}", "amount": 0.5}}, {"advance": "2h"}],
             "state": [{"simulate": "state", "params": {"address": "{ref}"}}]},
    "expire": {"create": [{"call": "POST /usr/wallet/eth/create", "json": {"ref_id": "{order_ref}", "currency": "USD"},
                           "expect": {"status": 200}, "save": {"ref": "data.address"}}],
               "steps": [{"advance": "61m"}],
               "state": [{"simulate": "state", "params": {"address": "{ref}"}}]},
}


def _owed(view: dict) -> bool:
    """An invoice with something still to pay (payments not yet confirmed count as paid)."""
    return view["kind"] == "invoice" and view["due"] is not None


def _may_pay(view: dict) -> bool:
    """An address takes a payment any time (after its quote expired, re-priced); an invoice while
    something is owed (once paid in full, more would be an overpayment: pass amount on the API)."""
    return view["kind"] == "address" or _owed(view)


def _unconfirmed(view: dict) -> bool:
    counts = view["confirmations"]
    return counts is not None and counts["received"] < counts["required"]


TARGETS = {"invoice": "invoice", "address": "address"}
SIMULATION_PARAMS = {
    "pay": {"for": TARGETS, "when": _may_pay,
            "presets": {"Pay what is due": Preset({"fraction": 1}, when=_owed, note=lambda v: f"{v['due']} due"),
                        "Pay half of what is due": Preset({"fraction": 0.5}, when=_owed),
                        "Pay what is due in 3 transfers": Preset({"kind": "split", "parts": 3}, when=_owed),
                        "Send dust": Preset({"kind": "dust"})},
            "fields": {"asset": "text", "amount": "number", "fiat": "number", "fraction": "number",
                       "source_address": "text"}},
    "confirm": {"for": TARGETS, "when": _unconfirmed, "presets": {"Confirm now": {}},
                "fields": {"confirmations": "json"}},
    # the quote (price) of the address, or of every address of an invoice still owed, ends now
    "expire": {"for": TARGETS, "when": lambda view: view["facts"]["quote_live"] and _may_pay(view),
               "presets": {"Expire now": {}}},
}
