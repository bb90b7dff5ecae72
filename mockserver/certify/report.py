"""What certify prints (one line per check, the score) and writes (JUnit XML, one testcase per check)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .battery import Result


def line(result: Result, many_objects: bool = False) -> str:
    verdict = "PASS" if result.ok else "FAIL"
    name = f"{result.name} [{result.object}]" if many_objects else result.name
    text = f"{verdict}  {name}  sent: {result.sent}  got: {result.got}  expected: {result.expected}"
    if not result.ok:
        text += f"  problem: {result.problem}"
    return text + f"  why: {result.why}"


def score(results: list[Result]) -> str:
    passed = sum(r.ok for r in results)
    return f"score {passed}/{len(results)}"


def write_junit(results: list[Result], path: str | Path, provider: str, handler: str) -> None:
    suite = ET.Element("testsuite", name=f"certify {provider}", tests=str(len(results)),
                       failures=str(sum(not r.ok for r in results)), errors="0")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="handler", value=handler)
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=f"certify.{provider}", name=result.name)
        detail = (f"object: {result.object}\nsent: {result.sent}\ngot: {result.got}\n"
                  f"expected: {result.expected}\nwhy: {result.why}")
        if result.ok:
            ET.SubElement(case, "system-out").text = detail
        else:
            failure = ET.SubElement(case, "failure", message=result.problem)
            failure.text = detail
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = ET.Element("testsuites", tests=suite.get("tests"), failures=suite.get("failures"))
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
