"""Every step verb the runner knows: steps.py's, and `await` (awaiting.py), which builds on them."""
from __future__ import annotations

from .awaiting import await_create
from .steps import VERBS as BASIC

VERBS = {**BASIC, "await": await_create}
