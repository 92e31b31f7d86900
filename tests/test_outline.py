"""Outlines: what reads the whole archive, and every citation, are keyed by outlines that leave
each statement's text out, so they must never read it, and editing a text formats no citation again."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from site_builder.build_cache import BuildCache
from site_builder.citations import cite_statement, cite_year
from site_builder.csl import CslFormatter
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive
from site_builder.outline import Outlines
from site_builder.render import render_site
from site_builder.urls import SiteUrls
from tests.conftest import without_texts

STATEMENT = "statements/2024-statement-2024-06-25.md"


def archive_outline(archive: Archive) -> tuple[object, ...]:
    """The archive's outline with each statement shown whole (a memo that digests nothing)."""
    return Outlines(archive, Memo(remember=False)).of_archive()


def test_the_outline_leaves_out_the_text_and_keeps_what_the_timeline_shows(project: Path) -> None:
    archive = load_archive(project)
    text = project / STATEMENT
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    assert archive_outline(load_archive(project)) == archive_outline(archive)
    edited = text.read_text(encoding="utf-8").replace("summary: News report", "summary: An edited news report", 1)
    text.write_text(edited, encoding="utf-8")
    assert archive_outline(load_archive(project)) != archive_outline(archive)


def test_citations_read_nothing_the_outline_leaves_out(archive: Archive) -> None:
    absolute = SiteUrls(archive.site.base_url).absolute
    csl = CslFormatter()
    outlined = without_texts(archive)
    for statement, bare in zip(archive.statements, outlined.statements, strict=True):
        url = absolute(statement.url)
        assert cite_statement(bare, url, archive.site, csl) == cite_statement(statement, url, archive.site, csl), statement.path
    for year, bare_year in zip(archive.years, outlined.years, strict=True):
        url = absolute(year.url)
        assert cite_year(bare_year, url, archive.site, csl) == cite_year(year, url, archive.site, csl), year.year
    # The check bites: reading a text of the outlined archive fails.
    with pytest.raises(AssertionError, match="only its outline"):
        str(next(s for s in outlined.statements if s.has_text).plain_text)


def test_outlines_are_remembered_by_the_statement_and_equal_fresh_ones(project: Path, tmp_path: Path) -> None:
    store = BuildCache(tmp_path / "results")

    def outline() -> tuple[Memo, tuple[object, ...]]:
        memo = Memo(remember=False, store=store)
        return memo, Outlines(load_archive(project, memo=memo), memo).of_archive()

    _, first = outline()
    memo, again = outline()
    assert memo.reused["statement outline"] == len(load_archive(project).statements)
    assert memo.computed["statement outline"] == 0
    assert again == first
    archive = load_archive(project, memo=memo)
    outlines = Outlines(archive, memo)
    assert all(isinstance(outlines.of_statement(statement), str) for statement in archive.statements), "each by its digest"


def test_editing_a_statements_text_formats_no_citation_again(project: Path, tmp_path: Path) -> None:
    store = BuildCache(tmp_path / "results")

    def build() -> tuple[Memo, dict[str, bytes]]:
        memo = Memo(remember=False, store=store)
        return memo, render_site(load_archive(project, memo=memo), project, CslFormatter(), memo)

    build()
    text = project / STATEMENT
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    memo, files = build()
    assert memo.computed["statement citation"] == memo.computed["year citation"] == 0
    assert files == render_site(load_archive(project), project, CslFormatter()), "the same as a build without a cache"
    text.write_text(text.read_text(encoding="utf-8").replace('title: "', 'title: "Edited ', 1), encoding="utf-8")
    memo, files = build()
    assert memo.computed["statement citation"] == 1, "its title is in its citation"
    assert files == render_site(load_archive(project), project, CslFormatter())


class _WatchedStore(BuildCache):
    """A build cache that counts which kinds of result it is asked about, key by key, and reads
    back nothing of the kinds `lost` (as if another build had swept them)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.asked: Counter[str] = Counter()
        self.lost: set[str] = set()

    def get(self, kind: str, key: str) -> Any | None:
        return None if kind in self.lost else super().get(kind, key)

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Any]:
        return {} if kind in self.lost else super().get_many(kind, keys)

    def which(self, kind: str, keys: list[str]) -> set[str]:
        self.asked[kind] += len(keys)
        return super().which(kind, keys)

    def has(self, kind: str, key: str) -> bool:
        self.asked[kind] += 1
        return super().has(kind, key)


def test_after_a_text_edit_the_citation_keys_come_back_as_one_list(project: Path, tmp_path: Path) -> None:
    store = _WatchedStore(tmp_path / "results")

    def build() -> tuple[Memo, dict[str, bytes]]:
        memo = Memo(remember=False, store=store)
        return memo, render_site(load_archive(project, memo=memo), project, CslFormatter(), memo)

    build()  # formats every citation
    build()  # finds every citation, and keeps the list of their keys
    text = project / STATEMENT
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    store.asked.clear()
    memo, files = build()
    assert store.asked["statement citation"] == store.asked["year citation"] == 0, "no key asked about one by one"
    assert memo.reused["statement citation keys"] == memo.reused["year citation keys"] == 1
    assert memo.computed["statement citation"] == memo.computed["year citation"] == 0
    assert files == render_site(load_archive(project), project, CslFormatter()), "the same as a build without a cache"
    # Citations gone from the store since their list was kept are made again, the same.
    store.lost = {"statement citation", "year citation"}
    text.write_text(text.read_text(encoding="utf-8") + "\nAnother paragraph.\n", encoding="utf-8")
    memo, files = build()
    assert memo.computed["statement citation"] > 0
    assert files == render_site(load_archive(project), project, CslFormatter())
