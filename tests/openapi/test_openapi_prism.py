"""Each provider's generated OpenAPI loads in Prism (`prism mock`), and Prism's mock answers a call
with a body our own contract accepts. Prism is an npm package: `make tools` installs it in .tools/.
Without node it is skipped locally; in CI (CI set) a missing Prism fails the run."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from mockserver.core.contracts.contract_set import load_contracts
from mockserver.core.contracts.openapi import REF_PREFIX, spec_for
from mockserver.providers.registry import load_providers

ROOT = Path(__file__).resolve().parents[2]
NAMES = sorted(load_providers())


def _prism() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "prism"
    return str(local) if local.exists() else shutil.which("prism")


@pytest.fixture(scope="module")
def prism() -> str:
    found = _prism()
    if found is None:
        assert not os.environ.get("CI"), "Prism is missing in CI: .ci/run must run `make tools` first"
        pytest.skip("Prism is not installed: run `make tools` (needs node and npm)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _probe(spec: dict) -> tuple[str, str, dict, str]:
    """A GET with a JSON answer, no path parameter and no required query, whose contract has examples
    (Prism answers with the first one): (path, contract, headers, status)."""
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None or "{" in path or any(p.get("required") for p in op.get("parameters", [])):
            continue
        ok = next(iter(k for k in op["responses"] if k != "default"))
        content = op["responses"][ok]["content"]
        if "application/json" not in content or "$ref" not in content["application/json"].get("schema", {}):
            continue
        contract = content["application/json"]["schema"]["$ref"][len(REF_PREFIX):]
        if not spec["components"]["schemas"][contract].get("examples"):
            continue
        headers = {}
        for requirement in op.get("security", spec["security"]):
            for scheme_name in requirement:
                scheme = spec["components"]["securitySchemes"][scheme_name]
                if scheme["type"] == "http":
                    headers["Authorization"] = "Bearer key:secret"
                else:
                    headers[scheme["name"]] = "sandbox"
        return path, contract, headers, ok
    raise AssertionError("no operation to probe")


@pytest.fixture(scope="module")
def mocks(prism, tmp_path_factory):
    """One `prism mock` per provider, all started at once (each takes seconds to boot)."""
    from mockserver.app import build_app
    from mockserver.config import SandboxConfig
    from mockserver.core.http.context import WORLD

    app = build_app(SandboxConfig())
    folder = tmp_path_factory.mktemp("prism")
    running = {}
    try:
        for name in NAMES:
            spec = spec_for(app, app[WORLD], name, "http://127.0.0.1:8080")
            spec_file, log = folder / f"{name}.json", folder / f"{name}.log"
            spec_file.write_text(json.dumps(spec))
            port = _free_port()
            with log.open("wb") as out:
                proc = subprocess.Popen([prism, "mock", str(spec_file), "-p", str(port), "-h", "127.0.0.1"],
                                        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            running[name] = (proc, port, log, spec)
        yield running
    finally:
        for proc, *_ in running.values():
            os.killpg(proc.pid, signal.SIGTERM)
        for proc, *_ in running.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.mark.parametrize("name", NAMES)
def test_prism_mocks_the_generated_document(mocks, name):
    proc, port, log, spec = mocks[name]
    path, contract, headers, status = _probe(spec)
    deadline = time.monotonic() + 120
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        assert proc.poll() is None, f"prism exited: {log.read_text()[-2000:]}"
        try:
            with opener.open(request, timeout=20) as resp:
                answer, code = json.loads(resp.read()), resp.status
            break
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"prism answered {exc.code}: {exc.read()[:500]!r}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # not up yet, or slow to boot
            assert time.monotonic() < deadline, f"prism did not answer in 120 s: {log.read_text()[-2000:]}"
            time.sleep(0.2)  # waiting for a real child process to listen, bounded by the deadline
    assert str(code) == status
    assert load_contracts(name).validate(contract, answer) == [], answer
    # The document loaded cleanly: no line Prism logs at error level (its route list may hold
    # example path words such as /payment/error, so look at the level, not the word).
    loaded = log.read_text().split("Request received")[0].split("request received")[0]
    assert not [line for line in loaded.splitlines() if "✖" in line or re.search(r"\berror\s{2,}", line)], loaded
