"""Every emulated provider: each subpackage of mockserver.providers that exports PROVIDER.

Discovered rather than listed, so adding a provider means adding its folder and nothing else.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import Provider


def provider_modules() -> list[str]:
    package = importlib.import_module(__package__)
    return sorted(f"{__package__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
                  if info.ispkg)


def load_providers() -> dict[str, Provider]:
    providers = {}
    for module_name in provider_modules():
        provider = getattr(importlib.import_module(module_name), "PROVIDER", None)
        if provider is not None:
            providers[provider.name] = provider
    return providers
