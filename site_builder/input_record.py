"""What the last build read of the statements folder, so that a rebuild can tell a file is
unchanged from its status alone, without reading and digesting it.

For each statement file it read, the record holds the file's status (size, modification and
change times, inode) and the key of its bytes and context. A file still showing that status
has those bytes: on POSIX systems any write changes its change time, which no program can set
back (Windows reports the creation time instead: there, an edit that keeps the size and puts
the modification time back would go unseen). A file
whose times were within a few seconds of the record being taken is read again all the same
(a write in the same tick of the file system's clock could leave the times unchanged), as git
does with its index.

The record lives in the build cache (one file per statements folder), names the code that made
it, and is as safe to delete as the rest of the cache: without it, every file is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import time
from pathlib import Path

# A file's size, modification and change times (ns) and inode.
Status = tuple[int, int, int, int]
# How close to the record's taking a file's times may be for its status to be trusted.
_UNSURE_NS = 2_000_000_000


def status_of(found: os.stat_result) -> Status:
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


class InputRecord:
    """The record of one statements folder, kept in `folder`, for files read in `context` (a
    digest of everything else their reading depends on)."""

    def __init__(self, folder: Path, statements: Path, code: str) -> None:
        self.path = folder / (hashlib.sha256(str(statements.resolve()).encode()).hexdigest()[:32] + ".pickle")
        self._code = code
        self._taken = time.time_ns()  # before any file is read
        self._recorded: dict[str, tuple[Status, str]] = {}
        self._trusted_before = 0
        self._context: str | None = None
        self._now: dict[str, tuple[Status, str]] = {}
        self._read = False  # whether a file was read (and its status noted) this build

    def open(self, context: str) -> None:
        """Take the last record, if it was made by this code for this context."""
        self._context = context
        with contextlib.suppress(Exception):  # missing, damaged or foreign: every file is read
            code, recorded_context, taken, entries = pickle.loads(self.path.read_bytes())
            if code == self._code and recorded_context == context and isinstance(entries, dict):
                self._recorded, self._trusted_before = entries, taken - _UNSURE_NS

    def key_of(self, name: str, path: Path) -> str | None:
        """The key of the file's bytes if its status is as recorded (it is then noted for the next
        record); None if it must be read."""
        recorded = self._recorded.get(name)
        if recorded is None:
            return None
        try:
            status = status_of(os.stat(path))
        except OSError:
            return None
        if status != recorded[0] or status[1] >= self._trusted_before or status[2] >= self._trusted_before:
            return None
        self._now[name] = recorded
        return recorded[1]

    def note(self, name: str, status: Status, key: str) -> None:
        """A file read now, with the status it had when read, and the key of its bytes."""
        self._now[name] = (status, key)
        self._read = True

    def save(self) -> None:
        """Record the files noted; a record that cannot be written only costs time. Unchanged,
        it is left as it is: the times it trusts stay those it was taken at."""
        if self._context is None or (not self._read and self._now == self._recorded):
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            staged = self.path.with_suffix(f".{os.getpid()}.new")
            staged.write_bytes(pickle.dumps((self._code, self._context, self._taken, self._now), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(staged, self.path)
