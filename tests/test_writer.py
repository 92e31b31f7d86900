"""Output: a rebuild leaves exactly the new site, touches only what changed, and a refused
write leaves the previous site as it was."""

from __future__ import annotations

import functools
import os
import re
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder import writer
from site_builder.manifest import Manifest
from site_builder.writer import Content, Keyed, Spooled, spool_beside, write_site


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_replaces_the_previous_site_entirely(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"old.html": b"old", "gone/deep/page.html": b"x", "index.html": b"1"}.items(), out)
    write_site({"index.html": b"2", "a/b.txt": b"b"}.items(), out)
    assert _tree(out) == {"a/b.txt": b"b", "index.html": b"2"}
    assert not (out / "gone").exists(), "folders emptied by the rebuild are removed"
    assert [p.name for p in tmp_path.iterdir()] == ["_site"], "no staging folder is left behind"


def test_a_rebuild_touches_only_changed_files(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"same.html": b"same", "changed.html": b"before"}.items(), out)
    same, changed = os.stat(out / "same.html"), os.stat(out / "changed.html")
    write_site({"same.html": b"same", "changed.html": b"after"}.items(), out)
    assert os.stat(out / "same.html").st_ino == same.st_ino and os.stat(out / "same.html").st_mtime_ns == same.st_mtime_ns
    # A changed file is a new file renamed over the old one: a reader never sees it half-written.
    assert os.stat(out / "changed.html").st_ino != changed.st_ino
    assert _tree(out) == {"changed.html": b"after", "same.html": b"same"}
    assert not list(out.rglob(".*")), "no temporary file is left behind"


def test_whatever_is_not_the_same_regular_file_is_written_again(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    files = {"empty.txt": b"", "page.html": b"page", "short.css": b"css"}
    write_site(files.items(), out)
    (out / "empty.txt").unlink()
    os.mkfifo(out / "empty.txt")  # comparing must not wait for a writer, nor take a FIFO for an empty file
    (out / "short.css").write_bytes(b"cs")
    (out / "page.html").write_bytes(b"PAGE")  # same size, other bytes
    rebuild = threading.Thread(target=write_site, args=(files.items(), out), daemon=True)
    rebuild.start()
    rebuild.join(timeout=30)
    assert not rebuild.is_alive(), "the rebuild waits on the FIFO"
    assert _tree(out) == files and stat.S_ISREG(os.stat(out / "empty.txt").st_mode)


def test_files_and_folders_may_trade_places(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"x/index.html": b"folder", "y": b"file"}.items(), out)
    write_site({"x": b"now a file", "y/index.html": b"now a folder"}.items(), out)
    assert _tree(out) == {"x": b"now a file", "y/index.html": b"now a folder"}


def test_written_files_are_readable_by_the_web_server(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"1"}.items(), out)
    write_site({"index.html": b"2", "new.html": b"n"}.items(), out)
    for name in ("index.html", "new.html"):
        assert stat.S_IMODE(os.stat(out / name).st_mode) & 0o044 == 0o044, name


def test_a_refused_write_leaves_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"good"}.items(), out)
    with pytest.raises(ValueError, match=r"x would be both a file and the folder of x/index\.html"):
        write_site({"x/index.html": b"new", "x": b"a file where a folder is", "index.html": b"bad"}.items(), out)
    assert _tree(out) == {"index.html": b"good"}
    assert [p.name for p in tmp_path.iterdir()] == ["_site"]


@pytest.mark.parametrize(
    ("files", "refused"),
    [
        (["x/index.html", "x"], "x would be both a file and the folder of x/index.html"),
        (["x", "x/index.html"], "x would be both a file and the folder of x/index.html"),
        (["a/b/c/d.html", "a/b/e.html", "a/b"], "a/b would be both a file and the folder of a/b/c/d.html"),
        (["a/b/e.html", "a", "a/b/c/d.html"], "a would be both a file and the folder of a/b/e.html"),
        (["a/b", "a/c/d.html", "a/b/c/d.html"], "a/b would be both a file and the folder of a/b/c/d.html"),
    ],
)
def test_a_path_that_is_both_a_file_and_a_folder_is_refused_in_either_order(tmp_path: Path, files: list[str], refused: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(refused)}$"):
        write_site(((name, b"x") for name in files), tmp_path / "_site")
    assert not (tmp_path / "_site").exists()


def _failing_midway(files: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    yield from files.items()
    raise RuntimeError("a template failed halfway through the build")


@pytest.mark.parametrize("first_build", [True, False])
def test_a_build_failing_while_files_arrive_leaves_the_previous_site(tmp_path: Path, first_build: bool) -> None:
    out = tmp_path / "_site"
    if not first_build:
        write_site({"index.html": b"good", "kept.html": b"kept"}.items(), out)
    before = _tree(out) if out.exists() else None
    with pytest.raises(RuntimeError, match="halfway"):
        write_site(_failing_midway({"index.html": b"bad", "new/page.html": b"new"}), out)
    assert (_tree(out) if out.exists() else None) == before
    assert [p.name for p in tmp_path.iterdir()] == ([] if first_build else ["_site"]), "no staging folder is left behind"


def test_the_site_is_changed_only_once_every_file_has_arrived(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"old", "stale.html": b"stale"}.items(), out)

    def arriving() -> Iterator[tuple[str, bytes]]:
        for name in ("index.html", "new.html", "deep/er.html"):
            yield name, b"new " + name.encode()
            assert _tree(out) == {"index.html": b"old", "stale.html": b"stale"}

    assert write_site(arriving(), out) == ["index.html", "new.html", "deep/er.html"]
    assert _tree(out) == {"deep/er.html": b"new deep/er.html", "index.html": b"new index.html", "new.html": b"new new.html"}


def test_a_path_produced_twice_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"good"}.items(), out)
    with pytest.raises(ValueError, match=r"index\.html is produced twice"):
        write_site(iter([("index.html", b"one"), ("index.html", b"two")]), out)
    assert _tree(out) == {"index.html": b"good"}


def _never_read() -> bytes:
    raise AssertionError("the content of a file the manifest vouches for was asked for")


def _keyed(files: dict[str, bytes], keys: dict[str, str]) -> list[tuple[str, bytes | Keyed]]:
    return [(name, Keyed(keys[name], functools.partial(bytes, content)) if name in keys else content) for name, content in files.items()]


def test_a_manifest_vouches_for_keyed_files_left_as_they_were_written(tmp_path: Path) -> None:
    out, manifest = tmp_path / "_site", Manifest(tmp_path / "cache", tmp_path / "_site", "code")
    files = {"a/index.html": b"page a", "b/index.html": b"page b", "feed.xml": b"feed"}
    keys = {"a/index.html": "ka", "b/index.html": "kb"}
    write_site(_keyed(files, keys), out, manifest)
    assert set(manifest.load()) == set(keys) and not list(out.rglob("*.pickle")), "the record is kept in the cache, not the site"
    # Unchanged keys: the pages are neither read back nor compared.
    assert write_site([(name, Keyed(keys[name], _never_read)) for name in keys] + [("feed.xml", b"feed")], out, manifest)
    assert _tree(out) == files
    # A page changed on disk since is not vouched for: it is compared, and written again.
    (out / "a/index.html").write_bytes(b"edited")
    write_site(_keyed(files, keys), out, manifest)
    assert _tree(out) == files
    # A page with another key is asked for its bytes: here they are the same, and it stays as it is.
    kept = os.stat(out / "b/index.html")
    write_site(_keyed(files, {**keys, "b/index.html": "kb2"}), out, manifest)
    assert manifest.load()["b/index.html"][0] == "kb2" and os.stat(out / "b/index.html").st_ino == kept.st_ino
    with pytest.raises(AssertionError, match="vouches"):
        write_site([("a/index.html", Keyed("ka", _never_read)), ("b/index.html", Keyed("kb", _never_read))], out, manifest)
    # Other code may render the same key differently: its record vouches for nothing.
    assert manifest.load() and not Manifest(tmp_path / "cache", out, "other code").load()


def test_a_build_that_fails_keeps_the_record_and_the_site_and_a_damaged_record_only_costs_time(tmp_path: Path) -> None:
    out, manifest = tmp_path / "_site", Manifest(tmp_path / "cache", tmp_path / "_site", "code")
    files = {"a/index.html": b"page a", "b/index.html": b"page b"}
    keys = {"a/index.html": "ka", "b/index.html": "kb"}
    write_site(_keyed(files, keys), out, manifest)
    recorded = manifest.load()

    def failing() -> Iterator[tuple[str, bytes | Keyed]]:
        yield "a/index.html", b"new a"
        raise ValueError("a template broke")

    with pytest.raises(ValueError, match="a template broke"):
        write_site(failing(), out, manifest)
    assert _tree(out) == files and manifest.load() == recorded
    manifest.path.write_bytes(b"not a pickle")
    assert manifest.load() == {}
    write_site(_keyed({**files, "a/index.html": b"new a"}, keys), out, manifest)
    assert _tree(out) == {**files, "a/index.html": b"new a"} and set(manifest.load()) == set(keys)


def test_the_files_of_an_old_site_are_listed_as_os_walk_lists_them(tmp_path: Path) -> None:
    old = tmp_path / "old"
    (old / "a/b").mkdir(parents=True)
    (old / "a/b/page.html").write_text("page", encoding="utf-8")
    (old / "top.txt").write_text("top", encoding="utf-8")
    (old / "empty").mkdir()
    (old / "link-to-folder").symlink_to(old / "a")
    (old / "link-to-file").symlink_to(old / "top.txt")
    (old / "dangling").symlink_to(old / "nowhere")
    walked: set[str] = set()
    for folder, _, names in os.walk(old):
        relative = Path(folder).relative_to(old).as_posix()
        walked.update(name if relative == "." else f"{relative}/{name}" for name in names)
    assert writer._existing_files(old) == walked == {"a/b/page.html", "top.txt", "link-to-file", "dangling"}


def test_a_large_changed_file_is_swapped_into_place(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    large = writer._SWAPPED_FROM
    write_site({"feed.xml": b"a" * large, "x/index.html": b"folder", "small.txt": b"s"}.items(), out)
    before = os.stat(out / "feed.xml").st_ino
    files = {"feed.xml": b"b" * large, "x": b"c" * large, "small.txt": b"t"}
    write_site(files.items(), out)
    assert _tree(out) == files, "the new file is in place, and the old site's folder in its way is gone"
    assert os.stat(out / "feed.xml").st_ino != before
    assert [p.name for p in tmp_path.iterdir()] == ["_site"], "the swapped-out files went with the staging folder"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_swapping_exchanges_a_file_with_its_target_in_one_step(tmp_path: Path) -> None:
    staged, target = tmp_path / "staged", tmp_path / "target"
    staged.write_bytes(b"new")
    assert not writer._swapped(staged, target), "without a target there is nothing to swap with"
    assert staged.read_bytes() == b"new" and not target.exists()
    target.write_bytes(b"old")
    assert writer._swapped(staged, target)
    assert (target.read_bytes(), staged.read_bytes()) == (b"new", b"old")


def test_the_old_site_is_listed_while_files_arrive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"old", "stale.html": b"stale"}.items(), out)
    listed = threading.Event()
    existing_files = writer._existing_files

    def listing(folder: Path) -> set[str]:
        found = existing_files(folder)
        listed.set()
        return found

    def arriving() -> Iterator[tuple[str, bytes]]:
        yield "index.html", b"new"
        assert listed.wait(timeout=10), "the old site is listed before the last file has come"
        yield "other.html", b"other"

    monkeypatch.setattr(writer, "_existing_files", listing)
    write_site(arriving(), out)
    assert _tree(out) == {"index.html": b"new", "other.html": b"other"}


def test_with_a_record_the_old_site_is_listed_once_half_as_many_files_have_come(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, manifest = tmp_path / "_site", Manifest(tmp_path / "cache", tmp_path / "_site", "code")
    files = {f"page-{number}.html": f"page {number}".encode() for number in range(8)}
    write_site(_keyed(files, {name: name for name in files}), out, manifest)
    arrived: list[str] = []
    started_after: list[int] = []
    start_listing = writer._Listing.__init__

    def started(listing: writer._Listing, folder: Path) -> None:
        started_after.append(len(arrived))
        start_listing(listing, folder)

    def arriving() -> Iterator[tuple[str, bytes | Keyed]]:
        for name, content in _keyed(files, {name: name for name in files}):
            arrived.append(name)
            yield name, content

    monkeypatch.setattr(writer._Listing, "__init__", started)
    write_site(arriving(), out, manifest)
    # The first files are those whose shards go to the search index first: not slowed by the listing.
    assert started_after == [len(files) // 2 + 1]
    assert _tree(out) == files


def test_a_failed_listing_of_the_old_site_fails_the_build_and_leaves_the_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"old"}.items(), out)

    def unreadable(folder: Path) -> set[str]:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(writer, "_existing_files", unreadable)
    with pytest.raises(PermissionError):
        write_site({"index.html": b"new"}.items(), out)
    assert _tree(out) == {"index.html": b"old"}


def _spooled(spool: Path, files: dict[str, bytes]) -> dict[str, Content]:
    """The files as another process would spool them: each written into the spool folder."""
    spooled: dict[str, Content] = {}
    for number, (name, content) in enumerate(files.items()):
        (spool / str(number)).write_bytes(content)
        spooled[name] = Spooled(str(spool / str(number)))
    return spooled


def test_spooled_files_are_moved_in_and_one_the_site_holds_already_is_left_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    large = writer._SWAPPED_FROM
    first = {"feed.xml": b"a" * large, "data/rows.csv": b"rows", "same.json": b"same"}
    with spool_beside(out) as spool:
        assert spool.parent == tmp_path and spool.name.startswith("._site.spool-")
        spooled = _spooled(spool, first)
        moved = {name: os.stat(content.path).st_ino for name, content in spooled.items() if isinstance(content, Spooled)}
        write_site([*spooled.items(), ("index.html", b"page")], out)
        assert not list(spool.iterdir()), "moved, not copied"
    assert _tree(out) == {**first, "index.html": b"page"}
    assert {name: os.stat(out / name).st_ino for name in first} == moved
    same = os.stat(out / "same.json")
    second = {"feed.xml": b"b" * large, "data/rows.csv": b"other rows", "same.json": b"same"}
    with spool_beside(out) as spool:
        write_site([*_spooled(spool, second).items(), ("index.html", b"page")], out)
        assert [p.name for p in spool.iterdir()] == ["2"], "the file the site holds already stays in the spool"
    assert _tree(out) == {**second, "index.html": b"page"}
    assert (os.stat(out / "same.json").st_ino, os.stat(out / "same.json").st_mtime_ns) == (same.st_ino, same.st_mtime_ns)
    assert [p.name for p in tmp_path.iterdir()] == ["_site"], "the spool folder goes, and the swapped-out feed with the staging folder"


def test_a_build_failing_after_a_spooled_file_came_leaves_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"feed.xml": b"old feed", "index.html": b"old"}.items(), out)
    before = _tree(out)

    def failing(spooled: dict[str, Content]) -> Iterator[tuple[str, Content]]:
        yield from spooled.items()
        raise RuntimeError("a template failed halfway through the build")

    with spool_beside(out) as spool, pytest.raises(RuntimeError, match="halfway"):
        write_site(failing(_spooled(spool, {"feed.xml": b"new feed"})), out)
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["_site"]


@pytest.mark.parametrize("second", [b"0123456789ab", b"X123456789ab", b"01234X6789ab", b"0123456789aX"])
def test_a_spooled_file_of_the_sites_size_is_compared_a_stretch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second: bytes
) -> None:
    # Stretches of 5 bytes: a difference in the first, a middle or the last one, or none.
    monkeypatch.setattr(writer, "_COMPARED_AT_ONCE", 5)
    out = tmp_path / "_site"
    inodes = []
    for content in (b"0123456789ab", second):
        with spool_beside(out) as spool:
            write_site(_spooled(spool, {"feed.xml": content}).items(), out)
            left = [path.name for path in spool.iterdir()]
        inodes.append(os.stat(out / "feed.xml").st_ino)
    kept = inodes[0] == inodes[1]
    assert (out / "feed.xml").read_bytes() == second
    assert kept == (second == b"0123456789ab") == (left == ["0"])
