"""Splicing the large whole-archive files from the copies the last build kept: byte for byte the
files laid out from every piece, reading only the pieces the kept copies lack, and never trusting
a kept copy that is not as recorded."""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from pathlib import Path

import pytest

from site_builder import archive_files, render, spliced_files
from site_builder.archive_files import ArchiveFiles
from site_builder.cli import main
from site_builder.commands import build as build_command
from site_builder.spliced_files import Piece, Splicer
from tests.conftest import file_digests

CODE = "code digest"
PIECES = {f"k{number}:field": f"<piece {number}>".encode() * (number + 1) for number in range(8)}


def _recipe(names: Sequence[str]) -> list[Piece]:
    """Pieces between fixed bytes, as statements.json lays them out."""
    recipe: list[Piece] = [b"[\n"]
    for name in names:
        recipe += (name, b",\n")
    recipe[-1] = b"\n]\n"
    return recipe


def _laid_out(recipe: Sequence[Piece], pieces: dict[str, bytes]) -> bytes:
    return b"".join(piece if isinstance(piece, bytes) else pieces[piece] for piece in recipe)


def _splice(kept: Path, target: Path, recipe: Sequence[Piece], pieces: dict[str, bytes], code: str = CODE) -> set[str]:
    """Write `target` as a build does; return the pieces it wanted."""
    splicer = Splicer(kept, code)
    try:
        wanted = splicer.wanted("data/file.json", recipe)
        splicer.write("data/file.json", recipe, {name: pieces[name] for name in wanted}, str(target))
    finally:
        splicer.close()
    return wanted


@pytest.fixture
def copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The ranges copied from kept files, as (offset, length)."""
    copied: list[tuple[int, int]] = []
    copy = spliced_files._copy

    def spy(source: int, output: int, offset: int, count: int) -> None:
        copied.append((offset, count))
        copy(source, output, offset, count)

    monkeypatch.setattr(spliced_files, "_copy", spy)
    return copied


def test_a_file_is_spliced_from_its_kept_copy_and_only_the_new_pieces(tmp_path: Path, copies: list[tuple[int, int]]) -> None:
    kept, names = tmp_path / "kept", sorted(PIECES)
    recipe = _recipe(names)
    assert _splice(kept, tmp_path / "first", recipe, PIECES) == set(names), "no kept copy yet: every piece"
    assert (tmp_path / "first").read_bytes() == _laid_out(recipe, PIECES) and not copies
    assert os.stat(kept / "data/file.json").st_ino == os.stat(tmp_path / "first").st_ino, "kept as a hard link"
    # An edited piece (a new key), one gone, one added and two moved: each stretch is copied in one go.
    edited = {**PIECES, "k3:new": b"<edited 3>", "k9:field": b"<added>"}
    names = ["k0:field", "k1:field", "k2:field", "k3:new", "k5:field", "k4:field", "k6:field", "k7:field", "k9:field"]
    recipe = _recipe(names)
    assert _splice(kept, tmp_path / "second", recipe, edited) == {"k3:new", "k9:field"}
    assert (tmp_path / "second").read_bytes() == _laid_out(recipe, edited)
    first = (tmp_path / "first").read_bytes()
    assert len(copies) == 4, "k0-k2, then k5, k4, and k6-k7 with the bytes between them"
    assert first[copies[0][0] : sum(copies[0])] == b"".join(PIECES[name] + b",\n" for name in names[:3]), "with the bytes after"
    # The next build splices from the second file.
    copies.clear()
    assert _splice(kept, tmp_path / "third", recipe, edited) == set()
    assert (tmp_path / "third").read_bytes() == _laid_out(recipe, edited) and len(copies) == 1


def test_a_replaced_kept_copy_is_moved_aside_and_deleted_by_the_next_build(tmp_path: Path) -> None:
    """The replaced copy is still linked by the site's file until the writer swaps the new one in:
    moved aside, its last link goes with the next build's splicing, not with the writer's end."""
    kept, names = tmp_path / "kept", sorted(PIECES)
    recipe = _recipe(names)
    _splice(kept, tmp_path / "first", recipe, PIECES)
    first = os.stat(tmp_path / "first")
    assert not (kept / spliced_files.SUPERSEDED).exists(), "nothing was replaced"
    edited = {**PIECES, "k3:new": b"<edited 3>"}
    _splice(kept, tmp_path / "second", _recipe([*names[:3], "k3:new", *names[4:]]), edited)
    aside = kept / spliced_files.SUPERSEDED / "data-file.json"
    assert os.stat(aside).st_ino == first.st_ino and os.stat(aside).st_nlink == 2, "still the first file's, aside"
    assert os.stat(kept / "data/file.json").st_ino == os.stat(tmp_path / "second").st_ino
    (tmp_path / "first").unlink()  # the writer swaps the second in: the copy aside is the last link
    splicer = Splicer(kept, CODE)
    splicer.delete_superseded()
    splicer.close()
    assert not aside.exists() and (tmp_path / "second").read_bytes() == _laid_out(_recipe([*names[:3], "k3:new", *names[4:]]), edited)
    Splicer(kept, CODE).delete_superseded()  # nothing aside: nothing to do


@pytest.mark.parametrize(
    "change", ["appended to", "replaced", "removed", "layouts of other code", "layouts damaged", "layouts of another form"]
)
def test_a_kept_copy_not_as_recorded_is_not_used(tmp_path: Path, copies: list[tuple[int, int]], change: str) -> None:
    kept, names = tmp_path / "kept", sorted(PIECES)
    recipe = _recipe(names)
    _splice(kept, tmp_path / "first", recipe, PIECES)
    copy = kept / "data/file.json"
    code = CODE
    if change == "appended to":
        with copy.open("ab") as file:  # in place, as the site's file it is linked to could be
            file.write(b"more")
    elif change == "replaced":
        copy.unlink()
        copy.write_bytes((tmp_path / "first").read_bytes())
    elif change == "removed":
        copy.unlink()
    elif change == "layouts of other code":
        code = "another code digest"
    elif change == "layouts damaged":
        (kept / "layouts").write_bytes(b"not a pickle")
    else:
        (kept / "layouts").write_bytes(pickle.dumps((CODE, {"data/file.json": ("not", "a layout")})))
    assert _splice(kept, tmp_path / "second", recipe, PIECES, code) == set(names)
    assert (tmp_path / "second").read_bytes() == _laid_out(recipe, PIECES) and not copies


def test_many_new_pieces_are_written_in_few_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    writev = os.writev

    def spy(descriptor: int, buffers: Sequence[bytes]) -> int:
        calls.append(len(buffers))
        return writev(descriptor, buffers)

    monkeypatch.setattr(os, "writev", spy)
    pieces = {f"k{number}:field": b"%d" % number for number in range(1500)}
    recipe = _recipe(sorted(pieces))
    _splice(tmp_path / "kept", tmp_path / "file", recipe, pieces)
    assert (tmp_path / "file").read_bytes() == _laid_out(recipe, pieces)
    assert calls == [spliced_files._IOV_MAX, spliced_files._IOV_MAX, len(recipe) - 2 * spliced_files._IOV_MAX]


def test_a_short_write_is_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writev = os.writev
    monkeypatch.setattr(os, "writev", lambda descriptor, buffers: writev(descriptor, [buffers[0][:3]]))
    _splice(tmp_path / "kept", tmp_path / "file", _recipe(sorted(PIECES)), PIECES)
    assert (tmp_path / "file").read_bytes() == _laid_out(_recipe(sorted(PIECES)), PIECES)


def test_copying_without_copy_file_range_gives_the_same_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = _recipe(sorted(PIECES))
    _splice(tmp_path / "kept", tmp_path / "first", recipe, PIECES)

    def unsupported(*_: object) -> int:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(os, "copy_file_range", unsupported, raising=False)
    assert _splice(tmp_path / "kept", tmp_path / "second", recipe, PIECES) == set()
    assert (tmp_path / "second").read_bytes() == _laid_out(recipe, PIECES)


def _site(project: Path, out: Path, cache: Path | None) -> dict[str, str]:
    arguments = ["--root", str(project), "build", "--out", str(out)]
    assert main([*arguments, "--cache", str(cache)] if cache is not None else [*arguments, "--no-cache"]) == 0
    return file_digests(out)


def test_a_rebuild_splices_the_feeds_and_downloads_reading_back_only_the_edited_statement(
    project: Path, tmp_path: Path, edit: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    monkeypatch.setattr(render, "BACKGROUND_FROM", 0)
    # The forked process notes how many statements' parts it asked for.
    asked = tmp_path / "asked"
    parts_at = ArchiveFiles._parts_at

    def noting(self: ArchiveFiles, places: Sequence[int]) -> object:
        with asked.open("a") as file:
            file.write(f"{len(places)}\n")
        return parts_at(self, places)

    monkeypatch.setattr(ArchiveFiles, "_parts_at", noting)
    cache, out = tmp_path / "cache", project / "_site"
    _site(project, out, cache)
    assert asked.read_text().split() == ["12"]
    statement = project / "statements/2024-statement-2024-06-25.md"
    statement.write_text(statement.read_text(encoding="utf-8") + "\nA paragraph added to the text.\n", encoding="utf-8")
    spliced = _site(project, out, cache)
    assert asked.read_text().split() == ["12", "1"]
    assert spliced == _site(project, tmp_path / "fresh", None)
    # A kept copy gone, another changed in place (with the site's file it is linked to): both
    # are read back whole, the site is still as a build without a cache makes it.
    (cache / "archive-files/feed.xml").unlink()
    with (cache / "archive-files/data/claims.csv").open("ab") as file:
        file.write(b"changed in place")
    statement.write_text(statement.read_text(encoding="utf-8") + "\nAnother paragraph.\n", encoding="utf-8")
    asked.unlink()
    rebuilt = _site(project, out, cache)
    assert asked.read_text().split() == ["12"]
    assert rebuilt == _site(project, tmp_path / "fresh", None)
    assert not list(project.glob("._site.*")), "no staging or spool folder is left beside the site"
    # The site's feed before an edit: the rebuild replaces it, and its last link is the kept copy
    # moved aside, which the next rebuild deletes.
    feed = os.stat(out / "feed.xml")
    statement.write_text(statement.read_text(encoding="utf-8") + "\nA third paragraph.\n", encoding="utf-8")
    _site(project, out, cache)
    aside = cache / "archive-files" / spliced_files.SUPERSEDED
    assert os.stat(out / "feed.xml").st_ino != feed.st_ino
    assert {(found.st_ino, found.st_nlink) for found in map(os.stat, aside.iterdir()) if found.st_ino == feed.st_ino} == {(feed.st_ino, 1)}
    statement.write_text(statement.read_text(encoding="utf-8") + "\nA fourth paragraph.\n", encoding="utf-8")
    assert _site(project, out, cache) == _site(project, tmp_path / "fresh", None)
    assert feed.st_ino not in {os.stat(path).st_ino for path in aside.iterdir()}, "deleted by the next build"
    assert len(list(aside.iterdir())) <= 4, "one build's replaced copies at most"


def test_a_build_without_a_cache_keeps_no_copies(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    monkeypatch.setattr(render, "BACKGROUND_FROM", 0)
    made = tmp_path / "splicers"  # noted by the forked process, which makes them
    splicer = spliced_files.Splicer

    def noting(folder: Path, code: str) -> Splicer:
        with made.open("a") as file:
            file.write(f"{folder}\n")
        return splicer(folder, code)

    monkeypatch.setattr(archive_files, "Splicer", noting)
    files = _site(project, project / "_site", None)
    assert not made.exists()
    assert _site(project, tmp_path / "cached", tmp_path / "cache") == files
    assert made.read_text().split() == [str(tmp_path / "cache" / "archive-files")]
