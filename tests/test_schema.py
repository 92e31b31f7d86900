"""Schema messages: every keyword the published schemas use is reported in the archive's words,
at the field it concerns, and what YAML can write but JSON cannot is reported before validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from site_builder.front_matter import LineMap, parse_yaml
from site_builder.schema import validate
from tests.conftest import ROOT

SCHEMAS = ROOT / "schema"
STATEMENT = ROOT / "statements" / "2024-statement-2024-06-25.md"
NO_LINES = LineMap({}, 1)


def problems(data: Any, schema: str) -> list[tuple[str, str]]:
    return sorted((error.field, error.message) for error in validate(data, SCHEMAS / schema, "file", NO_LINES))


def statement(**changes: Any) -> dict[str, Any]:
    front: dict[str, Any] = yaml.safe_load(STATEMENT.read_text(encoding="utf-8").split("---\n")[1])
    front.update(changes)
    return front


def redirects(**changes: Any) -> dict[str, Any]:
    return {"/old/": "/new/", **changes}


# One case per keyword: the data that breaks it, its schema, and every problem reported. A keyword
# inside `anyOf` comes with the other alternative's reason: neither alternative holds.
CASES: dict[str, tuple[Any, str, list[tuple[str, str]]]] = {
    "type": (statement(title=7), "statement.schema.json", [("title", "expected string or null, got a whole number: 7")]),
    "minLength": (statement(summary=""), "statement.schema.json", [("summary", "must not be empty")]),
    "maxLength": (statement(slug="a" * 81), "statement.schema.json", [("slug", "is 81 characters long; at most 80 are allowed")]),
    "pattern": (
        statement(slug="Not_A_Slug"),
        "statement.schema.json",
        [("slug", "'Not_A_Slug' must be lower-case letters, digits and single hyphens")],
    ),
    "format": (statement(issued="2024-02-30"), "statement.schema.json", [("issued", "not a date in the form YYYY-MM-DD: '2024-02-30'")]),
    "minimum": (statement(year=1999), "statement.schema.json", [("year", "1999 is less than the minimum of 2001")]),
    "maximum": (statement(year=2101), "statement.schema.json", [("year", "2101 is greater than the maximum of 2100")]),
    "enum": (
        statement(tier="Tier 4"),
        "statement.schema.json",
        [("tier", "unknown tier 'Tier 4'; expected one of 'Tier 1', 'Tier 2', 'Tier 2 Watch List', 'Tier 3', 'Special Case'")],
    ),
    "required": ({k: v for k, v in statement().items() if k != "tier"}, "statement.schema.json", [("tier", "required field is missing")]),
    "additionalProperties": (
        statement(editor="x"),
        "statement.schema.json",
        [
            (
                "editor",
                f"unknown field 'editor' (allowed: {', '.join(json.loads((SCHEMAS / 'statement.schema.json').read_text())['properties'])})",
            )
        ],
    ),
    "minItems": (
        redirects(**{"/split/": ["/a/"]}),
        "redirects.schema.json",
        [("/split/", "expected string, got a list: ['/a/']"), ("/split/", "needs at least 2 item(s)")],
    ),
    "uniqueItems": (
        redirects(**{"/split/": ["/a/", "/a/"]}),
        "redirects.schema.json",
        [("/split/", "expected string, got a list: ['/a/', '/a/']"), ("/split/", "lists the same item twice")],
    ),
    "propertyNames": (redirects(old="/new/"), "redirects.schema.json", [("front-matter", "'old' is not a site path such as '/2024/'")]),
    "anyOf": (
        redirects(**{"/gone/": 3}),
        "redirects.schema.json",
        [("/gone/", "expected array, got a whole number: 3"), ("/gone/", "expected string, got a whole number: 3")],
    ),
}
# Keywords that only describe or structure a schema: nothing of theirs can fail on its own.
STRUCTURAL = {"$schema", "$id", "title", "description", "properties", "items"}


def keywords(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for keyword, value in schema.items():
            yield keyword
            if keyword == "properties":
                for sub in value.values():
                    yield from keywords(sub)
            elif isinstance(value, dict | list) and keyword not in ("enum", "required"):
                yield from keywords(value)
    elif isinstance(schema, list):
        for sub in schema:
            yield from keywords(sub)


def test_every_keyword_of_the_published_schemas_has_a_case() -> None:
    used = {keyword for path in SCHEMAS.glob("*.schema.json") for keyword in keywords(json.loads(path.read_text(encoding="utf-8")))}
    assert used - STRUCTURAL - set(CASES) == set(), "a keyword without a case would be reported in the validator's words"


def test_the_real_files_meet_their_schemas() -> None:
    assert problems(statement(), "statement.schema.json") == []
    for name in ("site", "tiers", "claims", "corrections", "redirects"):
        assert problems(yaml.safe_load((ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8")), f"{name}.schema.json") == [], name


@pytest.mark.parametrize("keyword", sorted(CASES))
def test_each_keyword_is_reported_in_the_archives_words(keyword: str) -> None:
    data, schema, expected = CASES[keyword]
    assert problems(data, schema) == expected


def test_each_missing_field_is_named() -> None:
    front = {k: v for k, v in statement().items() if k not in ("tier", "summary")}
    assert problems(front, "statement.schema.json") == [("summary", "required field is missing"), ("tier", "required field is missing")]


def test_a_number_keeps_the_type_it_was_written_as() -> None:
    # The validator reads 2024.0 as 2024; the message shows what the file says.
    assert problems(statement(year=1999.0), "statement.schema.json") == [("year", "1999.0 is less than the minimum of 2001")]


YAML_ONLY = {
    "title: !!binary aGk=": ("title", "binary data (!!binary) is not allowed here: write plain text instead of b'hi'"),
    "title: !!timestamp 2024-06-25": (
        "title",
        "a date (!!timestamp) is not allowed here: write plain text instead of datetime.date(2024, 6, 25)",
    ),
    "title: !!set {a}": ("title", "a set (!!set) is not allowed here: write plain text instead of {'a'}"),
    "title: .nan": ("title", "nan is not a finite number"),
    "year: -.inf": ("year", "-inf is not a finite number"),
    "office: {name: x, wording: null, 1: y}": ("office", "the key 1 is not text: put it in quotes"),
}


@pytest.mark.parametrize("line", sorted(YAML_ONLY))
def test_what_json_cannot_hold_is_reported_once_at_its_field(line: str) -> None:
    key = line.split(":", 1)[0]
    front = yaml.safe_dump({k: v for k, v in statement().items() if k != key}, sort_keys=False, allow_unicode=True, width=10_000)
    data, lines = parse_yaml(f"{front}{line}\n", "file")
    errors = validate(data, SCHEMAS / "statement.schema.json", "file", lines)
    # The value is emptied for the validator, so no second message (such as a type) follows.
    assert [(error.field, error.message) for error in errors] == [YAML_ONLY[line]]
    assert errors[0].line == front.count("\n") + 1


def test_a_key_that_is_not_text_hides_no_other_problem() -> None:
    front: dict[Any, Any] = {**statement(title=7), 2024: "x"}
    front["office"] = {**front["office"], 1: "y", "name": ""}
    assert problems(front, "statement.schema.json") == [
        ("front-matter", "the key 2024 is not text: put it in quotes"),
        ("office", "the key 1 is not text: put it in quotes"),
        ("office.name", "must not be empty"),
        ("title", "expected string or null, got a whole number: 7"),
    ]
