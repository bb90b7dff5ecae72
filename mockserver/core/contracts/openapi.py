"""OpenAPI 3.1 for one provider, generated from its mounted routes and its contracts.

Nothing here is written twice: paths and methods come from the provider's sub-application router,
schemas are the provider's contracts (JSON Schema 2020-12, which OpenAPI 3.1 uses as is) bundled
into `components/schemas`, and what joins them - which contract a route reads and answers, its
status, its auth - is the provider's `api_description` (declared in its folder's `openapi.py`).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from aiohttp import web

from .contract_set import ContractSet

REF_PREFIX = "#/components/schemas/"
PLACEHOLDER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


@dataclass(frozen=True)
class Operation:
    """One route: the contracts it reads (`request` body, `query` string) and answers (`response`)."""
    summary: str
    request: str | None = None
    query: str | None = None
    response: str | None = None
    status: int = 200
    media: str = "application/json"      # text/html for hosted pages
    body_required: bool = True
    security: tuple[str, ...] | None = None   # None: the provider's default; (): no auth
    description: str = ""
    # OpenAPI specification extensions for this operation, e.g. {"x-sandbox-only": True} for a
    # route the sandbox offers and the real provider does not
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Webhook:
    summary: str
    contract: str
    description: str = ""


@dataclass(frozen=True)
class ApiDescription:
    """Provider facts the router and the contracts cannot tell: joins, statuses, auth in words."""
    operations: dict[tuple[str, str], Operation]
    security_schemes: dict[str, dict]
    security: tuple[str, ...]                 # schemes required together on every call by default
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    error: str = "error"
    description: str = ""

    def contract_names(self) -> set[str]:
        names = {self.error} | {w.contract for w in self.webhooks.values()}
        for op in self.operations.values():
            names |= {n for n in (op.request, op.query, op.response) if n}
        return names


def provider_routes(root: web.Application, prefix: str) -> list[tuple[str, str]]:
    """(METHOD, path relative to `prefix`) of the sub-application mounted at `prefix`."""
    return [(method, path[len(prefix):] if path.startswith(prefix + "/") else path)
            for method, path in mounted_routes(root, prefix)]


def mounted_routes(root: web.Application, prefix: str) -> list[tuple[str, str]]:
    """(METHOD, full route template) of the sub-application mounted at `prefix`."""
    for resource in root.router.resources():
        info = resource.get_info()
        if info.get("prefix") == prefix and "app" in info:
            return _routes(info["app"])
    raise KeyError(f"no sub-application at {prefix}")


def _routes(app: web.Application) -> list[tuple[str, str]]:
    seen = []
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        for route in resource:
            if route.method in ("HEAD", "OPTIONS", "*") or not path:
                continue
            seen.append((route.method, path))
    return seen


def undocumented(description: ApiDescription, routes: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [r for r in routes if r not in description.operations]


def _rewrite(node: Any, names: dict[str, str], own: str) -> Any:
    """Copy of a schema whose $refs point into components/schemas (file name or $id -> component)."""
    if isinstance(node, list):
        return [_rewrite(item, names, own) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            document, _, fragment = value.partition("#")
            target = own if not document else names.get(document.rsplit("/", 1)[-1], document)
            out[key] = REF_PREFIX + target + fragment
        elif key in ("$id", "$schema"):
            continue  # an $id would make "#/components/..." resolve inside the contract
        else:
            out[key] = _rewrite(value, names, own)
    return out


def bundle(contracts: ContractSet) -> dict[str, dict]:
    files = {f"{name}.json": name for name in contracts.schemas}
    return {name: _rewrite(schema, files, name) for name, schema in contracts.schemas.items()}


def _schema_ref(name: str) -> dict:
    return {"$ref": REF_PREFIX + name}


def _query_parameters(schemas: dict[str, dict], name: str) -> list[dict]:
    schema = schemas[name]
    required = set(schema.get("required", ()))
    params = []
    for prop, sub in schema.get("properties", {}).items():
        param = {"name": prop, "in": "query", "required": prop in required, "schema": copy.deepcopy(sub)}
        if sub.get("description"):
            param["description"] = sub["description"]
        if sub.get("type") == "array":
            param.update(style="form", explode=True)
        params.append(param)
    return params


def _operation(method: str, path: str, op: Operation | None, description: ApiDescription,
               schemas: dict[str, dict]) -> dict:
    error = {"description": "The provider's error shape (any 4xx)",
             "content": {"application/json": {"schema": _schema_ref(description.error)}}}
    # "/ramp" and "/ramp/" are two routes: a trailing slash stays visible in the id
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).rstrip("_") + ("_slash" if path.endswith("/") and path != "/" else "")
    out: dict[str, Any] = {"operationId": f"{method.lower()}{slug}"}
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in PLACEHOLDER.findall(path)]
    if op is None:  # a route nobody described: still listed, answers only as the error shape
        out.update(summary=f"{method} {path}", parameters=params, responses={"default": error})
        return out
    out["summary"] = op.summary
    if op.description:
        out["description"] = op.description
    if op.query:
        params += _query_parameters(schemas, op.query)
    if params:
        out["parameters"] = params
    if op.request:
        out["requestBody"] = {"required": op.body_required,
                              "content": {"application/json": {"schema": _schema_ref(op.request)}}}
    if op.media == "application/json":
        success = {"schema": _schema_ref(op.response)} if op.response else {}
    else:
        success = {"schema": {"type": "string"}}
    out["responses"] = {str(op.status): {"description": op.summary, "content": {op.media: success}},
                        "default": error}
    if op.security is not None:
        out["security"] = [{name: [] for name in op.security}] if op.security else []
    out.update({k: copy.deepcopy(v) for k, v in op.extensions.items() if k.startswith("x-")})
    return out


def build_spec(provider: Any, routes: Iterable[tuple[str, str]], contracts: ContractSet,
               origin: str = "") -> dict:
    """The OpenAPI 3.1 document for `provider`; `origin` (scheme://host:port) makes the server URL."""
    description: ApiDescription = provider.api_description
    schemas = bundle(contracts)
    paths: dict[str, dict] = {}
    for method, path in sorted(set(routes), key=lambda r: (r[1], r[0])):
        template = PLACEHOLDER.sub(r"{\1}", path)
        op = description.operations.get((method, path))
        paths.setdefault(template, {})[method.lower()] = _operation(method, template, op, description, schemas)
    webhooks = {
        name: {"post": {"summary": hook.summary, "description": hook.description or hook.summary,
                        "requestBody": {"required": True, "content": {
                            "application/json": {"schema": _schema_ref(hook.contract)}}},
                        "responses": {"200": {"description": "Acknowledged (see the provider's ack rule)"}}}}
        for name, hook in description.webhooks.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{provider.title} (provider-sandbox)", "version": "sandbox",
                 "description": description.description or f"Stands in for {provider.real_base_url}."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": origin.rstrip("/") + provider.prefix, "description": "this sandbox"}],
        "security": [{name: [] for name in description.security}],
        "paths": paths,
        "webhooks": webhooks,
        "components": {"schemas": schemas, "securitySchemes": description.security_schemes},
    }


def spec_for(root: web.Application, world: Any, name: str, origin: str = "") -> dict:
    """The document for provider `name` as mounted on `root` (the sandbox's root application)."""
    provider = world.providers[name]
    routes = provider_routes(root, provider.prefix)
    return build_spec(provider, routes, world.contracts(name).contracts, origin)
