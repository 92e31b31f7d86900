"""The complete record: every known response has a page, whether or not the archive holds its text.

Checked against the research notes in ../shared/research/sources.md (as in CI): every response
they list is on the timeline, on its year page and on its own page, saying whether its text is
archived; every address the site links is one the notes give (or on the allowlist below, with
the reason); a response without text shows no text anywhere; adding the text keeps its address
and feed id; a second file for a registered response is a located error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest

from site_builder.lock import broken_promises, read_lock
from site_builder.model import Archive, Statement
from site_builder.render import render_site
from tests.conftest import BASE_URL, ROOT
from tests.test_loader import errors_of, line_of
from tests.test_site import parse

SOURCES = ROOT.parent / "shared" / "research" / "sources.md"
R2018 = "statements/2018-statement-2018-06-29.md"
NOT_HELD = "The archive does not hold the text of this response yet."

# Addresses the site links that are not in sources.md, each with the reason it may be there.
# Everything else must be an address the research notes give.
ALLOWED_ELSEWHERE: dict[str, str] = {}


def research_notes() -> str:
    if not SOURCES.is_file():
        pytest.skip(f"research notes not found at {SOURCES}")
    return SOURCES.read_text(encoding="utf-8")


def known_responses(notes: str) -> list[tuple[int, str | None]]:
    """(report year, date of issue or None) of every response the notes list, archived or not."""
    found: list[tuple[int, str | None]] = []
    seeds = notes[notes.index("## The five statements in the seeds") :]
    for year, issued in re.findall(r"^\| \d{3}_[0-9a-f]+\.txt \| (\d{4}) \| [^|]+ \| (\d{4}-\d{2}-\d{2})", seeds, re.M):
        found.append((int(year), issued))
    known = notes[notes.index("## Responses known to exist") : notes.index("## Other-language versions")]
    for year, issued in re.findall(r"^\| (\d{4})(?: \([A-Za-z]+\))? \| ([^|]+) \|", known, re.M):
        date = re.match(r"\d{4}-\d{2}-\d{2}", issued.strip())
        found.append((int(year), date.group(0) if date else None))
    return sorted(found, key=lambda item: (item[0], item[1] or ""))


def normalised(url: str) -> str:
    """An address as the notes write it: no scheme, no www., no trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    rest = url.split(parts.netloc, 1)[1]
    return (host + rest).rstrip("/").replace("&amp;", "&")


def test_the_notes_list_twelve_responses() -> None:
    """The parser above reads the notes' tables, so the tests below compare against all of them."""
    responses = known_responses(research_notes())
    assert len(responses) == 12
    assert (2023, "2023-06-16") in responses and (2023, "2023-10-27") in responses
    assert (2016, None) in responses


def test_every_report_year_from_2013_has_a_page(site: Path, archive: Archive) -> None:
    assert [y.year for y in archive.years] == list(range(2013, 2026))
    for year in archive.years:
        html = (site / year.url / "index.html").read_text(encoding="utf-8")
        assert f">{year.year}: Macao in the Trafficking in Persons Report</h1>" in html
        assert year.source.url in html.replace("&amp;", "&")


def test_every_known_response_has_a_page_on_the_timeline_and_its_year(site: Path, archive: Archive) -> None:
    timeline = (site / "index.html").read_text(encoding="utf-8")
    for year, issued in known_responses(research_notes()):
        matches = [s for s in archive.statements if s.year == year and s.issued == issued]
        assert len(matches) == 1, f"response to the {year} report issued {issued} is not one record"
        statement = matches[0]
        page = (site / statement.url / "index.html").read_text(encoding="utf-8")
        year_page = (site / f"{year}/index.html").read_text(encoding="utf-8")
        status = "Text archived:" if statement.has_text else "Text not yet in the archive"
        assert f'href="/{statement.url}"' in timeline and f'href="/{statement.url}"' in year_page
        assert status in year_page
        assert (NOT_HELD in page) is not statement.has_text
        assert (site / statement.url / "cite.bib").is_file()


def test_a_response_without_text_shows_no_text_anywhere(site: Path, archive: Archive) -> None:
    without = [s for s in archive.statements if not s.has_text]
    assert len(without) == 7
    feeds = [feedparser.parse((site / name).read_bytes()) for name in ("feed.xml", "atom.xml")]
    data = {s["id"]: s for s in json.loads((site / "data/statements.json").read_text(encoding="utf-8"))}
    for statement in without:
        assert statement.plain_text == "" and statement.text_html == "" and not statement.claims
        page = (site / statement.url / "index.html").read_text(encoding="utf-8")
        assert "<blockquote" not in page and "statement-text" not in page
        year_page = (site / f"{statement.year}/index.html").read_text(encoding="utf-8")
        article = year_page[year_page.index(f'<article class="statement" id="{statement.slug}"') :]
        article = article[: article.index("</article>")]
        assert "<blockquote" not in article and NOT_HELD in article
        assert all(statement.id not in [e.id for e in feed.entries] for feed in feeds)
        assert data[statement.id]["text"] is None and data[statement.id]["text_archived"] is False
        # Every record says where the response can be read.
        assert statement.versions and all(v.url in page.replace("&amp;", "&") for v in statement.versions)


def test_every_address_on_the_site_is_in_the_research_notes(site: Path) -> None:
    notes = research_notes()
    external: set[str] = set()
    for path in site.rglob("*.html"):
        external |= {link for link in parse(path).links if link.startswith(("http://", "https://")) and not link.startswith(BASE_URL)}
    assert external, "the site links its sources"
    unsourced = sorted(url for url in external if normalised(url) not in notes and url not in ALLOWED_ELSEWHERE)
    assert not unsourced


def test_the_address_check_can_fail() -> None:
    notes = research_notes()
    assert normalised("https://www.state.gov/reports/2018-trafficking-in-persons-report/macau/") in notes
    assert normalised("https://www.state.gov/reports/2020-trafficking-in-persons-report/macau/") not in notes


def test_secondary_texts_point_to_the_government_own_version(site: Path, archive: Archive) -> None:
    flagged = {s.year for s in archive.archived if s.text_is_secondary}
    assert flagged == {2020, 2022, 2024}
    for statement in archive.archived:
        page = (site / statement.url / "index.html").read_text(encoding="utf-8")
        assert ("Not the government's own text." in page) is statement.text_is_secondary
        for version in statement.versions:
            assert f'hreflang="{version.language}"' in page


def test_two_responses_in_one_year_read_in_order(site: Path, archive: Archive) -> None:
    june, october = (s for s in archive.statements if s.year == 2023)
    assert (june.issued, october.issued) == ("2023-06-16", "2023-10-27")
    year_page = (site / "2023/index.html").read_text(encoding="utf-8")
    assert year_page.index(f'id="{june.slug}"') < year_page.index(f'id="{october.slug}"')
    june_page = (site / june.url / "index.html").read_text(encoding="utf-8")
    assert f'<a rel="next" href="/{october.url}">' in june_page
    matrix = (site / "claims/index.html").read_text(encoding="utf-8")
    assert f'<a href="/{october.url}">2023, 27 Oct</a>' in matrix


def _with_text(statement_file: Path, text: str, source: str) -> None:
    content = statement_file.read_text(encoding="utf-8")
    content = content.replace("source: null\n", source, 1)
    statement_file.write_text(content + "\n" + text + "\n", encoding="utf-8")


SOURCE_2018 = """source:
  publisher: Macao's anti-trafficking site (anti-tip.gov.mo)
  url: "http://anti-tip.gov.mo/en/news_detail.aspx?a_id=156"
  author: null
  published: "2018-06-29"
  language: en
  text: original
"""
# A stand-in for a text pasted by a contributor; the real archive never holds invented text.
PASTED = "A test paragraph standing in for the pasted text of the response."


def test_adding_the_text_keeps_the_address_and_the_feed_id(project: Path) -> None:
    from site_builder.loader import load_archive

    before = load_archive(project, base_url=BASE_URL)
    registered = next(s for s in before.statements if s.url == "2018/statement-2018-06-29/")
    path = project / R2018
    content = path.read_text(encoding="utf-8")
    # The one natural edit: the first version moves to `source`, the text goes below the front-matter.
    content = content.replace(
        """  - language: en
    kind: official
    publisher: Macao's anti-trafficking site (anti-tip.gov.mo)
    url: "http://anti-tip.gov.mo/en/news_detail.aspx?a_id=156"
    title: Response to the Trafficking in Persons Report by the U.S. Department of State
    published: "2018-06-29"
""",
        "",
    )
    path.write_text(content, encoding="utf-8")
    _with_text(path, PASTED, SOURCE_2018)
    after = load_archive(project, base_url=BASE_URL)
    added: Statement = next(s for s in after.statements if s.url == registered.url)
    assert added.id == registered.id and added.has_text and PASTED in added.plain_text
    files = render_site(after, project)
    assert PASTED in files[f"{added.url}index.html"].decode()
    rss = feedparser.parse(files["feed.xml"])
    assert added.id in [e.id for e in rss.entries]
    assert not broken_promises(read_lock(ROOT), after, files)


def test_a_text_added_as_a_new_file_is_pointed_to_its_record(project: Path) -> None:
    """A contributor who adds the text as a brand-new file is told where it belongs."""
    new = project / "statements/2018-response-2018.md"
    content = (project / R2018).read_text(encoding="utf-8")
    content = re.sub(r"id: urn:uuid:\S+", "id: urn:uuid:00000000-0000-4000-8000-000000000018", content)
    new.write_text(content.replace("slug: statement-2018-06-29", "slug: response-2018"), encoding="utf-8")
    _with_text(new, PASTED, SOURCE_2018)
    errors = errors_of(project)
    assert [(e.path, e.field) for e in errors] == [("statements/2018-response-2018.md", "issued")]
    assert errors[0].line == line_of(new, "issued:")
    assert errors[0].message.startswith("same response as statements/2018-statement-2018-06-29.md (/2018/statement-2018-06-29/)")
    assert "paste the text into statements/2018-statement-2018-06-29.md" in errors[0].message


def test_a_second_registration_sharing_an_address_is_located(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    """Another date, but the same official text: still the same response."""
    # Neither file holds a text, so the second in file order is the one reported.
    copy = project / "statements/2021-statement-copy.md"
    content = (project / "statements/2021-statement-2021.md").read_text(encoding="utf-8")
    content = re.sub(r"id: urn:uuid:\S+", "id: urn:uuid:00000000-0000-4000-8000-000000000021", content)
    copy.write_text(content.replace("slug: statement-2021", "slug: statement-2021-again"), encoding="utf-8")
    errors = errors_of(project)
    assert [(e.path, e.field) for e in errors] == [("statements/2021-statement-copy.md", "versions[0].url")]
    assert errors[0].line == line_of(copy, "a_id=163")
    assert "describe each response in one file only" in errors[0].message


@pytest.mark.parametrize(
    ("old", "new", "field", "needle", "message"),
    [
        ("source: null\n", SOURCE_2018, "body", "revised:", "the statement has no text; paste it verbatim"),
        (
            "claims: []",
            "claims: [{id: safest-city, passages: [safest]}]",
            "claims",
            "claims:",
            "the archive does not hold this response's text",
        ),
        ('issued: "2018-06-29"', "issued: null", "issued", "issued:", "the date of issue is unknown: give issued_bounds"),
        ('issued: "2018-06-29"', 'issued: "2017-06-29"', "issued", "issued:", "issued 2017-06-29 is before the 2018 report"),
    ],
)
def test_a_record_must_be_consistent(project: Path, old: str, new: str, field: str, needle: str, message: str) -> None:
    path = project / R2018
    content = path.read_text(encoding="utf-8")
    assert old in content
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    errors = errors_of(project)
    assert [(e.path, e.field) for e in errors] == [(R2018, field)], [str(e) for e in errors]
    assert errors[0].message.startswith(message)
    if field != "body":
        assert errors[0].line == line_of(path, needle)


def test_a_text_without_a_source_is_refused(project: Path) -> None:
    path = project / R2018
    path.write_text(path.read_text(encoding="utf-8") + "\nSome text with no source.\n", encoding="utf-8")
    errors = errors_of(project)
    assert [(e.path, e.line, e.field) for e in errors] == [(R2018, line_of(path, "source: null"), "source")]
    assert "the body holds a text but source is null" in errors[0].message


def test_an_archive_note_must_cite_its_source(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(
        "statements/2023-statement-2023-10-27.md",
        "[^funding]: The archive's reading, not yet linked to a public source:",
        "[^funding]: Not yet linked to a public source:",
    )
    errors = errors_of(project)
    assert [(e.path, e.line, e.field) for e in errors] == [
        ("statements/2023-statement-2023-10-27.md", line_of(path, "[^funding]: Not yet"), "body")
    ]
    assert errors[0].message == "archive note [^funding] cites no source: link the source, or say it is the archive's reading"


def test_split_claims_keep_their_old_addresses(site: Path) -> None:
    for old, new in (
        ("judicial-oversight", ("judicial-supervision", "judicial-cooperation")),
        ("low-incidence", ("cases-declining", "cases-low-or-zero")),
    ):
        page = (site / "claims" / old / "index.html").read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex">' in page
        for target in new:
            assert f'href="/claims/{target}/"' in page
            assert (site / "claims" / target / "index.html").is_file()
