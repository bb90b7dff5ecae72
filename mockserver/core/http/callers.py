"""Who is calling: the caller's IP address and an allow-list of IPs / CIDR networks.

Provider-agnostic. A provider whose real API refuses callers outside a merchant's IP whitelist
asks here for the caller's address and whether the list allows it.

- The caller is the socket peer. `X-Forwarded-For` is believed only when the peer is one of the
  merchant's trusted proxies; then the address is the right-most entry that is not itself a
  trusted proxy (the left part of the header is whatever the client chose to write, so it is
  never trusted).
- IPv4-mapped IPv6 peers (::ffff:127.0.0.1, as dual-stack sockets report them) compare as IPv4.
- Lists are parsed strictly: a bad entry raises ValueError naming it, so a typo in a whitelist
  is reported instead of silently allowing or refusing everyone.
"""
from __future__ import annotations

import functools
import ipaddress
from typing import Iterable, Union

from aiohttp import web

from .context import peer_host

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

MAX_ENTRIES = 1000          # an allow-list longer than this is a mistake, not a configuration
MAX_FORWARDED_HOPS = 32     # more hops than this in X-Forwarded-For: refuse rather than walk them


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_address(text: object) -> IPAddress:
    """One IP address (no port, no brackets), or ValueError."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError(f"not an IP address: {str(text)[:60]!r}")
    return _plain(ipaddress.ip_address(text.strip()))


def parse_networks(entries: object, name: str = "allow-list") -> tuple[IPNetwork, ...]:
    """A list of IPs and CIDR networks ("10.0.0.0/8", "::1") -> networks; ValueError on any bad entry."""
    if entries is None:
        return ()
    if isinstance(entries, str) or not isinstance(entries, (list, tuple)):
        raise ValueError(f"{name} must be a list of IP addresses or CIDR networks")
    if len(entries) > MAX_ENTRIES:
        raise ValueError(f"{name} has more than {MAX_ENTRIES} entries")
    if all(isinstance(entry, str) for entry in entries):
        # checked on every signed call: a merchant's list is parsed once, not per request
        return _parsed_networks(tuple(entries), name)
    return _networks(entries, name)


@functools.lru_cache(maxsize=256)
def _parsed_networks(entries: tuple[str, ...], name: str) -> tuple[IPNetwork, ...]:
    return _networks(entries, name)   # a ValueError is raised again each time: not cached


def _networks(entries: Iterable[object], name: str) -> tuple[IPNetwork, ...]:
    out = []
    for entry in entries:
        if not isinstance(entry, str) or not entry.isascii():
            raise ValueError(f"{name}: not an IP address or CIDR network: {str(entry)[:60]!r}")
        try:
            # strict=False: "10.1.2.3/8" means the /8 around it, as firewalls read it
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ValueError(f"{name}: not an IP address or CIDR network: {entry[:60]!r}") from None
        if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96 and \
                net.network_address.ipv4_mapped is not None:
            net = ipaddress.ip_network(f"{net.network_address.ipv4_mapped}/{net.prefixlen - 96}")
        out.append(net)
    return tuple(out)


def allowed(address: IPAddress | None, networks: Iterable[IPNetwork]) -> bool:
    if address is None:
        return False
    address = _plain(address)
    return any(address.version == net.version and address in net for net in networks)


def peer_address(request: web.Request) -> IPAddress | None:
    """The socket peer's address; None when the transport does not know one (e.g. a unix socket)."""
    host = peer_host(request)
    return _peer(host) if host else None


@functools.lru_cache(maxsize=1024)   # the same few peers call again and again
def _peer(host: str) -> IPAddress | None:
    try:
        return parse_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


def caller_address(request: web.Request, trusted_proxies: Iterable[IPNetwork] = ()) -> IPAddress | None:
    """The address the call comes from, believing X-Forwarded-For only from trusted proxies.

    ValueError when a trusted proxy sent an X-Forwarded-For that is not a list of addresses.
    """
    proxies = tuple(trusted_proxies)
    address = peer_address(request)
    if not proxies or not allowed(address, proxies):
        return address
    hops = request.headers.getall("X-Forwarded-For", [])
    chain = [part.strip() for header in hops for part in header.split(",")]
    if len(chain) > MAX_FORWARDED_HOPS:
        raise ValueError("X-Forwarded-For has too many hops")
    for text in reversed(chain):
        hop = parse_address(text)
        if not allowed(hop, proxies):
            return hop
        address = hop
    return address
