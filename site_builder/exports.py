"""Data downloads: the archive as JSON and CSV with a Frictionless Data Package describing them.

Researchers should be able to reuse the archive without scraping its pages, so every
statement, claim and tier-history row is published as data. The bytes depend only on the
archive (sorted keys, no timestamps), so a rebuild with unchanged content changes no file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .model import TIERS, Archive, Change, ReportYear, Statement

UrlFor = Callable[[str], str]
P = TypeVar("P")  # a piece of a file: its bytes, or a name for them

_CLAIM_COLUMNS = (
    ("year", "integer", "Report year the statement answers."),
    ("statement_id", "string", "Identifier of the statement."),
    ("statement_url", "string", "Address of the statement's page."),
    ("issued", "date", "Date the government issued the statement."),
    ("tier", "string", "Macao's tier in that report year."),
    ("claim_id", "string", "Identifier of the claim made in the statement."),
    ("claim_label", "string", "Short label of the claim."),
    ("passage_count", "integer", "Number of passages of the statement marked as making the claim."),
    ("passages", "string", 'The passages verbatim, joined with " | " (statements.json has them as a list).'),
    ("first_passage_url", "string", "Address of the first passage on the statement's page."),
)

_TIER_COLUMNS = (
    ("year", "integer", "Report year."),
    ("tier", "string", "Macao's tier that year."),
    ("change", "string", "Tier compared with the year before: up, down, same or unknown."),
    ("previous_tier", "string", "Tier the year before, where the archive has it."),
    ("report_published", "date", "Date the report was published, where verified."),
    ("source_label", "string", "Label of the source for the year's tier."),
    ("source_url", "string", "Address of the source for the year's tier."),
    (
        "statement_count",
        "integer",
        "Number of known government responses to that year's report, whether or not the archive holds their text.",
    ),
    ("statement_urls", "string", "Addresses of those responses' pages, separated by spaces."),
    ("texts_archived", "integer", "Number of those responses whose text the archive holds."),
    ("findings", "string", "The archive's one-line summary of what the report found, where verified."),
)

# Constraints make validation catch a mislabelled tier, not only a malformed cell.
_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "tier": {"enum": list(TIERS)},
    "previous_tier": {"enum": list(TIERS)},
    "change": {"enum": [c.value for c in Change]},
}


@dataclass(frozen=True)
class StatementData:
    """A statement's part of the data downloads, as it stands in each file (UTF-8)."""

    record: bytes  # its item of statements.json
    claim_rows: bytes  # its rows of claims.csv: one per claim it makes, none when the archive lacks its text


def statement_data(statement: Statement, absolute_url: UrlFor) -> StatementData:
    claim_rows = _csv_text(_claim_rows(statement, absolute_url)) if statement.has_text else ""
    return StatementData(record=statement_record_json(statement, absolute_url), claim_rows=claim_rows.encode("utf-8"))


def data_files(archive: Archive, absolute_url: UrlFor, parts: Sequence[StatementData] | None = None) -> dict[str, bytes]:
    """Relative output path -> file bytes for the data downloads.

    `parts` are the statements' parts (`statement_data`), in the order of `archive.statements`,
    when the caller has them already (kept from an earlier build): an edit then makes one
    statement's part again, not every one.
    """
    if parts is None:
        parts = [statement_data(s, absolute_url) for s in archive.statements]
    return {
        # One join each: the files are megabytes at a thousand statements, and copies add up (peak memory).
        "data/statements.json": b"".join(statements_json_layout([part.record for part in parts])),
        "data/claims.csv": b"".join(claims_csv_layout([part.claim_rows for part in parts])),
        **archive_data_files(archive, absolute_url),
    }


def archive_data_files(archive: Archive, absolute_url: UrlFor) -> dict[str, bytes]:
    """The data downloads made from the archive as a whole, not of statements' parts: the tier
    history and the Data Package."""
    return {
        "data/tiers.csv": _csv_bytes(_TIER_COLUMNS, (_tier_row(y, absolute_url) for y in archive.years)),
        "data/datapackage.json": _json_bytes(_datapackage(archive, absolute_url)),
    }


def statements_json_layout(records: Sequence[P]) -> list[bytes | P]:
    """statements.json's pieces in order: each statement's record (`statement_record_json`), laid
    out as `_json_bytes` lays out a list."""
    if not records:
        return [_json_bytes([])]
    pieces: list[bytes | P] = [b"[\n"]
    for record in records:
        pieces += (record, b",\n")
    pieces[-1] = b"\n]\n"
    return pieces


def claims_csv_layout(rows: Sequence[P]) -> list[bytes | P]:
    """claims.csv's pieces in order: its header, then each statement's rows."""
    return [_csv_text([[name for name, _, _ in _CLAIM_COLUMNS]]).encode("utf-8"), *rows]


def json_text(value: Any) -> str:
    """Stable, readable JSON: two-space indents, sorted keys, characters as they are; byte for
    byte what `json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)` writes (a test
    holds orjson to that), seven times as fast: the standard library indents in pure Python."""
    return _json_utf8(value).decode("utf-8")


def _json_utf8(value: Any) -> bytes:
    """`json_text`, encoded in UTF-8."""
    # Imported on first need, as is csv: from 100 statements a forked process makes the
    # downloads, and a rebuild that finds them unchanged makes none.
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


def _json_bytes(value: Any) -> bytes:
    """Stable, readable UTF-8 JSON, so unchanged content gives unchanged bytes."""
    return _json_utf8(value) + b"\n"


def statement_record_json(statement: Statement, absolute_url: UrlFor) -> bytes:
    """A statement's record as it stands in statements.json (UTF-8): an item of its top-level list."""
    text = _json_utf8(_statement_record(statement, absolute_url))
    # JSON escapes line breaks inside strings, so every line break here is the layout's own.
    return b"\n".join([b"  " + line for line in text.split(b"\n")])


def _csv_bytes(columns: Sequence[tuple[str, str, str]], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV with a header row."""
    return _csv_text([[name for name, _, _ in columns], *rows]).encode("utf-8")


def _csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows of CSV; values are written verbatim, never altered.

    Strings are always quoted (QUOTE_NONNUMERIC): with a "\\n" line terminator the csv module
    would leave a bare carriage return unquoted, and readers would split the row there.
    No cell is escaped against spreadsheet formula injection, because that would change
    the archive's text; spreadsheet users should import the columns as text.
    """
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def _statement_record(statement: Statement, absolute_url: UrlFor) -> dict[str, Any]:
    """Everything the archive records about a statement, with absolute addresses."""
    page = absolute_url(statement.url)
    source = statement.source
    return {
        "id": statement.id,
        "year": statement.year,
        "slug": statement.slug,
        "url": page,
        "tier": statement.tier,
        "title": statement.title,
        "heading": statement.heading,
        "issued": statement.issued,
        "issued_bounds": None
        if statement.issued_bounds is None
        else {"not_after": statement.issued_bounds.not_after, "basis": statement.issued_bounds.basis},
        "office": {"name": statement.office_name, "wording": statement.office_wording},
        "office_holder": statement.office_holder,
        "occasion": {"kind": statement.occasion_kind, "description": statement.occasion},
        "summary": statement.summary,
        "text_archived": statement.has_text,
        "source": None
        if source is None
        else {
            "publisher": source.publisher,
            "url": source.url,
            "author": source.author,
            "published": source.published,
            "language": source.language,
            "text": source.text,
        },
        "versions": [
            {
                "language": v.language,
                "kind": v.kind,
                "publisher": v.publisher,
                "url": v.url,
                "also_at": list(v.also_at),
                "title": v.title,
                "published": v.published,
                "note_html": v.note_html,
            }
            for v in statement.versions
        ],
        "related": [{"label": link.label, "url": link.url, "note": link.note} for link in statement.related],
        "claims": [
            {
                "id": claim.claim.id,
                "label": claim.claim.label,
                "passages": [{"text": p.text, "anchor": p.anchor, "url": f"{page}#{p.anchor}"} for p in claim.passages],
            }
            for claim in statement.claims
        ],
        "report_quotes": [
            {"text": quote.passage.text, "anchor": quote.passage.anchor, "note": quote.note} for quote in statement.report_quotes
        ],
        "revised": statement.revised,
        "text": statement.plain_text if statement.has_text else None,
    }


def _claim_rows(statement: Statement, absolute_url: UrlFor) -> Iterable[list[object]]:
    """One row per claim the statement makes."""
    page = absolute_url(statement.url)
    for claim in statement.claims:
        passages = claim.passages
        yield [
            statement.year,
            statement.id,
            page,
            statement.issued,
            statement.tier,
            claim.claim.id,
            claim.claim.label,
            len(passages),
            " | ".join(p.text for p in passages),
            f"{page}#{passages[0].anchor}" if passages else None,
        ]


def _tier_row(year: ReportYear, absolute_url: UrlFor) -> list[object]:
    return [
        year.year,
        year.tier,
        year.change.value,
        year.previous_tier,
        year.report_published,
        year.source.label,
        year.source.url,
        len(year.statements),
        " ".join(absolute_url(s.url) for s in year.statements),
        sum(1 for s in year.statements if s.has_text),
        year.findings,
    ]


def _table_schema(columns: Sequence[tuple[str, str, str]], primary_key: list[str]) -> dict[str, Any]:
    fields: list[dict[str, Any]] = []
    for name, kind, description in columns:
        field: dict[str, Any] = {"name": name, "type": kind, "format": "default", "description": description}
        if name in _CONSTRAINTS:
            field["constraints"] = _CONSTRAINTS[name]
        fields.append(field)
    return {"fields": fields, "primaryKey": primary_key, "missingValues": [""]}


def _csv_resource(name: str, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "title": title,
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def _datapackage(archive: Archive, absolute_url: UrlFor) -> dict[str, Any]:
    """The descriptor. "data-package", not "tabular-data-package": statements.json is not a table."""
    return {
        "profile": "data-package",
        "name": "macao-tip-responses",
        "title": archive.site.title,
        "description": archive.site.description,
        "homepage": absolute_url(""),
        "resources": [
            {
                "name": "statements",
                "path": "statements.json",
                "profile": "data-resource",
                "title": "Statements",
                "description": (
                    "Every known response, oldest first, with its metadata and known versions; where the archive "
                    "holds its text (text_archived), the claims it makes with their passages, and the text verbatim."
                ),
                "format": "json",
                "mediatype": "application/json",
                "encoding": "utf-8",
            },
            _csv_resource(
                "claims",
                "Claims by statement",
                "One row per statement and claim it makes.",
                _table_schema(_CLAIM_COLUMNS, ["statement_id", "claim_id"]),
            ),
            _csv_resource(
                "tiers",
                "Tier history",
                "One row per report year: Macao's tier and the statements answering the report.",
                _table_schema(_TIER_COLUMNS, ["year"]),
            ),
        ],
    }
