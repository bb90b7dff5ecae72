"""The small interface the core mounts. One instance per provider: `PROVIDER` in its package.

A provider is moto-shaped: a backend object holds its state (built from the World and the
merchant settings, rebuilt on reset), and a sub-application serves its HTTP API in its own shapes.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html import escape
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

if TYPE_CHECKING:
    from ..core.contracts.openapi import ApiDescription
    from ..core.state.world import World

Simulation = Callable[["World", Any, dict], Awaitable[dict]]
View = dict   # an object as Provider.object_view shows it to the dashboard


@dataclass(frozen=True)
class Preset:
    """A preset button (SIMULATION_PARAMS) that applies to some states only, or says something
    beside itself: `params` is the body it posts (with the object's id), `when(view)` whether it
    is offered now, `note(view)` a short text shown beside it (e.g. the amount still to pay)."""
    params: dict = field(default_factory=dict)
    when: Callable[[View], bool] | None = None
    note: Callable[[View], str | None] | None = None


def status_in(*statuses: str) -> Callable[[View], bool]:
    """The commonest `when`: the object is in one of these statuses (the provider's own words)."""
    return lambda view: view["status"] in statuses


# JSON Schema pieces for the settings a person types (config file, admin PATCH). Every one has a
# type and a range: a value the code could not live with is refused when it is set (a 400 naming
# it), never a 500 on a later call. (No setting holds control characters: core/state/settings.py.)
TEXT = {"type": "string", "maxLength": 255}
FLAG = {"type": "boolean"}
NUMBER = {"type": "number"}
OPTIONAL_URL = {"type": ["string", "null"], "maxLength": 2048,
                "description": "an absolute http(s) URL or inbox:NAME, at most 2048 characters"}
OPTIONAL_TEXT = {"type": ["string", "null"], "maxLength": 255}
TEXT_LIST = {"type": "array", "maxItems": 100, "items": {"type": "string", "maxLength": 255}}
DURATION = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 32},
                      {"type": "number", "minimum": 0, "maximum": 31_536_000}],
            "description": "a duration such as 90s, 5m, 1h"}


def credential(what: str = "1 to 256 printable ASCII characters, no spaces", colon: bool = True) -> dict:
    """A key sent in a header or signed with: printable ASCII without spaces (`colon` False: nor
    ':', where the provider joins key and secret with one)."""
    return {"type": "string", "minLength": 1, "maxLength": 256,
            "pattern": "^[!-~]+$" if colon else "^[!-9;-~]+$", "description": what}


CREDENTIAL = credential()


def bounded(low: float, high: float, what: str, *, above: bool = False, integer: bool = False) -> dict:
    """A number from `low` (more than `low` when `above`) to `high`, saying so."""
    schema: dict = {"type": "integer" if integer else "number", "maximum": high,
                    ("exclusiveMinimum" if above else "minimum"): low}
    return {**schema, "description": f"{'a whole number' if integer else 'a number'} ({what}) "
                                     f"{'more than' if above else 'from'} {low:g} {'and at most' if above else 'to'} {high:g}"}


def minutes(high: float, what: str) -> dict:
    """A window in minutes: at least one (less is over before any payment could be made)."""
    return bounded(1, high, f"{what}, in minutes")


PRICE_RANGE = (Decimal("0.001"), Decimal("100000000"))   # every figure derived from a price stays in range


def priced(names, what: str) -> dict:
    """A map of `names` to decimals in PRICE_RANGE (prices, rates), e.g. {"BTC": "60000"};
    `check_priced` checks the range of the strings."""
    low, high = PRICE_RANGE
    words = f"{what}: a decimal from {low} to {high:f}"
    return {"type": "object", "propertyNames": {"enum": sorted(names)}, "maxProperties": len(names),
            "additionalProperties": {"anyOf": [{"type": "number", "minimum": float(low), "maximum": float(high)},
                                               {"type": "string", "pattern": r"^[0-9]{1,9}(\.[0-9]{1,18})?$"}],
                                     "description": words},
            "description": f"{what}, by {', '.join(sorted(names))}"}


def check_priced(options: dict, key: str) -> None:
    """The decimal strings of a `priced` option within PRICE_RANGE (ValueError naming the key)."""
    low, high = PRICE_RANGE
    for name, value in (options.get(key) or {}).items():
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal(-1)
        if not low <= number <= high:
            raise ValueError(f"{key}: {name} must be a decimal from {low} to {high:f}")


WEBHOOK_TIMEOUT = bounded(0, 120, "seconds a webhook POST may take", above=True)
# Every provider delivers webhooks: the core checks these two (URL usable, timeout sane).
WEBHOOK_SETTINGS = {"webhook_url": OPTIONAL_URL, "webhook_timeout": WEBHOOK_TIMEOUT}
# By default the sandbox refuses what the docs say production refuses, and stays lenient only where
# the docs are silent (each such leniency labelled [A]). `strict: true` on a merchant refuses those
# too, so a team can test against the strictest reading. Each provider declares it in its
# merchant_settings and reads it where each [A] leniency is implemented.
STRICT = {"type": "boolean",
          "description": "refuse also what the docs do not say production accepts (the [A] leniencies)"}


Json = dict   # a webhook body as a JSON object, keys in the order received


@dataclass(frozen=True)
class Certification:
    """What `mockserver certify` (mockserver/certify/) needs to know of a provider's webhooks to
    judge a merchant's handler; each provider declares it in its certify.py. The engine knows no
    provider: it forges, re-signs and replays bodies only through these.

    drive          object kind -> scenario steps (as in a scenario file, `{ref}` the object's id)
                   that make the object's earlier and later events
    events         (earlier, later): delivery event names, as the outbox names them
    object_fields  top-level body fields naming the object (its id, the merchant's reference):
                   changed to make a delivery about an object nobody created
    encode         body -> bytes as the provider serialises it, keys in the given order
    sign           (merchant, body, headers, url) -> (headers, bytes): the body made genuine again
                   (its signature fields or headers recomputed, as the provider signs it)
    signatures     where the signature travels: "header:NAME" or "field:NAME" (several for two)
    tamper         (field, value): a field the signature covers and a value to claim in it, applied
                   to the earlier event with its signature kept (e.g. a detected notice claiming confirmed)
    other_key      merchant -> the same merchant holding another merchant's key
    ack            the provider's acknowledgement rule (status, body) -> bool; ack_rule in words
    unknown_object what the provider needs as the answer to a delivery about an unknown object,
                   and why (documented per provider)
    timestamp      a header the signature covers that carries the send time (stale check), or None
    settings       merchant settings while certifying (e.g. a status that is only sent on request)
    sources        merchant -> ((address, headers) of a listed source, (address, headers) of a
                   non-listed one), for providers whose docs authenticate by source address
    verifiable     merchant -> whether its deliveries carry a signature a handler can check (None:
                   always); where not, the signature checks are left out, as no handler can pass them
    """
    drive: dict[str, list[dict]]
    events: tuple[str, str]
    object_fields: tuple[str, ...]
    encode: Callable[[Json], bytes]
    sign: Callable[[dict, Json, dict, str], tuple[dict, bytes]]
    signatures: tuple[str, ...]
    tamper: tuple[str, Any]
    other_key: Callable[[dict], dict]
    ack: Callable[[int, bytes], bool]
    ack_rule: str
    unknown_object: str
    timestamp: str | None = None
    settings: dict = field(default_factory=dict)
    sources: Callable[[dict], tuple[tuple[str, dict], tuple[str, dict]]] | None = None
    verifiable: Callable[[dict], bool] | None = None


class Provider:
    name: str = ""
    title: str = ""
    prefix: str = ""            # where the sub-application is mounted, e.g. "/cryptopayment"
    api_base: str = ""          # what a client uses as its base URL path, e.g. "/cryptopayment/api/v1"
    real_base_url: str = ""     # the base URL this stands in for
    simulations: dict[str, Simulation] = {}
    # `mockserver trigger <name> STORY`: story -> scenario steps (dicts, as in a scenario file);
    # "create" makes the object and saves {ref}. Provider facts stay in the provider's folder.
    stories: dict[str, list[dict]] = {}
    # How the dashboard and hosted pages offer each simulation verb (SIMULATION_PARAMS in simulate.py):
    # {verb: {"for": object kind, {kind: param naming it, ...} or None, "id": param naming the object,
    #         "when": view -> bool (optional: the verb applies to the object as its dashboard view
    #                 shows it now, e.g. status_in("pending"); a verb the sandbox would refuse, or
    #                 that would do nothing, is not offered),
    #         "presets": {button label: params | Preset(params, when=view -> bool, note=view -> str | None)},
    #         "fields": {param: "number" | "text" | [choices]}}}
    # `when` and Preset's `when`/`note` read the object's view (Provider.object_view, its "facts" among
    # them) and apply to verbs "for" an object only. A verb whose `when` holds but none of whose presets
    # does, and which has no fields, is not offered.
    simulation_params: dict[str, dict] = {}
    # Every key the provider's code reads, as JSON Schema: merchant settings (config `merchants`
    # entries and PATCH .../merchant) and provider options (config `options`). Anything else is
    # refused as a typo, so every key read must be declared here.
    merchant_settings: dict[str, dict] = WEBHOOK_SETTINGS
    option_settings: dict[str, dict] = {}
    webhook_signature: str = ""  # how a merchant verifies a webhook, for the dashboard's delivery page
    # What a merchant's handler answers to acknowledge a webhook (with HTTP 200), in a form the
    # provider's acknowledgement rule takes: the built-in inbox answers it, and so does certify's
    # capture receiver.
    webhook_ack_body: str = "OK"

    # The OpenAPI document's facts and `mockserver certify`'s live in the provider's openapi.py and
    # certify.py; they are imported when first asked for, so a server's start-up does not build them.
    @property
    def api_description(self) -> "ApiDescription | None":
        """Routes -> contracts and auth, for the OpenAPI document (the provider's openapi.py)."""
        return getattr(self._own_module("openapi"), "API_DESCRIPTION", None)

    @property
    def certification(self) -> "Certification | None":
        """The provider's webhook facts for `mockserver certify` (its certify.py)."""
        return getattr(self._own_module("certify"), "CERTIFICATION", None)

    def _own_module(self, name: str) -> Any:
        package = type(self).__module__.rpartition(".")[0]
        if importlib.util.find_spec(f"{package}.{name}") is None:
            return None
        return importlib.import_module(f"{package}.{name}")

    def default_merchants(self) -> list[dict]:
        """Fake credentials shaped like the real ones, plus webhook settings."""
        raise NotImplementedError

    def create_backend(self, world: "World", merchants: list[dict], options: dict) -> Any:
        """State for one World. The backend keeps `merchants` (a list of dicts) as `.merchants`."""
        raise NotImplementedError

    def build_app(self, world: "World") -> web.Application:
        raise NotImplementedError

    def check_merchant(self, merchant: dict) -> None:
        """Refuse merchant settings this provider cannot work with (raise ValueError naming the
        field), so a bad value is refused when it is set, not when a webhook or a call later fails.
        The core checks the common ones (URLs, webhook_timeout) before this."""

    def check_options(self, options: dict) -> None:
        """Refuse provider options (config `options`) beyond what their schemas say, as
        check_merchant does for merchant settings (ValueError naming the option)."""

    def client_request(self, merchant: dict, method: str, path: str, json_body: Any | None, *,
                       raw: bytes | None = None) -> tuple[dict[str, str], bytes]:
        """Headers and body bytes a real client would send (auth, signature). `path` is relative
        to api_base, with its query string. `raw`: the exact body bytes to send instead of
        serialising `json_body` (a recorded request replayed): signed as they are, so the
        provider sees the bytes the merchant sent, with a fresh signature (and, where the
        body carries the client's clock, a fresh timestamp)."""
        raise NotImplementedError

    def verify_webhook(self, merchant: dict, headers: dict[str, str], body: bytes) -> bool:
        """What a merchant's handler does to check an incoming webhook is genuine."""
        raise NotImplementedError

    # The provider's views module, offering summaries(backend, now) and
    # dashboard_view(backend, kind, id, now) for the two dashboard hooks below.
    views: Any = None

    def objects(self, backend: Any) -> list[dict]:
        """The dashboard's list, in the provider's own nouns and status words: one summary per
        object, {"kind", "id", "status", "amounts": {label: text}, "created": ISO 8601, "reference":
        the merchant's own id for it (order id, ref_id, merchantOrderNo...) or None}; the list
        shows the reference and its filter matches it as well as the id."""
        if self.views is None:
            return []
        return self.views.summaries(backend, backend.world.clock.now())

    def object_view(self, backend: Any, kind: str, object_id: str) -> dict | None:
        """One object for the dashboard, or None: {"kind", "id", "status", "api" (the object as
        the provider's API shows it), "amounts" ({"expected", "paid", "over", "under"} as text,
        None where the provider has no such notion), "confirmations" ({"received", "required"}
        or None; received is not capped at required, so it reads as the timeline's transfers do;
        an optional "note" says what the count means for the object), "expires_at" (ISO 8601, or
        None where no expiry applies (any more)), "created" (ISO 8601), "addresses" (chain
        addresses whose transfers concern it), "refs" (journal `ref`s that concern it),
        "page" (its hosted page's path, or None), "reference" (the merchant's own id for it,
        e.g. its order id, or None) and "reference_field" (what the provider's API calls that
        id), "due" (what the payer still has to pay, as "30 USDT", or None when nothing is
        owed), "facts" (optional: what the provider's SIMULATION_PARAMS predicates read
        beyond the above; not shown)}."""
        if self.views is None:
            return None
        return self.views.dashboard_view(backend, kind, object_id, backend.world.clock.now())

    def sandbox_panel(self, kind: str, object_id: str) -> str:
        """Where a hosted page (checkout, payUrl, invoice page) offers the sandbox's simulate
        buttons for one object: a slot naming the object, which the dashboard's script fills with
        the verbs that apply to the object's state (GET /_sandbox/ui/panel/...). The provider
        declares what is shown; the dashboard renders it."""
        path = "/_sandbox/ui/panel/" + "/".join(quote(part, safe="") for part in (self.name, kind, object_id))
        return (f'<section class="sandbox" aria-label="Sandbox" data-sandbox-panel="{escape(path)}">'
                '<p><strong>Sandbox</strong>: loading the simulate buttons&hellip;</p></section>'
                '<link rel="stylesheet" href="/_sandbox/ui/static/panel.css">'
                '<script src="/_sandbox/ui/static/dashboard.js"></script>')

    def describe(self, merchant: dict, origin: str) -> dict:
        """For the startup banner and GET /_sandbox/providers."""
        return {"title": self.title, "base_url": origin + self.api_base,
                "replaces": self.real_base_url}
