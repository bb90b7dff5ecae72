"""Helpers the browser tests import by a name of their own (every conftest.py is `conftest`)."""
from __future__ import annotations

import asyncio
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


class _Shared:
    """Playwright's driver and one Chromium for the whole test process (an xdist worker), started
    by the first browser module that needs them: a start costs about 0.9 s of CPU and 1.4 s."""
    manager = None
    browser = None
    loop: asyncio.AbstractEventLoop | None = None


_SHARED = _Shared()


def _dropped_defaults() -> list[str]:
    """Playwright always passes --disable-dev-shm-usage (a container's /dev/shm is often 64 MB,
    too small for Chromium): Chromium then keeps its shared memory in files under /tmp. Where
    /dev/shm has room, it stays there (about 4 % less CPU for the browser)."""
    try:
        room = os.statvfs("/dev/shm")
    except OSError:
        return []
    return ["--disable-dev-shm-usage"] if room.f_bavail * room.f_frsize >= 1 << 30 else []


def _start() -> None:
    path = chromium_path()
    if path is None:
        need_browser("Chromium not found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_browser("the playwright package is not installed (pip install -e '.[test]')")
    from playwright.sync_api import expect
    expect.set_options(timeout=PAGE_TIMEOUT_MS)
    manager = sync_playwright()
    playwright = manager.start()
    try:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"],
                                             ignore_default_args=_dropped_defaults())
    except BaseException:
        manager.__exit__()
        raise
    # Between its calls the sync API marks its loop as the thread's running one (a sync call
    # inside asyncio is refused that way); the loop is taken back out while other modules run
    _SHARED.manager, _SHARED.browser, _SHARED.loop = manager, browser, asyncio._get_running_loop()


def _stop() -> None:
    if _SHARED.manager is None:
        return
    manager, _SHARED.manager, _SHARED.browser = _SHARED.manager, None, None
    asyncio._set_running_loop(_SHARED.loop)
    with contextlib.suppress(Exception):   # a driver that died with the browser is gone already
        manager.__exit__()
    asyncio._set_running_loop(None)


@contextlib.contextmanager
def module_browser(config: pytest.Config):
    """Debian's Chromium driven by Playwright (no browser download), or a skip (a failure in CI).

    One browser for every browser module a test process runs; each module's tests make contexts
    of their own, and whatever a module leaves open is closed when it ends. While the module runs
    the thread's running loop is Playwright's; between modules it is none, so that the async tests
    of other modules start their own loops as they would in a process without a browser."""
    if _SHARED.browser is not None:
        asyncio._set_running_loop(_SHARED.loop)
        if not _SHARED.browser.is_connected():    # Chromium crashed in an earlier module
            _stop()
    if _SHARED.browser is None:
        _start()
        config.add_cleanup(_stop)
    browser = _SHARED.browser
    try:
        yield browser
    finally:
        try:
            for context in browser.contexts:
                context.close()
        finally:
            asyncio._set_running_loop(None)


def screenshot(tab, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.evaluate("document.getElementById('toast') && (document.getElementById('toast').className = '')")
    tab.screenshot(path=str(path), full_page=False)
    return path
