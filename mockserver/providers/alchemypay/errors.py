"""Alchemy Pay's error shape: the usual wrapper with success=false.

``{"success": false, "returnCode": "...", "returnMsg": "...", "extend": "", "data": null, "traceId": "..."}``
The wrapper and "0000"/"SUCCESS" are [D]; "81003" for a sign mismatch and "10005" for invalid
or unknown parameters are what public clients report [C]. Every other code below is [A]: Alchemy's
return-code list is not public in a form we could check.
[A] HTTP statuses: the docs show only bodies, never an error's HTTP status (public clients test
both ``res.ok`` and ``success``). The sandbox pairs each error with a 4xx so bad input never looks
like success: 401 auth (appId, timestamp, sign, access-token), 400 parameters, 404 unknown order,
409 duplicate merchantOrderNo, 422 contract violations (all 10005 but the 404/409).
"""
from __future__ import annotations

import hashlib
import json

from aiohttp import web

from mockserver.core.basics.errors import (BadRequest, Conflict, ContractViolation, NotFound, SandboxError,
                                    Unauthorized)

SUCCESS_CODE = "0000"
SUCCESS_MSG = "SUCCESS"

# returnCode -> returnMsg ([A] except 81003 and 10005 [C])
APP_ID_INVALID = "81001"
TIMESTAMP_INVALID = "81002"
SIGN_ERROR = "81003"
TOKEN_INVALID = "81004"
PARAM_ERROR = "10005"
NOT_SUPPORTED = "10002"
ORDER_NOT_FOUND = "10004"
DUPLICATE_ORDER = "10006"
SYSTEM_ERROR = "99999"

MESSAGES = {
    APP_ID_INVALID: "appId is invalid",
    TIMESTAMP_INVALID: "timestamp is invalid or expired",
    SIGN_ERROR: "sign error",
    TOKEN_INVALID: "access-token is missing, invalid or expired",
    PARAM_ERROR: "invalid parameters",
    NOT_SUPPORTED: "not supported",
    ORDER_NOT_FOUND: "order does not exist",
    DUPLICATE_ORDER: "merchantOrderNo already exists",
    SYSTEM_ERROR: "system error",
}

_DEFAULT_CODE_BY_STATUS = {401: SIGN_ERROR, 403: APP_ID_INVALID, 404: ORDER_NOT_FOUND,
                           409: DUPLICATE_ORDER, 422: PARAM_ERROR}


def trace_id(rng) -> str:
    return f"{rng.getrandbits(128):032x}"


def wrap(data, trace: str, *, success: bool = True, code: str = SUCCESS_CODE, msg: str = SUCCESS_MSG) -> dict:
    return {"success": success, "returnCode": code, "returnMsg": msg, "extend": "",
            "data": data, "traceId": trace}


def auth_error(code: str, detail: str | None = None) -> Unauthorized:
    return Unauthorized(detail or MESSAGES[code], code=code)


def param_error(detail: str) -> BadRequest:
    return BadRequest(detail, code=PARAM_ERROR)


def not_supported(detail: str) -> BadRequest:
    return BadRequest(detail, code=NOT_SUPPORTED)


def not_found(detail: str = MESSAGES[ORDER_NOT_FOUND]) -> NotFound:
    return NotFound(detail, code=ORDER_NOT_FOUND)


def duplicate(detail: str = MESSAGES[DUPLICATE_ORDER]) -> Conflict:
    return Conflict(detail, code=DUPLICATE_ORDER)


def render_error(err: SandboxError) -> web.Response:
    status = err.status if 400 <= err.status < 600 else 400
    code = err.code or _DEFAULT_CODE_BY_STATUS.get(status, PARAM_ERROR if status < 500 else SYSTEM_ERROR)
    msg = err.message
    if isinstance(err, ContractViolation):
        msg = f"invalid parameters: {err.message}"
    # the renderer has no World, so the traceId is derived from the error itself (no randomness)
    trace = hashlib.md5(f"{code}|{msg}".encode()).hexdigest()
    body = wrap(None, trace, success=False, code=str(code), msg=msg)
    headers = dict(err.headers or {})
    return web.Response(status=status, text=json.dumps(body), content_type="application/json",
                        headers=headers)
