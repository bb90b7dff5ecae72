"""core/basics/yamlfile.py: libyaml's parser (where PyYAML has it) reads every YAML file of the
project as the Python parser does, data and lines; a syntax error is told in the Python parser's
words, on its line."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mockserver.core.basics import yamlfile

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(yamlfile.FastLoader is None, reason="PyYAML without libyaml: one parser only")


def _read(text: str, *, fast: bool, monkeypatch) -> object:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(yamlfile, "FastLoader", None)
        try:
            return list(yamlfile.documents(text, "f.yaml"))
        except yamlfile.LinedError as exc:
            return str(exc)


def test_every_yaml_file_of_the_project_reads_the_same_with_either_parser(monkeypatch):
    files = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=ROOT, capture_output=True,
                           text=True).stdout.split()
    if not files:
        pytest.skip("not a git checkout")
    assert len(files) > 20
    for name in files:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert _read(text, fast=True, monkeypatch=monkeypatch) == _read(text, fast=False, monkeypatch=monkeypatch), name


@pytest.mark.parametrize("text, told", [
    ("a: [1, 2", "f.yaml:1: YAML: while parsing a flow sequence expected ',' or ']', but got '<stream end>'"),
    ("a:\n\t- 1", "f.yaml:2: YAML: while scanning for the next token found character '\\t' that cannot start any token"),
    ("a: 1\n---\nb: *x", "f.yaml:3: YAML: found undefined alias 'x'"),
    ("a: 1\na: 2", "f.yaml:2: (top level): duplicate key 'a'"),
    ("a: !custom 1", "f.yaml:1: YAML: could not determine a constructor for the tag '!custom'"),
    ("x: \x00", "f.yaml:1: YAML: unacceptable character #x0000: special characters are not allowed"),
    ("x: \ud800", "f.yaml:1: YAML: unacceptable character #xd800: special characters are not allowed"),
])
def test_a_syntax_error_is_told_in_the_python_parsers_words(monkeypatch, text, told):
    assert str(_read(text, fast=True, monkeypatch=monkeypatch)).startswith(told)


def test_documents_after_a_good_one_are_read_once(monkeypatch):
    text = "a: 1\n---\nb: 2\n---\nc: [\n"
    with pytest.raises(yamlfile.LinedError, match="f.yaml:6: YAML"):
        seen = []
        for data, _, line in yamlfile.documents(text, "f.yaml"):
            seen.append((data, line))
    assert seen == [({"a": 1}, 1), ({"b": 2}, 3)]


def test_a_scalar_hook_sees_each_node_styled_as_the_python_parser_styles_it(monkeypatch):
    """The scenario loader types an unquoted `${SEED}` after substitution by the node's style."""
    text = "a: x\nb: 'y'\nc: \"z\"\nd: |\n  w\ne: [v]\n"
    styles = {}
    for fast in (True, False):
        seen = []
        with monkeypatch.context() as patch:
            if not fast:
                patch.setattr(yamlfile, "FastLoader", None)
            list(yamlfile.documents(text, "f.yaml", scalar=lambda value, node, line: seen.append(node.style)))
        styles[fast] = seen
    assert styles[True] == styles[False] == [None, "'", '"', "|", None]
