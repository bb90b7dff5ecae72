"""Contracts: the JSON-schema files under contracts/<provider>/ compiled once per process, and the
OpenAPI document generated from a provider's routes and its contracts.

May import: basics.
"""
