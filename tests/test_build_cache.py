"""The on-disk build cache: a rebuild reads back what did not change, computes what did, and its
output is byte for byte a fresh build's. Damaged entries, new code and parallel reading change
nothing in the output."""

from __future__ import annotations

import dataclasses
import gc
import shutil
import sqlite3
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

from site_builder import build_cache, loader, views, writer
from site_builder.background import Standby
from site_builder.build_cache import BuildCache
from site_builder.citation_cache import CitationCache
from site_builder.cli import main
from site_builder.csl import CslFormatter
from site_builder.entry_store import FILE_NAME, EntryStore
from site_builder.errors import ContentErrors
from site_builder.loader import load_archive
from site_builder.manifest import Manifest
from site_builder.memo import Fingerprints, Memo, digest
from site_builder.model import Archive
from site_builder.pages import PageRenderer
from site_builder.render import render_site
from site_builder.views import PageView, claim_occurrences, matrix_texts, page_views

from .conftest import file_digests

STATEMENT = "statements/2024-statement-2024-06-25.md"


def imported_by_a_build(arguments: list[str], modules: tuple[str, ...], setup: str = "") -> str:
    """What a build in a fresh process prints, ending with which of `modules` it imported
    (`setup`: statements run first, with `loader` imported)."""
    script = (
        "import sys\nfrom site_builder import loader\nfrom site_builder.cli import main\n"
        f"{setup}assert main({arguments!r}) == 0\n"
        f"print(' '.join(name for name in {modules!r} if name in sys.modules))\n"
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True).stdout


def _cli_build(project: Path, out: Path, cache: Path) -> list[str]:
    """The arguments of `build.py build` into `out`, keeping its cache in `cache`."""
    return ["--root", str(project), "build", "--out", str(out), "--cache", str(cache)]


def _build(project: Path, cache: Path) -> tuple[dict[str, bytes], Memo]:
    """One build as `build.py` runs it: a fresh memo whose store is the cache folder."""
    memo = Memo(remember=False, store=BuildCache(cache / "results"))
    archive = load_archive(project, memo=memo)
    files = render_site(archive, project, CslFormatter(CitationCache(cache / "citations")), memo)
    return files, memo


def test_a_warm_rebuild_reads_everything_back_and_equals_a_fresh_build(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold, memo = _build(project, cache)
    pages = sum(1 for name in cold if name.endswith(".html"))
    assert memo.computed["page"] == pages and memo.computed["statement"] == 12 and memo.reused["page"] == 0
    warm, memo = _build(project, cache)
    assert warm == cold
    assert memo.computed["page"] == 0 and memo.computed["statement"] == 0 and memo.computed["statement citation"] == 0
    assert memo.reused["page"] == pages and memo.reused["statement"] == 12
    assert warm == render_site(load_archive(project), project), "a build without any cache gives the same bytes"


def test_a_build_freezes_its_archive_for_the_cycle_collector_while_it_writes(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen: list[int] = []
    write_site = writer.write_site

    def watched(*args: Any, **options: Any) -> list[str]:
        frozen.append(gc.get_freeze_count())
        return write_site(*args, **options)

    monkeypatch.setattr(writer, "write_site", watched)
    assert main(_cli_build(project, tmp_path / "out", tmp_path / "cache")) == 0
    assert frozen and frozen[0] > 1000, "the archive was not frozen"
    assert gc.get_freeze_count() == 0, "a build left objects frozen"


def test_a_rebuild_compiles_no_template_again(
    project: Path, tmp_path: Path, edit: Callable[[str, str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    _build(project, cache)
    edit(STATEMENT, "summary: News report", "summary: An edited news report")  # its pages render again

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled again")

    with monkeypatch.context() as patched:
        patched.setattr(Environment, "compile", no_compiling)
        rebuilt, memo = _build(project, cache)
    assert memo.computed["page"] > 0
    assert rebuilt == render_site(load_archive(project), project)


def test_an_edit_recomputes_only_what_it_touches(project: Path, tmp_path: Path, edit: Callable[[str, str, str], Path]) -> None:
    cache = tmp_path / "cache"
    before, _ = _build(project, cache)
    edit(STATEMENT, "summary: News report", "summary: An edited news report")
    after, memo = _build(project, cache)
    pages = sum(1 for name in after if name.endswith(".html"))
    assert memo.computed["statement"] == 1 and memo.reused["statement"] == 11
    assert memo.computed["statement citation"] == 1
    assert 0 < memo.computed["page"] < pages / 2
    assert after != before
    assert after == render_site(load_archive(project), project)


def test_damaged_or_foreign_entries_are_misses(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold, _ = _build(project, cache)
    with sqlite3.connect(cache / "results" / FILE_NAME) as connection:
        entries = connection.execute("SELECT name, payload FROM entries ORDER BY name").fetchall()
        assert entries
        for number, (name, data) in enumerate(entries):
            # Truncated, a flipped byte, or a valid checksum over something that is not a pickle.
            not_a_pickle = zlib.crc32(b"not a pickle").to_bytes(4, "big") + b"not a pickle"
            damaged = (data[: len(data) // 2], data[:-1] + bytes([data[-1] ^ 1]), not_a_pickle)[number % 3]
            connection.execute("UPDATE entries SET payload = ? WHERE name = ?", (damaged, name))
    warm, memo = _build(project, cache)
    assert warm == cold
    assert memo.reused["page"] == 0 and memo.reused["statement"] == 0 and memo.reused["statement parts"] == 0


def test_entries_kept_together_are_read_back_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_cache, "_BYTES_PER_WRITE", 100)  # written in several transactions
    store = BuildCache(tmp_path)
    store.put_many("part", [(str(number), b"x" * 60 * number) for number in range(5)])
    store.put_many("other kind", [("1", b"not a part")])
    again = BuildCache(tmp_path)
    assert again.get_many("part", ["0", "1", "4", "9"]) == {"0": b"", "1": b"x" * 60, "4": b"x" * 240}
    assert again.which("part", ["2", "3", "9"]) == {"2", "3"}


def test_a_cache_file_that_is_not_a_database_is_replaced(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold, _ = _build(project, cache)
    for folder in ("results", "citations"):
        for log in (cache / folder).glob(f"{FILE_NAME}-*"):  # its write-ahead log, if any, goes too
            log.unlink()
        (cache / folder / FILE_NAME).write_bytes(b"overwritten by something else" * 1000)
    again, memo = _build(project, cache)
    assert again == cold and memo.reused["page"] == 0
    warm, memo = _build(project, cache)
    assert warm == cold and memo.computed["page"] == 0, "the replaced store keeps what the build before computed"


def test_new_code_or_libraries_miss_every_entry(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cold, _ = _build(project, cache)
    monkeypatch.setattr(build_cache, "code_digest", lambda: "another version of the code")
    warm, memo = _build(project, cache)
    assert warm == cold
    assert memo.reused["page"] == 0 and memo.reused["statement"] == 0 and memo.computed["statement"] == 12


def test_the_store_is_swept_once_it_holds_far_more_than_a_build_uses(tmp_path: Path) -> None:
    store = BuildCache(tmp_path)
    for number in range(40):
        store.put("page", f"old {number}", b"old")
    store = BuildCache(tmp_path)  # a later build, which uses two entries
    store.put("page", "kept", b"kept")
    assert store.get("page", "old 1") == b"old"
    assert store.sweep() == 39
    assert store.get("page", "kept") == b"kept" and store.get("page", "old 1") == b"old"
    assert store.get("page", "old 2") is None
    assert store.sweep() == 0, "a store near the size of one build is left alone"


def test_the_cli_keeps_its_cache_outside_the_site_and_no_cache_keeps_none(project: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert main(_cli_build(project, out, cache)) == 0
    built = file_digests(out)
    assert EntryStore(cache / "results").count() > 0 and EntryStore(cache / "citations").count() > 0
    assert not any(".cache" in name or "results" in name for name in built)
    assert main(_cli_build(project, out, cache)) == 0
    assert file_digests(out) == built
    other = tmp_path / "fresh"
    assert main(["--root", str(project), "build", "--out", str(other), "--no-cache"]) == 0
    assert file_digests(other) == built
    assert not (project / ".cache").exists()


def test_a_rebuild_reads_back_no_unchanged_page_and_restores_one_changed_in_the_site(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    arguments = _cli_build(project, out, cache)
    assert main(arguments) == 0
    built = file_digests(out)
    reads: Counter[str] = Counter()
    renders: list[str] = []
    read_back, read_back_many, render = BuildCache.get, BuildCache.get_many, PageRenderer.render

    def counted_read(store: BuildCache, kind: str, key: str) -> object:
        reads[kind] += 1
        return read_back(store, kind, key)

    def counted_read_many(store: BuildCache, kind: str, keys: list[str]) -> dict[str, object]:
        reads[kind] += len(keys)
        return read_back_many(store, kind, keys)

    def counted_render(renderer: PageRenderer, view: PageView) -> bytes:
        renders.append(view.output)
        return render(renderer, view)

    monkeypatch.setattr(BuildCache, "get", counted_read)
    monkeypatch.setattr(BuildCache, "get_many", counted_read_many)
    monkeypatch.setattr(PageRenderer, "render", counted_render)
    assert main(arguments) == 0
    # Neither the pages nor the citations they and their downloads show are read back.
    assert reads["page"] == reads["statement citation"] == reads["year citation"] == 0, reads
    assert reads["statement"] == 12 and not renders, (reads, renders)
    # A page changed in the site since (same size, other bytes) is read back and written again;
    # so is a changed citation download, with the citation it is made from.
    page = out / "2024/statement-2024-06-25/index.html"
    page.write_bytes(page.read_bytes().replace(b"<h1", b"<H1", 1))
    download = out / "2024/statement-2024-06-25/cite.bib"
    download.write_bytes(download.read_bytes().replace(b"@misc", b"@MISC", 1))
    assert main(arguments) == 0
    assert file_digests(out) == built and reads["page"] == reads["statement citation"] == 1 and not renders
    # Pages and citations taken on the manifest's word still count as used: a sweep keeps them
    # in the store, so a build into a fresh folder reads them back instead of making them again.
    made: list[object] = []
    monkeypatch.setattr(views, "cite_statement", lambda *arguments: made.append(arguments))
    monkeypatch.setattr(views, "cite_year", lambda *arguments: made.append(arguments))
    monkeypatch.setattr(build_cache, "_SWEEP_ABOVE", 0)
    assert main(arguments) == 0
    Manifest(cache / "written", out, build_cache.code_digest()).forget()
    shutil.rmtree(out)
    assert main(arguments) == 0
    assert file_digests(out) == built and not renders and not made


def test_new_code_rendering_a_page_differently_is_not_hidden_by_the_last_builds_record(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A page's key digests its inputs, not the code: the record must not vouch across code.
    out, cache = tmp_path / "out", tmp_path / "cache"
    arguments = _cli_build(project, out, cache)
    assert main(arguments) == 0
    render = PageRenderer.render

    def new_code(renderer: PageRenderer, view: PageView) -> bytes:
        return render(renderer, view) + b"<!-- rendered by new code -->\n"

    monkeypatch.setattr(PageRenderer, "render", new_code)
    monkeypatch.setattr(build_cache, "code_digest", lambda: "new code")
    assert main(arguments) == 0
    assert (out / "2024/statement-2024-06-25/index.html").read_bytes().endswith(b"<!-- rendered by new code -->\n")


def test_reading_in_parallel_gives_the_same_archive_and_the_same_problems(
    project: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str, str, str], Path]
) -> None:
    monkeypatch.setattr(loader, "PARALLEL_FROM", 2)
    assert load_archive(project, workers=2) == load_archive(project, workers=1)
    edit(STATEMENT, "tier: Tier 3", "tier: Tier 9")
    edit("statements/2020-statement-2020-06-26.md", "\nyear: 2020", "\nyear: twenty")
    problems = []
    for workers in (1, 2):
        with pytest.raises(ContentErrors) as raised:
            load_archive(project, workers=workers)
        problems.append([str(error) for error in raised.value.errors])
    assert problems[0] == problems[1] and len(problems[0]) >= 2


def _watch_the_reader(monkeypatch: pytest.MonkeyPatch, given: Callable[[int], object]) -> None:
    """A forked reader from two statements on, telling `given` how many files it is handed."""
    monkeypatch.setattr(loader, "BESIDE_FROM", 2)

    class Spy(Standby[tuple[object, list[object]], object]):
        def give(self, value: tuple[object, list[object]]) -> None:
            given(len(value[1]))
            super().give(value)

    monkeypatch.setattr(loader, "Standby", Spy)


def test_changed_files_read_by_a_forked_process_give_the_same_archive_and_the_same_problems(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str, str, str], Path]
) -> None:
    # A one-shot build reads the few changed files in a forked process while it reads back the rest.
    given: list[int] = []
    _watch_the_reader(monkeypatch, given.append)

    def load(workers: int) -> Archive:
        return load_archive(project, memo=Memo(remember=False, store=BuildCache(tmp_path / "results")), workers=workers)

    load(1)
    edit(STATEMENT, "tier: Tier 3", "tier: Tier 3 ")
    assert load(2) == load_archive(project) and given == [1], given
    edit(STATEMENT, "tier: Tier 3 ", "tier: Tier 9")
    edit("statements/2020-statement-2020-06-26.md", "\nyear: 2020", "\nyear: twenty")
    problems = []
    for workers in (1, 2):
        with pytest.raises(ContentErrors) as raised:
            load(workers)
        problems.append([str(error) for error in raised.value.errors])
    assert problems[0] == problems[1] and len(problems[0]) >= 2 and given == [1, 2], given


def test_a_rebuild_starts_its_forked_reader_before_it_reads_the_archive(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str, str, str], Path]
) -> None:
    # Before it imports the rest of the pipeline, even: see `loader.read_beside`.
    monkeypatch.setattr(loader, "BESIDE_FROM", 2)
    events: list[str] = []

    class Spy(Standby[tuple[object, list[object]], object]):
        def __init__(self, prepare: Callable[[], object], function: Callable[[tuple[object, list[object]]], object]) -> None:
            events.append("reader started")
            super().__init__(prepare, function)

        def give(self, value: tuple[object, list[object]]) -> None:
            events.append(f"given {len(value[1])}")
            super().give(value)

    load = loader.load_archive

    def loading(*args: Any, **kwargs: Any) -> Archive:
        events.append("archive read")
        return load(*args, **kwargs)

    monkeypatch.setattr(loader, "Standby", Spy)
    monkeypatch.setattr(loader, "load_archive", loading)
    arguments = _cli_build(project, tmp_path / "out", tmp_path / "cache")
    assert main(arguments) == 0
    assert events == ["archive read", "reader started", "given 12"], "a first build has no cache to start from"
    events.clear()
    edit(STATEMENT, "tier: Tier 3", "tier: Tier 3 ")
    assert main(arguments) == 0
    assert events == ["reader started", "archive read", "given 1"]
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "fresh"), "--no-cache"]) == 0
    assert file_digests(tmp_path / "out") == file_digests(tmp_path / "fresh")


def test_a_rebuild_after_an_edit_leaves_the_parsers_to_the_forked_reader(project: Path, tmp_path: Path) -> None:
    arguments = _cli_build(project, tmp_path / "out", tmp_path / "cache")
    assert main(arguments) == 0
    path = project / STATEMENT
    path.write_text(path.read_text(encoding="utf-8").replace("tier: Tier 3", "tier: Tier 3 ", 1), encoding="utf-8")
    printed = imported_by_a_build(arguments, ("yaml", "jsonschema_rs", "markdown_it"), setup="loader.BESIDE_FROM = 2\n")
    assert printed.splitlines()[-1] == "", printed


def test_a_rebuild_forks_its_processes_without_importing_multiprocessing_or_socket(project: Path, tmp_path: Path) -> None:
    # Its forked processes (the reader, the feeds and downloads) speak through pipes of its own.
    arguments = _cli_build(project, tmp_path / "out", tmp_path / "cache")
    assert main(arguments) == 0
    path = project / STATEMENT
    path.write_text(path.read_text(encoding="utf-8").replace("tier: Tier 3", "tier: Tier 3 ", 1), encoding="utf-8")
    counting = (
        "loader.BESIDE_FROM = 2\n"
        "from site_builder import background, render\n"
        "render.BACKGROUND_FROM = 0\n"
        "forked = []\n"
        "started = background._Process.__init__\n"
        "background._Process.__init__ = lambda self, *args, **kwargs: forked.append(1) or started(self, *args, **kwargs)\n"
        "import atexit\n"
        "atexit.register(lambda: print('forked', len(forked)))\n"
    )
    *_, imported, forked = imported_by_a_build(arguments, ("multiprocessing", "socket"), setup=counting).splitlines()
    assert forked == "forked 2", "the reader and the feeds' process"
    assert imported == ""


def test_fingerprints_follow_every_field_and_trust_registered_digests(archive: Archive) -> None:
    statement = archive.statements[0]
    fingerprints = Fingerprints()
    first = fingerprints.of(statement)
    assert first == Fingerprints().of(statement), "stable across instances"
    changed = dataclasses.replace(statement, summary=statement.summary + " ")
    assert Fingerprints().of(changed) != first
    registered = Fingerprints()
    registered.register(statement, "read from these bytes")
    assert registered.of(statement) != first and registered.of(statement) == registered.of(statement)
    assert Fingerprints().of(["a", ("b", None)]) != Fingerprints().of(["a", ("b", "None")])
    assert Fingerprints().of(object()) is None


def test_a_statement_read_back_brings_how_its_parts_are_shown_and_they_digest_as_when_walked(project: Path, tmp_path: Path) -> None:
    store = tmp_path / "results"
    load_archive(project, memo=Memo(remember=False, store=BuildCache(store)))
    memo = Memo(remember=False, store=BuildCache(store))
    archive = load_archive(project, memo=memo)
    assert memo.reused["statement"] == len(archive.statements) and memo.computed["statement"] == 0
    annotated = [statement for statement in archive.statements if statement.claims]
    assert annotated
    for statement in annotated:
        # Known without walking through them (the claim matrix and the claim pages hold these)...
        known = memo._fingerprints._known
        assert id(statement.claims) in known and all(id(made.passages) in known for made in statement.claims)
        # ...and shown exactly as walking through them shows them: the same keys as a build without the cache.
        for part in (statement.claims, statement.source, *(made.passages for made in statement.claims)):
            assert memo.key(part) == digest(part)
    assert memo.key(claim_occurrences(archive)) == digest(claim_occurrences(archive))
    assert memo.key(matrix_texts(archive)) == digest(matrix_texts(archive))


def test_views_take_remembered_citations_without_formatting_again(archive: Archive, tmp_path: Path) -> None:
    from site_builder import urls

    store = BuildCache(tmp_path)
    site_urls = urls.SiteUrls(archive.site.base_url)
    page_views(archive, site_urls, CslFormatter(), Memo(store=store))

    class Refusing(CslFormatter):
        def prepare(self, jobs: list[tuple[list[dict[str, object]], str]]) -> None:  # type: ignore[override]
            assert not jobs, "every citation was remembered: nothing should be formatted"

        def entries(self, items: list[dict[str, object]], style: str) -> str:
            raise AssertionError("formatted a remembered citation")

    memo = Memo(store=store)
    page_views(archive, site_urls, Refusing(), memo)
    assert memo.reused["statement citation"] == len(archive.statements) and memo.computed["statement citation"] == 0


def test_a_citation_gone_from_the_store_after_it_was_found_is_made_again(archive: Archive, tmp_path: Path) -> None:
    from site_builder import urls

    site_urls = urls.SiteUrls(archive.site.base_url)
    first = page_views(archive, site_urls, CslFormatter(), Memo(store=BuildCache(tmp_path)))
    memo = Memo(store=BuildCache(tmp_path))
    again = page_views(archive, site_urls, CslFormatter(), memo)
    assert memo.computed["statement citation"] == memo.computed["year citation"] == 0
    EntryStore(tmp_path).keep_only([])  # another build swept the store meanwhile
    pairs = [(before.citation, after.citation) for before, after in zip(first, again, strict=True) if before.citation is not None]
    assert pairs and all(after is not None and after.citation == before.citation for before, after in pairs)
    assert memo.computed["statement citation"] == len(archive.statements) and memo.computed["year citation"] == len(archive.years)


def test_one_cache_serves_builds_for_different_addresses(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for base_url in ("https://example.org/", "https://example.org/archive/", "https://example.org/"):
        out = tmp_path / "out"
        assert main(["--root", str(project), "build", "--out", str(out), "--cache", str(cache), "--base-url", base_url]) == 0
        fresh = tmp_path / "fresh"
        assert main(["--root", str(project), "build", "--out", str(fresh), "--no-cache", "--base-url", base_url]) == 0
        assert file_digests(out) == file_digests(fresh), base_url
        assert b'data-base="/archive/"' in (out / "search/index.html").read_bytes() or "archive" not in base_url


def test_data_files_are_read_back_until_edited_and_their_problems_are_always_reported(
    project: Path, tmp_path: Path, edit: Callable[[str, str, str], Path]
) -> None:
    cache = tmp_path / "cache"
    _build(project, cache)
    warm, memo = _build(project, cache)
    assert memo.computed["data file"] == 0 and memo.reused["data file"] == 5
    edit("data/site.yaml", "title: Macao TIP Responses Archive", "title: An Edited Archive")
    edited, memo = _build(project, cache)
    assert memo.computed["data file"] == 1 and edited != warm
    assert edited == render_site(load_archive(project), project)
    edit("data/tiers.yaml", "tier: Tier 2 Watch List", "tier: Tier Two")
    for _ in range(2):  # a problem is never remembered: every build reports it again
        with pytest.raises(ContentErrors) as raised:
            _build(project, cache)
        assert any(error.path == "data/tiers.yaml" and error.field.endswith("tier") for error in raised.value.errors)


# Libraries a build needs only for what it computes afresh: each costs start-up time.
LAZY_MODULES = (
    "yaml",
    "jsonschema_rs",
    "markdown_it",
    "bibtexparser",
    "rispy",
    "citeproc",
    "pagefind.service",
    "pagefind_bin",
    "multiprocessing",
    "urllib.request",
    "site_builder.markdown",
    "site_builder.serve",
)


def test_a_warm_build_imports_none_of_what_it_does_not_use(project: Path, tmp_path: Path) -> None:
    arguments = _cli_build(project, tmp_path / "out", tmp_path / "cache")
    assert main(arguments) == 0
    printed = imported_by_a_build(arguments, LAZY_MODULES)
    assert printed.splitlines()[-1] == "", printed


def test_a_cold_build_runs_pagefind_without_importing_its_python_packages(project: Path, tmp_path: Path) -> None:
    # Its service brings asyncio; the package of its executable, logging and platform.
    arguments = _cli_build(project, tmp_path / "out", tmp_path / "cache")
    printed = imported_by_a_build(arguments, ("pagefind_bin", "pagefind.service", "asyncio"))
    assert printed.splitlines()[-1] == "", printed
    assert (tmp_path / "out" / "pagefind" / "pagefind-entry.json").is_file()


def test_a_rebuild_hands_its_reader_the_edited_statement_before_it_reads_back_the_others(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str, str, str], Path]
) -> None:
    # The reader then reads it meanwhile, instead of being waited for after the read-back.
    events: list[str] = []
    _watch_the_reader(monkeypatch, lambda files: events.append(f"reader given {files}"))

    class WatchedCache(BuildCache):
        def get_many(self, kind: str, keys: list[str]) -> dict[str, Any]:
            events.append(f"read back {len(keys)} {kind}")
            return super().get_many(kind, keys)

    cache = WatchedCache(tmp_path / "results")
    load_archive(project, memo=Memo(remember=False, store=cache), workers=2)
    edit(STATEMENT, "tier: Tier 3", "tier: Tier 3 ")
    events.clear()
    archive = load_archive(project, memo=Memo(remember=False, store=cache), workers=2)
    statements = len(archive.statements)
    assert [event for event in events if "statement" in event or "reader" in event] == [
        "reader given 1",
        f"read back {statements} statement",
    ]
