"""The browser the browser modules share: one Chromium for the test process, handed to each module
with nothing left open by the one before, and the thread's event loop free again between modules
(an async test after a browser module starts its own loop, as it would without a browser)."""
from __future__ import annotations

import asyncio

import pytest

import browser_support
from browser_support import module_browser


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


def test_modules_share_one_browser_and_the_loop_is_free_between_them(request):
    with module_browser(request.config) as first:
        left_open = first.new_context()
        page = left_open.new_page()
        page.set_content("<p id=a>one</p>")
        assert page.inner_text("#a") == "one"
    assert asyncio._get_running_loop() is None
    assert asyncio.run(_answer()) == 42              # what the next module's async test does
    with module_browser(request.config) as second:
        assert second is first and second.is_connected()
        assert second.contexts == []                 # what the module before left open is closed
        page = second.new_page()
        page.set_content("<p id=a>two</p>")
        assert page.inner_text("#a") == "two"
    assert asyncio._get_running_loop() is None


def test_without_chromium_a_browser_module_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="mandatory in CI: Chromium not found"):
        browser_support._start()


def test_shared_memory_stays_in_dev_shm_only_where_it_has_room(monkeypatch):
    class Room:
        def __init__(self, blocks):
            self.f_bavail, self.f_frsize = blocks, 4096

    monkeypatch.setattr(browser_support.os, "statvfs", lambda path: Room(16 * 1024))       # 64 MB
    assert browser_support._dropped_defaults() == []
    monkeypatch.setattr(browser_support.os, "statvfs", lambda path: Room(1024 * 1024))     # 4 GB
    assert browser_support._dropped_defaults() == ["--disable-dev-shm-usage"]
