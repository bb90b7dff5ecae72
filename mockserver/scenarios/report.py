"""Results of a run: console text (step by step) and JUnit XML for CI."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StepResult:
    index: int
    label: str
    line: int
    ok: bool
    summary: str = ""              # e.g. "-> 201", shown on the step's line
    problem: str = ""              # what went wrong, one line
    expected: str = ""
    got: str = ""
    journal: list[str] = field(default_factory=list)

    def text(self) -> str:
        return f"  {'ok  ' if self.ok else 'FAIL'} {self.index:>2} {self.label}" + (f"  {self.summary}" if self.summary else "")


@dataclass
class ScenarioResult:
    file: str
    name: str
    provider: str
    line: int = 1
    steps: list[StepResult] = field(default_factory=list)
    error: str = ""                # could not load / set up: no step ran to completion
    seconds: float = 0.0           # wall time, for humans and JUnit only
    skipped_steps: int = 0

    @property
    def ok(self) -> bool:
        return not self.error and all(step.ok for step in self.steps)

    @property
    def failed_step(self) -> StepResult | None:
        return next((step for step in self.steps if not step.ok), None)

    def failure_text(self) -> str:
        """The failing step, what was expected, what came, and the journal around it."""
        if self.error:
            return self.error
        step = self.failed_step
        if step is None:
            return ""
        lines = [f"step {step.index} ({step.label}) at {self.file}:{step.line} failed: {step.problem}"]
        if step.expected:
            lines.append("  expected: " + _indent(step.expected, 12))
        if step.got:
            lines.append("  got:      " + _indent(step.got, 12))
        if step.journal:
            lines.append("  journal around it:")
            lines.extend("    " + entry for entry in step.journal)
        return "\n".join(lines)

    def text(self, verbose: bool = False, steps: bool = True) -> str:
        """`steps=False`: the steps were already shown as they ran (the live console of `run`)."""
        out = [f"{'PASS' if self.ok else 'FAIL'}  {self.name}  ({self.file}, {self.seconds:.2f}s)"]
        if self.error:
            out.append("      " + _indent(self.error, 6))
            return "\n".join(out)
        if steps and (verbose or not self.ok):
            out.extend(step.text() for step in self.steps)
        if verbose or not self.ok:
            if self.skipped_steps:
                out.append(f"  (not run: {self.skipped_steps} later step(s))")
        if not self.ok:
            out.append(_indent_block(self.failure_text(), 6))
        return "\n".join(out)


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def _indent_block(text: str, width: int) -> str:
    return "\n".join(" " * width + line for line in text.splitlines())


def summary(results: list[ScenarioResult]) -> str:
    passed = sum(r.ok for r in results)
    failed = len(results) - passed
    return f"{len(results)} scenario(s): {passed} passed, {failed} failed"


def write_junit(results: list[ScenarioResult], path: str | Path) -> None:
    """One testsuite per provider, one testcase per scenario (classname = file path as dots)."""
    suites = ET.Element("testsuites", name="provider-sandbox scenarios")
    by_provider: dict[str, list[ScenarioResult]] = {}
    for result in results:
        by_provider.setdefault(result.provider or "unknown", []).append(result)
    total = {"tests": 0, "failures": 0, "errors": 0}
    for provider, group in by_provider.items():
        failures = sum(1 for r in group if not r.ok and not r.error)
        errors = sum(1 for r in group if r.error)
        suite = ET.SubElement(suites, "testsuite", name=f"scenarios.{provider}", tests=str(len(group)),
                              failures=str(failures), errors=str(errors), skipped="0",
                              time=f"{sum(r.seconds for r in group):.3f}")
        for result in group:
            classname = os.path.splitext(result.file)[0].replace(os.sep, ".").replace("/", ".").strip(".")
            case = ET.SubElement(suite, "testcase", classname=classname, name=result.name,
                                 file=result.file, line=str(result.line), time=f"{result.seconds:.3f}")
            if result.error:
                ET.SubElement(case, "error", message=result.error.splitlines()[0][:500]).text = result.error
            elif not result.ok:
                step = result.failed_step
                message = f"step {step.index} ({step.label}): {step.problem}"
                ET.SubElement(case, "failure", message=message[:500]).text = result.failure_text()
            ET.SubElement(case, "system-out").text = result.text(verbose=True)
        for key, value in (("tests", len(group)), ("failures", failures), ("errors", errors)):
            total[key] += value
    for key, value in total.items():
        suites.set(key, str(value))
    tree = ET.ElementTree(suites)
    ET.indent(tree)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tree.write(target, encoding="utf-8", xml_declaration=True)
