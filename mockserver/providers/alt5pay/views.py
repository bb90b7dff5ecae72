"""ALT 5 Pay's JSON shapes: the transaction and invoice objects and its two time stamp formats."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Invoice, Payment, Settlement


def stamp_iso(moment: datetime) -> str:
    """`2022-08-02T17:45:15.000Z`, as transactions show date_time."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stamp_space(moment: datetime) -> str:
    """`2020-05-04 14:32:46.480`, as `expires` and price date_time read."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def payment_view(payment: "Payment", now: datetime) -> dict:
    """The transaction object of /usr/wallet/transactions* [D field order]."""
    w = payment.wallet
    return {"date_time": stamp_iso(payment.transfer.seen_at), "address": w.address,
            "status": payment.status(now), "payment_amount": payment.amount, "total_payment": payment.total,
            "txid": payment.txid, "price": payment.price, "currency": w.currency, "coin": w.asset.coin,
            "source_address": payment.transfer.source_address}


def invoice_view(invoice: "Invoice", now: datetime) -> dict:
    return {"invoice_id": invoice.invoice_id, "ref_id": invoice.ref_id,
            "payment_status": invoice.payment_status(now), "paid_amount": invoice.paid_amount(now),
            "total_amount": invoice.total_amount, "currency": invoice.currency}


def settled_text(amount) -> str:
    """settled_payment as the docs' sample prints it: a string, no leading zero (".975") [D sample]."""
    text = format(amount.normalize() if amount == amount.to_integral() else amount, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text[1:] if text.startswith("0.") else text


def merchant_transaction_view(payment: "Payment", now: datetime) -> dict:
    """An entry of /usr/transactions [D field order]; nothing settles while Pending [A]."""
    w = payment.wallet
    paid = payment.status(now) == "Paid"
    return {"ref_id": w.ref_id, "date_time": stamp_iso(payment.transfer.seen_at), "address": w.address,
            "tag": w.tag, "txid": payment.txid, "price": payment.price, "payment_amount": payment.amount,
            "total_payment": payment.total, "coin": w.asset.coin, "status": payment.status(now),
            "currency": w.currency, "settled_currency": w.currency,
            "settled_payment": settled_text(payment.settled_payment) if paid else "0",
            "settled_fee": payment.settled_fee if paid else 0, "type": payment.type, "note": ""}


def settlement_view(settlement: "Settlement") -> dict:
    """An entry of /usr/payments [D field order]."""
    return {"amount_paid": settlement.amount_paid, "fee_amount": settlement.processing_fees,
            "date": stamp_iso(settlement.created_at), "currency": settlement.currency,
            "payment_type_fee": settlement.fee, "payment_type": settlement.payment_type, "notes": ""}


def summaries(backend, now: datetime) -> list[dict]:
    """The dashboard's list: hosted invoices and wallet addresses, with the merchant's ref_id."""
    out = [{"kind": "invoice", "id": i.invoice_id, "status": i.payment_status(now),
            "created": i.created_at.isoformat(), "reference": i.ref_id,
            "amounts": {"total": f"{i.total_amount} {i.currency}", "paid": f"{i.paid_amount(now)} {i.currency}"}}
           for i in backend.invoices.values()]
    out += [{"kind": "address", "id": w.address, "status": _wallet_status(w, now),
             "created": w.created_at.isoformat(), "reference": w.ref_id,
             "amounts": {"received": f"{sum((p.amount for p in w.payments), Decimal(0))} {w.asset.coin}"}}
            for w in backend.wallets.values()]
    return out


def _wallet_status(wallet, now: datetime) -> str:
    if wallet.payments:
        return wallet.payments[-1].status(now)
    if wallet.seen:                 # its payments were all Paid, then forgotten (retention)
        return "Paid"
    return "Expired" if now >= wallet.expires_at else "Waiting"


def _confirmations(payments: list, now: datetime) -> dict | None:
    """The payment furthest from its asset's required count (received not capped), or None."""
    if not payments:
        return None
    worst = max(payments, key=lambda p: p.wallet.asset.confirmations - p.confirmations(now))
    return {"received": worst.confirmations(now), "required": worst.wallet.asset.confirmations}


def dashboard_view(backend, kind: str, object_id: str, now: datetime, wallet_view) -> dict | None:
    if kind == "invoice" and (i := backend.invoices.get(object_id)) is not None:
        expected, paid, due = i.total_amount, i.paid_amount(now), i.amount_due()
        return {"kind": kind, "id": i.invoice_id, "status": i.payment_status(now),
                "api": invoice_view(i, now), "created": i.created_at.isoformat(),
                "reference": i.ref_id, "reference_field": "ref_id",
                "amounts": {"expected": str(expected), "paid": str(paid),
                            "over": str(max(paid - expected, 0)), "under": str(max(expected - paid, 0)),
                            "unit": i.currency},
                # what is still to pay counts payments seen but not yet confirmed
                "due": f"{due} {i.currency}" if due > 0 else None,
                "confirmations": _confirmations(i.payments(), now), "expires_at": None,
                "addresses": [w.address for w in i.wallets.values()], "refs": [i.invoice_id, i.ref_id],
                "page": f"/alt5pay/payinvoice/?inv={i.invoice_id}",
                "facts": {"quote_live": any(now < w.expires_at for w in i.wallets.values())}}
    if kind == "address" and (w := backend.wallets.get(object_id)) is not None:
        paid = sum((p.amount for p in w.payments), Decimal(0))
        return {"kind": kind, "id": w.address, "status": _wallet_status(w, now),
                "api": wallet_view(w), "created": w.created_at.isoformat(),
                "reference": w.ref_id, "reference_field": "ref_id",
                "amounts": {"expected": None, "paid": str(paid), "over": None, "under": None,
                            "unit": w.asset.coin},
                "due": None, "confirmations": _confirmations(w.payments, now),
                "expires_at": w.expires_at.isoformat(), "addresses": [w.address], "refs": [w.ref_id],
                "page": None, "facts": {"quote_live": now < w.expires_at}}
    return None
