"""Typed errors raised by handlers; each provider renders them in its own error shape."""
from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """An error with an HTTP status, a human message and an optional provider code."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.code = code
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(SandboxError):
    status = 400


class Unauthorized(SandboxError):
    status = 401


class Forbidden(SandboxError):
    status = 403


class NotFound(SandboxError):
    status = 404


class Conflict(SandboxError):
    status = 409


class Unprocessable(SandboxError):
    status = 422


class ContractViolation(Unprocessable):
    """A message broke its JSON-schema contract; `pointer` names the schema path."""

    def __init__(self, message: str, *, contract: str, schema_path: str, instance_path: str,
                 status: int | None = None, code: str | None = None):
        super().__init__(message, status=status, code=code,
                         details={"contract": contract, "schema_path": schema_path,
                                  "instance_path": instance_path})
        self.contract = contract
        self.schema_path = schema_path
        self.instance_path = instance_path
        self.headers = {"X-Sandbox-Contract-Violation": f"{contract}#{schema_path}"}
