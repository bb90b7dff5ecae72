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

# what only `serve`, `run`, `openapi`, `certify`, `trigger` and `deliveries --follow` need
LOOP_AND_APP = ("asyncio", "aiohttp", "yarl", "mockserver.app", "mockserver.providers.base",
                "mockserver.scenarios.runner", "yaml", "jsonschema", "faker")
# each argv in turn in one process, through `main` as `python -m mockserver.cli` runs it; for each
# module of LOOP_AND_APP, the first argv after which it was loaded
VERBS_IN_ONE_PROCESS = """
import contextlib, io, json, sys
from mockserver.cli import main
first = {}
for argv in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
    for name in json.loads(sys.argv[2]):
        if name in sys.modules:
            first.setdefault(name, argv)
print(json.dumps(first))
"""


def _loaded_by(argvs: list[list[str]]) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", VERBS_IN_ONE_PROCESS, json.dumps(argvs), json.dumps(LOOP_AND_APP)],
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_help_and_the_verbs_on_a_running_sandbox_load_no_event_loop_nor_app(running, tmp_path):
    """Every verb's --help; `advance`, `record` and the `deliveries` listing (admin API only: the
    standard library's HTTP client), and `contracts` (files only) do what they do without asyncio,
    aiohttp, the providers or the app: a remote verb starts in about a bare Python's time."""
    document = tmp_path / "invoice.json"
    document.write_text(json.dumps({"network": "trc20", "amount_usd": 50.0, "order_id": "ORD-1"}))
    server = ["--server", running]
    argvs = [["--help"], *([verb, "--help"] for verb in ("serve", "trigger", "deliveries", "record", "advance",
                                                           "contracts", "openapi", "run", "certify")),
             ["advance", "6m", *server], ["deliveries", *server], ["deliveries", "--json", "--limit", "1", *server],
             ["record", *server], ["advance", "1m", "--server", "http://127.0.0.1:9"],
             ["contracts", "cryptopayment"], ["contracts", "cryptopayment", "invoice-create.request", str(document)],
             ["run", "--schema"]]
    assert _loaded_by(argvs) == {}


def test_the_verbs_that_need_the_app_still_load_it():
    """The probe above sees what a verb loads: `openapi` builds the app, `contracts` with an
    unknown provider asks the registry for the known ones."""
    loaded = _loaded_by([["contracts", "nosuch"], ["openapi", "alppay"]])
    assert loaded["mockserver.providers.base"] == ["contracts", "nosuch"]
    assert loaded["mockserver.app"] == ["openapi", "alppay"]


def test_trigger_loads_the_named_provider_alone(running):
    """A story is checked against the providers' folder names, so `trigger` imports only the
    provider it drives."""
    code = ("import contextlib, io, json, sys; from mockserver.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['trigger', 'alppay', 'exact', '--server', {running!r}])\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('mockserver.providers.')"
            " and m.count('.') == 2)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["mockserver.providers.alppay", "mockserver.providers.base",
                                                        "mockserver.providers.registry"]
