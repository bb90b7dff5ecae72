"""Order -> JSON: the fields an order shows in webhooks and in the query endpoints' ``data``.

Field names are the docs' own [D]. Off-ramp: where the docs' table and sample disagree
(``cryptoacturalAmount``/``rampfee`` in the table, ``cryptoActualAmount``/``rampFee`` in the sample)
the sandbox uses the sample's spelling [A]. Every field is a string; a field with nothing to say
is "" (the docs' samples do the same).
``rawRampFee`` (in the docs' on-ramp sample and query sample, not in the field table): [A] the ramp
fee before any merchant discount; the sandbox has no discounts, so it equals ``rampFee``, written
with 6 decimals as in the sample ("69.060000").
Number formats follow the samples [D]: on-ramp fiat and crypto figures 8 decimals ("900.00000000"),
rawRampFee 6, USD figures 2, cryptoAmountInUSDT 5; off-ramp figures 10 decimals ("100.0000000000").
[A] The on-ramp sample's cryptoQuantity ("7.57") and cryptoNetworkFee ("1.17") show 2 decimals
where its other crypto figures show 8; the sandbox writes them with 8, as its quotes do.
"""
from __future__ import annotations

from datetime import datetime

from .model import (BUY, FINISHED, INTERIM_PAY_FAIL, PAY_FAIL, PENDING, SELL_CREATED, Order, fmt2, fmt6,
                    fmt8, fmt10, fmt_time)

ORDER_PAGE = "https://ramptest.alchemypay.org/#/sellOrder?sellOrderId={order_no}"  # [A] shape from the docs' sample


def _tx(order: Order) -> tuple[str, str]:
    if order.transfer is None:
        return "", ""
    return order.transfer.txid, fmt_time(order.transfer.seen_at)


def on_ramp_fields(order: Order, status: str) -> dict[str, str]:
    tx_hash, tx_time = _tx(order)
    finished = status == FINISHED
    fields = {
        "appId": order.app_id, "orderNo": order.order_no, "email": order.email,
        "merchantUid": order.merchant_uid,
        "crypto": order.crypto, "cryptoPrice": fmt8(order.crypto_price),
        "cryptoQuantity": fmt8(order.crypto_quantity) if order.paid_at else "",
        "payType": "CREDIT_CARD", "fiat": order.fiat, "amount": fmt8(order.amount),
        "payTime": fmt_time(order.paid_at or order.pay_failed_at),
        "network": order.network, "address": order.address,
        "txTime": tx_time if finished else "", "txHash": tx_hash if finished else "",
        "status": status, "merchantOrderNo": order.merchant_order_no,
        "networkFee": fmt8(order.network_fee), "rampFee": fmt8(order.ramp_fee), "rampFeeUnit": order.fiat,
        "rawRampFee": fmt6(order.ramp_fee),
    }
    if status == PAY_FAIL:
        fields["returnCode"] = order.fail_code
        fields["returnMsg"] = order.fail_msg
    else:
        fields["message"] = ""
    if finished:
        fields.update({
            "fiatInUSD": fmt2(order.usd(order.amount)),
            "rampFeeInUSD": fmt2(order.usd(order.ramp_fee)),
            "cryptoNetworkFee": fmt8(order.crypto_network_fee),
            "networkFeeInUSD": fmt2(order.usd(order.network_fee)),
            "cryptoAmountInUSDT": str(order.crypto_in_usdt),
        })
    return fields


def off_ramp_fields(order: Order, status: str) -> dict[str, str]:
    tx_hash = order.transfer.txid if order.transfer is not None else ""
    complete = fmt_time(order.transfer.seen_at) if order.transfer is not None else ""
    account = order.payout_account
    return {
        "orderNo": order.order_no, "address": order.address,
        "payTime": fmt_time(order.payout_started_at), "completeTime": complete,
        "merchantOrderNo": order.merchant_order_no, "crypto": order.crypto, "network": order.network,
        "cryptoPrice": fmt10(order.crypto_price), "cryptoAmount": fmt10(order.amount),
        "fiatAmount": fmt10(order.fiat_amount), "appId": order.app_id, "fiat": order.fiat,
        "txHash": tx_hash, "email": order.email, "status": status,
        "orderAddress": ORDER_PAGE.format(order_no=order.order_no),
        "cryptoActualAmount": fmt10(order.received_crypto) if order.transfer is not None else "",
        "rampFee": fmt10(order.ramp_fee), "receiptTime": fmt_time(order.payout_done_at),
        "paymentType": order.pay_way_code, "name": account.get("name", ""),
        "account": account.get("account", ""), "card": account.get("card", ""),
        "failReason": order.fail_reason,
    }


def query_data(order: Order, now: datetime, *, legacy_words: bool = False) -> dict[str, str]:
    """``data`` of query/trade (and order/detail with ``legacy_words``)."""
    status = order.legacy_status(now) if legacy_words else order.status(now)
    real_status = order.status(now)
    if order.side == BUY:
        fields = on_ramp_fields(order, real_status)
        fields.pop("merchantUid", None)
        fields["status"] = status
    else:
        fields = off_ramp_fields(order, real_status)
        fields["status"] = status
    fields.update({"side": order.side, "createTime": fmt_time(order.created_at), "alpha2": order.alpha2})
    return fields


WAITING = (PENDING, INTERIM_PAY_FAIL, SELL_CREATED)   # the order waits for the user, until expires_at


def summaries(backend, now: datetime) -> list[dict]:
    """The dashboard's list: buy and sell orders, in the query API's status words."""
    return [{"kind": "order", "id": o.order_no, "status": o.status(now), "created": o.created_at.isoformat(),
             "reference": o.merchant_order_no or None,
             "amounts": {o.side.lower(): f"{o.amount} {o.fiat if o.side == 'BUY' else o.crypto}"}}
            for o in backend.orders.values()]


def dashboard_view(backend, kind: str, object_id: str, now: datetime) -> dict | None:
    order = backend.orders.get(object_id) if kind == "order" else None
    if order is None:
        return None
    unit = order.fiat if order.side == "BUY" else order.crypto
    received = None if order.side == "BUY" else (
        order.transfer.amount if order.transfer is not None else 0)
    amounts = {"expected": str(order.amount), "paid": None if received is None else str(received),
               "over": None, "under": None, "unit": unit}
    if received is not None:
        amounts["over"] = str(max(received - order.amount, 0))
        amounts["under"] = str(max(order.amount - received, 0))
    status = order.status(now)
    return {"kind": kind, "id": order.order_no, "status": status,
            "api": {**query_data(order, now), "legacyStatus": order.legacy_status(now)},
            "created": order.created_at.isoformat(), "amounts": amounts, "confirmations": None,
            "reference": order.merchant_order_no or None, "reference_field": "merchantOrderNo", "due": None,
            "facts": {"side": order.side},
            # the payment window counts down only while the order waits for the user
            "expires_at": order.expires_at.isoformat() if status in WAITING else None,
            # a buy order's address is the user's wallet: shown once the crypto went out to it
            "addresses": [order.address] if order.side != "BUY" or order.transfer is not None else [],
            "refs": [order.order_no, order.merchant_order_no], "page": f"/alchemypay/pay/{order.order_no}"}
