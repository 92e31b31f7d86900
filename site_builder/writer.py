"""Write the site: as it is rendered, only what changed, and never a half-written file.

Files arrive one at a time and are written at once to a staging folder beside the site, so a
build never holds the whole site in memory. The site itself is touched only once every file
has arrived: a build that fails while rendering, or while writing the staging folder, leaves the
previous site as it was.

A first build's staging folder is complete and is swapped in. A rebuild stages only the files
that differ from the site's, then moves each over its target (a reader sees the old file or the
new, never part of one), leaves unchanged files untouched, and removes files the site no longer
has. Rewriting thousands of unchanged files, and deleting the old copy, would otherwise cost
more than the whole rest of a warm rebuild.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .manifest import Entry, Manifest, entry


class Keyed:
    """A file's content known by the key it is remembered under; `content()` makes or reads
    it back on first need, then keeps it."""

    __slots__ = ("_content", "_make", "key")

    def __init__(self, key: str, make: Callable[[], bytes]) -> None:
        self.key = key
        self._make = make
        self._content: bytes | None = None

    def content(self) -> bytes:
        if self._content is None:
            self._content = self._make()
        return self._content


class Spooled:
    """A file's content written already, by another process, to a file on the output's file
    system (see `spool_beside`): the writer moves that file into place instead of being handed
    its bytes and writing them again (the feeds and downloads, 16 MB at 1,000 statements)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def content(self) -> bytes:
        with open(self.path, "rb") as file:
            return file.read()


Content = bytes | Keyed | Spooled


def content_of(content: Content) -> bytes:
    return content if isinstance(content, bytes) else content.content()


@contextlib.contextmanager
def spool_beside(out: Path) -> Iterator[Path]:
    """A folder beside `out`, so on its file system, for files written by other processes to be
    moved into the site (`Spooled`); removed with whatever was not moved."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.spool-", dir=out.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class _Layout:
    """The paths written so far; refuses a path twice, or a path that is both a file and a folder."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.names: set[str] = set()  # the same paths, for look-ups
        self._folders: dict[str, str] = {}  # folder -> the first file found in it

    def add(self, name: str) -> None:
        if name in self.names:
            raise ValueError(f"{name} is produced twice")
        if name in self._folders:
            raise ValueError(f"{name} would be both a file and the folder of {self._folders[name]}")
        # Up through the folders above it, until one already known: that one's own folders were
        # checked when it was first seen (a site's 5,000 files are in a few hundred folders).
        folder = name.rpartition("/")[0]
        while folder and folder not in self._folders:
            if folder in self.names:
                raise ValueError(f"{folder} would be both a file and the folder of {name}")
            self._folders[folder] = name
            folder = folder.rpartition("/")[0]
        self.names.add(name)
        self.files.append(name)


def _existing_files(out: Path) -> set[str]:
    """Every file below `out`, by relative path, as `os.walk` lists them (a link to a folder is
    neither followed nor listed), in half its time: no path is made relative, one folder at a time."""
    found: set[str] = set()
    pending = [("", os.fspath(out))]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for item in entries:
                if not item.is_dir():
                    found.add(prefix + item.name)
                elif not item.is_symlink():
                    pending.append((prefix + item.name + "/", item.path))
    return found


class _Listing:
    """`_existing_files(out)`, listed by a thread of its own while the build goes on: the listing
    would otherwise come after the last file (the search index, which a rebuild waits for).
    `out` is changed only after `files()`."""

    def __init__(self, out: Path) -> None:
        self._found: set[str] | None = None
        self._failure: OSError | None = None
        self._thread = threading.Thread(target=self._list, args=(out,), daemon=True)
        self._thread.start()

    def _list(self, out: Path) -> None:
        try:
            self._found = _existing_files(out)
        except OSError as failure:  # raised where the writer asks for the listing
            self._failure = failure

    def files(self) -> set[str]:
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        assert self._found is not None
        return self._found


def _unchanged(target: str, content: bytes) -> os.stat_result | None:
    """The file's status if it holds exactly `content`, else None. A rebuild asks this of every
    file of the site, so it reads with one system call, without a file object or a Path (half the time)."""
    try:
        descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO in its place must not block
    except OSError:
        return None  # missing or unreadable: write it again
    try:
        # A folder or FIFO in its place, a short read or any failure only means it is written again.
        found = os.fstat(descriptor)
        same = stat.S_ISREG(found.st_mode) and found.st_size == len(content) and os.read(descriptor, len(content) + 1) == content
        return found if same else None
    except OSError:
        return None
    finally:
        os.close(descriptor)


# How much of each file a comparison of two reads at a time.
_COMPARED_AT_ONCE = 1 << 20


def _same_as_spooled(target: str, spooled: Spooled) -> bool:
    """Whether the file holds exactly what the spooled file holds: compared only if the sizes
    agree, a stretch at a time, up to the first that differs (an edited statement's entry in a
    feed of a few megabytes: half the reading, on average, and neither file held whole)."""
    try:
        site_file = os.open(target, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO in its place must not block
    except OSError:
        return False  # missing or unreadable: moving it in writes it again
    try:
        with open(spooled.path, "rb", buffering=0) as spooled_file:
            found = os.fstat(site_file)
            if not stat.S_ISREG(found.st_mode) or found.st_size != os.fstat(spooled_file.fileno()).st_size:
                return False
            while chunk := spooled_file.read(_COMPARED_AT_ONCE):
                if os.read(site_file, len(chunk)) != chunk:
                    return False
            return os.read(site_file, 1) == b""
    except OSError:
        return False  # unreadable: moving it in writes it again, or reports the problem
    finally:
        os.close(site_file)


def _as_recorded(relative: str, recorded: Entry | None, key: str, out: _Folder) -> bool:
    """Whether the file is as the last build recorded it, written for `key`: then it holds that key's bytes."""
    if recorded is None or recorded[0] != key:
        return False
    try:
        found = out.stat(relative)
    except OSError:
        return False
    return stat.S_ISREG(found.st_mode) and entry(key, found) == recorded


class _Folder:
    """The old site's folder, whose files a rebuild looks up by their paths relative to it: with
    a descriptor of the folder where the system allows, a file's status is looked up from there
    instead of from the root (a third less time for thousands of files)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY) if os.stat in os.supports_dir_fd else None

    def stat(self, relative: str) -> os.stat_result:
        if self._fd is None:
            return os.stat(os.path.join(self.path, relative), follow_symlinks=False)
        return os.stat(relative, dir_fd=self._fd, follow_symlinks=False)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Staging:
    """The folder files are written to as they arrive; it remembers the folders it has made
    (thousands of files, a few hundred folders: one mkdir each, not one per file)."""

    def __init__(self, folder: Path, *, swapping: bool) -> None:
        self.folder = folder
        self._made = {str(folder)}
        self._swapping = swapping  # whether large files will be swapped into place (a rebuild)
        self.large: set[str] = set()  # files of _SWAPPED_FROM bytes or more

    def write(self, relative: str, content: bytes) -> None:
        with open(self._target(relative), "wb") as file:
            file.write(content)
        if len(content) >= _SWAPPED_FROM:
            self._add_large(relative)

    def adopt(self, relative: str, spooled: str) -> None:
        """Move a spooled file in, as if its bytes had been written (same file system: a rename)."""
        target = self._target(relative)
        os.replace(spooled, target)
        if os.stat(target).st_size >= _SWAPPED_FROM:
            self._add_large(relative)

    def _add_large(self, relative: str) -> None:
        self.large.add(relative)
        if self._swapping:
            _renameat2()  # looked up now, while the build waits for the search index, not after it

    def _target(self, relative: str) -> str:
        target = os.path.join(self.folder, relative)
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target


# Renaming a file over another makes ext4 (with its default `auto_da_alloc`) write the new file's
# data to disk at once, in the renaming process: about a millisecond a megabyte, 10 ms for a
# thousand statements' two feeds. Swapping the two instead leaves that to the kernel, as for any
# new file. Below this size, the swap's set-up costs more than it saves.
_SWAPPED_FROM = 256 * 1024
# renameat2's flag for an atomic exchange, and its "relative to the working folder".
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _renameat2() -> Any | None:
    """The C library's renameat2 (Linux), None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only here: most builds swap nothing

    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    return function


def _swapped(staged: Path, target: Path) -> bool:
    """Whether the staged file and its target were exchanged in one atomic step: the new file is
    in place, and the old one (a file, or a folder of the old site) is left where the staged one
    was, to go with the staging folder. False, with nothing changed, when the target is missing
    (or a folder above it is), or the system cannot exchange files."""
    renameat2 = _renameat2()
    return renameat2 is not None and renameat2(_AT_FDCWD, os.fsencode(staged), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE) == 0


def _move_into_place(staged: Path, target: Path, out: Path) -> None:
    """Rename a staged file over its target, clearing a file or folder of the old site in its way."""
    with contextlib.suppress(OSError):
        # Most often the target is a file, or missing from a folder that exists: one rename.
        # A folder in its place, a file in place of a folder above it, or a missing folder
        # make the rename fail, and are cleared below.
        os.replace(staged, target)
        return
    if target.is_dir():
        shutil.rmtree(target)  # a folder of the old site where the new one has a file
    for parent in reversed(target.relative_to(out).parents):
        folder = out / parent
        if folder.is_file():
            folder.unlink()  # a file of the old site where the new one has a folder
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, target)


def write_site(files: Iterable[tuple[str, Content]], out: Path, manifest: Manifest | None = None) -> list[str]:
    """Write every (relative path, content) of `files` into `out`; return the paths written, in order.

    If `files` raises (a content error found while rendering) or a path is refused, the
    exception propagates and `out` is left exactly as it was. With a manifest, keyed files the
    last build wrote and nobody changed since are taken as they are, and what this build leaves
    is recorded for the next. A `Spooled` file is moved in from where it was spooled, unless the
    site holds the same bytes already.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    rebuild = out.is_dir()
    recorded = manifest.load() if manifest is not None and rebuild else {}
    layout = _Layout()
    changed: list[str] = []
    kept: dict[str, Entry] = {}  # keyed files left as they are, with their entries
    keys: dict[str, str] = {}  # keyed files written now
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    listing: _Listing | None = None
    old_site = _Folder(out) if rebuild else None
    try:
        stage = _Staging(staging, swapping=rebuild)
        for relative, content in files:
            if rebuild and listing is None and len(layout.files) >= len(recorded) // 2:
                # Started once half as many files as the last build recorded have come: by then
                # the shards with changed pages, which come first, are with the search index, and
                # the listing no longer competes with the way to it (about 12 ms at 1,000 statements).
                listing = _Listing(out)
            layout.add(relative)
            if isinstance(content, Spooled):
                if old_site is None or not _same_as_spooled(os.path.join(out, relative), content):
                    stage.adopt(relative, content.path)
                    changed.append(relative)
                continue
            key = content.key if isinstance(content, Keyed) else None
            if old_site is not None:  # a file the site lacks fails both checks: it cannot be opened
                if key is not None and _as_recorded(relative, recorded.get(relative), key, old_site):
                    kept[relative] = recorded[relative]
                    continue
                found = _unchanged(os.path.join(out, relative), content_of(content))
                if found is not None:
                    if key is not None:
                        kept[relative] = entry(key, found)
                    continue
            stage.write(relative, content_of(content))
            changed.append(relative)
            if key is not None:
                keys[relative] = key
        if manifest is not None:
            manifest.forget()  # from here on the site changes: no record until it is recorded again
        if not rebuild:
            staging.chmod(0o755)
            staging.rename(out)
        else:
            stale = (listing.files() if listing is not None else _existing_files(out)) - layout.names
            for relative in stale:
                with contextlib.suppress(FileNotFoundError):  # its folder may already be gone
                    (out / relative).unlink()
            for relative in changed:
                if relative in stage.large and _swapped(staging / relative, out / relative):
                    continue
                _move_into_place(staging / relative, out / relative, out)
            # Folders left empty by removed files go too (a new file may have refilled one).
            for folder in sorted({parent for relative in stale for parent in Path(relative).parents if parent != Path(".")}, reverse=True):
                with contextlib.suppress(OSError):  # not empty, or already gone
                    (out / folder).rmdir()
    finally:
        if old_site is not None:
            old_site.close()
        shutil.rmtree(staging, ignore_errors=True)
    if manifest is not None:
        for relative, key in keys.items():
            with contextlib.suppress(OSError):
                kept[relative] = entry(key, os.stat(out / relative, follow_symlinks=False))
        manifest.save(kept)
    return layout.files
