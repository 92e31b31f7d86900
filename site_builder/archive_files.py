"""The files made from the whole archive: the feeds and the data downloads.

Each statement has a part in each of them (its feed entries, its record, its rows of claims),
which depends on nothing but the statement and the base URL. Parts are remembered per statement,
in the build cache or in the preview's memory, so an edit makes one statement's parts again and
the files are put together from the others: byte for byte the files made whole (tests compare).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from .background import Forked
from .exports import StatementData, data_files, statement_data
from .feeds import FeedEntries, FeedFrames, feed_files_from, feed_parts, last_revised
from .memo import Memo
from .model import Archive, Statement
from .urls import SiteUrls
from .writer import Content, Spooled

_PARTS = "statement parts"
_FRAMES = "feed frames"


@dataclass(frozen=True)
class StatementParts:
    """A statement's parts of the whole-archive files."""

    data: StatementData
    feed: FeedEntries | None  # None: the archive lacks its text, so the feeds have no entry for it


# A part as the store keeps it: whether it has feed entries, the four fields' lengths, then the
# fields. One string of bytes reads back in a third of the time of the dataclasses pickled
# (1,000 parts, 17 MB: about 5 ms instead of 8 to 17), in the forked process a rebuild waits for.
_PACKED_HEADER = struct.Struct("<?4I")


def _packed(part: StatementParts) -> bytes:
    feed = (part.feed.rss, part.feed.atom) if part.feed is not None else (b"", b"")
    fields = (part.data.record, part.data.claim_rows, *feed)
    return _PACKED_HEADER.pack(part.feed is not None, *(len(field) for field in fields)) + b"".join(fields)


def _unpacked(packed: bytes) -> StatementParts:
    has_feed, *lengths = _PACKED_HEADER.unpack_from(packed)
    view, start, fields = memoryview(packed), _PACKED_HEADER.size, []
    for length in lengths:
        fields.append(bytes(view[start : start + length]))
        start += length
    record, claim_rows, rss, atom = fields
    return StatementParts(StatementData(record, claim_rows), FeedEntries(rss, atom) if has_feed else None)


def make_parts(archive: Archive, site_urls: SiteUrls, statements: tuple[Statement, ...]) -> tuple[FeedFrames, list[StatementParts]]:
    """The feeds' frames and the parts of `statements` (in the archive's order)."""
    absolute = site_urls.absolute
    frames, entries = feed_parts(archive, absolute, [s for s in statements if s.has_text])
    texts = iter(entries)
    return frames, [StatementParts(statement_data(s, absolute), next(texts) if s.has_text else None) for s in statements]


class ArchiveFiles:
    """The feeds and data downloads of one build: `files()`.

    With a `spool` folder (on the output's file system), a forked process makes the parts no
    earlier build left (on a first build, every one), keeps them, reads back the others, puts the
    files together and writes them into the spool, from the start, while the build renders pages;
    they come as `Spooled` files, which the writer moves into place. Otherwise that is done when
    `files()` is called. Either way the parts are kept in the memo's store, so the next build
    makes only those of the statements edited since.
    """

    def __init__(self, archive: Archive, site_urls: SiteUrls, memo: Memo, *, spool: Path | None = None) -> None:
        self._archive = archive
        self._site_urls = site_urls
        self._memo = memo
        self._keys = [memo.key((statement, site_urls)) for statement in archive.statements]
        self._frames_key = memo.key((archive.site, last_revised(archive), site_urls))
        # Which parts are remembered is found out where they are read back: by the forked
        # process, off the way to the first pages, when there is one. The files are written
        # there too: handed back instead, they were pickled, read back and written by this
        # process, about 40 ms of a warm rebuild at 1,000 statements on its way to the end.
        self._forked: Forked[dict[str, str]] | None = Forked(lambda: self._spooled(spool)) if spool is not None else None

    @property
    def forked(self) -> bool:
        return self._forked is not None

    @property
    def to_make(self) -> bool:
        """Whether some part is not remembered and must be made."""
        memo, keys = self._memo, self._keys
        known = memo.knows_many(_PARTS, [key for key in keys if key is not None], durable=True)
        return any(key is None or key not in known for key in keys) or not memo.knows(_FRAMES, self._frames_key, durable=True)

    def files(self) -> dict[str, Content]:
        """Every feed and data download, path -> content."""
        if self._forked is None:
            return dict(self._files())
        spooled = self._forked.result()
        # Kept or read back by the forked process: this build used them, so the store keeps them.
        for kind, key in [*((_PARTS, key) for key in self._keys), (_FRAMES, self._frames_key)]:
            if key is not None:
                self._memo.touch(kind, key)
        return {name: Spooled(path) for name, path in spooled.items()}

    def _spooled(self, spool: Path) -> dict[str, str]:
        """Every file written into the spool folder: path -> where it was written."""
        written: dict[str, str] = {}
        for number, (name, content) in enumerate(self._files().items()):
            written[name] = os.path.join(spool, str(number))
            with open(written[name], "wb") as file:
                file.write(content)
        return written

    def _files(self) -> dict[str, bytes]:
        frames, parts = self._parts()
        return {
            **feed_files_from(frames, [part.feed for part in parts if part.feed is not None]),
            **data_files(self._archive, self._site_urls.absolute, [part.data for part in parts]),
        }

    def _parts(self) -> tuple[FeedFrames, list[StatementParts]]:
        """The frames and every statement's parts: those remembered read back, the others made now and kept."""
        memo, keys = self._memo, self._keys
        remembered = {
            key: _unpacked(packed)
            for key, packed in memo.recall_many(_PARTS, [key for key in keys if key is not None], durable=True).items()
        }
        frames: FeedFrames | None = memo.recall(_FRAMES, self._frames_key, durable=True)
        missing = [index for index, key in enumerate(keys) if key is None or key not in remembered]
        made: list[StatementParts] = []
        if missing or frames is None:
            statements = self._archive.statements
            made_frames, made = make_parts(self._archive, self._site_urls, tuple(statements[index] for index in missing))
            memo.keep_many(_PARTS, [(keys[index], _packed(part)) for index, part in zip(missing, made, strict=True)], durable=True)
            if frames is None:
                frames = made_frames
                memo.keep(_FRAMES, self._frames_key, frames, durable=True)
        made_at = dict(zip(missing, made, strict=True))
        parts = [made_at[index] if key is None or index in made_at else remembered[key] for index, key in enumerate(keys)]
        return frames, parts

    def close(self) -> None:
        """Stop the forked process if its result was never asked for (the build failed)."""
        if self._forked is not None:
            self._forked.close()
