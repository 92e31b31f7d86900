"""Formatting citations: the cache and the worker processes never change a byte of the site."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from site_builder import background, cli, csl, render
from site_builder.citation_cache import CitationCache, entry_key
from site_builder.citations import cite_statement, prepare_citations
from site_builder.commands import build as build_command
from site_builder.csl import STYLES, CslFormatter, CslItem
from site_builder.entry_store import FILE_NAME, EntryStore
from site_builder.model import Archive
from site_builder.render import render_site
from site_builder.urls import SiteUrls
from site_builder.writer import content_of
from tests.conftest import ROOT, copy_project, file_digests, run_build_script


def _no_citeproc() -> Any:
    raise AssertionError("citeproc was asked to format an entry the cache holds")


def test_parallel_and_serial_formatting_give_identical_sites(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = render_site(archive, ROOT, CslFormatter(workers=1))
    monkeypatch.setattr(csl, "PARALLEL_FROM", 2)
    parallel = render_site(archive, ROOT, CslFormatter(workers=2))
    assert serial == parallel


def test_cold_and_warm_cache_give_identical_sites(archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = render_site(archive, ROOT, CslFormatter(CitationCache(tmp_path), workers=2))
    assert EntryStore(tmp_path).count() > 24
    monkeypatch.setattr(csl, "_citeproc", _no_citeproc)
    warm = render_site(archive, ROOT, CslFormatter(CitationCache(tmp_path)))
    assert cold == warm


def test_corrupt_or_deleted_cache_is_harmless(archive: Archive, site_files: dict[str, bytes], tmp_path: Path) -> None:
    render_site(archive, ROOT, CslFormatter(CitationCache(tmp_path)))
    with sqlite3.connect(tmp_path / FILE_NAME) as connection:
        entries = connection.execute("SELECT name, payload FROM entries ORDER BY name").fetchall()
        for index, (name, payload) in enumerate(entries):
            if index % 3 == 0:
                connection.execute("DELETE FROM entries WHERE name = ?", (name,))
            else:
                damaged = payload[:-40] if index % 3 == 1 else payload.replace(b"csl-entry", b"csl-ENTRY")
                connection.execute("UPDATE entries SET payload = ? WHERE name = ?", (damaged, name))
    assert render_site(archive, ROOT, CslFormatter(CitationCache(tmp_path))) == site_files


def test_build_script_keeps_its_cache_outside_the_site(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = project / "_site"
    first = run_build_script(project, out)
    assert first.returncode == 0, first.stderr
    cold = file_digests(out)
    assert EntryStore(project / ".cache" / "citations").count() > 0
    assert not any(".cache" in name for name in cold)
    second = run_build_script(project, out)
    assert second.returncode == 0, second.stderr
    assert file_digests(out) == cold


def test_a_pass_in_workers_lets_the_caller_go_on_and_can_be_abandoned(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csl, "PARALLEL_FROM", 2)
    pages = [(statement, f"https://example.org{statement.url}") for statement in archive.statements]
    serial = [cite_statement(statement, url, archive.site, CslFormatter()) for statement, url in pages]
    formatter = CslFormatter(workers=2)
    prepare_citations(formatter, pages, [], archive.site)
    assert formatter.formatting_elsewhere  # prepare returned while the workers format
    assert [cite_statement(statement, url, archive.site, formatter) for statement, url in pages] == serial
    assert not formatter.formatting_elsewhere
    abandoned = CslFormatter(workers=2)
    prepare_citations(abandoned, pages, [], archive.site)
    abandoned.abandon()
    assert not abandoned.formatting_elsewhere
    # What the abandoned pass would have formatted is formatted when asked for.
    assert [cite_statement(statement, url, archive.site, abandoned) for statement, url in pages] == serial


def test_a_worker_started_ahead_formats_the_next_pass_however_small(archive: Archive) -> None:
    pages = [(statement, f"https://example.org{statement.url}") for statement in archive.statements[:2]]
    serial = [cite_statement(statement, url, archive.site, CslFormatter()) for statement, url in pages]
    formatter = CslFormatter(workers=2)
    formatter.start_workers(STYLES)
    assert len(background.active_children()) == 1, "one worker ahead, however many cores"
    prepare_citations(formatter, pages, [], archive.site)  # 4 entries, far fewer than PARALLEL_FROM
    assert formatter.formatting_elsewhere
    assert len(background.active_children()) == 1, "too few entries to share"
    assert [cite_statement(statement, url, archive.site, formatter) for statement, url in pages] == serial
    assert background.active_children() == []


def test_a_pass_large_enough_to_share_adds_the_other_workers(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [(statement, f"https://example.org{statement.url}") for statement in archive.statements]
    serial = [cite_statement(statement, url, archive.site, CslFormatter()) for statement, url in pages]
    monkeypatch.setattr(csl, "SHARED_FROM", 4)
    formatter = CslFormatter(workers=3)
    formatter.start_workers(STYLES)
    prepare_citations(formatter, pages, [], archive.site)
    assert len(background.active_children()) == 3
    # The workers added late prepare for themselves: the entries are citeproc-py's all the same.
    assert [cite_statement(statement, url, archive.site, formatter) for statement, url in pages] == serial
    assert background.active_children() == []


def test_while_workers_format_the_build_renders_the_pages_needing_no_citation(
    archive: Archive, site_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    produced: list[str] = []
    entries = CslFormatter.entries

    def spy(self: CslFormatter, items: list[CslItem], style: str) -> str:
        if self.formatting_elsewhere and "(asked the workers)" not in produced:
            produced.append("(asked the workers)")
        return entries(self, items, style)

    monkeypatch.setattr(CslFormatter, "entries", spy)
    formatter = CslFormatter(workers=2)
    formatter.start_workers(STYLES)
    built: dict[str, bytes] = {}
    for name, content in render.site_files(archive, ROOT, formatter):
        produced.append(name)
        built[name] = content_of(content)
    assert built == site_files
    before = produced[: produced.index("(asked the workers)")]
    # Every page without a citation (home, claims, search, about) came first; no page with one did.
    assert {"index.html", "claims/index.html", "search/index.html", "about/index.html"} <= set(before)
    assert not [name for name in before if re.match(r"\d{4}/", name)]


def test_the_pass_formats_the_entries_in_the_order_the_pages_ask_for_them(
    archive: Archive, site_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # So that, while the worker formats, each page finds its entries made, or made next
    # (`citing_order` mirrors `ShardedPages.rest`).
    passes: list[list[str]] = []
    asked: list[str] = []
    start, entries = csl._Workers.start, CslFormatter.entries

    def starting(self: Any, jobs: list[csl.Job]) -> None:
        passes.append([entry_key(items, style) for items, style in jobs])
        start(self, jobs)

    def asking(self: CslFormatter, items: list[CslItem], style: str) -> str:
        key = entry_key(items, style)
        if key not in asked:
            asked.append(key)
        return entries(self, items, style)

    monkeypatch.setattr(csl._Workers, "start", starting)
    monkeypatch.setattr(CslFormatter, "entries", asking)
    formatter = CslFormatter(workers=2)
    formatter.start_workers(STYLES)
    with contextlib.closing(render.site_files(archive, ROOT, formatter)) as files:
        assert {name: content_of(content) for name, content in files} == site_files
    formatter.close()
    assert len(passes) == 1 and len(passes[0]) == 2 * (len(archive.statements) + len(archive.years))
    assert asked == passes[0]


def test_workers_started_ahead_and_never_used_are_stopped_on_closing() -> None:
    formatter = CslFormatter(workers=2)
    formatter.start_workers(STYLES)
    formatter.close()
    assert background.active_children() == []


def test_a_build_starts_citation_workers_ahead_only_while_its_cache_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_project(tmp_path / "project")
    started: list[int] = []
    start_workers = CslFormatter.start_workers

    def spy(self: CslFormatter, styles: tuple[str, ...]) -> None:
        started.append(len(styles))
        start_workers(self, styles)

    monkeypatch.setattr(CslFormatter, "start_workers", spy)
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    build = ["--root", str(project), "build", "--out", str(tmp_path / "site"), "--cache", str(tmp_path / "cache")]
    assert cli.main(build) == 0
    cold = file_digests(tmp_path / "site")
    assert started == [2]
    shutil.rmtree(tmp_path / "site")
    assert cli.main(build) == 0
    assert started == [2], "a cache holding citations starts no worker ahead"
    assert file_digests(tmp_path / "site") == cold
    assert background.active_children() == []


class _Recording(CslFormatter):
    """Keeps the jobs a build would format, and formats none."""

    def prepare(self, jobs: Sequence[csl.Job]) -> None:
        self.jobs = list(jobs)


# In a fresh process: citeproc-py alone, without the shortcuts `_citeproc` installs.
_STOCK_CITEPROC = """
import json, sys
from citeproc import model
from site_builder.csl import format_entries
jobs = json.load(sys.stdin)
entries = [format_entries((items, style)) for items, style in jobs]
assert not hasattr(model.CitationStylesElement.xpath_search, "_site_builder_memo"), "citeproc-py was patched"
json.dump(entries, sys.stdout)
"""


def test_shortcuts_into_citeproc_change_no_entry(archive: Archive) -> None:
    """The memoised look-ups and the branch shortcut (csl.py) only save time: every entry the
    site shows, in both styles, is the text citeproc-py gives without them."""
    recording = _Recording()
    absolute = SiteUrls(archive.site.base_url).absolute
    prepare_citations(
        recording,
        [(s, absolute(s.url)) for s in archive.statements],
        [(y, absolute(y.url)) for y in archive.years],
        archive.site,
    )
    assert len(recording.jobs) == 2 * (len(archive.statements) + len(archive.years))
    assert _stock(recording.jobs) == [csl._citeproc()(job) for job in recording.jobs]


def test_a_branch_remembered_for_an_items_shape_is_the_one_citeproc_takes(archive: Archive) -> None:
    """The branch shortcut remembers, for each `cs:choose` that tests only types and variables,
    the branch an item of each shape takes. Items of many shapes (types, and variables left
    out), each shape met on several pages, come out as citeproc-py alone gives them."""
    recording = _Recording()
    absolute = SiteUrls(archive.site.base_url).absolute
    prepare_citations(recording, [(s, absolute(s.url)) for s in archive.statements[:4]], [], archive.site)
    jobs: list[csl.Job] = []
    for items, style in recording.jobs:
        for kind in ("webpage", "report", "book", "legislation"):
            for left_out in ("", "issued", "author", "container-title"):
                jobs.append(([{key: value for key, value in item.items() if key != left_out} | {"type": kind} for item in items], style))
    assert len({json.dumps(job) for job in jobs}) == len(jobs) == 16 * len(recording.jobs)
    assert _stock(jobs) == [csl._citeproc()(job) for job in jobs]


def _stock(jobs: list[csl.Job]) -> list[str]:
    stock = subprocess.run(
        [sys.executable, "-c", _STOCK_CITEPROC], input=json.dumps(jobs), capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert stock.returncode == 0, stock.stderr
    entries: list[str] = json.loads(stock.stdout)
    return entries


def test_a_pass_keeps_its_entries_in_the_cache_in_one_transaction(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transactions: list[int] = []
    write_many = EntryStore.write_many

    def counted(store: EntryStore, entries: list[tuple[str, bytes]]) -> None:
        transactions.append(len(entries))
        write_many(store, entries)

    monkeypatch.setattr(EntryStore, "write_many", counted)
    monkeypatch.setattr(EntryStore, "write", lambda *_: pytest.fail("an entry written on its own"))
    pages = [(statement, f"https://example.org{statement.url}") for statement in archive.statements[:3]]
    formatter = CslFormatter(CitationCache(tmp_path))
    prepare_citations(formatter, pages, [], archive.site)
    cited = [cite_statement(statement, url, archive.site, formatter) for statement, url in pages]
    assert transactions == [2 * len(pages)]
    monkeypatch.setattr(csl, "_citeproc", _no_citeproc)
    assert [cite_statement(statement, url, archive.site, CslFormatter(CitationCache(tmp_path))) for statement, url in pages] == cited
