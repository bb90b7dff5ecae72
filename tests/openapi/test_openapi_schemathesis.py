"""Schemathesis drives every provider's generated OpenAPI against a live sandbox: zero server errors,
zero responses outside the documented schemas. Each generated request is authenticated the way a
real client does it (`Provider.client_request` signs the exact bytes sent)."""
from __future__ import annotations

import json
import os
from collections import Counter
from urllib.parse import urlsplit

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra: pip install -e '.[test]'")
import requests  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from mockserver.core.http.context import WORLD  # noqa: E402
from mockserver.core.contracts.openapi import spec_for  # noqa: E402
from mockserver.providers.registry import load_providers  # noqa: E402

from openapi_support import running_sandbox  # noqa: E402

PROVIDERS = sorted(load_providers())
# a few per operation in make test (negative mode draws about ten tries for each example kept);
# make fuzz runs 50
EXAMPLES = int(os.environ.get("OPENAPI_FUZZ_EXAMPLES", "3"))


class SignedAsClient(requests.auth.AuthBase):
    """Re-sign each prepared request with the provider's own client formula over the final body."""

    def __init__(self, provider, merchant: dict):
        self.provider, self.merchant = provider, merchant

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        # Host is transport, not API: a generated one (`Host: )~` in negative mode) meets the
        # guard's Host allow-list, which answers 421 in the admin shape by design, before the API.
        request.headers.pop("Host", None)
        parts = urlsplit(request.url)
        path = parts.path
        base = self.provider.api_base if path.startswith(self.provider.api_base) else self.provider.prefix
        relative = path[len(base):] + (f"?{parts.query}" if parts.query else "")
        raw = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return request  # not JSON: sent as generated, unsigned
        try:
            headers, data = self.provider.client_request(self.merchant, request.method, relative, body)
        except (TypeError, ValueError, AttributeError):
            return request  # a body no client could sign (negative mode: a string, a list)
        request.headers.update(headers)
        if raw or data:
            request.body = data
            request.headers["Content-Length"] = str(len(data))
        return request


def nothing_to_negate(spec: dict, operation) -> bool:
    """Whether every request a client could send to `operation` is valid: no body, no security, and
    only path parameters that take any string (a path always carries one). Negative mode draws
    no case there; Hypothesis spends most of a second on hundreds of draws to find that out (then
    Unsatisfiable, no request sent), so such an operation is not handed to it in that mode."""
    item = spec["paths"][operation.path]
    definition = item[operation.method.lower()]
    parameters = item.get("parameters", []) + definition.get("parameters", [])
    return ("requestBody" not in definition and definition.get("security") == []
            and all(p["in"] == "path" and p.get("schema") == {"type": "string"} for p in parameters))


@pytest.mark.slow(reason="Schemathesis generates cases for every operation of a provider's document")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("name", PROVIDERS)
def test_schemathesis_finds_no_server_error_and_no_schema_failure(name, mode):
    with running_sandbox() as (app, url):
        world = app[WORLD]
        provider = world.providers[name]
        spec = spec_for(app, world, name, url)
        schema = schemathesis.openapi.from_dict(spec)
        session = requests.Session()
        session.trust_env = False
        session.auth = SignedAsClient(provider, world.backend(name).merchants[0])
        failures: list[str] = []
        statuses: Counter = Counter()

        operations = [result.ok() for result in schema.get_all_operations()]
        for operation in operations:
            if mode is GenerationMode.NEGATIVE and nothing_to_negate(spec, operation):
                continue

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                response = case.call(base_url=url + provider.prefix, session=session, timeout=10)
                statuses[(case.method, case.path, response.status_code)] += 1
                try:
                    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                except Exception as exc:  # noqa: BLE001 - every failure is listed, not only the first
                    failures.append(f"{case.method} {case.path}: {exc}\n  {case.as_curl_command()}")

            try:
                run()
            except Unsatisfiable:  # negative mode: nothing in this operation can be made invalid
                assert mode is GenerationMode.NEGATIVE
        assert sum(statuses.values()) >= len(operations)
        assert not failures, "\n".join(failures[:5])
        assert not world.self_violations, world.self_violations[:3]
