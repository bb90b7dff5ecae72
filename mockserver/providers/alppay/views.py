"""ALPPAY's JSON shapes for payments and withdrawals, as the reference pages show them."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Asset, Deposit, Payment, Withdrawal

CENT = Decimal("0.01")


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, whole seconds, as the payment samples show: 2025-05-20T12:34:56Z."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def money(amount: Decimal) -> str:
    """Decimal string, at least two places ("20.00", "0.000125"), never an exponent [D: strings]."""
    if amount.as_tuple().exponent > -2:
        amount = amount.quantize(CENT)
    return f"{amount:f}"


def asset_view(asset: "Asset") -> dict:
    return {"short": asset.short, "name": asset.name, "logoUrl": asset.logo_url, "network": asset.network}


def merchant_view(merchant: dict) -> dict:
    info = merchant.get("profile") or {}
    return {"id": info.get("id", 1), "name": info.get("name", ""), "email": info.get("email", ""),
            "siteUrl": info.get("siteUrl", ""), "logoUrl": info.get("logoUrl", "")}


def transaction_view(payment: "Payment", deposit: "Deposit") -> dict:
    tx = deposit.transfer
    when = iso(tx.seen_at)
    return {
        "paymentId": payment.id,
        "txnId": tx.txid,
        "receivedAmount": money(tx.amount),
        "asset": asset_view(payment.asset),
        "destTag": None,
        "addressFrom": tx.source_address,
        "addressTo": tx.address,
        "date": when,            # [A] older pages call it `date`, newer `createdAt`: both are sent
        "createdAt": when,
        "fixedFee": money(deposit.fixed_fee),
        "percentFee": money(deposit.percent_fee),
        "riskScore": deposit.risk_score,
        "isDanger": deposit.danger,
        "riskCheckedAt": iso(deposit.risk_checked_at),
        "amlPriceUsd": money(tx.amount),   # [A] stablecoins only: 1 USD each
    }


def payment_view(payment: "Payment", now: datetime) -> dict:
    fixed = sum((d.fixed_fee for d in payment.deposits), Decimal(0))
    return {
        "id": payment.id,
        "transactions": [transaction_view(payment, d) for d in payment.deposits],
        "amount": payment.amount_text,
        "totalReceivedAmount": money(payment.received()),
        "asset": asset_view(payment.asset),
        "addressTo": payment.address,
        "destTag": None,
        "confirmsNeeded": payment.asset.confirms,
        "timeout": payment.timeout,
        "checkoutUrl": payment.checkout_url,
        "paymentRedirectUrl": payment.redirect_url,
        "status": payment.status(now),
        "displayStatus": payment.display_status(now),
        "customer": dict(payment.customer),
        "merchant": merchant_view(payment.merchant),
        "invoice": payment.invoice,
        "clientId": payment.client_id or "",
        "fixedFee": money(fixed),
        "createdAt": iso(payment.created_at),
        "updatedAt": iso(payment.updated_at),
    }


def withdrawal_view(withdrawal: "Withdrawal") -> dict:
    return {
        "id": withdrawal.id,
        "txnId": withdrawal.txn_id,
        "amount": withdrawal.amount_text,
        "receivedAmount": f"{withdrawal.received:f}",
        "asset": asset_view(withdrawal.asset),
        "addressFrom": withdrawal.address_from,
        "addressTo": withdrawal.address_to,
        "destTag": withdrawal.dest_tag if withdrawal.dest_tag is not None else "",
        "status": withdrawal.status,
        "customer": dict(withdrawal.customer),
        "merchant": merchant_view(withdrawal.merchant),
        "invoice": withdrawal.invoice,
        "createdAt": iso(withdrawal.created_at),
        "updatedAt": iso(withdrawal.updated_at),
        "timeToApprove": iso(withdrawal.approved_at),
    }


def summaries(backend, now: datetime) -> list[dict]:
    """The dashboard's list: payments and withdrawals, in the API's status words."""
    out = [{"kind": "payment", "id": p.id, "status": p.status(now), "created": iso(p.created_at),
            "reference": p.invoice or None,
            "amounts": {"expected": f"{money(p.amount)} {p.asset.short}",
                        "received": f"{money(p.received())} {p.asset.short}"}}
           for p in backend.payments.values()]
    out += [{"kind": "withdrawal", "id": w.id, "status": w.status, "created": iso(w.created_at),
             "reference": w.invoice or None, "amounts": {"amount": f"{money(w.amount)} {w.asset.short}"}}
            for w in backend.withdrawals.values()]
    return out


def _confirmations(payment: "Payment", now: datetime) -> dict | None:
    """The least-confirmed transfer's count (not capped) against confirmsNeeded, or None."""
    if not payment.deposits:
        return None
    return {"received": min(d.transfer.confirmations(now) for d in payment.deposits),
            "required": payment.asset.confirms}


def dashboard_view(backend, kind: str, object_id: str, now: datetime) -> dict | None:
    if kind == "payment" and (p := backend.payments.get(object_id)) is not None:
        expected, paid, status = p.amount, p.received(), p.status(now)
        return {"kind": kind, "id": p.id, "status": status, "api": payment_view(p, now),
                "created": iso(p.created_at), "reference": p.invoice or None, "reference_field": "invoice",
                "amounts": {"expected": money(expected), "paid": money(paid),
                            "over": money(max(paid - expected, Decimal(0))),
                            "under": money(max(expected - paid, Decimal(0))), "unit": p.asset.short},
                "due": f"{money(expected - paid)} {p.asset.short}" if status == "OPEN" and paid < expected else None,
                "confirmations": _confirmations(p, now),
                # an open payment counts down to its deadline; a closed one has none left
                "expires_at": p.expires_at.isoformat() if status == "OPEN" else None, "addresses": [p.address],
                "refs": [p.id, p.invoice], "page": f"/alppay/payment-invoice?id={p.id}",
                "facts": {"received": paid > 0, "flagged": bool(p.deposits) and p.deposits[-1].danger}}
    if kind == "withdrawal" and (w := backend.withdrawals.get(object_id)) is not None:
        return {"kind": kind, "id": w.id, "status": w.status, "api": withdrawal_view(w),
                "created": iso(w.created_at), "reference": w.invoice or None, "reference_field": "invoice",
                "due": None,
                "amounts": {"expected": money(w.amount), "paid": money(w.received), "over": None,
                            "under": None, "unit": w.asset.short},
                "confirmations": None, "expires_at": None, "addresses": [], "refs": [w.id, w.invoice],
                "page": None}
    return None
