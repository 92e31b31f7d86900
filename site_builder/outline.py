"""Outlines: the archive, a report year and a statement without the statements' texts.

A statement's text and what is found in it (TEXT_FIELDS) are shown by its own page and its
year's only. The pages that read the whole archive (the home, about and 404 pages) and the
citations of a statement or a year read the rest, so they are keyed by outlines that leave
those fields out: editing a statement's text then makes its pages again, but neither these pages
nor any citation. Tests render those pages and format those citations with the fields made
unreadable, so a template or a citation that starts to read one fails there.
"""

from __future__ import annotations

import dataclasses

from .memo import Memo
from .model import Archive, ReportYear, Statement

TEXT_FIELDS = frozenset({"text_html", "plain_text", "notes_html", "claims", "report_quotes"})

_KIND = "statement outline"
_OUTLINE_FIELDS = tuple(field.name for field in dataclasses.fields(Statement) if field.name not in TEXT_FIELDS)
_YEAR_FIELDS = tuple(field.name for field in dataclasses.fields(ReportYear) if field.name != "statements")
_ARCHIVE_FIELDS = tuple(field.name for field in dataclasses.fields(Archive) if field.name != "years")


def statement_outline(statement: Statement) -> tuple[object, ...]:
    """The statement without TEXT_FIELDS."""
    return tuple(getattr(statement, name) for name in _OUTLINE_FIELDS)


def outline_digests(memo: Memo, statement: Statement) -> tuple[str, str] | None:
    """The digests of the statement's outline and of its claims (None: the memo digests nothing).
    The loader keeps them with the statement it read, and hands them back with it (`recalled`)."""
    outline, claims = memo.key(statement_outline(statement)), memo.key(statement.claims)
    return (outline, claims) if outline is not None and claims is not None else None


def recalled(memo: Memo, digests: list[tuple[str, tuple[str, str]]]) -> None:
    """Hand this build's `Outlines` the digests kept with statements read back (by the
    statement's digest): those statements' outlines are then known without being digested."""
    memo.adopt_many(_KIND, digests)


class Outlines:
    """The outlines of one archive. Each statement's is known by its digest, remembered by the
    statement's own digest: digesting a thousand outlines anew would cost a rebuild more than
    the pages and citations it spares. So is the digest of its claims (passages are text, but
    the claim pages show them). Both are kept with the statement as read (see `recalled`), so a
    statement read back brings them. Digests are worked out on first need, all together."""

    def __init__(self, archive: Archive, memo: Memo) -> None:
        self._archive = archive
        self._memo = memo
        self._digests: dict[int, tuple[str, str] | None] | None = None  # by the statement's id()
        self._unremembered: list[Statement] = []

    def of_statement(self, statement: Statement) -> object:
        """The statement's outline: its digest, or the outline itself where there is none (what
        is keyed by it is then not remembered either)."""
        digests = self._digests_of(statement)
        return digests[0] if digests is not None else statement_outline(statement)

    def claims_of(self, statement: Statement) -> object:
        """The statement's claims: their digest, or the claims themselves where there is none."""
        digests = self._digests_of(statement)
        return digests[1] if digests is not None else statement.claims

    def _digests_of(self, statement: Statement) -> tuple[str, str] | None:
        if not self._memo.remembers:
            return None
        if self._digests is None:
            self._digests = self._digested()
        return self._digests.get(id(statement))

    def unremembered(self) -> list[Statement]:
        """The statements whose outline this build worked out: those the cache had not met as
        they now read (edited, or new), on a rebuild; every one on a first build. Empty when
        the memo remembers nothing."""
        if self._memo.remembers and self._digests is None:
            self._digests = self._digested()
        return self._unremembered

    def of_year(self, year: ReportYear) -> tuple[object, ...]:
        """The year's fields, and its statements' outlines."""
        return (tuple(getattr(year, name) for name in _YEAR_FIELDS), tuple(self.of_statement(s) for s in year.statements))

    def of_archive(self) -> tuple[object, ...]:
        """The years' outlines, and the archive's other fields."""
        return (tuple(self.of_year(year) for year in self._archive.years), *(getattr(self._archive, name) for name in _ARCHIVE_FIELDS))

    def _digested(self) -> dict[int, tuple[str, str] | None]:
        memo = self._memo
        statements = self._archive.statements
        keys = [memo.key(statement) for statement in statements]
        remembered = memo.recall_many(_KIND, [key for key in keys if key is not None])
        digests: dict[int, tuple[str, str] | None] = {}
        made: list[tuple[str | None, object]] = []
        for statement, key in zip(statements, keys, strict=True):
            found = remembered.get(key) if key is not None else None
            if found is None:
                self._unremembered.append(statement)
                found = outline_digests(memo, statement)
                if key is not None and found is not None:
                    made.append((key, found))
            digests[id(statement)] = found
        memo.keep_many(_KIND, made)
        return digests
