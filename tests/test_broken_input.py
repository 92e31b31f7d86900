"""Broken input through the real command line: each broken file ends in clear `path:line: field:
message` lines, exit status 1, no traceback, and the previous `_site/` left byte-identical.

Hand-written cases name the exact field and line; hypothesis then generates front-matter that
breaks the schema in ways nobody listed, and random YAML damage that may or may not break it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.cli import main
from tests.conftest import ROOT, copy_project, file_digests, run_build_script

PROBLEM_LINE = re.compile(r"^[^:\n]+:\d+: [^:\n]+: .+$")
SUMMARY_LINE = re.compile(r"^\d+ problems? found; nothing was written\.$")
STATEMENT = "statements/2024-statement-2024-06-25.md"
RECORD = "statements/2016-statement-2016.md"
OTHER = "statements/2020-statement-2020-06-26.md"


@dataclass(frozen=True)
class Outcome:
    status: int
    problems: list[str]
    stderr: str
    stdout: str


def build(project: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> Outcome:
    capsys.readouterr()
    status = main(["--root", str(project), "build", "--out", str(out)])
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    return Outcome(status, lines[:-1], captured.err, captured.out)


def assert_refused_cleanly(outcome: Outcome, before: dict[str, str], out: Path) -> None:
    assert outcome.status == 1, outcome.stdout
    assert "Traceback" not in outcome.stderr and not outcome.stdout
    assert outcome.problems, outcome.stderr
    assert SUMMARY_LINE.match(outcome.stderr.splitlines()[-1]), outcome.stderr
    bad = [line for line in outcome.problems if not PROBLEM_LINE.match(line)]
    assert not bad, f"not in the form path:line: field: message: {bad}"
    assert file_digests(out) == before, "a refused build changed the previous site"


@dataclass(frozen=True)
class Broken:
    """One way to break the archive: what to do to a copy, and the one problem it must report."""

    name: str
    break_it: Callable[[Path], None]
    file: str
    field: str
    message: str
    # The line the problem must be reported at: its number, or text found only on it; None: line 1.
    at: str | int | None


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def write_bytes(file: str, content: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / file
        path.write_bytes(content(path.read_bytes()))

    return apply


def copy_statement(project: Path) -> None:
    """A second file with the same year and slug (a new id, so only the URL clashes)."""
    text = (project / STATEMENT).read_text(encoding="utf-8")
    text = text.replace("urn:uuid:c05501ba-52fc-4113-8881-60667c8594b2", "urn:uuid:00000000-0000-4000-8000-000000000000")
    (project / "statements/2024-statement-2024-06-25-copy.md").write_text(text, encoding="utf-8")


def link_to_nowhere(project: Path) -> None:
    (project / "statements/2026-statement-2026-06-30.md").symlink_to(project / "missing.md")


def folder_named_like_a_statement(project: Path) -> None:
    (project / "statements/2026-statement-2026-06-30.md").mkdir()


def only_front_matter(project: Path) -> None:
    text = (project / STATEMENT).read_text(encoding="utf-8")
    (project / STATEMENT).write_text(text[: text.index("---\n", 4) + 4] + "\n", encoding="utf-8")


BROKEN = [
    Broken(
        "yaml-syntax",
        replace(STATEMENT, "tier: Tier 3", "tier: [Tier 3"),
        STATEMENT,
        "front-matter",
        "flow sequence that starts here",
        "tier:",
    ),
    Broken(
        "tab-indentation",
        replace(STATEMENT, "  wording: null", "\twording: null"),
        STATEMENT,
        "front-matter",
        "YAML syntax error",
        "wording:",
    ),
    Broken(
        "unclosed-brace",
        replace(
            STATEMENT,
            "office:\n  name: Office of the Secretary for Security\n  wording: null",
            "office: {name: Office of the Secretary for Security",
        ),
        STATEMENT,
        "front-matter",
        "flow mapping that starts here",
        "office:",
    ),
    Broken(
        "unclosed-quote",
        replace(STATEMENT, 'revised: "2026-11-23"', 'revised: "2026-11-22'),
        STATEMENT,
        "front-matter",
        "quoted scalar that starts here",
        "revised:",
    ),
    Broken(
        "missing-field",
        replace(STATEMENT, "office_holder: Wong Sio Chak\n", ""),
        STATEMENT,
        "office_holder",
        "required field is missing",
        2,
    ),
    Broken("wrong-type", replace(STATEMENT, "year: 2024", 'year: "2024"'), STATEMENT, "year", "expected integer", "year:"),
    Broken(
        "list-for-text",
        replace(STATEMENT, "office_holder: Wong Sio Chak", "office_holder: [Wong Sio Chak]"),
        STATEMENT,
        "office_holder",
        "expected string or null",
        "office_holder:",
    ),
    Broken("unknown-tier", replace(STATEMENT, "tier: Tier 3", "tier: Tier 4"), STATEMENT, "tier", "unknown tier 'Tier 4'", "tier:"),
    Broken("tier-lowercase", replace(STATEMENT, "tier: Tier 3", "tier: tier 3"), STATEMENT, "tier", "unknown tier 'tier 3'", "tier:"),
    Broken(
        "tier-disagrees", replace(STATEMENT, "tier: Tier 3", "tier: Tier 2"), STATEMENT, "tier", "disagrees with data/tiers.yaml", "tier:"
    ),
    Broken("year-not-in-history", replace(STATEMENT, "year: 2024", "year: 2031"), STATEMENT, "year", "not in data/tiers.yaml", "year:"),
    Broken(
        "unknown-claim",
        replace(STATEMENT, "  - id: law-6-2008", "  - id: law-6-2009"),
        STATEMENT,
        "claims[0].id",
        "unknown claim id 'law-6-2009'",
        "law-6-2009",
    ),
    Broken(
        "claim-twice",
        replace(STATEMENT, "  - id: concern-committee", "  - id: law-6-2008"),
        STATEMENT,
        "claims[1].id",
        "listed twice",
        '  - id: law-6-2008\n    passages:\n      - "through',
    ),
    Broken(
        "passage-not-in-text",
        replace(STATEMENT, "properly protected victims", "properly protected all victims"),
        STATEMENT,
        "claims[3].passages[0]",
        "passage not found",
        "properly protected all victims",
    ),
    Broken(
        "passage-ambiguous",
        replace(STATEMENT, '"properly protected victims"', '"Macau"'),
        STATEMENT,
        "claims[3].passages[0]",
        "occurs",
        '- "Macau"',
    ),
    Broken(
        "passage-too-short", replace(STATEMENT, '"properly protected victims"', '"at"'), STATEMENT, "claims[3].passages[0]", "", '- "at"'
    ),
    Broken(
        "report-quote-not-in-text",
        replace(STATEMENT, 'passage: "Prioritized Recommendations"', 'passage: "Priority Recommendations"'),
        STATEMENT,
        "report_quotes[2].passage",
        "passage not found",
        "Priority Recommendations",
    ),
    Broken("duplicate-slug", copy_statement, "statements/2024-statement-2024-06-25.md", "slug", "duplicate slug", "slug:"),
    Broken(
        "duplicate-id",
        replace(OTHER, "urn:uuid:a285533e-2791-481c-acfd-9ca0be260bc6", "urn:uuid:c05501ba-52fc-4113-8881-60667c8594b2"),
        STATEMENT,
        "id",
        "duplicate id",
        "id: urn:uuid",
    ),
    Broken(
        "source-not-http",
        replace(STATEMENT, 'url: "https://macaudailytimes', 'url: "ftp://macaudailytimes'),
        STATEMENT,
        "source.url",
        "is not an http or https address",
        "ftp://",
    ),
    Broken(
        "version-javascript",
        replace(STATEMENT, 'url: "https://macaupostdaily.com/news/21897"', 'url: "javascript:alert(1)"'),
        STATEMENT,
        "versions[1].url",
        "is not an http or https address",
        "javascript:",
    ),
    Broken(
        "related-javascript",
        replace(RECORD, 'url: "https://gov.mo/en/news/62513"', 'url: "javascript:alert(1)"'),
        RECORD,
        "related[0].url",
        "is not an http or https address",
        "javascript:",
    ),
    Broken(
        "not-a-date",
        replace(STATEMENT, 'issued: "2024-06-25"', 'issued: "2024-06-31"'),
        STATEMENT,
        "issued",
        "not a date in the form YYYY-MM-DD",
        "issued:",
    ),
    Broken(
        "date-in-words",
        replace(STATEMENT, 'revised: "2026-11-23"', "revised: 23 November 2026"),
        STATEMENT,
        "revised",
        "not a date",
        "revised:",
    ),
    Broken("empty-body", only_front_matter, STATEMENT, "body", "no text", 85),
    Broken("empty-file", write_bytes(STATEMENT, lambda raw: b""), STATEMENT, "front-matter", "must start with", None),
    Broken("broken-link", link_to_nowhere, "statements/2026-statement-2026-06-30.md", "file", "file is missing", None),
    Broken("folder", folder_named_like_a_statement, "statements/2026-statement-2026-06-30.md", "file", "cannot be read", None),
    Broken("tiers-missing", lambda project: (project / "data/tiers.yaml").unlink(), "data/tiers.yaml", "file", "file is missing", None),
    Broken(
        "not-utf8",
        write_bytes(STATEMENT, lambda raw: raw.replace(b"Wong Sio Chak", b"Wong Sio Ch\xe1k", 1)),
        STATEMENT,
        "encoding",
        "not valid UTF-8",
        "office_holder:",
    ),
    Broken(
        "utf16", write_bytes(STATEMENT, lambda raw: raw.decode("utf-8").encode("utf-16")), STATEMENT, "encoding", "not valid UTF-8", None
    ),
    Broken(
        "unknown-field", replace(STATEMENT, "year: 2024", "year: 2024\neditor: Someone"), STATEMENT, "editor", "unknown field", "editor:"
    ),
    Broken(
        "duplicate-key", replace(STATEMENT, "year: 2024", "year: 2024\nyear: 2024"), STATEMENT, "year", "appears twice", "year: 2024\nslug"
    ),
    Broken("no-opening-line", replace(STATEMENT, "---\nid:", "id:"), STATEMENT, "front-matter", "must start with", None),
    Broken(
        "no-closing-line",
        replace(STATEMENT, 'revised: "2026-11-23"\n---\n', 'revised: "2026-11-23"\n'),
        STATEMENT,
        "front-matter",
        "",
        None,
    ),
    Broken("front-matter-is-a-list", replace(STATEMENT, "id: urn", "- id: urn"), STATEMENT, "front-matter", "YAML syntax error", "year:"),
    Broken(
        "yaml-alias",
        replace(STATEMENT, "office_holder: Wong Sio Chak", "office_holder: *holder"),
        STATEMENT,
        "front-matter",
        "YAML syntax error",
        "office_holder:",
    ),
    Broken(
        "control-character",
        replace(STATEMENT, "office_holder: Wong Sio Chak", 'office_holder: "Wong\\x1bSio Chak"'),
        STATEMENT,
        "office_holder",
        "control character U+001B",
        "office_holder:",
    ),
    Broken(
        "bidi-in-body",
        replace(STATEMENT, "rated the Macau", "rated the \u202eMacau"),
        STATEMENT,
        "body",
        "bidirectional control",
        "rated the",
    ),
    Broken(
        "footnote-undefined",
        replace(STATEMENT, "has expressed[^issued-date]", "has expressed[^missing]"),
        STATEMENT,
        "body",
        "archive note [^missing] has no definition",
        "has expressed",
    ),
    Broken(
        "summary-too-long",
        replace(STATEMENT, "summary: News report", "summary: " + "x" * 300 + " News report"),
        STATEMENT,
        "summary",
        "",
        "summary:",
    ),
    Broken(
        "bad-slug",
        replace(STATEMENT, "slug: statement-2024-06-25", "slug: Statement_2024"),
        STATEMENT,
        "slug",
        "lower-case letters",
        "slug:",
    ),
    Broken(
        "bad-language", replace(STATEMENT, "language: en", "language: English"), STATEMENT, "source.language", "BCP 47", "language: English"
    ),
    Broken(
        "unknown-text-kind",
        replace(STATEMENT, "text: news-report", "text: transcript"),
        STATEMENT,
        "source.text",
        "unknown value 'transcript'",
        "text: transcript",
    ),
    Broken(
        "tiers-unknown-tier",
        replace("data/tiers.yaml", "tier: Tier 2 Watch List", "tier: Tier Two"),
        "data/tiers.yaml",
        "[4].tier",
        "unknown tier",
        "tier: Tier Two",
    ),
    Broken(
        "claims-missing-definition",
        replace(
            "data/claims.yaml",
            "  definition: States that Macao's anti-trafficking work rests on or follows Law No. 6/2008 on combating trafficking in persons.\n",
            "",
        ),
        "data/claims.yaml",
        "[0].definition",
        "required field is missing",
        "- id: law-6-2008",
    ),
]


def line_of(text: str, at: str | int | None) -> int:
    if at is None or isinstance(at, int):
        return at or 1
    assert text.count(at) == 1, f"{at!r} must occur exactly once in the broken file"
    return text[: text.index(at)].count("\n") + 1


@pytest.fixture(scope="module")
def previous_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete earlier build of the real archive, which no refused build may touch."""
    out = tmp_path_factory.mktemp("previous") / "_site"
    assert main(["--root", str(ROOT), "build", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("case", BROKEN, ids=[c.name for c in BROKEN])
def test_broken_file_is_refused_at_its_line(case: Broken, tmp_path: Path, previous_site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    case.break_it(project)
    before = file_digests(previous_site)
    outcome = build(project, previous_site, capsys)
    assert_refused_cleanly(outcome, before, previous_site)
    assert len(outcome.problems) == 1, outcome.stderr
    path, line, field, message = outcome.problems[0].split(":", 3)
    assert (path, field.strip()) == (case.file, case.field), outcome.problems[0]
    assert case.message in message, outcome.problems[0]
    text = (project / case.file).read_bytes().decode("utf-8", errors="replace") if isinstance(case.at, str) else ""
    assert int(line) == line_of(text, case.at), outcome.problems[0]


def test_the_corpus_covers_thirty_files() -> None:
    assert len(BROKEN) >= 30
    assert len({c.name for c in BROKEN}) == len(BROKEN)


def test_the_real_command_prints_no_traceback(tmp_path: Path, previous_site: Path) -> None:
    """Through `python build.py`, as a contributor runs it: exit status and stderr, nothing else."""
    project = copy_project(tmp_path / "project")
    BROKEN[0].break_it(project)
    before = file_digests(previous_site)
    result = run_build_script(project, previous_site)
    assert result.returncode == 1
    assert_refused_cleanly(Outcome(1, result.stderr.splitlines()[:-1], result.stderr, result.stdout), before, previous_site)


# --- Generated: front-matter that breaks the schema -----------------------------------------

# For each field, values of a type the schema does not allow there.
NOT_TEXT = st.one_of(
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), min_size=1, max_size=2),
)
NOT_NUMBER = st.one_of(
    st.text(max_size=8),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.none(),
)
NOT_MAPPING = st.one_of(st.text(max_size=8), st.integers(), st.lists(st.integers(), max_size=3), st.none())
NOT_LIST = st.one_of(
    st.text(max_size=8), st.integers(), st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=2), st.none()
)
WRONG_VALUES: dict[str, Any] = {
    "id": st.one_of(NOT_TEXT, st.text(max_size=20), st.none()),
    "year": NOT_NUMBER,
    "slug": st.one_of(NOT_TEXT, st.text(alphabet="ABC_ /.", min_size=1, max_size=10), st.none()),
    "tier": st.one_of(NOT_TEXT, st.text(max_size=12).filter(lambda t: t != "Tier 3"), st.none()),
    "title": NOT_TEXT,
    "issued": st.one_of(
        NOT_TEXT, st.text(alphabet="0123456789-/ ", max_size=12).filter(lambda t: not re.fullmatch(r"\d{4}-\d\d-\d\d", t)), st.none()
    ),
    "office": NOT_MAPPING,
    "office_holder": NOT_TEXT,
    "occasion": NOT_MAPPING,
    "summary": st.one_of(NOT_TEXT, st.just(""), st.none()),
    "source": NOT_MAPPING,
    "related": NOT_LIST,
    "claims": NOT_LIST,
    "report_quotes": NOT_LIST,
    "revised": st.one_of(NOT_TEXT, st.just("yesterday"), st.none()),
}
EXTRA_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(lambda k: k not in WRONG_VALUES)


@dataclass
class Workspace:
    """One project copy and one earlier build, reused by every generated example."""

    project: Path
    out: Path
    original: str

    @property
    def statement(self) -> Path:
        return self.project / STATEMENT

    def front_matter(self) -> tuple[dict[str, Any], str]:
        _, front, body = self.original.split("---\n", 2)
        return yaml.safe_load(front), body


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("generated")
    project = copy_project(root / "project")
    out = root / "_site"
    assert main(["--root", str(project), "build", "--out", str(out)]) == 0
    original = (project / STATEMENT).read_text(encoding="utf-8")
    return Workspace(project, out, original)


GENERATED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@GENERATED
@given(data=st.data())
def test_generated_schema_breakage_is_reported_at_the_field(
    data: st.DataObject, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    front, body = workspace.front_matter()
    action = data.draw(st.sampled_from(["wrong value", "remove", "unknown key"]))
    if action == "wrong value":
        key = data.draw(st.sampled_from(sorted(WRONG_VALUES)))
        front[key] = data.draw(WRONG_VALUES[key])
    elif action == "remove":
        key = data.draw(st.sampled_from([k for k in front if k not in ("related", "report_quotes")]))
        del front[key]
    else:
        key = data.draw(EXTRA_KEYS)
        front[key] = data.draw(st.text(max_size=10))
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000) + "---\n" + body
    workspace.statement.write_text(text, encoding="utf-8")
    before = file_digests(workspace.out)
    try:
        outcome = build(workspace.project, workspace.out, capsys)
    finally:
        workspace.statement.write_text(workspace.original, encoding="utf-8")
    assert_refused_cleanly(outcome, before, workspace.out)
    located = [p for p in outcome.problems if p.startswith(f"{STATEMENT}:")]
    assert located, outcome.stderr
    fields = {p.split(":", 3)[2].strip() for p in located}
    assert any(f == key or f.startswith((f"{key}.", f"{key}[")) for f in fields) or "id" in fields or "slug" in fields, (
        key,
        outcome.stderr,
    )
    if action != "remove":
        # Reported within the field's own lines: at its key, or at the item inside it that is wrong.
        lines = text.split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith((f"{key}:", f"'{key}':"))) + 1
        end = next((i for i in range(first, len(lines)) if lines[i][:1] not in ("", " ", "-")), len(lines))
        reported = [int(p.split(":", 3)[1]) for p in located]
        assert any(first <= line <= end for line in reported), (key, first, end, outcome.stderr)


# --- Generated: random damage to the YAML text ------------------------------------------------

YAML_DAMAGE = st.sampled_from(
    [
        ":",
        ": ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "!!binary ",
        "!!python/object ",
        "%",
        "@",
        "`",
        "\t",
        "'",
        '"',
        "|",
        ">",
        "#",
        "? ",
        ",",
        "\\",
        "\x00",
        "\u202e",
    ]
)


@GENERATED
@given(
    damage=st.lists(
        st.tuples(st.integers(min_value=1, max_value=70), st.integers(min_value=0, max_value=40), YAML_DAMAGE), min_size=1, max_size=3
    )
)
def test_random_yaml_damage_never_crashes(
    damage: list[tuple[int, int, str]], workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    """Damage may leave valid YAML; either way the build ends cleanly: built, or refused with located lines."""
    lines = workspace.original.split("\n")
    closing = lines.index("---", 1)
    for line, column, inserted in damage:
        at = 1 + (line - 1) % (closing - 1)
        lines[at] = lines[at][:column] + inserted + lines[at][column:]
    workspace.statement.write_text("\n".join(lines), encoding="utf-8")
    before = file_digests(workspace.out)
    try:
        outcome = build(workspace.project, workspace.out, capsys)
    finally:
        workspace.statement.write_text(workspace.original, encoding="utf-8")
    if outcome.status == 0:
        assert outcome.stdout.startswith("Built ") and not outcome.stderr
        assert main(["--root", str(workspace.project), "build", "--out", str(workspace.out)]) == 0
        capsys.readouterr()
        return
    assert_refused_cleanly(outcome, before, workspace.out)
