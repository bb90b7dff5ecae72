"""Every emulated provider: each subpackage of mockserver.providers that exports PROVIDER.

Discovered rather than listed, so adding a provider means adding its folder and nothing else.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # a name lookup must not load aiohttp (the CLI's verbs check names)
    from .base import Provider


def provider_names() -> set[str]:
    """The provider folders' names, without importing any; each is its provider's name
    (tests/test_cli.py checks it)."""
    package = importlib.import_module(__package__)
    return {info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg}


def provider_modules() -> list[str]:
    return sorted(f"{__package__}.{name}" for name in provider_names())


def load_provider(name: str) -> "Provider | None":
    """One provider by its name, importing its folder alone; None when there is none."""
    if name not in provider_names():
        return None
    return getattr(importlib.import_module(f"{__package__}.{name}"), "PROVIDER", None)


def load_providers() -> dict[str, "Provider"]:
    providers = {}
    for module_name in provider_modules():
        provider = getattr(importlib.import_module(module_name), "PROVIDER", None)
        if provider is not None:
            providers[provider.name] = provider
    return providers
