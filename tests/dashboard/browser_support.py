"""Helpers the browser tests import by a name of their own (every conftest.py is `conftest`)."""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "reports" / "screenshots"


def chromium_path() -> str | None:
    given = os.environ.get("CHROMIUM")
    if given:
        return given if os.path.exists(given) else None
    return next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and os.path.exists(p)), None)


def need_browser(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests are mandatory in CI: {reason}")
    pytest.skip(reason)


# how long a page may take to show what the test waits for: the live refresh is quick, but a CI
# machine running the suite on every core can stall a browser for seconds
PAGE_TIMEOUT_MS = 15_000


@contextlib.contextmanager
def launched_chromium():
    """Debian's Chromium driven by Playwright (no browser download), or a skip (a failure in CI)."""
    path = chromium_path()
    if path is None:
        need_browser("Chromium not found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_browser("the playwright package is not installed (pip install -e '.[test]')")
    from playwright.sync_api import expect
    expect.set_options(timeout=PAGE_TIMEOUT_MS)
    with sync_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start
        browser = pw.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def screenshot(tab, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.evaluate("document.getElementById('toast') && (document.getElementById('toast').className = '')")
    tab.screenshot(path=str(path), full_page=False)
    return path
