"""Results of pure build steps kept on disk between builds: read statements, rendered pages,
citations and search-index shards.

An entry is named by a digest of its kind, the digest of its inputs (see memo.py) and the code
that computes it: this package's source, Python's version and the installed packages' versions.
A changed input, a changed template (part of a page's inputs) or an upgraded library therefore
misses and is computed afresh; an unchanged one is read back. Each file carries a checksum, so a
damaged entry is treated as missing, never used. Deleting the folder is always safe, and a
cache that cannot be written only costs time.

Entries are Python pickles: the folder is the project's own, as trusted as its code.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

# A store holding more than this many times the entries one build uses is swept of the rest.
_SWEEP_ABOVE = 3


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
    """Pickled results under `folder`, one file per (kind, content address)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._used: set[Path] = set()

    def _path(self, kind: str, key: str) -> Path:
        name = hashlib.sha256(f"{code_digest()}\0{kind}\0{key}".encode()).hexdigest()
        return self.folder / name[:2] / name[2:]

    def get(self, kind: str, key: str) -> Any | None:
        path = self._path(kind, key)
        self._used.add(path)
        try:
            stored = path.read_bytes()
        except OSError:
            return None
        checksum, payload = stored[:32], stored[32:]
        if hashlib.sha256(payload).digest() != checksum:
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # a damaged entry (unpickling can raise almost anything) is a miss
            return None

    def put(self, kind: str, key: str, value: object) -> None:
        """Store atomically; an entry that cannot be written is simply computed again next time."""
        target = self._path(kind, key)
        self._used.add(target)
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".", dir=target.parent)
            with os.fdopen(handle, "wb") as file:
                file.write(hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, target)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return

    def sweep(self) -> int:
        """Once the store holds far more than the last build used, delete what it did not use.

        Keeps the folder bounded (a few builds' worth) without costing a warm build anything
        but one listing. Returns the number of entries deleted.
        """
        try:
            buckets = [entry.path for entry in os.scandir(self.folder) if entry.is_dir()]
            stored = [entry.path for bucket in buckets for entry in os.scandir(bucket)]
        except OSError:
            return 0
        if len(stored) <= _SWEEP_ABOVE * max(len(self._used), 1):
            return 0
        used = {str(path) for path in self._used}
        deleted = 0
        for entry in stored:
            if entry not in used:
                try:
                    os.unlink(entry)
                    deleted += 1
                except OSError:
                    continue
        return deleted
