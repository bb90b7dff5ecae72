"""The config file is checked against its schema: a typo is refused with its file, line and a
"did you mean", never silently ignored; URLs are checked when the file is read."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from mockserver.config import ConfigError, SandboxConfig
from mockserver.config_schema import TOP
from mockserver.providers.registry import load_providers


def _load(tmp_path: Path, text: str) -> SandboxConfig:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return SandboxConfig.load(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    return str(caught.value)


@pytest.mark.parametrize("text, line, message", [
    ("seed: 1\nprot: 9000\n", 2, "unknown key 'prot' (did you mean 'port'?)"),
    ("providers:\n  cryptopaymnet: {}\n", 2, "unknown provider 'cryptopaymnet' (did you mean 'cryptopayment'?)"),
    ("providers:\n  alt5pay:\n    merchant: []\n", 3, "unknown section 'merchant' for alt5pay (did you mean 'merchants'?)"),
    ("providers:\n  cryptopayment:\n    merchants:\n      - api_key: pk_1\n        webhok_url: http://127.0.0.1:9/h\n",
     5, "unknown merchant key 'webhok_url' for cryptopayment (did you mean 'webhook_url'?)"),
    ("providers:\n  cryptopayment:\n    options:\n      expiry_minute: 5\n",
     4, "unknown option 'expiry_minute' for cryptopayment (did you mean 'expiry_minutes'?)"),
    ("retention:\n  objetcs: 5\n", 2, "unknown key 'objetcs' for retention (did you mean 'objects'?)"),
    ("clock: virtaul\n", 1, "clock: unknown value 'virtaul' (did you mean 'virtual'?)"),
    ("providers:\n  alppay:\n    merchants:\n      - webhook_timeout: slow\n",
     4, "providers.alppay.merchants[0].webhook_timeout: \"slow\" is not valid here: expected a number "
        "(seconds a webhook POST may take) more than 0 and at most 120"),
])
def test_a_typo_is_refused_with_its_line_and_a_suggestion(tmp_path, text, line, message):
    assert _error(tmp_path, text) == f"{tmp_path / 'config.yaml'}:{line}: {message}"


def test_a_relative_webhook_url_is_refused_when_the_file_is_read(tmp_path):
    """Not by every later delivery failing with a misleading 'non-loopback' reason."""
    text = "providers:\n  cryptopayment:\n    merchants:\n      - webhook_url: /hooks/crypto\n"
    message = _error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'config.yaml'}:4: ")
    assert "webhook_url" in message and "absolute http:// or https:// URL" in message


def test_the_provider_checks_a_configured_merchant_too(tmp_path):
    text = "providers:\n  alppay:\n    merchants:\n      - api_key: ak_1\n        ip_whitelist: [10.0.0.300]\n"
    assert _error(tmp_path, text).startswith(f"{tmp_path / 'config.yaml'}:5: providers.alppay.merchants[0]: ip_whitelist")


def test_every_problem_is_listed_in_file_order(tmp_path):
    lines = _error(tmp_path, "prot: 1\nseed: x\nclok: virtual\n").splitlines()
    assert [line.split(":")[1] for line in lines] == ["1", "2", "3"]


def test_the_schema_knows_every_config_field():
    assert set(TOP) | {"providers"} == {f.name for f in fields(SandboxConfig)}


def test_every_provider_default_merchant_is_a_valid_config(tmp_path):
    """Every key a provider's own defaults use is declared (so nothing valid is refused)."""
    providers = {name: {"merchants": p.default_merchants()} for name, p in load_providers().items()}
    cfg = _load(tmp_path, yaml.safe_dump({"seed": 3, "providers": providers}))
    assert set(cfg.providers) == set(load_providers())


def test_a_good_config_still_loads(tmp_path):
    cfg = _load(tmp_path, "seed: 5\nclock: virtual\nstart: 2025-03-01T12:00:00Z\nretention: {objects: 50}\n"
                          "providers:\n  alchemypay:\n    options: {sell_expiry: 10m, webhook_clock: virtual}\n"
                          "  cryptopayment:\n    merchants:\n      - {api_key: pk_1, webhook_url: 'inbox:shop'}\n")
    assert cfg.seed == 5 and cfg.retention.objects == 50 and cfg.start.year == 2025


def test_serve_prints_the_lines_and_exits_2_without_a_traceback(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("providers:\n  cryptopayment:\n    merchants:\n      - webhok_url: http://127.0.0.1:9/h\n")
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--config", str(path)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"{path}:4: unknown merchant key 'webhok_url' for cryptopayment "
                                   f"(did you mean 'webhook_url'?)")
