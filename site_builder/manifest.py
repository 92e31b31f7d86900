"""What the last complete build wrote into an output folder, so that a rebuild can tell a page is
unchanged without reading it, or reading its remembered bytes back from the build cache.

For each file handed to the writer with a key (a page or a citation download, known by the
digest of everything it is made from), the manifest holds that key and the file's size,
modification time and inode as the build left it. A file still showing all four holds the
bytes of that key; any other is compared byte for byte, as without a manifest. The manifest is removed before the writer changes
the site and saved once it has, so a build that fails halfway leaves none, never a wrong one.

A page's key is the digest of its inputs, not of the code that renders them, so the record also
names that code (the build cache's `code_digest`): a record made by other code, or with other
libraries installed, vouches for nothing. It lives in the build cache (one file per output
folder), never in the published site, and is as safe to delete as the rest of the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path

# A file's key, size, modification time (ns) and inode, as the last build left them.
Entry = tuple[str, int, int, int]


class Manifest:
    """The record of one output folder, kept in `folder`."""

    def __init__(self, folder: Path, out: Path, code: str) -> None:
        self.path = folder / (hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:32] + ".pickle")
        self._code = code

    def load(self) -> dict[str, Entry]:
        """The last complete build's entries; none if there is no record, it cannot be read, or
        other code made it."""
        try:
            code, entries = pickle.loads(self.path.read_bytes())
        except Exception:  # missing, damaged or foreign: every file is simply compared
            return {}
        return entries if code == self._code and isinstance(entries, dict) else {}

    def forget(self) -> None:
        """Remove the record, before the folder changes. One that cannot be removed stays
        harmless: every file the writer replaces gets a new inode and time, which no entry shows."""
        with contextlib.suppress(OSError):
            self.path.unlink()

    def save(self, entries: dict[str, Entry]) -> None:
        """Record the folder as it now is; a record that cannot be written only costs time."""
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            staged = self.path.with_suffix(f".{os.getpid()}.new")
            staged.write_bytes(pickle.dumps((self._code, entries), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(staged, self.path)


def entry(key: str, found: os.stat_result) -> Entry:
    return (key, found.st_size, found.st_mtime_ns, found.st_ino)
