"""How to cite an archive page: Chicago and APA entries, BibTeX, RIS and CSL-JSON from one set of CSL items.

A reader citing the archive must be able to name both the page they read and the source whose
text it reproduces. One CSL item cannot carry both with the shipped styles as citeproc-py renders
them: chicago-author-date prints `archive_location` as a capitalised "Https://…" fragment and
never prints `note` or `source`, and APA puts the archive where the publisher belongs. So every
citation is two CSL items, rendered in this order: the archive page (what was read), then the
original source (a statement's published text, or the source of a year's tier). The same items
feed citeproc, the CSL-JSON download, BibTeX and RIS, so the formats cannot disagree.

Everything is derived from the content (dates from `issued`, `revised`, `published`; ids from year
and slug), never from the clock, so rebuilding unchanged content yields identical bytes.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from .csl import STYLES, CslFormatter, CslItem
from .exports import json_text
from .model import ReportYear, SiteConfig, Statement

GOVERNMENT = "Macao SAR Government"
_CHICAGO, _APA = STYLES
# CSL keys citeproc reads as codes, not text: escaping them would change their meaning.
_CODE_KEYS = frozenset({"id", "type", "language"})
# A source we hold as a journalist's report is not the government's text: no government author.
_NEWS_REPORT = "news-report"
_RIS_TYPES = {"webpage": "ELEC"}
_LABEL = re.compile(r"(?P<title>.+?) \((?P<host>[^()]+)\)")
# Characters with a meaning in BibTeX or LaTeX. Braces become brace-balanced commands,
# because BibTeX counts `\{` as an opening brace too.
_TEX_SPECIAL = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\textbraceleft{}",
        "}": r"\textbraceright{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "^": r"\textasciicircum{}",
        "~": r"\textasciitilde{}",
    }
)
# In a BibTeX url field only braces and backslashes can break the file; percent-encode them.
_URL_UNSAFE = str.maketrans({"\\": "%5C", "{": "%7B", "}": "%7D"})


@dataclass(frozen=True)
class Citation:
    """One page's citation in every format offered to readers.

    The HTML fields hold one `<div class="csl-entry">` per CSL item (archive page first, then
    the original source), escaped text with citeproc's `<i>`/`<b>` formatting only.
    """

    chicago_html: str
    apa_html: str
    bibtex: str
    ris: str
    csl_json: str


def cite_statement(statement: Statement, page_url: str, site: SiteConfig, csl: CslFormatter | None = None) -> Citation:
    """Cite a statement's archive page together with the source whose text it reproduces."""
    return _citation(_statement_items(statement, page_url, site), csl or CslFormatter())


def cite_year(year: ReportYear, page_url: str, site: SiteConfig, csl: CslFormatter | None = None) -> Citation:
    """Cite a report year's archive page together with the source of that year's tier."""
    return _citation(_year_items(year, page_url, site), csl or CslFormatter())


def prepare_citations(
    csl: CslFormatter,
    statements: list[tuple[Statement, str]],
    years: list[tuple[ReportYear, str]],
    site: SiteConfig,
    order: Sequence[str] = (),
) -> None:
    """Format every formatted entry the pages will ask for in one pass, so it can use every core.
    The entries of the pages at the addresses in `order` are formatted first, in that order (the
    order the build will ask for them), then the others."""
    pages = [(url, _statement_items(s, url, site)) for s, url in statements] + [(url, _year_items(y, url, site)) for y, url in years]
    rank = {url: place for place, url in enumerate(order)}
    pages.sort(key=lambda page: rank.get(page[0], len(rank)))
    csl.prepare([(_html_escaped(items), style) for _, items in pages for style in STYLES])


def _statement_items(statement: Statement, page_url: str, site: SiteConfig) -> list[CslItem]:
    source = statement.source
    item_id = f"macao-tip-{statement.year}-{statement.slug}"
    office = _literal(_office_author(statement.office_name))
    title = _clean(statement.heading)
    # The title is the source's own, in its language; a heading is the archive's English.
    title_language = source.language if source is not None and statement.title is not None else site.language
    if source is not None:
        note = f"Archived with annotations from {source.publisher}, {source.url}"
    else:
        shown = statement.reference_version
        note = f"The archive records this response but does not hold its text; {shown.kind_label.lower()}: {shown.publisher}, {shown.url}"
    archive: CslItem = {
        "id": item_id,
        "type": "webpage",
        "author": office,
        "title": title,
        "container-title": _clean(site.title),
        # An unknown issue date is cited by the year of its latest possible date, never a guess.
        "issued": _date(statement.issued) if statement.issued else {"date-parts": [[int(statement.date[:4])]]},
        "accessed": _date(statement.revised),
        "URL": page_url,
        "language": title_language,
        "note": _clean(note),
    }
    _add_publisher(archive, site)
    original = _original_item(statement, f"{item_id}-original", title, office) if source is not None else None
    return [archive, original or _version_item(statement, f"{item_id}-original", title, office)]


def _original_item(statement: Statement, item_id: str, title: str, office: list[dict[str, str]]) -> CslItem:
    """The published text the archive reproduces."""
    source = statement.source
    assert source is not None
    original: CslItem = {
        "id": item_id,
        "type": "webpage",
        "title": title,
        "container-title": _clean(source.publisher),
        "URL": source.url,
        "language": source.language,
    }
    if source.author is not None:
        original["author"] = _literal(source.author)
    elif source.text != _NEWS_REPORT:
        original["author"] = office
    else:
        # An unsigned news report: the outlet stands in as author (CMOS 14.104), named once.
        original["author"] = _literal(original.pop("container-title"))
    # A news report's own date is unknown when not recorded; "n.d." is better than a guess.
    published = source.published or (statement.issued if source.text != _NEWS_REPORT else None)
    if published is not None:
        original["issued"] = _date(published)
    return original


def _version_item(statement: Statement, item_id: str, heading: str, office: list[dict[str, str]]) -> CslItem:
    version = statement.reference_version
    official = version.kind == "official"
    item: CslItem = {
        "id": item_id,
        "type": "webpage",
        "author": office if official else _literal(version.publisher),
        # An untitled version is cited under a supplied description, bracketed as such.
        "title": _clean(version.title) if version.title else f"[{heading}]",
        "URL": version.url,
        "language": version.language if version.title else "en",
    }
    if official:
        item["container-title"] = _clean(version.publisher)
    published = version.published or (statement.issued if official else None)
    if published is not None:
        item["issued"] = _date(published)
    return item


def _year_items(year: ReportYear, page_url: str, site: SiteConfig) -> list[CslItem]:
    item_id = f"macao-tip-{year.year}"
    revisions = [s.revised for s in year.statements]
    if revisions:
        issued = _date(max(revisions, key=date.fromisoformat))
    elif year.report_published is not None:
        issued = _date(year.report_published)
    else:
        issued = {"date-parts": [[year.year]]}
    archive: CslItem = {
        "id": item_id,
        "type": "webpage",
        "author": _literal(site.publisher),
        "title": f"Macao in the {year.year} Trafficking in Persons Report: tier and government response",
        "issued": issued,
        "URL": page_url,
        "language": site.language,
        "note": _clean(f"Tier source: {year.source.label}, {year.source.url}"),
    }
    # The site's name is already the author when publisher and title agree; don't repeat it.
    if _clean(site.title) != _clean(site.publisher):
        archive["container-title"] = _clean(site.title)
    # The label reads "Title (Site)"; the site stands in as author (CMOS 14.104). The source's date
    # is not recorded (it may be a later report or a news item), so none is given.
    label = _LABEL.fullmatch(_clean(year.source.label))
    title, host = (label["title"], label["host"]) if label else (_clean(year.source.label), _host(year.source.url))
    source: CslItem = {
        "id": f"{item_id}-source",
        "type": "webpage",
        "author": _literal(host),
        "title": title,
        "URL": year.source.url,
    }
    return [archive, source]


def _citation(items: list[CslItem], csl: CslFormatter) -> Citation:
    # The downloads first: a cold build's first citation waits for the entries from a worker
    # process, and meanwhile imports bibtexparser and rispy (about 30 ms) and makes its downloads.
    bibtex, ris, csl_json = _bibtex(items), _ris(items), json_text(items) + "\n"
    escaped = _html_escaped(items)
    return Citation(
        chicago_html=csl.entries(escaped, _CHICAGO),
        apa_html=csl.entries(escaped, _APA),
        bibtex=bibtex,
        ris=ris,
        csl_json=csl_json,
    )


def _office_author(office_name: str | None) -> str:
    if office_name is None:
        return GOVERNMENT
    name = _clean(office_name)
    return name if GOVERNMENT.lower() in name.lower() else f"{name}, {GOVERNMENT}"


def _add_publisher(item: CslItem, site: SiteConfig) -> None:
    """Name the publisher only where it differs from the site title, or styles print it twice."""
    if _clean(site.publisher) != _clean(site.title):
        item["publisher"] = _clean(site.publisher)


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _literal(name: str) -> list[dict[str, str]]:
    """An institutional or byline name, kept whole: styles must not invert or abbreviate it."""
    return [{"literal": _clean(name)}]


def _date(iso: str) -> dict[str, list[list[int]]]:
    day = date.fromisoformat(iso)
    return {"date-parts": [[day.year, day.month, day.day]]}


def _clean(text: str) -> str:
    """One line of text: RIS and BibTeX fields cannot hold line breaks."""
    return " ".join(text.split())


# --- Formatted entries -------------------------------------------------------------------


def _html_escaped(value: Any, key: str = "") -> Any:
    """A copy of an item with its text HTML-escaped.

    citeproc-py's HTML formatter escapes its own terms but copies variable values verbatim, so
    a title containing `<script>` would otherwise reach the page as markup. Double quotes are
    escaped too, so the entry is safe in a double-quoted attribute; apostrophes stay readable.
    """
    if isinstance(value, dict):
        return {k: _html_escaped(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_html_escaped(v, key) for v in value]
    if isinstance(value, str) and key not in _CODE_KEYS:
        return html.escape(value, quote=False).replace('"', "&quot;")
    return value


# --- BibTeX and RIS ----------------------------------------------------------------------


def _bibtex(items: list[CslItem]) -> str:
    """@misc entries, readable by BibTeX and biblatex; UTF-8 text, LaTeX specials escaped."""
    # bibtexparser (and rispy, below) are imported on first need: a build whose citations all
    # come from its cache formats none.
    from bibtexparser.entrypoint import write_string
    from bibtexparser.library import Library
    from bibtexparser.middlewares.parsestack import default_unparse_stack
    from bibtexparser.model import Entry, Field

    library = Library()
    for item in items:
        fields: list[tuple[str, str]] = []
        if "author" in item:
            # Double braces keep a corporate name whole instead of splitting it at commas.
            fields.append(("author", " and ".join("{" + _tex(a["literal"]) + "}" for a in item["author"])))
        fields.append(("title", "{" + _tex(item["title"]) + "}"))
        if "container-title" in item:
            fields.append(("howpublished", _tex(item["container-title"])))
        if "publisher" in item:
            fields.append(("publisher", _tex(item["publisher"])))
        if "issued" in item:
            fields.append(("year", str(item["issued"]["date-parts"][0][0])))
            fields.append(("date", _iso(item["issued"])))
        fields.append(("url", item["URL"].translate(_URL_UNSAFE)))
        if "accessed" in item:
            fields.append(("urldate", _iso(item["accessed"])))
        if "note" in item:
            fields.append(("note", _tex(item["note"])))
        library.add(Entry("misc", item["id"], [Field(key, value) for key, value in fields]))
    # The library is made here and dropped after writing, so the writer may change it in place:
    # its default stack deep-copies every entry first, which was a third of a page view's time.
    return write_string(library, unparse_stack=default_unparse_stack(allow_inplace_modification=True))


def _tex(text: str) -> str:
    return text.translate(_TEX_SPECIAL)


def _iso(csl_date: dict[str, list[list[int]]]) -> str:
    parts = csl_date["date-parts"][0]
    return "-".join([f"{parts[0]:04d}", *(f"{p:02d}" for p in parts[1:])])


@functools.cache
def _ris_writer() -> Any:
    import rispy

    class _RisWriter(rispy.RisWriter):  # type: ignore[misc]
        """rispy's writer without its "1." counter line, which is not part of RIS."""

        def set_header(self, count: int) -> str:
            return ""

    return _RisWriter


def _ris(items: list[CslItem]) -> str:
    import rispy

    references: list[dict[str, Any]] = []
    for item in items:
        ref: dict[str, Any] = {"type_of_reference": _RIS_TYPES.get(item["type"], "GEN"), "id": item["id"]}
        if "author" in item:
            ref["authors"] = [a["literal"] for a in item["author"]]
        ref["title"] = item["title"]
        if "container-title" in item:
            ref["secondary_title"] = item["container-title"]
        if "publisher" in item:
            ref["publisher"] = item["publisher"]
        if "issued" in item:
            ref["year"] = str(item["issued"]["date-parts"][0][0])
            ref["date"] = _iso(item["issued"]).replace("-", "/")
        if "accessed" in item:
            ref["access_date"] = _iso(item["accessed"]).replace("-", "/")
        ref["urls"] = [item["URL"]]
        if "language" in item:
            ref["language"] = item["language"]
        if "note" in item:
            ref["notes"] = [item["note"]]
        references.append(ref)
    return str(rispy.dumps(references, implementation=_ris_writer()))
