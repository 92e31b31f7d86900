"""Render: turn the validated archive into every file of the site.

One Jinja2 environment per build. Files are produced one at a time (`site_files`), so a build
can write each and let it go; `render_site` collects them when the whole site is wanted in
memory (the preview server, comparing two builds).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import traceback
from collections.abc import Iterator
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)

from . import urls
from .citations import Citation
from .csl import CslFormatter
from .errors import ContentError, ContentErrors, display_path
from .exports import data_files
from .feeds import feed_files
from .memo import Memo
from .model import Archive
from .search import SearchIndexer, shard_of
from .views import PageView, long_date, page_views


def create_environment(templates: Path, site_urls: urls.SiteUrls) -> Environment:
    # No bytecode cache: Jinja2 folds filters of constants (`'' | url`) into the compiled
    # template, so a template compiled for one base URL would be wrong for another.
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["url"] = site_urls.local
    env.filters["absolute"] = site_urls.absolute
    env.filters["long_date"] = long_date
    env.globals["rss_url"] = site_urls.local(urls.RSS)
    env.globals["atom_url"] = site_urls.local(urls.ATOM)
    return env


def _citation_files(page: str, citation: Citation) -> dict[str, bytes]:
    return {
        urls.citation(page, "bib"): citation.bibtex.encode("utf-8"),
        urls.citation(page, "ris"): citation.ris.encode("utf-8"),
        urls.citation(page, "csl"): citation.csl_json.encode("utf-8"),
    }


def _sitemap(views: list[PageView], site_urls: urls.SiteUrls) -> bytes:
    # Escapes &, < and > as xml.sax.saxutils.escape would, without its import of urllib.request (start-up time).
    entries = "".join(f"  <url><loc>{html.escape(site_urls.absolute(v.path), quote=False)}</loc></url>\n" for v in views if not v.noindex)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
    ).encode()


def _static_files(static: Path) -> dict[str, bytes]:
    return {"assets/" + path.relative_to(static).as_posix(): path.read_bytes() for path in sorted(static.rglob("*")) if path.is_file()}


@contextlib.contextmanager
def _template_problems(root: Path, name: str) -> Iterator[None]:
    """A broken or missing template is reported like content: file, line, message."""
    templates = root / "templates"
    try:
        yield
    except TemplateNotFound as error:
        raise ContentErrors([ContentError(f"templates/{error.name}", 1, "template", "template is missing")]) from None
    except TemplateSyntaxError as error:
        where = f"templates/{error.name or name}"
        raise ContentErrors([ContentError(where, error.lineno, "template", f"syntax error: {error.message}")]) from None
    except TemplateError as error:
        # Jinja2 rewrites tracebacks so that template frames carry the template's file and line.
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).is_relative_to(templates)]
        where = display_path(Path(frames[-1].filename), root) if frames else f"templates/{name}"
        line = (frames[-1].lineno or 1) if frames else 1
        raise ContentErrors([ContentError(where, line, "template", str(error.message or error))]) from None


def _templates_digest(templates: Path) -> str:
    """One digest of every template's name and content."""
    digest = hashlib.sha256()
    for path in sorted(templates.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(templates).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# Tags that name another template: what it reads is read by the page too.
_REFERENCING = frozenset({"extends", "include", "import", "from"})


def _template_names(env: Environment, name: str) -> frozenset[str] | None:
    """Every name a template, and each template it extends, includes or imports, mentions: a
    superset of the variables it may read, found by lexing (parsing costs ten times more).
    None when a template is chosen at render time, so any variable may be read."""
    seen: set[str] = set()
    names: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        source = env.loader.get_source(env, current)[0] if env.loader else ""
        tokens = list(env.lexer.tokenize(source, current))
        for index, token in enumerate(tokens):
            if token.type != "name":
                continue
            names.add(token.value)
            if token.value in _REFERENCING and index > 0 and tokens[index - 1].type == "block_begin":
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                if following is None or following.type != "string":
                    return None
                pending.append(following.value)
    return frozenset(names)


def _render_page(env: Environment, archive: Archive, view: PageView, templates_key: str, memo: Memo) -> bytes:
    template = env.get_template(view.template)

    def render() -> bytes:
        return template.render(archive=archive, site=archive.site, page=view, **view.context).encode()

    if not memo.remembers:
        return render()  # the inputs below exist only to key results that a one-shot build discards
    names = memo.get("template names", (templates_key, view.template), lambda: _template_names(env, view.template))
    # A page reads the whole archive only if its templates name it (the home, about and 404 pages).
    reads_archive = names is None or "archive" in names
    return memo.get("page", (templates_key, archive if reads_archive else archive.site, view), render, durable=True)


def site_files(archive: Archive, root: Path, csl: CslFormatter | None = None, memo: Memo | None = None) -> Iterator[tuple[str, bytes]]:
    """Every output file of the site, as (relative path, bytes), one at a time.

    Files are produced as they are rendered, so a build can write each one and let it go
    instead of holding the whole site (peak memory). Each path comes once; the order carries
    no meaning. With a memo kept from an earlier build (as `serve` keeps one), only the pages,
    citations, feeds and downloads whose inputs changed are computed again; the result is the same.
    """
    memo = Memo(remember=False) if memo is None else memo
    templates = root / "templates"
    site_urls = urls.SiteUrls(archive.site.base_url)
    # Any template change invalidates every page: templates are few and shared by all pages.
    templates_key = _templates_digest(templates)
    env = memo.get(
        "environment",
        (templates_key, str(templates), archive.site.base_url),
        lambda: create_environment(templates, site_urls),
    )
    # The whole-archive outputs first: their working memory then adds to little else (peak RSS).
    # A one-shot build never asks twice, so it does not hold them.
    if memo.holds:
        yield from memo.get("feeds", archive, lambda: feed_files(archive, site_urls.absolute)).items()
        yield from memo.get("data downloads", archive, lambda: data_files(archive, site_urls.absolute)).items()
    else:
        yield from feed_files(archive, site_urls.absolute).items()
        yield from data_files(archive, site_urls.absolute).items()
    views = page_views(archive, site_urls, csl, memo)
    # A moved page's citation downloads stay available at its old address too.
    moved: dict[str, list[str]] = {}
    for old, new in archive.redirects:
        for kind in urls.CITATION_FORMATS:
            moved.setdefault(urls.citation(new.lstrip("/"), kind), []).append(urls.citation(old.lstrip("/"), kind))
    # Rendered a search shard at a time, each shard indexed (by Pagefind, a process of its own)
    # while the next is rendered.
    by_shard: dict[str, list[PageView]] = {}
    for view in views:
        by_shard.setdefault(shard_of(view.output), []).append(view)
    with SearchIndexer(archive.site.language, memo) as indexer:
        for shard_views in by_shard.values():
            pages: dict[str, bytes] = {}
            for view in shard_views:
                with _template_problems(root, view.template):
                    pages[view.output] = _render_page(env, archive, view, templates_key, memo)
                yield view.output, pages[view.output]
                if view.citation is not None:
                    for name, content in _citation_files(view.path, view.citation).items():
                        yield name, content
                        for old in moved.get(name, ()):
                            yield old, content
            indexer.add(pages)
        yield from indexer.bundle().items()
    yield "sitemap.xml", _sitemap(views, site_urls)
    # Crawlers read robots.txt only at a host's root: below a path it is a template for the host's own.
    yield "robots.txt", f"User-agent: *\nAllow: {site_urls.base_path}\nSitemap: {site_urls.absolute('sitemap.xml')}\n".encode()
    yield from _static_files(root / "static").items()


def render_site(archive: Archive, root: Path, csl: CslFormatter | None = None, memo: Memo | None = None) -> dict[str, bytes]:
    """Every output file of the site in memory, sorted by path: relative path -> bytes."""
    files: dict[str, bytes] = {}
    for name, content in site_files(archive, root, csl, memo):
        if name in files:
            raise ValueError(f"{name} is produced twice")
        files[name] = content
    return dict(sorted(files.items()))
