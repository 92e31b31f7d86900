"""Hostile input through full builds: unsafe Markdown is refused at its line; hostile strings in
front-matter and data files build, and land escaped in every output (HTML, attributes, JSON-LD,
feeds, CSV, JSON, citations); in Chromium no dialog opens and no injected script runs."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser
import pytest
import rispy
import yaml
from bibtexparser.entrypoint import parse_string
from playwright.sync_api import Dialog

from site_builder.cli import main
from tests.conftest import copy_project
from tests.hostile_payloads import FIELD_PAYLOADS, INERT_BODY, REJECTED_BODY, STATEMENT, FieldPayload, RejectedBody
from tests.test_html_validity import describe, run_vnu

pytest.register_assert_rewrite("tests.browser_support")
from tests.browser_support import Watched, open_page, serve_folder  # noqa: E402

pytest_plugins = ["tests.browser_support"]

MARKERS = ("pwned", "alert(")
SAFE_SCHEMES = ("http", "https", "mailto")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "xlink:href", "poster", "data"}
STATEMENT_PAGE = "2024/statement-2024-06-25/index.html"
BUILD_LINE = re.compile(r"^Built \d+ pages \(\d+ files\) into .+ in \d+\.\d\d s$")


def insert_before_notes(project: Path, markdown: str) -> int:
    """Add a paragraph to the statement just before its archive notes; return its first line."""
    path = project / STATEMENT
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("[^"))
    lines[at:at] = [*markdown.split("\n"), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


def set_field(project: Path, payload: FieldPayload) -> None:
    """Set one string in a statement's front-matter or a data file, re-serialised by PyYAML."""
    path = project / payload.file
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        _, front, body = text.split("---\n", 2)
        data = yaml.safe_load(front)
    else:
        data = yaml.safe_load(text)
    target = data
    for key in payload.field[:-1]:
        target = target[key]
    target[payload.field[-1]] = payload.value
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    path.write_text(f"---\n{dumped}---\n{body}" if path.suffix == ".md" else dumped, encoding="utf-8")


# --- Refused: unsafe Markdown in a body ----------------------------------------------------


@pytest.mark.parametrize("payload", REJECTED_BODY, ids=[p.name for p in REJECTED_BODY])
def test_unsafe_markdown_is_refused_at_its_line(tmp_path: Path, payload: RejectedBody, capsys: pytest.CaptureFixture[str]) -> None:
    project = copy_project(tmp_path / "project")
    line = insert_before_notes(project, payload.markdown)
    out = tmp_path / "_site"
    assert main(["--root", str(project), "build", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    problems = captured.err.splitlines()[:-1]
    assert len(problems) == 1, captured.err
    expected_line = line + payload.markdown.count("\n") if payload.name == "link-in-archive-note" else line
    assert problems[0].startswith(f"{STATEMENT}:{expected_line}: body: "), problems[0]
    assert payload.message in problems[0]
    assert "Traceback" not in captured.err and not captured.out
    assert not out.exists(), "a refused build must write nothing"


# --- Accepted: hostile strings that must come out escaped ---------------------------------


@dataclass(frozen=True)
class HostileBuild:
    out: Path
    payloads: tuple[FieldPayload, ...]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileBuild:
    root = tmp_path_factory.mktemp("hostile")
    project = copy_project(root / "project")
    for payload in FIELD_PAYLOADS:
        set_field(project, payload)
    insert_before_notes(project, "\n\n".join(INERT_BODY))
    out = root / "_site"
    status = main(["--root", str(project), "build", "--out", str(out), "--base-url", "https://archive.test/"])
    assert status == 0, "hostile strings in front-matter must build (and be escaped), not be refused"
    return HostileBuild(out, tuple(FIELD_PAYLOADS))


def carries_marker(text: str) -> bool:
    return any(marker in text for marker in MARKERS)


class _Scan(HTMLParser):
    """Every place in a page where markup could become active, and all the text it shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.texts: list[str] = []
        self.json_ld: list[Any] = []
        self._open = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open = tag
        if tag in ("iframe", "object", "embed", "img", "base", "form", "frame", "math", "style"):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in SAFE_SCHEMES:
                    self.problems.append(f"<{tag} {name}={value!r}>: {scheme}: address")
            self.texts.append(value)
        if tag == "script" and dict(attrs).get("type") != "application/ld+json":
            self.problems.append(f"<script {attrs}>")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.problems.append("meta refresh")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._open = ""

    def handle_endtag(self, tag: str) -> None:
        self._open = ""

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            try:
                self.json_ld.append(json.loads(data))
            except json.JSONDecodeError as error:
                self.problems.append(f"JSON-LD does not parse: {error}")
        else:
            self.texts.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment <!--{data}-->")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction <?{data}>")


def scan(html: str) -> _Scan:
    scanner = _Scan()
    scanner.feed(html)
    scanner.close()
    return scanner


def strings_in(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings_in(value)


def pages(out: Path) -> list[Path]:
    found = sorted(out.rglob("*.html"))
    assert len(found) > 20
    return found


# The search page runs the site's own script in its own form, and nothing else; no payload
# reaches that page's markup (checked below with every other page).
SEARCH_PAGE_OWN = {"<script [('type', 'module'), ('src', '/assets/search.js')]>", "<form> element"}


def test_no_page_carries_active_content(hostile: HostileBuild) -> None:
    problems = []
    for page in pages(hostile.out):
        found = scan(page.read_text(encoding="utf-8"))
        name = page.relative_to(hostile.out).as_posix()
        if name == "search/index.html":
            assert set(found.problems) == SEARCH_PAGE_OWN, found.problems
            continue
        problems += [f"{name}: {p}" for p in found.problems]
    assert not problems, "\n".join(problems)


def test_every_string_reaches_its_pages_intact(hostile: HostileBuild) -> None:
    """Escaped, not mangled or dropped: each payload is read back exactly as text or attribute."""
    shown: set[str] = set()
    in_json_ld: set[str] = set()
    for page in pages(hostile.out):
        found = scan(page.read_text(encoding="utf-8"))
        shown.update(found.texts)
        for document in found.json_ld:
            in_json_ld.update(strings_in(document))
    text = "\n".join(shown)
    missing = [p for p in hostile.payloads if p.value not in text]
    assert not missing, [p.value for p in missing]
    assert next(p.value for p in hostile.payloads if p.field == ("title",)) in in_json_ld
    for inert in ('{onclick="window.__pwned=1"}', "<script>window.__pwned=1</script>"):
        assert inert in text, f"{inert!r} should be shown as text"


def test_template_syntax_in_data_is_not_evaluated(hostile: HostileBuild) -> None:
    page = (hostile.out / STATEMENT_PAGE).read_text(encoding="utf-8")
    assert "{{ 7 * 7 }} {% raw %} ${7*7}" in page
    assert " 49 " not in page


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feeds_stay_well_formed_and_carry_the_strings(hostile: HostileBuild, name: str) -> None:
    raw = (hostile.out / name).read_bytes()
    ElementTree.fromstring(raw)
    feed: Any = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    title = next(p.value for p in hostile.payloads if p.field == ("title",))
    entry = next(e for e in feed.entries if shown(e.title_detail).text == f"2024: {title}")
    content = entry.content[0].value if "content" in entry else entry.summary
    found = scan(content)
    assert not found.problems, found.problems
    assert "Code stays code: <script>window.__pwned=1</script>" in "".join(found.texts)


# What feed content legitimately holds: the rendered statement and the archive's lists.
CONTENT_TAGS = {"p", "mark", "a", "h2", "ul", "ol", "li", "strong", "em", "code", "sup", "section", "hr", "blockquote", "br"}


class _Shown(HTMLParser):
    """What a reader shows for an HTML text construct: its text, and any element it would create."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data

    def handle_comment(self, data: str) -> None:
        self.tags.append("!--")


def shown(detail: Any) -> _Shown:
    """A feedparser text construct as a reader renders it: HTML parsed, plain text as it is."""
    result = _Shown()
    if detail["type"] in ("text/html", "application/xhtml+xml"):
        result.feed(detail["value"])
        result.close()
    else:
        result.text = detail["value"]
    return result


def reader_fields(entry: Any) -> Iterator[tuple[str, Any]]:
    """Every text of an entry that a reader shows, as (field, text construct)."""
    yield "title", entry.title_detail
    yield "summary", entry.summary_detail
    if "author_detail" in entry:
        yield "author", {"type": "text/plain", "value": entry.author_detail.get("name", "")}
    for tag in entry.get("tags", []):
        yield "category", {"type": "text/plain", "value": tag.get("label") or tag.get("term") or ""}


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feed_fields_come_back_as_text_in_a_reader(hostile: HostileBuild, name: str) -> None:
    """Read without feedparser's sanitiser (as a reader that trusts the feed would): no string
    of the front-matter or data files creates an element in any field, and each comes back whole."""
    feed: Any = feedparser.parse((hostile.out / name).read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.link == "https://archive.test/", "the channel link is the home page"
    texts: list[str] = []
    for entry in feed.entries:
        for field, detail in reader_fields(entry):
            found = shown(detail)
            assert not found.tags, f"{name} {entry.id} {field}: {found.tags} from {detail['value']!r}"
            texts.append(found.text)
        content = shown(entry.content[0])
        assert set(content.tags) <= CONTENT_TAGS, f"{name} {entry.id} content: {set(content.tags) - CONTENT_TAGS}"
        assert not scan(entry.content[0].value).problems
        texts.append(content.text)
    text = "\n".join(texts)
    by_field = {p.field: p.value for p in hostile.payloads if p.file == STATEMENT}
    expected = [f"2024: {by_field[('title',)]}", by_field[("summary",)], next(p.value for p in hostile.payloads if p.field == (0, "label"))]
    if name == "atom.xml":  # RSS 2.0 names an author only by e-mail address, which the archive has none of
        expected.append(by_field[("office", "name")])
    assert [value for value in expected if value not in text] == []


def test_data_downloads_round_trip(hostile: HostileBuild) -> None:
    statements = json.loads((hostile.out / "data/statements.json").read_text(encoding="utf-8"))
    text = "\n".join(strings_in(statements))
    statement_payloads = [p for p in hostile.payloads if p.file == STATEMENT]
    assert all(p.value in text for p in statement_payloads), [p.value for p in statement_payloads if p.value not in text]
    rows = list(csv.DictReader(io.StringIO((hostile.out / "data/claims.csv").read_text(encoding="utf-8"))))
    label = next(p.value for p in hostile.payloads if p.field == (0, "label"))
    assert any(label in row.values() for row in rows)
    tiers = list(csv.DictReader(io.StringIO((hostile.out / "data/tiers.csv").read_text(encoding="utf-8"))))
    findings = next(p.value for p in hostile.payloads if p.field == (5, "findings"))
    assert any(findings in row.values() for row in tiers)


def test_citations_read_back_with_the_strings(hostile: HostileBuild) -> None:
    folder = hostile.out / STATEMENT_PAGE.removesuffix("index.html")
    title = next(p.value for p in hostile.payloads if p.field == ("title",))
    csl = json.loads((folder / "cite.json").read_text(encoding="utf-8"))
    assert title in {item["title"] for item in csl}
    ris = rispy.loads((folder / "cite.ris").read_text(encoding="utf-8"))
    assert title in {entry.get("title") for entry in ris}
    library = parse_string((folder / "cite.bib").read_text(encoding="utf-8"))
    assert not library.failed_blocks
    assert len(library.entries) == 2
    # BibTeX escapes its specials; a balanced-brace title still carries every word of the payload.
    bib_title = library.entries[0].fields_dict["title"].value
    assert "pwned" in bib_title and "100\\%" in bib_title


def test_hostile_pages_are_valid_html(hostile: HostileBuild) -> None:
    files = [
        hostile.out / STATEMENT_PAGE,
        hostile.out / "2024/index.html",
        hostile.out / "2021/index.html",
        hostile.out / "claims/index.html",
    ]
    files += sorted((hostile.out / "claims").glob("*/index.html"))
    messages, _ = run_vnu(files)
    assert not messages, "\n".join(describe(m, hostile.out) for m in messages)


@pytest.mark.browser
def test_nothing_runs_in_chromium(hostile: HostileBuild, new_context: Callable[..., Watched]) -> None:
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    with serve_folder(hostile.out) as origin:
        watched = new_context()
        watched.context.on("dialog", dismiss)
        for page_file in pages(hostile.out):
            path = "/" + page_file.relative_to(hostile.out).as_posix().removesuffix("index.html")
            page = open_page(watched, origin + path)
            # Hover what shows a payload, in case a mouse handler slipped through as markup.
            for element in page.get_by_text("pwned").all()[:5]:
                if element.is_visible():
                    element.hover()
            state = page.evaluate(
                """() => ({
                    pwned: typeof window.__pwned,
                    handlers: [...document.querySelectorAll('*')].flatMap(
                        el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name)),
                    scripts: [...document.scripts].filter(s => s.type !== 'application/ld+json').length,
                })"""
            )
            own_scripts = 1 if path == "/search/" else 0
            assert state == {"pwned": "undefined", "handlers": [], "scripts": own_scripts}, f"{path}: {state}"
            page.close()
    assert not dialogs, dialogs
    watched.assert_clean("opening every page of the hostile build")
