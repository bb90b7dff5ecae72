"""AlfaBit Pay orders (invoices, withdrawals) and merchant balances: facts stored, statuses derived.

An order keeps facts only (when requisites were issued, the transfers seen, when they were all
confirmed, the AML verdict, a forced warning or failure); `status(now)` derives the documented
status word from them and the clock. Events scheduled at the instants where a fact changes call
`Backend.touch`, which sends a callback when the derived status moved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import TYPE_CHECKING

from ...core.chain import Transfer

if TYPE_CHECKING:
    from ...core.world import World

NAME = "alfabit"


@dataclass(frozen=True)
class Currency:
    code: str                 # publicCode, what requests carry as currencyInCode / toCurrencyCode
    name: str                 # publicName
    asset: str                # assetCode
    network: str | None       # networkCode as orders show it (networkInCode / networkOutCode) [A]
    chain: str | None         # the simulated chain
    decimals: int
    confirmations: int        # [A] confirmations before the AML check starts
    withdraw_fee: Decimal     # [A] network fee of a withdrawal, in USDT taken from the balance
    memo: bool = False        # deposits need requisitesMemoTag (TON)
    internal: bool = False    # a merchant balance, not a chain currency

    @property
    def is_deposit(self) -> bool:
        return not self.internal


INTERNAL = "USDT-INTERNAL"
CURRENCIES: dict[str, Currency] = {c.code: c for c in (
    Currency("BTC", "Bitcoin", "BTC", "BTC", "btc", 8, 2, Decimal("3")),
    Currency("ETH", "Ethereum", "ETH", "ETH", "eth", 8, 12, Decimal("2")),
    Currency("USDTERC20", "Tether USD (ERC20)", "USDT", "ETH", "eth", 6, 12, Decimal("3")),
    Currency("TRX", "Tron", "TRX", "TRON", "tron", 6, 19, Decimal("1")),
    Currency("USDTTRC20", "Tether USD (TRC20)", "USDT", "TRON", "tron", 6, 19, Decimal("1")),
    Currency("USDTBEP20", "Tether USD (BEP20)", "USDT", "BSC", "bsc", 6, 15, Decimal("0.3")),
    Currency("TON", "Toncoin", "TON", "TON", "ton", 9, 1, Decimal("0.1"), memo=True),
    Currency("USDTTON", "Tether USD (TON)", "USDT", "TON", "ton", 6, 1, Decimal("0.2"), memo=True),
    Currency("SOL", "Solana", "SOL", "SOL", "sol", 9, 32, Decimal("0.1")),
    Currency("USDCSOL", "USD Coin (Solana)", "USDC", "SOL", "sol", 6, 32, Decimal("0.2")),
    Currency(INTERNAL, "Tether USD (balance)", "USDT", None, None, 6, 0, Decimal("0"), internal=True),
)}
DEPOSIT_CODES = tuple(c.code for c in CURRENCIES.values() if c.is_deposit)
# [A] USD prices behind conversions and GET /assets/exchange-rate (option `rates` overrides).
DEFAULT_RATES = {"USDT": Decimal("1"), "USDC": Decimal("1"), "BTC": Decimal("60000"), "ETH": Decimal("3000"),
                 "TRX": Decimal("0.12"), "TON": Decimal("5.2"), "SOL": Decimal("150")}
SERVICE_FEE = Decimal("0.0006")            # [A] 0.06 %, close to the sample's 850 -> 849.48966
DEFAULT_EXPIRY_MINUTES = 20                # [A] the sample's createdAt -> expirationTime
REQUISITES_DELAY = timedelta(seconds=5)    # [A] isAwaitRequisites=false: requisites come later
AML_CHECK = timedelta(minutes=1)           # [A] invoiceWaitCheck lasts one virtual minute
WITHDRAW_START = timedelta(seconds=10)     # [A] created -> inProgress (AML on the way out)
DONE = frozenset({"success", "invoiceNotPayed", "invoiceCheckBlocked", "withdrawBlocked", "failed"})
INVOICE, OPEN_INVOICE, WITHDRAW = "invoice", "invoice-without-amount", "withdraw"


def quantize(amount: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


@dataclass
class Order:
    id: int
    uid: str
    merchant: dict
    type: str
    currency_in: Currency
    currency_out: Currency
    created_at: datetime
    origin: str                                  # public base for invoicePublicUrl / QR links
    invoice_asset: str | None = None
    invoice_amount: Decimal = Decimal(0)
    amount_in_expected: Decimal = Decimal(0)
    amount_out_expected: Decimal = Decimal(0)    # withdrawals: what the recipient gets
    hedge_rate: Decimal = Decimal(1)
    comment: str | None = None
    public_comment: str | None = None
    callback_url: str | None = None
    redirect_url: str | None = None
    buyer_pays: bool = False
    expires_at: datetime | None = None
    expired_by_hand: datetime | None = None
    requisites: str | None = None
    memo: str | None = None
    requisites_at: datetime | None = None
    transfers: list[Transfer] = field(default_factory=list)
    confirmed_at: datetime | None = None         # every counted transfer had its confirmations
    verdict: str = "pass"                        # AML: pass | block
    amount_out_fact: Decimal = Decimal(0)
    balance_after: Decimal = Decimal(0)
    warning_at: datetime | None = None
    failed_at: datetime | None = None
    start_at: datetime | None = None             # withdrawals: created -> inProgress
    payout: Transfer | None = None
    fee: Decimal = Decimal(0)
    refunded: bool = False
    notified: str = ""                           # the status the last callback carried
    updated_at: datetime | None = None

    def expiry_instant(self) -> datetime | None:
        if self.expired_by_hand is not None:
            return min(self.expires_at, self.expired_by_hand) if self.expires_at else self.expired_by_hand
        return self.expires_at

    def amount_in_fact(self) -> Decimal:
        if self.type == WITHDRAW:
            return self.amount_in_expected      # debited from the balance at creation
        return sum((t.amount for t in self.transfers), Decimal(0))

    def status(self, now: datetime) -> str:
        if self.warning_at is not None:
            return "warning"
        if self.type == WITHDRAW:
            return self._withdraw_status(now)
        if self.requisites_at is None:
            return "invoiceWaitRequisites"
        if not self.transfers:
            expiry = self.expiry_instant()
            return "invoiceNotPayed" if expiry is not None and now >= expiry else "invoiceWaitPay"
        if self.confirmed_at is None:
            return "invoiceWaitConfirms"
        if now < self.confirmed_at + AML_CHECK:
            return "invoiceWaitCheck"
        return "success" if self.verdict == "pass" else "invoiceCheckBlocked"

    def _withdraw_status(self, now: datetime) -> str:
        if self.failed_at is not None:
            return "failed"
        if self.start_at is None or now < self.start_at:
            return "created"
        if self.verdict == "block":
            return "withdrawBlocked"
        if self.payout is not None and self.payout.confirmations(now) >= self.currency_out.confirmations:
            return "success"
        return "inProgress"

    def is_done(self, now: datetime) -> bool:
        return self.status(now) in DONE

    def payment_timing(self) -> str:
        expiry = self.expiry_instant()
        late = self.transfers and expiry is not None and self.transfers[0].seen_at >= expiry
        return "late" if late else "onTime"

    def amount_validity(self) -> str:
        """[A] without an amount any payment is valid; else paid vs expected, in the coin paid."""
        if self.type != INVOICE:
            return "valid"
        paid = self.amount_in_fact()
        return "valid" if paid == self.amount_in_expected else ("less" if paid < self.amount_in_expected else "more")

    def tx_id(self) -> str | None:
        if self.type == WITHDRAW:
            return self.payout.txid if self.payout else None
        return self.transfers[-1].txid if self.transfers else None


class Backend:
    def __init__(self, world: "World", merchants: list[dict], options: dict):
        self.world = world
        self.merchants = merchants
        self.rates = {**DEFAULT_RATES, **{str(k): Decimal(str(v)) for k, v in (options.get("rates") or {}).items()}}
        self.default_expiry = int(options.get("expiry_minutes", DEFAULT_EXPIRY_MINUTES))
        self.orders: dict[str, Order] = {}
        self.by_merchant: dict[str, list[Order]] = {}
        self.balances: dict[tuple[str, str], Decimal] = {}
        self._next_id = 100001                   # [A] numeric ids count up from here
        self._by_key: dict[str, dict] = {}

    def merchant_by_key(self, api_key: str) -> dict | None:
        merchant = self._by_key.get(api_key)
        if merchant is None or merchant.get("api_key") != api_key:
            self._by_key = {str(m.get("api_key")): m for m in self.merchants}
            merchant = self._by_key.get(api_key)
        return merchant

    # money --------------------------------------------------------------------------------------
    def rate(self, from_asset: str, to_asset: str) -> Decimal:
        return self.rates[from_asset] / self.rates[to_asset]

    def balance(self, merchant: dict, code: str = INTERNAL) -> Decimal:
        return self.balances.get((merchant["api_key"], code), Decimal(0))

    def credit(self, merchant: dict, amount: Decimal, code: str = INTERNAL) -> Decimal:
        slot = (merchant["api_key"], code)
        self.balances[slot] = self.balances.get(slot, Decimal(0)) + amount
        return self.balances[slot]

    def out_amount(self, order: Order, amount_in: Decimal) -> Decimal:
        """What the merchant's balance gets for `amount_in` of the coin paid (service fee taken)."""
        usdt = amount_in * self.rate(order.currency_in.asset, order.currency_out.asset)
        return quantize(usdt * (1 - SERVICE_FEE), order.currency_out.decimals)

    def amount_out_expected(self, order: Order) -> Decimal:
        if order.type == WITHDRAW:
            return order.amount_out_expected
        base = order.amount_in_fact() if order.transfers else order.amount_in_expected
        return self.out_amount(order, base)

    def withdraw_cost(self, currency: Currency, amount: Decimal) -> Decimal:
        """USDT taken from the balance for sending `amount` of `currency` (rounded up) plus its fee."""
        return quantize(amount * self.rate(currency.asset, "USDT"), 6, ROUND_UP) + currency.withdraw_fee

    # orders ---------------------------------------------------------------------------------------
    def add(self, order: Order) -> Order:
        self.orders[order.uid] = order
        self.by_merchant.setdefault(order.merchant["api_key"], []).append(order)
        order.updated_at = order.created_at
        order.notified = order.status(order.created_at)
        return order

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def touch(self, order: Order) -> None:
        """A fact changed: when the derived status moved, stamp updatedAt and send the callback."""
        now = self.world.clock.now()
        status = order.status(now)
        if status == order.notified:
            return
        order.notified, order.updated_at = status, now
        from . import webhooks  # webhooks renders views, views read the model: import late
        webhooks.send(self.world, self, order)


# lifecycle -----------------------------------------------------------------------------------------
# Each function records a fact at the instant it happens, then lets `touch` derive and announce.

def open_invoice(world: "World", backend: Backend, order: Order, await_requisites: bool) -> Order:
    """Requisites now (isAwaitRequisites) or a few seconds later; expiry on the clock."""
    if await_requisites:
        issue_requisites(world, backend, order)
    backend.add(order)
    if not await_requisites:
        world.scheduler.schedule(order.created_at + REQUISITES_DELAY,
                                 lambda: issue_requisites(world, backend, order),
                                 label=f"alfabit requisites {order.uid}")
    world.scheduler.schedule(order.expires_at, lambda: backend.touch(order),
                             label=f"alfabit expiry {order.uid}")
    return order


def issue_requisites(world: "World", backend: Backend, order: Order) -> None:
    if order.requisites_at is not None:
        return
    order.requisites = world.chain.new_address(order.currency_in.chain)
    if order.currency_in.memo:
        order.memo = str(world.rng.randrange(10 ** 8, 10 ** 9))   # [A] a 9-digit numeric memo
    order.requisites_at = world.clock.now()
    world.chain.watch(order.requisites, lambda tx: on_transfer(world, backend, order, tx))
    if order.uid in backend.orders:
        backend.touch(order)


def on_transfer(world: "World", backend: Backend, order: Order, tx: Transfer) -> None:
    if order.memo is not None and tx.meta.get("memo") != order.memo:
        # [A] a TON transfer without this order's memo cannot be matched to it
        world.journal.record("payment.unmatched_memo", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    if order.confirmed_at is not None or order.warning_at is not None:
        # [A] money arriving once the AML check started is not added to this order
        world.journal.record("payment.after_check", NAME, ref=order.uid, txid=tx.txid, amount=str(tx.amount))
        return
    order.transfers.append(tx)
    world.chain.when_confirmed(tx, order.currency_in.confirmations,
                               lambda _tx: on_confirmations(world, backend, order))
    backend.touch(order)


def on_confirmations(world: "World", backend: Backend, order: Order) -> None:
    now = world.clock.now()
    need = order.currency_in.confirmations
    if order.confirmed_at is not None or any(t.confirmations(now) < need for t in order.transfers):
        return
    order.confirmed_at = now
    world.scheduler.schedule(now + AML_CHECK, lambda: finish_check(world, backend, order),
                             label=f"alfabit aml {order.uid}")
    backend.touch(order)


def finish_check(world: "World", backend: Backend, order: Order) -> None:
    """The AML verdict lands: a pass credits the merchant's balance with the converted amount."""
    if order.status(world.clock.now()) == "success" and not order.amount_out_fact:
        order.amount_out_fact = backend.out_amount(order, order.amount_in_fact())
        order.balance_after = backend.credit(order.merchant, order.amount_out_fact)
    backend.touch(order)


def start_withdrawal(world: "World", backend: Backend, order: Order) -> Order:
    order.balance_after = backend.credit(order.merchant, -order.amount_in_expected)  # held at once
    order.start_at = order.created_at + WITHDRAW_START
    backend.add(order)
    world.scheduler.schedule(order.start_at, lambda: withdrawal_step(world, backend, order),
                             label=f"alfabit withdrawal {order.uid}")
    return order


def refund(backend: Backend, order: Order) -> None:
    if not order.refunded:
        order.refunded = True
        order.balance_after = backend.credit(order.merchant, order.amount_in_expected)


def withdrawal_step(world: "World", backend: Backend, order: Order) -> None:
    status = order.status(world.clock.now())
    if status == "withdrawBlocked":
        refund(backend, order)
    elif status == "inProgress" and order.payout is None:
        out = order.currency_out
        order.payout = world.chain.send(out.chain, order.requisites, order.amount_out_expected,
                                        meta={"memo": order.memo} if order.memo else None)
        world.chain.when_confirmed(order.payout, out.confirmations,
                                   lambda _tx: payout_confirmed(world, backend, order))
    backend.touch(order)


def payout_confirmed(world: "World", backend: Backend, order: Order) -> None:
    if order.status(world.clock.now()) == "success":
        order.amount_out_fact = order.amount_out_expected
    backend.touch(order)
