"""Which pages the site has, and what each one shows.

Every HTML page is described here as a PageView (address, template, title, metadata and the
data its template lays out), so templates hold layout only and render.py only renders.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import urls
from .chart import tier_chart
from .citations import Citation, cite_statement, cite_year, prepare_citations
from .csl import CslFormatter
from .dates import short_date
from .errors import ContentError, ContentErrors
from .memo import Memo
from .metadata import Metadata, page_metadata, statement_metadata, year_metadata
from .model import Archive, ClaimDefinition, ClaimInStatement, Passage, ReportYear, SiteConfig, Source, Statement
from .outline import Outlines

REDIRECTS_FILE = "data/redirects.yaml"
NOT_FOUND = "404.html"
# The templates of the year and statement pages (`_year_view`, `_statement_view`).
YEAR_RUN_TEMPLATES = ("year.html", "statement.html")
# The templates of the claims page and of each claim's page (`claim_views`).
CLAIM_TEMPLATES = ("claims.html", "claim.html")
# The templates of the pages left at moved addresses (`_redirect_view`, `_split_view`).
MOVED_TEMPLATES = ("redirect.html", "split.html")
T = TypeVar("T")
_ReadBack = Callable[[], Any]


# Every page forbids script; only the search page runs the site's own script (and Pagefind's
# WebAssembly, which needs 'wasm-unsafe-eval'). Its index and fragments load with fetch,
# allowed by default-src 'self'.
NO_SCRIPT_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)
SEARCH_POLICY = NO_SCRIPT_POLICY.replace("script-src 'none'", "script-src 'self' 'wasm-unsafe-eval'")


@dataclass(frozen=True)
class StatementLink:
    """What a page shows of another response: its address, report year and date of issue.

    Pages hold links, not whole statements, so that editing one response re-renders only
    the pages that show what changed.
    """

    url: str
    year: int
    issued: str | None

    @classmethod
    def to(cls, statement: Statement) -> StatementLink:
        return cls(statement.url, statement.year, statement.issued)


@dataclass(frozen=True)
class YearLink:
    """What a page shows of another report year."""

    year: int
    url: str

    @classmethod
    def to(cls, year: ReportYear) -> YearLink:
        return cls(year.year, year.url)


@dataclass(frozen=True)
class MatrixColumn:
    """One archived text: its address, its year, and its date where the year has several responses."""

    url: str
    year: int
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
        return len({cell.column.year for cell in self.cells if cell.made})


_MatrixText = tuple[MatrixColumn, tuple[ClaimInStatement, ...]]


def matrix_texts(archive: Archive) -> tuple[_MatrixText, ...]:
    """What the claim matrix shows of each archived text: where it is, its label, its claims."""
    return tuple(
        (MatrixColumn(s.url, s.year, f"{s.year}, {short_date(s.date)}" if len(year.statements) > 1 else str(s.year)), s.claims)
        for year in archive.years
        for s in year.statements
        if s.has_text
    )


@dataclass(frozen=True)
class ClaimMatrix:
    columns: tuple[MatrixColumn, ...]
    rows: tuple[MatrixRow, ...]


def claim_matrix(texts: tuple[_MatrixText, ...], claims: tuple[ClaimDefinition, ...]) -> ClaimMatrix:
    """Claims × archived texts (only a text can be annotated); a cell holds the passages making it."""
    columns = tuple(column for column, _ in texts)
    # Each text's passages by claim, gathered once; most cells are empty, and immutable, so
    # each column's empty cell is shared by every claim the text does not make.
    made_in = [_passages_by_claim(made_claims) for _, made_claims in texts]
    empty = [MatrixCell(column, ()) for column in columns]
    rows = tuple(
        MatrixRow(
            claim,
            tuple(
                MatrixCell(column, made[claim.id]) if claim.id in made else blank
                for column, made, blank in zip(columns, made_in, empty, strict=True)
            ),
        )
        for claim in claims
    )
    return ClaimMatrix(columns, rows)


def _passages_by_claim(made_claims: tuple[ClaimInStatement, ...]) -> dict[str, tuple[Passage, ...]]:
    found: dict[str, tuple[Passage, ...]] = {}
    for made in made_claims:
        found[made.claim.id] = found.get(made.claim.id, ()) + made.passages
    return found


@dataclass(frozen=True)
class ClaimOccurrence:
    """A text making a claim: the passages, and what the claim's page shows of the text and its year."""

    year: YearLink
    tier: str
    url: str
    slug: str
    heading: str
    source: Source
    passages: tuple[Passage, ...]


def claim_occurrences(archive: Archive) -> dict[str, tuple[ClaimOccurrence, ...]]:
    """Each claim of the vocabulary -> the texts making it, in time order."""
    found: dict[str, list[ClaimOccurrence]] = {claim.id: [] for claim in archive.claims}
    for year in archive.years:
        link = YearLink.to(year)
        for statement in year.statements:
            if statement.source is None:
                continue  # only a text can be annotated
            for made in statement.claims:
                occurrence = ClaimOccurrence(
                    link, year.tier, statement.url, statement.slug, statement.heading, statement.source, made.passages
                )
                found.setdefault(made.claim.id, []).append(occurrence)
    return {claim_id: tuple(occurrences) for claim_id, occurrences in found.items()}


class PageCitation:
    """A page's citation, read back from the build cache, or made, only when its text is needed.

    A rebuild leaves most pages and their citation downloads as they are, so most citations
    are never read back (unpickling a thousand of them, and comparing their three thousand
    downloads with the site's files, took a tenth of a warm rebuild). One whose entries worker
    processes are still formatting (it `waits`) is made when its page is rendered, so that the
    build renders the pages without a citation meanwhile. It is digested by `key`,
    the digest of what the citation is made from, under which it is registered with the memo.
    """

    __slots__ = ("_citation", "_read", "_waits", "key")

    def __init__(self, key: str | None, citation: Citation | Callable[[], Citation], *, waits: bool = False) -> None:
        self.key = key
        self._citation: Citation | None = citation if isinstance(citation, Citation) else None
        self._read: Callable[[], Citation] | None = None if isinstance(citation, Citation) else citation
        self._waits = waits

    @property
    def waits(self) -> bool:
        """Whether its text is still being formatted elsewhere, so that reading it now may wait."""
        return self._waits and self._citation is None

    @property
    def citation(self) -> Citation:
        if self._citation is None:
            assert self._read is not None
            self._citation, self._read = self._read(), None  # what reads it is let go with what it holds
        return self._citation

    @property
    def chicago_html(self) -> str:
        return self.citation.chicago_html

    @property
    def apa_html(self) -> str:
        return self.citation.apa_html


@dataclass(frozen=True)
class PageView:
    """One HTML page to render: where it goes, with what template and what data.

    Its metadata is worked out only if the page is rendered (`describe`): a rebuild that finds
    a page remembered never needs it. A view is digested by what it was made from (see
    `Memo.derive`), since `describe` does not show its content.
    """

    path: str
    template: str
    title: str
    description: str
    describe: Callable[[], Metadata]
    context: dict[str, Any] = field(default_factory=dict)
    citation: PageCitation | None = None
    noindex: bool = False
    # A redirect page names its target as canonical; every other page names itself.
    canonical_path: str | None = None
    content_security_policy: str = NO_SCRIPT_POLICY

    @functools.cached_property
    def metadata(self) -> Metadata:
        return self.describe()

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


# The views below are pure functions of their arguments, made through `Memo.derive`: each view
# is then digested by its arguments, which are few and mostly digested already (statements).


def _year_view(
    year: ReportYear, previous: YearLink | None, following: YearLink | None, site: SiteConfig, page_url: str, citation: PageCitation
) -> PageView:
    title = f"{year.year}: Macao in the Trafficking in Persons Report"
    description = f"Macao was placed on {year.tier} in the {year.year} Trafficking in Persons Report. " + _responses_sentence(year)
    return PageView(
        path=urls.year(year.year),
        template=YEAR_RUN_TEMPLATES[0],
        title=title,
        description=description,
        describe=functools.partial(year_metadata, year, site, page_url, title, description),
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


def _statement_view(
    statement: Statement,
    year: YearLink,
    previous: StatementLink | None,
    following: StatementLink | None,
    site: SiteConfig,
    page_url: str,
    citation: PageCitation,
) -> PageView:
    return PageView(
        path=statement.url,
        template=YEAR_RUN_TEMPLATES[1],
        title=f"{statement.year}: {statement.heading}",
        description=statement.summary,
        describe=functools.partial(statement_metadata, statement, site, page_url),
        context={"statement": statement, "year": year, "previous": previous, "next": following},
        citation=citation,
    )


def _described_view(
    site: SiteConfig, page_url: str, path: str, template: str, title: str, description: str, kind: str, options: dict[str, Any]
) -> PageView:
    describe = functools.partial(page_metadata, title, description, page_url, site, kind)
    return PageView(path=path, template=template, title=title, description=description, describe=describe, **options)


def _view(
    memo: Memo,
    site: SiteConfig,
    site_urls: urls.SiteUrls,
    path: str,
    template: str,
    title: str,
    description: str,
    kind: str = "WebPage",
    **options: Any,
) -> PageView:
    """A page whose metadata follows from its own title, description and address."""
    return memo.derive(_described_view, site, site_urls.absolute(path), path, template, title, description, kind, options)


class Citations:
    """Each statement's and each year's citation: remembered ones from the memo, the others
    formatted in one pass (so that the pass can use every core). The pass starts when this is
    made and may run in worker processes while the build does other work; a citation made then
    is made when its page is rendered, and waits only for its own entries. The pass formats first
    the entries of the pages `order()` lists (paths, in the order the build renders them), so
    that each page finds its own made, or made next.

    A citation is keyed by the outline of what it cites (see outline.py): it names a response by
    its metadata, never by its text, so editing a statement's text formats nothing again."""

    def __init__(
        self,
        archive: Archive,
        site_urls: urls.SiteUrls,
        csl: CslFormatter,
        memo: Memo,
        outlines: Outlines | None = None,
        order: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        self._site, self._csl, self._memo = archive.site, csl, memo
        self._result: tuple[list[PageCitation], list[PageCitation]] | None = None
        outlines = outlines or Outlines(archive, memo)
        absolute = site_urls.absolute
        self._statement_pages = [(s, absolute(s.url)) for s in archive.statements]
        self._year_pages = [(y, absolute(urls.year(y.year))) for y in archive.years]
        self._statements = self._recall("statement citation", self._statement_pages, outlines.of_statement)
        self._years = self._recall("year citation", self._year_pages, outlines.of_year)
        statements = [page for page, (_, found) in zip(self._statement_pages, self._statements, strict=True) if found is None]
        years = [page for page, (_, found) in zip(self._year_pages, self._years, strict=True) if found is None]
        # The order is worked out only for a pass (about 4 ms at 1,000 statements).
        first = [absolute(path) for path in order()] if order is not None and (statements or years) else []
        prepare_citations(csl, statements, years, self._site, first)

    def _recall(
        self, kind: str, pages: list[tuple[Any, str]], outline_of: Callable[[Any], object]
    ) -> list[tuple[str | None, _ReadBack | None]]:
        """Each page's citation key, and its remembered citation if there is one.

        The keys of all the pages are remembered together, under the digest of all their
        inputs: a build whose outlines are as the last one's (every build after a text edit)
        takes the list back instead of digesting each page's inputs and asking the store about
        each key (about 20 ms at 1,000 statements). The list is kept only once every citation in
        it is; one gone since then is made again when it is read."""
        if not self._memo.remembers:
            return [(None, None)] * len(pages)
        memo = self._memo
        outlines = tuple(outline_of(item) for item, _ in pages)
        listed = memo.key((outlines, tuple(url for _, url in pages), self._site))
        remembered: list[str] | None = memo.recall(f"{kind} keys", listed, durable=True)
        if remembered is not None and len(remembered) == len(pages):
            return list(zip(remembered, memo.promised(kind, remembered), strict=True))
        keys = [memo.key((outline, url, self._site)) for outline, (_, url) in zip(outlines, pages, strict=True)]
        promises = memo.promises(kind, keys, durable=True)
        if None not in promises:
            memo.keep(f"{kind} keys", listed, keys, durable=True)
        return list(zip(keys, promises, strict=True))

    def _complete(
        self, kind: str, pages: list[tuple[Any, str]], recalled: list[tuple[str | None, _ReadBack | None]], cite: Callable[..., Citation]
    ) -> list[PageCitation]:
        # While worker processes format the missing entries, a citation that needs them is made
        # when its page is rendered, so that the build renders the pages needing none meanwhile.
        later = self._csl.formatting_elsewhere
        citations = []
        for (item, url), (key, read_back) in zip(pages, recalled, strict=True):
            make = functools.partial(_cite_and_keep, self._memo, kind, key, functools.partial(cite, item, url, self._site, self._csl))
            if read_back is not None:
                citation = PageCitation(key, functools.partial(_read_back, read_back, make))
            else:
                citation = PageCitation(key, make, waits=True) if later else PageCitation(key, make())
            self._memo.register(citation, key)  # a citation is a pure function of what it was keyed by
            citations.append(citation)
        return citations

    def keys(self) -> tuple[list[str | None], list[str | None]]:
        """The statements' citation keys and the years', in the archive's order (None: not remembered)."""
        return [key for key, _ in self._statements], [key for key, _ in self._years]

    def of_pages(self) -> dict[str, PageCitation]:
        """Each statement's and each year's citation, by the path of its page."""
        statement_citations, year_citations = self.result()
        found = {statement.url: citation for (statement, _), citation in zip(self._statement_pages, statement_citations, strict=True)}
        found.update((urls.year(year.year), citation) for (year, _), citation in zip(self._year_pages, year_citations, strict=True))
        return found

    def result(self) -> tuple[list[PageCitation], list[PageCitation]]:
        """The statements' citations and the years', in the archive's order (made once)."""
        if self._result is None:
            self._result = (
                self._complete("statement citation", self._statement_pages, self._statements, cite_statement),
                self._complete("year citation", self._year_pages, self._years, cite_year),
            )
        return self._result


def _cite_and_keep(memo: Memo, kind: str, key: str | None, cite: Callable[[], Citation]) -> Citation:
    citation = cite()
    memo.keep(kind, key, citation, durable=True)
    return citation


def _read_back(read_back: _ReadBack, make: Callable[[], Citation]) -> Citation:
    # Gone or damaged since it was found (another build swept the store): made again, the same.
    found: Citation | None = read_back()
    return found if found is not None else make()


def page_views(
    archive: Archive,
    site_urls: urls.SiteUrls,
    csl: CslFormatter | None = None,
    memo: Memo | None = None,
    citations: Citations | None = None,
    years: Collection[int] | None = None,
    claims: bool = True,
) -> list[PageView]:
    """Every HTML page of the URL contract, plus redirect pages for moved URLs; with `years`,
    of the year and statement pages only those of `years`, and without `claims`, none in the
    claims folder, moved ones included (those left out are known otherwise).

    With a memo kept from an earlier build, citations whose inputs did not change are reused.
    `citations` are the ones a caller started earlier, to do other work while they are formatted.
    """
    memo = Memo(remember=False) if memo is None else memo
    absolute = site_urls.absolute
    site = archive.site
    citations = citations or Citations(archive, site_urls, csl or CslFormatter(), memo)
    statement_citations, year_citations = citations.result()
    views = [
        _view(
            memo,
            site,
            site_urls,
            urls.HOME,
            "index.html",
            site.title,
            site.description,
            "CollectionPage",
            context={"chart": tier_chart(archive.years)},
        )
    ]
    views += _year_views(archive, absolute, memo, year_citations, statement_citations, years)
    if claims:
        views += claim_views(archive, site_urls, memo)
    views.append(
        _view(
            memo,
            site,
            site_urls,
            urls.SEARCH,
            "search.html",
            "Search the archive",
            "Find words and phrases in the statements' verbatim texts, the archive's summaries, claims and notes.",
            "SearchResultsPage",
            content_security_policy=SEARCH_POLICY,
            context={"bundle": urls.SEARCH_BUNDLE},
        )
    )
    about_description = "How the archive collects, transcribes and annotates Macao's responses, and how to report a correction."
    views.append(_view(memo, site, site_urls, urls.ABOUT, "about.html", "About the archive and its method", about_description, "AboutPage"))
    views.append(_view(memo, site, site_urls, NOT_FOUND, NOT_FOUND, "Page not found", "No page at this address.", noindex=True))
    check_redirects(archive)
    return views + [view for view in moved_views(archive, site_urls, memo) if claims or not in_claims_folder(view.path)]


def moved_views(archive: Archive, site_urls: urls.SiteUrls, memo: Memo) -> list[PageView]:
    """The views of the pages left at moved addresses, as `page_views` makes them."""
    site, absolute = archive.site, site_urls.absolute
    views = [
        memo.derive(_redirect_view, site, old.lstrip("/"), new.lstrip("/"), absolute(new.lstrip("/"))) for old, new in archive.redirects
    ]
    for old, targets in archive.splits:
        paths = tuple(target.lstrip("/") for target in targets)
        views.append(
            memo.derive(_split_view, site, old.lstrip("/"), absolute(old.lstrip("/")), paths, tuple(absolute(path) for path in paths))
        )
    return views


def in_claims_folder(path: str) -> bool:
    """Whether a page's path is below the claims page's: the claim pages, and moved ones."""
    return path.startswith(urls.CLAIMS)


def claim_views(archive: Archive, site_urls: urls.SiteUrls, memo: Memo) -> list[PageView]:
    """The views of the claims page and of each claim's page, as `page_views` makes them."""
    site = archive.site
    matrix = memo.derive(claim_matrix, matrix_texts(archive), archive.claims)
    claims_description = "Every claim made in the responses whose text the archive holds, with the years that make it."
    views = [
        _view(
            memo,
            site,
            site_urls,
            urls.CLAIMS,
            CLAIM_TEMPLATES[0],
            "Claims across years",
            claims_description,
            context={
                "matrix": matrix,
                "without_text": tuple(StatementLink.to(s) for s in archive.statements if not s.has_text),
            },
        )
    ]
    occurrences = claim_occurrences(archive)
    views += [
        _view(
            memo,
            site,
            site_urls,
            urls.claim(claim.id),
            CLAIM_TEMPLATES[1],
            f"Claim: {claim.label}",
            claim.definition,
            context={"claim": claim, "occurrences": occurrences[claim.id]},
        )
        for claim in archive.claims
    ]
    return views


def year_views(archive: Archive, site_urls: urls.SiteUrls, memo: Memo, citations: Citations, years: Collection[int]) -> list[PageView]:
    """The views of the pages of `years` and of their statements, as `page_views` makes them.

    Through the memo, so that `page_views` takes the same views back: a rebuild renders the
    search shard of an edited statement first, and hands it to Pagefind before it makes the
    other pages' views."""
    statement_citations, year_citations = citations.result()
    return _year_views(archive, site_urls.absolute, memo, year_citations, statement_citations, years)


def _year_views(
    archive: Archive,
    absolute: Callable[[str], str],
    memo: Memo,
    year_citations: list[PageCitation],
    statement_citations: list[PageCitation],
    years: Collection[int] | None,
) -> list[PageView]:
    """The year pages' views, then the statement pages' (of `years` only, unless None)."""
    site = archive.site
    views = []
    year_links = tuple(YearLink.to(year) for year in archive.years)
    for index, year in enumerate(archive.years):
        if years is None or year.year in years:
            previous, following = _neighbours(year_links, index)
            views.append(memo.derive(_year_view, year, previous, following, site, absolute(year.url), year_citations[index]))
    year_of = {year.year: link for year, link in zip(archive.years, year_links, strict=True)}
    statement_links = tuple(StatementLink.to(s) for s in archive.statements)
    for index, statement in enumerate(archive.statements):
        if years is not None and statement.year not in years:
            continue
        previous_link, following_link = _neighbours(statement_links, index)
        view = memo.derive(
            _statement_view,
            statement,
            year_of[statement.year],
            previous_link,
            following_link,
            site,
            absolute(statement.url),
            statement_citations[index],
        )
        views.append(view)
    return views


def year_run_inputs(
    archive: Archive, site_urls: urls.SiteUrls, citations: Citations, runs: Mapping[str, Collection[int]]
) -> dict[str, tuple[object, ...]]:
    """For each run of years, what the views of its years' pages and their statements' are made
    from, as `_year_views` makes them, without making them: each year and statement (digested
    by the memo), its neighbours' links and its year's as plain values, its address and its
    citation's key. A shard of those pages is known by them (see shard_records.py)."""
    statement_keys, year_keys = citations.keys()
    absolute = site_urls.absolute
    run_of = {year: run for run, years in runs.items() for year in years}
    inputs: dict[str, list[object]] = {run: [] for run in runs}
    years = archive.years
    nothing = (None, None)
    for index, year in enumerate(years):
        if year.year in run_of:
            previous, following = _neighbours(years, index)
            links = (previous.year, previous.url) if previous else nothing, (following.year, following.url) if following else nothing
            inputs[run_of[year.year]].append((year, *links[0], *links[1], absolute(year.url), year_keys[index]))
    statements = archive.statements
    year_urls = {year.year: year.url for year in years}
    no_statement = (None, None, None)
    for index, statement in enumerate(statements):
        if statement.year in run_of:
            before, after = _neighbours(statements, index)
            previous_link = (before.url, before.year, before.issued) if before else no_statement
            following_link = (after.url, after.year, after.issued) if after else no_statement
            own = (statement, year_urls[statement.year], absolute(statement.url), statement_keys[index])
            inputs[run_of[statement.year]].append((*own, *previous_link, *following_link))
    return {run: tuple(run_inputs) for run, run_inputs in inputs.items()}


def page_paths(archive: Archive) -> list[str]:
    """The path of every page `page_views` makes, in its order, without making the views: what
    the search shards are planned from before there are views (a test holds the two equal)."""
    paths = [urls.HOME, *(year.url for year in archive.years), *(statement.url for statement in archive.statements)]
    paths += [urls.CLAIMS, *(urls.claim(claim.id) for claim in archive.claims), urls.SEARCH, urls.ABOUT, NOT_FOUND]
    return paths + [old.lstrip("/") for old, _ in (*archive.redirects, *archive.splits)]


def indexed_paths(archive: Archive) -> list[str]:
    """The paths of the pages `page_views` makes that are not `noindex`, in its order: what the
    sitemap lists (a test holds the two equal). The 404 page and moved pages are left out."""
    moves = len(archive.redirects) + len(archive.splits)
    paths = page_paths(archive)
    return [path for path in paths[: len(paths) - moves] if path != NOT_FOUND]


def _redirect_view(site: SiteConfig, path: str, target: str, target_url: str) -> PageView:
    return PageView(
        path=path,
        template=MOVED_TEMPLATES[0],
        title="This page has moved",
        description=f"Moved to {target_url}",
        describe=functools.partial(page_metadata, "This page has moved", "Moved.", target_url, site),
        context={"target": target},
        noindex=True,
        canonical_path=target,
    )


def _split_view(site: SiteConfig, path: str, page_url: str, targets: tuple[str, ...], target_urls: tuple[str, ...]) -> PageView:
    title = "This page became several pages"
    description = "Its content is now on: " + ", ".join(target_urls)
    return PageView(
        path=path,
        template=MOVED_TEMPLATES[1],
        title=title,
        description=description,
        describe=functools.partial(page_metadata, title, description, page_url, site),
        context={"targets": list(targets)},
        noindex=True,
    )


def check_redirects(archive: Archive) -> None:
    """What `page_views` checks first: every redirect leaves a page that no longer exists, for one that does."""
    moves = len(archive.redirects) + len(archive.splits)
    paths = page_paths(archive)
    _check_redirects(archive, set(paths[: len(paths) - moves]))


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
