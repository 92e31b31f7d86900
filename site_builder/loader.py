"""Load and validate: read every content file, check it, and build the immutable model.

All problems are collected before anything fails, so `build.py check` can show a
contributor every one of them at once.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import front_matter, schema
from .background import Standby
from .errors import ContentError, ContentErrors, display_path
from .front_matter import Document, LineMap, decode, parse_yaml, split_document
from .input_record import InputRecord, Status, status_of
from .memo import Memo
from .model import (
    Archive,
    ClaimDefinition,
    ClaimInStatement,
    Correction,
    DateBounds,
    Link,
    Passage,
    ReportQuote,
    ReportYear,
    SiteConfig,
    Source,
    Statement,
    Version,
    tier_change,
)
from .outline import outline_digests, recalled
from .urls import SiteUrls, with_trailing_slash

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@dataclass(frozen=True)
class Project:
    """Where the content of an archive lives."""

    root: Path

    @property
    def statements(self) -> Path:
        return self.root / "statements"

    def data(self, name: str) -> Path:
        return self.root / "data" / name

    def schema(self, name: str) -> Path:
        return self.root / "schema" / name

    def shown(self, path: Path) -> str:
        return display_path(path, self.root)


def _unreadable(shown: str, error: OSError) -> ContentError:
    if isinstance(error, FileNotFoundError):
        return ContentError(shown, 1, "file", "file is missing (or a link to a missing file)")
    return ContentError(shown, 1, "file", f"cannot be read: {error.strerror or error}")


def _read_yaml(project: Project, name: str, schema_name: str, errors: list[ContentError], memo: Memo) -> tuple[Any, LineMap] | None:
    """A data file's data and lines, if it parses and meets its schema; problems go to `errors`.

    A file read before with the same bytes and schema comes from the memo, so a build whose
    content is unchanged neither parses YAML nor imports the schema validator. Problems are
    never remembered, so each is reported again until it is fixed.
    """
    path = project.data(name)
    shown = project.shown(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        errors.append(_unreadable(shown, error))
        return None
    key = None
    if memo.remembers:
        with contextlib.suppress(OSError):  # an unreadable schema gives no key; validating below fails on it
            key = memo.key((shown, raw, project.schema(schema_name).read_bytes()))
    remembered: tuple[Any, LineMap] | None = memo.recall("data file", key, durable=True)
    if remembered is not None:
        return remembered
    try:
        text = decode(raw, shown)
        data, lines = parse_yaml(text, shown)
    except ContentError as error:
        errors.append(error)
        return None
    found = schema.validate(data, project.schema(schema_name), shown, lines)
    errors.extend(found)
    if found:
        return None
    memo.keep("data file", key, (data, lines), durable=True)
    return data, lines


@dataclass(frozen=True)
class _TierEntry:
    year: int
    tier: str
    report_published: str | None
    change_note: str
    source: Link
    findings: str | None


def _unique_items(project: Project, name: str, loaded: tuple[Any, LineMap], key: str, what: str, errors: list[ContentError]) -> list[Any]:
    """The items of a data list, leaving out (and reporting) any whose key repeats an earlier one."""
    data, lines = loaded
    seen: set[Any] = set()
    kept = []
    for index, item in enumerate(data):
        if item[key] in seen:
            shown = project.shown(project.data(name))
            errors.append(ContentError(shown, lines.line_of((index, key)), f"[{index}].{key}", f"{what} {item[key]!r} is listed twice"))
            continue
        seen.add(item[key])
        kept.append(item)
    return kept


def _tier_history(project: Project, errors: list[ContentError], memo: Memo) -> dict[int, _TierEntry] | None:
    loaded = _read_yaml(project, "tiers.yaml", "tiers.schema.json", errors, memo)
    if loaded is None:
        return None
    history = {
        item["year"]: _TierEntry(
            year=item["year"],
            tier=item["tier"],
            report_published=item["report_published"],
            change_note=item["change_note"],
            source=Link(item["source"]["label"], item["source"]["url"]),
            findings=item["findings"],
        )
        for item in _unique_items(project, "tiers.yaml", loaded, "year", "year", errors)
    }
    return dict(sorted(history.items()))


def _claim_vocabulary(project: Project, errors: list[ContentError], memo: Memo) -> dict[str, ClaimDefinition] | None:
    loaded = _read_yaml(project, "claims.yaml", "claims.schema.json", errors, memo)
    if loaded is None:
        return None
    return {
        item["id"]: ClaimDefinition(item["id"], item["label"], item["definition"])
        for item in _unique_items(project, "claims.yaml", loaded, "id", "claim id", errors)
    }


class _StatementReader:
    """Reads one statement file against the tier history and the claim vocabulary.

    Either may be None when its own file is broken: that file's problem is then reported
    once, instead of again as a disagreement in every statement.
    """

    def __init__(
        self,
        project: Project,
        history: dict[int, _TierEntry] | None,
        vocabulary: dict[str, ClaimDefinition] | None,
        base_path: str = "/",
    ) -> None:
        self.project = project
        self.history = history
        self.vocabulary = vocabulary
        self.base_path = base_path
        self._md: MarkdownIt | None = None

    def __getstate__(self) -> dict[str, object]:
        # Handed to a forked reader (`read_beside`) without a parser: that process has its own.
        return {**self.__dict__, "_md": None}

    def parser(self) -> MarkdownIt:
        """The Markdown parser, made on first need: a build whose statements all come from its
        cache never imports markdown-it."""
        if self._md is None:
            from .markdown import create_parser

            self._md = create_parser()
        return self._md

    def prepare(self) -> None:
        """Import and set up now what reading a file needs: PyYAML, the schema validator, markdown-it."""
        front_matter.prepare()
        schema.prepare(self.project.schema("statement.schema.json"))
        self.parser()

    def context(self) -> tuple[object, ...]:
        """Everything besides a file's own bytes that its reading depends on."""
        schema_bytes = self.project.schema("statement.schema.json").read_bytes()
        return (self.history, self.vocabulary, self.base_path, schema_bytes)

    def read(self, path: Path, data: bytes, errors: list[ContentError]) -> tuple[Statement, LineMap] | None:
        shown = self.project.shown(path)
        try:
            document = split_document(decode(data, shown), shown)
        except ContentError as error:
            errors.append(error)
            return None
        found = schema.validate(document.data, self.project.schema("statement.schema.json"), shown, document.lines)
        if found:
            errors.extend(found)
            return None
        statement = self._build(shown, document, errors)
        return None if statement is None else (statement, document.lines)

    def _build(self, shown: str, document: Document, errors: list[ContentError]) -> Statement | None:
        from .markdown import Highlight, render_body, render_note  # see `parser`

        md = self.parser()
        data, lines = document.data, document.lines
        before = len(errors)

        def problem(field_path: tuple[str | int, ...], field: str, message: str) -> None:
            errors.append(ContentError(shown, lines.line_of(field_path), field, message))

        year, slug = data["year"], data["slug"]
        if self.history is not None:
            entry = self.history.get(year)
            if entry is None:
                problem(("year",), "year", f"report year {year} is not in data/tiers.yaml; add the year's tier there first")
            elif entry.tier != data["tier"]:
                problem(("tier",), "tier", f"{data['tier']!r} disagrees with data/tiers.yaml, which gives {entry.tier!r} for {year}")

        expect_text = data["source"] is not None
        if not expect_text:
            for key in ("claims", "report_quotes"):
                if data.get(key):
                    problem(
                        (key,), key, "the archive does not hold this response's text (source is null), so nothing in it can be annotated"
                    )
        if not expect_text and not data["versions"]:
            problem(
                ("versions",),
                "versions",
                "the archive does not hold this response's text: list at least one version saying where it can be read",
            )
        if data["issued"] is None and data.get("issued_bounds") is None:
            problem(
                ("issued",), "issued", "the date of issue is unknown: give issued_bounds (not_after, basis) to say what the sources show"
            )
        if data["issued"] is not None and data.get("issued_bounds") is not None:
            problem(("issued_bounds",), "issued_bounds", "give issued_bounds only where the date of issue is unknown (issued: null)")
        bounds = data.get("issued_bounds")
        known_year = self.history is None or year in self.history  # an unknown year is reported above
        if known_year and data["issued"] is not None and bounds is None and year - int(data["issued"][:4]) > 0:
            problem(("issued",), "issued", f"issued {data['issued']} is before the {year} report it answers")

        versions = []
        for index, item in enumerate(data["versions"]):
            note_html = None
            if "note" in item:
                note_html, found_in_note = render_note(md, item["note"], f"versions[{index}].note", self.base_path)
                for found in found_in_note:
                    problem(("versions", index, "note"), found.field, found.message)
            versions.append(
                Version(
                    language=item["language"],
                    kind=item["kind"],
                    publisher=item["publisher"],
                    url=item["url"],
                    also_at=tuple(item.get("also_at", [])),
                    title=item.get("title"),
                    published=item.get("published"),
                    note_html=note_html,
                )
            )

        highlights: list[Highlight] = []
        claims: list[tuple[ClaimDefinition, list[Passage]]] = []
        seen_claims: set[str] = set()
        # Without a text there is nothing to annotate; that is reported once, above.
        for index, item in enumerate(data["claims"] if expect_text else []):
            claim = ClaimDefinition(item["id"], item["id"], "") if self.vocabulary is None else self.vocabulary.get(item["id"])
            if claim is None:
                problem(("claims", index, "id"), f"claims[{index}].id", f"unknown claim id {item['id']!r}; define it in data/claims.yaml")
                continue
            if claim.id in seen_claims:
                problem(
                    ("claims", index, "id"), f"claims[{index}].id", f"claim {claim.id!r} is listed twice; give it several passages instead"
                )
                continue
            seen_claims.add(claim.id)
            passages = []
            for number, text in enumerate(item["passages"]):
                anchor = f"{slug}-{claim.id}-{number + 1}"
                passages.append(Passage(text, anchor))
                highlights.append(Highlight(text, anchor, "claim", f"Claim: {claim.label}", f"claims[{index}].passages[{number}]"))
            claims.append((claim, passages))
        quotes: list[ReportQuote] = []
        for index, item in enumerate(data.get("report_quotes", []) if expect_text else []):
            passage = Passage(item["passage"], f"{slug}-report-{index + 1}")
            quotes.append(ReportQuote(passage, item.get("note")))
            highlights.append(
                Highlight(passage.text, passage.anchor, "report-quote", "Quoted from the US report", f"report_quotes[{index}].passage")
            )

        body = render_body(md, document.body, slug, highlights, self.base_path, expect_text=expect_text)
        for found in body.problems:
            if found.body_line is not None:
                errors.append(ContentError(shown, document.body_line + found.body_line - 1, found.field, found.message))
            else:
                field_path = _parse_field(found.field)
                line = lines.line_of(field_path) if field_path else document.body_line
                errors.append(ContentError(shown, line, found.field, found.message))
        if len(errors) > before:
            return None

        source = data["source"]
        return Statement(
            id=data["id"],
            year=year,
            slug=slug,
            tier=data["tier"],
            title=data["title"],
            issued=data["issued"],
            issued_bounds=DateBounds(bounds["not_after"], bounds["basis"]) if bounds else None,
            office_name=data["office"]["name"],
            office_wording=data["office"]["wording"],
            office_holder=data["office_holder"],
            occasion_kind=data["occasion"]["kind"],
            occasion=data["occasion"]["description"],
            summary=data["summary"],
            source=None
            if source is None
            else Source(source["publisher"], source["url"], source["author"], source["published"], source["language"], source["text"]),
            versions=tuple(versions),
            related=tuple(Link(r["label"], r["url"], r.get("note")) for r in data.get("related", [])),
            claims=tuple(ClaimInStatement(claim, tuple(passages)) for claim, passages in claims),
            report_quotes=tuple(quotes),
            revised=data["revised"],
            text_html=body.text_html,
            notes_html=body.notes_html,
            plain_text=body.plain_text,
            path=shown,
        )


def _parse_field(field: str) -> tuple[str | int, ...]:
    """`claims[2].passages[0]` -> ("claims", 2, "passages", 0); "body" -> ()."""
    if field == "body":
        return ()
    parts: list[str | int] = []
    for name, index in re.findall(r"([a-z_]+)|\[(\d+)\]", field):
        parts.append(name if name else int(index))
    return tuple(parts)


def _check_unique(statements: list[tuple[Statement, LineMap]], errors: list[ContentError]) -> None:
    """Year and slug make the URL, and the id the feed entry: each must be unique."""
    by_url: dict[str, Statement] = {}
    by_id: dict[str, Statement] = {}
    for statement, lines in statements:
        for key, index, field in ((statement.url, by_url, "slug"), (statement.id, by_id, "id")):
            other = index.get(key)
            if other is not None:
                what = f"year and slug /{key}" if field == "slug" else f"id {key!r}"
                errors.append(
                    ContentError(statement.path, lines.line_of((field,)), field, f"duplicate {field}: {other.path} already uses {what}")
                )
            else:
                index[key] = statement


def _addresses(statement: Statement) -> dict[str, str]:
    """Every address that names a text of the statement, with the field that gives it."""
    found: dict[str, str] = {}
    if statement.source is not None:
        found[statement.source.url] = "source.url"
    for index, version in enumerate(statement.versions):
        found.setdefault(version.url, f"versions[{index}].url")
        for number, url in enumerate(version.also_at):
            found.setdefault(url, f"versions[{index}].also_at[{number}]")
    return found


def _check_same_response(statements: list[tuple[Statement, LineMap]], errors: list[ContentError]) -> None:
    """One response, one file: a second file for a registered response would split its record.

    Two files describe the same response when they answer the same report year and were issued
    the same day, or when they name the same address for a text. The usual cause is a
    contributor adding the text of a registered response as a new file: that file is the one
    reported, and the message says where the text belongs instead.
    """
    # Earlier files by report year and date of issue, and by every address of a text they name,
    # so each file is compared with its few candidates rather than with every other file.
    by_date: dict[tuple[int, str], tuple[Statement, LineMap]] = {}
    by_address: dict[str, tuple[Statement, LineMap]] = {}
    for statement, lines in statements:
        addresses = _addresses(statement)
        candidates = [by_date.get((statement.year, statement.issued))] if statement.issued else []
        candidates += [by_address.get(url) for url in addresses]
        # A file with the same slug or id is already reported as a duplicate.
        found = next((c for c in candidates if c is not None and statement.url != c[0].url and statement.id != c[0].id), None)
        if found is None:
            if statement.issued:
                by_date.setdefault((statement.year, statement.issued), (statement, lines))
            for url in addresses:
                by_address.setdefault(url, (statement, lines))
            continue
        other, other_lines = found
        # Report the file that brings a text, not the registration it duplicates.
        if other.has_text and not statement.has_text:
            (statement, lines), (other, other_lines) = (other, other_lines), (statement, lines)
        reason = _same_response(statement, other)
        assert reason is not None, "a candidate shares a date or an address"
        field, what = reason
        advice = (
            f"paste the text into {other.path} (keeping its id and slug, so its address and feed id stay) and delete this file"
            if statement.has_text and not other.has_text
            else "describe each response in one file only"
        )
        errors.append(
            ContentError(
                statement.path,
                lines.line_of(_parse_field(field)),
                field,
                f"same response as {other.path} (/{other.url}): {what} is already registered there; {advice}",
            )
        )


def _same_response(statement: Statement, other: Statement) -> tuple[str, str] | None:
    """The field of `statement` that shows it is the same response as `other`, and why."""
    if statement.issued is not None and (statement.year, statement.issued) == (other.year, other.issued):
        return "issued", f"the {statement.year} response issued {statement.issued}"
    other_addresses = _addresses(other)
    for url, field in _addresses(statement).items():
        if url in other_addresses:
            return field, f"the response whose text is at {url}"
    return None


def _site_config(project: Project, base_url: str | None, errors: list[ContentError], memo: Memo) -> SiteConfig | None:
    loaded = _read_yaml(project, "site.yaml", "site.schema.json", errors, memo)
    if loaded is None:
        return None
    data, lines = dict(loaded[0]), loaded[1]
    if base_url is not None:
        # The override lands in every page and feed, so it meets the same rule as the file.
        data["base_url"] = base_url
        shown = project.shown(project.data("site.yaml"))
        found = schema.validate(data, project.schema("site.schema.json"), shown, lines)
        errors.extend(ContentError(e.path, e.line, e.field, f"--base-url: {e.message}") for e in found)
        if found:
            return None
    # Every address is the base URL plus a path of the URL contract, so it ends in '/'.
    data["base_url"] = with_trailing_slash(data["base_url"])
    return SiteConfig(**data)


# Below this many statements to read, starting worker processes costs more than it saves.
PARALLEL_FROM = 32
# From this many statements, a one-shot build reads the few changed ones in a forked process
# meanwhile: reading one imports the YAML, schema and Markdown libraries (about 0.04 s), which the
# build itself then never needs, while reading back a hundred takes about 10 ms.
BESIDE_FROM = 100
_Read = tuple[tuple[Statement, LineMap] | None, list[ContentError]]
_File = tuple[int, Path, bytes, str | None]  # its place among the paths, path, bytes, memo key
_Found = tuple[int, Path, bytes | None, str | None]  # a file found, its bytes None if known by its status
# A forked reader, handed the reader and the files to read (see `read_beside`).
Beside = Standby[tuple["_StatementReader", list[_File]], list[_Read]]


def read_beside(root: Path) -> Beside | None:
    """The forked process that reads the few statements a rebuild finds changed, started before
    the build imports the rest of its pipeline, so that it imports and sets up the parsers
    (about 0.04 s) on another core meanwhile; None for an archive of fewer than BESIDE_FROM
    statements. Handed to `load_archive`, which gives it the files or stops it."""
    project = Project(root)
    with contextlib.suppress(OSError), os.scandir(project.statements) as entries:
        if sum(1 for entry in entries if entry.name.endswith(".md")) >= BESIDE_FROM:
            return Standby(_StatementReader(project, None, None).prepare, _read_handed)
    return None


def _read_statements(
    reader: _StatementReader,
    paths: list[Path],
    errors: list[ContentError],
    memo: Memo,
    workers: int,
    record: InputRecord | None = None,
    beside: Beside | None = None,
) -> list[tuple[Statement, LineMap]]:
    """Every statement that reads without problems, in path order; problems go to `errors`.

    A file read before with the same bytes and context comes from the memo; the rest are read
    across `workers` processes when there are enough of them, or by one forked process while
    this one reads back the others. Problems are never remembered, so each is reported again
    until it is fixed.
    """
    # Digested once: the context is shared by every file and as large as the tier history.
    context = memo.key(reader.context())
    standby = beside
    if workers > 1 and not memo.holds and memo.store is not None and context is not None and len(paths) >= BESIDE_FROM:
        # Forked before the files are read (if not earlier, by `read_beside`), so that it imports
        # the parsers while this process finds out which files changed; it is stopped if none
        # did, or too many to read alone.
        standby = standby or Standby(reader.prepare, _read_handed)
    elif standby is not None:
        standby.close()
        standby = None
    results: list[_Read | None] = []
    keys: list[str | None] = []
    parts_shown: dict[int, tuple[str | None, ...]] = {}  # by place: how each of `_digested_parts` is shown
    outlines: dict[int, tuple[str, str] | None] = {}  # by place: kept with the statements read back (outline.py)
    files: list[_Found] = []
    # Every path is a file of the statements folder: named as `shown` names it, without asking
    # the file system a thousand times.
    folder = reader.project.shown(reader.project.statements) + "/"
    if record is not None and context is not None:
        record.open(context)
    else:
        record = None
    try:
        for path in paths:
            # A file whose status is as the last build recorded it is known by its key, unread.
            key = record.key_of(path.name, path) if record is not None else None
            if key is None:
                try:
                    data, status = _read_bytes(path)
                except OSError as error:
                    results.append((None, [_unreadable(reader.project.shown(path), error)]))
                    keys.append(None)
                    continue
                key = memo.key((folder + path.name, data, context)) if context is not None else None
                if record is not None and key is not None:
                    record.note(path.name, status, key)
            else:
                data = None
            keys.append(key)
            results.append(None)
            files.append((len(results) - 1, path, data, key))
        if record is not None:
            record.save()
        # The files read now whose bytes the store lacks (a rebuild's edited ones) go to the forked
        # reader before the others are read back, so that it reads them meanwhile (about 5 ms for
        # one) instead of being waited for after.
        given: list[_File] = []
        if standby is not None:
            read_now = [(index, path, data, key) for index, path, data, key in files if data is not None]
            known = memo.knows_many("statement", [key for *_, key in read_now if key is not None], durable=True)
            given = [file for file in read_now if file[3] not in known]
            if given and len(given) < PARALLEL_FROM:
                standby.give((reader, given))
            else:  # nothing to read, or enough to read across worker processes below
                standby.close()
                standby = None
                given = []
        # Read back together; what is missing (or proves damaged) is what this build reads.
        remembered = memo.recall_many("statement", [key for _, _, _, key in files if key is not None], durable=True)
        handed = {index for index, *_ in given}
        pending: list[_File] = []
        for index, path, data, key in files:
            if key in remembered:
                statement, lines, parts_shown[index], outlines[index] = remembered[key]
                results[index] = ((statement, lines), [])
            elif data is not None:
                if index not in handed:
                    pending.append((index, path, data, key))
            else:  # known by its status, but gone from the cache (swept): its bytes are read now
                loaded = _with_bytes(index, path, key, reader, results)
                if loaded is not None:
                    pending.append(loaded)
        fresh = list(zip(pending, _read_pending(reader, pending, workers), strict=True))
        if standby is not None:
            fresh += [(file, read) for file, read in zip(given, standby.result(), strict=True) if file[3] not in remembered]
    finally:
        if standby is not None:
            standby.close()
    kept: list[tuple[str | None, object]] = []
    for (index, _, _, key), fresh_result in fresh:
        results[index] = fresh_result
        found, problems = fresh_result
        if found is not None:
            parts_shown[index] = tuple(memo.shown(part) for part in _digested_parts(found[0]))
            # Problems are never remembered, so that each is reported again until it is fixed.
            if not problems:
                kept.append((key, (*found, parts_shown[index], outline_digests(memo, found[0]))))
    memo.keep_many("statement", kept, durable=True)
    read: list[tuple[Statement, LineMap]] = []
    recalled_outlines: list[tuple[str, tuple[str, str]]] = []
    shown_parts: list[tuple[object, str | None]] = []
    for index, (result, key) in enumerate(zip(results, keys, strict=True)):
        assert result is not None
        found, problems = result
        errors.extend(problems)
        if found is not None:
            memo.register(found[0], key)  # a statement is a pure function of its file's bytes and context
            shown_parts += zip(_digested_parts(found[0]), parts_shown[index], strict=True)
            read.append(found)
            digests = outlines.get(index)
            if digests is not None and (registered := memo.key(found[0])) is not None:
                recalled_outlines.append((registered, digests))
    memo.remember_shown_many(shown_parts)
    recalled(memo, recalled_outlines)
    return read


def _read_bytes(path: Path) -> tuple[bytes, Status]:
    """The file's bytes, and its status just before they were read. Unbuffered: read whole in
    one call, without Path.read_bytes's buffered reader (a third of the time, 6 ms of a thousand)."""
    with open(path, "rb", buffering=0) as unbuffered:
        status = status_of(os.fstat(unbuffered.fileno()))
        return unbuffered.read(), status


def _with_bytes(index: int, path: Path, key: str | None, reader: _StatementReader, results: list[_Read | None]) -> _File | None:
    """The file with its bytes read; None if they cannot be, its problem then being its result."""
    try:
        data, _ = _read_bytes(path)
    except OSError as error:
        results[index] = (None, [_unreadable(reader.project.shown(path), error)])
        return None
    return index, path, data, key


def _digested_parts(statement: Statement) -> list[object]:
    """The parts of a statement that views hold apart from it (its claims in the claim matrix, a
    claim's passages in the claim pages), which every build's digests would otherwise walk through
    again. How each is shown is stored with the statement, and taken back with it."""
    parts: list[object] = [statement.source, statement.claims, statement.report_quotes, statement.versions, statement.related]
    parts += [made.passages for made in statement.claims]
    return parts


def _read_pending(reader: _StatementReader, pending: list[_File], workers: int) -> list[_Read]:
    """The files read in this process, or across worker processes when there are enough."""
    if workers > 1 and len(pending) >= PARALLEL_FROM:
        import multiprocessing  # only here: a warm build starts no workers

        reader.parser()  # made before forking, so every worker inherits it
        jobs = [(path, data) for _, path, data, _ in pending]
        chunk = -(-len(jobs) // (workers * 4))
        with multiprocessing.get_context("fork").Pool(workers, initializer=_adopt_reader, initargs=(reader,)) as pool:
            return pool.map(_read_in_worker, jobs, chunksize=chunk)
    return _read_handed((reader, pending))


def _read_handed(handed: tuple[_StatementReader, list[_File]]) -> list[_Read]:
    reader, files = handed
    return [_read_one(reader, path, data) for _, path, data, _ in files]


def _read_one(reader: _StatementReader, path: Path, data: bytes) -> _Read:
    problems: list[ContentError] = []
    return reader.read(path, data, problems), problems


_WORKER_READER: list[_StatementReader] = []  # set once in each worker process, by its initializer


def _adopt_reader(reader: _StatementReader) -> None:
    _WORKER_READER.append(reader)


def _read_in_worker(job: tuple[Path, bytes]) -> _Read:
    return _read_one(_WORKER_READER[0], *job)


def load_archive(
    root: Path,
    *,
    base_url: str | None = None,
    memo: Memo | None = None,
    workers: int = 1,
    record: InputRecord | None = None,
    beside: Beside | None = None,
) -> Archive:
    """Read and validate everything under `root`; raise ContentErrors listing every problem.

    With a memo, statements read before with the same bytes and context are not read again;
    with several workers, the others are read in parallel. With a record of the files the last
    build read, a file whose status is unchanged is not even opened. A forked reader started
    earlier (`read_beside`) reads the few changed ones, or is stopped.
    """
    project = Project(root)
    memo = memo or Memo(remember=False)
    errors: list[ContentError] = []
    site = _site_config(project, base_url, errors, memo)
    history = _tier_history(project, errors, memo)
    vocabulary = _claim_vocabulary(project, errors, memo)
    corrections = _read_yaml(project, "corrections.yaml", "corrections.schema.json", errors, memo)
    redirects = _read_yaml(project, "redirects.yaml", "redirects.schema.json", errors, memo)

    base_path = SiteUrls(site.base_url).base_path if site is not None else "/"
    reader = _StatementReader(project, history, vocabulary, base_path)
    # By name: the files of one folder, in the order paths sort in, without comparing Paths (10 ms at 1,000).
    paths = sorted(project.statements.glob("*.md"), key=lambda path: path.name) if project.statements.is_dir() else []
    if not paths:
        errors.append(ContentError(project.shown(project.statements), 1, "statements", "no statement files found"))
    read = _read_statements(reader, paths, errors, memo, workers, record, beside)
    _check_unique(read, errors)
    _check_same_response(read, errors)
    if errors or site is None or history is None or vocabulary is None or corrections is None or redirects is None:
        raise ContentErrors(errors)

    statements = sorted((s for s, _ in read), key=lambda s: (s.year, s.date, s.slug))
    by_year: dict[int, list[Statement]] = {}
    for statement in statements:
        by_year.setdefault(statement.year, []).append(statement)
    years: list[ReportYear] = []
    claims_so_far: set[str] = set()
    for year, entry in history.items():
        of_year = tuple(by_year.get(year, ()))
        year_claims = {c for s in of_year for c in s.claim_ids}
        # "New" only means something once an earlier year has an archived text to compare with.
        new_claims = tuple(sorted(year_claims - claims_so_far)) if claims_so_far else ()
        claims_so_far |= year_claims
        previous = history[year - 1].tier if year - 1 in history else None
        years.append(
            ReportYear(
                year=year,
                tier=entry.tier,
                change=tier_change(previous, entry.tier),
                previous_tier=previous,
                report_published=entry.report_published,
                change_note=entry.change_note,
                source=entry.source,
                findings=entry.findings,
                statements=of_year,
                new_claim_ids=new_claims,
            )
        )
    return Archive(
        site=site,
        years=tuple(years),
        claims=tuple(vocabulary.values()),
        corrections=tuple(Correction(c["date"], tuple(c["paths"]), c["description"]) for c in corrections[0]),
        redirects=tuple(sorted((old, new) for old, new in redirects[0].items() if isinstance(new, str))),
        splits=tuple(sorted((old, tuple(new)) for old, new in redirects[0].items() if isinstance(new, list))),
    )
