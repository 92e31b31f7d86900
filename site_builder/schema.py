"""Validate YAML data against the published JSON Schemas in schema/, with precise messages.

The schemas are checked by jsonschema-rs (a JSON Schema validator compiled from Rust): it
imports in a few milliseconds, where the pure-Python `jsonschema` with its dependencies took
about 35 ms of a cold build. The messages are this module's own, made from each error's kind,
so they name what the field expects in the archive's words, whichever validator finds it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ContentError
from .front_matter import FieldPath, LineMap, field_name

if TYPE_CHECKING:
    from jsonschema_rs import ValidationError, Validator

_PATTERN_HINTS = {
    "url": "is not an http or https address",
    "slug": "must be lower-case letters, digits and single hyphens",
    "id": "is not a valid identifier for this field",
    "language": "is not a BCP 47 language tag such as 'en' or 'zh-Hant'",
    "base_url": "must be an http(s) address with no query or fragment, such as 'https://example.org/' or 'https://example.org/archive/'",
}
_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    type(None): "empty",
}
# What YAML can write that JSON cannot hold (the schema has no word for it): by explicit tag.
_YAML_ONLY = {
    bytes: "binary data (!!binary)",
    date: "a date (!!timestamp)",
    set: "a set (!!set)",
    tuple: "a key-value pair (!!omap or !!pairs)",
}


@cache
def _validator(schema_path: Path) -> Validator:
    # Imported on first need: a build whose files all come from its cache validates nothing.
    from jsonschema_rs import Draft202012Validator

    return Draft202012Validator(_schema(schema_path), validate_formats=True)


@cache
def _schema(schema_path: Path) -> Any:
    """The schema as data: what the validator compiles, and where messages look up a field's expectations."""
    return json.loads(schema_path.read_text(encoding="utf-8"))


def prepare(schema_path: Path) -> None:
    """Import the validator and compile `schema_path` now, in a process about to validate against it."""
    _validator(schema_path)


def _yaml_only(value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, bool]]:
    """Where `value` holds what JSON cannot: a YAML-only type or a number that is not finite (at
    its path: True), or a key that is not text (at its mapping's path: False). Each is reported
    here, in its own words, and not given to the validator."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield from _yaml_only(item, (*path, key))
            else:
                yield path, f"the key {key!r} is not text: put it in quotes", False
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _yaml_only(item, (*path, index))
    elif isinstance(value, float) and not math.isfinite(value):
        yield path, f"{value!r} is not a finite number", True
    else:
        for kind, name in _YAML_ONLY.items():
            if isinstance(value, kind):
                yield path, f"{name} is not allowed here: write plain text instead of {value!r}", True


def _checkable(value: Any, emptied: set[FieldPath], path: FieldPath = ()) -> Any:
    """`value` without the keys that are not text, and with the values `_yaml_only` reported emptied."""
    if path in emptied:
        return None
    if isinstance(value, dict):
        return {key: _checkable(item, emptied, (*path, key)) for key, item in value.items() if isinstance(key, str)}
    if isinstance(value, list):
        return [_checkable(item, emptied, (*path, index)) for index, item in enumerate(value)]
    return value


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors: `anyOf` wraps the real reasons, one list per alternative."""
    from jsonschema_rs import ValidationErrorKind as Kind

    if isinstance(error.kind, Kind.AnyOf):
        for alternative in error.kind.context:
            for reason in alternative:
                yield from _leaves(reason)
    else:
        yield error


def _at(document: Any, path: FieldPath) -> Any:
    for part in path:
        document = document[part]
    return document


def _describe(error: ValidationError, data: Any, schema: Any) -> tuple[FieldPath, str]:
    from jsonschema_rs import ValidationErrorKind as Kind

    path: FieldPath = tuple(error.instance_path)
    # The value as the file gave it: the validator's copy has lost Python's types (1.0 reads as 1).
    value = _at(data, path)
    last = str(path[-1]) if path and isinstance(path[-1], str) else ""
    match error.kind:
        case Kind.Required(property=name):
            return (*path, name), "required field is missing"
        case Kind.AdditionalProperties(unexpected=unexpected):
            allowed = _at(schema, tuple(error.schema_path[:-1])).get("properties", {})
            extra = sorted(unexpected)[0]
            return (*path, extra), f"unknown field {extra!r} (allowed: {', '.join(allowed)})"
        case Kind.Enum(options=options):
            what = "tier" if last == "tier" else "value"
            return path, f"unknown {what} {value!r}; expected one of {', '.join(repr(option) for option in options)}"
        case Kind.Type():
            expected = _at(schema, tuple(error.schema_path))  # in the schema's order, not the validator's
            expected_text = " or ".join(expected) if isinstance(expected, list) else expected
            return path, f"expected {expected_text}, got {_TYPE_NAMES.get(type(value), type(value).__name__)}: {value!r}"
        case Kind.Format(format="date"):
            return path, f"not a date in the form YYYY-MM-DD: {value!r}"
        case Kind.Pattern():
            fallback = "is not a site path such as '/2024/'" if str(value).startswith("/") else "does not have the expected form"
            return path, f"{value!r} {_PATTERN_HINTS.get(last, fallback)}"
        case Kind.MinLength(limit=1):
            return path, "must not be empty"
        case Kind.MinLength(limit=limit):
            return path, f"must be at least {limit} characters long"
        case Kind.MaxLength(limit=limit):
            return path, f"is {len(value)} characters long; at most {limit} are allowed"
        case Kind.MinItems(limit=limit):
            return path, f"needs at least {limit} item(s)"
        case Kind.Minimum(limit=limit):
            return path, f"{value!r} is less than the minimum of {limit}"
        case Kind.Maximum(limit=limit):
            return path, f"{value!r} is greater than the maximum of {limit}"
        case Kind.UniqueItems():
            return path, "lists the same item twice"
        case Kind.PropertyNames(error=reason):
            return path, f"{reason.instance!r} is not a site path such as '/2024/'"
    return path, error.message


def validate(data: Any, schema_path: Path, file: str, lines: LineMap) -> list[ContentError]:
    """Every schema violation of `data`, located at its line in `file`."""
    unheld = list(_yaml_only(data, ()))
    found = [(path, message) for path, message, _ in unheld]
    emptied = {path for path, _, is_value in unheld if is_value}
    checked = _checkable(data, emptied) if unheld else data
    schema = _schema(schema_path)
    for error in _validator(schema_path).iter_errors(checked):
        for leaf in _leaves(error):
            path, message = _describe(leaf, data, schema)
            # An emptied value was reported already, in its own words.
            if not any(path[:end] in emptied for end in range(len(path) + 1)):
                found.append((path, message))
    return [ContentError(file, lines.line_of(path), field_name(path), message) for path, message in found]
