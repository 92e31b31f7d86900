"""Render: turn the validated archive into every file of the site, in memory.

One Jinja2 environment per build; the result is a mapping of output path to bytes, so
writing (and comparing two builds) is a separate, simple step.
"""

from __future__ import annotations

import contextlib
import hashlib
import traceback
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    meta,
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
    entries = "".join(f"  <url><loc>{escape(site_urls.absolute(v.path))}</loc></url>\n" for v in views if not v.noindex)
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


def _template_variables(env: Environment, name: str) -> frozenset[str] | None:
    """The variables a template and every template it extends, includes or imports may read;
    None when a template is chosen at render time, so any variable may be read."""
    seen: set[str] = set()
    variables: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        source = env.loader.get_source(env, current)[0] if env.loader else ""
        tree = env.parse(source, name=current)
        variables |= meta.find_undeclared_variables(tree)
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:
                return None
            pending.append(referenced)
    return frozenset(variables)


def _render_page(env: Environment, archive: Archive, view: PageView, templates_key: str, memo: Memo) -> bytes:
    template = env.get_template(view.template)

    def render() -> bytes:
        return template.render(archive=archive, site=archive.site, page=view, **view.context).encode()

    if not memo.remembers:
        return render()  # the inputs below exist only to key results that a one-shot build discards
    variables = memo.get(
        "template variables", (templates_key, view.template), lambda: _template_variables(env, view.template), durable=True
    )
    # A page reads the whole archive only if its templates name it (the home, about and 404 pages).
    reads_archive = variables is None or "archive" in variables
    return memo.get("page", (templates_key, archive if reads_archive else archive.site, view), render, durable=True)


def render_site(archive: Archive, root: Path, csl: CslFormatter | None = None, memo: Memo | None = None) -> dict[str, bytes]:
    """Every output file of the site: relative path -> bytes.

    With a memo kept from an earlier build (as `serve` keeps one), only the pages, citations,
    feeds and downloads whose inputs changed are computed again; the result is the same.
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
    files: dict[str, bytes] = {}
    # The whole-archive outputs first: their working memory then adds to little else (peak RSS).
    files.update(memo.get("feeds", archive, lambda: feed_files(archive, site_urls.absolute)))
    files.update(memo.get("data downloads", archive, lambda: data_files(archive, site_urls.absolute)))
    views = page_views(archive, site_urls, csl, memo)
    # Rendered a search shard at a time, each shard indexed (by Pagefind, a process of its own)
    # while the next is rendered; the files are sorted at the end, so the order never shows.
    by_shard: dict[str, list[PageView]] = {}
    for view in views:
        by_shard.setdefault(shard_of(view.output), []).append(view)
    with SearchIndexer(archive.site.language, memo) as indexer:
        for shard_views in by_shard.values():
            for view in shard_views:
                with _template_problems(root, view.template):
                    files[view.output] = _render_page(env, archive, view, templates_key, memo)
                if view.citation is not None:
                    files.update(_citation_files(view.path, view.citation))
            indexer.add({view.output: files[view.output] for view in shard_views})
        files.update(indexer.bundle())
    # A moved page's citation downloads stay available at its old address too.
    for old, new in archive.redirects:
        for kind in urls.CITATION_FORMATS:
            moved = files.get(urls.citation(new.lstrip("/"), kind))
            if moved is not None:
                files[urls.citation(old.lstrip("/"), kind)] = moved
    files["sitemap.xml"] = _sitemap(views, site_urls)
    # Crawlers read robots.txt only at a host's root: below a path it is a template for the host's own.
    files["robots.txt"] = f"User-agent: *\nAllow: {site_urls.base_path}\nSitemap: {site_urls.absolute('sitemap.xml')}\n".encode()
    files.update(_static_files(root / "static"))
    return dict(sorted(files.items()))
