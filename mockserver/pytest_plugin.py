"""pytest plugin (entry point `provider_sandbox`): YAML scenarios as tests, `sandbox` and
`sandbox_contracts` fixtures.

- Every `*.yaml` / `*.yml` under a folder named `scenarios` is collected; each scenario in it is one
  test item, run by the scenario runner. A failure prints the runner's report (step, expected,
  got, journal), a file that does not load prints file:line: problem; never a traceback.
- `sandbox` (function scope) is a SandboxHandle on one session-wide sandbox served from a
  background thread (127.0.0.1:0, virtual clock), reset before each test: seed 1, start
  2024-01-15T10:00:00Z, merchants' original settings. See mockserver/scenarios/sandbox.py for why
  a thread.
- `sandbox_contracts`: mockserver.contracts for a test (validate a request or webhook body, strict or not).
- `--sandbox-server URL` runs collected scenarios against a running sandbox instead.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

_SERVER = pytest.StashKey[object]()
_MERCHANTS = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provider-sandbox")
    group.addoption("--sandbox-server", metavar="URL", default=None,
                    help="run collected YAML scenarios against this running sandbox")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix in (".yaml", ".yml") and "scenarios" in file_path.parts[:-1]:
        return ScenarioFile.from_parent(parent, path=file_path)
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
        from mockserver.scenarios.client import SandboxClient
        from mockserver.scenarios.runner import client_session, run_scenario
        url = self.config.getoption("sandbox_server") or _shared_sandbox(self.config).url

        async def run():
            async with client_session() as session:
                return await run_scenario(self.scenario, SandboxClient(url, session))

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
    from mockserver.scenarios.sandbox import SandboxHandle
    server = _shared_sandbox(request.config)
    handle = SandboxHandle(server.url)
    handle.restore(request.config.stash[_MERCHANTS])
    return handle


@pytest.fixture
def sandbox_contracts():
    """Check your own messages against a provider's contracts (see mockserver.contracts):
    `sandbox_contracts.assert_valid("cryptopayment", "invoice-create.request", body, strict=True)`,
    `.validate(...)` (a list of violations), `.messages(provider)`."""
    from mockserver.contracts import ContractChecker
    return ContractChecker()
