"""AlfaBit Pay's JSON shapes: the order object exactly as the published sample, and the rest.

Amounts are strings (Decimal, no exponent, no trailing zeros: "850", "849.48966"); instants are
ISO 8601 in UTC with milliseconds and `Z` ("2025-04-09T11:54:33.609Z"), as in the sample.
Beside the sample's fields, in the sample's key order: `serviceCommission` (the API reference's
order example) right after `netCommission`, and `requisitesMemoTag` [C] after `requisitesIn`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from .assets import text as amount
from .model import INVOICE, OPEN_INVOICE, UNPAID

if TYPE_CHECKING:
    from .backend import Backend
    from .model import Order

CALLBACK_IPS = ("18.194.211.115", "3.70.205.120", "3.250.143.116", "185.252.146.25")  # [D]


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def order_view(order: "Order", backend: "Backend", now: datetime) -> dict:
    """Every field of the sample, in the sample's order."""
    merchant, status = order.merchant, order.status(now)
    is_withdraw = order.is_withdrawal
    blocked = status in ("invoiceCheckBlocked", "withdrawBlocked")
    page = f"{order.origin}/invoice/{order.uid}"
    return {
        "netCommission": amount(order.fee) if is_withdraw else None,
        "serviceCommission": amount(backend.service_commission(order)),
        "comment": order.comment,
        "publicComment": order.public_comment,
        "merchantUid": merchant.get("merchant_uid"),
        "merchantName": merchant.get("merchant_name"),
        "merchantId": str(merchant.get("merchant_id")),
        "type": order.type,
        "status": status,
        "invoiceCurrencyCode": order.invoice_asset if order.type in (INVOICE, OPEN_INVOICE) else None,
        "currencyInCode": order.currency_in.code,
        "currencyOutCode": order.currency_out.code,
        "invoiceAmount": amount(order.invoice_amount),
        "amountInExpected": amount(order.amount_in_expected),
        "amountInFact": amount(order.amount_in_fact()),
        "amountOutExpected": amount(backend.amount_out_expected(order)),
        "amountOutFact": amount(order.amount_out_fact),
        "hedgeRate": amount(order.hedge_rate),
        "isDone": order.is_done(now),
        "apiMode": "api",
        "risk": "100" if blocked else "0",                       # [A] the AML score
        "requisites": order.requisites,
        "requisitesIn": None if is_withdraw else order.requisites,
        "requisitesMemoTag": order.memo,
        "billingTag": None,
        "requisitesQrCode": (f"{order.origin}/qr-code/{order.uid}"
                             if not is_withdraw and order.requisites else None),
        "assetInCode": order.currency_in.asset,
        "assetOutCode": order.currency_out.asset,
        "networkInCode": order.currency_in.network,
        "networkOutCode": order.currency_out.network,
        "balanceAfter": amount(order.balance_after),
        "callbackUrl": order.callback_url,                        # [A] the order's own, as sent
        "invoicePublicUrl": None if is_withdraw else page,
        "txId": order.tx_id(),
        "expirationTime": iso(order.expires_at),
        "isImPayed": False,                                       # [A] no payer-side "I have paid"
        "isBayerPaysService": order.buyer_pays,
        "serviceFeeCurrencyCode": order.currency_in.code if is_withdraw else None,
        "netFeeCurrencyCode": order.currency_in.code if is_withdraw else None,
        "id": order.id,
        "uid": order.uid,
        "createdAt": iso(order.created_at),
        "updatedAt": iso(order.updated_at or order.created_at),
        "deletedAt": None,
        "paymentTiming": order.payment_timing(),
        "amountValidity": order.amount_validity(),
    }


def merchant_view(merchant: dict, backend: "Backend") -> dict:
    """[C] balanceUsd and equal (a front-end reads both as strings); [A] equal = the same total in
    USDT, the balance currency the sample credits."""
    usd = backend.balance_usd(merchant)
    return {"uid": merchant.get("merchant_uid"), "id": str(merchant.get("merchant_id")),
            "name": merchant.get("merchant_name"), "callbackUrl": merchant.get("webhook_url"),
            "callbackIps": list(CALLBACK_IPS), "balanceUsd": amount(usd.quantize(Decimal("0.01"))),
            "equal": amount((usd / backend.rates["USDT"]).quantize(Decimal("0.000001")))}


def ok(data) -> dict:
    """The documented wrapper of every success."""
    return {"message": "ok", "data": data}


def reference(order: "Order") -> str | None:
    """AlfaBit Pay has no merchant order id field: a merchant names its order in `comment` (the
    sandbox's stories do), else in `publicComment` (the docs' sample: "Order N123456")."""
    return order.comment or order.public_comment or None


def summaries(backend, now: datetime) -> list[dict]:
    """The dashboard's list: invoices and withdrawals, in the API's status words."""
    return [{"kind": "withdrawal" if o.is_withdrawal else "invoice", "id": o.uid,
             "status": o.status(now), "created": iso(o.created_at), "reference": reference(o),
             "amounts": ({"out": f"{o.amount_out_expected} {o.currency_out.asset}"} if o.is_withdrawal else
                         {"expected": f"{o.amount_in_expected} {o.currency_in.asset}",
                          "paid": f"{o.amount_in_fact()} {o.currency_in.asset}"})}
            for o in backend.orders.values()]


def dashboard_view(backend, kind: str, object_id: str, now: datetime) -> dict | None:
    order = backend.orders.get(object_id)
    if order is None or kind != ("withdrawal" if order.is_withdrawal else "invoice"):
        return None
    if order.is_withdrawal:
        amounts = {"expected": str(order.amount_out_expected), "paid": str(order.amount_out_fact),
                   "over": None, "under": None, "unit": order.currency_out.asset}
    else:
        expected, paid = order.amount_in_expected, order.amount_in_fact()
        amounts = {"expected": str(expected) if expected else "any", "paid": str(paid),
                   "over": str(max(paid - expected, 0)) if expected else None,
                   "under": str(max(expected - paid, 0)) if expected else None,
                   "unit": order.currency_in.asset}
    expiry, status = order.expiry_instant(), order.status(now)
    owed = order.amount_in_expected - order.amount_in_fact()
    waiting = status in ("invoiceWaitRequisites", "invoiceWaitPay", "invoiceWaitConfirms")
    return {"kind": kind, "id": order.uid, "status": status,
            "api": order_view(order, backend, now), "created": iso(order.created_at), "amounts": amounts,
            "reference": reference(order), "reference_field": "comment" if order.comment else "publicComment",
            "due": (f"{amount(owed)} {order.currency_in.asset}"
                    if order.type == INVOICE and waiting and owed > 0 else None),
            "confirmations": None,
            # the deadline matters until money arrives (or it has passed unpaid)
            "expires_at": expiry.isoformat() if expiry and status in ("invoiceWaitRequisites", "invoiceWaitPay",
                                                                      "invoiceNotPayed") else None,
            "addresses": [order.requisites] if order.requisites else [], "refs": [order.uid, str(order.id)],
            "page": None if order.is_withdrawal else f"/alfabit/invoice/{order.uid}",
            "facts": _facts(order, status, now)}


def _facts(order: "Order", status: str, now: datetime) -> dict:
    """What the simulate verbs' `when` predicates read (simulate.py SIMULATION_PARAMS): each mirrors
    the check its verb makes before it answers 409."""
    done = order.is_done(now)
    ends = order.check_ends()
    return {"with_amount": order.type == INVOICE, "verdict": order.verdict, "done": done,
            "unconfirmed": _unconfirmed(order, now), "held": order.held, "payout_out": order.payout_out, "requisites": order.requisites is not None,
            "creating": not done and not order.is_withdrawal and order.requisites_at is None,
            "aml_open": not done and status not in ("inProgress", "warning") and (ends is None or now < ends),
            "revocable": not done and status in (*UNPAID, "invoiceNotPayed")
                         and (not order.is_withdrawal or status == "created")}


def _unconfirmed(order: "Order", now: datetime) -> bool:
    """A transfer (deposit, or a withdrawal's payout) still short of its confirmations."""
    if order.is_withdrawal:
        return order.payout is not None and order.payout.confirmations(now) < order.currency_out.confirmations
    return order.confirmed_at is None and any(
        t.confirmations(now) < order.currency_in.confirmations for t in order.transfers)
