"""`new`: start a statement file for a report year."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from ..errors import ContentErrors
from ..loader import load_archive

SCAFFOLD = """---
id: {id}
year: {year}
slug: {slug}
tier:            # must agree with data/tiers.yaml
title:           # as published, or null
issued:          # YYYY-MM-DD
office:
  name: Office of the Secretary for Security
  wording: null
office_holder:   # on the date of issue, or null
occasion:
  kind: report-release
  description:
summary:
source:          # the text you paste below; null if the archive does not hold it (body empty)
  publisher:
  url:
  author: null
  published: null
  language: en
  text: original
versions: []     # other versions: official texts in other languages, news reports, reprints
related: []
claims: []
revised:         # today, YYYY-MM-DD
---

Paste the statement's text here, verbatim.
"""


def _registered_without_text(root: Path, year: int) -> list[str]:
    """Files of `year` that record a response whose text the archive does not hold yet."""
    try:
        archive = load_archive(root)
    except ContentErrors:
        return []  # `check` reports what is broken; there is nothing reliable to suggest
    return [s.path for s in archive.statements if s.year == year and not s.has_text]


def new(root: Path, year: int, slug: str, another: bool = False) -> int:
    """Start `statements/{year}-{slug}.md` from the scaffold, unless the year already records a response without text."""
    path = root / "statements" / f"{year}-{slug}.md"
    if path.exists():
        print(f"{path} already exists", file=sys.stderr)
        return 1
    registered = _registered_without_text(root, year)
    if registered and not another:
        print(
            f"The archive already records a {year} response without its text: {', '.join(registered)}.\n"
            "To add that text, paste it verbatim below the front-matter of that file and fill in `source`;\n"
            "its address and feed id stay the same. If this is a different response, run again with --another.",
            file=sys.stderr,
        )
        return 1
    path.write_text(SCAFFOLD.format(id=f"urn:uuid:{uuid.uuid4()}", year=year, slug=slug), encoding="utf-8")
    print(f"Wrote {path}; fill it in, then run: python build.py check")
    return 0
