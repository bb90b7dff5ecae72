"""/_sandbox/chain/* : the simulated chains, whatever provider (if any) watches an address.

POST transfers   {network, address, amount, token?, memo?, confirmations_stuck?, source_address?}
                 a transfer on `network` (which need not be the one the address was made for:
                 wrong network) carrying `token` (default: the asset the receiver expects;
                 another one: wrong token) and `memo` (TON/XRP memo or tag); a stuck one stays
                 unconfirmed until released.
POST reorg       {txid} or {network, depth}; drop?, after?: the transfer's (or the last `depth`
                 blocks') confirmations are undone and it is mined again `after` (default one
                 block), or with `drop: true` it leaves the chain.
POST double_spend {txid, to?}: a pending transfer is replaced by one paying `to` (default: a
                 fresh address).
POST release     {txid}: a stuck transfer is mined in the next block.
GET  transfers?address=   transfers to an address, with live confirmations and status.

Each change is journaled (chain.transfer, chain.reorg, chain.double_spend, chain.release, with
the txid and the address paid) and runs what became due before answering, so the webhooks the
providers send about it have been attempted by then. Plain JSON writes: a refused one (4xx)
changes nothing.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from aiohttp import web

from ..basics.errors import BadRequest, NotFound
from ..chain.transfers import Transfer, amount_ok, network as chain_network
from ..time.durations import parse_duration
from .context import world_of
from .jsonio import json_response, read_json

routes = web.RouteTableDef()

TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,20}$")
MAX_MEMO = 128
TRANSFER_KEYS = {"network", "address", "amount", "token", "memo", "confirmations_stuck", "source_address"}


async def _body(request: web.Request, allowed: set[str], example: str) -> dict:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest(f"body must be a JSON object {example}")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"unknown key(s) {', '.join(map(repr, unknown))}; this route takes "
                         f"{', '.join(sorted(allowed))}")
    return body


def _text(body: dict, key: str, limit: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"{key} must be a non-empty string of at most {limit} characters")
    return value


def _flag(body: dict, key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{key} must be true or false")
    return value


def _transfer(world, body: dict) -> Transfer:
    txid = body.get("txid")
    if not isinstance(txid, str) or not txid:
        raise BadRequest("txid is required")
    tx = world.chain.transfer(txid)
    if tx is None:
        raise NotFound(f"no transfer {txid[:80]!r} on the simulated chains")
    return tx


def _view(world, tx: Transfer) -> dict:
    return tx.to_dict(world.clock.now())


@routes.post("/_sandbox/chain/transfers")
async def chain_transfer(request: web.Request) -> web.Response:
    """Pay any address on a simulated chain, whatever provider (if any) watches it."""
    world = world_of(request)
    body = await _body(request, TRANSFER_KEYS, "{network, address, amount}")
    try:
        net = chain_network(str(body.get("network", "")))
        amount = Decimal(str(body.get("amount")))
    except (ValueError, InvalidOperation) as exc:
        raise BadRequest(f"bad transfer: {exc}") from None
    if not amount_ok(amount):
        raise BadRequest("amount must be a positive number, at most 1e15")
    address = body.get("address")
    if not isinstance(address, str) or not address:
        raise BadRequest("address is required")
    token = _text(body, "token", 20)
    if token is not None and not TOKEN.match(token):
        raise BadRequest("token must be a ticker such as USDT (letters, digits, . _ -)")
    memo = body.get("memo")
    if isinstance(memo, int) and not isinstance(memo, bool):
        memo = str(memo)        # a numeric tag as a number
    memo = _text({"memo": memo}, "memo", MAX_MEMO)
    source = _text(body, "source_address", 128)
    stuck = _flag(body, "confirmations_stuck")
    tx = world.chain.send(net.name, address, amount, token=token, memo=memo, stuck=stuck,
                          source_address=source)
    extra = {k: v for k, v in (("network", net.name), ("token", token), ("memo", memo)) if v is not None}
    world.journal.record("chain.transfer", None, txid=tx.txid, address=address, amount=str(amount),
                         **extra, **({"stuck": True} if stuck else {}))
    await world.scheduler.settle()
    return json_response(_view(world, tx), status=201)


@routes.get("/_sandbox/chain/transfers")
async def chain_transfers(request: web.Request) -> web.Response:
    world = world_of(request)
    address = request.query.get("address", "")
    return json_response([_view(world, t) for t in world.chain.transfers_to(address)])


@routes.post("/_sandbox/chain/reorg")
async def reorg(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await _body(request, {"txid", "network", "depth", "drop", "after"},
                       '{"txid"} or {"network", "depth"}, with "drop": true to drop the transfer(s)')
    drop = _flag(body, "drop")
    after = None
    if body.get("after") is not None:
        if drop:
            raise BadRequest("after (when the transfer is mined again) does not go with drop")
        try:
            after = parse_duration(body["after"])
        except (ValueError, TypeError, OverflowError):
            raise BadRequest("after must be a duration such as 30s, 5m, 1h") from None
        if after.total_seconds() < 0 or after.days > 3650:
            raise BadRequest("after must be a duration from 0 to 3650d")
    if "txid" in body:
        if "network" in body or "depth" in body:
            raise BadRequest('give either "txid" or "network" and "depth", not both')
        hit, depth = [world.chain.reorg(_transfer(world, body), drop=drop, after=after)], None
    else:
        depth = body.get("depth")
        if not isinstance(depth, int) or isinstance(depth, bool):
            raise BadRequest('pass {"txid"} or {"network", "depth"} (depth: a number of blocks)')
        if after is not None:
            raise BadRequest("after goes with a txid reorg")
        try:
            hit = world.chain.reorg_blocks(str(body.get("network", "")), depth, drop=drop)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    outcome = "dropped" if drop else "remined"
    for tx in hit:
        world.journal.record("chain.reorg", None, txid=tx.txid, address=tx.address, network=tx.network,
                             outcome=outcome, **({"depth": depth} if depth is not None else {}))
    await world.scheduler.settle()
    return json_response({"outcome": outcome, "reorged": [_view(world, tx) for tx in hit]})


@routes.post("/_sandbox/chain/double_spend")
async def double_spend(request: web.Request) -> web.Response:
    world = world_of(request)
    body = await _body(request, {"txid", "to"}, '{"txid", "to"?}')
    tx = _transfer(world, body)
    to = _text(body, "to", 128)
    replacement = world.chain.double_spend(tx, to)
    world.journal.record("chain.double_spend", None, txid=tx.txid, address=tx.address,
                         replaced_by=replacement.txid, to=replacement.address)
    await world.scheduler.settle()
    return json_response({"replaced": _view(world, tx), "transfer": _view(world, replacement)})


@routes.post("/_sandbox/chain/release")
async def release(request: web.Request) -> web.Response:
    world = world_of(request)
    tx = world.chain.release(_transfer(world, await _body(request, {"txid"}, '{"txid"}')))
    world.journal.record("chain.release", None, txid=tx.txid, address=tx.address)
    await world.scheduler.settle()
    return json_response({"transfer": _view(world, tx)})
