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
