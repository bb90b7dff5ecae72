"""The HTTP edge: what a request carries (its World, tenant, origin), JSON in and out, the guard,
the provider middleware (errors in the provider's shape, journal, faults carried out), the admin
API at /_sandbox/*, tenant routing, the inbox's routes, durable recording and replay, callers'
addresses, the live console and the served process's settings.

May import: state, webhooks, chain, contracts, time, basics.
"""
