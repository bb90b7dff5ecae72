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


def _section(log: str, name: str) -> str:
    """What Prism logged while it loaded `name`'s document, with the driver's lines around it
    (prism_mocks.js loads one document at a time: "NAME loading" ... "NAME listening|failed")."""
    start = log.find(f"prism-mocks: {name} loading\n")
    if start < 0:
        return ""
    end = log.find("prism-mocks: ", start + 1)
    return log[start:log.find("\n", end) + 1 if end >= 0 else len(log)]


@pytest.fixture(scope="module")
def mocks(prism, tmp_path_factory):
    """Every provider's document served by `prism mock`, all loaded before the first request. One
    Node process runs Prism's own mock command for each document in turn (prism_mocks.js): Prism
    loads its modules once, not once per document (~1.3 s of CPU each time)."""
    from mockserver.app import build_app
    from mockserver.config import SandboxConfig
    from mockserver.core.http.context import WORLD

    node = shutil.which("node")
    assert node, "Prism is installed but node is not on PATH"
    app = build_app(SandboxConfig())
    folder = tmp_path_factory.mktemp("prism")
    served, args = {}, []
    for name in NAMES:
        spec = spec_for(app, app[WORLD], name, "http://127.0.0.1:8080")
        spec_file = folder / f"{name}.json"
        spec_file.write_text(json.dumps(spec))
        port = _free_port()
        args += [name, str(spec_file), str(port)]
        served[name] = (port, spec)
    log = folder / "prism.log"
    dist = Path(os.path.realpath(prism)).parent      # the CLI package's dist/, where `prism` points
    with log.open("wb") as out:
        proc = subprocess.Popen([node, str(Path(__file__).with_name("prism_mocks.js")), str(dist), *args],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "prism-mocks: ready" not in log.read_text(errors="replace"):
            assert proc.poll() is None, f"prism exited: {log.read_text(errors='replace')[-2000:]}"
            assert time.monotonic() < deadline, f"prism did not load in 120 s: {log.read_text()[-2000:]}"
            time.sleep(0.1)  # waiting for a real child process to load the documents, bounded by the deadline
        loaded = log.read_text()
        yield {name: (proc, port, _section(loaded, name), spec) for name, (port, spec) in served.items()}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.parametrize("name", NAMES)
def test_prism_mocks_the_generated_document(mocks, name):
    proc, port, loaded, spec = mocks[name]
    assert f"prism-mocks: {name} listening" in loaded, f"prism did not load it: {loaded[-2000:]}"
    # its own lines: the Prism serving this document said so before the next one started loading
    assert f"Prism is listening on http://127.0.0.1:{port}\n" in loaded, loaded[-2000:]
    path, contract, headers, status = _probe(spec)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    assert proc.poll() is None, "prism exited"
    try:
        with opener.open(request, timeout=20) as resp:
            answer, code = json.loads(resp.read()), resp.status
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"prism answered {exc.code}: {exc.read()[:500]!r}") from None
    assert str(code) == status
    assert load_contracts(name).validate(contract, answer) == [], answer
    # The document loaded cleanly: no line Prism logs at error level (its route list may hold
    # example path words such as /payment/error, so look at the level, not the word).
    assert not [line for line in loaded.splitlines() if "✖" in line or re.search(r"\berror\s{2,}", line)], loaded
