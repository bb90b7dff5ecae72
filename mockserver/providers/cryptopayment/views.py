"""The provider's JSON shapes for invoices and withdrawals."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Invoice, Withdrawal


def iso(moment: datetime) -> str:
    """ISO 8601 with offset and whole seconds, as the docs show: 2024-01-15T10:30:00+00:00."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def money(amount: Decimal) -> float | int:
    """As the docs show money: floats (50.00 -> 50.0), and a plain 0 for nothing paid yet."""
    return 0 if amount == 0 else float(amount)


def invoice_view(invoice: "Invoice", now: datetime) -> dict:
    return {
        "id": invoice.id,
        "order_id": invoice.order_id,
        "status": invoice.status(now),
        "network": invoice.network.code,
        "network_label": invoice.network.label,
        "coin": invoice.network.coin,
        "amount_usd": money(invoice.amount_usd),
        "amount_crypto": money(invoice.amount_crypto),
        "address": invoice.address,
        "paid_amount": money(invoice.paid_amount()),
        "txid": invoice.txid(),
        "confirmations": {"received": invoice.confirmations_received(now),
                          "required": invoice.network.confirmations},
        "expires_at": iso(invoice.expires_at),
        "created_at": iso(invoice.created_at),
    }


def withdrawal_view(w: "Withdrawal") -> dict:
    return {
        "id": w.id,
        "coin": w.coin,
        "amount": money(w.amount),
        "fee": money(w.fee),
        "net_amount": money(w.amount - w.fee),
        "address": w.address,
        "status": w.status,
        "requires_review": w.requires_review,
        "txid": w.txid,
        "created_at": iso(w.created_at),
        "completed_at": iso(w.completed_at) if w.completed_at else None,
    }


def _text(amount: Decimal) -> str:
    return format(amount, "f")


def summaries(backend, now: datetime) -> list[dict]:
    """The dashboard's list: invoices and withdrawals in the API's own status words."""
    out = [{"kind": "invoice", "id": i.id, "status": i.status(now), "created": iso(i.created_at),
            "reference": i.order_id,
            "amounts": {"expected": f"{_text(i.amount_crypto)} {i.network.coin}",
                        "paid": f"{_text(i.paid_amount())} {i.network.coin}"}}
           for i in backend.invoices.values()]
    out += [{"kind": "withdrawal", "id": w.id, "status": w.status, "created": iso(w.created_at),
             "reference": None, "amounts": {"amount": f"{_text(w.amount)} {w.coin}"}}
            for w in backend.withdrawals.values()]
    return out


def _confirmations(invoice: "Invoice", status: str, now: datetime) -> dict:
    """The least-confirmed on-time transfer's count, not capped (the API caps it at required),
    so the page and the timeline's transfers agree; with a note where a reader would wonder."""
    required = invoice.network.confirmations
    received = min((t.confirmations(now) for t in invoice.transfers), default=0)
    note = None
    if invoice.transfers and received >= required:
        note = {"pending": "enough; the invoice waits for the rest of the amount",
                "expired": "enough, but the amount fell short before the invoice expired"}.get(status)
    return {"received": received, "required": required, "note": note}


def dashboard_view(backend, kind: str, object_id: str, now: datetime) -> dict | None:
    if kind == "invoice" and (invoice := backend.invoices.get(object_id)) is not None:
        expected, paid, status = invoice.amount_crypto, invoice.paid_amount(), invoice.status(now)
        owed = expected - paid
        return {"kind": kind, "id": invoice.id, "status": status,
                "api": invoice_view(invoice, now), "created": iso(invoice.created_at),
                "reference": invoice.order_id, "reference_field": "order_id",
                "amounts": {"expected": _text(expected), "paid": _text(paid),
                            "over": _text(max(paid - expected, Decimal(0))),
                            "under": _text(max(owed, Decimal(0))),
                            "unit": invoice.network.coin},
                "due": f"{_text(owed)} {invoice.network.coin}" if status == "pending" and owed > 0 else None,
                "confirmations": _confirmations(invoice, status, now),
                # a paid invoice no longer expires (confirming, confirmed): no deadline to show
                "expires_at": invoice.expiry_instant().isoformat() if status in ("pending", "expired") else None,
                "addresses": [invoice.address], "refs": [invoice.id], "page": f"/cryptopayment/pay/{invoice.id}",
                "facts": {"paid": paid > 0}}
    if kind == "withdrawal" and (w := backend.withdrawals.get(object_id)) is not None:
        return {"kind": kind, "id": w.id, "status": w.status, "api": withdrawal_view(w),
                "created": iso(w.created_at), "reference": None, "reference_field": None,
                "amounts": {"expected": _text(w.amount), "paid": None, "over": None, "under": None,
                            "unit": w.coin},
                "due": None, "confirmations": None, "expires_at": None, "addresses": [], "refs": [w.id],
                "page": None}
    return None
