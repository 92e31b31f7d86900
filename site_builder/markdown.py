"""Markdown for statement bodies: one parser, safe links, and passages located in the text.

The body is the source's text verbatim, so everything the archive adds is kept apart:
editorial notes are footnotes (rendered as a separate "Archive notes" block), and claim
passages are highlighted by wrapping the exact words in `<mark>`, never by editing them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .characters import forbidden_character

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_HTML_TAG = re.compile(r"<(/?[a-z][a-z0-9-]*[\s/>]|!--|!\[cdata\[|\?)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^[^\]\s]+\]")

LINK_SCHEMES = ("http", "https", "mailto")


def link_problem(href: str, *, image: bool = False) -> str | None:
    """Why a link or image target is not allowed, or None if it is.

    Links may go to http(s), mailto or a same-site path; images only to same-site paths,
    because no request may leave the site. A same-site path starts with '/' or '#': a body
    is shown on its year page, its statement page and in the feeds, where a relative path
    would lead to three different places. Invisible characters are removed before the
    scheme is read, so `java&#9;script:` is seen for what it is.
    """
    visible = _INVISIBLE.sub("", href)
    if visible.startswith("//") or visible.startswith("\\"):
        return f"target '{href}' is not allowed: protocol-relative addresses leave the site"
    match = _SCHEME.match(visible)
    if match is None:
        if not href.startswith(("/", "#")):
            return f"target '{href}' is not allowed: a same-site path must start with '/' or '#'"
        return None
    scheme = match.group(1).lower()
    if image:
        return f"image '{href}' is not allowed: images must be same-site paths"
    if scheme not in LINK_SCHEMES:
        return f"link target '{href}' is not allowed: only http, https, mailto and same-site paths"
    return None


def normalise_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def create_parser() -> MarkdownIt:
    """The build's one Markdown parser: CommonMark, raw HTML off, footnotes for notes."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": False, "linkify": False})
    md.use(footnote_plugin, inline=False)
    # Every target is admitted at parse time so that an unsafe one can be reported by
    # name instead of silently left as text; `render_body` refuses to render it.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.add_render_rule("footnote_block_open", lambda *args: '<ol class="notes-list">\n')
    md.add_render_rule("footnote_block_close", lambda *args: "</ol>\n")
    return md


@dataclass(frozen=True)
class Highlight:
    """An exact passage to mark in the body, and how to mark it."""

    text: str
    anchor: str
    css_class: str
    title: str
    field: str


@dataclass(frozen=True)
class BodyProblem:
    """A problem found in the body, by body line (1-based) or front-matter field."""

    field: str
    message: str
    body_line: int | None = None


@dataclass(frozen=True)
class RenderedBody:
    text_html: str
    notes_html: str
    plain_text: str
    problems: tuple[BodyProblem, ...]


@dataclass(frozen=True)
class _Paragraph:
    inline: Token
    text: str

    def positions(self) -> tuple[tuple[int, int], ...]:
        """For each character of `text`: (index of the child token, offset in its content)."""
        chars: list[str] = []
        positions: list[tuple[int, int]] = []
        for index, child in enumerate(self.inline.children or []):
            if child.type == "text":
                for offset, char in enumerate(child.content):
                    if char.isspace():
                        if chars and chars[-1] != " ":
                            chars.append(" ")
                            positions.append((index, offset))
                    else:
                        chars.append(char)
                        positions.append((index, offset))
            elif child.type in ("softbreak", "hardbreak") and chars and chars[-1] != " ":
                chars.append(" ")
                positions.append((index, 0))
        assert "".join(chars) == self.text
        return tuple(positions)


_WHITESPACE = re.compile(r"\s+")


def _paragraph_text(inline: Token) -> _Paragraph:
    """The paragraph's visible text, each run of white space (line breaks included) shown as
    one space and none at the start; the same text `_Paragraph.positions` maps character by
    character, which only paragraphs holding a passage need."""
    text = ""
    for child in inline.children or []:
        if child.type == "text":
            piece = _WHITESPACE.sub(" ", child.content)
        elif child.type in ("softbreak", "hardbreak"):
            piece = " "
        else:
            continue
        if piece.startswith(" ") and (not text or text.endswith(" ")):
            piece = piece[1:]
        text += piece
    return _Paragraph(inline, text)


def _find_all(haystack: str, needle: str) -> list[int]:
    found, start = [], haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _split_children(paragraph: _Paragraph, spans: list[tuple[int, int, Highlight]]) -> None:
    """Insert `<mark>` open/close tokens around each (start, end) span of the paragraph.

    Spans start and end on visible characters, so every cut falls inside a text token.
    """
    cuts: dict[int, list[tuple[int, int, Token]]] = {}
    positions = paragraph.positions()
    for start, end, highlight in spans:
        open_token = Token("highlight_open", "mark", 1)
        open_token.attrs = {"id": highlight.anchor, "class": highlight.css_class, "title": highlight.title}
        first_child, first_offset = positions[start]
        cuts.setdefault(first_child, []).append((first_offset, 1, open_token))
        last_child, last_offset = positions[end - 1]
        cuts.setdefault(last_child, []).append((last_offset + 1, 0, Token("highlight_close", "mark", -1)))
    rebuilt: list[Token] = []
    for index, child in enumerate(paragraph.inline.children or []):
        if index not in cuts:
            rebuilt.append(child)
            continue
        done = 0
        for offset, _, token in sorted(cuts[index], key=lambda cut: (cut[0], cut[1])):
            if offset > done:
                rebuilt.append(_text_token(child.content[done:offset]))
                done = offset
            rebuilt.append(token)
        if done < len(child.content):
            rebuilt.append(_text_token(child.content[done:]))
    paragraph.inline.children = rebuilt


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _line_of(token: Token, fallback: int | None) -> int | None:
    return token.map[0] + 1 if token.map else fallback


def _check_inline(tokens: Sequence[Token], problems: list[BodyProblem]) -> None:
    """Unsafe link targets and raw HTML (shown as text, but never what an author meant)."""
    line: int | None = None
    for token in tokens:
        line = _line_of(token, line)
        for child in token.children or []:
            target = child.attrGet("href") if child.type == "link_open" else child.attrGet("src")
            if child.type in ("link_open", "image") and isinstance(target, str):
                problem = link_problem(target, image=child.type == "image")
                if problem:
                    problems.append(BodyProblem("body", problem, line))
                    child.attrSet("href" if child.type == "link_open" else "src", "#")
            if child.type == "text":
                tag = _HTML_TAG.search(child.content)
                if tag:
                    problems.append(BodyProblem("body", f"raw HTML is not allowed ('{tag.group(0)}…'); write text only", line))
                # The footnote plugin leaves a reference with no definition as literal text.
                note = _FOOTNOTE_REFERENCE.search(child.content)
                if note:
                    problems.append(BodyProblem("body", f"archive note {note.group(0)} has no definition ('{note.group(0)}: …')", line))


def _rebase_same_site_paths(tokens: Sequence[Token], base_path: str) -> None:
    """Same-site paths in a body ('/2024/') name addresses of the archive, so they are resolved
    against the site's base path: '/2024/' becomes '/archive/2024/' for a site at /archive/."""
    for token in tokens:
        for child in token.children or []:
            attribute = "href" if child.type == "link_open" else "src" if child.type == "image" else None
            target = child.attrGet(attribute) if attribute else None
            if attribute and isinstance(target, str) and target.startswith("/") and not target.startswith("//"):
                child.attrSet(attribute, base_path + target[1:])


ARCHIVE_READING = "archive's reading"


def _check_notes_cite(note_tokens: Sequence[Token], problems: list[BodyProblem]) -> None:
    """Every archive note cites its source as a link, or says that it is the archive's own reading."""
    line: int | None = None
    inlines: list[Token] = []
    label = ""
    for token in note_tokens:
        line = _line_of(token, line)
        if token.type == "footnote_open":
            inlines = []
            label = str(token.meta.get("label", "")) if token.meta else ""
        elif token.type == "inline":
            inlines.append(token)
        elif token.type == "footnote_close":
            children = [c for inline in inlines for c in inline.children or []]
            text = "".join(c.content for c in children if c.type == "text")
            if not any(c.type == "link_open" for c in children) and ARCHIVE_READING not in text.replace("’", "'"):
                problems.append(
                    BodyProblem(
                        "body", f"archive note [^{label}] cites no source: link the source, or say it is the {ARCHIVE_READING}", line
                    )
                )


def render_note(md: MarkdownIt, text: str, field: str, base_path: str = "/") -> tuple[str, tuple[BodyProblem, ...]]:
    """One archive note written in a front-matter field: inline Markdown, links held to the body's rules."""
    problems: list[BodyProblem] = []
    character = forbidden_character(text)
    if character:
        problems.append(BodyProblem(field, f"{character} in the note"))
    env: dict[str, object] = {}
    tokens = md.parseInline(text, env)
    _check_inline(tokens, problems)
    _rebase_same_site_paths(tokens, base_path)
    problems = [BodyProblem(field, p.message) for p in problems]
    return md.renderer.render(tokens, md.options, env), tuple(problems)


def render_body(
    md: MarkdownIt, body: str, doc_id: str, highlights: Sequence[Highlight], base_path: str = "/", *, expect_text: bool = True
) -> RenderedBody:
    """Render a statement body, marking each highlight's passage and reporting problems.

    `base_path` is the path the site is served below ('/' at a root, '/archive/' below a path).

    `expect_text` is False for a response whose text the archive does not hold: its body
    must then be empty, so that no text is ever shown that the archive does not have.
    """
    env: dict[str, object] = {"docId": doc_id}
    tokens = md.parse(body, env)
    problems: list[BodyProblem] = []
    for number, line in enumerate(body.split("\n"), start=1):
        character = forbidden_character(line)
        if character:
            problems.append(BodyProblem("body", f"{character} in the text", number))
    _check_inline(tokens, problems)
    _rebase_same_site_paths(tokens, base_path)

    split = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), len(tokens))
    text_tokens, note_tokens = tokens[:split], tokens[split:]
    if any(t.type == "html_block" or t.type == "html_inline" for t in text_tokens):
        problems.append(BodyProblem("body", "raw HTML is not allowed"))

    paragraphs = [_paragraph_text(t) for t in text_tokens if t.type == "inline"]
    plain_text = "\n\n".join(p.text for p in paragraphs)
    has_text = bool(plain_text.strip()) or bool(note_tokens)
    if expect_text and not plain_text.strip():
        problems.append(
            BodyProblem(
                "body",
                "the statement has no text; paste it verbatim below the front-matter, or set source: null if the archive does not hold it",
            )
        )
        highlights = ()  # with no text, every passage would be reported missing as well
    if not expect_text and has_text:
        problems.append(
            BodyProblem(
                "source",
                "the body holds a text but source is null: say where the text comes from (publisher, url, author, published, language, text)",
            )
        )

    spans: dict[int, list[tuple[int, int, Highlight]]] = {}
    for highlight in highlights:
        needle = normalise_space(highlight.text)
        hits = [(n, start) for n, p in enumerate(paragraphs) for start in _find_all(p.text, needle)]
        if not hits:
            problems.append(BodyProblem(highlight.field, f"passage not found in the text (within one paragraph): '{needle}'"))
            continue
        if len(hits) > 1:
            problems.append(
                BodyProblem(highlight.field, f"passage occurs {len(hits)} times in the text; quote more of it so it is unique: '{needle}'")
            )
            continue
        number, start = hits[0]
        end = start + len(needle)
        clash = next((h for s, e, h in spans.get(number, []) if s < end and start < e), None)
        if clash is not None:
            problems.append(BodyProblem(highlight.field, f"passage overlaps the passage of {clash.field}; passages must not overlap"))
            continue
        spans.setdefault(number, []).append((start, end, highlight))
    for number, paragraph_spans in spans.items():
        _split_children(paragraphs[number], paragraph_spans)

    _check_notes_cite(note_tokens, problems)
    if not note_tokens:
        referenced = [c for t in text_tokens for c in (t.children or []) if c.type == "footnote_ref"]
        if referenced:
            problems.append(BodyProblem("body", "footnote reference without a definition"))
    text_html = md.renderer.render(text_tokens, md.options, env)
    notes_html = md.renderer.render(note_tokens, md.options, env) if note_tokens else ""
    return RenderedBody(text_html, notes_html, plain_text, tuple(problems))
