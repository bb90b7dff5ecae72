"""CryptoPayment.center's error shape [A]: {"success": false, "error": "..."}."""
from __future__ import annotations

from aiohttp import web

from ...core.basics.errors import SandboxError
from ...core.http.jsonio import json_response


def render_error(err: SandboxError) -> web.Response:
    return json_response({"success": False, "error": err.message}, status=err.status)
