"""A merchant's and a tester's hands for the dashboard tests: signed API calls (the provider's own
client_request), simulate verbs, the clock, and the simulate panel a hosted page is filled with,
parsed into what it offers; and, per provider, factories making an object in a given state."""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Offer:
    """One button (a preset) or one form (a verb's free fields) of a simulate panel."""
    verb: str
    label: str | None          # None: the verb's form
    body: dict
    note: str | None = None
    fields: list[str] = field(default_factory=list)


class _Panel(HTMLParser):
    def __init__(self):
        super().__init__()
        self.offers: list[Offer] = []
        self._button: Offer | None = None
        self._form: Offer | None = None
        self._note: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "button" and "data-post" in a:
            self._button = Offer(a["data-post"].rsplit("/", 1)[1], "", json.loads(a["data-body"]))
        elif tag == "form" and "data-post" in a:
            self._form = Offer(a["data-post"].rsplit("/", 1)[1], None, json.loads(a["data-body"]))
        elif tag in ("input", "select") and self._form is not None:
            self._form.fields.append(a["name"])
        elif tag == "span" and a.get("class") == "note":
            self._note = []

    def handle_data(self, data):
        if self._button is not None:
            self._button.label += data
        if self._note is not None:
            self._note.append(data)

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.offers.append(self._button)
            self._button = None
        elif tag == "form" and self._form is not None:
            self.offers.append(self._form)
            self._form = None
        elif tag == "span" and self._note is not None:
            self.offers[-1].note = "".join(self._note)
            self._note = None


def parse_panel(html: str) -> list[Offer]:
    parser = _Panel()
    parser.feed(html)
    return parser.offers


def relative(provider, path: str) -> str:
    """A provider path as client_request wants it: relative to api_base (else to the prefix)."""
    for base in (provider.api_base, provider.prefix):
        base = base.rstrip("/")
        if base and path.startswith(base + "/"):
            return path[len(base):]
    return path


class Hands:
    def __init__(self, client, world):
        self.client, self.world = client, world

    async def call(self, provider: str, method: str, path: str, body=None, headers=None) -> dict:
        """A signed API call as the merchant's client makes it; answers the JSON, asserting 2xx."""
        p = self.world.providers[provider]
        signed, raw = p.client_request(self.world.backend(provider).merchants[0], method, relative(p, path), body)
        resp = await self.client.request(method, path, headers={**signed, **(headers or {})},
                                         data=raw if body is not None else None)
        text = await resp.text()
        assert 200 <= resp.status < 300, (path, resp.status, text)
        return json.loads(text)

    async def post(self, provider: str, verb: str, body: dict) -> tuple[int, dict]:
        resp = await self.client.post(f"/_sandbox/simulate/{provider}/{verb}", json=body)
        return resp.status, await resp.json()

    async def sim(self, provider: str, verb: str, **params) -> dict:
        status, answer = await self.post(provider, verb, params)
        assert 200 <= status < 300, (verb, params, status, answer)
        return answer

    async def advance(self, by: str) -> None:
        resp = await self.client.post("/_sandbox/clock/advance", json={"by": by})
        assert resp.status == 200, await resp.text()

    async def panel(self, provider: str, kind: str, object_id: str) -> list[Offer]:
        resp = await self.client.get(f"/_sandbox/ui/panel/{provider}/{kind}/{object_id}")
        assert resp.status == 200, await resp.text()
        return parse_panel(await resp.text())

    def view(self, provider: str, kind: str, object_id: str) -> dict:
        return self.world.providers[provider].object_view(self.world.backend(provider), kind, object_id)


# -- objects in states, one provider after another: each factory makes a fresh object through the
# API and takes it through simulate steps (verb, params; AlfaBit's also clock advances, "2m");
# it answers (kind, id).

TRON_TO = "TPSMckmxoQBQWfUcasbUs2cRUdh2EMQu4n"


async def cp_invoice(h: Hands, usd: int = 50) -> str:
    answer = await h.call("cryptopayment", "POST", "/cryptopayment/api/v1/invoices",
                          {"network": "trc20", "amount_usd": usd, "order_id": "ORD-V"})
    return answer["invoice"]["id"]


async def cp_withdrawal(h: Hands, amount: int) -> str:
    funding = await cp_invoice(h, amount + 10)
    await h.sim("cryptopayment", "pay", invoice=funding)
    await h.sim("cryptopayment", "confirm", invoice=funding)
    answer = await h.call("cryptopayment", "POST", "/cryptopayment/api/v1/withdrawals",
                          {"coin": "USDT-TRC20", "amount": amount, "address": TRON_TO})
    return answer["withdrawal"]["id"]


def cp(*steps, withdrawal: int | None = None):
    """An invoice (or a withdrawal of that many USDT) taken through simulate steps (verb, params)."""
    async def make(h: Hands):
        if withdrawal is not None:
            ref, kind, key = await cp_withdrawal(h, withdrawal), "withdrawal", "withdrawal"
        else:
            ref, kind, key = await cp_invoice(h), "invoice", "invoice"
        for verb, params in steps:
            await h.sim("cryptopayment", verb, **{key: ref, **params})
        return kind, ref
    return make


async def alt5_invoice(h: Hands) -> str:
    answer = await h.call("alt5pay", "POST", "/alt5pay/usr/invoice/create",
                          {"ref_id": "REF-V", "total_amount": "60", "currency": "USD"})
    return answer["data"]["invoice_id"]


async def alt5_address(h: Hands) -> str:
    answer = await h.call("alt5pay", "POST", "/alt5pay/usr/wallet/eth/create", {"ref_id": "REF-V", "currency": "USD"})
    return answer["data"]["address"]


def alt5(kind: str, *steps):
    async def make(h: Hands):
        ref = await (alt5_invoice(h) if kind == "invoice" else alt5_address(h))
        for verb, params in steps:
            await h.sim("alt5pay", verb, **{kind: ref, **params})
        return kind, ref
    return make


ORDER_NUMBERS = (f"MO-{n}" for n in itertools.count(1))   # unique per merchant
ALCHEMY_ORDER = {"fiatCurrency": "USD", "cryptoCurrency": "USDT",
                 "depositType": 2, "network": "TRX", "payWayCode": "10001"}


def alchemy(side: str, *steps):
    async def make(h: Hands):
        body = {**ALCHEMY_ORDER, "merchantOrderNo": next(ORDER_NUMBERS)}
        if side == "BUY":   # an on-ramp order: fiat in, crypto to the user's wallet
            body.update(orderType="4", amount="100", address="TSx82tWNWe5Ns6t3w94Ye3Gt6E5KeHSoP8")
        else:               # an off-ramp order: crypto in, fiat out
            body.update(orderType="6", amount="50")
        answer = await h.call("alchemypay", "POST", "/alchemypay/open/api/v4/merchant/order/create", body)
        ref = answer["data"]["orderNo"]
        for verb, params in steps:
            await h.sim("alchemypay", verb, order=ref, **params)
        return "order", ref
    return make


async def alfabit_order(h: Hands, kind: str, **extra) -> str:
    if kind == "withdrawal":
        await h.sim("alfabit", "credit", amount="100")
        answer = await h.call("alfabit", "POST", "/alfabit/api/v1/integration/orders/withdraw",
                              {"amount": "10", "toCurrencyCode": "USDTTRC20", "recipient": TRON_TO,
                               "comment": "W-V", **extra})
    elif kind == "open invoice":
        answer = await h.call("alfabit", "POST", "/alfabit/api/v1/integration/orders/invoice/without-amount",
                              {"currencyInCode": "USDTTRC20", "comment": "ORD-V", "isAwaitRequisites": True, **extra})
    else:
        answer = await h.call("alfabit", "POST", "/alfabit/api/v1/integration/orders/invoice",
                              {"currencyInCode": "USDTTRC20", "invoiceAssetCode": "USDT", "invoiceAmount": "25",
                               "comment": "ORD-V", "isAwaitRequisites": True, **extra})
    return answer["data"]["uid"]


def alfabit(kind: str, *steps, **extra):
    async def make(h: Hands):
        ref = await alfabit_order(h, kind, **extra)
        for step in steps:
            if isinstance(step, str):
                await h.advance(step)
            else:
                await h.sim("alfabit", step[0], order=ref, **step[1])
        return ("withdrawal" if kind == "withdrawal" else "invoice"), ref
    return make


def alppay(kind: str, *steps):
    async def make(h: Hands):
        if kind == "withdrawal":
            await h.sim("alppay", "fund", method="USDT_tron", amount="100")
            answer = await h.call("alppay", "POST", "/alppay/v2/withdrawal", {
                "amount": "10", "asset": {"short": "USDT", "network": "tron"}, "addressTo": TRON_TO,
                "customer": {"id": 1, "name": "Customer Name", "email": "customer@example.com"},
                "destTag": "", "invoice": "W-V"})
        else:
            answer = await h.call("alppay", "POST", "/alppay/v2/payment", {
                "amount": "250.00", "asset": {"short": "USDT", "network": "tron"},
                "customer": {"id": 1, "name": "Buyer", "email": "buyer@example.com"}, "invoice": "INV-V"})
        ref = answer["id"]
        for verb, params in steps:
            await h.sim("alppay", verb, **{kind: ref, **params})
        return kind, ref
    return make
