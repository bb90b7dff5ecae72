"""State: the World (everything one sandbox instance knows, passed explicitly), its journal, the
durable store and the World's link to it, the tenants registry, fault rules, and merchant
settings checked where a person types them.

May import: webhooks, chain, contracts, time, basics.
"""
