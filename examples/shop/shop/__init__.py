"""A tiny web shop that takes crypto payments through CryptoPayment.center, and card payments
settled in crypto through Alchemy Pay (stdlib only).

    POST /orders {"amount_usd": "50.00", "network": "trc20"}
         -> 201 {"id", "status": "awaiting_payment", "invoice_id", "checkout_url", ...}
    POST /orders {"amount_usd": "100", "provider": "alchemypay"}   (invoice_id: Alchemy Pay's orderNo)
    GET  /orders/{id}                -> the order; status awaiting_payment | paid
    POST /webhooks/cryptopayment     -> 200 acknowledged, 400 malformed or badly signed
    POST /webhooks/alchemypay        -> 200 "success" acknowledged, 401 not genuine or not recent

Each notice is acted on once: a provider resends one it thinks was lost, and notices are not
ordered (a late "detected" after "confirmed" changes nothing). A notice about an order the shop
does not have is acknowledged: retrying would not make it known.

Configuration from the environment (`Settings.from_env`). The defaults are the sandbox's fake
credentials and `make serve`'s address, so `python -m shop` runs against a local sandbox as is;
production sets them to the real base URLs and keys.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Mapping

from .alchemypay import AlchemyPay, AlchemyPayError

NETWORKS = ("btc", "ltc", "eth", "trc20", "bep20")
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://127.0.0.1:8080/cryptopayment/api/v1"
    api_key: str = "pk_sandbox_4f3c2a1b9d8e7f60"
    api_secret: str = "sk_sandbox_9a8b7c6d5e4f3a2b1c0d"
    app_key: str = "c2FuZGJveC1hcHAta2V5LWZvci13ZWJob29rcy0wMDE="   # base64, decoded before use
    alchemypay_base_url: str = "http://127.0.0.1:8080/alchemypay"
    alchemypay_app_id: str = "sbx7alc0d3k9q2mp"
    alchemypay_app_secret: str = "T5wQ8nY2rK4hS6jD"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        names = {"base_url": "CRYPTOPAYMENT_BASE_URL", "api_key": "CRYPTOPAYMENT_API_KEY",
                 "api_secret": "CRYPTOPAYMENT_API_SECRET", "app_key": "CRYPTOPAYMENT_APP_KEY",
                 "alchemypay_base_url": "ALCHEMYPAY_BASE_URL", "alchemypay_app_id": "ALCHEMYPAY_APP_ID",
                 "alchemypay_app_secret": "ALCHEMYPAY_APP_SECRET"}
        return cls(**{attr: env[var] for attr, var in names.items() if env.get(var)})


class ProviderError(Exception):
    """The payment provider refused a call or could not be reached."""


class CryptoPayment:
    """The provider's API as this shop uses it: create an invoice, read it back."""

    def __init__(self, settings: Settings, timeout: float = 10.0):
        self.base_url = settings.base_url.rstrip("/")
        self.auth = f"Bearer {settings.api_key}:{settings.api_secret}"
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @staticmethod
    def invoice_request(order: "Order") -> dict:
        """The body of POST /invoices; tests check it against the provider's contract."""
        return {"network": order.network, "amount_usd": float(order.amount_usd), "order_id": order.id}

    def create_invoice(self, order: "Order") -> dict:
        return self._call("POST", "/invoices", self.invoice_request(order))

    def get_invoice(self, invoice_id: str) -> dict:
        return self._call("GET", f"/invoices/{invoice_id}")["invoice"]

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base_url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": self.auth, "Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                return json.loads(resp.read(), parse_float=Decimal)
        except urllib.error.HTTPError as exc:
            raise ProviderError(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None
        except (OSError, ValueError) as exc:
            raise ProviderError(f"{method} {path}: {exc}") from None


@dataclass
class Order:
    id: str
    amount_usd: Decimal
    network: str
    provider: str = "cryptopayment"
    status: str = "awaiting_payment"
    invoice_id: str | None = None
    checkout_url: str | None = None
    amount_crypto: str | None = None
    paid_amount: str = "0"
    txid: str | None = None
    events: list[str] = field(default_factory=list)
    # notices already handled, (event, paid_amount): a provider resends one it thinks was lost
    handled: set = field(default_factory=set, repr=False)

    def view(self) -> dict:
        view = {**asdict(self), "amount_usd": str(self.amount_usd)}
        del view["handled"]
        return view


class Shop:
    # what stops each provider's retries: CryptoPayment takes any 200, Alchemy Pay a 200 saying success
    ACK = {"cryptopayment": (200, {"ok": True}), "alchemypay": (200, "success")}

    def __init__(self, settings: Settings):
        self.provider = CryptoPayment(settings)
        self.alchemypay = AlchemyPay(settings.alchemypay_base_url, settings.alchemypay_app_id,
                                     settings.alchemypay_app_secret)
        self.app_key = base64.b64decode(settings.app_key)
        self.orders: dict[str, Order] = {}
        self.by_invoice: dict[str, Order] = {}
        self._lock = threading.Lock()

    def place_order(self, amount_usd: Any, network: Any = None, provider: Any = "cryptopayment") -> Order:
        try:
            amount = Decimal(str(amount_usd))
        except InvalidOperation:
            raise ValueError("amount_usd must be a number") from None
        if provider == "alchemypay":
            network = "trx"     # card payments settle in USDT on TRON
        if not amount.is_finite() or amount < 1 or network not in NETWORKS + ("trx",) or provider not in self.ACK:
            raise ValueError(f"amount_usd must be at least 1, network one of {', '.join(NETWORKS)} "
                             f"and provider one of {', '.join(self.ACK)}")
        with self._lock:
            order = Order(id=f"ORD-{len(self.orders) + 1:04d}", amount_usd=amount, network=network,
                          provider=provider)
            self.orders[order.id] = order
        if provider == "alchemypay":
            created = self.alchemypay.create_order(order.id, str(amount))
            with self._lock:
                order.invoice_id, order.checkout_url = created["orderNo"], created["payUrl"]
                self.by_invoice[order.invoice_id] = order
            return order
        created = self.provider.create_invoice(order)
        with self._lock:
            order.invoice_id = created["invoice"]["id"]
            order.checkout_url = created["checkout_url"]
            order.amount_crypto = str(created["invoice"]["amount_crypto"])
            self.by_invoice[order.invoice_id] = order
        return order

    def signature_ok(self, event: dict) -> bool:
        """The provider's formula: hex HMAC-SHA256(base64decode(APP_KEY), invoice_id + "." + event)."""
        invoice_id, name, signature = event.get("invoice_id"), event.get("event"), event.get("signature")
        if not all(isinstance(v, str) for v in (invoice_id, name, signature)):
            return False
        expected = hmac.new(self.app_key, f"{invoice_id}.{name}".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode())

    def handle_webhook(self, raw: bytes) -> int:
        """The HTTP status to answer: 200 acknowledges (duplicates too), anything else is retried."""
        try:
            event = json.loads(raw, parse_float=Decimal)
        except ValueError:
            return 400
        if not isinstance(event, dict) or not self.signature_ok(event):
            return 400
        order = self.by_invoice.get(event["invoice_id"])
        if order is None:
            return 200   # not one of ours (another shop on the same key): retrying will not help
        notice = (event["event"], event.get("paid_amount"))   # a Decimal: 50.00 and 50.0 are one amount
        if not self.first_time(order, notice):
            return 200   # a copy of one already handled (a retry, a duplicate): acknowledged, nothing done
        if event["event"] == "payment.confirmed" and order.status != "paid":
            # The signature covers only the invoice id and the event name, not the amounts, so
            # the invoice is read back from the API before the order is marked paid.
            try:
                invoice = self.provider.get_invoice(order.invoice_id)
            except ProviderError:
                return 503   # try again later
            with self._lock:
                if invoice["status"] == "confirmed" and order.status != "paid":
                    order.status = "paid"
                    order.paid_amount = str(invoice["paid_amount"])
                    order.txid = invoice["txid"]
        with self._lock:
            if not self.first_time(order, notice, record=True):   # handled meanwhile, on another thread
                return 200
            if order.status != "paid":    # a notice older than "paid" (they are not ordered) changes nothing
                order.paid_amount = str(event.get("paid_amount", order.paid_amount))
            order.events.append(event["event"])
        return 200


    def first_time(self, order: Order, notice: tuple, record: bool = False) -> bool:
        """Whether `notice` is new for `order`; `record` marks it handled (under the lock)."""
        if notice in order.handled:
            return False
        if record:
            order.handled.add(notice)
        return True

    def handle_alchemypay(self, raw: bytes, timestamp: str, path: str) -> int:
        """The HTTP status to answer an Alchemy Pay webhook (200 goes out with `success`)."""
        event = self.alchemypay.genuine(timestamp, path, raw)
        if event is None:
            return 401
        order = self.orders.get(str(event.get("merchantOrderNo")))
        if order is None or order.invoice_id != event.get("orderNo"):
            return 200   # not one of ours: acknowledged, or it is sent again and again
        notice = (str(event.get("status")),)
        with self._lock:
            if not self.first_time(order, notice, record=True):
                return 200
            if event.get("status") == "FINISHED":   # the crypto reached the shop's wallet
                order.status, order.txid = "paid", event.get("txHash") or None
                order.paid_amount = str(event.get("cryptoQuantity", order.paid_amount))
            order.events.append(str(event.get("status")))
        return 200

    def acknowledgement(self, provider: str, status: int) -> tuple[int, dict | str]:
        """The answer: the provider's acknowledgement for a 200, a refusal otherwise."""
        if status == 200:
            return self.ACK[provider]
        return status, ({"ok": False} if provider == "cryptopayment" else "not accepted")


class _Handler(BaseHTTPRequestHandler):
    shop: Shop

    def do_GET(self) -> None:
        order = self.shop.orders.get(self.path.removeprefix("/orders/"))
        if self.path.startswith("/orders/") and order is not None:
            return self._send(200, order.view())
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._send(413, {"error": "body too large"})
        raw = self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        if path == "/webhooks/cryptopayment":
            status = self.shop.handle_webhook(raw)
            return self._send(*self.shop.acknowledgement("cryptopayment", status))
        if path == "/webhooks/alchemypay":
            status = self.shop.handle_alchemypay(raw, self.headers.get("timestamp", ""), path)
            return self._send(*self.shop.acknowledgement("alchemypay", status))
        if self.path != "/orders":
            return self._send(404, {"error": "not found"})
        try:
            body = json.loads(raw or b"{}")
            order = self.shop.place_order(body.get("amount_usd"), body.get("network"),
                                          body.get("provider", "cryptopayment"))
        except (ValueError, AttributeError) as exc:
            return self._send(400, {"error": str(exc)})
        except (ProviderError, AlchemyPayError) as exc:
            return self._send(502, {"error": str(exc)})
        self._send(201, order.view())

    def _send(self, status: int, payload: dict | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:   # quiet in tests
        pass


class ShopServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, shop: Shop, host: str = "127.0.0.1", port: int = 0):
        handler = type("Handler", (_Handler,), {"shop": shop})
        super().__init__((host, port), handler)
        self.shop = shop
        self.url = f"http://{host}:{self.server_address[1]}"

    def start(self) -> "ShopServer":
        threading.Thread(target=self.serve_forever, args=(0.05,), name="shop", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
