"""The feeds and data downloads, put together from each statement's parts: byte for byte the
files made whole, and a rebuild makes only the parts of the statements edited since."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder import archive_files, build_cache, feeds, render
from site_builder.archive_files import ArchiveFiles, Spool, make_parts
from site_builder.background import Forked
from site_builder.build_cache import BuildCache
from site_builder.csl import CslFormatter
from site_builder.exports import data_files
from site_builder.feeds import feed_files, feed_files_from
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive, Statement
from site_builder.render import site_files
from site_builder.urls import SiteUrls
from site_builder.writer import content_of, spool_beside

STATEMENT = "statements/2024-statement-2024-06-25.md"
# Text that reads like the markup the feeds are cut at: escaped in the feeds, so it cuts nothing.
LOOKALIKE = "\n    <item>\n  <entry>\n  </channel>\n</rss>\n</feed>\n"


def _whole(archive: Archive, site_urls: SiteUrls) -> dict[str, bytes]:
    return {**feed_files(archive, site_urls.absolute), **data_files(archive, site_urls.absolute)}


def _with_lookalikes(archive: Archive) -> Archive:
    def changed(year_statements: tuple[Statement, ...]) -> tuple[Statement, ...]:
        return tuple(dataclasses.replace(s, summary=s.summary + LOOKALIKE, title=LOOKALIKE) for s in year_statements)

    return dataclasses.replace(archive, years=tuple(dataclasses.replace(y, statements=changed(y.statements)) for y in archive.years))


@pytest.mark.parametrize("lookalikes", [False, True], ids=["archive", "markup-like text"])
def test_parts_made_one_statement_at_a_time_fit_together_into_the_whole_files(archive: Archive, lookalikes: bool) -> None:
    archive = _with_lookalikes(archive) if lookalikes else archive
    site_urls = SiteUrls(archive.site.base_url)
    frames, _ = make_parts(archive, site_urls, ())
    parts = [make_parts(archive, site_urls, (statement,))[1][0] for statement in archive.statements]
    assert sum(1 for part in parts if part.feed is not None) == len(archive.archived) > 1
    together = {
        **feed_files_from(frames, [part.feed for part in parts if part.feed is not None]),
        **data_files(archive, site_urls.absolute, [part.data for part in parts]),
    }
    assert together == _whole(archive, site_urls)


def test_an_archive_without_texts_has_feeds_without_entries(archive: Archive) -> None:
    site_urls = SiteUrls(archive.site.base_url)
    bare = dataclasses.replace(archive, years=tuple(dataclasses.replace(y, statements=()) for y in archive.years))
    files = {name: content_of(content) for name, content in ArchiveFiles(bare, site_urls, Memo(remember=False)).files().items()}
    assert files == _whole(bare, site_urls) and b"<item>" not in files["feed.xml"] and b"<entry>" not in files["atom.xml"]


def _build(project: Path, cache: Path, workers: int = 1) -> tuple[dict[str, bytes], Memo]:
    memo = Memo(remember=False, store=BuildCache(cache / "results"))
    archive = load_archive(project, memo=memo)
    with spool_beside(cache / "site") as folder:
        files = {
            name: content_of(content) for name, content in site_files(archive, project, CslFormatter(), memo, workers, spool=Spool(folder))
        }
    return files, memo


def _edit_text(project: Path) -> None:
    text = project / STATEMENT
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")


def test_a_rebuild_makes_the_parts_of_the_edited_statement_only(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, memo = _build(project, cache)
    assert memo.computed["statement parts"] == 12
    _edit_text(project)
    rebuilt, memo = _build(project, cache)
    assert memo.computed["statement parts"] == 1 and memo.reused["statement parts"] == 11
    fresh = load_archive(project)
    assert {name: rebuilt[name] for name in _whole(fresh, SiteUrls(fresh.site.base_url))} == _whole(fresh, SiteUrls(fresh.site.base_url))


def test_parts_kept_by_the_forked_process_are_read_back_and_kept_by_the_sweep(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    forked: list[object] = []

    def spy(function: Callable[[], dict[str, bytes]]) -> Forked[dict[str, bytes]]:
        forked.append(function)
        return Forked(function)

    monkeypatch.setattr(archive_files, "Forked", spy)
    monkeypatch.setattr(render, "BACKGROUND_FROM", 0)
    cold, memo = _build(project, cache, workers=2)
    assert len(forked) == 1 and memo.computed["statement parts"] == 0, "made in the forked process"
    # The build used the parts the forked process kept, so a sweep keeps them.
    monkeypatch.setattr(build_cache, "_SWEEP_ABOVE", 0)
    assert isinstance(memo.store, BuildCache) and memo.store.sweep() == 0
    monkeypatch.setattr(render, "BACKGROUND_FROM", 10_000)
    warm, memo = _build(project, cache)
    assert warm == cold and memo.computed["statement parts"] == 0 and memo.reused["statement parts"] == 12
    _edit_text(project)
    monkeypatch.setattr(render, "BACKGROUND_FROM", 0)
    edited, _ = _build(project, cache, workers=2)
    assert edited == _build(project, tmp_path / "fresh")[0]


def test_a_part_that_does_not_read_back_is_made_again(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cold, _ = _build(project, cache)
    read_back = BuildCache.get_many

    def losing_one(store: BuildCache, kind: str, keys: list[str]) -> dict[str, object]:
        found = read_back(store, kind, keys)
        if kind == "statement parts":
            found.pop(sorted(found)[0])  # swept by another build, or damaged
        return found

    monkeypatch.setattr(BuildCache, "get_many", losing_one)
    again, memo = _build(project, cache)
    assert again == cold and memo.computed["statement parts"] == 1, "that one made again, and kept"
    monkeypatch.undo()
    assert _build(project, cache)[1].reused["statement parts"] == 12


def test_a_feed_that_does_not_read_as_its_entries_is_refused() -> None:
    feed = b'<?xml version="1.0"?>\n<feed>\n  <id>x</id>\n  <entry>\n    <id>a</id>\n  </entry>\n</feed>\n'
    frame, entries = feeds._cut(feed, b"\n  <entry>", b"</feed>\n", 1)
    assert frame == (feed[: feed.index(b"  <entry>")], b"</feed>\n") and b"".join([frame[0], *entries, frame[1]]) == feed
    with pytest.raises(ValueError, match="did feedgen change"):
        feeds._cut(feed, b"\n  <entry>", b"</feed>\n", 2)


def test_a_part_is_kept_as_one_string_of_bytes_and_reads_back_equal(archive: Archive) -> None:
    statements = archive.statements
    _, parts = make_parts(archive, SiteUrls(archive.site.base_url), statements)
    assert any(part.feed is None for part in parts) and any(part.feed is not None for part in parts), "with and without a text"
    for part in parts:
        packed = archive_files._packed(part)
        assert isinstance(packed, bytes) and archive_files._unpacked(packed) == part


def test_a_rebuild_makes_few_new_pieces_giving_way_to_the_builds_other_processes(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yielded: list[bool] = []
    monkeypatch.setattr(archive_files, "yield_cores", lambda: yielded.append(True))
    monkeypatch.setattr(archive_files, "_FEW_PIECES", 3)  # one edit's four pieces among 12 statements are few
    cache = tmp_path / "cache"

    def spool() -> None:
        memo = Memo(remember=False, store=BuildCache(cache / "results"))
        archive = load_archive(project, memo=memo)
        with spool_beside(cache / "site") as folder:
            ArchiveFiles(archive, SiteUrls(archive.site.base_url), memo)._spooled(Spool(folder, cache / "archive-files"))

    spool()
    assert yielded == [], "every piece is new: made at the build's own priority"
    _edit_text(project)
    spool()
    assert yielded == [True]
