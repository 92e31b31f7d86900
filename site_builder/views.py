"""Which pages the site has, and what each one shows.

Every HTML page is described here as a PageView (address, template, title, metadata and the
data its template lays out), so templates hold layout only and render.py only renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from . import urls
from .chart import tier_chart
from .citations import Citation, cite_statement, cite_year, prepare_citations
from .csl import CslFormatter
from .errors import ContentError, ContentErrors
from .memo import Memo
from .metadata import Metadata, page_metadata, statement_metadata, year_metadata
from .model import Archive, ClaimDefinition, Passage, ReportYear, Statement

REDIRECTS_FILE = "data/redirects.yaml"
T = TypeVar("T")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")

# Every page forbids script; only the search page runs the site's own script (and Pagefind's
# WebAssembly, which needs 'wasm-unsafe-eval'). Its index and fragments load with fetch,
# allowed by default-src 'self'.
NO_SCRIPT_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)
SEARCH_POLICY = NO_SCRIPT_POLICY.replace("script-src 'none'", "script-src 'self' 'wasm-unsafe-eval'")


def long_date(value: str | None) -> str:
    """ "2024-06-25" -> "25 June 2024" (fixed English month names, no locale dependence)."""
    if not value:
        return "unknown"
    day = date.fromisoformat(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class MatrixColumn:
    """One archived text: its year, and its date where the year has several responses."""

    statement: Statement
    label: str


@dataclass(frozen=True)
class MatrixCell:
    column: MatrixColumn
    passages: tuple[Passage, ...]

    @property
    def made(self) -> bool:
        return bool(self.passages)


@dataclass(frozen=True)
class MatrixRow:
    claim: ClaimDefinition
    cells: tuple[MatrixCell, ...]

    @property
    def year_count(self) -> int:
        return len({cell.column.statement.year for cell in self.cells if cell.made})


def claim_matrix(archive: Archive) -> tuple[tuple[MatrixColumn, ...], tuple[MatrixRow, ...]]:
    """Claims × archived texts (only a text can be annotated); a cell holds the passages making it."""
    columns = tuple(
        MatrixColumn(s, f"{s.year}, {short_date(s.date)}" if len(year.statements) > 1 else str(s.year))
        for year in archive.years
        for s in year.statements
        if s.has_text
    )
    rows = []
    for claim in archive.claims:
        cells = []
        for column in columns:
            passages = tuple(p for made in column.statement.claims if made.claim.id == claim.id for p in made.passages)
            cells.append(MatrixCell(column, passages))
        rows.append(MatrixRow(claim, tuple(cells)))
    return columns, tuple(rows)


def short_date(value: str) -> str:
    """ "2023-06-16" -> "16 Jun"."""
    day, month, _ = long_date(value).split()
    return f"{day} {month[:3]}"


@dataclass(frozen=True)
class ClaimOccurrence:
    year: ReportYear
    statement: Statement
    passages: tuple[Passage, ...]


def claim_occurrences(archive: Archive, claim_id: str) -> tuple[ClaimOccurrence, ...]:
    return tuple(
        ClaimOccurrence(year, statement, made.passages)
        for year in archive.years
        for statement in year.statements
        for made in statement.claims
        if made.claim.id == claim_id
    )


@dataclass(frozen=True)
class PageView:
    """One HTML page to render: where it goes, with what template and what data."""

    path: str
    template: str
    title: str
    description: str
    metadata: Metadata
    context: dict[str, Any] = field(default_factory=dict)
    citation: Citation | None = None
    noindex: bool = False
    # A redirect page names its target as canonical; every other page names itself.
    canonical_path: str | None = None
    content_security_policy: str = NO_SCRIPT_POLICY

    @property
    def canonical(self) -> str:
        return self.path if self.canonical_path is None else self.canonical_path

    @property
    def output(self) -> str:
        return urls.output_file(self.path)


def _neighbours(items: tuple[T, ...], index: int) -> tuple[T | None, T | None]:
    previous = items[index - 1] if index > 0 else None
    following = items[index + 1] if index + 1 < len(items) else None
    return previous, following


def _year_view(archive: Archive, index: int, site_urls: urls.SiteUrls, citation: Citation) -> PageView:
    year = archive.years[index]
    path = urls.year(year.year)
    title = f"{year.year}: Macao in the Trafficking in Persons Report"
    description = f"Macao was placed on {year.tier} in the {year.year} Trafficking in Persons Report. " + _responses_sentence(year)
    previous, following = _neighbours(archive.years, index)
    return PageView(
        path=path,
        template="year.html",
        title=title,
        description=description,
        metadata=year_metadata(year, archive, site_urls.absolute(path), title, description),
        context={"year": year, "previous": previous, "next": following},
        citation=citation,
    )


def _responses_sentence(year: ReportYear) -> str:
    known = len(year.statements)
    held = sum(1 for s in year.statements if s.has_text)
    if not known:
        return "No government response to this report is known to the archive."
    responses = "one government response" if known == 1 else f"{known} government responses"
    if held == known:
        return f"The archive records {responses} and holds {'its' if known == 1 else 'their'} text."
    if held == 0:
        return f"The archive records {responses} but does not hold {'its' if known == 1 else 'their'} text yet."
    return f"The archive records {responses} and holds the text of {held}."


def _statement_view(archive: Archive, index: int, site_urls: urls.SiteUrls, citation: Citation) -> PageView:
    statement = archive.statements[index]
    path = statement.url
    year = next(y for y in archive.years if y.year == statement.year)
    previous, following = _neighbours(archive.statements, index)
    return PageView(
        path=path,
        template="statement.html",
        title=f"{statement.year}: {statement.heading}",
        description=statement.summary,
        metadata=statement_metadata(statement, archive, site_urls.absolute(path)),
        context={"statement": statement, "year": year, "previous": previous, "next": following},
        citation=citation,
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


def _citations(archive: Archive, site_urls: urls.SiteUrls, csl: CslFormatter, memo: Memo) -> tuple[list[Citation], list[Citation]]:
    """Each statement's and each year's citation: remembered ones from the memo, the others
    formatted in one pass (so that the pass can use every core)."""
    site, absolute = archive.site, site_urls.absolute
    statement_pages = [(s, absolute(s.url)) for s in archive.statements]
    year_pages = [(y, absolute(urls.year(y.year))) for y in archive.years]

    def recall(kind: str, pages: list[tuple[Any, str]]) -> list[tuple[str | None, Citation | None]]:
        keys = [memo.key((item, url, site)) for item, url in pages]
        return [(key, memo.recall(kind, key, durable=True)) for key in keys]

    def complete(
        kind: str, pages: list[tuple[Any, str]], recalled: list[tuple[str | None, Citation | None]], cite: Callable[..., Citation]
    ) -> list[Citation]:
        citations = []
        for (item, url), (key, citation) in zip(pages, recalled, strict=True):
            if citation is None:
                citation = cite(item, url, site, csl)
                memo.keep(kind, key, citation, durable=True)
            citations.append(citation)
        return citations

    statements, years = recall("statement citation", statement_pages), recall("year citation", year_pages)
    prepare_citations(
        csl,
        [page for page, (_, found) in zip(statement_pages, statements, strict=True) if found is None],
        [page for page, (_, found) in zip(year_pages, years, strict=True) if found is None],
        site,
    )
    return (
        complete("statement citation", statement_pages, statements, cite_statement),
        complete("year citation", year_pages, years, cite_year),
    )


def page_views(archive: Archive, site_urls: urls.SiteUrls, csl: CslFormatter | None = None, memo: Memo | None = None) -> list[PageView]:
    """Every HTML page of the URL contract, plus redirect pages for moved URLs.

    With a memo kept from an earlier build, citations whose inputs did not change are reused.
    """
    memo = Memo(remember=False) if memo is None else memo
    absolute = site_urls.absolute
    site = archive.site
    statement_citations, year_citations = _citations(archive, site_urls, csl or CslFormatter(), memo)
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
    views += [_year_view(archive, i, site_urls, year_citations[i]) for i in range(len(archive.years))]
    views += [_statement_view(archive, i, site_urls, statement_citations[i]) for i in range(len(archive.statements))]
    matrix_columns, matrix_rows = claim_matrix(archive)
    claims_description = "Every claim made in the responses whose text the archive holds, with the years that make it."
    views.append(
        _view(
            archive,
            site_urls,
            urls.CLAIMS,
            "claims.html",
            "Claims across years",
            claims_description,
            context={
                "matrix_columns": matrix_columns,
                "matrix_rows": matrix_rows,
                "without_text": [s for s in archive.statements if not s.has_text],
            },
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
    views.append(
        _view(
            archive,
            site_urls,
            urls.SEARCH,
            "search.html",
            "Search the archive",
            "Find words and phrases in the statements' verbatim texts, the archive's summaries, claims and notes.",
            kind="SearchResultsPage",
            content_security_policy=SEARCH_POLICY,
            context={"bundle": urls.SEARCH_BUNDLE},
        )
    )
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
    for old, targets in archive.splits:
        title = "This page became several pages"
        description = "Its content is now on: " + ", ".join(absolute(target.lstrip("/")) for target in targets)
        views.append(
            PageView(
                path=old.lstrip("/"),
                template="split.html",
                title=title,
                description=description,
                metadata=page_metadata(title, description, absolute(old.lstrip("/")), archive),
                context={"targets": [target.lstrip("/") for target in targets]},
                noindex=True,
            )
        )
    return views


def _check_redirects(archive: Archive, pages: set[str]) -> None:
    """A redirect must leave a page that no longer exists, for one that does."""
    errors = []
    moves = [(old, (new,)) for old, new in archive.redirects] + list(archive.splits)
    for old, targets in moves:
        if old.lstrip("/") in pages:
            errors.append(ContentError(REDIRECTS_FILE, 1, old, "this path is still a page of the site; a redirect would hide it"))
        for new in targets:
            if new.lstrip("/") not in pages:
                errors.append(ContentError(REDIRECTS_FILE, 1, old, f"redirect target {new} is not a page of the site"))
    if errors:
        raise ContentErrors(errors)
