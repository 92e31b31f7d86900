"""Render: turn the validated archive into every file of the site.

One Jinja2 environment per build. Files are produced one at a time (`site_files`), so a build
can write each and let it go; `render_site` collects them when the whole site is wanted in
memory (the preview server, comparing two builds).
"""

from __future__ import annotations

import contextlib
import functools
import html
from collections.abc import Generator
from pathlib import Path

from . import urls
from .archive_files import ArchiveFiles, Spool
from .csl import CslFormatter
from .memo import Memo
from .model import Archive
from .outline import Outlines
from .pages import PageRenderer
from .search import PagefindProcess, SearchIndexer
from .sharded_pages import ShardedPages, citing_order
from .templates import CompiledAhead, CompiledTemplates, compile_all, create_environment, templates_digest
from .views import Citations, indexed_paths
from .writer import Content, content_of

# From this many statements, a one-shot build's feeds and downloads (about 0.3 s at 1,000) are
# made by a forked process; below it, forking costs more than it saves.
BACKGROUND_FROM = 100


def _sitemap(paths: list[str], site_urls: urls.SiteUrls) -> bytes:
    # Escapes &, < and > as xml.sax.saxutils.escape would, without its import of urllib.request (start-up time).
    entries = "".join(f"  <url><loc>{html.escape(site_urls.absolute(path), quote=False)}</loc></url>\n" for path in paths)
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
    pagefind: PagefindProcess | None = None,
    spool: Spool | None = None,
) -> Generator[tuple[str, Content], None, None]:
    """Every output file of the site, as (relative path, content), one at a time: pages with a
    key as `Keyed` (read back or rendered only when their bytes are asked for), files written by
    a forked process as `Spooled`, the rest as bytes.

    Files are produced as they are rendered, so a build can write each one and let it go
    instead of holding the whole site (peak memory). Each path comes once; the order carries
    no meaning. With a memo kept from an earlier build (as `serve` keeps one), only the pages,
    citations, feeds and downloads whose inputs changed are computed again; the result is the same.
    With several workers and a `spool`, a large archive's feeds and downloads are made and
    written into its folder (on the output's file system) by a forked process while this one
    renders the pages, spliced from the copies the spool keeps, if it keeps any. Templates
    compiled ahead (`compiled_ahead`) are taken from the process that compiled them; a Pagefind
    process started ahead (`pagefind`) indexes the first shard, and is closed with the others.
    """
    memo = Memo(remember=False) if memo is None else memo
    site_urls = urls.SiteUrls(archive.site.base_url)
    csl = csl or CslFormatter()
    whole_archive: ArchiveFiles | None = None
    try:
        # The whole-archive outputs (feeds, data downloads). A large archive's are made by a
        # forked process (see below), forked first: on a rebuild, its work (about 45 ms of CPU at
        # 1,000 statements, most of it importing feedgen) is then done on the core this process
        # leaves idle until the edited shard goes to Pagefind, instead of competing with Pagefind
        # for a core on the rebuild's longest path.
        fork = not memo.holds and workers > 1 and len(archive.statements) >= BACKGROUND_FROM
        whole_archive = made = ArchiveFiles(archive, site_urls, memo, spool=spool if fork else None)
        # Missing citations are formatted by worker processes, when there are enough of them,
        # while this process makes what needs no citation. The pass begins next: a cold build's
        # longest path is its worker's.
        outlines = Outlines(archive, memo)
        citations = Citations(archive, site_urls, csl, memo, outlines, functools.partial(citing_order, archive))
        templates = root / "templates"
        # Any template change invalidates every page: templates are few and shared by all pages.
        templates_key = templates_digest(templates)
        env = memo.get(
            "environment",
            (templates_key, str(templates), archive.site.base_url),
            lambda: create_environment(templates, site_urls, CompiledTemplates(memo.store, compiled_ahead)),
        )
        # A one-shot build with the whole-archive outputs' parts to make makes them now, when their
        # working memory adds to little else (peak RSS), or while a worker formats the citations
        # (see below), or in the forked process while it renders the pages. Otherwise they are put
        # together while Pagefind indexes: the preview server's edit reaches the browser sooner.
        early = not memo.holds and not made.forked and made.to_make
        # While worker processes format the citations, they are made after the pages that need
        # none, in the time the first page that needs one would wait for them (`ShardedPages.rest`).
        meanwhile = (lambda: made.files().items()) if early and csl.formatting_elsewhere else None
        if early and meanwhile is None:
            yield from made.files().items()
        if csl.formatting_elsewhere:
            compile_all(env)
        renderer = PageRenderer(env, archive, root, templates_key, memo, outlines)
        with SearchIndexer(archive.site.language, memo, pagefind) as indexer:
            pages = ShardedPages(archive, site_urls, memo, citations, outlines, renderer, indexer)
            yield from pages.first()
            yield from pages.rest(meanwhile)
            if not early:
                yield from made.files().items()
            yield "sitemap.xml", _sitemap(indexed_paths(archive), site_urls)
            # Crawlers read robots.txt only at a host's root: below a path it is a template for the host's own.
            yield "robots.txt", f"User-agent: *\nAllow: {site_urls.base_path}\nSitemap: {site_urls.absolute('sitemap.xml')}\n".encode()
            yield from _static_files(root / "static").items()
            yield from indexer.bundle()
    except BaseException:
        csl.abandon()
        raise
    finally:
        if whole_archive is not None:
            whole_archive.close()


def render_site(archive: Archive, root: Path, csl: CslFormatter | None = None, memo: Memo | None = None) -> dict[str, bytes]:
    """Every output file of the site in memory, sorted by path: relative path -> bytes."""
    files: dict[str, bytes] = {}
    with contextlib.closing(site_files(archive, root, csl, memo)) as produced:
        for name, content in produced:
            if name in files:
                raise ValueError(f"{name} is produced twice")
            files[name] = content_of(content)
    return dict(sorted(files.items()))
