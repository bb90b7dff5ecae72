"""YAML payment scenarios: loader (schema, line numbers), runner, built-in receiver, reports.

See docs/scenarios.md for the format; `mockserver run` and the pytest plugin are the front ends.
"""
from importlib import import_module

_HOMES = {"Scenario": "loader", "ScenarioLoadError": "loader", "load_file": "loader", "load_text": "loader",
          "run_all": "runner", "run_scenario": "runner"}


def __getattr__(name: str):
    """Loaded on first use: `mockserver serve` (which only registers the `run` verb) never pays for
    YAML, the scenario schema or the runner."""
    if name in _HOMES:
        return getattr(import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Scenario", "ScenarioLoadError", "load_file", "load_text", "run_all", "run_scenario"]
