"""`mockserver certify PROVIDER --handler URL`: will a merchant's webhook handler survive production?

Provider-agnostic: each provider declares its webhook facts (how a body is signed, which field a
forger would change, its acknowledgement rule, its event order, its answer for an unknown object)
in its own certify.py as a `providers.base.Certification`; this package only drives a sandbox over
HTTP, replays and forges deliveries through those facts, and judges the answers.

    objects   which objects the battery uses (the merchant's own, or one it waits for) and driving
              each through its events while a capture receiver holds the deliveries
    copies    genuine copies of the captured deliveries, forged and re-signed variants of them
    battery   the checks, each a delivery (or two) with the verdict a production-safe handler gives
    report    one line per check, the score, JUnit XML
    cli       the command line

May import: core, scenarios (the sandbox client, the runner's in-process sandbox, its step verbs
and receiver), providers (the registry and the Certification declaration).
"""
