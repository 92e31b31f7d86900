"""Loading and validation: the real archive, and one broken copy per rule.

Each broken case asserts the exact file, line, field and message a contributor sees.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder.errors import ContentError, ContentErrors
from site_builder.loader import load_archive
from site_builder.model import Archive, Change

S2024 = "statements/2024-statement-2024-06-25.md"
S2020 = "statements/2020-statement-2020-06-26.md"


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def errors_of(root: Path) -> list[ContentError]:
    with pytest.raises(ContentErrors) as caught:
        load_archive(root)
    return caught.value.errors


def only_error(root: Path) -> ContentError:
    errors = errors_of(root)
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def test_real_archive_records_every_known_response_with_its_tier(archive: Archive) -> None:
    held = {(s.year, s.tier) for s in archive.archived}
    assert held == {(2020, "Tier 2 Watch List"), (2022, "Tier 3"), (2023, "Tier 3"), (2024, "Tier 3"), (2025, "Tier 3")}
    registered = [(s.year, s.issued) for s in archive.statements if not s.has_text]
    assert registered == [
        (2015, "2015-07-29"),
        (2016, None),
        (2017, None),
        (2018, "2018-06-29"),
        (2019, "2019-06-20"),
        (2021, None),
        (2023, "2023-06-16"),
    ]
    assert [y.year for y in archive.years] == list(range(2013, 2026))
    assert all(s.office_name == "Office of the Secretary for Security" for s in archive.archived)
    # 2023 has two responses, June before October.
    assert [s.issued for s in archive.years[2023 - 2013].statements] == ["2023-06-16", "2023-10-27"]


def test_tier_changes_follow_the_history(archive: Archive) -> None:
    changes = {y.year: y.change for y in archive.years}
    assert changes[2013] is Change.UNKNOWN
    assert changes[2016] is Change.SAME
    assert changes[2017] is Change.DOWN
    assert changes[2019] is Change.UP
    assert changes[2021] is Change.SAME
    assert changes[2022] is Change.DOWN


def test_report_quotes_are_not_claims(archive: Archive) -> None:
    statement = next(s for s in archive.statements if s.year == 2024)
    quoted = {q.passage.text for q in statement.report_quotes}
    claimed = {p.text for c in statement.claims for p in c.passages}
    assert quoted and not quoted & claimed
    assert 'class="report-quote"' in statement.text_html


def test_yaml_syntax_error(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "tier: Tier 3", "tier: [Tier 3")
    error = only_error(project)
    assert (error.path, error.field) == (S2024, "front-matter")
    assert error.message.startswith("YAML syntax error")
    assert line_of(path, "tier: [Tier 3") <= error.line <= line_of(path, "tier: [Tier 3") + 2


def test_missing_required_field(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    edit(S2024, "office_holder: Wong Sio Chak\n", "")
    error = only_error(project)
    assert (error.path, error.line, error.field, error.message) == (S2024, 2, "office_holder", "required field is missing")


def test_wrong_type(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "year: 2024", 'year: "twenty"')
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "year: "), "year")
    assert "expected integer" in error.message


def test_unknown_tier(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "tier: Tier 3", "tier: Tier 4")
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "tier: Tier 4"), "tier")
    assert error.message.startswith("unknown tier 'Tier 4'")


def test_tier_disagreeing_with_history(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "tier: Tier 3", "tier: Tier 2")
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "tier: Tier 2"), "tier")
    assert error.message == "'Tier 2' disagrees with data/tiers.yaml, which gives 'Tier 3' for 2024"


def test_unknown_claim_id(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "- id: us-own-record", "- id: us-own-records")
    error = only_error(project)
    assert error.line == line_of(path, "- id: us-own-records")
    assert error.field.startswith("claims[") and error.field.endswith("].id")
    assert "unknown claim id 'us-own-records'" in error.message


def test_claim_passage_not_in_text(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, '- "properly protected victims"', '- "properly protected all victims"')
    error = only_error(project)
    assert error.line == line_of(path, "properly protected all victims")
    assert error.field.endswith(".passages[0]")
    assert error.message.startswith("passage not found in the text")


def test_ambiguous_passage(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    edit(S2024, '- "properly protected victims"', '- "Macau"')
    error = only_error(project)
    assert "occurs" in error.message and "unique" in error.message


def test_duplicate_slug(project: Path) -> None:
    original = project / S2024
    copy = project / "statements/2024-statement-2024-06-25-copy.md"
    text = original.read_text(encoding="utf-8").replace("c05501ba-52fc-4113-8881-60667c8594b2", "c05501ba-52fc-4113-8881-000000000000")
    copy.write_text(text, encoding="utf-8")
    error = only_error(project)
    assert (error.path, error.line, error.field) == ("statements/2024-statement-2024-06-25.md", line_of(original, "slug:"), "slug")
    assert (
        error.message
        == "duplicate slug: statements/2024-statement-2024-06-25-copy.md already uses year and slug /2024/statement-2024-06-25/"
    )


def test_duplicate_feed_id(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    edit(S2020, "a285533e-2791-481c-acfd-9ca0be260bc6", "c05501ba-52fc-4113-8881-60667c8594b2")
    error = only_error(project)
    assert error.field == "id" and "duplicate id" in error.message


def test_source_address_not_http(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, 'url: "https://macaudailytimes', 'url: "javascript://macaudailytimes')
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "javascript://"), "source.url")
    assert "is not an http or https address" in error.message


def test_date_that_is_not_a_date(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, 'issued: "2024-06-25"', 'issued: "2024-06-31"')
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "issued:"), "issued")
    assert error.message == "not a date in the form YYYY-MM-DD: '2024-06-31'"


def test_empty_body(project: Path) -> None:
    path = project / S2024
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n---\n") + 5], encoding="utf-8")
    errors = errors_of(project)
    assert any(e.field == "body" and e.message.startswith("the statement has no text; paste it verbatim") for e in errors), [
        str(e) for e in errors
    ]


def test_file_not_utf8(project: Path) -> None:
    path = project / S2024
    raw = path.read_bytes().replace(b"Macau Daily Times", "Macau Daily \xe9Times".encode("latin-1"), 1)
    path.write_bytes(raw)
    error = only_error(project)
    assert (error.line, error.field) == (line_of_bytes(raw, b"Daily \xe9"), "encoding")
    assert "not valid UTF-8" in error.message


def line_of_bytes(raw: bytes, needle: bytes) -> int:
    return raw[: raw.index(needle)].count(b"\n") + 1


def test_unsafe_link_in_body(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "[Macao Post Daily](https://macaupostdaily.com/news/21897)", "[Macao Post Daily](javascript:alert(1))")
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "javascript:alert"), "body")
    assert "is not allowed" in error.message


def test_raw_html_in_body(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "The local government also stated", "<script>alert(1)</script> The local government also stated")
    errors = errors_of(project)
    assert any(e.field == "body" and "raw HTML" in e.message and e.line == line_of(path, "<script>") for e in errors), [
        str(e) for e in errors
    ]


def test_every_problem_is_reported_at_once(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    edit(S2024, "tier: Tier 3", "tier: Tier 4")
    edit(S2020, 'issued: "2020-06-26"', 'issued: "yesterday"')
    errors = errors_of(project)
    assert {(e.path, e.field) for e in errors} == {(S2024, "tier"), (S2020, "issued")}


def test_unknown_field_is_named(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "office_holder: Wong Sio Chak", "office_holder: Wong Sio Chak\nofice: typo")
    error = only_error(project)
    assert (error.line, error.field) == (line_of(path, "ofice: typo"), "ofice")
    assert error.message.startswith("unknown field")


def test_tier_history_year_missing(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    path = edit(S2024, "year: 2024", "year: 2031")
    errors = errors_of(project)
    assert any(e.field == "year" and "not in data/tiers.yaml" in e.message and e.line == line_of(path, "year: 2031") for e in errors)


def test_tier_history_lists_a_year_once(project: Path) -> None:
    path = project / "data/tiers.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\n- {year: 2017, tier: Tier 3, report_published: null, change_note: x, source: {label: x, url: 'https://x.example/'}, findings: null}\n",
        encoding="utf-8",
    )
    error = only_error(project)
    assert (error.path, error.line, error.field, error.message) == (
        "data/tiers.yaml",
        line_of(path, "{year: 2017"),
        "[13].year",
        "year 2017 is listed twice",
    )


def test_claim_vocabulary_defines_an_id_once(project: Path) -> None:
    path = project / "data/claims.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n- {id: safest-city, label: Again, definition: Again.}\n", encoding="utf-8")
    error = only_error(project)
    assert (error.path, error.field, error.message) == ("data/claims.yaml", "[24].id", "claim id 'safest-city' is listed twice")
    assert error.line == line_of(path, "{id: safest-city")
