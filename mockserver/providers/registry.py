"""Every emulated provider, by module. The app mounts each one's PROVIDER."""
from __future__ import annotations

import importlib

from .base import Provider

PROVIDER_MODULES = [
    "mockserver.providers.cryptopayment",
    "mockserver.providers.alchemypay",
    "mockserver.providers.alt5pay",
]


def load_providers() -> dict[str, Provider]:
    providers = {}
    for module_name in PROVIDER_MODULES:
        provider = importlib.import_module(module_name).PROVIDER
        providers[provider.name] = provider
    return providers
