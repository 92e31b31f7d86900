"""The contributor documentation covers every front-matter field the schema allows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.conftest import ROOT


def fields(properties: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for name, spec in properties.items():
        path = prefix + name
        nested = spec.get("properties") or spec.get("items", {}).get("properties")
        if nested:
            yield from fields(nested, path + ("[]." if "items" in spec else "."))
        else:
            yield path


def test_every_schema_field_is_documented_in_the_readme() -> None:
    schema = json.loads((ROOT / "schema/statement.schema.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [f for f in fields(schema["properties"]) if f"`{f}`" not in readme and f"`{f.split('[]')[0]}[]`" not in readme]
    assert not undocumented
