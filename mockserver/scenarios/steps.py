"""One function per step verb. Each returns a short summary or raises StepFailed.

Provider specifics never appear here: requests are signed by the provider's `client_request`,
webhooks checked by its `verify_webhook`, and pay/confirm/expire/state are its simulations.
"""
from __future__ import annotations

import json
import pprint
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from mockserver.core.time.durations import format_duration, parse_duration

from .client import Exchange, SandboxClient, SandboxUnavailable, SandboxUnreachable
from .loader import Scenario, Step
from .matching import UnknownVariable, get_path, interpolate, match
from .receiver import Receiver


class StepFailed(Exception):
    def __init__(self, problem: str, expected: Any = "", got: Any = ""):
        super().__init__(problem)
        self.problem = problem
        self.expected = expected if isinstance(expected, str) else _show(expected)
        self.got = got if isinstance(got, str) else _show(got)


def _show(value: Any) -> str:
    return pprint.pformat(value, width=100, sort_dicts=False, compact=True)


@dataclass
class Context:
    scenario: Scenario
    client: SandboxClient
    provider: Any                      # mockserver.providers.base.Provider
    merchant: dict
    webhook_url: str
    receiver: Receiver | None
    start: datetime
    variables: dict = field(default_factory=dict)
    consumed: set = field(default_factory=set)   # matched when finished: not matched again
    seen: set = field(default_factory=set)       # matched at all: expect_no_webhook ignores them
    app_can_create: bool = False                 # a merchant's app can reach this sandbox (await: create)
    notify: Callable[[str], None] | None = None  # a line for the live console while a step waits
    # a recording's `origins`: (pattern of a recorded origin, what stands for it in this run)
    stand_ins: list = field(default_factory=list)

    def values(self, raw: Any, extra: dict | None = None) -> Any:
        try:
            return interpolate(raw, {**self.variables, **extra} if extra else self.variables)
        except UnknownVariable as exc:
            raise StepFailed(str(exc)) from None

    def stand_in(self, value: Any) -> Any:
        """`value` with each recorded origin replaced by what stands for it now (in every string)."""
        if not self.stand_ins:
            return value
        if isinstance(value, str):
            for pattern, new in self.stand_ins:
                value = pattern.sub(lambda _m, new=new: new, value)
            return value
        if isinstance(value, dict):
            return {k: self.stand_in(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.stand_in(v) for v in value]
        return value



def _save(ctx: Context, step: Step, data: Any) -> None:
    for name, path in (step.options.get("save") or {}).items():
        try:
            ctx.variables[name] = get_path(data, path)
        except KeyError as exc:
            raise StepFailed(f"save {name}: {exc.args[0]}", expected=f"a value at {path}", got=data) from None


def _check_response(step: Step, exchange: Exchange, expect: dict, default_ok: range) -> None:
    body = exchange.json()
    shown = body if body is not None else exchange.text()
    want = expect.get("status")
    if want is None:
        if exchange.status not in default_ok:
            raise StepFailed(f"unexpected status {exchange.status}",
                             expected=f"status {default_ok.start}-{default_ok.stop - 1}",
                             got={"status": exchange.status, "body": shown})
    elif exchange.status not in (want if isinstance(want, list) else [want]):
        raise StepFailed(f"status {exchange.status}, expected {want}", expected={"status": want},
                         got={"status": exchange.status, "body": shown})
    if "json" in expect:
        problems = match(expect["json"], body)
        if problems:
            raise StepFailed("; ".join(problems[:3]), expected=expect["json"], got=shown)
    _check_headers(expect.get("headers"), exchange.headers)


def _check_headers(expected: Any, headers: dict[str, str]) -> None:
    if not expected:
        return
    lower = {k.lower(): v for k, v in headers.items()}
    names = expected if isinstance(expected, list) else list(expected)
    missing = [n for n in names if n.lower() not in lower]
    if missing:
        raise StepFailed(f"missing header(s): {', '.join(missing)}", expected=names, got=headers)
    if isinstance(expected, dict):
        for name, want in expected.items():
            problems = match(want, lower[name.lower()], f"header {name}")
            if problems:
                raise StepFailed("; ".join(problems), expected=expected, got=headers)


def provider_of(ctx: Context, step: Step) -> Any:
    """The step's `provider` (a recording spans several), else the scenario's."""
    name = step.options.get("provider")
    if name is None or name == ctx.provider.name:
        return ctx.provider
    from mockserver.providers.registry import load_providers
    found = load_providers().get(name)
    if found is None:
        raise StepFailed(f"unknown provider {name!r}")
    return found


async def call(ctx: Context, step: Step) -> str:
    method, path = ctx.values(step.arg).split(None, 1)
    provider = provider_of(ctx, step)
    merchant = ctx.merchant
    if "merchant" in step.options or provider is not ctx.provider:
        merchant = await _merchant(ctx, step.options.get("merchant", 0), provider.name)
    raw = step.options.get("body")
    expect = ctx.stand_in(ctx.values(step.options.get("expect") or {}))
    try:
        exchange = await ctx.client.call(
            provider, merchant, method.upper(), ctx.stand_in(path.strip()),
            json_body=ctx.stand_in(ctx.values(step.options.get("json"))),
            query=ctx.values(step.options.get("query")),
            # {merchant_KEY}: the merchant's setting (a recorded refusal's credentials, kept out of the file)
            headers=ctx.stand_in(ctx.values(step.options.get("headers"), {
                f"merchant_{k}": v for k, v in merchant.items() if isinstance(v, (str, int)) and not isinstance(v, bool)})),
            auth=step.options.get("auth", True), source=ctx.values(step.options.get("source")),
            raw=None if raw is None else ctx.stand_in(raw).encode("utf-8"), base=step.options.get("base", "api"))
    except SandboxUnavailable as exc:
        if expect.get("dropped") and not isinstance(exc, SandboxUnreachable):
            return "-> dropped, as expected"
        raise
    if expect.get("dropped"):
        raise StepFailed(f"answered {exchange.status}; expected the connection to be dropped",
                         expected="no answer", got={"status": exchange.status, "body": exchange.text()})
    _check_response(step, exchange, expect, range(100, 500))
    _save(ctx, step, exchange.json())
    return f"-> {exchange.status}"


def pick_merchant(merchants: list[dict], which: Any) -> tuple[int, dict]:
    """By index, or by any credential/id value equal to `which`."""
    if not merchants:
        raise StepFailed("the provider has no sandbox merchant")
    if which is None:
        return 0, merchants[0]
    if isinstance(which, int):
        if which >= len(merchants):
            raise StepFailed(f"merchant {which}: only {len(merchants)} merchant(s)")
        return which, merchants[which]
    for index, merchant in enumerate(merchants):
        if which in [str(v) for v in merchant.values() if isinstance(v, (str, int))]:
            return index, merchant
    raise StepFailed(f"no merchant with id or key {which!r}")


async def _merchant(ctx: Context, which: Any, provider: str | None = None) -> dict:
    """The merchant's settings now (a recording may have changed them in an earlier step)."""
    merchants = (await ctx.client.providers())[provider or ctx.provider.name]["merchants"]
    return pick_merchant(merchants, which)[1]


async def simulation(ctx: Context, step: Step) -> str:
    action = step.arg if step.verb == "simulate" else step.verb
    params = step.options.get("params", {}) if step.verb == "simulate" else step.arg
    exchange = await ctx.client.simulate(provider_of(ctx, step).name, action, ctx.stand_in(ctx.values(params)))
    _check_response(step, exchange, ctx.stand_in(ctx.values(step.options.get("expect") or {})), range(200, 300))
    _save(ctx, step, exchange.json())
    result = exchange.json()
    status = result.get("status") if isinstance(result, dict) else None
    return f"-> {exchange.status}" + (f" {status}" if isinstance(status, str) else "")


CHAIN_ROUTES = {"transfer": "transfers", "reorg": "reorg", "double_spend": "double_spend", "release": "release"}


async def chain_event(ctx: Context, step: Step) -> str:
    """What the chain does, whatever provider watches the address: POST /_sandbox/chain/<route>."""
    exchange = await ctx.client.chain(CHAIN_ROUTES[step.verb], ctx.values(step.arg))
    _check_response(step, exchange, ctx.values(step.options.get("expect") or {}), range(200, 300))
    _save(ctx, step, exchange.json())
    result = exchange.json() if isinstance(exchange.json(), dict) else {}
    shown = result.get("transfer") or next(iter(result.get("reorged") or []), None) or result
    status = shown.get("status") if isinstance(shown, dict) else None
    return f"-> {exchange.status}" + (f" {status}" if isinstance(status, str) else "")


async def advance(ctx: Context, step: Step) -> str:
    if step.arg == "until_quiet":
        view = await ctx.client.run_until_quiet()
    else:
        view = await ctx.client.advance(format_duration(parse_duration(step.arg))
                                        if not isinstance(step.arg, (int, float)) else step.arg)
    now = datetime.fromisoformat(view["now"])
    return f"-> {_offset(ctx, now)} ({view.get('events_run', 0)} events)"


def _offset(ctx: Context, moment: datetime) -> str:
    return "+" + format_duration(moment - ctx.start)


def _body(delivery: dict) -> Any:
    try:
        return json.loads(delivery.get("body") or "")
    except ValueError:
        return delivery.get("body")


def _wanted(delivery: dict, filt: dict) -> bool:
    if filt.get("event") and delivery.get("event") != filt["event"]:
        return False
    return "json" not in filt or not match(filt["json"], _body(delivery))


def _brief(deliveries: list[dict]) -> list[dict]:
    return [{"id": d["id"], "event": d["event"], "status": d["status"], "attempts": d["attempt_count"],
             "body": _body(d)} for d in deliveries]


def _sent(ctx: Context, delivery: dict) -> tuple[dict, bytes]:
    """Headers and bytes as sent: the receiver's copy when it got one, else the outbox's record."""
    body = (delivery.get("body") or "").encode("utf-8")
    if ctx.receiver is not None:
        got = ctx.receiver.find(body)
        if got is not None:
            return got.headers, got.body
    return dict(delivery.get("headers") or {}), body


def _answer(attempt: dict) -> Any:
    if attempt.get("status") is not None:
        return attempt["status"]
    return "timeout" if attempt.get("error") == "timeout" else "error"


async def expect_webhook(ctx: Context, step: Step) -> str:
    want = ctx.stand_in(ctx.values(step.arg))
    deliveries = await ctx.client.deliveries(want.get("provider", ctx.provider.name))
    found = next((d for d in deliveries if d["id"] not in ctx.consumed and _wanted(d, want)), None)
    if found is None:
        raise StepFailed("no matching delivery" + (" (all matching ones were matched by earlier steps)"
                                                    if any(_wanted(d, want) for d in deliveries) else ""),
                         expected={k: want[k] for k in ("event", "json") if k in want},
                         got=_brief(deliveries) or "no deliveries at all")
    ctx.seen.add(found["id"])
    if found["status"] != "pending":  # a delivery still retrying may be checked again later
        ctx.consumed.add(found["id"])
    seen = _brief([found])[0] | {"answers": [_answer(a) for a in found["attempts"]],
                                 "at": [_offset(ctx, datetime.fromisoformat(a["at"])) for a in found["attempts"]]}
    if "status" in want and found["status"] != want["status"]:
        raise StepFailed(f"delivery is {found['status']}, expected {want['status']}", expected=want, got=seen)
    if "attempts" in want and found["attempt_count"] != want["attempts"]:
        raise StepFailed(f"{found['attempt_count']} attempt(s), expected {want['attempts']}", expected=want, got=seen)
    if "answers" in want and seen["answers"] != want["answers"]:
        raise StepFailed("attempts got other answers", expected=want["answers"], got=seen)
    times = [datetime.fromisoformat(a["at"]) for a in found["attempts"]]
    if "gaps" in want:
        gaps = [format_duration(b - a) for a, b in zip(times, times[1:])]
        expected = [format_duration(parse_duration(g)) for g in want["gaps"]]
        if gaps != expected:
            raise StepFailed(f"gaps between attempts were {gaps}", expected=expected, got=seen)
    if "at" in want:
        target = _moment(ctx, want["at"])
        if not times or times[-1] != target:
            raise StepFailed(f"last attempt at {seen['at'][-1] if times else 'never'}, expected {want['at']}",
                             expected=_offset(ctx, target), got=seen)
    headers, body = _sent(ctx, found)
    _check_headers(want.get("headers"), headers)
    if "signature" in want:
        valid = bool(ctx.provider.verify_webhook(ctx.merchant, headers, body))
        if valid != (want["signature"] == "valid"):
            raise StepFailed(f"signature is {'valid' if valid else 'invalid'}, expected {want['signature']}",
                             expected=want["signature"], got={"headers": headers, "body": body.decode("utf-8", "replace")})
    _save(ctx, step, _body(found))
    return f"-> {found['id']} {found['status']} after {found['attempt_count']} attempt(s)"


def _moment(ctx: Context, text: str) -> datetime:
    if text.startswith("+"):
        return ctx.start + parse_duration(text[1:])
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def expect_no_webhook(ctx: Context, step: Step) -> str:
    want = ctx.values(step.arg)
    deliveries = await ctx.client.deliveries(ctx.provider.name)
    extra = [d for d in deliveries if d["id"] not in ctx.seen and _wanted(d, want)]
    if extra:
        raise StepFailed(f"{len(extra)} unexpected deliver{'y' if len(extra) == 1 else 'ies'}",
                         expected=f"no delivery matching {want or 'anything'}", got=_brief(extra))
    return f"-> none ({len(deliveries)} in total)"


async def expect_state(ctx: Context, step: Step) -> str:
    want = ctx.values(step.arg)
    params = {k: v for k, v in want.items() if k != "json"}
    exchange = await ctx.client.simulate(ctx.provider.name, "state", params)
    if exchange.status >= 300:
        raise StepFailed(f"state simulation answered {exchange.status}", expected="2xx",
                         got=exchange.json() or exchange.text())
    problems = match(want["json"], exchange.json())
    if problems:
        raise StepFailed("; ".join(problems[:3]), expected=want["json"], got=exchange.json())
    state = exchange.json()
    status = state.get("status") if isinstance(state, dict) else None
    return f"-> {status}" if isinstance(status, str) else "-> matches"


def flip(value: str) -> str:
    """The same string with its last letter or digit changed (keeps hex hex and base64 base64).

    In padded base64 the character just before the '=' carries unused bits, and a handler that
    decodes before comparing would not notice it changing, so that one is skipped too."""
    end = len(value.rstrip("="))
    if end < len(value):
        end -= 1
    for i in range(end - 1, -1, -1):
        ch = value[i]
        if ch.isdigit():
            return value[:i] + str((int(ch) + 1) % 10) + value[i + 1:]
        if ch in "+/":
            return value[:i] + ("/" if ch == "+" else "+") + value[i + 1:]
        if ch.isalpha() and ch.isascii():
            base = "a" if ch.islower() else "A"
            # a..f stay inside hex: a->b ... f->a
            span = 6 if ch.lower() in "abcdef" else 26
            return value[:i] + chr(ord(base) + (ord(ch) - ord(base) + 1) % span) + value[i + 1:]
    return value + "0"


def tamper_signature(headers: dict, body: bytes) -> tuple[dict, bytes, list[str]]:
    """Alter every signature-looking header and top-level body field; bytes elsewhere unchanged."""
    changed: list[str] = []
    out = {}
    for name, value in headers.items():
        if any(word in name.lower() for word in ("sig", "hmac")) and value:
            out[name] = flip(value)
            changed.append(f"header {name}")
        else:
            out[name] = value
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key, value in data.items():
            if "sign" in key.lower() and isinstance(value, str) and value:
                encoded = json.dumps(value)[1:-1].encode()
                if encoded in body:
                    body = body.replace(encoded, json.dumps(flip(value))[1:-1].encode())
                    changed.append(f"body field {key}")
    return out, body, changed


async def resend(ctx: Context, step: Step) -> str:
    want = ctx.values(step.arg)
    deliveries = await ctx.client.deliveries(ctx.provider.name)
    found = next((d for d in reversed(deliveries) if _wanted(d, want)), None)
    if found is None:
        raise StepFailed("no delivery to resend", expected=want, got=_brief(deliveries))
    expect = step.options.get("expect", "acknowledged")
    if want.get("tamper") == "signature":
        headers, body = _sent(ctx, found)
        headers, body, changed = tamper_signature(headers, body)
        if not changed or ctx.provider.verify_webhook(ctx.merchant, headers, body):
            raise StepFailed("could not forge this provider's signature (no signature header or field "
                             "found, or the altered copy still verifies)", got={"headers": headers})
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        exchange = await ctx.client.send("POST", ctx.webhook_url, body=body, headers=headers)
        status, acknowledged = exchange.status, 200 <= exchange.status < 300
        what = f"tampered ({', '.join(changed)})"
    else:
        # a duplicate exactly as the provider resends it: same bytes, re-signed if it signs per attempt
        after = await ctx.client.redeliver(found["id"])
        last = after["attempts"][-1]
        status, acknowledged = last.get("status"), bool(last.get("acknowledged"))
        what = "duplicate"
    got = {"status": status if status is not None else "no answer"}
    if expect == "acknowledged" and not acknowledged:
        raise StepFailed(f"{what} copy of {found['id']} was not acknowledged", expected="acknowledged", got=got)
    if expect == "rejected" and acknowledged:
        raise StepFailed(f"{what} copy of {found['id']} was acknowledged", expected="rejected (non-2xx)", got=got)
    if isinstance(expect, dict):
        allowed = expect["status"] if isinstance(expect["status"], list) else [expect["status"]]
        if status not in allowed:
            raise StepFailed(f"{what} copy of {found['id']} got {got['status']}", expected=expect, got=got)
    return f"-> {what} {found['id']}: {got['status']}"


async def fault(ctx: Context, step: Step) -> str:
    rule = {"provider": ctx.provider.name, **ctx.values(step.arg)}
    added = await ctx.client.add_fault(rule)
    return f"-> {added['id']}: {added['effect']} on {added.get('route', 'every route')}"


async def clear_faults(ctx: Context, step: Step) -> str:
    return f"-> {(await ctx.client.clear_faults())['cleared']} cleared"


VERBS = {
    "call": call, "pay": simulation, "confirm": simulation, "expire": simulation, "simulate": simulation,
    "advance": advance, "expect_webhook": expect_webhook, "expect_no_webhook": expect_no_webhook,
    "expect_state": expect_state, "resend": resend, "fault": fault, "clear_faults": clear_faults,
    "transfer": chain_event, "reorg": chain_event, "double_spend": chain_event, "release": chain_event,
}
