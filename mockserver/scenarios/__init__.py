"""YAML payment scenarios: loader (schema, line numbers), runner, built-in receiver, reports.

See docs/scenarios.md for the format; `mockserver run` and the pytest plugin are the front ends.
"""
from .loader import Scenario, ScenarioLoadError, load_file, load_text
from .runner import run_all, run_scenario

__all__ = ["Scenario", "ScenarioLoadError", "load_file", "load_text", "run_all", "run_scenario"]
