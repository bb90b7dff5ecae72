"""ALPPAY's JSON shapes, as the reference pages show them, keys in the order of the docs' samples
(payment: createPayment / paymentWebhooks / webhookSequence; withdrawal: the v2 withdrawal pages;
wallet: getWalletsByClient), so a body is laid out like production's."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .assets import Asset
    from .model import Deposit, Payment, Wallet, Withdrawal

CENT = Decimal("0.01")
ZERO_TIME = "0001-01-01T00:00:00Z"        # [D] getWalletsByClient: "zero value if not blocked"
NOBODY = "00000000-0000-0000-0000-000000000000"


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a Z, whole seconds, as the payment samples show: 2025-05-20T12:34:56Z."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso_nano(moment: datetime | None) -> str | None:
    """Nine fractional digits, as the v2 withdrawal samples show: 2025-08-07T09:08:58.780375195Z.
    [A] the clock has microseconds, so the last three digits are 0, and all nine are always
    written (production trims trailing zeros): a parser that cannot take them fails at once."""
    if moment is None:
        return None
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}000Z"


def money(amount: Decimal) -> str:
    """Decimal string, at least two places ("20.00", "0.000125"), never an exponent [D: strings]."""
    if amount.as_tuple().exponent > -2:
        amount = amount.quantize(CENT)
    return f"{amount:f}"


def plain(amount: Decimal) -> str:
    """A decimal string without trailing zeros or exponent, "0" for nothing (wallets-balances)."""
    return f"{amount.normalize():f}" if amount else "0"


def asset_view(asset: "Asset") -> dict:
    return {"short": asset.short, "name": asset.name, "logoUrl": asset.logo_url, "network": asset.network}


def _profile(merchant: dict) -> dict:
    return merchant.get("profile") or {}


def merchant_view(merchant: dict) -> dict:
    """The withdrawal samples' order: id, name, email, siteUrl, logoUrl."""
    info = _profile(merchant)
    return {"id": info.get("id", ""), "name": info.get("name", ""), "email": info.get("email", ""),
            "siteUrl": info.get("siteUrl", ""), "logoUrl": info.get("logoUrl", "")}


def payment_merchant_view(merchant: dict) -> dict:
    """The payment samples' order: id, name, siteUrl, logoUrl, email."""
    info = _profile(merchant)
    return {"id": info.get("id", ""), "name": info.get("name", ""), "siteUrl": info.get("siteUrl", ""),
            "logoUrl": info.get("logoUrl", ""), "email": info.get("email", "")}


def transaction_view(payment: "Payment", deposit: "Deposit") -> dict:
    tx = deposit.transfer
    when = iso(tx.seen_at)
    checked = deposit.risk_checked_at is not None
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
        # [D: webhookSequence] 0 / null / "0" until the AML check has run
        "riskScore": deposit.risk_score,
        "isDanger": deposit.danger,
        "riskCheckedAt": iso(deposit.risk_checked_at),
        "amlPriceUsd": money(deposit.aml_price_usd.quantize(CENT)) if checked else "0",
    }


def payment_status(payment: "Payment", now: datetime) -> str:
    """OPEN | EXPIRED | COMPLETED; a cancelled payment is EXPIRED (getPayment's words) unless the
    merchant setting `cancelled_status: CANCELLED` asks for the older list page's word [A]."""
    status = payment.status(now)
    if payment.cancelled and status == "EXPIRED" and payment.merchant.get("cancelled_status") == "CANCELLED":
        return "CANCELLED"
    return status


def payment_view(payment: "Payment", now: datetime) -> dict:
    fixed = sum((d.fixed_fee for d in payment.deposits), Decimal(0))
    view = {
        "id": payment.id,
        "transactions": [transaction_view(payment, d) for d in payment.deposits],
        "amount": payment.amount_text,
        "totalReceivedAmount": money(payment.received()),
        "asset": asset_view(payment.asset),
        "addressTo": payment.address,
        "destTag": payment.dest_tag,
        "confirmsNeeded": payment.confirms_shown,
        "timeout": payment.timeout,
        "checkoutUrl": payment.checkout_url,
        "status": payment_status(payment, now),
        "displayStatus": payment.display_status(now),
        "customer": dict(payment.customer) if payment.customer is not None else None,
        "merchant": payment_merchant_view(payment.merchant),
        "invoice": payment.invoice,
        "paymentRedirectUrl": payment.redirect_url,
        "clientId": payment.client_id or "",
        "fixedFee": money(fixed),
        "createdAt": iso(payment.created_at),
        "updatedAt": iso(payment.updated_at),
    }
    if payment.customer is None:      # [D] the deposit-detected sample has no customer
        del view["customer"]
    return view


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
        "createdAt": iso_nano(withdrawal.created_at),
        "updatedAt": iso_nano(withdrawal.updated_at),
        "timeToApprove": iso_nano(withdrawal.approved_at),
    }


def wallet_view(backend, wallet: "Wallet") -> dict:
    """getWalletsByClient's wallet object [D]; [A] statusDate is the last change on the wallet,
    riskCheckedAt the zero time until a transfer on it was checked, comment always ""."""
    profile = _profile(wallet.merchant)
    return {
        "id": wallet.id,
        "address": wallet.address,
        "assetShort": wallet.asset.short,
        "assetNetwork": wallet.asset.network,
        "statusValue": backend.wallet_status(wallet),
        "statusDate": iso(wallet.updated_at),
        "merchantName": profile.get("name", ""),
        "destinationTag": wallet.dest_tag,
        "merchantId": backend.merchant_number(wallet.merchant),
        "comment": "",
        "blockedAt": iso(wallet.blocked_at) or ZERO_TIME,
        "createdAt": iso(wallet.created_at),
        "updatedAt": iso(wallet.updated_at),
        "lastActionUser": NOBODY,
        "riskScore": wallet.risk_score,
        "riskCheckedAt": iso(wallet.risk_checked_at) or ZERO_TIME,
        "isDanger": wallet.is_danger,
        "clientId": wallet.client_id or "",
    }


def wallet_info_view(backend, wallet: "Wallet", since: datetime | None, until: datetime | None) -> dict:
    """One wallet in the client-wallet report [A: the page's response could not be read]: its
    balance (what its payments credited, less withdraw-direct), in USD too, and its transfers
    with their AML data within [dateFrom, dateTo]."""
    balance = backend.address_balances.get(wallet.address, Decimal(0))
    transfers = []
    for payment in backend.address_payments.get(wallet.address, ()):
        for d in payment.deposits:
            seen = d.transfer.seen_at
            if (since is not None and seen < since) or (until is not None and seen > until):
                continue
            transfers.append({
                "txnId": d.transfer.txid, "paymentId": payment.id, "amount": money(d.amount),
                "amountUsd": money(wallet.asset.usd(d.amount).quantize(CENT)), "createdAt": iso(seen),
                "riskScore": d.risk_score, "isDanger": d.danger, "riskCheckedAt": iso(d.risk_checked_at)})
    return {
        "address": wallet.address, "assetShort": wallet.asset.short, "assetNetwork": wallet.asset.network,
        "statusValue": backend.wallet_status(wallet), "destinationTag": wallet.dest_tag,
        "balance": money(balance), "balanceUsd": money(wallet.asset.usd(balance).quantize(CENT)),
        "createdAt": iso(wallet.created_at), "blockedAt": iso(wallet.blocked_at) or ZERO_TIME,
        "transactions": transfers,
    }


def deposit_address_view(wallet: "Wallet") -> dict:
    """createDepositAddress's item [D]: symbol, address, and dest_tag on TON."""
    item = {"symbol": wallet.asset.short, "address": wallet.address}
    if wallet.asset.tagged:
        item["dest_tag"] = wallet.dest_tag
    return item


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
