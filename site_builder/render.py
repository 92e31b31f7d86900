"""Render: turn the validated archive into every file of the site.

One Jinja2 environment per build. Files are produced one at a time (`site_files`), so a build
can write each and let it go; `render_site` collects them when the whole site is wanted in
memory (the preview server, comparing two builds).
"""

from __future__ import annotations

import contextlib
import functools
import html
from collections.abc import Generator, Iterator
from pathlib import Path

from . import urls
from .archive_files import ArchiveFiles
from .csl import CslFormatter
from .memo import Memo
from .model import Archive
from .outline import Outlines
from .pages import PageRenderer
from .search import SearchIndexer, shards_of
from .templates import CompiledAhead, CompiledTemplates, compile_all, create_environment, templates_digest
from .views import Citations, PageCitation, PageView, check_redirects, page_paths, page_views, year_views
from .writer import Content, Keyed, content_of

# From this many statements, a one-shot build's feeds and downloads (about 0.3 s at 1,000) are
# made by a forked process; below it, forking and passing the result back cost more than they save.
BACKGROUND_FROM = 100


def _citation_files(page: str, citation: PageCitation) -> dict[str, Content]:
    """The page's citation downloads; with a key, as `Keyed`: a rebuild then reads a remembered
    citation back only for the downloads the site's files do not already hold."""
    files: dict[str, Content] = {}
    for kind, field in (("bib", "bibtex"), ("ris", "ris"), ("csl", "csl_json")):
        make = functools.partial(_download, citation, field)
        files[urls.citation(page, kind)] = make() if citation.key is None else Keyed(f"{citation.key}.{kind}", make)
    return files


def _download(citation: PageCitation, field: str) -> bytes:
    text: str = getattr(citation.citation, field)
    return text.encode("utf-8")


def _sitemap(views: list[PageView], site_urls: urls.SiteUrls) -> bytes:
    # Escapes &, < and > as xml.sax.saxutils.escape would, without its import of urllib.request (start-up time).
    entries = "".join(f"  <url><loc>{html.escape(site_urls.absolute(v.path), quote=False)}</loc></url>\n" for v in views if not v.noindex)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
    ).encode()


def _static_files(static: Path) -> dict[str, bytes]:
    return {"assets/" + path.relative_to(static).as_posix(): path.read_bytes() for path in sorted(static.rglob("*")) if path.is_file()}


def site_files(
    archive: Archive,
    root: Path,
    csl: CslFormatter | None = None,
    memo: Memo | None = None,
    workers: int = 1,
    compiled_ahead: CompiledAhead | None = None,
) -> Generator[tuple[str, Content], None, None]:
    """Every output file of the site, as (relative path, content), one at a time: pages with a
    key as `Keyed` (read back or rendered only when their bytes are asked for), the rest as bytes.

    Files are produced as they are rendered, so a build can write each one and let it go
    instead of holding the whole site (peak memory). Each path comes once; the order carries
    no meaning. With a memo kept from an earlier build (as `serve` keeps one), only the pages,
    citations, feeds and downloads whose inputs changed are computed again; the result is the same.
    With several workers, a large archive's feeds and downloads are made by a forked process
    while this one renders the pages. Templates compiled ahead (`compiled_ahead`) are taken
    from the process that compiled them.
    """
    memo = Memo(remember=False) if memo is None else memo
    templates = root / "templates"
    site_urls = urls.SiteUrls(archive.site.base_url)
    # Any template change invalidates every page: templates are few and shared by all pages.
    templates_key = templates_digest(templates)
    env = memo.get(
        "environment",
        (templates_key, str(templates), archive.site.base_url),
        lambda: create_environment(templates, site_urls, CompiledTemplates(memo.store, compiled_ahead)),
    )
    # The whole-archive outputs (feeds, data downloads). A one-shot build with their parts to
    # make makes them first, when their working memory adds to little else (peak RSS), or in a
    # forked process while it renders the pages. Otherwise they are put together while Pagefind
    # indexes: the preview server's edit reaches the browser sooner.
    whole_archive = ArchiveFiles(
        archive, site_urls, memo, fork=not memo.holds and workers > 1 and len(archive.statements) >= BACKGROUND_FROM
    )
    csl = csl or CslFormatter()
    try:
        # Missing citations are formatted by worker processes, when there are enough of them,
        # while this process makes what needs no citation.
        outlines = Outlines(archive, memo)
        citations = Citations(archive, site_urls, csl, memo, outlines)
        early = not memo.holds and not whole_archive.forked and whole_archive.to_make
        if early:
            yield from whole_archive.files().items()
        if csl.formatting_elsewhere:
            compile_all(env)
        renderer = PageRenderer(env, archive, root, templates_key, memo, outlines)
        plan = shards_of(urls.output_file(path) for path in page_paths(archive))
        moved = _moved_downloads(archive.redirects)
        with SearchIndexer(archive.site.language, memo) as indexer:
            # A rebuild's longest path is Pagefind's run on the shard of an edited statement: that
            # shard goes first, before the other pages' views are made.
            handed = yield from _first_shards(archive, site_urls, memo, citations, outlines, renderer, plan, moved, indexer)
            views = page_views(archive, site_urls, csl, memo, citations)
            yield from _pages_by_shard(views, renderer, plan, moved, indexer, handed)
            if not early:
                yield from whole_archive.files().items()
            yield "sitemap.xml", _sitemap(views, site_urls)
            # Crawlers read robots.txt only at a host's root: below a path it is a template for the host's own.
            yield "robots.txt", f"User-agent: *\nAllow: {site_urls.base_path}\nSitemap: {site_urls.absolute('sitemap.xml')}\n".encode()
            yield from _static_files(root / "static").items()
            yield from indexer.bundle().items()
    except BaseException:
        csl.abandon()
        raise
    finally:
        whole_archive.close()


def _moved_downloads(redirects: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """A moved page's citation downloads stay available at its old address too: new -> old paths."""
    moved: dict[str, list[str]] = {}
    for old, new in redirects:
        for kind in urls.CITATION_FORMATS:
            moved.setdefault(urls.citation(new.lstrip("/"), kind), []).append(urls.citation(old.lstrip("/"), kind))
    return moved


def _first_shards(
    archive: Archive,
    site_urls: urls.SiteUrls,
    memo: Memo,
    citations: Citations,
    outlines: Outlines,
    renderer: PageRenderer,
    plan: dict[str, str],
    moved: dict[str, list[str]],
    indexer: SearchIndexer,
) -> Generator[tuple[str, Content], None, set[str]]:
    """The pages of the shards holding the statements this build met for the first time (a
    rebuild's edited ones), each shard handed to the indexer, made from those years' views
    alone; returns the shards handed over. None when most statements or shards are new (a
    first build), nor a shard with a page other than its years' and statements' (a moved
    page's) or one whose citation is still being formatted elsewhere (rendered later instead)."""
    unremembered = outlines.unremembered()
    shards = {plan[urls.output_file(statement.url)] for statement in unremembered}
    if not shards or 2 * len(unremembered) > len(archive.statements) or 2 * len(shards) > len(set(plan.values())):
        return set()
    check_redirects(archive)  # as `page_views` does first: its problems are reported before any page's
    years = {year.year for year in archive.years if plan[urls.output_file(year.url)] in shards}
    by_shard: dict[str, list[PageView]] = {}
    for view in year_views(archive, site_urls, memo, citations, years):
        by_shard.setdefault(plan[view.output], []).append(view)
    handed: set[str] = set()
    for shard in sorted(shards):
        shard_views = by_shard.get(shard, [])
        waits = any(view.citation is not None and view.citation.waits for view in shard_views)
        if not waits and {view.output for view in shard_views} == {output for output, planned in plan.items() if planned == shard}:
            yield from _shard_files(shard, shard_views, renderer, moved, indexer)
            handed.add(shard)
    return handed


def _pages_by_shard(
    views: list[PageView],
    renderer: PageRenderer,
    plan: dict[str, str],
    moved: dict[str, list[str]],
    indexer: SearchIndexer,
    handed: set[str],
) -> Iterator[tuple[str, Content]]:
    """Every page with its citation downloads, but those of the shards already `handed` over, a
    search shard at a time, each shard handed to the indexer (Pagefind, a process of its own)
    to index while the next is rendered."""
    if set(plan) != {view.output for view in views}:
        raise RuntimeError("the search shards were planned from other pages than the views'")
    by_shard: dict[str, list[PageView]] = {}
    for view in views:
        if plan[view.output] not in handed:
            by_shard.setdefault(plan[view.output], []).append(view)
    # Shards with pages to render go first, so that on a rebuild their indexing overlaps the
    # reading back of the others instead of being waited for at the end; among them, those whose
    # pages need no citation still being formatted, which are rendered meanwhile; then the
    # largest, whose indexing takes longest (a rebuild waits for a decade's, not the site's few pages).
    remembered = renderer.remembered([view for shard_views in by_shard.values() for view in shard_views])
    shards = sorted(by_shard.items(), key=lambda shard: _shard_order(shard[1], remembered))
    for shard, shard_views in shards:
        yield from _shard_files(shard, shard_views, renderer, moved, indexer)


def _shard_files(
    shard: str, views: list[PageView], renderer: PageRenderer, moved: dict[str, list[str]], indexer: SearchIndexer
) -> Iterator[tuple[str, Content]]:
    """The shard's pages with their citation downloads; then the shard goes to the indexer."""
    pages: dict[str, Content] = {}
    for view in views:
        pages[view.output] = renderer.output(view)
        yield view.output, pages[view.output]
        if view.citation is not None:
            for name, content in _citation_files(view.path, view.citation).items():
                yield name, content
                for old in moved.get(name, ()):
                    yield old, content
    indexer.add(shard, pages)


def _shard_order(views: list[PageView], remembered: set[str]) -> tuple[bool, bool, int]:
    unchanged = all(view.output in remembered for view in views)
    return unchanged, any(view.citation is not None and view.citation.waits for view in views), -len(views)


def render_site(archive: Archive, root: Path, csl: CslFormatter | None = None, memo: Memo | None = None) -> dict[str, bytes]:
    """Every output file of the site in memory, sorted by path: relative path -> bytes."""
    files: dict[str, bytes] = {}
    with contextlib.closing(site_files(archive, root, csl, memo)) as produced:
        for name, content in produced:
            if name in files:
                raise ValueError(f"{name} is produced twice")
            files[name] = content_of(content)
    return dict(sorted(files.items()))
