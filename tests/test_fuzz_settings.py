"""Settings are input too (issue 23): every merchant setting and provider option of every provider
has a declared type and range, and a generated value, valid or hostile, either is refused when it
is set (a 4xx naming it, changing nothing) or never makes a later call fail.

Per provider, Hypothesis draws PATCH bodies from the provider's own `merchant_settings` schemas
(hypothesis-jsonschema) mixed with hostile values (huge, tiny, negative, wrong types, control
characters), and option sets from its `option_settings`, checked as the config loader checks
them. An accepted change is followed by the provider's own create -> pay -> webhook story
(`Provider.stories`, run as `mockserver trigger` runs it): no 5xx, no exception in a scheduled
event, no broken contract, the webhook attempted, and the story completes or is refused with a
4xx naming the setting. Nothing here names a provider.

Size: SANDBOX_SETTINGS_EXAMPLES changes per provider (default 25); `make fuzz` runs more.
"""
from __future__ import annotations

import io
import os
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from fuzzing import state_diff, state_image
from plain_words import leaks, messages
from sandbox_harness import Served, problems
from mockserver.config import SandboxConfig
from mockserver.config_schema import problems as config_problems
from mockserver.providers.registry import load_providers
from mockserver.remote import trigger
from mockserver.scenarios.client import SandboxClient
from mockserver.scenarios.runner import client_session

EXAMPLES = int(os.environ.get("SANDBOX_SETTINGS_EXAMPLES", "25"))
START = datetime(2025, 1, 15, 10, tzinfo=timezone.utc)
PROVIDERS = sorted(load_providers())
HOSTILE = ["", " ", "\x00", "a\nb", "é" * 300, "x" * 5000, "-1", "0", "1e400", "NaN", "off", "5m", "::1",
           "http://[::1", "javascript:alert(1)", "inbox:shop", -1, 0, 1, 10**30, -(10**30), 1e300, 1e-30, 0.5,
           2**63, True, False, None, [], [1, "a"], {}, {"a": {"b": None}}]


def _values(schema: dict) -> st.SearchStrategy:
    try:
        valid = from_schema(schema)
    except Exception:  # a keyword hypothesis-jsonschema cannot generate from
        valid = st.nothing()
    return st.one_of(valid, st.sampled_from(HOSTILE))


def _changes(declared: dict[str, dict]) -> st.SearchStrategy:
    keys = sorted(declared)
    pairs = st.one_of(*[st.tuples(st.just(k), _values(declared[k])) for k in keys],
                      st.tuples(st.sampled_from(["no_such_setting", keys[0].upper()]), st.sampled_from(HOSTILE)))
    return st.lists(pairs, min_size=1, max_size=3).map(dict)


def short(value) -> str:
    """A change as a failure report shows it: long values cut."""
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def _names_a_setting(text: str, changed: dict) -> bool:
    lowered = text.lower()
    return any(key.lower() in lowered or key.replace("_", " ").lower() in lowered for key in changed)


class Story:
    """The provider's create -> exact payment story against the served sandbox; what it found."""

    def __init__(self, served: Served, name: str):
        self.served, self.name = served, name
        self.ran = self.completed = self.refused = 0

    def run(self, changed: dict) -> list[str]:
        world = self.served.world
        since = world.journal.last_seq

        async def go() -> tuple[int, str]:
            async with client_session() as session:
                client = SandboxClient(str(self.served.client.make_url("")).rstrip("/"), session)
                out = io.StringIO()
                code = await trigger(client, self.name, "exact", out, order_ref=f"SET-{self.ran}")
                await world.scheduler.settle()
                return code, out.getvalue()

        self.ran += 1
        code, output = self.served.run(go())
        found = problems(world)
        calls = [e for e in world.journal.query(kind="api", since=since)]
        found += [f"{e.get('method')} {e.get('path')} -> {e.get('status')}" for e in calls if (e.get("status") or 0) >= 500]
        if code == 0:
            self.completed += 1
            attempts = world.journal.query(kind="webhook.attempt", since=since)
            if not attempts and not world.journal.query(kind="webhook.enqueued", since=since):
                found.append("the story completed but no webhook was even enqueued")
        else:
            self.refused += 1
            refused = [e for e in calls if 400 <= (e.get("status") or 0) < 500]
            if not refused or not _names_a_setting(output + " ".join(map(str, refused[-1].values())), changed):
                found.append(f"after {short(changed)}: the story failed without a 4xx naming the setting:\n{output}")
        return found


def _served(name: str) -> Served:
    def config(url: str) -> SandboxConfig:
        return SandboxConfig(seed=23, start=START, self_check=True,
                             providers={name: {"merchants": [{"webhook_url": url, "webhook_timeout": 2}]}})
    return Served(config).start()


RUN = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
               phases=[Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_merchant_setting_is_refused_when_set_or_never_breaks_a_later_call(name):
    served = _served(name)
    provider = served.world.providers[name]
    story, found, tally = Story(served, name), [], {"accepted": 0, "refused": 0}
    try:
        @RUN
        @given(changes=_changes(provider.merchant_settings))
        def one(changes):
            served.admin("POST", "/reset")                    # the configured merchant again
            world = served.world
            before = state_image(world)
            answer = served.admin("PATCH", f"/providers/{name}/merchant", changes)
            if answer.status >= 500:
                found.append(f"PATCH {short(changes)} -> {answer.status}")
            elif answer.status >= 400:
                tally["refused"] += 1
                after = state_image(world)
                if after != before:
                    found.append(f"a refused PATCH {short(changes)} changed {state_diff(before, after)}")
                if leaks(answer.json):
                    found.append(f"PATCH {short(changes)}: {leaks(answer.json)}")
                if not _names_a_setting(" ".join(messages(answer.json)), changes):
                    found.append(f"PATCH {short(changes)}: the refusal names no setting: {answer.text[:300]}")
            else:
                tally["accepted"] += 1
                found.extend(f"{short(changes)}: {p}" for p in story.run(changes))
        one()
    finally:
        served.close()
    print(f"\n{name}: {EXAMPLES} PATCHes ({tally['accepted']} accepted, {tally['refused']} refused); "
          f"{story.ran} stories, {story.completed} completed, {story.refused} refused with a 4xx")
    assert not found, "\n".join(found[:10])
    assert tally["accepted"] and tally["refused"], tally


@pytest.mark.parametrize("name", [n for n in PROVIDERS if load_providers()[n].option_settings])
def test_a_provider_option_is_refused_at_load_or_never_breaks_a_later_call(name):
    served = _served(name)
    provider = served.world.providers[name]
    story, found, tally = Story(served, name), [], {"accepted": 0, "refused": 0}
    configured = dict(served.world.settings[name])
    try:
        @RUN
        @given(options=_changes(provider.option_settings))
        def one(options):
            refusals = config_problems({"providers": {name: {"options": options}}}, {}, served.world.providers)
            if refusals:
                tally["refused"] += 1
                words = " ".join(message for _line, message in refusals)
                if leaks(words) or not _names_a_setting(words, options):
                    found.append(f"options {short(options)}: {words[:300]}")
                return
            tally["accepted"] += 1
            # what `serve` does with a config file holding these options: a World built from them
            served.world.settings[name] = {**configured, "options": options}
            reset = served.admin("POST", "/reset")
            if reset.status >= 500 or problems(served.world):
                found.append(f"options {short(options)}: the World could not be built: {reset.text[:300]}")
                return
            found.extend(f"options {short(options)}: {p}" for p in story.run(options))
        one()
    finally:
        served.close()
    print(f"\n{name}: {EXAMPLES} option sets ({tally['accepted']} accepted, {tally['refused']} refused); "
          f"{story.ran} stories, {story.completed} completed, {story.refused} refused with a 4xx")
    assert not found, "\n".join(map(str, found[:10]))
