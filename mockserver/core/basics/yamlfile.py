"""YAML a person wrote, read with line numbers: every error can say `file:line: what`.

Shared by the scenario loader and the config file. Keys keep their own line, so an unknown or
mistyped key is reported where it was typed.
"""
from __future__ import annotations

from itertools import islice
from typing import Any, Callable, Iterator

import yaml


class LinedError(Exception):
    def __init__(self, file: str, line: int | None, message: str):
        super().__init__(f"{file}:{line or 1}: {message}")
        self.file, self.line, self.message = file, line, message


class Loader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps: instants stay strings for the schema."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# libyaml's parser where PyYAML has it (its wheels do), with the same constructor and resolvers:
# the same data and lines, about ten times faster (a long recording took a third of a second).
# Its syntax errors are vaguer ("found character that cannot start any token", not which), so on
# one the text is read again by Loader, for its messages.
FastLoader = (type("FastLoader", (yaml.CSafeLoader,), {"yaml_implicit_resolvers": Loader.yaml_implicit_resolvers})
              if hasattr(yaml, "CSafeLoader") else None)

# a scalar's value, its node and line -> the value to keep (the scenario loader substitutes ${ENV})
ScalarHook = Callable[[Any, yaml.ScalarNode, int], Any]


def describe_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


class Builder:
    """Turns a composed YAML node into plain data, remembering each value's line in `lines`."""

    def __init__(self, loader: Loader, file: str,
                 error: Callable[[str, int | None, str], Exception] = LinedError,
                 scalar: ScalarHook | None = None, describe: Callable[[tuple], str] = describe_path):
        self.loader, self.file, self.error, self.scalar, self.describe = loader, file, error, scalar, describe
        self.lines: dict[tuple, int] = {}

    def build(self, node: yaml.Node, path: tuple = ()) -> Any:
        line = node.start_mark.line + 1
        self.lines[path] = line
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                key_line = key_node.start_mark.line + 1
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise self.error(self.file, key_line, f"{self.describe(path)}: keys must be plain words")
                if key in out:
                    raise self.error(self.file, key_line, f"{self.describe(path)}: duplicate key {key!r}")
                out[key] = self.build(value_node, path + (key,))
                self.lines[path + (key,)] = key_line
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.style == "":    # plain, as libyaml's parser marks it (the Python one: None)
            node.style = None
        value = self.loader.construct_object(node, deep=True)
        return self.scalar(value, node, line) if self.scalar else value


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


def documents(text: str, file: str, error: Callable[[str, int | None, str], Exception] = LinedError,
              scalar: ScalarHook | None = None, describe: Callable[[tuple], str] = describe_path,
              ) -> Iterator[tuple[Any, dict[tuple, int], int]]:
    """(data, lines, first line) for each `---` document; YAML syntax errors as `error`."""
    done = 0
    if FastLoader is not None:
        try:
            for found in _read(FastLoader, text, file, error, scalar, describe):
                yield found
                done += 1
            return
        except (yaml.YAMLError, UnicodeEncodeError):   # libyaml takes no lone surrogate
            pass
    try:
        yield from islice(_read(Loader, text, file, error, scalar, describe), done, None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise error(file, mark.line + 1 if mark else None, f"YAML: {what}") from None
    except yaml.YAMLError as exc:   # e.g. a character YAML does not allow: no line to tell
        raise error(file, None, f"YAML: {exc}") from None


def _read(loader_class: type, text: str, file: str, error: Callable[[str, int | None, str], Exception],
          scalar: ScalarHook | None, describe: Callable[[tuple], str]) -> Iterator[tuple[Any, dict[tuple, int], int]]:
    loader = loader_class(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            builder = Builder(loader, file, error, scalar, describe)
            data = builder.build(node)
            yield data, builder.lines, node.start_mark.line + 1
    finally:
        loader.dispose()
