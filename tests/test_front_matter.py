"""Front-matter: lines of every field, dates as text, and precise YAML errors."""

from __future__ import annotations

import pickle

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


def test_a_line_map_read_back_is_unpacked_only_when_read() -> None:
    lines = split_document(DOCUMENT, "s.md").lines
    read_back = pickle.loads(pickle.dumps(lines, protocol=pickle.HIGHEST_PROTOCOL))
    assert read_back._lines is None, "nothing is unpacked until a line is asked for"
    assert read_back.line_of(("claims", 0, "passages", 0)) == 7 and read_back.line_of(("nowhere",)) == 2
    assert read_back == lines and read_back.lines == lines.lines and read_back.default == lines.default
    assert pickle.loads(pickle.dumps(read_back)) == lines, "pickled again once unpacked"
    assert repr(read_back) == repr(lines)


def test_dates_stay_text() -> None:
    assert split_document(DOCUMENT, "s.md").data["issued"] == "2024-06-25"


def test_field_names_read_like_the_yaml() -> None:
    assert field_name(("claims", 2, "passages", 0)) == "claims[2].passages[0]"
    assert field_name(()) == "front-matter"


def test_a_key_that_is_not_a_plain_name_ends_the_field_name() -> None:
    assert field_name(("source", "a:b\nc", 0)) == "source"
    assert field_name((":id",)) == "front-matter"


def test_duplicate_key_is_an_error_at_its_second_line() -> None:
    with pytest.raises(ContentError) as caught:
        split_document("---\nyear: 2024\nyear: 2025\n---\nText\n", "s.md")
    assert str(caught.value) == "s.md:3: year: key 'year' appears twice in the same mapping"


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


def test_aliases_are_refused_before_they_can_expand() -> None:
    laughs = "\n".join(
        ["a: &a [x, x, x, x, x, x, x, x, x]"]
        + [f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    )
    with pytest.raises(ContentError) as caught:
        split_document(f"---\n{laughs}\n---\nText\n", "s.md")
    assert (caught.value.line, caught.value.field) == (3, "b[0]")
    assert "aliases" in caught.value.message


@pytest.mark.parametrize(
    ("escape", "named"),
    [("\\a", "U+0007"), ("\\0", "U+0000"), ("\\x85", "U+0085"), ("\\u202e", "U+202E"), ("\\u2066", "U+2066")],
)
def test_control_and_bidi_characters_are_refused_at_their_field(escape: str, named: str) -> None:
    with pytest.raises(ContentError) as caught:
        split_document(f'---\nyear: 2024\nsource:\n  author: "Wong{escape} Sio Chak"\n---\nText\n', "s.md")
    assert (caught.value.line, caught.value.field) == (4, "source.author")
    assert named in caught.value.message


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ContentError) as caught:
        split_document("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\nText\n", "s.md")
    assert caught.value.field == "front-matter"


def test_a_raw_control_character_is_located_not_a_crash() -> None:
    with pytest.raises(ContentError) as caught:
        split_document("---\nyear: 2024\ntitle: Bell\x07\n---\nText\n", "s.md")
    assert str(caught.value) == "s.md:3: front-matter: control character U+0007 is not allowed"
