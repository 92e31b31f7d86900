"""Pages: those that read the whole archive (home, about, 404) are keyed by its outline, so they
never read what the outline leaves out, and editing a statement's text does not render them again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from site_builder.build_cache import BuildCache
from site_builder.csl import CslFormatter
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive
from site_builder.pages import TEXT_FIELDS, PageRenderer, archive_outline
from site_builder.render import render_site
from site_builder.templates import create_environment, template_names, templates_digest
from site_builder.urls import SiteUrls
from site_builder.views import Citations, page_views
from tests.conftest import ROOT

STATEMENT = "statements/2024-statement-2024-06-25.md"


class _Unreadable:
    """A field a page must not read: showing, counting, testing, iterating or reading into it fails."""

    def _refuse(self, *_: object) -> object:
        raise AssertionError("a page keyed by the archive outline read a statement's text")

    __str__ = __len__ = __bool__ = __iter__ = __getitem__ = __getattr__ = __html__ = _refuse  # type: ignore[assignment]


def _without_texts(archive: Archive) -> Archive:
    unreadable: Any = _Unreadable()  # in place of fields of any type
    years = tuple(
        dataclasses.replace(
            year, statements=tuple(dataclasses.replace(s, **dict.fromkeys(TEXT_FIELDS, unreadable)) for s in year.statements)
        )
        for year in archive.years
    )
    return dataclasses.replace(archive, years=years)


def test_pages_that_read_the_whole_archive_read_nothing_its_outline_leaves_out(archive: Archive, site_files: dict[str, bytes]) -> None:
    site_urls = SiteUrls(archive.site.base_url)
    templates = ROOT / "templates"
    env = create_environment(templates, site_urls)
    memo = Memo(remember=False)
    csl = CslFormatter()
    views = page_views(archive, site_urls, csl, memo, Citations(archive, site_urls, csl, memo))
    whole = [view for view in views if (names := template_names(env, view.template)) is None or "archive" in names]
    assert {view.output for view in whole} >= {"index.html", "about/index.html", "404.html"}
    renderer = PageRenderer(env, _without_texts(archive), ROOT, templates_digest(templates), memo)
    for view in whole:
        assert renderer.render(view) == site_files[view.output], view.output
    # The check bites: a page that shows a statement's text cannot render from the outline.
    with pytest.raises(AssertionError, match="read a statement's text"):
        str(_without_texts(archive).statements[0].text_html)


def test_the_outline_leaves_out_the_text_and_keeps_what_the_timeline_shows(project: Path) -> None:
    archive = load_archive(project)
    text = project / STATEMENT
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    assert archive_outline(load_archive(project)) == archive_outline(archive)
    edited = text.read_text(encoding="utf-8").replace("summary: News report", "summary: An edited news report", 1)
    text.write_text(edited, encoding="utf-8")
    assert archive_outline(load_archive(project)) != archive_outline(archive)


def test_editing_a_statements_text_renders_its_pages_again_not_the_home_page(project: Path, tmp_path: Path, rendered: list[str]) -> None:
    cache = tmp_path / "cache"

    def build() -> set[str]:
        rendered.clear()
        memo = Memo(remember=False, store=BuildCache(cache / "results"))
        render_site(load_archive(project, memo=memo), project, CslFormatter(), memo)
        return set(rendered)

    assert "index.html" in build()
    text = project / STATEMENT
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    after_text_edit = build()
    assert "2024/statement-2024-06-25/index.html" in after_text_edit
    assert not {"index.html", "about/index.html", "404.html"} & after_text_edit, after_text_edit
    text.write_text(text.read_text(encoding="utf-8").replace("summary: News report", "summary: An edited news report", 1), encoding="utf-8")
    assert "index.html" in build(), "the timeline shows the summary"
