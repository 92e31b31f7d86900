"""Which pages the site has, and what each one shows.

Every HTML page is described here as a PageView (address, template, title, metadata and the
data its template lays out), so templates hold layout only and render.py only renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import urls
from .chart import tier_chart
from .citations import Citation, cite_statement, cite_year
from .errors import ContentError, ContentErrors
from .memo import Memo
from .metadata import Metadata, page_metadata, statement_metadata, year_metadata
from .model import Archive, ClaimDefinition, Passage, ReportYear, Statement

REDIRECTS_FILE = "data/redirects.yaml"


def long_date(value: str | None) -> str:
    """ "2024-06-25" -> "25 June 2024" (fixed English month names, no locale dependence)."""
    if not value:
        return "unknown"
    day = date.fromisoformat(value)
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
    return f"{day.day} {months[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class MatrixCell:
    year: int
    statement: Statement | None
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
        return sum(1 for cell in self.cells if cell.made)


def claim_matrix(archive: Archive) -> tuple[tuple[ReportYear, ...], tuple[MatrixRow, ...]]:
    """Claims × report years that have statements; a cell holds the passages making it."""
    years = tuple(y for y in archive.years if y.statements)
    rows = []
    for claim in archive.claims:
        cells = []
        for year in years:
            passages: tuple[Passage, ...] = ()
            found: Statement | None = None
            for statement in year.statements:
                for made in statement.claims:
                    if made.claim.id == claim.id:
                        passages += made.passages
                        found = found or statement
            cells.append(MatrixCell(year.year, found, passages))
        rows.append(MatrixRow(claim, tuple(cells)))
    return years, tuple(rows)


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

    @property
    def canonical(self) -> str:
        return self.path if self.canonical_path is None else self.canonical_path

    @property
    def output(self) -> str:
        return urls.output_file(self.path)


def _neighbours(years: tuple[ReportYear, ...], index: int) -> tuple[ReportYear | None, ReportYear | None]:
    previous = years[index - 1] if index > 0 else None
    following = years[index + 1] if index + 1 < len(years) else None
    return previous, following


def _year_view(archive: Archive, index: int, site_urls: urls.SiteUrls, memo: Memo) -> PageView:
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
    citation = memo.call(cite_year, year, site_urls.absolute(path), archive.site)
    return PageView(
        path=path,
        template="year.html",
        title=title,
        description=description,
        metadata=year_metadata(year, archive, site_urls.absolute(path), title, description),
        context={"year": year, "previous": previous, "next": following},
        citation=citation,
    )


def _statement_view(archive: Archive, statement: Statement, site_urls: urls.SiteUrls, memo: Memo) -> PageView:
    path = statement.url
    year = next(y for y in archive.years if y.year == statement.year)
    return PageView(
        path=path,
        template="statement.html",
        title=f"{statement.year}: {statement.heading}",
        description=statement.summary,
        metadata=statement_metadata(statement, archive, site_urls.absolute(path)),
        context={"statement": statement, "year": year},
        citation=memo.call(cite_statement, statement, site_urls.absolute(path), archive.site),
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


def page_views(archive: Archive, site_urls: urls.SiteUrls, memo: Memo | None = None) -> list[PageView]:
    """Every HTML page of the URL contract, plus redirect pages for moved URLs.

    With a memo kept from an earlier build, citations whose inputs did not change are reused.
    """
    memo = Memo() if memo is None else memo
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
    views += [_year_view(archive, i, site_urls, memo) for i in range(len(archive.years))]
    views += [_statement_view(archive, s, site_urls, memo) for s in archive.statements]
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
