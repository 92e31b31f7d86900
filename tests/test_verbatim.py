"""The statements' text is the collected source text, verbatim.

Compares each statement's rendered text (archive notes excluded) with the raw seed it was
transcribed from, and allows only the documented removals around it: a leading scraped
date line, the headline (kept as `title`), the byline (kept as `source.author`) and a
trailing category label. Runs where the collected seeds sit beside the project, as in CI.
"""

from __future__ import annotations

import re

import pytest

from site_builder.markdown import normalise_space
from site_builder.model import Archive, Statement
from tests.conftest import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
RESIDUE_BEFORE = re.compile(r"^(date \d{4}-\d{2}-\d{2})?\s*$")
RESIDUE_AFTER = re.compile(r"^(Categories Macau)?$")


def seeds() -> list[str]:
    if not SEEDS.is_dir():
        pytest.skip(f"collected seeds not found at {SEEDS}")
    return [normalise_space(path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))]


def _text(statement: Statement) -> str:
    return normalise_space(statement.plain_text)


def test_every_statement_is_a_seed_verbatim(archive: Archive) -> None:
    texts = seeds()
    for statement in archive.archived:
        body = _text(statement)
        matches = [seed for seed in texts if body in seed]
        assert len(matches) == 1, f"{statement.path}: text is not found verbatim in exactly one seed"
        before, after = (part.strip() for part in matches[0].split(body, 1))
        if statement.title:
            assert before.endswith(statement.title), f"{statement.path}: text before the body is not the title"
            before = before.removesuffix(statement.title).strip()
        assert RESIDUE_BEFORE.match(before), f"{statement.path}: unexplained text before the body: {before!r}"
        if statement.source is not None and statement.source.author:
            byline = re.escape(statement.source.author)
            after = re.sub(rf"^\(?{byline}\)?", "", after).strip()
        assert RESIDUE_AFTER.match(after), f"{statement.path}: unexplained text after the body: {after!r}"


def test_every_seed_is_in_the_archive(archive: Archive) -> None:
    bodies = [_text(s) for s in archive.archived]
    for seed in seeds():
        assert any(body in seed for body in bodies), f"a collected seed has no statement: {seed[:80]}"


def test_a_changed_word_is_caught(archive: Archive) -> None:
    """The check above can fail: one altered word in the text breaks the match."""
    statement = archive.archived[0]
    altered = _text(statement).replace("Macao", "Macau", 1)
    assert altered != _text(statement)
    assert not any(altered in seed for seed in seeds())
