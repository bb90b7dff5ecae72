"""JSON Schema (2020-12) of a scenario file; `mockserver run --schema` prints it for editors.

The loader validates the top level first, then each step against the `$defs` entry of its verb,
so an error names one step and one key rather than a `oneOf` over every verb.
"""
from __future__ import annotations

DURATION = {
    "description": "90s, 5m, 1h30m, 7h21m, 2d, 50ms, or a number of seconds",
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*((ms|s|m|h|d|w)\s*(\d+(\.\d+)?\s*(ms|s|m|h|d|w)\s*)*)?$"},
    ],
}

_SAVE = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1},
         "description": "name -> dotted path into the step's JSON result"}
_HEADERS_EXPECT = {"anyOf": [
    {"type": "array", "items": {"type": "string"}},
    {"type": "object", "additionalProperties": True},
]}
_STATUS = {"type": "integer", "minimum": 100, "maximum": 599}
_EXPECT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "status": {"anyOf": [_STATUS, {"type": "array", "items": _STATUS, "minItems": 1}]},
        "json": {"description": "partial JSON match"},
        "headers": _HEADERS_EXPECT,
        "dropped": {"const": True, "description": "the sandbox closed the connection without an answer "
                                                  "(a reset, timeout or malformed_chunk fault)"},
    },
}
_COMMON = {"name": {"type": "string"}}
_PROVIDER = {"type": "string", "pattern": "^[a-z0-9_]+$",
             "description": "another provider than the scenario's (a recording spans several)"}
_MERCHANT = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}
_SIM_PARAMS = {"anyOf": [{"type": "string"}, {"type": "object"}],
               "description": "a mapping of simulation params, or a string meaning {invoice: X}"}
_TXID = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "object"}],
         "description": "a txid, or the route's params as a mapping ({txid, drop?, after?}, {network, depth}, {txid, to?})"}
_REPLY = {"anyOf": [
    _STATUS,
    {"enum": ["timeout", "reset"]},
    {"type": "object", "additionalProperties": False,
     "properties": {"status": _STATUS, "body": {"anyOf": [{"type": "string"}, {"type": "object"},
                                                           {"type": "array"}]},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "slow": DURATION, "timeout": {"type": "boolean"}, "reset": {"type": "boolean"}}},
]}
_MOMENT = {"type": "string", "description": "+duration from the scenario start, or an ISO 8601 instant"}
_WEBHOOK_FILTER = {"event": {"type": "string"}, "json": {"description": "partial JSON match"}}


def _step(verb: str, verb_schema: dict, **extra: dict) -> dict:
    props = {verb: verb_schema, **_COMMON, **extra}
    return {"type": "object", "required": [verb], "additionalProperties": False, "properties": props}


_CALL = {"type": "string", "pattern": r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) +/\S*$",
         "description": "METHOD /path relative to the provider's API base"}

STEP_DEFS = {
    "call": _step(
        "call", _CALL,
        query={"type": "object"}, json={}, headers={"type": "object", "additionalProperties": {"type": "string"}},
        auth={"type": "boolean"}, merchant=_MERCHANT, expect=_EXPECT, save=_SAVE, provider=_PROVIDER,
        body={"type": "string", "description": "the body's exact text, sent (and signed) byte for byte; "
                                               "no {name} placeholders"},
        base={"enum": ["api", "mount"], "description": "the path is relative to the provider's API base "
                                                       "(default) or to its mount point (hosted pages)"},
        source={"type": "string", "minLength": 1, "maxLength": 64,
                "description": "local IP address to call from, e.g. 127.0.0.3 (IP allow-list stories)"}),
    "pay": _step("pay", _SIM_PARAMS, expect=_EXPECT, save=_SAVE, provider=_PROVIDER),
    "confirm": _step("confirm", _SIM_PARAMS, expect=_EXPECT, save=_SAVE, provider=_PROVIDER),
    "expire": _step("expire", _SIM_PARAMS, expect=_EXPECT, save=_SAVE, provider=_PROVIDER),
    "simulate": _step("simulate", {"type": "string", "minLength": 1},
                      params={"type": "object"}, expect=_EXPECT, save=_SAVE, provider=_PROVIDER),
    "advance": _step("advance", {"anyOf": [DURATION, {"const": "until_quiet"}],
                                 "description": "a duration (90s, 5m, 1h30m, 2d) or until_quiet"}),
    "expect_webhook": _step("expect_webhook", {
        "type": "object", "additionalProperties": False,
        "properties": {
            **_WEBHOOK_FILTER,
            "provider": _PROVIDER,
            "headers": _HEADERS_EXPECT,
            "signature": {"enum": ["valid", "invalid"]},
            "status": {"enum": ["delivered", "exhausted", "pending", "failed"]},
            "attempts": {"type": "integer", "minimum": 0},
            "at": _MOMENT,
            "gaps": {"type": "array", "items": DURATION},
            "answers": {"type": "array", "items": {"anyOf": [_STATUS, {"enum": ["timeout", "error"]}]}},
        }}, save=_SAVE),
    "expect_no_webhook": _step("expect_no_webhook", {
        "anyOf": [{"type": "null"}, {"type": "object", "additionalProperties": False,
                                     "properties": _WEBHOOK_FILTER}]}),
    "expect_state": _step("expect_state", {
        "type": "object", "required": ["json"], "minProperties": 2,
        "properties": {"json": {"description": "partial JSON match"}},
        "description": "params of the provider's `state` simulation, plus `json`"}),
    "fault": _step("fault", {
        "type": "object", "minProperties": 1,
        "description": "a fault rule as POST /_sandbox/faults takes it; provider defaults to the scenario's"}),
    "clear_faults": _step("clear_faults", {"const": True}),
    "await": _step(
        "await", {"const": "create",
                  "description": "create: the merchant's app creates the object through the provider's API"},
        kind={"type": "string", "minLength": 1}, timeout=DURATION,
        trigger={"type": "string", "description": "a URL of your app to POST to, making it create one; empty: none"},
        trigger_body={"type": "string", "description": "the JSON text the trigger posts (default {})"},
        otherwise={"type": "object", "required": ["call"], "additionalProperties": False,
                   "description": "the call the runner makes itself when no app can create the object",
                   "properties": {"call": _CALL, "query": {"type": "object"}, "json": {},
                                  "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                                  "expect": _EXPECT}},
        save=_SAVE),
    "admin": _step(
        "admin",
        {"type": "string", "pattern": r"^(POST|PUT|PATCH|DELETE) +/\S*$",
         "description": "METHOD /path relative to the admin API (/_sandbox), e.g. POST /chain/transfers"},
        json={}, body={"type": "string", "description": "the body's exact text; no {name} placeholders"},
        expect=_EXPECT, save=_SAVE),
    "wait_journal": _step("wait_journal", {
        "type": "integer", "minimum": 0,
        "description": "wait (real time, at most 10 s) until the sandbox's journal holds this entry"}),
    "transfer": _step("transfer", {
        "type": "object", "required": ["network", "address", "amount"],
        "description": "POST /_sandbox/chain/transfers: network, address, amount; token?, memo?, "
                       "confirmations_stuck?, source_address?"}, expect=_EXPECT, save=_SAVE),
    "reorg": _step("reorg", _TXID, expect=_EXPECT, save=_SAVE),
    "double_spend": _step("double_spend", _TXID, expect=_EXPECT, save=_SAVE),
    "release": _step("release", _TXID, expect=_EXPECT, save=_SAVE),
    "resend": _step("resend", {
        "type": "object", "additionalProperties": False,
        "properties": {**_WEBHOOK_FILTER, "tamper": {"const": "signature"}}},
        expect={"anyOf": [{"enum": ["acknowledged", "rejected"]},
                          {"type": "object", "required": ["status"], "additionalProperties": False,
                           "properties": {"status": {"anyOf": [
                               _STATUS, {"type": "array", "items": _STATUS}]}}}]}),
}

VERBS = tuple(STEP_DEFS)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://provider-sandbox.local/schemas/scenario.json",
    "title": "provider-sandbox scenario",
    "description": "One payment story against one provider; see docs/scenarios.md.",
    "type": "object",
    "required": ["scenario", "provider", "steps"],
    "additionalProperties": False,
    "properties": {
        "scenario": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "provider": {"type": "string", "pattern": "^[a-z0-9_]+$"},
        "seed": {"type": "integer"},
        "start": {"type": "string", "format": "date-time"},
        "merchant": _MERCHANT,
        "webhook_url": {"type": "string", "pattern": r"^(builtin|keep|https?://\S+|inbox:[A-Za-z0-9._~-]{1,64}(\?\S*)?)$",
                        "description": "builtin, an http(s) URL, inbox:NAME (the sandbox's built-in inbox), "
                                       "or keep (change no merchant setting: a recording sets its own)"},
        "origins": {"type": "object", "additionalProperties": {"enum": ["receiver", "sandbox"]},
                    "description": "origins of the recorded world -> what stands for them now: the "
                                   "built-in receiver, or this sandbox"},
        "webhook_timeout": DURATION,
        "tags": {"type": "array", "items": {"type": "string"}},
        "receiver": {"type": "object", "additionalProperties": False, "properties": {
            "replies": {"type": "array", "items": _REPLY},
            "verify_signature": {"type": "boolean"},
            "allow_sources": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                              "description": "answer 403 to requests from any other source address"},
            "source_header": {"type": "string", "minLength": 1,
                              "description": "take the source from this header (e.g. X-Forwarded-For), as behind a proxy"}}},
        "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
    },
    "$defs": {
        "step": {"type": "object",
                 "oneOf": [{"$ref": f"#/$defs/{verb}"} for verb in VERBS]},
        **STEP_DEFS,
    },
}
