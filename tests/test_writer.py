"""Atomic output: the new site replaces the old only when complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.writer import write_site


def test_replaces_the_previous_site_entirely(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"old.html": b"old", "index.html": b"1"}, out)
    write_site({"index.html": b"2", "a/b.txt": b"b"}, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["a/b.txt", "index.html"]
    assert (out / "index.html").read_bytes() == b"2"
    assert [p.name for p in tmp_path.iterdir()] == ["_site"], "no staging folder is left behind"


def test_a_failed_write_leaves_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "_site"
    write_site({"index.html": b"good"}, out)
    with pytest.raises(IsADirectoryError):
        write_site({"x/index.html": b"new", "x": b"a file where a folder is"}, out)
    assert (out / "index.html").read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["_site"]
