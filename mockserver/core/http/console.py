"""The live console: one line per API exchange and per webhook attempt while the sandbox serves.

A Journal listener (`world.journal.subscribe(Console(...))`): it sees exactly what the journal
records, and nothing the journal does not hold: no headers, no bodies. Query values whose names
sound secret are masked. Times are the virtual clock's (the `at` of the journal entry), so a line
tells when the event happened in the sandbox's world, which is what retries and expiries follow.

Writes go to a buffered stream and are flushed once per event-loop turn, not once per line:
a burst of requests costs one flush.
"""
from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote

from .guard import SECRET_WORDS

QUIET, NORMAL, VERBOSE = 0, 1, 2
# kinds printed at the normal level (a reset's or a new tenant's seed: to replay what follows)
SHOWN = ("api", "webhook.attempt", "error", "reset", "tenant.created")
HIDDEN = "***"
_SKIP = {"seq", "at", "kind", "provider", "tenant"}


def _secret(name: str) -> bool:
    name = name.lower()
    return any(word in name for word in SECRET_WORDS)


def mask_path(path_qs: str) -> str:
    """The path with the value of every secret-sounding query parameter replaced."""
    if "?" not in path_qs:
        return path_qs
    path, _, query = path_qs.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    return path + "?" + "&".join(
        f"{quote(k, safe='')}={HIDDEN if _secret(k) else quote(v, safe='')}" for k, v in pairs)


def _masked(value: Any, secret: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _masked(v, secret or _secret(str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secret) for v in value]
    return HIDDEN if secret and value not in (None, "") and not isinstance(value, bool) else value


def _clock(at: str) -> str:
    """HH:MM:SS.mmm of an ISO instant."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def outcome(entry: dict) -> str:
    """What became of a webhook attempt: its answer, then delivered / retry at / no more retries."""
    if entry.get("status") is not None:
        answer = str(entry["status"])
        if "latency_ms" in entry:
            answer += f" {entry['latency_ms']:.1f}ms"
        if 200 <= entry["status"] < 300 and not entry.get("acknowledged"):
            answer += " not acknowledged"  # the provider's ack rule wants more than a 2xx
    else:
        answer = entry.get("error") or "no answer"
    if entry.get("acknowledged"):
        return f"{answer} delivered"
    if entry.get("manual"):
        return f"{answer} (manual attempt, not acknowledged)"
    if entry.get("retry_at"):
        return f"{answer} (retry at {_clock(entry['retry_at'])[:8]})"
    return f"{answer} (no more retries)"


def webhook_line(entry: dict) -> str:
    return (f"{_clock(entry.get('at', ''))} webhook {entry.get('delivery')} #{entry.get('attempt')} "
            f"{entry.get('provider', '')} {entry.get('event')} -> {outcome(entry)}")


def text_line(entry: dict) -> str:
    line = _text_line(entry)
    tenant = entry.get("tenant")   # a tenant's World's entry (app.py tags them): "HH:MM:SS.mmm t/NAME ..."
    return line.replace(" ", f" t/{tenant} ", 1) if tenant else line


def _text_line(entry: dict) -> str:
    kind, at = entry["kind"], _clock(entry.get("at", ""))
    if kind == "api":
        latency = f" {entry['latency_ms']:.1f}ms" if "latency_ms" in entry else ""
        violation = " contract-violation" if entry.get("violation") else ""
        return (f"{at} {entry.get('provider', '')} {entry.get('method')} {mask_path(str(entry.get('path', '')))} "
                f"{entry.get('status')}{latency}{violation}")
    if kind == "webhook.attempt":
        return webhook_line(entry)
    rest = " ".join(f"{k}={v}" for k, v in _masked({k: v for k, v in entry.items() if k not in _SKIP}).items())
    return f"{at} {kind} {entry.get('provider', '')} {rest}".replace("  ", " ").rstrip()


def _where(violation: Any) -> Any:
    """A violation without its message: the message may quote the offending (maybe secret) value."""
    if isinstance(violation, dict):
        return {k: violation[k] for k in ("contract", "schema_path", "instance_path") if k in violation}
    return True


def json_line(entry: dict) -> str:
    out = _masked(dict(entry))
    if "violation" in out:
        out["violation"] = _where(out["violation"])
    if "path" in out and out["kind"] == "api":
        out["path"] = mask_path(str(out["path"]))
    return json.dumps(out, separators=(",", ":"), default=str)


class Console:
    """Prints journal entries as they are recorded: `fmt` text | json; `level` QUIET | NORMAL | VERBOSE."""

    def __init__(self, stream: TextIO | None = None, fmt: str = "text", level: int = NORMAL):
        self.stream = stream or sys.stdout
        self.render = json_line if fmt == "json" else text_line
        self.level = level
        self._flush_scheduled = False

    def __call__(self, entry: dict) -> None:
        if self.level <= QUIET or (self.level == NORMAL and entry["kind"] not in SHOWN):
            return
        self.stream.write(self.render(entry) + "\n")
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.stream.flush()
            return
        self._flush_scheduled = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        try:
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not break serving
            pass
