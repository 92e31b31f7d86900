"""Render: turn the validated archive into every file of the site, in memory.

One Jinja2 environment per build; the result is a mapping of output path to bytes, so
writing (and comparing two builds) is a separate, simple step.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

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
from .chart import tier_chart
from .citations import Citation, cite_statement, cite_year
from .errors import ContentError, ContentErrors, display_path
from .exports import data_files
from .feeds import feed_files
from .model import Archive, ReportYear, Statement
from .pages import (
    PageView,
    claim_matrix,
    claim_occurrences,
    long_date,
    page_metadata,
    statement_metadata,
    year_metadata,
)

REDIRECTS_FILE = "data/redirects.yaml"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def create_environment(templates: Path, site_urls: urls.SiteUrls) -> Environment:
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
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    env.globals["rss_url"] = site_urls.local(urls.RSS)
    env.globals["atom_url"] = site_urls.local(urls.ATOM)
    return env


def _citation_files(page: str, citation: Citation) -> dict[str, bytes]:
    return {
        urls.citation(page, "bib"): citation.bibtex.encode("utf-8"),
        urls.citation(page, "ris"): citation.ris.encode("utf-8"),
        urls.citation(page, "csl"): citation.csl_json.encode("utf-8"),
    }


def _neighbours(years: tuple[ReportYear, ...], index: int) -> tuple[ReportYear | None, ReportYear | None]:
    previous = years[index - 1] if index > 0 else None
    following = years[index + 1] if index + 1 < len(years) else None
    return previous, following


def _year_view(archive: Archive, index: int, site_urls: urls.SiteUrls) -> PageView:
    year = archive.years[index]
    path = urls.year(year.year)
    title = f"{year.year}: Macao in the Trafficking in Persons Report"
    statements = len(year.statements)
    description = f"Macao was placed on {year.tier} in the {year.year} Trafficking in Persons Report. " + (
        f"The archive holds {statements} government response(s)."
        if statements
        else "The archive holds no government response for this year yet."
    )
    previous, following = _neighbours(archive.years, index)
    citation = cite_year(year, site_urls.absolute(path), archive.site)
    return PageView(
        path=path,
        template="year.html",
        title=title,
        description=description,
        metadata=year_metadata(year, archive, site_urls.absolute(path), title, description),
        context={"year": year, "previous": previous, "next": following},
        citation=citation,
    )


def _statement_view(archive: Archive, statement: Statement, site_urls: urls.SiteUrls) -> PageView:
    path = statement.url
    year = next(y for y in archive.years if y.year == statement.year)
    return PageView(
        path=path,
        template="statement.html",
        title=f"{statement.year}: {statement.heading}",
        description=statement.summary,
        metadata=statement_metadata(statement, archive, site_urls.absolute(path)),
        context={"statement": statement, "year": year},
        citation=cite_statement(statement, site_urls.absolute(path), archive.site),
    )


def _view(
    archive: Archive,
    site_urls: urls.SiteUrls,
    path: str,
    template: str,
    title: str,
    description: str,
    kind: str = "WebPage",
    **options: Any,
) -> PageView:
    """A page whose metadata follows from its own title, description and address."""
    metadata = page_metadata(title, description, site_urls.absolute(path), archive, kind)
    return PageView(path=path, template=template, title=title, description=description, metadata=metadata, **options)


def page_views(archive: Archive, site_urls: urls.SiteUrls) -> list[PageView]:
    """Every HTML page of the URL contract, plus redirect pages for moved URLs."""
    absolute = site_urls.absolute
    site = archive.site
    views = [
        _view(
            archive,
            site_urls,
            urls.HOME,
            "index.html",
            site.title,
            site.description,
            kind="CollectionPage",
            context={"chart": tier_chart(archive.years)},
        )
    ]
    views += [_year_view(archive, i, site_urls) for i in range(len(archive.years))]
    views += [_statement_view(archive, s, site_urls) for s in archive.statements]
    matrix_years, matrix_rows = claim_matrix(archive)
    claims_description = "Every claim made in Macao's responses, with the report years that make it."
    views.append(
        _view(
            archive,
            site_urls,
            urls.CLAIMS,
            "claims.html",
            "Claims across years",
            claims_description,
            context={"matrix_years": matrix_years, "matrix_rows": matrix_rows},
        )
    )
    views += [
        _view(
            archive,
            site_urls,
            urls.claim(claim.id),
            "claim.html",
            f"Claim: {claim.label}",
            claim.definition,
            context={"claim": claim, "occurrences": claim_occurrences(archive, claim.id)},
        )
        for claim in archive.claims
    ]
    about_description = "How the archive collects, transcribes and annotates Macao's responses, and how to report a correction."
    views.append(
        _view(archive, site_urls, urls.ABOUT, "about.html", "About the archive and its method", about_description, kind="AboutPage")
    )
    views.append(_view(archive, site_urls, "404.html", "404.html", "Page not found", "No page at this address.", noindex=True))
    _check_redirects(archive, {v.path for v in views})
    for old, new in archive.redirects:
        views.append(
            PageView(
                path=old.lstrip("/"),
                template="redirect.html",
                title="This page has moved",
                description=f"Moved to {absolute(new.lstrip('/'))}",
                metadata=page_metadata("This page has moved", "Moved.", absolute(new.lstrip("/")), archive),
                context={"target": new.lstrip("/")},
                noindex=True,
                canonical_path=new.lstrip("/"),
            )
        )
    return views


def _check_redirects(archive: Archive, pages: set[str]) -> None:
    """A redirect must leave a page that no longer exists, for one that does."""
    errors = []
    for old, new in archive.redirects:
        if old.lstrip("/") in pages:
            errors.append(ContentError(REDIRECTS_FILE, 1, old, "this path is still a page of the site; a redirect would hide it"))
        if new.lstrip("/") not in pages:
            errors.append(ContentError(REDIRECTS_FILE, 1, old, f"redirect target {new} is not a page of the site"))
    if errors:
        raise ContentErrors(errors)


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


def render_site(archive: Archive, root: Path) -> dict[str, bytes]:
    """Every output file of the site: relative path -> bytes."""
    site_urls = urls.SiteUrls(archive.site.base_url)
    env = create_environment(root / "templates", site_urls)
    views = page_views(archive, site_urls)
    files: dict[str, bytes] = {}
    for view in views:
        with _template_problems(root, view.template):
            template = env.get_template(view.template)
            html = template.render(archive=archive, site=archive.site, page=view, **view.context)
        files[view.output] = html.encode("utf-8")
        if view.citation is not None:
            files.update(_citation_files(view.path, view.citation))
    # A moved page's citation downloads stay available at its old address too.
    for old, new in archive.redirects:
        for kind in urls.CITATION_FORMATS:
            moved = files.get(urls.citation(new.lstrip("/"), kind))
            if moved is not None:
                files[urls.citation(old.lstrip("/"), kind)] = moved
    files.update(feed_files(archive, site_urls.absolute))
    files.update(data_files(archive, site_urls.absolute))
    files["sitemap.xml"] = _sitemap(views, site_urls)
    files["robots.txt"] = f"User-agent: *\nAllow: /\nSitemap: {site_urls.absolute('sitemap.xml')}\n".encode()
    files.update(_static_files(root / "static"))
    return dict(sorted(files.items()))
