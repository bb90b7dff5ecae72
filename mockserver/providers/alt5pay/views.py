"""ALT 5 Pay's JSON shapes: the transaction and invoice objects and its two time stamp formats."""
from __future__ import annotations

from datetime import datetime
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
