"""Every step verb the runner knows: steps.py's, a recording's (replay_steps.py: admin,
wait_journal) and `await` (awaiting.py), which build on them."""
from __future__ import annotations

from .awaiting import await_create
from .replay_steps import VERBS as WITH_REPLAYS

VERBS = {**WITH_REPLAYS, "await": await_create}
