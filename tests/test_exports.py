"""The data downloads: valid Frictionless package, faithful to the model, byte-stable."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import frictionless
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.exports import data_files, json_text
from site_builder.model import (
    Archive,
    Change,
    ClaimDefinition,
    ClaimInStatement,
    Link,
    Passage,
    ReportQuote,
    ReportYear,
    SiteConfig,
    Source,
    Statement,
)

BASE = "https://archive.example/"
# Comma, double quote, newline and non-ASCII: everything a naive CSV writer gets wrong.
TRICKY = 'Law No. 6/2008, “Combating” the "crime"\nof trafficking in 澳門'
SLUG = "statement-2024-06-25"


def absolute_url(path: str) -> str:
    return BASE + path


def make_archive(tricky: str = TRICKY) -> Archive:
    law = ClaimDefinition("law-6-2008", "Cites Law No. 6/2008", "The statement cites the law.")
    victims = ClaimDefinition("victims", "Counts victims", "The statement counts victims.")
    statement = Statement(
        id="urn:uuid:00000000-0000-0000-0000-000000000001",
        year=2024,
        slug=SLUG,
        tier="Tier 2",
        title=None,
        issued="2024-06-25",
        issued_bounds=None,
        office_name="Security Bureau",
        office_wording=None,
        office_holder="Secretary for Security",
        occasion_kind="press-release",
        occasion="Reply to the 2024 report",
        summary="The government disagrees with the report.",
        source=Source("Government Information Bureau", "https://gcs.example/1", None, "2024-06-25", "en", "original"),
        versions=(),
        related=(Link("Chinese version", "https://gcs.example/zh", None),),
        claims=(
            ClaimInStatement(law, (Passage(tricky, f"{SLUG}-law-6-2008-1"), Passage("the law", f"{SLUG}-law-6-2008-2"))),
            ClaimInStatement(victims, (Passage("three victims", f"{SLUG}-victims-1"),)),
        ),
        report_quotes=(ReportQuote(Passage("the report says", f"{SLUG}-report-1"), "Quoted from the report."),),
        revised="2024-07-01",
        text_html="<p>…</p>",
        notes_html="",
        plain_text=f"The whole text. {tricky}",
        path="statements/2024-06-25.md",
    )
    years = (
        ReportYear(
            year=2023,
            tier="Tier 2 Watch List",
            change=Change.UNKNOWN,
            previous_tier=None,
            report_published=None,
            change_note="First year.",
            source=Link("2023 TIP Report", "https://state.example/2023"),
            findings=None,
            statements=(),
            new_claim_ids=(),
        ),
        ReportYear(
            year=2024,
            tier="Tier 2",
            change=Change.UP,
            previous_tier="Tier 2 Watch List",
            report_published="2024-06-24",
            change_note="Upgraded.",
            source=Link("2024 TIP Report, Macau", "https://state.example/2024"),
            findings="Efforts increased, with more victims identified.",
            statements=(statement,),
            new_claim_ids=(),
        ),
    )
    site = SiteConfig("Macao TIP Responses", "Responses, verbatim.", BASE, "en", "The archive", None)
    return Archive(site=site, years=years, claims=(law, victims), corrections=(), redirects=())


def write(files: dict[str, bytes], root: Path) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root / "data" / "datapackage.json"


def rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8"), newline="")))


def test_returns_exactly_the_four_files() -> None:
    assert set(data_files(make_archive(), absolute_url)) == {
        "data/statements.json",
        "data/claims.csv",
        "data/tiers.csv",
        "data/datapackage.json",
    }


def test_frictionless_validates_the_package(tmp_path: Path) -> None:
    report = frictionless.validate(write(data_files(make_archive(), absolute_url), tmp_path))
    assert report.valid, report.flatten(["type", "note"])
    assert {task.name for task in report.tasks} == {"statements", "claims", "tiers"}
    by_name = {task.name: task for task in report.tasks}
    assert by_name["claims"].stats["rows"] == 2
    assert by_name["tiers"].stats["rows"] == 2


def test_package_descriptor() -> None:
    package = json.loads(data_files(make_archive(), absolute_url)["data/datapackage.json"])
    assert package["name"] == "macao-tip-responses"
    assert package["homepage"] == BASE
    assert package["title"] == "Macao TIP Responses"
    resources = {r["name"]: r for r in package["resources"]}
    assert [r["path"] for r in package["resources"]] == ["statements.json", "claims.csv", "tiers.csv"]
    assert resources["tiers"]["schema"]["primaryKey"] == ["year"]
    assert resources["claims"]["schema"]["primaryKey"] == ["statement_id", "claim_id"]
    header = data_files(make_archive(), absolute_url)["data/claims.csv"].decode().splitlines()[0]
    assert [f["name"] for f in resources["claims"]["schema"]["fields"]] == next(csv.reader([header]))


def test_corrupted_csv_makes_the_package_invalid(tmp_path: Path) -> None:
    files = data_files(make_archive(), absolute_url)
    files["data/tiers.csv"] = files["data/tiers.csv"].replace(b"\n2023,", b'\n"abc",', 1)
    assert b'"abc"' in files["data/tiers.csv"]
    report = frictionless.validate(write(files, tmp_path))
    assert not report.valid
    assert "type-error" in {error[0] for error in report.flatten(["type"])}


def test_unknown_tier_makes_the_package_invalid(tmp_path: Path) -> None:
    files = data_files(make_archive(), absolute_url)
    files["data/claims.csv"] = files["data/claims.csv"].replace(b'"Tier 2"', b'"Tier 9"')
    report = frictionless.validate(write(files, tmp_path))
    assert not report.valid
    assert "constraint-error" in {error[0] for error in report.flatten(["type"])}


def test_claims_csv_matches_the_model() -> None:
    files = data_files(make_archive(), absolute_url)
    read = rows(files, "data/claims.csv")
    page = f"{BASE}2024/{SLUG}/"
    assert [(r["statement_id"], r["claim_id"]) for r in read] == [
        ("urn:uuid:00000000-0000-0000-0000-000000000001", "law-6-2008"),
        ("urn:uuid:00000000-0000-0000-0000-000000000001", "victims"),
    ]
    law, victims = read
    assert law["passages"] == f"{TRICKY} | the law"
    assert law["passage_count"] == "2"
    assert law["year"] == "2024"
    assert law["issued"] == "2024-06-25"
    assert law["tier"] == "Tier 2"
    assert law["statement_url"] == page
    assert law["first_passage_url"] == f"{page}#{SLUG}-law-6-2008-1"
    assert victims["passages"] == "three victims"


def test_tiers_csv_matches_the_model() -> None:
    read = rows(data_files(make_archive(), absolute_url), "data/tiers.csv")
    assert read == [
        {
            "year": "2023",
            "tier": "Tier 2 Watch List",
            "change": "unknown",
            "previous_tier": "",
            "report_published": "",
            "source_label": "2023 TIP Report",
            "source_url": "https://state.example/2023",
            "statement_count": "0",
            "statement_urls": "",
            "texts_archived": "0",
            "findings": "",
        },
        {
            "year": "2024",
            "tier": "Tier 2",
            "change": "up",
            "previous_tier": "Tier 2 Watch List",
            "report_published": "2024-06-24",
            "source_label": "2024 TIP Report, Macau",
            "source_url": "https://state.example/2024",
            "statement_count": "1",
            "statement_urls": f"{BASE}2024/{SLUG}/",
            "texts_archived": "1",
            "findings": "Efforts increased, with more victims identified.",
        },
    ]


@pytest.mark.parametrize("tricky", ["carriage\rreturn", "crlf\r\nline", '"quoted"', "=1+1", ""])
def test_awkward_values_round_trip(tmp_path: Path, tricky: str) -> None:
    files = data_files(make_archive(tricky), absolute_url)
    assert rows(files, "data/claims.csv")[0]["passages"] == f"{tricky} | the law"
    report = frictionless.validate(write(files, tmp_path))
    assert report.valid, report.flatten(["type", "note"])


def test_statements_json() -> None:
    raw = data_files(make_archive(), absolute_url)["data/statements.json"]
    assert raw.endswith(b"}\n]\n")
    assert "澳門".encode() in raw  # not \u-escaped
    (statement,) = json.loads(raw)
    page = f"{BASE}2024/{SLUG}/"
    assert statement["url"] == page
    assert statement["title"] is None
    assert statement["heading"] == "Statement of 2024-06-25 on the 2024 report"
    assert statement["office"] == {"name": "Security Bureau", "wording": None}
    assert statement["occasion"] == {"kind": "press-release", "description": "Reply to the 2024 report"}
    assert statement["source"]["author"] is None
    assert statement["related"] == [{"label": "Chinese version", "url": "https://gcs.example/zh", "note": None}]
    assert statement["report_quotes"] == [
        {"text": "the report says", "anchor": f"{SLUG}-report-1", "note": "Quoted from the report."},
    ]
    assert statement["text"] == f"The whole text. {TRICKY}"
    assert [c["id"] for c in statement["claims"]] == ["law-6-2008", "victims"]
    assert statement["claims"][0]["passages"][0]["text"] == TRICKY
    passages = [p for claim in statement["claims"] for p in claim["passages"]]
    assert len(passages) == 3
    for passage in passages:
        assert passage["url"] == f"{page}#{passage['anchor']}"


@pytest.mark.parametrize("tricky", ["line\nbreak", "line\u2028separator", "tab\tand \\ backslash", ""])
def test_statements_json_is_one_document_laid_out_as_json_lays_it_out(tricky: str) -> None:
    """The records are encoded one by one (the preview server remembers each) and joined."""
    archive = make_archive(tricky)
    (statement,) = archive.statements
    later = Statement(**{**statement.__dict__, "id": "later", "slug": "later"})
    two = Archive(archive.site, (replace(archive.years[0], statements=(statement, later)),), archive.claims, (), ())
    for each in (archive, two, Archive(archive.site, (replace(archive.years[0], statements=()),), archive.claims, (), ())):
        raw = data_files(each, absolute_url)["data/statements.json"]
        assert raw == (json.dumps(json.loads(raw), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
        assert len(json.loads(raw)) == len(each.statements)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES)
def test_the_json_is_byte_for_byte_what_the_standard_library_writes(value: object) -> None:
    """orjson writes the downloads; their bytes are the documented layout of `json.dumps`, whatever the text."""
    assert json_text(value) == json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def test_statements_are_oldest_first() -> None:
    archive = make_archive()
    (statement,) = archive.statements
    later = ReportYear(
        year=2025,
        tier="Tier 2",
        change=Change.SAME,
        previous_tier="Tier 2",
        report_published=None,
        change_note="Same.",
        source=Link("2025", "https://state.example/2025"),
        findings=None,
        statements=(Statement(**{**statement.__dict__, "id": "later", "year": 2025, "slug": "later"}),),
        new_claim_ids=(),
    )
    archive = Archive(archive.site, (*archive.years, later), archive.claims, (), ())
    ids = [s["id"] for s in json.loads(data_files(archive, absolute_url)["data/statements.json"])]
    assert ids == [statement.id, "later"]


def test_output_is_deterministic() -> None:
    assert data_files(make_archive(), absolute_url) == data_files(make_archive(), absolute_url)
    for content in data_files(make_archive(), absolute_url).values():
        assert content.endswith(b"\n")
        content.decode("utf-8")
