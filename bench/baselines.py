"""Reference servers for the bench, started in the same run as the sandbox.

constant: a bare aiohttp handler answering a fixed body on any path (the ceiling of the stack).
naive:    what a first attempt looks like: parse JSON, validate with jsonschema, store in a dict,
          answer; GET reads the dict back. Same contract as the sandbox's create-invoice.
bare:     a one-route app, for the cold-start comparison.

Usage: python bench/baselines.py KIND PORT   (prints "ready" when listening)
"""
from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from aiohttp import web

FIXED = json.dumps({"success": True, "invoice": {"id": "550e8400-e29b-41d4-a716-446655440000",
                                                 "status": "pending"},
                    "checkout_url": "https://cryptopayment.center/pay/550e8400"})


def constant() -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=FIXED, content_type="application/json")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


def naive() -> web.Application:
    from jsonschema import Draft202012Validator, FormatChecker
    contract = Path(__file__).resolve().parents[1] / "contracts" / "cryptopayment" / "invoice-create.request.json"
    validator = Draft202012Validator(json.loads(contract.read_text()), format_checker=FormatChecker())
    store: dict[str, dict] = {}

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        errors = list(validator.iter_errors(body))
        if errors:
            return web.json_response({"success": False, "error": errors[0].message}, status=422)
        invoice = {"id": str(uuid.uuid4()), "status": "pending", **body}
        store[invoice["id"]] = invoice
        return web.json_response({"success": True, "invoice": invoice}, status=201)

    async def get(request: web.Request) -> web.Response:
        invoice = store.get(request.match_info["id"])
        if invoice is None:
            return web.json_response({"success": False}, status=404)
        return web.json_response({"success": True, "invoice": invoice})

    app = web.Application()
    app.router.add_post("/cryptopayment/api/v1/invoices", create)
    app.router.add_get("/cryptopayment/api/v1/invoices/{id}", get)
    return app


def bare() -> web.Application:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})
    app = web.Application()
    app.router.add_get("/_sandbox/health", health)
    return app


if __name__ == "__main__":
    kind, port = sys.argv[1], int(sys.argv[2])
    app = {"constant": constant, "naive": naive, "bare": bare}[kind]()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, backlog=1024, print=lambda *_: print("ready", flush=True))
