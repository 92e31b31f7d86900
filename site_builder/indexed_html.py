"""A page as Pagefind is handed it: cut down to what Pagefind reads of it, for the same index.

Pagefind spends its time on a page in proportion to the HTML it parses, and of a statement page
it reads little: the title in the head, and in the body only the elements marked with
`data-pagefind-body` (the templates mark a page's own text, not its navigation, its "Cite this
page" block or its footer). Handed only those, it builds the same bundle, byte for byte, from
less than half the bytes (a 55-page shard of the 1,000-statement archive: about 10 ms less of
Pagefind's time, on the way of a rebuild after an edit).

Each cut is made only where it provably changes nothing Pagefind reads (its parser, in
`pagefind/src/fossick/parser.rs`, reads some things wherever they are in a page); otherwise
that part of the page is left whole. The cuts read the HTML as this builder writes it: every
element closed, and no `<` inside an attribute's value (Jinja2 and markdown-it escape it).
"""

from __future__ import annotations

import bisect
import re

MARK = b" data-pagefind-body"
# In a page's head, Pagefind indexes no text: it reads only the title (a result's title when the
# page has no h1), `data-pagefind-*` attributes, and `id`s (each numbers an anchor): both are
# looked for in the lowercased head.
# (`id` then `=`, after a space: a pattern beginning with the space took eight times as long.)
_ID_ATTRIBUTE = re.compile(rb"id\s*=")
_SPACES = b" \t\n\r\f\v"
_TITLE = re.compile(rb"(?is)<title>.*?</title>")

# A start or end tag (group 1: the slash of an end tag; group 2: the name), its quoted values read
# as values. Searched for in the lowercased page.
_TAG = re.compile(rb"""<(/?)([a-z][a-z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")
_VOID = frozenset(b"area base br col embed hr img input link meta source track wbr".split())
# A second document's tags within the body: the body is left whole.
_DOCUMENT = frozenset((b"html", b"head", b"body"))
# In the body, found in one pass (group 1 names the element, if it is one):
# - what a tag-by-tag reading of it could get wrong (comments, text that is not HTML, foreign
#   content): a body holding any of these is left whole;
# - what Pagefind takes from anywhere in a page, marked or not: the first h1 (a result's title),
#   the first image after it (a result's image), and links (to its own files, which it reports).
#   An element outside the marked ones holding any of these is never cut.
_SPECIAL = re.compile(
    rb"<(?:!--|!\[cdata\[|(h1|img|link|iframe|math|noembed|noframes|noscript|plaintext|script|style|svg|template|textarea|title|xmp)(?=[\s/>]))"
)
_READ_ANYWHERE_ELEMENTS = frozenset((b"h1", b"img", b"link"))
# Pagefind's attributes. Besides the mark, those it reads anywhere (metadata, filters, sort keys)
# make an element holding them never cut; the others (`-ignore`, `-weight`, `-index-attrs`,
# `-title`) bear only on what their element holds, which Pagefind drops with it when it is not marked.
_ATTRIBUTE = b"data-pagefind-"
_BODY_ATTRIBUTE = re.compile(rb"\sdata-pagefind-body(?=[\s=/>])")
_READ_ANYWHERE_ATTRIBUTES = (b"default-meta", b"filter", b"meta", b"sort")


def as_indexed(page: bytes) -> bytes:
    """The page with its head cut down to the title, and its body to the marked elements, where
    Pagefind reads nothing else in them (see the module's notes); the rest is left whole."""
    start = page.find(b"<head>")
    end = page.find(b"</head>", start)
    if start < 0 or end < 0:
        return page
    lowered = page.lower()
    return _head_cut(page, lowered, start, end) + _body_cut(page, lowered, end)


def _head_cut(page: bytes, lowered: bytes, start: int, end: int) -> bytes:
    """The page up to its head's end, the head cut down to the title if nothing else in it counts
    (a statement page's head is a third of it: metadata for citation managers and link previews)."""
    if lowered.find(b"data-pagefind", start, end) >= 0 or any(
        lowered[found.start() - 1] in _SPACES for found in _ID_ATTRIBUTE.finditer(lowered, start, end)
    ):
        return page[:end]
    title = _TITLE.search(page, start, end)
    return page[: start + len(b"<head>")] + (title.group() if title else b"")


def _body_cut(page: bytes, lowered: bytes, head_end: int) -> bytes:
    """The page from its head's end, its body cut down to the marked elements, each kept whole with
    the start and end tags of the elements around it and their own text.

    What is cut is only ever a whole element holding no marked one. Pagefind drops what such an
    element holds: before a marked element, its text is replaced by the marked one's; after it,
    an element that is not marked adds nothing to the element around it. Ids in it only number
    the anchors, whose numbers the bundle does not hold."""
    whole = page[head_end:]
    body = lowered.find(b"<body", head_end)
    tag = _TAG.match(lowered, body) if body >= 0 else None
    if tag is None or tag.group(2) != b"body":
        return whole
    read_anywhere: list[int] = []  # where Pagefind reads something outside the marked elements
    for special in _SPECIAL.finditer(lowered, body):
        if special.group(1) not in _READ_ANYWHERE_ELEMENTS:
            return whole
        read_anywhere.append(special.start())
    marked: list[int] = []  # where the marked elements' start tags are
    found = lowered.find(_ATTRIBUTE, body)
    while found >= 0:
        name = lowered[found + len(_ATTRIBUTE) : found + len(_ATTRIBUTE) + 12]
        if name.startswith(_READ_ANYWHERE_ATTRIBUTES):
            read_anywhere.append(found)
        elif _BODY_ATTRIBUTE.match(lowered, found - 1):
            marked.append(lowered.rfind(b"<", body, found))
        found = lowered.find(_ATTRIBUTE, found + len(_ATTRIBUTE))
    if not marked:
        return whole
    read_anywhere.sort()
    kept = [page[head_end : tag.end()]]
    around: list[bytes] = []  # the open elements around the marked ones, innermost last
    position = tag.end()
    while (tag := _TAG.search(lowered, position)) is not None:
        kept.append(page[position : tag.start()])  # text of the elements around, kept
        closing, name = tag.group(1), tag.group(2)
        position = tag.end()
        if closing:
            if name == b"body" and not around:
                kept.append(page[tag.start() :])
                return b"".join(kept)
            if not around or around.pop() != name:
                return whole
            kept.append(page[tag.start() : tag.end()])
            continue
        if name in _DOCUMENT:
            return whole
        next_mark = marked[bisect.bisect_left(marked, tag.start())] if tag.start() <= marked[-1] else len(lowered)
        if next_mark == tag.start():  # a marked element: kept whole
            element_end = None if name in _VOID else _element_end(lowered, name, tag.end(), len(lowered))
            if element_end is None:
                return whole
            kept.append(page[tag.start() : element_end])
            position = element_end
            continue
        element_end = tag.end() if name in _VOID else _element_end(lowered, name, tag.end(), next_mark)
        if element_end is None:  # it holds the next marked element: its tags are kept
            kept.append(page[tag.start() : tag.end()])
            around.append(name)
        elif bisect.bisect_left(read_anywhere, tag.start()) != bisect.bisect_left(read_anywhere, element_end):
            return whole  # it holds something Pagefind reads anywhere
        else:  # neither marked nor around a marked element: cut
            position = element_end
    return whole


def _element_end(lowered: bytes, name: bytes, start: int, before: int) -> int | None:
    """Where the element whose start tag ends at `start` ends (after its end tag), if it ends
    before `before`, counting the elements of the same name within it; else None."""
    opening, closing = b"<" + name, b"</" + name
    depth = 1
    position = start
    while True:
        found = lowered.find(closing, position, before)
        if found < 0:
            return None
        # The elements of the same name begun before this end tag are within.
        inner = lowered.find(opening, position, found)
        while inner >= 0:
            if lowered[inner + len(opening) : inner + len(opening) + 1] in _DELIMITERS:
                depth += 1
            inner = lowered.find(opening, inner + len(opening), found)
        position = found + len(closing)
        if lowered[position : position + 1] in _DELIMITERS:
            depth -= 1
            if depth == 0:
                end = lowered.find(b">", position)
                return end + 1 if 0 <= end < before else None


# What may follow a tag's name.
_DELIMITERS = frozenset((b" ", b"\t", b"\n", b"\r", b"\f", b"/", b">"))
