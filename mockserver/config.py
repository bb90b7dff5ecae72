"""Sandbox configuration, from defaults, a YAML file and command-line flags.

```yaml
host: 127.0.0.1
port: 8080
provider_ports: false        # true: each provider also on a port of its own, at its real paths
                             #   (port+1, port+2, ... in name order; free ports with port 0); or a first port
seed: 42                     # ids, addresses and faker output replay exactly, reset after reset
                             #   (default: a fresh seed at start, on each reset, for each tenant)
clock: virtual               # virtual | realtime
speed: 1.0                   # realtime only: 60 = one virtual minute per wall second
start: 2025-01-15T10:00:00Z  # virtual start instant (default: wall clock at start-up)
public_url: http://127.0.0.1:8080   # origin used in checkout/invoice URLs (default: the request's)
allow_external_webhooks: false      # deliver only to loopback unless set
journal_size: 10000
self_check: false            # also validate every response/webhook the sandbox emits (the test suite does)
admin_token: null            # required on every /_sandbox/ route when set; generated off loopback
allowed_hosts: []            # Host names served besides loopback names, IP literals, the bound host
                             #   and public_url's host (".example.com" = it and subdomains, "*" = any)
header_timeout: 10           # seconds a connection may take to send a request's headers
body_timeout: 30             # seconds a request's body may take to arrive once its headers have
idle_timeout: 60             # seconds a kept-alive connection may sit idle
state: null                  # SQLite file: keep the world across restarts (default: in memory)
store: null                  # postgresql://USER@HOST:PORT/DB: tenants kept in PostgreSQL, shared by
                             #   every process started on it (README "A shared sandbox")
cluster:                     # with store only
  lease: 10s                 #   a process that stops renewing loses its tenants after this long
  advertise_url: null        #   where the other processes reach this one (default: http://host:port)
retention:                   # bounded memory: finished things beyond these caps are forgotten
  objects: 10000             #   per provider store (invoices, orders, payments...), oldest first
  deliveries: 10000          #   finished webhook deliveries
  transfers: 50000           #   chain transfers
  inbox_names: 100           #   built-in inbox names (least recently posted go first)
  inbox_per_name: 100        #   deliveries kept per inbox name
  inbox_body_bytes: 65536    #   bytes kept of each inbox body (the real size is recorded)
  journal_field_chars: 512   #   longest string kept in a journal entry
tenants:                     # isolated worlds under /t/{name}/ (README "Tenants")
  max: 50                    #   at most this many at once (429 past it)
  idle: 24h                  #   one unused this long (real time) is forgotten
providers:
  cryptopayment:
    merchants:
      - {api_key: pk_..., api_secret: sk_..., app_key: ..., webhook_url: http://127.0.0.1:9000/hook}
    options: {}
```
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .core.time.clock import utc
from .core.time.durations import parse_duration
from .core.basics.retention import Retention


class ConfigError(ValueError):
    """`file` when the message already says `file:line:`; `key`: the top-level key at fault."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        super().__init__(message)
        self.file, self.key = file, key


def _located(file: str, line: int | None, message: str) -> ConfigError:
    return ConfigError(f"{file}:{line or 1}: {message}", file=file)


TENANT_DEFAULTS = {"max": 50, "idle": 86_400.0}
CLUSTER_DEFAULTS = {"lease": 10.0, "advertise_url": None}


def check_cluster(value: Any) -> dict[str, Any]:
    """`cluster:` with defaults: lease (a duration, 1 s to 10 min), advertise_url (an origin)."""
    if value is None:
        value = {}
    if not isinstance(value, dict) or set(value) - set(CLUSTER_DEFAULTS):
        raise ConfigError("cluster takes lease (a duration like 10s) and advertise_url (http://HOST:PORT)")
    out = {**CLUSTER_DEFAULTS, **value}
    try:
        out["lease"] = parse_duration(out["lease"]).total_seconds()
    except (ValueError, TypeError):
        raise ConfigError("cluster.lease must be a duration like 10s or a number of seconds") from None
    if not 1 <= out["lease"] <= 600:
        raise ConfigError("cluster.lease must be between 1 s and 10 min")
    url = out["advertise_url"]
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise ConfigError("cluster.advertise_url must be an origin such as http://10.0.0.5:8080")
    return out


def check_tenants(value: Any) -> dict[str, Any]:
    """`tenants:` with defaults: max (a positive integer), idle (a duration, or seconds)."""
    if value is None:
        value = {}
    if not isinstance(value, dict) or set(value) - set(TENANT_DEFAULTS):
        raise ConfigError("tenants takes max (a positive integer) and idle (a duration like 24h)")
    out = {**TENANT_DEFAULTS, **value}
    if not isinstance(out["max"], int) or isinstance(out["max"], bool) or out["max"] < 1:
        raise ConfigError("tenants.max must be a positive integer")
    try:
        out["idle"] = parse_duration(out["idle"]).total_seconds()
    except (ValueError, TypeError):
        raise ConfigError("tenants.idle must be a duration like 24h or a number of seconds") from None
    if out["idle"] <= 0:
        raise ConfigError("tenants.idle must be positive")
    return out


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    provider_ports: bool | int = False   # each provider also at the root of its own port
    seed: int | None = None
    clock: str = "virtual"
    speed: float = 1.0
    start: datetime | None = None
    public_url: str | None = None
    allow_external_webhooks: bool = False
    journal_size: int = 10_000
    self_check: bool = False       # validate the sandbox's own responses and webhooks too
    admin_token: str | None = None
    allowed_hosts: list[str] = field(default_factory=list)
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 60.0
    state: str | None = None       # SQLite file the World is kept in (None: memory only)
    store: str | None = None       # PostgreSQL URL: tenants shared by every process on it
    cluster: dict[str, Any] = field(default_factory=dict)
    retention: Retention = field(default_factory=Retention)
    tenants: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, dict] = field(default_factory=dict)

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
                raise ConfigError(f"start is not an ISO 8601 instant: {cfg.start!r}", key="start") from None
        if cfg.start is not None:
            cfg.start = utc(cfg.start)
        if cfg.clock not in ("virtual", "realtime"):
            raise ConfigError("clock must be virtual or realtime")
        try:
            cfg.retention = Retention.from_mapping(cfg.retention)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if cfg.admin_token is not None and (not isinstance(cfg.admin_token, str) or not cfg.admin_token.strip()):
            raise ConfigError("admin_token must be a non-empty string")
        if isinstance(cfg.allowed_hosts, str):
            cfg.allowed_hosts = [h for h in cfg.allowed_hosts.split(",") if h.strip()]
        if not isinstance(cfg.allowed_hosts, list) or not all(isinstance(h, str) for h in cfg.allowed_hosts):
            raise ConfigError("allowed_hosts must be a list of host names")
        for key in ("header_timeout", "body_timeout", "idle_timeout"):
            value = getattr(cfg, key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{key} must be a positive number of seconds")
        ports = cfg.provider_ports
        if not isinstance(ports, (bool, int)) or (not isinstance(ports, bool) and not 1 <= ports <= 65535):
            raise ConfigError("provider_ports is true, false, or the first of the providers' ports (1-65535)")
        if cfg.state is not None and (not isinstance(cfg.state, str) or not cfg.state.strip()):
            raise ConfigError("state must be the path of a SQLite file")
        cfg.tenants = check_tenants(cfg.tenants)
        if cfg.store is not None and (not isinstance(cfg.store, str)
                                      or cfg.store.split("://", 1)[0] not in ("postgresql", "postgres")):
            raise ConfigError("store must be a PostgreSQL URL: postgresql://USER@HOST:PORT/DB", key="store")
        if cfg.store is not None and cfg.state is not None:
            raise ConfigError("state and store exclude each other: one SQLite file for one process, or "
                              "PostgreSQL shared by several", key="store")
        cfg.cluster = check_cluster(cfg.cluster)
        if not isinstance(cfg.providers, dict):
            raise ConfigError("providers must be a mapping of provider name to settings")
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> "SandboxConfig":
        """The config file, checked against its schema: every problem as `file:line: message`."""
        from .config_schema import problems
        from .core.basics.yamlfile import documents, line_of   # here: `serve` without a file needs no YAML
        from .providers.registry import load_providers
        file = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
            parsed = list(documents(text, file, _located))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read: {exc}", file=file) from None
        if len(parsed) > 1:
            raise ConfigError(f"{file}:{parsed[1][2]}: one YAML document expected", file=file)
        data, lines = (parsed[0][0], parsed[0][1]) if parsed else ({}, {})
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError(f"{file}:1: the config is a mapping of settings (host, port, providers...)",
                              file=file)
        allow_external = data.get("allow_external_webhooks") is True
        found = problems(data, lines, load_providers(), allow_external)
        if found:
            raise ConfigError("\n".join(f"{file}:{line or 1}: {message}" for line, message in found),
                              file=file)
        try:
            return cls.from_mapping(data)
        except ConfigError as exc:
            line = line_of(lines, (exc.key,)) if exc.key else None
            raise ConfigError(f"{file}:{line or 1}: {exc}", file=file) from None

    def first_provider_port(self, main_port: int) -> int | None:
        """The first provider port (the rest follow), 0 for free ports, None when not asked for."""
        if self.provider_ports is False or self.provider_ports is None:
            return None
        if self.provider_ports is True:
            return main_port + 1 if main_port else 0
        return int(self.provider_ports)

    def tenant_limits(self) -> tuple[int, float]:
        """(max tenants, idle seconds) with the defaults filled in."""
        limits = check_tenants(self.tenants)
        return limits["max"], limits["idle"]

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
