"""`mockserver serve --loop`: uvloop (the `fast` extra) when installed, asyncio's loop when asked
or when uvloop is missing; asking for uvloop without it is a clear error, not a traceback."""
from __future__ import annotations

import asyncio
import sys

import pytest

from mockserver.cli import main, run_loop
from mockserver.config import ConfigError


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_when_installed_asyncio_when_asked():
    pytest.importorskip("uvloop")
    assert run_loop(loop_module(), "auto").startswith("uvloop")
    assert run_loop(loop_module(), "uvloop").startswith("uvloop")
    assert run_loop(loop_module(), "asyncio").startswith("asyncio")


def test_without_uvloop_auto_is_asyncio_and_insisting_is_refused(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvloop", None)   # as if not installed: its import fails
    assert run_loop(loop_module(), "auto").startswith("asyncio")
    with pytest.raises(ConfigError, match=r"pip install 'provider-sandbox\[fast\]'"):
        run_loop(loop_module(), "uvloop")
    assert main(["serve", "--port", "0", "--loop", "uvloop"]) == 2
    assert "uvloop is not installed" in capsys.readouterr().err
