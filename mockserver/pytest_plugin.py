"""pytest plugin (entry point `provider_sandbox`): YAML scenarios as tests, and sandbox fixtures.

Being written (issue 3); this stub only keeps pytest importable until the core lands.
"""
