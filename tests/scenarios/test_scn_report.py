"""JUnit XML and console text of scenario results."""
import xml.etree.ElementTree as ET

from mockserver.scenarios.report import ScenarioResult, StepResult, summary, write_junit


def _results():
    good = ScenarioResult(file="scenarios/cryptopayment/exact.yaml", name="exact payment",
                          provider="cryptopayment", steps=[StepResult(1, "advance 5m", 7, True)])
    bad = ScenarioResult(file="scenarios/cryptopayment/late.yaml", name="late payment", provider="cryptopayment",
                         steps=[StepResult(1, "advance 5m", 7, True),
                                StepResult(2, "expect_webhook payment.confirmed", 9, False,
                                           problem="no matching delivery", expected="{'event': 'x'}",
                                           got="[]", journal=["10:00:00 api POST /invoices 201"])])
    broken = ScenarioResult(file="scenarios/other/x.yaml", name="x.yaml", provider="other",
                            error="scenarios/other/x.yaml:3: seed: 'a' is not of type 'integer'")
    return [good, bad, broken]


def test_junit_counts_and_messages(tmp_path):
    target = tmp_path / "reports" / "junit.xml"
    write_junit(_results(), target)
    root = ET.parse(target).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "3"
    assert root.get("failures") == "1" and root.get("errors") == "1"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"scenarios.cryptopayment", "scenarios.other"}
    cases = suites["scenarios.cryptopayment"].findall("testcase")
    assert [c.get("name") for c in cases] == ["exact payment", "late payment"]
    assert cases[0].get("classname") == "scenarios.cryptopayment.exact"
    failure = cases[1].find("failure")
    assert failure.get("message") == "step 2 (expect_webhook payment.confirmed): no matching delivery"
    assert "journal around it" in failure.text and "late.yaml:9" in failure.text
    assert suites["scenarios.other"].find("testcase/error").get("message").endswith("'integer'")


def test_console_text():
    good, bad, broken = _results()
    assert good.text().startswith("PASS  exact payment")
    assert "ok    1 advance 5m" in good.text(verbose=True)
    text = bad.text()
    assert "FAIL  2 expect_webhook payment.confirmed" in text and "got:      []" in text
    assert summary([good, bad, broken]) == "3 scenario(s): 1 passed, 2 failed"
