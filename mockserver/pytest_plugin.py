"""pytest plugin (entry point `provider_sandbox`): YAML scenarios as tests, `sandbox` and
`sandbox_contracts` fixtures.

Needs `pip install 'provider-sandbox[pytest]'`; `-p no:provider_sandbox` switches it off.

- A `*.yaml` / `*.yml` under a folder named `scenarios` is collected only if it is a scenario file
  (a top-level `scenario:` key); other YAML there (a load-test config) is left alone. Each
  scenario in it is one test item, run by the scenario runner. A failure prints the runner's
  report (step, expected, got, journal), a file that does not load prints file:line: problem;
  never a traceback.
- An async test that takes `sandbox` runs without `asyncio_mode = auto`: the plugin gives it
  pytest-asyncio's marker (or, without pytest-asyncio, runs it on a fresh event loop itself). A
  project that has not set asyncio_default_fixture_loop_scope gets no warning about it.
- `sandbox` (function scope) is a SandboxHandle on one session-wide sandbox served from a
  background thread (127.0.0.1:0, virtual clock), reset before each test: seed 1, start
  2024-01-15T10:00:00Z, merchants' original settings. See mockserver/scenarios/sandbox.py for why
  a thread.
- `sandbox_clock`: the merchant's own clock (freezegun) on the sandbox's virtual time, moving with it.
- `sandbox_contracts`: mockserver.contracts for a test (validate a request or webhook body, strict or not).
- `--sandbox-server URL` runs collected scenarios against a running sandbox instead.
- `--sandbox-tenant NAME` (or `SANDBOX_TENANT`) runs the scenarios and the `sandbox` fixture in
  that tenant's world (`/t/NAME/...`), so suites sharing one sandbox do not reset each other.
"""
from __future__ import annotations

import asyncio
import inspect
import os
import re
import warnings
from pathlib import Path

import pytest

# a document's top-level key (column 0), optionally quoted: `scenario: exact payment`
_SCENARIO_KEY = re.compile(rb"""^["']?scenario["']?[ \t]*:""", re.MULTILINE)
_SNIFF_BYTES = 1 << 20  # scenario files are small; a huge YAML is somebody else's data

_SERVER = pytest.StashKey[object]()
_MERCHANTS = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provider-sandbox")
    group.addoption("--sandbox-server", metavar="URL", default=None,
                    help="run collected YAML scenarios against this running sandbox")
    group.addoption("--sandbox-tenant", metavar="NAME", default=os.environ.get("SANDBOX_TENANT") or None,
                    help="use this tenant of the sandbox (/t/NAME/...); default: $SANDBOX_TENANT")


_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """pytest-asyncio, which the [pytest] extra brings, warns on every run of a project that has
    not set asyncio_default_fixture_loop_scope. A project using this plugin did not ask for
    pytest-asyncio, so while it has not chosen, it keeps pytest-asyncio's current behaviour (an
    async fixture on its own scope's loop) without the warning; a project that sets the option
    gets what it set. Runs before pytest-asyncio's pytest_configure, which warns."""
    if not config.pluginmanager.has_plugin("asyncio"):
        return
    try:
        chosen = config.getini(_LOOP_SCOPE)
    except ValueError:   # a pytest-asyncio without the option: nothing to warn about
        return
    if not chosen:
        warnings.filterwarnings("ignore", message=f'The configuration option "{_LOOP_SCOPE}" is unset',
                                category=pytest.PytestDeprecationWarning)


def is_scenario_file(path: Path) -> bool:
    """A scenario file has a top-level `scenario:` key in one of its documents; read as bytes and
    matched, not parsed, so unrelated (even invalid) YAML never fails collection."""
    try:
        with open(path, "rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        return False
    return _SCENARIO_KEY.search(head) is not None


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if (file_path.suffix in (".yaml", ".yml") and "scenarios" in file_path.parts[:-1]
            and is_scenario_file(file_path)):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _takes_sandbox(function) -> bool:
    try:
        return "sandbox" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj):
    """Marks `async def test_...(sandbox)` for pytest-asyncio before it decides (in strict mode it
    skips unmarked coroutines). A marker the user set, on the test, class or module, wins."""
    if (inspect.iscoroutinefunction(obj) and collector.config.pluginmanager.has_plugin("asyncio")
            and collector.istestfunction(obj, name) and _takes_sandbox(obj)
            and collector.get_closest_marker("asyncio") is None
            and not any(mark.name == "asyncio" for mark in getattr(obj, "pytestmark", []))):
        pytest.mark.asyncio(obj)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Without pytest-asyncio (or anyio's marker), an async test taking `sandbox` runs here."""
    if (inspect.iscoroutinefunction(pyfuncitem.obj) and "sandbox" in pyfuncitem.fixturenames
            and not pyfuncitem.config.pluginmanager.has_plugin("asyncio")
            and pyfuncitem.get_closest_marker("anyio") is None):
        names = pyfuncitem._fixtureinfo.argnames
        asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
        return True
    return None


def _shared_sandbox(config: pytest.Config):
    """The session's sandbox thread, started on first use and stopped when pytest ends."""
    server = config.stash.get(_SERVER, None)
    if server is None:
        from mockserver.scenarios.sandbox import SandboxHandle, ThreadedSandbox
        server = ThreadedSandbox()
        server.start()
        config.add_cleanup(server.stop)
        config.stash[_SERVER] = server
        handle = SandboxHandle(server.url)
        config.stash[_MERCHANTS] = {name: [dict(m) for m in info["merchants"]]
                                    for name, info in handle.providers().items()}
    return server


class ScenarioFailed(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class ScenarioFile(pytest.File):
    def collect(self):
        from mockserver.scenarios.loader import ScenarioLoadError, load_file
        try:
            scenarios = load_file(self.path)
        except ScenarioLoadError as exc:
            yield ScenarioItem.from_parent(self, name=self.path.name, scenario=None, load_error=str(exc))
            return
        names: set[str] = set()
        for scenario in scenarios:
            name = scenario.name if scenario.name not in names else f"{scenario.name} [{scenario.line}]"
            names.add(name)
            yield ScenarioItem.from_parent(self, name=name, scenario=scenario, load_error="")


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario, load_error: str, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.load_error = load_error
        # tags select with -k (as keywords, not markers: no registration needed)
        self.extra_keyword_matches.update(getattr(scenario, "tags", []) or [])

    def runtest(self) -> None:
        if self.load_error:
            raise ScenarioFailed(self.load_error)
        from mockserver.scenarios.client import SandboxClient, tenant_url
        from mockserver.scenarios.runner import client_session, run_scenario
        server = self.config.getoption("sandbox_server")
        url = tenant_url(server or _shared_sandbox(self.config).url, self.config.getoption("sandbox_tenant"))

        async def run():   # `await: create` waits for an app only on a sandbox an app can reach
            async with client_session() as session:
                return await run_scenario(self.scenario, SandboxClient(url, session), app_can_create=bool(server))

        result = asyncio.run(run())
        if not result.ok:
            raise ScenarioFailed(result.text(verbose=True))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScenarioFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo)

    def reportinfo(self):
        line = (self.scenario.line - 1) if self.scenario else 0
        return self.path, line, f"scenario: {self.name}"


@pytest.fixture
def sandbox(request: pytest.FixtureRequest):
    """A fresh sandbox for this test: `sandbox.url(provider)`, `.merchant(provider)`, `.advance(by)`,
    `.pay(provider, invoice=...)`, `.deliveries(provider)`, `.journal()`; `.aio.*` for async tests."""
    from mockserver.scenarios.client import tenant_url
    from mockserver.scenarios.sandbox import SandboxHandle
    server = _shared_sandbox(request.config)
    handle = SandboxHandle(tenant_url(server.url, request.config.getoption("sandbox_tenant")))
    handle.restore(request.config.stash[_MERCHANTS])
    return handle


class SandboxClock:
    """The merchant's clock (datetime.now(), time.time(), date.today() in this process) on the
    sandbox's virtual time: frozen there by freezegun, moved whenever the sandbox's clock moves
    through the `sandbox` handle (`advance`, `run_until_quiet`, `pay`, ...; `.sync()` after a
    move made some other way). It ticks with real time between moves (code that polls the clock
    with a deadline does not hang) and never goes backwards."""

    def __init__(self, handle, freezer):
        self.handle, self._freezer, self._factory = handle, freezer, None

    def start(self) -> "SandboxClock":
        self._factory = self._freezer.start()
        self.handle.followers.append(self.follow)
        return self

    def stop(self) -> None:
        if self.follow in self.handle.followers:
            self.handle.followers.remove(self.follow)
        self._freezer.stop()

    def follow(self, now: str) -> None:
        from datetime import datetime, timezone
        target = datetime.fromisoformat(now).astimezone(timezone.utc).replace(tzinfo=None)
        if target > self._factory():   # ticking may have run past it: never backwards
            self._factory.move_to(target)

    def sync(self) -> None:
        self.follow(self.handle.now())

    def now(self):
        from datetime import datetime, timezone
        return datetime.now(timezone.utc)


@pytest.fixture
def sandbox_clock(sandbox):
    """Your code in this test process sees the sandbox's virtual time: `datetime.now()` is the
    sandbox's now, and moves when `sandbox.advance(...)` moves the sandbox, so a story that
    advances six hours is six hours for both sides. The sandbox's own thread sees the same clock,
    so a timestamp your client signs (Alchemy Pay, ALT 5 Pay) is fresh to it, and the timestamp it
    puts on a webhook is fresh to your handler. Needs freezegun (the `pytest` extra brings it)."""
    try:
        from freezegun import freeze_time
    except ImportError:   # pragma: no cover - the extra brings it
        pytest.fail("sandbox_clock needs freezegun: pip install 'provider-sandbox[pytest]'")
    # real_asyncio: event loops (the sandbox's thread, your async tests) keep real monotonic time,
    # so their timeouts and sleeps behave; tick: the clock runs between the sandbox's moves;
    # pytest's own timing module keeps the real clock, so reported durations stay true
    freezer = freeze_time(sandbox.now(), tick=True, real_asyncio=True, ignore=["_pytest.timing"])
    clock = SandboxClock(sandbox, freezer).start()
    yield clock
    clock.stop()


@pytest.fixture
def sandbox_contracts():
    """Check your own messages against a provider's contracts (see mockserver.contracts):
    `sandbox_contracts.assert_valid("cryptopayment", "invoice-create.request", body, strict=True)`,
    `.validate(...)` (a list of violations), `.messages(provider)`."""
    from mockserver.contracts import ContractChecker
    return ContractChecker()
