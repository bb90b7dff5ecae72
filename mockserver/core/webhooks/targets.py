"""Where a webhook goes: an http(s) URL, or `inbox:NAME` (this sandbox's own inbox); whether a
delivery to it can be attempted at all (a URL that can never work fails at once, not after a
retry schedule); and the loopback rule (external receivers only with allow_external_webhooks).
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit


# `inbox:shop` (or `inbox:shop?fail=2`): this sandbox's built-in inbox /_sandbox/inbox/shop,
# whatever port it listens on; resolved when a delivery is made, so written once for any --port.
INBOX_PREFIX = "inbox:"
INBOX_PATH = "/_sandbox/inbox/"
_INBOX_TARGET = re.compile(r"inbox:([A-Za-z0-9._~-]{1,64})(\?[^\s#]*)?")


def inbox_target(url: Any) -> tuple[str, str] | None:
    """(name, "?query" or "") of an `inbox:NAME` target, else None."""
    match = _INBOX_TARGET.fullmatch(url) if isinstance(url, str) else None
    return (match.group(1), match.group(2) or "") if match else None


def resolve_target(url: Any, origin: str | None, provider: str | None = None) -> Any:
    """The URL a delivery goes to: `inbox:NAME` becomes ORIGIN/_sandbox/inbox/NAME. With
    `provider`, a delivery to this sandbox's inbox (either form) says whose it is (`provider=NAME`
    in its query), so the inbox acknowledges it as that provider's rule wants."""
    target = inbox_target(url)
    if target is not None and origin is not None:
        url = f"{origin.rstrip('/')}{INBOX_PATH}{target[0]}{target[1]}"
    elif provider is None or inbox_named(url, origin) is None:
        return url
    if provider is None or re.search(r"[?&]provider=", url):
        return url
    return f"{url}{'&' if '?' in url else '?'}provider={provider}"


def inbox_named(url: Any, origin: str | None) -> str | None:
    """The name of this sandbox's inbox that `url` delivers to (`inbox:NAME`, or its resolved
    ORIGIN/_sandbox/inbox/NAME), else None."""
    target = inbox_target(url)
    if target is not None:
        return target[0]
    if not isinstance(url, str) or not origin:
        return None
    own = origin.rstrip("/") + INBOX_PATH
    if not url.startswith(own):
        return None
    target = inbox_target(INBOX_PREFIX + url[len(own):])
    return target[0] if target is not None else None


def unusable_url(url: Any, allow_external: bool) -> str | None:
    """Why a delivery to `url` cannot be attempted at all, or None when it can."""
    if url is None or url == "":
        return "no webhook URL configured"
    if not isinstance(url, str):
        return "webhook URL must be a string"
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in url):
        return "invalid webhook URL: it holds a control character (CR, LF, NUL, tab...)"
    if url.startswith(INBOX_PREFIX):
        if inbox_target(url) is None:
            return ("invalid inbox target: inbox:NAME, NAME being 1-64 letters, digits or . _ ~ - "
                    "(optionally ?fail=N)")
        return None   # the sandbox itself: allowed whatever allow_external_webhooks says
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        return f"invalid webhook URL: {exc}"
    if parts.scheme not in ("http", "https") or not host:
        return "invalid webhook URL: an absolute http:// or https:// URL is needed"
    if not allow_external and not _is_loopback_host(host):
        return "blocked: non-loopback webhook URL (set allow_external_webhooks)"
    return None


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
