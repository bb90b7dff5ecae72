"""JSON-schema contracts: contracts/<provider>/*.json, compiled once per process.

Each file is one message (request, response, error, webhook), named by its file stem, e.g.
`invoice-create.request`. Files may $ref each other by file name or $id.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ..basics.bundled import bundled
from ..basics.errors import ContractViolation
from .messages import describe



class ContractsUnavailable(Exception):
    """A provider's contract set is missing or unreadable: the sandbox must not start without it
    (every request it validates would otherwise fail later, as a 500)."""


def contracts_root() -> Path:
    """$SANDBOX_CONTRACTS, else the contracts the installed package ships, else the checkout's."""
    env = os.environ.get("SANDBOX_CONTRACTS")
    return Path(env) if env else bundled("contracts")


@dataclass(frozen=True)
class Violation:
    contract: str
    message: str
    schema_path: str
    instance_path: str

    def as_dict(self) -> dict:
        return {"contract": self.contract, "message": self.message,
                "schema_path": self.schema_path, "instance_path": self.instance_path}


MAX_MESSAGE = 300


def _short(message: str) -> str:
    """jsonschema quotes the offending value; a huge value must not make a huge error body."""
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "... (truncated)"


def _formats_in(schema: Any, found: set[str]) -> set[str]:
    """Every "format" a schema names, nested schemas included."""
    if isinstance(schema, dict):
        if isinstance(schema.get("format"), str):
            found.add(schema["format"])
        for value in schema.values():
            _formats_in(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _formats_in(value, found)
    return found


class ContractSet:
    """jsonschema (and its format checkers) is loaded on first need, not at start-up: a valid
    message is checked by the compiled fast path, which calls a format checker only where a
    contract names a format; jsonschema explains refusals and backs $ref resolution for strict
    checks. Importing it is a third of the sandbox's own start-up work."""

    def __init__(self, provider: str, directory: Path):
        self.provider = provider
        self.directory = directory
        self.schemas: dict[str, dict] = {}
        self._by_ref: dict[str, dict] = {}   # file name and $id -> schema, for the fast validators
        self._fast: dict[str, Callable[[Any], Any] | None] = {}
        self._validators: dict[str, Any] = {}
        self._registry: Any = None
        self._format_checker: Any = None
        hint = "set SANDBOX_CONTRACTS to a folder holding <provider>/*.json, or reinstall provider-sandbox"
        if not directory.is_dir():
            raise ContractsUnavailable(f"no contracts for {provider}: {directory} is not a folder ({hint})")
        paths = sorted(directory.glob("*.json"))
        if not paths:
            raise ContractsUnavailable(f"no contracts for {provider}: {directory} has no *.json ({hint})")
        for path in paths:
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise ContractsUnavailable(f"cannot read contract {path}: {exc}") from None
            if not isinstance(schema, dict):
                raise ContractsUnavailable(f"cannot read contract {path}: not a JSON Schema object")
            name = path.name[: -len(".json")]
            self.schemas[name] = schema
            self._by_ref[path.name] = schema
            if "$id" in schema:
                self._by_ref[schema["$id"]] = schema
        self._formats = sorted(_formats_in(list(self.schemas.values()), set()))

    @property
    def registry(self) -> Any:
        """The contracts as a `referencing` Registry (mockserver.contracts resolves $ref with it
        for strict checks), keyed by file name and $id."""
        if self._registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012
            resources = []
            for name, schema in self.schemas.items():
                resource = Resource.from_contents(schema, default_specification=DRAFT202012)
                resources.append((f"{name}.json", resource))
                if "$id" in schema:
                    resources.append((schema["$id"], resource))
            self._registry = Registry().with_resources(resources)
        return self._registry

    @property
    def _checker(self) -> Any:
        if self._format_checker is None:
            from jsonschema import FormatChecker
            self._format_checker = FormatChecker()
        return self._format_checker

    def _validator(self, name: str) -> Any:
        validator = self._validators.get(name)
        if validator is None:
            from jsonschema import Draft202012Validator
            validator = self._validators[name] = Draft202012Validator(
                self.schemas[name], registry=self.registry, format_checker=self._checker)
        return validator

    def __contains__(self, name: str) -> bool:
        return name in self.schemas

    def names(self) -> list[str]:
        return sorted(self.schemas)

    def describe(self) -> dict:
        """What /_sandbox/health shows: where this set was loaded from and how many messages."""
        return {"directory": str(self.directory), "count": len(self.schemas)}

    def _resolve(self, uri: str) -> dict:
        """A $ref's target among this provider's files (never the network)."""
        base = uri.split("#", 1)[0]
        schema = self._by_ref.get(base) or self._by_ref.get(base.rsplit("/", 1)[-1])
        if schema is None:
            raise KeyError(f"no contract file {uri}")
        return schema

    def _compile(self, name: str) -> Callable[[Any], Any] | None:
        """The contract as generated Python code, compiled on first use (start-up stays cheap).
        Formats use jsonschema's own checkers, so both validators agree on what is valid."""
        try:  # compiled validators for the common case (a valid message); jsonschema explains failures
            import fastjsonschema   # on first use, with the contract: start-up does not load it
        except ImportError:  # pragma: no cover - the speed-up is optional, the answers are the same
            return None
        # jsonschema's own checker for each format the contracts name, made when first called
        formats = {fmt: (lambda value, fmt=fmt: self._checker.conforms(value, fmt)) for fmt in self._formats}
        handlers = {scheme: self._resolve for scheme in ("", "http", "https", "file")}
        try:
            return fastjsonschema.compile(self.schemas[name], handlers=handlers, formats=formats,
                                          use_default=False)
        except Exception:  # noqa: BLE001 - a schema it cannot compile is validated by jsonschema alone
            return None

    def validate(self, name: str, instance: Any) -> list[Violation]:
        if name not in self.schemas:
            raise KeyError(f"no contract {self.provider}/{name}")
        fast = self._fast[name] if name in self._fast else self._fast.setdefault(name, self._compile(name))
        if fast is not None:
            try:
                fast(instance)
                return []
            except Exception:  # noqa: BLE001 - invalid (or unsure): jsonschema has the last word
                pass
        errors = list(self._validator(name).iter_errors(instance))
        if not errors:
            return []
        from jsonschema.exceptions import best_match
        best = best_match(errors)
        ordered = [best] + [e for e in errors if e is not best]
        return [Violation(
            contract=f"{self.provider}/{name}", message=_short(describe(e)),
            schema_path="/" + "/".join(str(p) for p in e.absolute_schema_path),
            instance_path="/" + "/".join(str(p) for p in e.absolute_path)) for e in ordered]

    def check_request(self, name: str, instance: Any) -> None:
        """Validate an inbound message; the first violation becomes a ContractViolation."""
        violations = self.validate(name, instance)
        if violations:
            v = violations[0]
            where = v.instance_path if v.instance_path != "/" else "body"
            raise ContractViolation(f"{where}: {v.message}", contract=v.contract,
                                    schema_path=v.schema_path, instance_path=v.instance_path)



class BoundContracts:
    """A provider's ContractSet as one World sees it: its own output's violations go to `report`."""

    def __init__(self, contracts: ContractSet, report: Callable[[Violation], None], enabled: bool = True):
        self.contracts = contracts
        self.report = report
        self.audit_enabled = enabled
        self.validate = contracts.validate
        self.check_request = contracts.check_request
        self.describe = contracts.describe

    def __contains__(self, name: str) -> bool:
        return name in self.contracts

    def audit(self, name: str, instance: Any) -> list[Violation]:
        """Validate the sandbox's own output (response or webhook); report, never raise.
        Off unless the World runs with self_check: it costs more than the request itself."""
        if not self.audit_enabled:
            return []
        violations = self.contracts.validate(name, instance)
        for v in violations:
            self.report(v)
        return violations


@lru_cache(maxsize=None)
def _load(provider: str, directory: str) -> ContractSet:
    return ContractSet(provider, Path(directory))


def load_contracts(provider: str, root: Path | None = None) -> ContractSet:
    """Compiled once per process and directory; every World shares the same validators."""
    return _load(provider, str((root or contracts_root()) / provider))
