"""The YAML scenarios against the shop's real webhook handler (merchant mode), as CI runs them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shop import Settings, Shop, ShopServer

HERE = Path(__file__).resolve().parents[1]


def test_the_webhook_handler_passes_the_merchant_scenarios():
    # `mockserver run` starts its own sandbox with the default merchants: the shop's defaults
    server = ShopServer(Shop(Settings())).start()
    try:
        env = {**os.environ, "WEBHOOK_URL": f"{server.url}/webhooks/cryptopayment"}
        result = subprocess.run(
            [sys.executable, "-m", "mockserver.cli", "run", "--tag", "merchant", str(HERE / "scenarios")],
            env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "webhook_handler.yaml" in result.stdout or "the shop acknowledges" in result.stdout
