"""The battery for one object, in its fixed order (see battery.py for why this order)."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from . import copies as make
from .battery import WHY, Answer, Bench, Result, _calls, _writes, status_fields
from .copies import Copy, CopyError
from .objects import Target

REFUSED = "not acknowledged"


def _result(bench: Bench, target: Target, name: str, ok: bool, sent: str, got: str, expected: str,
            problem: str = "") -> Result:
    why = WHY[name].format(rule=bench.facts.ack_rule, timeout=bench.timeout, unknown=bench.facts.unknown_object)
    return Result(name, ok, sent, got, expected, why, target.label(), problem)


def _copy(bench: Bench, target: Target, which: int) -> Copy:
    event = bench.facts.events[which]
    copy = target.copies.get(event)
    if copy is None:
        seen = ", ".join(target.copies) or "none"
        raise CopyError(f"the object has no {event} delivery to start from (its deliveries: {seen}"
                        + (f"; {'; '.join(target.notes)}" if target.notes else "") + ")")
    return copy


async def _refusal(bench: Bench, target: Target, name: str, build: Callable[[], Copy],
                   should_verify: bool = False) -> Result:
    try:
        copy = build()
    except CopyError as exc:
        return _result(bench, target, name, False, "nothing", "-", REFUSED, f"certify could not build it: {exc}")
    if bench.valid(copy) != should_verify:
        return _result(bench, target, name, False, copy.what, "-", REFUSED,
                       "certify's own copy does not verify as intended (a certify bug for this provider)")
    read, before = await bench.view(target)
    since = await bench.mark()
    answer = await bench.post(copy)
    calls = await bench.api_calls(since)
    got = answer.text() + (f"; API calls: {_calls(calls)}" if calls else "")
    if bench.acknowledged(answer):
        return _result(bench, target, name, False, copy.what, got, REFUSED,
                       f"acknowledged: the provider's rule ({bench.facts.ack_rule}) takes that as a yes")
    if read:
        _, after = await bench.view(target)
        if after != before:
            return _result(bench, target, name, False, copy.what, got + "; your view changed", REFUSED,
                           "refused, but acted on: your view of the object changed")
    if _writes(calls):
        return _result(bench, target, name, False, copy.what, got, REFUSED,
                       "refused, but acted on: it wrote to the provider's API")
    return _result(bench, target, name, True, copy.what, got, REFUSED)


async def _accepted(bench: Bench, target: Target, name: str, build: Callable[[], Copy],
                    judge: Callable[[Any, Any], str] | None, times: int = 1) -> tuple[Result, Any]:
    """Send `times` copies at once; each must be acknowledged in time; `judge(before, after)` says
    what is wrong with the view's change, if anything. Returns the result and the view after."""
    expected = f"acknowledged ({bench.facts.ack_rule}) within {bench.timeout:g}s"
    try:
        copy = build()
    except CopyError as exc:
        return _result(bench, target, name, False, "nothing", "-", expected, f"certify could not build it: {exc}"), None
    if not bench.valid(copy):
        return _result(bench, target, name, False, copy.what, "-", expected,
                       "certify's own copy does not verify (a certify bug for this provider)"), None
    read, before = await bench.view(target)
    since = await bench.mark()
    answers: list[Answer] = list(await asyncio.gather(*(bench.post(copy) for _ in range(times))))
    calls = await bench.api_calls(since)
    read_after, after = await bench.view(target)
    sent = copy.what + (f", {times} copies at once" if times > 1 else "")
    got = " | ".join(a.text() for a in answers) + (f"; API calls: {_calls(calls)}" if calls else "")
    if judge is not None:
        got += "" if read else f" (effects not seen: {before})"
    late = [a for a in answers if not bench.acknowledged(a)]
    if late:
        return _result(bench, target, name, False, sent, got, expected,
                       f"not acknowledged: the provider's rule is {bench.facts.ack_rule}"), after
    if judge is not None and read:
        if not read_after:
            return _result(bench, target, name, False, sent, got, expected, f"your view: {after}"), after
        problem = judge(before, after)
        if problem:
            return _result(bench, target, name, False, sent, got, expected, problem), after
    if judge is not None and name != "acknowledges-genuine" and _writes(calls):
        return _result(bench, target, name, False, sent, got, expected,
                       f"acted again: it wrote to the provider's API ({_calls(_writes(calls))})"), after
    return _result(bench, target, name, True, sent, got, expected), after


def unchanged(before: Any, after: Any) -> str:
    if before == after:
        return ""
    return f"acted again: your view changed ({changes(before, after)})"


def changes(before: Any, after: Any, path: str = "") -> str:
    """What differs between two views, key by key where both are objects."""
    if isinstance(before, dict) and isinstance(after, dict):
        parts = [changes(before.get(k), after.get(k), f"{path}.{k}" if path else str(k))
                 for k in list(before) + [k for k in after if k not in before] if before.get(k) != after.get(k)]
        return "; ".join(parts)
    return f"{path or 'view'}: {_short(before, 80)} -> {_short(after, 80)}"


def not_backwards(before: Any, after: Any) -> str:
    was, now = status_fields(before), status_fields(after)
    moved = {k: (was.get(k), now.get(k)) for k in set(was) | set(now) if was.get(k) != now.get(k)}
    if not moved:
        return ""
    return "moved backwards: " + ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in sorted(moved.items()))


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


async def run(bench: Bench, target: Target) -> list[Result]:
    facts, merchant, url = bench.facts, bench.merchant, bench.handler_url
    earlier, later = (lambda: _copy(bench, target, 0)), (lambda: _copy(bench, target, 1))
    results: list[Result] = []
    if facts.verifiable is None or facts.verifiable(merchant):
        results += [
            await _refusal(bench, target, "refuses-tampered-copy", lambda: make.tampered(facts, earlier())),
            await _refusal(bench, target, "refuses-bad-signature", lambda: make.bad_signature(facts, later())),
            await _refusal(bench, target, "refuses-missing-signature", lambda: make.missing_signature(facts, later())),
            await _refusal(bench, target, "refuses-another-merchants-key",
                           lambda: make.other_merchant(facts, merchant, later(), url)),
        ]
    if facts.timestamp:
        results.append(await _refusal(bench, target, "refuses-stale-timestamp",
                                      lambda: make.stale(facts, merchant, later(), url), should_verify=True))
    if bench.unlisted is not None:
        address, headers = bench.unlisted

        def unlisted() -> Copy:
            copy = later()
            return Copy(f"{copy.event} as delivered, from {address}" + (f" with {headers}" if headers else ""),
                        {**copy.headers, **headers}, copy.body, source=address, event=copy.event)
        results.append(await _refusal(bench, target, "refuses-unlisted-source", unlisted,
                                      should_verify=not headers))
    checks: list[tuple[str, Callable[[], Copy], Callable | None, int]] = [
        ("acknowledges-genuine", later, lambda b, a: "", 1),
        ("never-moves-backwards", earlier, not_backwards, 1),
        ("once-on-retry", later, unchanged, 1),
        ("once-on-two-at-once", later, unchanged, 2),
        ("same-with-keys-reordered", lambda: make.reordered(facts, merchant, later(), url), unchanged, 1),
        ("same-with-unknown-fields", lambda: make.extended(facts, merchant, later(), url), unchanged, 1),
        ("acknowledges-unknown-object", lambda: make.unknown_object(facts, merchant, later(), url), unchanged, 1),
    ]
    for name, build, judge, times in checks:
        result, _ = await _accepted(bench, target, name, build, judge, times)
        results.append(result)
    return results


Check = Callable[[Bench, Target], Awaitable[list[Result]]]
