"""Build the wheel from a clean copy of the tree, install it away from the repository, serve, drive.

    python tests/wheel_smoke.py          # what .ci/run does: a fresh venv, the wheel and its deps
    (tests/test_packaging.py)            # the same drive, the wheel unpacked onto PYTHONPATH

The installed sandbox must find its contracts and scenario library inside itself, answer one
create + webhook story per provider over HTTP (the shipped library's own exact-payment stories,
run with `mockserver run --server`), render its dashboard pages, and report its contracts at
/_sandbox/health.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# one create + payment + webhook story per provider, from the scenario library the wheel ships
STORIES = ["cryptopayment/exact_payment.yaml", "alt5pay/invoice_exact_payment.yaml",
           "alfabit/invoice_exact_payment.yaml", "alppay/payment_exact.yaml",
           "alchemypay/buy_finished.yaml"]
# what a clean clone does not have (see .gitignore)
NOT_IN_A_CLONE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                        "*.pyc", ".pytest_cache", "reports", "junit*.xml", ".core-ready")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def build_wheel(workdir: Path, isolated: bool = True) -> Path:
    """The wheel of a clean copy of the tree (no build/ or egg-info leftovers from the checkout)."""
    source = workdir / "src"
    shutil.copytree(REPO, source, ignore=NOT_IN_A_CLONE)
    out = workdir / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)]
    if not isolated:  # the suite's venv has setuptools (the test extra): no download, seconds
        command.insert(4, "--no-build-isolation")
    subprocess.run(command, check=True, cwd=workdir, capture_output=True, text=True)
    [wheel] = out.glob("provider_sandbox-*.whl")
    return wheel


def _get(url: str) -> dict:
    with NO_PROXY.open(url, timeout=10) as resp:
        return json.loads(resp.read())


def drive(python: str, mockserver: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Serve with `mockserver`, check health and every provider's story; the problems found."""
    # the server boots while the one-shot commands run
    server = subprocess.Popen([*mockserver, "serve", "--port", "0"], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        return _check(python, mockserver, cwd, env, server)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _check(python: str, mockserver: list[str], cwd: Path, env: dict[str, str],
           server: subprocess.Popen) -> list[str]:
    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)

    problems = []
    where = run(python, "-c", "import mockserver.core.basics.bundled as b; "
                "print(b.bundled('contracts')); print(b.scenarios_root())").stdout.split("\n")
    library = Path(where[1]) if len(where) > 1 else REPO
    for path in (Path(where[0]), library):
        if path == REPO or REPO in path.parents or "_data" not in path.parts:
            problems.append(f"the installed package reads {path}, not its own copy")
    version = run(*mockserver, "--version")
    if version.returncode != 0 or not version.stdout.startswith("provider-sandbox "):
        problems.append(f"--version: {version.returncode} {version.stdout!r} {version.stderr!r}")
    listed = run(*mockserver, "contracts", "cryptopayment")
    if listed.returncode != 0 or "invoice-create.request" not in listed.stdout.split():
        problems.append(f"contracts cryptopayment: {listed.returncode} {listed.stdout!r} {listed.stderr!r}")

    origin = None
    for line in server.stdout:  # the banner's first line names the origin; it ends with Admin API
        if origin is None and " on http://" in line:
            origin = line.split(" on ", 1)[1].split()[0]
        if "Admin API" in line:
            break
    if origin is None:
        server.wait(timeout=10)
        return problems + [f"serve printed no banner: {server.stderr.read()[-2000:]}"]
    health = _get(origin + "/_sandbox/health")
    for provider in health["providers"]:
        expected = len(list((REPO / "contracts" / provider).glob("*.json")))
        loaded = health.get("contracts", {}).get(provider, {}).get("count")
        if loaded != expected:
            problems.append(f"health: {provider} has {loaded} contracts loaded, the repository {expected}")
    for page in ("/_sandbox/ui/", "/_sandbox/ui/p/cryptopayment"):  # templates + static, rendered
        with NO_PROXY.open(origin + page, timeout=10) as resp:
            html = resp.read().decode()
        if resp.status != 200 or "</html>" not in html:
            problems.append(f"dashboard page {page}: {resp.status}")
    stories = run(*mockserver, "run", "-q", "--server", origin, *(str(library / s) for s in STORIES))
    if stories.returncode != 0:
        problems.append(f"stories against the installed sandbox failed:\n{stories.stdout}{stories.stderr}")
    return problems


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wheel-smoke-") as tmp:
        workdir = Path(tmp)
        wheel = build_wheel(workdir)
        venv = workdir / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        # the wheel from here, its dependencies as a user gets them; no pytest, no extras
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], check=True)
        away = workdir / "elsewhere"
        away.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SANDBOX_CONTRACTS",
                                                                 "VIRTUAL_ENV")}
        problems = drive(str(venv / "bin" / "python"), [str(venv / "bin" / "mockserver")], away, env)
    for problem in problems:
        print(f"wheel smoke: {problem}", file=sys.stderr)
    print(f"wheel smoke: {'FAILED' if problems else 'ok'} ({wheel.name}, {time.monotonic() - started:.0f}s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
