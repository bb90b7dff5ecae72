"""`mockserver certify` on the command line: lines, score, JUnit, exit status, and its refusals."""
from __future__ import annotations

import importlib
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mockserver.cli import main
from mockserver.providers.base import Certification
from mockserver.providers.registry import load_providers, provider_modules


@pytest.fixture
def handler():
    """A cryptopayment handler in a thread: refuses what the provider's rule does not verify."""
    provider = load_providers()["cryptopayment"]
    credentials = provider.default_merchants()[0]
    servers = []

    def start(check_signature: bool = True) -> str:
        class Webhooks(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = not check_signature or provider.verify_webhook(credentials, dict(self.headers), body)
                self.send_response(200 if ok else 400)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Webhooks)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/webhooks/cryptopayment"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_in_process_a_sound_handler_scores_full_marks_and_junit_has_a_testcase_per_check(
        handler, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SANDBOX_URL", raising=False)
    report = tmp_path / "reports" / "certify.xml"
    assert main(["certify", "cryptopayment", "--handler", handler(), "--junit", str(report)]) == 0
    out = capsys.readouterr().out
    assert "an in-process sandbox at http://127.0.0.1:" in out and "created by certify" in out
    lines = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert len(lines) == 11 and all(line.startswith("PASS") for line in lines)
    assert all(" sent: " in line and " got: " in line and " why: " in line for line in lines)
    assert "score 11/11" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("tests") == "11" and suite.get("failures") == "0"


def test_a_handler_taking_every_delivery_fails_with_status_1(handler, capsys, monkeypatch):
    monkeypatch.delenv("SANDBOX_URL", raising=False)
    assert main(["certify", "cryptopayment", "--handler", handler(check_signature=False)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  refuses-bad-signature" in out and "score 7/11" in out


@pytest.mark.parametrize("args, words", [
    (["nope", "--handler", "http://127.0.0.1:9/x"], "unknown provider 'nope'"),
    (["cryptopayment", "--handler", "http://127.0.0.1:9/x", "--object", "INV-404"],
     "no cryptopayment object INV-404 in the sandbox"),
    (["cryptopayment", "--handler", "http://127.0.0.1:9/x", "--wait-for-create", "0.3"],
     "no cryptopayment invoice was created at"),
    (["cryptopayment", "--handler", "http://127.0.0.1:9/x", "--merchant", "5"], "--merchant 5 is none of them"),
    (["cryptopayment", "--handler", "http://[bad"], "is not usable: Invalid IPv6 URL"),
    (["cryptopayment", "--handler", "127.0.0.1:9000/hook"], "an absolute http:// or https:// URL is needed"),
])
def test_what_certify_cannot_start_with_is_one_line_and_status_2(args, words, capsys, monkeypatch):
    monkeypatch.delenv("SANDBOX_URL", raising=False)
    assert main(["certify", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_no_sandbox_at_the_url_is_one_line_and_status_1(capsys):
    assert main(["certify", "cryptopayment", "--handler", "http://127.0.0.1:9/x", "--server", "http://127.0.0.1:9"]) == 1
    assert "no sandbox at http://127.0.0.1:9 (connection refused)" in capsys.readouterr().err


@pytest.mark.parametrize("module", provider_modules())
def test_every_provider_folder_declares_its_certification_in_certify_py(module):
    facts = importlib.import_module(f"{module}.certify").CERTIFICATION
    provider = importlib.import_module(module).PROVIDER
    assert isinstance(facts, Certification) and provider.certification is facts
    assert set(facts.drive) and len(facts.events) == 2 and facts.object_fields and facts.signatures
    assert all(spec.split(":", 1)[0] in ("header", "field") for spec in facts.signatures)
    assert facts.ack(200, provider.webhook_ack_body.encode())   # its own acknowledgement is one
    assert facts.unknown_object and facts.ack_rule
