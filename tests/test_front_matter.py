"""Front-matter: lines of every field, dates as text, and precise YAML errors."""

from __future__ import annotations

import pytest

from site_builder.errors import ContentError
from site_builder.front_matter import decode, field_name, split_document

DOCUMENT = """---
year: 2024
issued: 2024-06-25
claims:
  - id: law
    passages:
      - "a passage"
---

Body text.
"""


def test_each_field_knows_its_line() -> None:
    document = split_document(DOCUMENT, "s.md")
    assert document.lines.line_of(("year",)) == 2
    assert document.lines.line_of(("claims", 0, "passages", 0)) == 7
    assert document.lines.line_of(("claims", 0, "missing")) == 5
    assert document.body_line == 9
    assert document.body.strip() == "Body text."


def test_dates_stay_text() -> None:
    assert split_document(DOCUMENT, "s.md").data["issued"] == "2024-06-25"


def test_field_names_read_like_the_yaml() -> None:
    assert field_name(("claims", 2, "passages", 0)) == "claims[2].passages[0]"
    assert field_name(()) == "front-matter"


def test_duplicate_key_is_an_error_at_its_second_line() -> None:
    with pytest.raises(ContentError) as caught:
        split_document("---\nyear: 2024\nyear: 2025\n---\nText\n", "s.md")
    assert str(caught.value) == "s.md:3: year: key appears twice in the same mapping"


def test_unclosed_front_matter() -> None:
    with pytest.raises(ContentError) as caught:
        split_document("---\nyear: 2024\nText\n", "s.md")
    assert caught.value.field == "front-matter" and "not closed" in caught.value.message


def test_bom_and_crlf_are_accepted() -> None:
    text = decode("\ufeff---\r\nyear: 2024\r\n---\r\nText\r\n".encode(), "s.md")
    assert split_document(text, "s.md").data == {"year": 2024}


def test_invalid_utf8_names_its_line() -> None:
    with pytest.raises(ContentError) as caught:
        decode(b"---\nyear: 2024\ntitle: caf\xe9\n", "s.md")
    assert (caught.value.line, caught.value.field) == (3, "encoding")
