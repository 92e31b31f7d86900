"""The files made from the whole archive: the feeds and the data downloads.

Each statement has a part in each of them (its feed entries, its record, its rows of claims),
which depends on nothing but the statement and the base URL. Parts are remembered per statement,
in the build cache or in the preview's memory, so an edit makes one statement's parts again and
the files are put together from the others: byte for byte the files made whole (tests compare).
A large archive's one-shot build has them made by a forked process, which writes them into the
spool folder and splices the large ones from the copies the last build kept (spliced_files.py).
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .background import Forked, yield_cores
from .build_cache import code_digest
from .exports import StatementData, archive_data_files, claims_csv_layout, data_files, statement_data, statements_json_layout
from .feeds import FeedEntries, FeedFrames, feed_files_from, feed_layout, feed_parts, last_revised
from .memo import Memo
from .model import Archive, Statement
from .spliced_files import Piece, Splicer
from .urls import SiteUrls
from .writer import Content, Spooled

_PARTS = "statement parts"
# Fewer new pieces than one for this many statements (an edit's four, from 100 statements) are "few".
_FEW_PIECES = 25
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


# The fields a statement's part and the feeds' frames give the large files, as pieces' names say them.
_FRAME_FIELDS = ("rss-head", "rss-tail", "atom-head", "atom-tail")


def _piece(key: str | None, field: str) -> str:
    """The name of a piece of the large files: the key of what it is made from, and its field."""
    return f"{key}:{field}"


def _key_of(piece: str) -> str:
    """The key a piece's name gives (`_piece`)."""
    return piece.rpartition(":")[0]


@dataclass(frozen=True)
class Spool:
    """Where a forked process writes the feeds and downloads (`folder`, on the output's file
    system), and where it keeps copies of the large ones to splice the next build's from
    (`kept`, in the cache; None: nothing is kept)."""

    folder: Path
    kept: Path | None = None


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

    def __init__(self, archive: Archive, site_urls: SiteUrls, memo: Memo, *, spool: Spool | None = None) -> None:
        self._archive = archive
        self._site_urls = site_urls
        self._memo = memo
        self._frames_key = memo.key((archive.site, last_revised(archive), site_urls))
        # Which parts are remembered is found out where they are read back: by the forked
        # process, off the way to the first pages, when there is one. The files are written
        # there too: handed back instead, they were pickled, read back and written by this
        # process, about 40 ms of a warm rebuild at 1,000 statements on its way to the end.
        # The parts' keys are worked out there too, and handed back with the files.
        self._forked: Forked[tuple[dict[str, str], list[str | None]]] | None = (
            Forked(lambda: (self._spooled(spool), self._keys)) if spool is not None else None
        )

    @functools.cached_property
    def _keys(self) -> list[str | None]:
        """The key of each statement's part, in the archive's order."""
        return [self._memo.key((statement, self._site_urls)) for statement in self._archive.statements]

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
        spooled, keys = self._forked.result()
        # Kept or read back by the forked process: this build used them, so the store keeps them.
        for kind, key in [*((_PARTS, key) for key in keys), (_FRAMES, self._frames_key)]:
            if key is not None:
                self._memo.touch(kind, key)
        return {name: Spooled(path) for name, path in spooled.items()}

    def _spooled(self, spool: Spool) -> dict[str, str]:
        """Every file written into the spool folder: path -> where it was written. With a folder
        to keep them in, the large ones are spliced from the copies the last build kept there."""
        written: dict[str, str] = {}

        def target(name: str) -> str:
            written[name] = os.path.join(spool.folder, str(len(written)))
            return written[name]

        recipes = self._recipes()
        if spool.kept is None or recipes is None:
            for name, content in self._files().items():
                with open(target(name), "wb") as file:
                    file.write(content)
            return written
        splicer = Splicer(spool.kept, code_digest())
        try:
            wanted = set().union(*(splicer.wanted(name, recipe) for name, recipe in recipes.items()))
            if len(wanted) * _FEW_PIECES <= len(self._keys):
                # A rebuild's few new pieces (an edit's) are wanted only at the build's end, while
                # its longest path (Pagefind's run on the edited shard, beside the build's own
                # work) runs on both cores now: this process gives way to them.
                yield_cores()
            # Files two builds old, which the site no longer links: freeing them is this process's
            # to do, off the end of the build (spliced_files.py).
            splicer.delete_superseded()
            pieces = self._pieces(wanted)
            for name, recipe in recipes.items():
                splicer.write(name, recipe, pieces, target(name))
        finally:
            splicer.close()
        for name, content in archive_data_files(self._archive, self._site_urls.absolute).items():
            with open(target(name), "wb") as file:
                file.write(content)
        return written

    def _recipes(self) -> dict[str, Sequence[Piece]] | None:
        """How the large files are laid out, each piece named by the key of what it is made from
        and its field (a statement's part, the feeds' frames); None if some input has no key."""
        keys, frames = self._keys, self._frames_key
        if frames is None or any(key is None for key in keys):
            return None
        texts = [key for statement, key in zip(self._archive.statements, keys, strict=True) if statement.has_text]
        rss_head, rss_tail, atom_head, atom_tail = (_piece(frames, field) for field in _FRAME_FIELDS)
        return {
            "feed.xml": feed_layout((rss_head, rss_tail), [_piece(key, "rss") for key in texts]),
            "atom.xml": feed_layout((atom_head, atom_tail), [_piece(key, "atom") for key in texts]),
            "data/statements.json": statements_json_layout([_piece(key, "record") for key in keys]),
            "data/claims.csv": claims_csv_layout([_piece(key, "claims") for key in keys]),
        }

    def _pieces(self, wanted: set[str]) -> dict[str, bytes]:
        """The bytes of the named pieces (`_recipes`), with others of the same parts."""
        if not wanted:
            return {}
        place = {key: index for index, key in enumerate(self._keys)}
        frames, parts = self._parts_at(sorted({place[key] for key in map(_key_of, wanted) if key in place}))
        pieces = dict(zip((_piece(self._frames_key, field) for field in _FRAME_FIELDS), (*frames.rss, *frames.atom), strict=True))
        for index, part in parts.items():
            key = self._keys[index]
            pieces[_piece(key, "record")], pieces[_piece(key, "claims")] = part.data.record, part.data.claim_rows
            if part.feed is not None:
                pieces[_piece(key, "rss")], pieces[_piece(key, "atom")] = part.feed.rss, part.feed.atom
        return pieces

    def _files(self) -> dict[str, bytes]:
        frames, parts_at = self._parts_at(range(len(self._keys)))
        parts = [parts_at[index] for index in range(len(self._keys))]
        return {
            **feed_files_from(frames, [part.feed for part in parts if part.feed is not None]),
            **data_files(self._archive, self._site_urls.absolute, [part.data for part in parts]),
        }

    def _parts_at(self, places: Sequence[int]) -> tuple[FeedFrames, dict[int, StatementParts]]:
        """The frames, and the parts of the statements at `places` (by place): those remembered
        read back, the others made now and kept."""
        memo, keys = self._memo, self._keys
        remembered = {
            key: _unpacked(packed)
            for key, packed in memo.recall_many(
                _PARTS, [key for key in (keys[index] for index in places) if key is not None], durable=True
            ).items()
        }
        frames: FeedFrames | None = memo.recall(_FRAMES, self._frames_key, durable=True)
        missing = [index for index in places if keys[index] is None or keys[index] not in remembered]
        made: list[StatementParts] = []
        if missing or frames is None:
            statements = self._archive.statements
            made_frames, made = make_parts(self._archive, self._site_urls, tuple(statements[index] for index in missing))
            memo.keep_many(_PARTS, [(keys[index], _packed(part)) for index, part in zip(missing, made, strict=True)], durable=True)
            if frames is None:
                frames = made_frames
                memo.keep(_FRAMES, self._frames_key, frames, durable=True)
        parts = dict(zip(missing, made, strict=True))
        parts.update((index, remembered[key]) for index in places if index not in parts and (key := keys[index]) is not None)
        return frames, parts

    def close(self) -> None:
        """Stop the forked process if its result was never asked for (the build failed)."""
        if self._forked is not None:
            self._forked.close()
