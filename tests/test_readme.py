"""The README's examples, run as written (the port aside) against a real `mockserver serve`.

Shell blocks run in order in one bash session, as a reader keeps one terminal open ("Try it in
five minutes" sets `$B`; later sections build on it), against one server started with the flags
the README gives. The comment lines right under a command are what it must print (`...` stands
for anything, whitespace does not count). Python blocks run in a subprocess, the pytest examples
in a fresh project, the config samples through the loader and the CLI. A block that cannot run
here is in NOT_RUN with the reason; any other block the README grows must be one of the kinds below.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from readme_support import (README_ORIGIN, Block, Server, Shell, blocks, commands, matches, normalise,
                            python_expectations, run_python)

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = blocks(README)

# (section starts with, block's first line starts with): why the suite does not run it
NOT_RUN = {
    ("Quick start", "make serve"): "`make serve` runs until Ctrl-C and `make test` is this suite",
    ("Quick start / Install it as a package", "python3 -m pip wheel"):
        "a wheel and a fresh venv take a minute and need a package index (the build backend); "
        "tests/wheel_smoke.py does the same in CI (.ci/run)",
    ("Try it in five minutes", "make serve ARGS="):
        "runs until Ctrl-C; this test starts its server with the same ARGS (and --port 0)",
    ("While it runs", ".venv/bin/mockserver serve"):
        "a server in the foreground until Ctrl-C; tests/test_console.py checks the JSON lines",
    ("Configuration / Off loopback", ".venv/bin/mockserver serve --host 0.0.0.0"):
        "sandbox.lan must name this machine on a LAN, and the token comes from the banner; "
        "tests/test_cli_guard.py serves --host 0.0.0.0 and checks the token and the host allow-list",
    ("Configuration / Keeping the world", "mockserver serve --state"):
        "the second server runs in the foreground until stopped; tests/test_durable_kill9.py restarts one on its file",
    ("Configuration / A shared sandbox", "createdb -h db.internal"):
        "needs a PostgreSQL server and hosts on a LAN; tests/test_shared_store.py runs two serve "
        "processes on a real database (forwarding, kill -9 failover, a rolling restart)",
    ("Scenarios / Check your own webhook handler in CI", "# .github/workflows/"):
        "a CI workflow around the merchant's own app (./start-my-app-on-port-8000); "
        "tests/test_example_shop.py runs merchant mode against examples/shop and checks its workflow",
    ("Certify your handler", "# .github/workflows/certify.yml"):
        "a CI workflow around the merchant's own app; tests/test_example_shop.py runs the same steps "
        "from examples/shop's CI workflow against the shop, with free ports",
    ("OpenAPI", ".tools/node_modules/.bin/prism"):
        "needs npm's Prism (`make tools`) on a fixed port; tests/openapi/test_openapi_prism.py mocks every document with it",
}
# commands inside blocks that run, by how they start: why they are left out
NOT_RUN_COMMANDS = {
    ".venv/bin/mockserver run scenarios/":
        "the whole library, in-process, takes 5-8 s; this suite collects scenarios/ itself (testpaths) and "
        "tests/scenarios/test_scn_cli.py runs it through this CLI",
    "$M deliveries --follow": "runs until Ctrl-C; tests/test_remote_verbs.py follows attempts as they come",
}
# `text` blocks: what each one shows, checked against the run of the shell blocks
TEXT_SAMPLES = {
    ("While it runs", "10:00:00.000"): "console",           # the server's console during "Try it"
    ("From the command line", "trigger cryptopayment exact"): "$M trigger cryptopayment exact",
    ("Configuration", "config.yaml:"): "config errors",
}
TOOLS = ("bash", "curl", "openssl", "base64")   # what the shell blocks call besides mockserver and python3


def _listed(table: dict, block: Block):
    return next((value for (section, first), value in table.items()
                 if block.section.startswith(section) and block.first.startswith(first)), None)


def kind(block: Block) -> str | None:
    if _listed(NOT_RUN, block):
        return "not run"
    if block.lang == "sh":
        return "shell"
    if block.lang == "text":
        return "sample" if _listed(TEXT_SAMPLES, block) else None
    if block.lang == "python":
        if re.match(r"# \w+\.py\b", block.first):
            return "pytest project"
        return "python"
    if block.lang == "ini" and "-p no:provider_sandbox" in block.text:
        return "pytest ini"
    if block.lang == "yaml":
        return "scenario" if block.text.startswith("scenario:") else "config"
    return None


def test_every_block_is_run_or_listed_with_its_reason():
    unknown = [b.where() for b in BLOCKS if kind(b) is None]
    assert not unknown, f"README blocks this test does not know how to run: {unknown}"
    for table in (NOT_RUN, TEXT_SAMPLES):
        for section, first in table:
            hits = [b for b in BLOCKS if b.section.startswith(section) and b.first.startswith(first)]
            assert len(hits) == 1, f"{(section, first)} names {len(hits)} README blocks, not one"
    shell = [c.text for b in BLOCKS if kind(b) == "shell" for c in commands(b)]
    for start in NOT_RUN_COMMANDS:
        assert sum(c.startswith(start) for c in shell) == 1, f"{start!r} is not one README command"


def test_only_B_names_the_port():
    """One variable holds the sandbox's origin; another --port changes that line alone."""
    naming = [c.text for b in BLOCKS if kind(b) == "shell" for c in commands(b) if "127.0.0.1:8080" in c.text]
    assert len(naming) == 1 and naming[0].startswith(f"B={README_ORIGIN} "), naming


def _tools_or_skip() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"the README's shell examples need {', '.join(missing)} (apt-get install {' '.join(missing)})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"mandatory in CI: {reason}")
        pytest.skip(reason)


def _server_args() -> list[str]:
    """The flags "Try it in five minutes" starts the sandbox with: its ids and times depend on them."""
    block = next(b for b in BLOCKS if b.section == "Try it in five minutes" and b.first.startswith("make serve"))
    found = re.search(r'ARGS="([^"]*)"', block.first)
    assert found, block.first
    return shlex.split(found.group(1))


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SANDBOX_") and k not in ("WEBHOOK_URL", "WEBHOOK_TIMEOUT", "PYTEST_ADDOPTS")}
    return {**env, **extra}


def _reader_checkout(path: Path) -> tuple[Path, dict[str, str]]:
    """A working directory that looks like the checkout to the examples (`.venv/bin/mockserver`,
    `scenarios/`) while the files they write (invoice.json, reports/...) stay in tmp; `python3` is
    this interpreter (the examples use only its standard library), which saves a shim's start-up."""
    bin_dir = path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "mockserver"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mockserver.cli "$@"\n')
    wrapper.chmod(0o755)
    (path / "scenarios").symlink_to(ROOT / "scenarios")
    tools = path.parent / f"{path.name}-bin"
    tools.mkdir()
    (tools / "python3").symlink_to(sys.executable)
    return path, _clean_env(PATH=f"{tools}{os.pathsep}{os.environ.get('PATH', '')}")


CONSOLE_API_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} (?:t/\S+ )?\w+ [A-Z]+ (\S+) (\d{3}) ")


def _run_every_shell_block(server: Server, shell: Shell) -> tuple[list[tuple[str, str]], list[str], int]:
    """Every shell command in README order: (command, output) pairs, the problems found, and how
    much of the console came before the first scenario run (those refuse requests on purpose)."""
    ran, problems, before_scenarios = [], [], None
    for block in BLOCKS:
        if kind(block) != "shell":
            continue
        for command in commands(block):
            if any(command.text.startswith(start) for start in NOT_RUN_COMMANDS):
                continue
            if before_scenarios is None and re.match(r"\S*mockserver run\b", command.text):
                before_scenarios = len(server.console)
            text = command.text.replace(f"B={README_ORIGIN}", f"B={server.origin}")   # the port aside
            status, output = shell.run(text)
            ran.append((command.text, output))
            where = f"README.md:{command.line} ({block.section}): {command.text.splitlines()[0][:80]}"
            if status != 0:
                problems.append(f"{where}\n  exit status {status}: {output[-1500:]}")
            elif '{"error": {"message"' in output:
                problems.append(f"{where}\n  the admin API refused it: {output[-1500:]}")
            elif command.output is not None and not matches(command.output, normalise(output, server.origin)):
                problems.append(f"{where}\n  README shows: {command.output}\n  printed:      {output[:3000]}")
    return ran, problems, len(server.console) if before_scenarios is None else before_scenarios


def _text_samples(ran: list[tuple[str, str]], console: list[str]) -> list[str]:
    """The `text` blocks that show what a command or the server's console printed."""
    problems = []
    for block in BLOCKS:
        sample = _listed(TEXT_SAMPLES, block)
        if sample == "console":
            lines = [normalise(line, README_ORIGIN) for line in block.text.splitlines()]
            if not any(console[i:i + len(lines)] == lines for i in range(len(console))):
                problems.append(f"{block.where()}: these console lines never came, in this order:\n{block.text}"
                                "\n  the console began:\n  " + "\n  ".join(console[:40]))
        elif sample and sample.startswith("$M "):
            outputs = [out for command, out in ran if command.startswith(sample)]
            if len(outputs) != 1:
                problems.append(f"{block.where()}: {len(outputs)} commands {sample!r} ran, not one")
            elif not matches(block.text, outputs[0]):
                problems.append(f"{block.where()}: README shows\n{block.text}\n  printed:\n{outputs[0]}")
    return problems


@pytest.mark.slow(reason="one test, not one per block: the examples build on each other in one shell "
                         "($B, $INVOICE, the files 'Try it' saves), as a reader runs them; about 10 s of CPU, "
                         "most of it the start-up of the ten `mockserver` commands and the scenario runs")
def test_shell_examples_print_what_the_readme_shows(tmp_path: Path):
    _tools_or_skip()
    cwd, env = _reader_checkout(tmp_path / "checkout")
    server = Server(*_server_args())
    shell = Shell(cwd, env)
    try:
        ran, problems, checked = _run_every_shell_block(server, shell)
    finally:
        shell.close()
        server.stop()
    if os.environ.get("README_TEST_DUMP"):   # every command with what it printed, to refresh the README
        Path(os.environ["README_TEST_DUMP"]).write_text(
            "".join(f"$ {command}\n{out}\n\n" for command, out in ran) + "\n".join(server.console) + "\n")
    refused = [line for line in server.console[:checked]
               if (m := CONSOLE_API_LINE.match(line)) and int(m.group(2)) >= 400]
    if refused:
        problems.append("provider APIs refused README requests:\n  " + "\n  ".join(refused))
    console = [normalise(line, server.origin) for line in server.console]
    problems += _text_samples([(c, normalise(out, server.origin)) for c, out in ran], console)
    assert not problems, "\n\n".join(problems)


def test_the_contracts_snippet_shows_what_python_shows():
    for block in (b for b in BLOCKS if kind(b) == "python"):
        expected = python_expectations(block)
        assert expected, f"{block.where()}: shows no result to check"
        shown = run_python(block, _clean_env())
        for line, text in expected.items():
            assert line in shown, f"{block.where()} line {line}: shows {text!r}, but the statement showed nothing"
            assert matches(text, shown[line]), f"{block.where()} line {line}:\n  README: {text}\n  python: {shown[line]}"


def test_the_pytest_examples_pass_in_a_fresh_project(pytester: pytest.Pytester):
    files = {re.match(r"# (\w+)\.py", b.first).group(1): b.text for b in BLOCKS if kind(b) == "pytest project"}
    assert "conftest" in files and len(files) >= 2, files.keys()
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(**files)
    tests = sum(len(re.findall(r"^def test_", text, re.M)) for text in files.values())
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=tests)


def test_the_clock_example_fails_without_sandbox_clock(pytester: pytest.Pytester):
    """The README says the merchant's check depends on "now": without the fixture it fails."""
    files = {re.match(r"# (\w+)\.py", b.first).group(1): b.text for b in BLOCKS if kind(b) == "pytest project"}
    assert ", sandbox_clock" in files["test_overdue"]
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(conftest=files["conftest"], test_overdue=files["test_overdue"].replace(", sandbox_clock", ""))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert datetime.now(timezone.utc) < expires_at*"])


def test_the_ini_switches_the_plugin_off(pytester: pytest.Pytester):
    block = next(b for b in BLOCKS if kind(b) == "pytest ini")
    pytester.makeini(block.text)
    pytester.makepyfile(test_shop="def test_needs_sandbox(sandbox):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'sandbox' not found*"])


def test_the_scenario_sample_passes(tmp_path: Path, monkeypatch, capsys):
    from mockserver.cli import main
    block = next(b for b in BLOCKS if kind(b) == "scenario")
    story = tmp_path / "readme.yaml"
    story.write_text(block.text + "\n")
    monkeypatch.delenv("WEBHOOK_URL", raising=False)   # the sample's ${WEBHOOK_URL:-builtin}
    assert main(["run", str(story)]) == 0, capsys.readouterr().out
    assert "1 scenario(s): 1 passed" in capsys.readouterr().out


def test_the_config_samples_load_and_the_error_sample_is_what_serve_prints(tmp_path: Path):
    from mockserver.config import SandboxConfig
    configs = [b for b in BLOCKS if kind(b) == "config"]
    for number, block in enumerate(configs):
        path = tmp_path / f"fragment{number}.yaml"
        path.write_text(block.text + "\n")
        SandboxConfig.load(str(path))   # refuses anything unknown, with file:line
    sample = next(b for b in BLOCKS if _listed(TEXT_SAMPLES, b) == "config errors")
    errors = sample.text.splitlines()
    # the sample's own did-you-mean pairs say which words of the config sample were mistyped
    typos = [re.search(r"'(\w+)' .*did you mean '(\w+)'", line).groups() for line in errors]
    full = next(b for b in configs if all(f"{right}:" in b.text for _, right in typos))
    bad = full.text
    for typo, right in typos:
        assert bad.count(f"{right}:") == 1, right
        bad = bad.replace(f"{right}:", f"{typo}:")
    name = errors[0].split(":", 1)[0]
    (tmp_path / name).write_text(bad + "\n")
    done = subprocess.run([sys.executable, "-m", "mockserver.cli", "serve", "--config", name], cwd=tmp_path,
                          env=_clean_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == errors
