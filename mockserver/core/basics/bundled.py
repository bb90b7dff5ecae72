"""Where the data the sandbox ships lives: contracts/ and the scenario library (scenarios/).

Both stay at the top of the repository; a built wheel carries a copy in mockserver/_data/ (see
setup.py). An installed package reads that copy; a checkout or editable install reads the
repository's folders in place.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]   # mockserver/: a real folder, wheels install unzipped


def bundled(folder: str) -> Path:
    """`folder` ("contracts" or "scenarios") as shipped in the wheel, else beside the package."""
    shipped = PACKAGE / "_data" / folder
    return shipped if shipped.is_dir() else PACKAGE.parent / folder


def scenarios_root() -> Path:
    """The scenario library: scenarios/<provider>/*.yaml."""
    return bundled("scenarios")
