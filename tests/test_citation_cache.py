"""The citation cache: keyed by everything that shapes an entry; a damaged entry is never served."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder import citation_cache
from site_builder.citation_cache import CitationCache, entry_key
from site_builder.entry_store import FILE_NAME

ITEMS = [{"id": "macao-tip-2024", "type": "webpage", "title": "Macao in 2024", "URL": "https://archive.test/2024/"}]


@pytest.fixture(autouse=True)
def fresh_digests() -> Iterator[None]:
    citation_cache._engine_digest.cache_clear()
    yield
    citation_cache._engine_digest.cache_clear()


def test_key_follows_the_items_and_the_style() -> None:
    key = entry_key(ITEMS, "apa")
    assert key == entry_key([dict(ITEMS[0])], "apa")
    assert key != entry_key([{**ITEMS[0], "title": "Macao in 2025"}], "apa")
    assert key != entry_key(ITEMS, "chicago-author-date")


def test_key_follows_the_style_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = citation_cache.style_path("apa")
    before = entry_key(ITEMS, "apa")
    edited = tmp_path / "apa.csl"
    shutil.copyfile(original, edited)
    monkeypatch.setattr(citation_cache, "style_path", lambda style: edited)
    citation_cache._engine_digest.cache_clear()
    assert entry_key(ITEMS, "apa") == before
    edited.write_bytes(original.read_bytes().replace(b"</style>", b"<!-- edited --></style>"))
    citation_cache._engine_digest.cache_clear()
    assert entry_key(ITEMS, "apa") != before


def test_entries_round_trip(tmp_path: Path) -> None:
    cache = CitationCache(tmp_path / "cache")
    key = entry_key(ITEMS, "apa")
    assert cache.get(key) is None
    cache.put(key, '<div class="csl-entry">“Macao” – 2024</div>')
    assert CitationCache(tmp_path / "cache").get(key) == '<div class="csl-entry">“Macao” – 2024</div>'


@pytest.mark.parametrize("damage", [b"", b"not a checksum\n<div>", b"\xff\xfe"])
def test_damaged_entry_is_a_miss(tmp_path: Path, damage: bytes) -> None:
    cache = CitationCache(tmp_path)
    key = entry_key(ITEMS, "apa")
    cache.put(key, "<div>entry</div>")
    with sqlite3.connect(tmp_path / FILE_NAME) as connection:
        (stored,) = connection.execute("SELECT payload FROM entries WHERE name = ?", (key,)).fetchone()
        connection.execute("UPDATE entries SET payload = ? WHERE name = ?", (damage or stored[:-3], key))
    assert cache.get(key) is None


def test_unwritable_cache_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = CitationCache(blocker / "cache")
    cache.put("ab" * 32, "<div>entry</div>")
    assert cache.get("ab" * 32) is None
