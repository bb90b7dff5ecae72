"""`mockserver serve` starts without what serving does not need: a regression here costs every
CI run start-up time (faker, YAML, the scenario machinery load on first use)."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("faker", "yaml", "mockserver.scenarios.runner", "mockserver.scenarios.loader", "jinja2")


def test_serving_imports_nothing_heavy():
    code = ("import sys, json; import mockserver.cli, mockserver.app; mockserver.cli.build_parser(); "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_building_the_app_loads_no_schema_library_nor_package_metadata():
    """jsonschema (with its format checkers' regexes) is a third of the sandbox's own start-up:
    the compiled fast path validates good messages without it, so it loads on the first refusal
    (or format check, or settings check); --version reads the package metadata only when asked."""
    lazy = ("jsonschema", "referencing", "rfc3986_validator", "importlib.metadata")
    code = ("import sys, json; import mockserver.cli, mockserver.app; mockserver.cli.build_parser(); "
            "from mockserver.config import SandboxConfig; mockserver.app.build_app(SandboxConfig()); "
            f"print(json.dumps([m for m in {list(lazy)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
