"""The provider-agnostic engine: imports no provider. In rooms, each importing only those below it
(tests/test_import_layers.py holds the rule; docs/architecture.md draws it):

    http        the edge: guard, middlewares, admin API, tenants' routes, durable recording, console
    state       the World, journal, durable store, tenants registry, fault rules, merchant settings
    webhooks    outbox, sender, targets, the inbox's store
    chain       networks, addresses, transfers, confirmations
    contracts   compiled contracts, OpenAPI
    time        clock, scheduler, durations
    basics      errors, bounded stores, YAML with lines, the shipped data's location
"""
