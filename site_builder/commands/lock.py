"""`lock`: record what the build publishes in data/published.lock, the promise that it stays published."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ContentErrors
from ..loader import load_archive
from ..lock import LOCK_FILE, broken_promises, published_entries, read_lock, write_lock
from ..render import render_site
from . import report


def lock(root: Path) -> int:
    """Record what the build publishes in the lock; refuse if it dropped a locked entry."""
    try:
        archive = load_archive(root)
        files = render_site(archive, root)
    except ContentErrors as errors:
        return report(errors)
    locked = read_lock(root)
    dropped = broken_promises(locked, archive, files)
    for entry in dropped:
        print(f"{LOCK_FILE}: {entry}: no longer published; add a redirect in data/redirects.yaml", file=sys.stderr)
    if dropped:
        return 1
    added = published_entries(archive, files) - locked
    write_lock(root, locked | added)
    print(f"{LOCK_FILE}: {len(added)} new entr{'y' if len(added) == 1 else 'ies'} recorded")
    return 0
