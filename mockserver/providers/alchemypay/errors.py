"""Alchemy Pay's error shape: the usual wrapper with success=false.

``{"success": false, "returnCode": "...", "returnMsg": "...", "extend": "", "data": null, "traceId": "..."}``
The wrapper and "0000"/"SUCCESS" are [D]; "81003" for a sign mismatch and "10005" for invalid
or unknown parameters are what public clients report [C]. Every other code below is [A]: Alchemy's
return-code list is not public in a form we could check.
"3102" ("Quote amount is out of the range, ...") is the Estimate Price Query's own [D].
[A] HTTP statuses: the docs show only bodies, never an error's HTTP status (public clients test
both ``res.ok`` and ``success``; a public client's mocks answer errors with HTTP 200). By default
the sandbox pairs each error with a 4xx so bad input never looks like success: 401 auth (appId,
timestamp, sign, access-token), 400 parameters, 404 unknown order, 409 duplicate merchantOrderNo,
422 contract violations (all 10005 but the 404/409). The merchant setting (or provider option)
``error_status: "200"`` answers every error with HTTP 200 and the same body, so a client that
trusts the status code alone is caught.
``traceId`` [D: in every answer]: a fresh one per request, refused or not, and the same in every run
of a seed. A success draws it from the World's seeded generator; a refusal from the journal's
sequence (backend.next_trace: it is recorded there), so a refused request draws nothing from the
story's generator and changes no state, and two refusals never share one.
"""
from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar

from aiohttp import web

from mockserver.core.basics.errors import (BadRequest, Conflict, ContractViolation, NotFound, SandboxError,
                                    Unauthorized)
from mockserver.core.http.context import world_of

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
QUOTE_OUT_OF_RANGE = "3102"

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
    QUOTE_OUT_OF_RANGE: "Quote amount is out of the range",
}

_DEFAULT_CODE_BY_STATUS = {401: SIGN_ERROR, 403: APP_ID_INVALID, 404: ORDER_NOT_FOUND,
                           409: DUPLICATE_ORDER, 422: PARAM_ERROR}


PROVIDER_NAME = "alchemypay"
# The request being answered, for render_error (which the core calls with the error alone).
CURRENT_REQUEST: ContextVar[web.Request | None] = ContextVar("alchemypay_request", default=None)
MERCHANT_KEY: web.RequestKey = web.RequestKey("alchemypay.merchant", object)   # the merchant the request names, once known


@web.middleware
async def remember_request(request: web.Request, handler):
    """Outermost: lets render_error reach the request's World and merchant."""
    token = CURRENT_REQUEST.set(request)
    try:
        return await handler(request)
    finally:
        CURRENT_REQUEST.reset(token)


def trace_id(request: web.Request) -> str:
    """A fresh traceId for a refused request (see the module doc)."""
    return world_of(request).backend(PROVIDER_NAME).next_trace(request.path)


def _error_status(request: web.Request | None, status: int) -> int:
    if request is None:
        return status
    backend = world_of(request).backend(PROVIDER_NAME)
    merchant = request.get(MERCHANT_KEY) or {}
    return 200 if str(backend.setting(merchant, "error_status", "4xx")) == "200" else status


def wrap(data, trace: str, *, success: bool = True, code: str = SUCCESS_CODE, msg: str = SUCCESS_MSG) -> dict:
    return {"success": success, "returnCode": code, "returnMsg": msg, "extend": "",
            "data": data, "traceId": trace}


def auth_error(code: str, detail: str | None = None) -> Unauthorized:
    return Unauthorized(detail or MESSAGES[code], code=code)


def param_error(detail: str) -> BadRequest:
    return BadRequest(detail, code=PARAM_ERROR)


def out_of_range(low, high) -> BadRequest:
    return BadRequest(f"{MESSAGES[QUOTE_OUT_OF_RANGE]}, The Min purchase amount is {low}, "
                      f"The max purchase amount is {high}", code=QUOTE_OUT_OF_RANGE)


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
    request = CURRENT_REQUEST.get()
    # outside a request (never in practice) the traceId falls back to one derived from the error
    trace = trace_id(request) if request is not None else hashlib.md5(f"{code}|{msg}".encode()).hexdigest()
    body = wrap(None, trace, success=False, code=str(code), msg=msg)
    headers = dict(err.headers or {})
    return web.Response(status=_error_status(request, status), text=json.dumps(body),
                        content_type="application/json", headers=headers)
