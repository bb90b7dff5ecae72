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


def test_building_the_app_leaves_what_only_some_calls_need_for_those_calls():
    """The OpenAPI generator and each provider's openapi.py/certify.py load when a document or a
    certification is asked for; SQLite with --state; the fast validators' compiler with the first
    contract checked; difflib with the first did-you-mean. Each is milliseconds of every start."""
    lazy = ("mockserver.core.contracts.openapi", "sqlite3", "difflib", "fastjsonschema",
            "importlib.resources", *(f"mockserver.providers.{p}.{m}" for p in
                                     ("cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay")
                                     for m in ("openapi", "certify")))
    code = ("import sys, json; import mockserver.cli, mockserver.app; "
            "from mockserver.config import SandboxConfig; mockserver.app.build_app(SandboxConfig()); "
            f"print(json.dumps([m for m in {list(lazy)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
    # and each is there when asked for
    code = ("import json; from mockserver.providers.registry import load_providers; "
            "print(json.dumps({n: [p.api_description is not None, p.certification is not None] "
            "for n, p in load_providers().items()}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {n: [True, True] for n in ("cryptopayment", "alt5pay", "alchemypay", "alfabit", "alppay")}
