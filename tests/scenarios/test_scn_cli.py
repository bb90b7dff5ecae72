"""`mockserver run`: the library passes with a JUnit report; failures and bad files are reported."""
import xml.etree.ElementTree as ET
from pathlib import Path

from mockserver.cli import main
from mockserver.scenarios.sandbox import ThreadedSandbox

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "cryptopayment"

FAILING = """\
scenario: expects the wrong status
provider: cryptopayment
steps:
  - call: POST /invoices
    json: {network: trc20, amount_usd: 50}
    save: {invoice: invoice.id}
  - pay: "{invoice}"
  - call: GET /invoices/{invoice}
    expect: {json: {invoice: {status: expired}}}
  - advance: 1m
"""


def test_library_passes_with_junit(tmp_path, capsys):
    report = tmp_path / "reports" / "scenarios.xml"
    assert main(["run", str(LIBRARY), "--junit", str(report)]) == 0
    out = capsys.readouterr().out
    assert "ok    1 call POST /invoices  -> 201" in out
    root = ET.parse(report).getroot()
    assert int(root.get("tests")) >= 12 and root.get("failures") == "0" and root.get("errors") == "0"
    names = {case.get("name") for case in root.iter("testcase")}
    assert "receiver down for good (six attempts over 7 h 21 min, then exhausted)" in names


def test_failure_shows_step_expected_got_and_journal(tmp_path, capsys):
    path = tmp_path / "failing.yaml"
    path.write_text(FAILING)
    assert main(["run", str(path), "--junit", str(tmp_path / "j.xml")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  3 call GET /invoices/{invoice}" in out
    assert f"{path}:8 failed: $.invoice.status: expected 'expired', got 'confirming'" in out
    assert "expected: {'invoice': {'status': 'expired'}}" in out
    assert "journal around it:" in out and "simulate cryptopayment action=pay" in out
    assert "(not run: 1 later step(s))" in out
    failure = ET.parse(tmp_path / "j.xml").getroot().find(".//failure")
    assert failure.get("message").startswith("step 3 (call GET /invoices/{invoice})")


def test_bad_file_is_reported_with_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(FAILING.replace("advance: 1m", "advance: later"))
    assert main(["run", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}:10: step 4: advance: 'later' is not valid here" in out
    assert "Traceback" not in out


def test_missing_path_and_no_scenarios(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().out
    assert main(["run", str(tmp_path)]) == 2
    assert main(["run", "--schema"]) == 0
    assert '"$schema": "https://json-schema.org/draft/2020-12/schema"' in capsys.readouterr().out


def test_against_a_running_server(capsys):
    server = ThreadedSandbox()
    url = server.start()
    try:
        code = main(["run", "-q", "--server", url, str(LIBRARY / "receiver_down_then_up.yaml"),
                     str(LIBRARY / "withdrawal_over_review_line.yaml")])
    finally:
        server.stop()
    assert code == 0, capsys.readouterr().out
    assert "2 scenario(s): 2 passed, 0 failed" in capsys.readouterr().out


def test_unreachable_server(tmp_path, capsys):
    assert main(["run", "--server", "http://127.0.0.1:9", str(LIBRARY / "never_paid.yaml")]) == 1
    assert "mockserver run: no sandbox at http://127.0.0.1:9" in capsys.readouterr().err
