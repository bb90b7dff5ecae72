"""Sandbox configuration, from defaults, a YAML file and command-line flags.

```yaml
host: 127.0.0.1
port: 8080
seed: 42                     # ids, addresses and faker output replay exactly
clock: virtual               # virtual | realtime
speed: 1.0                   # realtime only: 60 = one virtual minute per wall second
start: 2025-01-15T10:00:00Z  # virtual start instant (default: wall clock at start-up)
public_url: http://127.0.0.1:8080   # origin used in checkout/invoice URLs (default: the request's)
allow_external_webhooks: false      # deliver only to loopback unless set
journal_size: 10000
self_check: false            # also validate every response/webhook the sandbox emits (the test suite does)
providers:
  cryptopayment:
    merchants:
      - {api_key: pk_..., api_secret: sk_..., app_key: ..., webhook_url: http://127.0.0.1:9000/hook}
    options: {}
```
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .core.clock import utc


class ConfigError(ValueError):
    pass


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    seed: int | None = None
    clock: str = "virtual"
    speed: float = 1.0
    start: datetime | None = None
    public_url: str | None = None
    allow_external_webhooks: bool = False
    journal_size: int = 10_000
    self_check: bool = False       # validate the sandbox's own responses and webhooks too
    providers: dict[str, dict] = field(default_factory=dict)

    def resolved_seed(self) -> int:
        if self.seed is None:  # still replayable: the chosen seed is printed and served
            self.seed = secrets.randbelow(2**31)
        return self.seed

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> "SandboxConfig":
        if not isinstance(data, dict):
            raise ConfigError("config must be a mapping")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown config keys: {', '.join(sorted(unknown))}")
        cfg = cls(**data)
        if isinstance(cfg.start, str):
            try:
                cfg.start = datetime.fromisoformat(cfg.start.replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(f"start is not an ISO 8601 instant: {cfg.start!r}") from None
        if cfg.start is not None:
            cfg.start = utc(cfg.start)
        if cfg.clock not in ("virtual", "realtime"):
            raise ConfigError("clock must be virtual or realtime")
        if not isinstance(cfg.providers, dict):
            raise ConfigError("providers must be a mapping of provider name to settings")
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> "SandboxConfig":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return cls.from_mapping(data)

    def provider_settings(self, name: str, default_merchants: list[dict]) -> dict:
        """Merchants from the config, each laid over the provider's default merchant."""
        given = self.providers.get(name) or {}
        merchants = given.get("merchants")
        base = default_merchants[0] if default_merchants else {}
        if merchants:
            merchants = [{**base, **m} for m in merchants]
        else:
            merchants = [dict(m) for m in default_merchants]
        return {"merchants": merchants, "options": dict(given.get("options") or {})}
