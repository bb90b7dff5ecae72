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
