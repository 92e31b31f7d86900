"""Write the site: only what changed, and never a half-written file.

Nothing is written unless the whole build succeeded (a content error stops the build before
this step), so a failed build leaves the previous site byte-identical.

A first build writes into a sibling folder and swaps it in once complete. A rebuild updates the
existing folder in place: each changed file is written beside its target and renamed over it
(a reader sees the old file or the new, never part of one), unchanged files are not touched,
and files the site no longer has are removed. Rewriting thousands of unchanged files, and
deleting the old copy, would otherwise cost more than the whole rest of a warm rebuild.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def _check_layout(files: dict[str, bytes]) -> None:
    """Refuse a file list in which one path would have to be both a file and a folder."""
    names = set(files)
    for name in names:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in names:
                raise ValueError(f"{'/'.join(parts[:depth])} would be both a file and the folder of {name}")


def _write_fresh(files: dict[str, bytes], out: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        staging.chmod(0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    staging.rename(out)


def _existing_files(out: Path) -> set[str]:
    found: set[str] = set()
    for folder, _, names in os.walk(out):
        relative = os.path.relpath(folder, out)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in names)
    return found


def _replace(target: Path, content: bytes) -> None:
    """Write `content` beside `target` and rename it over, so the file is never seen half-written."""
    if target.is_dir():
        shutil.rmtree(target)  # a folder of the old site where the new one has a file
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.new")
    try:
        with open(temporary, "wb") as file:
            file.write(content)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _update_in_place(files: dict[str, bytes], out: Path) -> None:
    existing = _existing_files(out)
    stale = existing - set(files)
    for relative in stale:
        (out / relative).unlink()
    for relative, content in files.items():
        target = out / relative
        if relative in existing and target.is_file():
            try:
                if target.read_bytes() == content:
                    continue
            except OSError:
                pass  # unreadable: write it again
        elif relative not in existing:
            # A file of the old site may stand where the new one has a folder.
            for parent in Path(relative).parents:
                if parent.as_posix() in existing and (out / parent).is_file():
                    (out / parent).unlink()
                    existing.discard(parent.as_posix())
        _replace(target, content)
    # Folders left empty by removed files go too (a new file may have refilled one).
    for folder in sorted({parent for relative in stale for parent in Path(relative).parents if parent != Path(".")}, reverse=True):
        with contextlib.suppress(OSError):  # not empty, or already gone
            (out / folder).rmdir()


def write_site(files: dict[str, bytes], out: Path) -> None:
    _check_layout(files)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.is_dir():
        _update_in_place(files, out)
    else:
        _write_fresh(files, out)
