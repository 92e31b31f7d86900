"""Splicing the whole-archive files: a rebuild copies the unchanged stretches of the last build's
feeds and downloads, kept in the cache, instead of reading back every statement's part of them.

The feeds, `statements.json` and `claims.csv` are each one piece per statement between fixed
bytes: 16 MB at 1,000 statements, which reading back from the store took a forked process about
100 ms of a warm rebuild. A build keeps a copy of each file it writes (a hard link to it, where
the file system allows) with the layout of its pieces, each named by the key of what it is made
from (a statement's part, the feeds' frames; `name -> bytes` never changes). The next build lays
out the new file by the same names: a stretch that stands in the kept copy in the same order is
copied by the kernel from there, and only the pieces the copy lacks (an edited statement's) are
read back or made. A kept copy is used only if its inode, size and modification time are those
recorded with its layout, and the layouts only if this code wrote them; otherwise every piece is
wanted, as on a first build.

A kept copy replaced by a newer one is moved aside (`SUPERSEDED`), not deleted, and deleted by
the next build's splicing. Until the build has swapped the new files into the site, the old
ones are still the site's, so deleting the kept copy only took away a link: the last link went
with the writer's staging folder, at the very end of the build, and freeing a few megabytes
costs ext4 about 1.5 ms a file (5 to 6 ms at 1,000 statements, with nothing else left to
overlap it). The next build's forked process deletes them instead, at the lowest priority. The
cache then holds the files of one build more (17 MB at 1,000 statements).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# A piece of a file: a name for its bytes (str), or the bytes themselves (the fixed ones).
Piece = str | bytes
_LAYOUTS = "layouts"
SUPERSEDED = ".superseded"  # the kept copies replaced by the last build, deleted by the next
_IOV_MAX = 1024  # buffers one writev takes, at most (POSIX's least IOV_MAX; Linux's)


@dataclass(frozen=True)
class _Layout:
    """A kept file: its status when kept (inode, size, modification time), its pieces in order,
    and where each starts, with the file's end last."""

    status: tuple[int, int, int]
    pieces: tuple[Piece, ...]
    starts: tuple[int, ...]


class Splicer:
    """The kept copies in `folder` (made if missing), for this code (`code`: a digest of it).

    `wanted` names the pieces a file's kept copy lacks; `write` writes the file from the kept copy
    and those pieces, then keeps it in turn; `close` records the new layouts. A kept copy found
    usable is held open from `wanted` to `close`, so that what `wanted` found is what `write` reads."""

    def __init__(self, folder: Path, code: str) -> None:
        self._folder = folder
        self._code = code
        self._layouts: dict[str, _Layout] = {}
        with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            code_of, layouts = pickle.loads((folder / _LAYOUTS).read_bytes())
            if code_of == code and isinstance(layouts, dict) and all(isinstance(layout, _Layout) for layout in layouts.values()):
                self._layouts = layouts
        self._sources: dict[str, tuple[int, _Layout]] = {}  # usable kept copies, open
        self._written: dict[str, _Layout] = {}

    def wanted(self, name: str, recipe: Sequence[Piece]) -> set[str]:
        """The named pieces of `recipe` the kept copy of `name` lacks (all, without a usable copy)."""
        source = self._source(name)
        present = set() if source is None else {piece for piece in source[1].pieces if isinstance(piece, str)}
        return {piece for piece in recipe if isinstance(piece, str) and piece not in present}

    def _source(self, name: str) -> tuple[int, _Layout] | None:
        """The kept copy of `name`, open, with its layout, if it is as its layout recorded it."""
        if name in self._sources:
            return self._sources[name]
        layout = self._layouts.get(name)
        if layout is None:
            return None
        try:
            descriptor = os.open(self._folder / name, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO in its place must not block
        except OSError:
            return None
        found = os.fstat(descriptor)
        if (found.st_ino, found.st_size, found.st_mtime_ns) != layout.status:
            os.close(descriptor)
            return None
        self._sources[name] = (descriptor, layout)
        return self._sources[name]

    def write(self, name: str, recipe: Sequence[Piece], pieces: Mapping[str, bytes], target: str) -> None:
        """Write the file `recipe` lays out at `target`: stretches the kept copy holds in the same
        order copied from it, the other named pieces (those `wanted` named) from `pieces`. Then keep
        it for the next build."""
        with open(target, "wb", buffering=0) as file:
            starts = _write(file.fileno(), recipe, pieces, self._source(name))
        self._keep(name, target, tuple(recipe), starts)

    def _keep(self, name: str, written: str, recipe: tuple[Piece, ...], starts: tuple[int, ...]) -> None:
        kept = self._folder / name
        fresh = self._folder / f".{name.replace('/', '-')}.new"
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            fresh.unlink(missing_ok=True)
            try:
                os.link(written, fresh)  # the same file: no copy
            except OSError:  # another file system, or no hard links there
                shutil.copyfile(written, fresh)
            self._supersede(name, kept)
            os.replace(fresh, kept)
            found = os.stat(kept, follow_symlinks=False)
        except OSError:
            self._layouts.pop(name, None)  # nothing kept, or not as recorded: the next build reads every piece
            return
        self._written[name] = _Layout((found.st_ino, found.st_size, found.st_mtime_ns), recipe, starts)

    def _supersede(self, name: str, kept: Path) -> None:
        """Move the kept copy aside: the site's file still links it (see the module's notes)."""
        if not os.path.lexists(kept):
            return  # none kept yet
        superseded = self._folder / SUPERSEDED
        with contextlib.suppress(OSError):  # not movable: replaced below, it goes as before
            superseded.mkdir(exist_ok=True)
            os.replace(kept, superseded / name.replace("/", "-"))

    def delete_superseded(self) -> None:
        """Delete the copies the last build superseded: by now the site links them no more."""
        with contextlib.suppress(OSError), os.scandir(self._folder / SUPERSEDED) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

    def close(self) -> None:
        """Close the kept copies read, and record the layouts of the files written (those not
        written again keep theirs)."""
        for descriptor, _ in self._sources.values():
            os.close(descriptor)
        self._sources = {}
        if not self._written:
            return
        layouts = {**self._layouts, **self._written}
        fresh = self._folder / f".{_LAYOUTS}.new"
        with contextlib.suppress(OSError):
            fresh.write_bytes(pickle.dumps((self._code, layouts), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(fresh, self._folder / _LAYOUTS)


def _write(output: int, recipe: Sequence[Piece], pieces: Mapping[str, bytes], kept: tuple[int, _Layout] | None) -> tuple[int, ...]:
    """Write the pieces of `recipe` to `output` in order; return where each starts, and the end.
    Where the kept copy (a descriptor and its layout) holds the same pieces in the same order, the
    whole stretch is copied from it at once; other pieces are gathered and written together."""
    source, layout = kept if kept is not None else (-1, _Layout((0, 0, 0), (), (0,)))
    place = {piece: index for index, piece in enumerate(layout.pieces) if isinstance(piece, str)}
    starts: list[int] = []
    gathered: list[bytes] = []
    position = 0
    run: tuple[int, int] | None = None  # kept pieces [first, last) to copy; never while some are gathered

    def flush() -> None:
        nonlocal run
        _write_all(output, gathered)
        gathered.clear()
        if run is not None:
            first, last = run
            _copy(source, output, layout.starts[first], layout.starts[last] - layout.starts[first])
            run = None

    for piece in recipe:
        starts.append(position)
        if run is not None and run[1] < len(layout.pieces) and layout.pieces[run[1]] == piece:
            run = (run[0], run[1] + 1)  # the next kept piece is this one: the stretch goes on
            position += layout.starts[run[1]] - layout.starts[run[1] - 1]
            continue
        if run is not None:
            flush()  # the stretch ends before this piece
        if isinstance(piece, str) and piece in place:
            flush()  # what was gathered comes before the new stretch
            index = place[piece]
            run = (index, index + 1)
            position += layout.starts[index + 1] - layout.starts[index]
            continue
        content = piece if isinstance(piece, bytes) else pieces[piece]
        gathered.append(content)
        position += len(content)
        if len(gathered) == _IOV_MAX:
            flush()
    flush()
    starts.append(position)
    return tuple(starts)


def _write_all(output: int, buffers: list[bytes]) -> None:
    """Write the buffers in order, with as few system calls as the system allows."""
    if not buffers:
        return
    if not hasattr(os, "writev"):  # Windows
        os.write(output, b"".join(buffers))
        return
    written = os.writev(output, buffers)
    total = sum(len(buffer) for buffer in buffers)
    if written < total:  # a short write (rare for a file): the rest, one call at a time
        rest = memoryview(b"".join(buffers))[written:]
        while rest:
            rest = rest[os.write(output, rest) :]


def _copy(source: int, output: int, offset: int, count: int) -> None:
    """Copy `count` bytes of `source` from `offset` to `output`'s position, by the kernel where it can."""
    if hasattr(os, "copy_file_range"):
        with contextlib.suppress(OSError):  # a file system or kernel without it: read and write below
            while count > 0:
                copied = os.copy_file_range(source, output, count, offset)
                if copied <= 0:
                    break
                offset += copied
                count -= copied
    while count > 0:
        chunk = os.pread(source, min(count, 1 << 20), offset)
        if not chunk:
            raise OSError(f"the kept file ended {count} bytes early")
        _write_all(output, [chunk])
        offset += len(chunk)
        count -= len(chunk)
