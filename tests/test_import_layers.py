"""The package's import graph: no circles anywhere, and every import goes in an allowed direction.

Read from the source as text (nothing is imported), every `import` counts, at module level or
inside a function; only imports under `if TYPE_CHECKING:` are left out (they never run). The
allowed directions are the table below; each core room's docstring says the same in words
("May import: ..."), and docs/architecture.md draws it.
"""
from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"

# unit -> the units it may import (besides itself). A unit is a core room, a provider folder,
# a top-level package or a top-level module; the longest matching prefix names a module's unit.
ALLOWED: dict[str, set[str]] = {
    "core.basics": set(),
    "core.time": {"core.basics"},
    "core.contracts": {"core.basics"},
    "core.chain": {"core.time", "core.basics"},
    "core.webhooks": {"core.time", "core.basics"},
    "core.state": {"core.webhooks", "core.chain", "core.contracts", "core.time", "core.basics"},
    "core.http": {"core.state", "core.webhooks", "core.chain", "core.contracts", "core.time", "core.basics"},
    "providers": {"core"},                    # base.py (the interface) and registry.py (discovery)
    "providers.*": {"core", "providers"},     # one provider folder: the core and the interface, no other provider
    "dashboard": {"core", "providers"},
    "config_schema": {"core"},
    "config": {"core", "config_schema", "providers"},
    "contracts": {"core"},
    "app": {"core", "config", "dashboard", "providers"},
    "scenarios": {"core", "app", "config", "providers"},
    "remote": {"core", "scenarios", "providers"},
    "certify": {"core", "scenarios", "providers"},
    "pytest_plugin": {"core", "contracts", "scenarios"},
    "openapi_cli": {"core", "app", "config"},
    "cli": {"*"},
}
CORE_ROOMS = sorted(u.split(".")[1] for u in ALLOWED if u.startswith("core."))


def modules(package: Path) -> dict[str, Path]:
    """Dotted names relative to the package (`core.time.clock`, `cli`) -> their files."""
    found = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skip.update(id(n) for n in ast.walk(child))
    return skip


def import_graph(package: Path) -> dict[str, set[str]]:
    """module -> the modules of the same package it imports at run time."""
    mods = modules(package)
    top = package.name
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        if name == "":
            here = []
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            candidates: list[str] = []
            if isinstance(node, ast.Import):
                candidates = [a.name for a in node.names]
                candidates = [c[len(top) + 1:] for c in candidates if c.startswith(top + ".")]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[:len(here) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                elif node.module and (node.module == top or node.module.startswith(top + ".")):
                    module = node.module[len(top) + 1:]
                else:
                    continue
                for alias in node.names:   # `from . import x` imports the module x
                    full = f"{module}.{alias.name}" if module else alias.name
                    candidates.append(full if full in mods else module)
            for candidate in candidates:
                while candidate and candidate not in mods:
                    candidate = candidate.rpartition(".")[0]
                # a package's own __init__ runs anyway when one of its modules is imported
                if candidate and candidate != name and not name.startswith(candidate + "."):
                    targets.add(candidate)
        graph[name] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:   # iterative: no recursion limit on a deep graph
        nonlocal counter
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        item = stack.pop()
                        on_stack.discard(item)
                        group.append(item)
                        if item == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def unit_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "core":
        return ".".join(parts[:2]) if len(parts) > 1 else "core"
    if parts[0] == "providers" and len(parts) > 1 and parts[1] not in ("base", "registry"):
        return "providers.*" + parts[1]   # one unit per provider folder, named for the messages
    return parts[0]


def _rule(unit: str) -> set[str]:
    if unit.startswith("providers.*"):
        return ALLOWED["providers.*"]
    return ALLOWED.get(unit, set())


def _covers(allowed: set[str], unit: str) -> bool:
    return "*" in allowed or any(unit == a or unit.startswith(a + ".") or
                                 (a == "providers" and unit.startswith("providers")) for a in allowed)


def wrong_directions(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        here = unit_of(module)
        for target in sorted(targets):
            there = unit_of(target)
            if there == here or (here == "core" or there == "core"):
                continue   # core/__init__ holds only a docstring
            if there.startswith("providers.*") and here.startswith("providers.*"):
                bad.append(f"{module} -> {target}: a provider folder imports another provider")
                continue
            if there.startswith("providers.*"):
                bad.append(f"{module} -> {target}: only the registry finds provider folders")
                continue
            if not _covers(_rule(here), there):
                bad.append(f"{module} -> {target}: {here} may import only {sorted(_rule(here)) or 'nothing'}")
    return bad


def test_no_import_circles_anywhere():
    found = circles(import_graph(PACKAGE))
    assert not found, "import circles (TYPE_CHECKING imports aside):\n" + "\n".join(map(str, found))


def test_every_import_goes_in_an_allowed_direction():
    bad = wrong_directions(import_graph(PACKAGE))
    assert not bad, "imports against the layers (tests/test_import_layers.py ALLOWED):\n" + "\n".join(bad)


@pytest.mark.parametrize("room", CORE_ROOMS)
def test_each_core_room_says_what_it_owns_and_may_import(room):
    init = PACKAGE / "core" / room / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert doc.strip(), f"core/{room}/__init__.py needs a docstring: what the room owns"
    said = [line for line in doc.splitlines() if line.startswith("May import:")]
    assert said, f"core/{room}/__init__.py: a line 'May import: ...' (or 'May import: nothing in core.')"
    words = {w.strip(" .") for w in said[0][len("May import:"):].split(",")} - {"", "nothing in core"}
    assert words == {u.split(".")[1] for u in ALLOWED[f"core.{room}"]}, (
        f"core/{room}'s docstring says it may import {sorted(words)}; the rule says "
        f"{sorted(u.split('.')[1] for u in ALLOWED['core.' + room])}")


def test_every_module_belongs_to_a_known_unit():
    for module in modules(PACKAGE):
        unit = unit_of(module)
        assert unit in ("", "core") or unit.startswith("providers.*") or unit in ALLOWED, (
            f"{module}: add its unit to ALLOWED (and to docs/architecture.md's layers)")


# The checker itself must be able to fail.

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_circle_through_a_function_level_import_is_found(tmp_path):
    root = _package(tmp_path, {"__init__.py": "", "a.py": "from . import b\n",
                               "b.py": "def late():\n    from .c import x\n",
                               "c.py": "from .a import y\nx = 1\n"})
    assert circles(import_graph(root)) == [["a", "b", "c"]]


def test_type_checking_imports_are_left_out(tmp_path):
    root = _package(tmp_path, {"__init__.py": "", "a.py": "from . import b\n",
                               "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\n"})
    assert circles(import_graph(root)) == []


def test_a_circle_added_to_a_copy_of_the_package_is_found(tmp_path):
    copy = tmp_path / "mockserver"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    clock = copy / "core" / "time" / "clock.py"
    clock.write_text(clock.read_text() + "\n\ndef _late():\n    from ..state.world import World\n")
    graph = import_graph(copy)
    assert any("core.time.clock" in group for group in circles(graph))
    assert any(line.startswith("core.time.clock -> core.state.world") for line in wrong_directions(graph))


def test_a_provider_reaching_into_the_dashboard_is_refused(tmp_path):
    copy = tmp_path / "mockserver"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    pages = copy / "providers" / "cryptopayment" / "pages.py"
    pages.write_text(pages.read_text() + "\nfrom ...dashboard import data\n")
    assert any(line.startswith("providers.cryptopayment.pages -> dashboard")
               for line in wrong_directions(import_graph(copy)))
