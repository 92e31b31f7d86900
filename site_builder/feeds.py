"""RSS 2.0 and Atom 1.0 feeds, one entry per archived text, newest first.

The feeds carry texts: a response the archive records but holds no text of is not an entry
(it would be an empty item). When its text is added, it becomes an entry under the id its
record has had from the start. Entry ids are the statements' stored `id` (a urn:uuid), so
they survive a change of domain or slug. Every date comes from the data, never the clock,
so feeds are reproducible.

Readers render an RSS item's title and description as HTML, so every plain-text string
(title, summary) goes into RSS HTML-escaped: markup in front-matter reaches the reader as
text. Atom says what each element holds: titles are `type="text"`, the summary is escaped
text in `type="html"`, the content is the rendered statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, TypeVar

from .model import Archive, Statement

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

P = TypeVar("P")  # a piece of a feed: its bytes, or a name for them

FEED_ID = "urn:uuid:6f1d7c52-8d0e-4d55-9a0c-3c1a7e0f4b21"


def _day(date: str) -> datetime:
    return datetime.fromisoformat(date).replace(tzinfo=UTC)


def _generator(
    archive: Archive, absolute_url: Callable[[str], str], self_path: str, statements: Sequence[Statement], contents: list[str], *, rss: bool
) -> FeedGenerator:
    # Imported on first need (with lxml and dateutil): `check` and `new` make no feeds.
    from feedgen.feed import FeedGenerator

    site = archive.site
    feed = FeedGenerator()
    feed.id(FEED_ID)
    feed.title(escape(site.title, quote=False) if rss else site.title)
    # One field in feedgen: the Atom <subtitle> (text) and the RSS channel <description>.
    feed.subtitle(escape(site.description, quote=False) if rss else site.description)
    feed.link(href=absolute_url(self_path), rel="self")
    # feedgen makes the last link given the RSS channel <link>: the home page, not the feed.
    feed.link(href=absolute_url(""), rel="alternate")
    feed.language(site.language)
    feed.author({"name": site.publisher})
    feed.generator(site.title)
    last = _day(last_revised(archive))
    feed.updated(last)
    feed.lastBuildDate(last)
    # add_entry prepends by default: adding oldest first leaves the newest on top.
    for statement, content in zip(statements, contents, strict=True):
        _add_entry(feed, statement, absolute_url, content, rss=rss)
    return feed


def last_revised(archive: Archive) -> str:
    """The date the feeds were last updated: the last revision of an archived text."""
    return max((s.revised for s in archive.archived), default="2000-01-01")


def content_html(statement: Statement) -> str:
    """The annotated statement as feed content: the text, the archive's notes, the claims.

    Feed readers often strip `<mark>`, so the claims are also listed in plain markup.
    """
    notes = f"<h2>Archive notes</h2>\n{statement.notes_html}" if statement.notes_html else ""
    claims = "".join(
        f"<li><strong>{escape(made.claim.label, quote=False)}</strong>: "
        + "; ".join(f"“{escape(p.text, quote=False)}”" for p in made.passages)
        + "</li>\n"
        for made in statement.claims
    )
    claims_html = f"<h2>Claims in this statement (archive annotation)</h2>\n<ul>\n{claims}</ul>\n" if claims else ""
    return f"{statement.text_html}{notes}{claims_html}"


def _add_entry(feed: FeedGenerator, statement: Statement, absolute_url: Callable[[str], str], html: str, *, rss: bool) -> None:
    entry = feed.add_entry()
    entry.guid(statement.id, permalink=False)
    title = f"{statement.year}: {statement.heading}"
    entry.title(escape(title, quote=False) if rss else title)
    entry.link(href=absolute_url(statement.url), rel="alternate")
    entry.published(_day(statement.date))
    entry.updated(_day(statement.revised))
    # The RSS <description> and the Atom summary: escaped text, marked as HTML in Atom.
    entry.summary(escape(statement.summary, quote=False), type="html")
    entry.content(html, type="html")
    entry.author({"name": statement.office_name})
    entry.category(term=statement.tier.lower().replace(" ", "-"), label=statement.tier)


@dataclass(frozen=True)
class FeedFrames:
    """Each feed without its entries: the bytes before the first entry and after the last."""

    rss: tuple[bytes, bytes]
    atom: tuple[bytes, bytes]


@dataclass(frozen=True)
class FeedEntries:
    """A statement's entry in each feed, byte for byte as it stands there."""

    rss: bytes
    atom: bytes


# Where an entry starts and the feed's end starts, in feedgen's pretty-printed output. Markup in
# text is escaped there (every "<" of a title or content is "&lt;"), so these only match the markup.
_RSS_ENTRY, _RSS_END = b"\n    <item>", b"  </channel>\n</rss>\n"
_ATOM_ENTRY, _ATOM_END = b"\n  <entry>", b"</feed>\n"


def feed_parts(
    archive: Archive, absolute_url: Callable[[str], str], statements: Sequence[Statement]
) -> tuple[FeedFrames, list[FeedEntries]]:
    """The feeds' frames, and the entries of `statements` (archived texts, oldest first).

    feedgen writes the feeds with these entries, in one pass, and its output is cut at the
    entries' bounds. An entry's bytes depend on nothing but its statement and the base URL, so
    entries kept from earlier builds fit into the frames of this one (`feed_files_from`): the
    result is the file feedgen would write with every entry (tests compare the two).
    """
    contents = [content_html(statement) for statement in statements]  # the same in both feeds
    rss = _generator(archive, absolute_url, "feed.xml", statements, contents, rss=True).rss_str(pretty=True)
    atom = _generator(archive, absolute_url, "atom.xml", statements, contents, rss=False).atom_str(pretty=True)
    rss_frame, rss_entries = _cut(rss, _RSS_ENTRY, _RSS_END, len(statements))
    atom_frame, atom_entries = _cut(atom, _ATOM_ENTRY, _ATOM_END, len(statements))
    # feedgen lists the newest first; the entries are returned in the order of `statements`.
    entries = [FeedEntries(rss=r, atom=a) for r, a in zip(reversed(rss_entries), reversed(atom_entries), strict=True)]
    return FeedFrames(rss=rss_frame, atom=atom_frame), entries


def _cut(document: bytes, entry_start: bytes, end: bytes, count: int) -> tuple[tuple[bytes, bytes], list[bytes]]:
    """A feed cut into (before the entries, after them) and its `count` entries, in order."""
    last = document.rfind(end)
    starts: list[int] = []
    position = document.find(entry_start)
    while 0 <= position < last:
        starts.append(position + 1)  # the entry starts after the line break
        position = document.find(entry_start, position + 1)
    if last < 0 or len(starts) != count:
        raise ValueError(f"the feed does not read as {count} entries in a frame: did feedgen change how it writes feeds?")
    first = starts[0] if starts else last
    bounds = [*starts, last]
    return (document[:first], document[last:]), [document[bounds[i] : bounds[i + 1]] for i in range(count)]


def feed_layout(frame: tuple[P, P], entries: Sequence[P]) -> list[P]:
    """A feed's pieces in order: its frame around its entries, newest first (`entries` are oldest first)."""
    return [frame[0], *reversed(entries), frame[1]]


def feed_files_from(frames: FeedFrames, entries: Sequence[FeedEntries]) -> dict[str, bytes]:
    """`feed.xml` (RSS 2.0) and `atom.xml` (Atom 1.0), from their frames and the archived texts' entries, oldest first."""
    return {
        "feed.xml": b"".join(feed_layout(frames.rss, [entry.rss for entry in entries])),
        "atom.xml": b"".join(feed_layout(frames.atom, [entry.atom for entry in entries])),
    }


def feed_files(archive: Archive, absolute_url: Callable[[str], str]) -> dict[str, bytes]:
    """`feed.xml` (RSS 2.0) and `atom.xml` (Atom 1.0)."""
    return feed_files_from(*feed_parts(archive, absolute_url, archive.archived))
