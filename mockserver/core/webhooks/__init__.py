"""Webhooks: the outbox (an event becomes a delivery, a delivery becomes attempts on the provider's
retry schedule), the HTTP/1.1 sender of one attempt, where a webhook may go (targets), and what
the built-in inbox keeps.

May import: time, basics.
"""
