"""Rendering: a broken template is reported like broken content, by file and line, and nothing is written; work done beside the pages (feeds in a forked process, templates compiled ahead) changes no byte and reports nothing new."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from jinja2 import Environment

from site_builder import archive_files, csl, render, search, sharded_pages, templates, urls, views
from site_builder.archive_files import Spool
from site_builder.background import BackgroundError, Forked
from site_builder.build_cache import BuildCache
from site_builder.cli import main
from site_builder.commands import build as build_command
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive
from site_builder.writer import Spooled, content_of, spool_beside
from tests.conftest import ROOT, file_digests


def refused(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = project / "_site"
    assert main(["--root", str(project), "build", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists()
    lines = err.splitlines()
    assert len(lines) == 2, err
    return lines[0]


def test_template_syntax_error(project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    edit("templates/year.html", "{% endblock %}", "{% endblok %}")
    line = refused(project, capsys)
    assert line.startswith("templates/year.html:") and ": template: syntax error: Encountered unknown tag 'endblok'" in line


def test_undefined_value_is_located_in_its_template(
    project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = edit("templates/year.html", "{% block main %}\n", "{% block main %}\n<p>{{ year.nonexistent }}</p>\n")
    expected = path.read_text(encoding="utf-8").split("\n").index("<p>{{ year.nonexistent }}</p>") + 1
    assert (
        refused(project, capsys)
        == f"templates/year.html:{expected}: template: 'site_builder.model.ReportYear object' has no attribute 'nonexistent'"
    )


def _children() -> set[str]:
    """The names of this process's living child processes."""
    names = set()
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                names.add((Path("/proc") / pid / "comm").read_text().strip())
    return names


def test_a_build_failing_in_a_page_it_writes_leaves_no_process_behind(
    project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages render as the writer asks for them, outside the files' generator: it is closed
    # when writing fails, so Pagefind and the forked processes end with the build, not at
    # some later garbage collection (in a process forked meanwhile, that hung the process).
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    edit("templates/about.html", "{% block main %}\n", "{% block main %}\n<p>{{ site.nonexistent }}</p>\n")
    before = _children()
    gc.disable()  # nothing is collected by chance meanwhile
    try:
        assert "has no attribute 'nonexistent'" in refused(project, capsys)
        assert _children() == before
    finally:
        gc.enable()


def test_missing_template(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "templates/claim.html").unlink()
    assert refused(project, capsys) == "templates/claim.html:1: template: template is missing"


def test_feeds_and_downloads_made_in_a_forked_process_are_the_same(
    archive: Archive, site_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    forked: list[object] = []

    def spy(function: Callable[[], object]) -> Forked[object]:
        forked.append(function)
        return Forked(function)

    monkeypatch.setattr(archive_files, "Forked", spy)
    monkeypatch.setattr(render, "BACKGROUND_FROM", 0)
    whole_archive = {"feed.xml", "atom.xml"} | {name for name in site_files if name.startswith("data/")}
    assert len(whole_archive) == 6
    # Without a spool folder to write them into, they are made in this process.
    assert not any(isinstance(content, Spooled) for _, content in render.site_files(archive, ROOT, workers=2)) and not forked
    with spool_beside(tmp_path / "_site") as spool:
        produced = dict(render.site_files(archive, ROOT, workers=2, spool=Spool(spool)))
        assert {name for name, content in produced.items() if isinstance(content, Spooled)} == whole_archive
        assert len(list(spool.iterdir())) == len(whole_archive), "written there by the forked process"
        files = {name: content_of(content) for name, content in produced.items()}
    assert len(forked) == 1
    assert files == site_files


def test_while_a_worker_formats_the_citations_the_feeds_are_made_after_the_pages_that_need_none(
    archive: Archive, site_files: dict[str, bytes]
) -> None:
    whole_archive = {"feed.xml", "atom.xml"} | {name for name in site_files if name.startswith("data/")}

    def produced(formatter: csl.CslFormatter) -> list[tuple[str, bytes]]:
        try:
            with contextlib.closing(render.site_files(archive, ROOT, formatter)) as files:
                return [(name, content_of(content)) for name, content in files]
        finally:
            formatter.close()

    # Without a worker, they come first, before the pages: their working memory adds to little else.
    alone = [name for name, _ in produced(csl.CslFormatter())]
    assert set(alone[: len(whole_archive)]) == whole_archive
    ahead = csl.CslFormatter(workers=2)
    ahead.start_workers(csl.STYLES)
    files = produced(ahead)
    names = [name for name, _ in files]
    first = min(names.index(name) for name in whole_archive)
    assert set(names[first : first + len(whole_archive)]) == whole_archive
    cited = [index for index, name in enumerate(names) if name.endswith("cite.bib")]
    uncited = [names.index(name) for name in ("index.html", "about/index.html", "claims/index.html", "404.html")]
    assert max(uncited) < first < min(cited), "in the time the first page with a citation would wait for the worker"
    assert dict(files) == site_files


def test_a_failure_in_the_forked_process_leaves_the_previous_site(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = project / "_site"
    assert main(["--root", str(project), "build", "--out", str(out)]) == 0
    before = file_digests(out)

    def broken(*_: object) -> dict[str, bytes]:
        raise ValueError("feed failed")

    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    monkeypatch.setattr(render, "BACKGROUND_FROM", 0)
    monkeypatch.setattr(archive_files, "feed_parts", broken)
    with pytest.raises(BackgroundError, match="ValueError: feed failed"):
        main(["--root", str(project), "build", "--out", str(out), "--no-cache"])
    assert file_digests(out) == before
    assert not list(project.glob("._site.*")), "no staging or spool folder is left beside the site"


def test_compiling_templates_ahead_reports_only_what_a_page_uses(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Templates are compiled while citation workers format; a broken template no page uses
    # must not fail the build there, as it does not when pages are rendered one by one.
    (project / "templates" / "unused.html").write_text("{% if %}\n", encoding="utf-8")
    compiled: list[str] = []
    compile_ahead = templates.compile_all

    def spy(env: Environment) -> None:
        compiled.append("yes")
        compile_ahead(env)

    monkeypatch.setattr(render, "compile_all", spy)
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    monkeypatch.setattr(csl, "PARALLEL_FROM", 2)
    assert main(["--root", str(project), "build", "--out", str(project / "_site"), "--no-cache"]) == 0
    assert compiled == ["yes"]


def test_page_paths_are_the_views_paths_in_their_order(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    # A moved page in a year's folder too: its redirect page is in that year's search shard.
    edit("statements/2024-statement-2024-06-25.md", "slug: statement-2024-06-25", "slug: govt-refutes-us-report")
    edit(
        "data/redirects.yaml",
        "/claims/low-incidence/:",
        '"/2024/statement-2024-06-25/": "/2024/govt-refutes-us-report/"\n/claims/low-incidence/:',
    )
    for root in (ROOT, project):
        archive = load_archive(root)
        assert archive.redirects or root == ROOT
        site_urls = urls.SiteUrls(archive.site.base_url)
        made = views.page_views(archive, site_urls)
        assert views.page_paths(archive) == [view.path for view in made]
        assert views.indexed_paths(archive) == [view.path for view in made if not view.noindex], "what the sitemap lists"
        # Left out: the pages of some years, or those of the claims folder; the others as they were.
        some = views.page_views(archive, site_urls, years={2015, 2024}, claims=False)
        assert [view.path for view in some] == [
            view.path
            for view in made
            if not views.in_claims_folder(view.path) and (not view.path[:4].isdigit() or int(view.path[:4]) in (2015, 2024))
        ]


class _Order:
    """Which shards go to the search index before the views of every page are made, and the site built."""

    def __init__(self, project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.project, self.cache = project, cache
        self.events: list[str] = []
        close, page_views = search.ShardFeed.close, views.page_views

        def handed(feed: search.ShardFeed) -> None:
            self.events.append(feed._shard)
            close(feed)

        def viewed(*args: object, **kwargs: object) -> object:
            self.events.append("page_views")
            return page_views(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(search.ShardFeed, "close", handed)
        monkeypatch.setattr(sharded_pages, "page_views", viewed)

    def build(self) -> dict[str, bytes]:
        self.events.clear()
        memo = Memo(remember=False, store=BuildCache(self.cache))
        return render.render_site(load_archive(self.project, memo=memo), self.project, csl.CslFormatter(), memo)

    def before_views(self) -> list[str]:
        return self.events[: self.events.index("page_views")]


def test_a_rebuild_hands_the_edited_statements_shard_to_the_index_before_the_other_views(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = _Order(project, tmp_path / "results", monkeypatch)
    order.build()
    assert order.before_views() == [], "a first build meets every statement: no shard goes first"
    text = project / "statements/2024-statement-2024-06-25.md"
    text.write_text(text.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    files = order.build()
    assert order.before_views() == ["2020s"]
    assert order.events.count("2020s") == 1, "handed over once"
    assert files == render.render_site(load_archive(project), project, csl.CslFormatter()), "the same as a build without a cache"
    order.build()
    assert order.before_views() == [], "nothing edited since"


def test_a_shard_holding_a_moved_page_waits_for_every_view(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str, str, str], Path]
) -> None:
    edit("statements/2024-statement-2024-06-25.md", "slug: statement-2024-06-25", "slug: govt-refutes-us-report")
    edit(
        "data/redirects.yaml",
        "/claims/low-incidence/:",
        '"/2024/statement-2024-06-25/": "/2024/govt-refutes-us-report/"\n/claims/low-incidence/:',
    )
    order = _Order(project, tmp_path / "results", monkeypatch)
    order.build()
    edit("statements/2024-statement-2024-06-25.md", "---\n\n", "---\n\nA paragraph added to the text.\n\n")
    files = order.build()
    assert order.before_views() == [] and order.events.count("2020s") == 1
    assert files == render.render_site(load_archive(project), project, csl.CslFormatter())
