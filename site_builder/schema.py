"""Validate YAML data against the published JSON Schemas in schema/, with precise messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ContentError
from .front_matter import FieldPath, LineMap, field_name

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

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


@cache
def _validator(schema_path: Path) -> Draft202012Validator:
    # jsonschema is imported on first need: a build whose files all come from its cache validates nothing.
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def prepare(schema_path: Path) -> None:
    """Import the validator and compile `schema_path` now, in a process about to validate against it."""
    _validator(schema_path)


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The most specific errors: `anyOf`/`oneOf` wrap the real reasons in their context."""
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def _describe(error: ValidationError) -> tuple[FieldPath, str]:
    path: FieldPath = tuple(error.absolute_path)
    # jsonschema types these as possibly unset; on a raised error they are always set.
    value: Any = error.instance
    expected: Any = error.validator_value
    schema: Any = error.schema
    kind = error.validator
    last = str(path[-1]) if path and isinstance(path[-1], str) else ""
    if kind == "required":
        missing = next(name for name in expected if name not in value)
        return (*path, missing), "required field is missing"
    if kind == "additionalProperties":
        allowed = schema.get("properties", {})
        extra = sorted(str(key) for key in value if key not in allowed)
        return (*path, extra[0]), f"unknown field {extra[0]!r} (allowed: {', '.join(allowed)})"
    if kind == "enum":
        options = ", ".join(repr(option) for option in expected)
        what = "tier" if last == "tier" else "value"
        return path, f"unknown {what} {value!r}; expected one of {options}"
    if kind == "type":
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"expected {expected_text}, got {_TYPE_NAMES.get(type(value), type(value).__name__)}: {value!r}"
    if kind == "format" and expected == "date":
        return path, f"not a date in the form YYYY-MM-DD: {value!r}"
    if kind == "pattern":
        fallback = "is not a site path such as '/2024/'" if str(value).startswith("/") else "does not have the expected form"
        return path, f"{value!r} {_PATTERN_HINTS.get(last, fallback)}"
    if kind == "minLength" and expected == 1:
        return path, "must not be empty"
    if kind == "minItems":
        return path, f"needs at least {expected} item(s)"
    if kind == "propertyNames":
        return path, f"{value!r} is not a site path such as '/2024/'"
    return path, error.message


def validate(data: Any, schema_path: Path, file: str, lines: LineMap) -> list[ContentError]:
    """Every schema violation of `data`, located at its line in `file`."""
    errors: list[ContentError] = []
    for error in _validator(schema_path).iter_errors(data):
        for leaf in _leaves(error):
            path, message = _describe(leaf)
            errors.append(ContentError(file, lines.line_of(path), field_name(path), message))
    return errors
