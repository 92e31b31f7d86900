"""Pages rendered across worker processes: the same bytes, the same problem reported, and only
the pages the memo lacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from site_builder import pages
from site_builder.build_cache import BuildCache
from site_builder.errors import ContentErrors
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive
from site_builder.pages import PageRenderer
from site_builder.render import render_site
from tests.conftest import ROOT


@pytest.fixture
def in_workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Workers render from the second missing page on; returns how many groups they were given."""
    monkeypatch.setattr(pages, "PARALLEL_FROM", 2)
    started: list[int] = []
    start = PageRenderer._start

    def counted(self: PageRenderer, *args: Any) -> Any:
        started.append(1)
        return start(self, *args)

    monkeypatch.setattr(PageRenderer, "_start", counted)
    return started


def test_pages_rendered_by_workers_equal_those_rendered_in_one_process(
    archive: Archive, site_files: dict[str, bytes], in_workers: list[int]
) -> None:
    assert render_site(archive, ROOT, workers=2) == site_files
    assert len(in_workers) > 1


def test_a_broken_template_is_reported_for_the_same_page(
    project: Path, edit: Callable[[str, str, str], Path], in_workers: list[int]
) -> None:
    edit("templates/statement.html", "{% block main %}\n", "{% block main %}\n{{ statement.nonexistent }}\n")
    archive = load_archive(project)
    problems = []
    for workers in (1, 2):
        with pytest.raises(ContentErrors) as raised:
            render_site(archive, project, workers=workers)
        problems.append([str(error) for error in raised.value.errors])
    assert problems[0] == problems[1] and len(problems[0]) == 1
    assert problems[0][0].startswith("templates/statement.html:") and "nonexistent" in problems[0][0]
    assert in_workers


def test_workers_render_only_the_pages_the_store_lacks(
    project: Path, tmp_path: Path, edit: Callable[[str, str, str], Path], in_workers: list[int]
) -> None:
    def build(workers: int, cache: Path) -> tuple[dict[str, bytes], Memo]:
        memo = Memo(remember=False, store=BuildCache(cache))
        return render_site(load_archive(project, memo=memo), project, memo=memo, workers=workers), memo

    for cache in (tmp_path / "serial", tmp_path / "parallel"):
        build(1, cache)
    edit("statements/2024-statement-2024-06-25.md", "summary: News report", "summary: An edited news report")
    serial, serial_memo = build(1, tmp_path / "serial")
    in_workers.clear()
    parallel, parallel_memo = build(2, tmp_path / "parallel")
    assert parallel == serial
    assert in_workers and 0 < parallel_memo.computed["page"] == serial_memo.computed["page"] < len(serial) / 4
    assert parallel_memo.reused["page"] == serial_memo.reused["page"]
