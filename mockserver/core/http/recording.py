"""`GET /_sandbox/recording` (and `/t/{tenant}/_sandbox/recording`): everything that changed this
World since its last reset, as a YAML scenario that `mockserver run` replays exactly.

What makes the replay exact (docs/scenarios.md, "Recording"):
- the World's seed and start, so ids, addresses and every seeded draw come out the same;
- every input in arrival order (http/recorder.py), as the steps that send the same bytes
  (http/recorded_steps.py), merchant settings changes among them (`webhook_url: keep`: the
  runner changes no setting of its own);
- `wait_journal` before an input when the World had done more by then than the previous input's
  answer (webhook attempts running beside the clock), so the replay's journal has the same order;
- the webhook receivers' answers: every receiver outside this sandbox stands for the runner's
  built-in receiver (`origins`), which answers each attempt as the original did (`receiver.replies`).
Each delivery is then checked (`expect_webhook`): its event, body, status, attempts and answers.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..basics.errors import Conflict
from .context import world_of
from .recorded_steps import Translator, escape_braces
from ..state.recording import RecordedInput

routes = web.RouteTableDef()
SIGNATURE_WORDS = ("sign", "hmac")   # per-attempt signatures (some over the wall clock): not compared


def _origin(url: Any) -> str | None:
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        return None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _provider_of(world: Any, path: str) -> str | None:
    path = urlsplit(path).path
    for name, provider in world.providers.items():
        if path == provider.prefix or path.startswith(provider.prefix + "/"):
            return name
    return None


def _default_provider(world: Any, inputs: list[RecordedInput]) -> str:
    for item in inputs:
        if item.provider:
            return item.provider
        parts = item.path.split("/")
        if len(parts) > 4 and parts[2] == "simulate" and parts[3] in world.providers:
            return parts[3]
    return sorted(world.providers)[0]


def _answer(attempt: Any) -> Any:
    if attempt.status is not None:
        return attempt.status
    return "timeout" if attempt.error == "timeout" else "error"


def _reply(attempt: Any) -> Any:
    """What the built-in receiver answers to stand for this attempt's receiver."""
    if attempt.status is None:
        return "timeout" if attempt.error == "timeout" else "reset"
    if attempt.response_excerpt:
        return {"status": attempt.status, "body": attempt.response_excerpt}
    return attempt.status


def _receivers(world: Any, deliveries: list, inputs: list[RecordedInput]) -> set[str]:
    """Origins of the webhook endpoints outside this sandbox that deliveries went (or would go) to."""
    own = _origin(world.origin)
    # a delivery that failed at once (no usable URL) was never sent: nothing stands in for it
    found = {_origin(d.url) for d in deliveries if d.status != "failed"}
    for item in inputs:   # endpoints set in merchant settings, whether or not a webhook came yet
        if item.method == "PATCH" and "/merchant" in item.path and item.status == 200:
            try:
                settings = json.loads(item.body)
            except ValueError:
                continue
            if isinstance(settings, dict):
                found |= {_origin(v) for k, v in settings.items() if str(k).endswith("url")}
    return {o for o in found if o and o != own}


def _replies(world: Any, deliveries: list, receivers: set[str]) -> list:
    order = {(e.get("delivery"), e.get("attempt")): e["seq"]
             for e in world.journal.query(kind="webhook.attempt")}
    attempts = sorted(((a.at, order.get((d.id, a.number), 1 << 62), a) for d in deliveries
                       if _origin(d.url) in receivers for a in d.attempts), key=lambda t: t[:2])
    replies = [_reply(a) for _, _, a in attempts]
    while len(replies) > 1 and replies[-1] == replies[-2]:   # the last reply repeats by itself
        replies.pop()
    return replies


def _expectation(delivery: Any, default: str) -> dict:
    want: dict = {}
    if delivery.provider != default:
        want["provider"] = delivery.provider
    want["event"] = delivery.event
    try:
        body = json.loads(delivery.body)
    except ValueError:
        body = None
    if isinstance(body, dict):
        want["json"] = escape_braces({k: v for k, v in body.items()
                                      if not any(w in k.lower() for w in SIGNATURE_WORDS)})
    want["status"] = delivery.status
    want["attempts"] = len(delivery.attempts)
    if delivery.attempts:
        want["answers"] = [_answer(a) for a in delivery.attempts]
        want["at"] = delivery.attempts[-1].at.isoformat()
    return {"expect_webhook": want}


def _configured(world: Any) -> list[str]:
    """Providers whose merchants or options this sandbox's configuration sets (not the defaults)."""
    return sorted(name for name, provider in world.providers.items()
                  if world.settings.get(name, {}).get("options")
                  or world.settings.get(name, {}).get("merchants") not in (None, [], provider.default_merchants()))


def recorded_scenario(world: Any) -> dict:
    inputs = list(world.recording.inputs)
    for item in inputs:
        if item.routed and item.provider is None:
            item.provider = _provider_of(world, item.path)
    inputs = [item for item in inputs if not item.routed or item.provider]
    default = _default_provider(world, inputs)
    steps = Translator(world, default).steps(inputs)
    deliveries = world.outbox.list()
    receivers = _receivers(world, deliveries, inputs)
    last = max((item.answered_seq for item in inputs), default=0)
    if world.journal.last_seq > last or not steps:
        steps.append({"wait_journal": world.journal.last_seq})
    steps += [_expectation(d, default) for d in deliveries]
    data: dict = {
        "scenario": f"recorded at {world.clock.now().isoformat()}",
        "description": f"What this sandbox's world did since its last reset ({len(inputs)} inputs), "
                       f"recorded by GET /_sandbox/recording; replay it with `mockserver run FILE`.",
        "provider": default, "seed": world.seed, "start": world.start.isoformat(), "webhook_url": "keep"}
    origins = {origin: "receiver" for origin in sorted(receivers)}
    if world.origin:
        origins[world.origin] = "sandbox"
    if origins:
        data["origins"] = origins
    replies = _replies(world, deliveries, receivers)
    if replies:
        data["receiver"] = {"replies": replies}
    data["steps"] = steps
    return data


def recording_text(world: Any) -> str:
    header = ["# Recorded by provider-sandbox: every input since the world's last reset, replayed",
              "# exactly by `mockserver run FILE` (in-process, or --server URL [--tenant NAME]).",
              "# Limits: docs/scenarios.md, \"Recording\"."]
    configured = _configured(world)
    if configured:
        header.append(f"# This sandbox's configuration sets merchants or options of {', '.join(configured)}: "
                      f"replay against a sandbox with the same configuration (--server URL).")
    return "\n".join(header) + "\n" + _yaml_text(recorded_scenario(world))


def _yaml_text(data: dict) -> str:
    """libyaml's emitter where PyYAML has it (its wheels do): a recording of large bodies took
    seconds in the pure-Python one. libyaml takes UTF-8 only: when a string holds a lone surrogate
    (an admin body's JSON escape, kept as parsed), the steps are written one by one, the same
    text, and only those holding one by the Python emitter."""
    try:
        return _dump(data)
    except UnicodeEncodeError:
        return _step_by_step(data)


def _step_by_step(data: dict) -> str:
    *head, last = data
    if last != "steps" or not data["steps"]:
        return _dump(data, fast=False)
    return ((_dump({key: data[key] for key in head}) if head else "") + "steps:\n"
            + "".join(_dump([step], fast=_encodable(step)) for step in data["steps"]))


def _dump(data: Any, fast: bool = True) -> str:
    import yaml   # on first use: serving starts without it (tests/test_startup_imports.py)
    dumper = getattr(yaml, "CSafeDumper", None) if fast else None
    return yaml.dump(data, Dumper=dumper or _python_dumper(), sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=None)


def _encodable(value: Any) -> bool:
    if isinstance(value, str):
        return not _SURROGATE.search(value)
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_encodable(v) for v in value)
    return True


_SURROGATE = re.compile("[\ud800-\udfff]")


@functools.cache
def _python_dumper() -> type:
    """The pure-Python SafeDumper, but a string holding U+0085 (NEL) double-quoted: it would
    write one single-quoted, where YAML reads the NEL as a line break (a body replayed with four
    spaces in place of that character)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value: str):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if "\x85" in value else None)

    Dumper.add_representer(str, text)
    return Dumper


@routes.get("/_sandbox/recording")
async def recording(request: web.Request) -> web.Response:
    world = world_of(request)
    kept = world.recording
    if not kept.complete:
        raise Conflict(f"the recording stopped at {len(kept.inputs)} inputs (retention.recording, or 64 MiB "
                       f"of bodies); {kept.dropped} more came since the last reset, so it cannot replay this "
                       f"world: reset, and record a shorter story")
    headers = {"Content-Type": "application/yaml; charset=utf-8"}
    if request.query.get("download"):
        stamp = world.clock.now().strftime("%Y%m%dT%H%M%S")
        headers["Content-Disposition"] = f'attachment; filename="recording-{stamp}.yaml"'
    return web.Response(body=recording_text(world).encode("utf-8"), headers=headers)
