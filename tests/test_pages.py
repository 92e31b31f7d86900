"""Pages: those that read the whole archive (home, about, 404) are keyed by its outline, so they
never read what the outline leaves out, and editing a statement's text does not render them again."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.build_cache import BuildCache
from site_builder.csl import CslFormatter
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive
from site_builder.pages import PageRenderer
from site_builder.render import render_site
from site_builder.templates import create_environment, template_names, templates_digest
from site_builder.urls import SiteUrls
from site_builder.views import Citations, page_views
from tests.conftest import ROOT, without_texts

STATEMENT = "statements/2024-statement-2024-06-25.md"


def test_pages_that_read_the_whole_archive_read_nothing_its_outline_leaves_out(archive: Archive, site_files: dict[str, bytes]) -> None:
    site_urls = SiteUrls(archive.site.base_url)
    templates = ROOT / "templates"
    env = create_environment(templates, site_urls)
    memo = Memo(remember=False)
    csl = CslFormatter()
    views = page_views(archive, site_urls, csl, memo, Citations(archive, site_urls, csl, memo))
    whole = [view for view in views if (names := template_names(env, view.template)) is None or "archive" in names]
    assert {view.output for view in whole} >= {"index.html", "about/index.html", "404.html"}
    renderer = PageRenderer(env, without_texts(archive), ROOT, templates_digest(templates), memo)
    for view in whole:
        assert renderer.render(view) == site_files[view.output], view.output
    # The check bites: a page that shows a statement's text cannot render from the outline.
    with pytest.raises(AssertionError, match="text was read where only its outline may be"):
        str(without_texts(archive).statements[0].text_html)


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
