"""Load scenario files: YAML with line numbers, `${ENV}` substitution, schema and sense checks.

A bad file raises ScenarioLoadError naming the file, the line and what is wrong; the caller prints
it, never a traceback.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from mockserver.core.time.durations import parse_duration
from mockserver.core.state.settings import unknown
from mockserver.core.basics.yamlfile import LinedError, Loader, documents, line_of

from .schema import SCHEMA, STEP_DEFS, VERBS

DEFAULT_START = "2024-01-15T10:00:00+00:00"
DEFAULT_SEED = 1
DEFAULT_WEBHOOK_TIMEOUT = 1.0
_ENV = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}")


class ScenarioLoadError(LinedError):
    """`file:line: message`, printed by the caller instead of a traceback."""


@dataclass
class Step:
    index: int                 # 1-based, as shown in output
    verb: str
    arg: Any                   # the verb's value
    options: dict              # every other key of the step (expect, save, json, ...)
    line: int
    name: str | None = None

    def label(self) -> str:
        if self.name:
            return f"{self.verb} {self.name}"
        arg = self.arg
        if self.verb == "call" or isinstance(arg, (str, int, float)):
            return f"{self.verb} {arg}"
        if self.verb in ("expect_webhook", "expect_no_webhook", "resend") and isinstance(arg, dict):
            bits = [str(arg["event"])] if arg.get("event") else []
            if arg.get("tamper"):
                bits.append(f"tampered {arg['tamper']}")
            return " ".join([self.verb, *bits])
        if isinstance(arg, dict):  # simulations: their raw params, placeholders unexpanded
            params = arg if self.verb != "expect_state" else {k: v for k, v in arg.items() if k != "json"}
            return " ".join([self.verb, *(f"{k}={v}" for k, v in params.items())])
        return self.verb


@dataclass
class Scenario:
    file: str
    line: int
    name: str
    provider: str
    steps: list[Step]
    seed: int = DEFAULT_SEED
    start: datetime = field(default_factory=lambda: datetime.fromisoformat(DEFAULT_START))
    merchant: int | str | None = None
    webhook_url: str = "builtin"
    webhook_timeout: float = DEFAULT_WEBHOOK_TIMEOUT
    receiver: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    origins: dict = field(default_factory=dict)   # a recording's: origin -> "receiver" | "sandbox"

    @property
    def ident(self) -> str:
        return f"{self.file}::{self.name}"


def _substitute_env(text: str, file: str, line: int) -> str:
    def repl(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, default = match.group(1), match.group(2), match.group(3)
        value = os.environ.get(name)
        if op == ":-" and not value:
            return default
        if op == "-" and value is None:
            return default
        if value is None:
            raise ScenarioLoadError(file, line, f"environment variable {name} is not set "
                                                f"(write ${{{name}:-default}} to give a default)")
        return value
    return _ENV.sub(repl, text)


def _scalar(file: str):
    def hook(value: Any, node: yaml.ScalarNode, line: int) -> Any:
        if isinstance(value, str) and "$" in value:
            value = _substitute_env(value, file, line)
            if node.style is None and node.value.strip().startswith("${"):
                # an unquoted `${SEED:-7}` gets YAML's implicit typing after substitution
                value = yaml.load(value, Loader=Loader) if value.strip() else value
        return value
    return hook


def _fmt(path: Iterable) -> str:
    path = tuple(path)
    prefix = ""
    if len(path) >= 2 and path[0] == "steps" and isinstance(path[1], int):
        # steps are numbered from 1, as in the runner's output
        prefix, path = f"step {path[1] + 1}", path[2:]
        if not path:
            return prefix
        prefix += ": "
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return prefix + out if (prefix or out) else "(top level)"


_line = line_of


_TOP = Draft202012Validator({**SCHEMA, "properties": {**SCHEMA["properties"], "steps": {
    "type": "array", "minItems": 1, "items": {"type": "object"}}}})
_STEPS = {verb: Draft202012Validator(schema) for verb, schema in STEP_DEFS.items()}


def _schema_error(validator: Draft202012Validator, data: Any, base: tuple, file: str,
                  lines: dict) -> None:
    error = best_match(validator.iter_errors(data))
    if error is None:
        return
    path = base + tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            path = path + (extra[0],)
            raise ScenarioLoadError(file, _line(lines, path), f"{_fmt(path)}: unknown key "
                                    f"(allowed here: {', '.join(sorted(allowed))})")
    message = error.message
    # best_match picks the deepest branch of an anyOf; the outermost described schema reads better
    hint, node = None, error
    while node is not None:
        if isinstance(node.schema, dict) and node.schema.get("description") and node.validator in (
                "anyOf", "oneOf", "pattern", "enum", "const", "type"):
            hint = node.schema["description"]
        node = node.parent
    if hint:
        message = f"{error.instance!r} is not valid here: expected {hint}"
    raise ScenarioLoadError(file, _line(lines, path), f"{_fmt(path)}: {message}")


def _check_duration(value: Any, path: tuple, file: str, lines: dict, allow: tuple = ()) -> float:
    if value in allow:
        return -1.0
    try:
        return parse_duration(value).total_seconds()
    except (ValueError, TypeError) as exc:
        extra = f" or {' / '.join(allow)}" if allow else ""
        raise ScenarioLoadError(file, _line(lines, path), f"{_fmt(path)}: {exc}{extra}") from None


def _check_moment(value: str, path: tuple, file: str, lines: dict) -> None:
    if value.startswith("+"):
        _check_duration(value[1:], path, file, lines)
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioLoadError(file, _line(lines, path), f"{_fmt(path)}: {value!r} is neither "
                                "+duration nor an ISO 8601 instant") from None


def _build_step(raw: dict, index: int, base: tuple, file: str, lines: dict) -> Step:
    verbs = [key for key in raw if key in VERBS]
    line = _line(lines, base)
    if not verbs:
        unknown = ", ".join(repr(k) for k in raw if k != "name") or "nothing"
        raise ScenarioLoadError(file, line, f"{_fmt(base)}: no verb in this step (found {unknown}; "
                                f"expected one of {', '.join(VERBS)})")
    if len(verbs) > 1:
        raise ScenarioLoadError(file, line, f"{_fmt(base)}: one verb per step, found {', '.join(verbs)}")
    verb = verbs[0]
    _schema_error(_STEPS[verb], raw, base, file, lines)
    arg = raw[verb]
    if verb == "advance":
        _check_duration(arg, base + (verb,), file, lines, allow=("until_quiet",))
    if verb == "expect_webhook":
        for i, gap in enumerate(arg.get("gaps", [])):
            _check_duration(gap, base + (verb, "gaps", i), file, lines)
        if "at" in arg:
            _check_moment(arg["at"], base + (verb, "at"), file, lines)
    if verb == "await" and "timeout" in raw:
        _check_duration(raw["timeout"], base + ("timeout",), file, lines)
    if verb in ("call", "admin") and "json" in raw and "body" in raw:
        raise ScenarioLoadError(file, _line(lines, base + ("body",)),
                                f"{_fmt(base)}: json or body, not both (body is the exact text sent)")
    if verb in ("pay", "confirm", "expire") and isinstance(arg, str):
        arg = {"invoice": arg}
    if verb in ("reorg", "double_spend", "release") and isinstance(arg, str):
        arg = {"txid": arg}
    if verb == "expect_no_webhook" and arg is None:
        arg = {}
    options = {k: v for k, v in raw.items() if k not in (verb, "name")}
    return Step(index=index, verb=verb, arg=arg, options=options, line=line or 1, name=raw.get("name"))


def _build_scenario(data: Any, file: str, lines: dict, doc_line: int) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioLoadError(file, doc_line, "a scenario file is a mapping with scenario, provider, steps")
    _schema_error(_TOP, data, (), file, lines)
    steps = [_build_step(raw, i + 1, ("steps", i), file, lines) for i, raw in enumerate(data["steps"])]
    timeout = DEFAULT_WEBHOOK_TIMEOUT
    if "webhook_timeout" in data:
        timeout = _check_duration(data["webhook_timeout"], ("webhook_timeout",), file, lines)
    for i, reply in enumerate(data.get("receiver", {}).get("replies", [])):
        if isinstance(reply, dict) and "slow" in reply:
            _check_duration(reply["slow"], ("receiver", "replies", i, "slow"), file, lines)
    start = datetime.fromisoformat(DEFAULT_START)
    if "start" in data:
        try:
            start = datetime.fromisoformat(data["start"].replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioLoadError(file, _line(lines, ("start",)),
                                    f"start: {data['start']!r} is not an ISO 8601 instant") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
    _check_provider(data["provider"], file, _line(lines, ("provider",)))
    return Scenario(file=file, line=doc_line, name=data["scenario"], provider=data["provider"],
                    steps=steps, seed=data.get("seed", DEFAULT_SEED), start=start,
                    merchant=data.get("merchant"), webhook_url=data.get("webhook_url", "builtin"),
                    webhook_timeout=timeout, receiver=data.get("receiver") or {},
                    tags=list(data.get("tags", [])), description=data.get("description", ""),
                    origins=dict(data.get("origins") or {}))


def scenario_from_mapping(data: dict, file: str) -> Scenario:
    """A scenario from Python data (a provider's trigger stories), checked as a file's would be."""
    return _build_scenario(data, file, {}, 1)


def _check_provider(name: str, file: str, line: int | None) -> None:
    from mockserver.providers.registry import provider_names
    names = provider_names()   # the folders' names: a broken provider is reported by the runner
    if name not in names:
        raise ScenarioLoadError(file, line, f"provider: {unknown('provider', name, names)}")


def load_text(text: str, file: str = "<string>") -> list[Scenario]:
    """Every scenario in a YAML text (one per `---` document)."""
    scenarios = [_build_scenario(data, file, lines, doc_line) for data, lines, doc_line
                 in documents(text, file, ScenarioLoadError, _scalar(file), _fmt)]
    if not scenarios:
        raise ScenarioLoadError(file, 1, "empty file: expected a scenario")
    return scenarios


def load_file(path: str | Path) -> list[Scenario]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioLoadError(str(path), None, f"cannot read: {exc}") from None
    return load_text(text, str(path))


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named by `paths`: files as given, directories searched for *.yaml / *.yml."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioLoadError(str(path), None, "no such file or directory")
    return found
