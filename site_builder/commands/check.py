"""`check`: validate the content without building, reporting every problem."""

from __future__ import annotations

from pathlib import Path

from ..errors import ContentErrors
from ..loader import load_archive
from . import report


def check(root: Path) -> int:
    """Read and validate everything; print every problem, or a summary of the archive."""
    try:
        archive = load_archive(root)
    except ContentErrors as errors:
        return report(errors)
    held = len(archive.archived)
    print(
        f"OK: {len(archive.statements)} responses ({held} with their text), {len(archive.years)} report years, {len(archive.claims)} claims"
    )
    return 0
