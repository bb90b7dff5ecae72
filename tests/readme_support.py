"""Reading the README's examples and running them as a reader would (used by tests/test_readme.py).

- `blocks()`: every fenced block with its section, language and line.
- `commands()`: a shell block cut into commands, each with the output the README shows for it:
  the comment lines right under a command (no blank line between) are what it prints.
- `Shell`: one bash session for the whole README, as a reader keeps one terminal open.
- `matches()`: the README's output against what came: whitespace does not count (comments wrap,
  JSON may be compact or spaced), `...` stands for anything, the rest must be equal.
"""
from __future__ import annotations

import ast
import functools
import io
import json
import os
import queue
import re
import subprocess
import sys
import threading
import tokenize
import uuid
from dataclasses import dataclass, field
from pathlib import Path

README_ORIGIN = "http://127.0.0.1:8080"     # the origin the README's examples are written for


@dataclass(frozen=True)
class Block:
    section: str        # "## heading" or "## heading / ### subheading"
    lang: str
    line: int           # of the first line inside the fence, 1-based
    text: str

    @property
    def first(self) -> str:
        return next((ln.strip() for ln in self.text.splitlines() if ln.strip()), "")

    def where(self) -> str:
        return f"README.md:{self.line} ({self.section})"


def blocks(readme: Path) -> list[Block]:
    found, section, sub, fence, start, body = [], "", "", None, 0, []
    for number, line in enumerate(readme.read_text().splitlines(), 1):
        if fence is not None:
            if line.startswith("```"):
                found.append(Block(section + (f" / {sub}" if sub else ""), fence, start, "\n".join(body)))
                fence = None
            else:
                body.append(line)
        elif line.startswith("```"):
            fence, start, body = line[3:].strip(), number + 1, []
        elif line.startswith("## "):
            section, sub = line[3:].strip(), ""
        elif line.startswith("### "):
            sub = line[4:].strip()
    return found


@dataclass
class Command:
    line: int                       # README line of its first line
    text: str
    expected: list[str] = field(default_factory=list)   # the comment lines under it, '#' stripped

    @property
    def output(self) -> str | None:
        return "\n".join(self.expected) if self.expected else None


def _complete(text: str) -> bool:
    """Whether bash would run `text` as it stands (no open quote, pipe, `\\` or `$(`)."""
    if text.rstrip().endswith("\\"):
        return False
    check = subprocess.run(["bash", "-n"], input=text + "\n", capture_output=True, text=True)
    return check.returncode == 0


@functools.lru_cache(maxsize=None)
def commands(block: Block) -> list[Command]:
    found: list[Command] = []
    pending: list[str] = []
    under: Command | None = None     # the command whose output comments may follow
    for offset, line in enumerate(block.text.splitlines()):
        stripped = line.strip()
        if not pending:
            if not stripped:
                under = None
                continue
            if stripped.startswith("#"):
                if under is not None:
                    under.expected.append(stripped[1:].strip())
                continue
            start = block.line + offset
        pending.append(line)
        if _complete("\n".join(pending)):
            under = Command(start, "\n".join(pending))
            found.append(under)
            pending = []
    assert not pending, f"{block.where()}: an unfinished command: {pending}"
    return found


def _pattern(expected: str) -> re.Pattern:
    text = re.sub(r"\s+", "", expected)
    parts = []
    for piece in re.split(r"(,\.\.\.|\.\.\.,|\.\.\.)", text):
        if piece == ",...":
            parts.append(r"(?:,.*?)?")
        elif piece == "...,":
            parts.append(r"(?:.*?,)?")
        elif piece == "...":
            parts.append(r".*?")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts), re.S)


LATENCY = re.compile(r"\b\d+(\.\d+)?ms\b")   # wall time: the one volatile part of a console line


def normalise(text: str, origin: str) -> str:
    return LATENCY.sub("N.Nms", text.replace(origin, README_ORIGIN))


def matches(expected: str, actual: str) -> bool:
    """`actual` normalised already (its origin and latencies); the README's latencies are too."""
    return _pattern(LATENCY.sub("N.Nms", expected)).fullmatch(re.sub(r"\s+", "", actual)) is not None


class Shell:
    """One bash process for the whole README: variables and functions carry from block to block."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.proc = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=cwd, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        self.marker = f"--readme-{uuid.uuid4().hex}--"

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, text: str, timeout: float = 60.0) -> tuple[int, str]:
        """Runs one command (stdin closed, so it never eats the next one); its exit status and output."""
        self.proc.stdin.write(f"{{\n{text}\n}} </dev/null\nprintf '\\n{self.marker} %d\\n' $?\n")
        self.proc.stdin.flush()
        out = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no end after {timeout}s; so far: {''.join(out)[-2000:]}") from None
            if line is None:
                raise RuntimeError(f"bash ended; output: {''.join(out)[-2000:]}")
            if line.startswith(self.marker):
                output = "".join(out)
                return int(line.split()[1]), output[:-1] if output.endswith("\n") else output
            out.append(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Server:
    """`mockserver serve --port 0 ...` as a subprocess; its console lines are kept."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "mockserver.cli", "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        first = self.proc.stdout.readline()
        found = re.search(r" on (http://\S+)", first)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"mockserver serve did not start: {first}{self.proc.stdout.read()}")
        self.origin = found.group(1)
        self.console: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.console.append(line.rstrip("\n"))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._reader.join(timeout=10)   # every console line read


# Runs a Python block statement by statement, as an interactive session shows it: the value of an
# expression statement, or the exception a statement raised. One JSON line per shown result.
PY_RUNNER = r'''
import ast, contextlib, io, json, sys
source = sys.stdin.read()
scope = {"__name__": "__readme__"}
for node in ast.parse(source).body:
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            if isinstance(node, ast.Expr):
                value = eval(compile(ast.Expression(node.value), "README.md", "eval"), scope)
                if value is not None:
                    print(repr(value))
            else:
                exec(compile(ast.Module([node], []), "README.md", "exec"), scope)
    except Exception as exc:
        print(json.dumps({"line": node.end_lineno, "shown": printed.getvalue() + f"{type(exc).__name__}: {exc}"}))
        break
    if printed.getvalue():
        print(json.dumps({"line": node.end_lineno, "shown": printed.getvalue().rstrip("\n")}))
'''


def python_expectations(block: Block) -> dict[int, str]:
    """Block-relative line -> what the README shows there: a trailing comment on an expression
    statement is its value; comment lines right under a statement are what it raised or printed."""
    source = block.text
    tree = ast.parse(source)
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string[1:].strip()
    lines = source.splitlines()
    shown: dict[int, str] = {}
    for node in tree.body:
        end = node.end_lineno
        under = []
        row = end + 1
        while row <= len(lines) and lines[row - 1].strip().startswith("#"):
            under.append(lines[row - 1].strip()[1:].strip())
            row += 1
        if under:
            shown[end] = "\n".join(under)
        elif isinstance(node, ast.Expr) and end in comments:
            shown[end] = comments[end]
    return shown


def run_python(block: Block, env: dict[str, str] | None = None, timeout: float = 60) -> dict[int, str]:
    done = subprocess.run([sys.executable, "-c", PY_RUNNER], input=block.text, capture_output=True,
                          text=True, timeout=timeout, env=env or os.environ.copy())
    assert done.returncode == 0, done.stderr
    return {row["line"]: row["shown"] for row in map(json.loads, done.stdout.splitlines())}
