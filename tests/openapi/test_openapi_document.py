"""The generated OpenAPI 3.1 documents: every route described, every contract name real, security
schemes and webhooks present, and the CLI and the admin route serving the same document."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from mockserver.cli import main
from mockserver.core.contracts.contract_set import load_contracts
from mockserver.core.contracts.openapi import REF_PREFIX, provider_routes, spec_for, undocumented
from mockserver.providers.registry import load_providers

PROVIDERS = load_providers()
NAMES = sorted(PROVIDERS)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


@pytest.mark.parametrize("name", NAMES)
def test_every_route_is_described_and_every_contract_exists(app, name):
    provider = PROVIDERS[name]
    described = provider.api_description
    assert described is not None, f"{name} has no api_description (its openapi.py)"
    routes = provider_routes(app, provider.prefix)
    assert not undocumented(described, routes), "routes with no entry in openapi.py"
    assert not set(described.operations) - set(routes), "entries in openapi.py for routes that do not exist"
    missing = described.contract_names() - set(load_contracts(name).names())
    assert not missing, f"contract names in openapi.py that contracts/{name}/ does not have: {missing}"
    for op in described.operations.values():
        for scheme in op.security or ():
            assert scheme in described.security_schemes
    assert set(described.security) <= set(described.security_schemes)


@pytest.mark.parametrize("name", NAMES)
def test_document_shape(app, world, name):
    spec = spec_for(app, world, name, "http://127.0.0.1:8080")
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"][0]["url"] == f"http://127.0.0.1:8080{PROVIDERS[name].prefix}"
    assert spec["components"]["securitySchemes"] and spec["security"]
    assert spec["webhooks"], "the provider's webhook contracts belong under `webhooks`"
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):  # every $ref resolves inside the document
        assert ref.startswith(REF_PREFIX), ref
        node = schemas
        for part in ref[len(REF_PREFIX):].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    assert "$id" not in json.dumps(spec)  # an $id would re-base the components' refs
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), sorted(ids)  # OpenAPI requires them unique
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": REF_PREFIX + "error"}, (method, path)


@pytest.mark.parametrize("name", NAMES)
def test_bundled_schemas_validate_like_the_contracts(app, world, name):
    """The bundle is the contracts, not a copy that drifts: each contract's examples pass both."""
    spec = spec_for(app, world, name)
    schemas = spec["components"]["schemas"]
    contracts = load_contracts(name)
    checked = 0
    for contract, schema in contracts.schemas.items():
        validator = Draft202012Validator({"components": {"schemas": schemas}, "$ref": REF_PREFIX + contract},
                                         format_checker=FormatChecker())
        for example in schema.get("examples", []):
            assert validator.is_valid(example) == (contracts.validate(contract, example) == []), contract
            checked += 1
    assert checked


async def test_admin_route_serves_what_the_cli_prints(client, app, world, tmp_path, capsys):
    resp = await client.get("/_sandbox/openapi/alppay.json")
    assert resp.status == 200
    served = await resp.json()
    origin = f"http://{resp.url.host}:{resp.url.port}"
    assert served["servers"][0]["url"] == origin + "/alppay"
    out = tmp_path / "alppay.json"
    assert main(["openapi", "alppay", "-o", str(out), "--url", origin]) == 0
    assert json.loads(out.read_text()) == served
    assert main(["openapi", "alppay", "--url", origin]) == 0
    assert json.loads(capsys.readouterr().out) == served


async def test_unknown_provider_is_404_in_the_admin_shape(client):
    resp = await client.get("/_sandbox/openapi/nope.json")
    assert resp.status == 404
    assert "unknown provider" in (await resp.json())["error"]["message"]
    assert main(["openapi", "nope"]) == 2
