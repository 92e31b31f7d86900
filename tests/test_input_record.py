"""The record of the statement files read: a file whose status is as recorded is not opened
again, and anything that could have changed its bytes makes it read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder import input_record, loader
from site_builder.build_cache import BuildCache
from site_builder.cli import main
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.model import Archive

STATEMENT = "statements/2024-statement-2024-06-25.md"


class _Builds:
    """Archives loaded as `build` loads them (a store and a record in `cache`), counting the statement files opened."""

    def __init__(self, project: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.project, self.cache = project, cache
        self.opened: list[str] = []
        read_bytes = loader._read_bytes

        def counted(path: Path) -> tuple[bytes, input_record.Status]:
            self.opened.append(path.name)
            return read_bytes(path)

        monkeypatch.setattr(loader, "_read_bytes", counted)

    def load(self) -> Archive:
        self.opened.clear()
        record = input_record.InputRecord(self.cache / "read", self.project / "statements", "code")
        return load_archive(self.project, memo=Memo(remember=False, store=BuildCache(self.cache / "results")), record=record)


@pytest.fixture
def builds(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Builds:
    # Files written a moment ago are read again however often they are found unchanged (see the
    # last test); here, their status is trusted at once.
    monkeypatch.setattr(input_record, "_UNSURE_NS", 0)
    return _Builds(project, tmp_path / "cache", monkeypatch)


def test_unchanged_files_are_known_by_their_status_without_being_opened(builds: _Builds, project: Path) -> None:
    first = builds.load()
    assert len(builds.opened) == len(first.statements)
    assert builds.load() == first and builds.opened == []
    assert builds.load() == load_archive(project), "the same archive as read without a cache"


def test_an_edit_that_keeps_the_size_and_the_modification_time_is_read(builds: _Builds, project: Path) -> None:
    builds.load()
    path = project / STATEMENT
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    assert "Macao" in text
    path.write_text(text.replace("Macao", "MACAO", 1), encoding="utf-8")  # the same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the change time cannot be set back
    edited = builds.load()
    assert builds.opened == [path.name]
    assert edited == load_archive(project) and any("MACAO" in statement.plain_text for statement in edited.statements)


def test_a_replaced_file_is_read(builds: _Builds, project: Path) -> None:
    builds.load()
    path = project / STATEMENT
    replacement = path.with_suffix(".tmp")
    replacement.write_bytes(path.read_bytes())
    replacement.replace(path)  # as editors save: another inode
    replaced = builds.load()
    assert builds.opened == [path.name]
    assert replaced == load_archive(project)


def test_a_file_the_cache_lost_since_is_read_again(builds: _Builds, project: Path) -> None:
    first = builds.load()
    for entry in (builds.cache / "results").iterdir():
        entry.unlink()
    assert builds.load() == first and len(builds.opened) == len(first.statements)


def test_a_damaged_record_or_one_for_other_content_costs_only_the_reading(builds: _Builds, project: Path) -> None:
    first = builds.load()
    (record,) = (builds.cache / "read").iterdir()
    record.write_bytes(b"not a record")
    assert builds.load() == first and len(builds.opened) == len(first.statements)
    assert builds.load() == first and builds.opened == [], "recorded again"
    # Another schema is another context: every file is read against it.
    schema = project / "schema" / "statement.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert builds.load() == first and len(builds.opened) == len(first.statements)


def test_a_file_changed_shortly_before_the_record_was_taken_is_read_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its change and a later one could fall in the same tick of the file system's clock.
    builds = _Builds(project, tmp_path / "cache", monkeypatch)
    first = builds.load()
    path = project / STATEMENT
    path.write_bytes(path.read_bytes())
    assert builds.load() == first and path.name in builds.opened


def test_build_keeps_its_record_in_the_cache(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "out"), "--cache", str(cache)]) == 0
    assert [path.suffix for path in (cache / "read").iterdir()] == [".pickle"]
    assert not (tmp_path / "out" / "read").exists()
