"""Results of pure build steps kept on disk between builds: read statements, rendered pages,
citations and search-index shards.

An entry is named by a digest of its kind, the digest of its inputs (see memo.py) and the code
that computes it: this package's source, Python's version and the installed packages' versions.
A changed input, a changed template (part of a page's inputs) or an upgraded library therefore
misses and is computed afresh; an unchanged one is read back. Each entry carries a checksum, so a
damaged entry is treated as missing, never used. Deleting the folder is always safe, and a
cache that cannot be written only costs time.

Entries are Python pickles: the folder is the project's own, as trusted as its code.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .entry_store import EntryStore

# A store holding more than this many times the entries one build uses is swept of the rest.
_SWEEP_ABOVE = 3
# Each entry starts with the CRC-32 of its pickle: it finds a damaged entry (a torn or altered
# write) as a cryptographic digest would, and reading back 11 MB of statements checks them in
# 3 ms instead of SHA-256's 20. Entries are not protected against tampering: see above.
_CHECKSUM = 4
# Entries are written together up to about this many bytes (see `put_many`).
_BYTES_PER_WRITE = 2 << 20


@functools.cache
def code_digest() -> str:
    """A digest of what computes the results: this package's source and the installed packages.

    Installed packages are named by their `*.dist-info` folders (name and version), so any
    install, upgrade or removal misses every entry: coarser than naming the libraries the
    output depends on, but never stale, and far cheaper than importing importlib.metadata.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(sys.version.encode() + b"\0")
    for folder in sys.path:
        with contextlib.suppress(OSError):
            digest.update("\0".join(sorted(name for name in os.listdir(folder or ".") if name.endswith(".dist-info"))).encode())
    return digest.hexdigest()


class BuildCache:
    """Pickled results in `folder` (one SQLite file, see entry_store.py), by (kind, content address)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._entries = EntryStore(folder)
        self._used: set[str] = set()

    def _name(self, kind: str, key: str) -> str:
        return hashlib.sha256(f"{code_digest()}\0{kind}\0{key}".encode()).hexdigest()

    def get(self, kind: str, key: str) -> Any | None:
        name = self._name(kind, key)
        self._used.add(name)
        return _unpacked(self._entries.read(name))

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Any]:
        """The entries stored under `keys` that read back whole, by key, read together."""
        names = {self._name(kind, key): key for key in keys}
        self._used.update(names)
        found = {}
        stored_entries = self._entries.read_many(list(names))
        with _collector_paused():
            for name, stored in stored_entries.items():
                value = _unpacked(stored)
                if value is not None:
                    found[names[name]] = value
        return found

    def which(self, kind: str, keys: list[str]) -> set[str]:
        """Which of `keys` have an entry stored (it may still prove damaged when read)."""
        names = {self._name(kind, key): key for key in keys}
        return {names[name] for name in self._entries.which(list(names))}

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is stored (it may still prove damaged when read)."""
        return self._entries.has(self._name(kind, key))

    def touch(self, kind: str, key: str) -> None:
        """Count an entry as used by this build, without reading it: `sweep` keeps it."""
        self._used.add(self._name(kind, key))

    def put(self, kind: str, key: str, value: object) -> None:
        """Store; an entry that cannot be written is simply computed again next time."""
        self.put_many(kind, [(key, value)])

    def put_many(self, kind: str, entries: list[tuple[str, object]]) -> None:
        """Store each (key, value), written a few megabytes at a time (one commit each, and
        never every pickle in memory at once: a thousand statements' would be tens of megabytes)."""
        packed: list[tuple[str, bytes]] = []
        size = 0
        for key, value in entries:
            name = self._name(kind, key)
            self._used.add(name)
            try:
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                continue
            packed.append((name, zlib.crc32(payload).to_bytes(_CHECKSUM, "big") + payload))
            size += len(payload)
            if size >= _BYTES_PER_WRITE:
                self._entries.write_many(packed)
                packed, size = [], 0
        if len(packed) == 1:
            self._entries.write(*packed[0])
        elif packed:
            self._entries.write_many(packed)

    def sweep(self) -> int:
        """Once the store holds far more than the last build used, delete what it did not use.

        Keeps the store bounded (a few builds' worth; SQLite reuses the freed space) without
        costing a warm build anything but one count. Returns the number of entries deleted.
        """
        if self._entries.count() <= _SWEEP_ABOVE * max(len(self._used), 1):
            return 0
        return self._entries.keep_only(self._used)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cycle collector held off: unpickling makes new objects and never garbage, but each few
    hundred new containers would set the collector off to walk them (a third of reading back a
    thousand statements)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _unpacked(stored: bytes | None) -> Any | None:
    """The value of a stored entry; None if it is missing or damaged."""
    if stored is None:
        return None
    # A view, not a copy: a thousand statements are 11 MB, which copying took about 10 ms.
    payload = memoryview(stored)[_CHECKSUM:]
    if zlib.crc32(payload) != int.from_bytes(stored[:_CHECKSUM], "big"):
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a damaged entry (unpickling can raise almost anything) is a miss
        return None
