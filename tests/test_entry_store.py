"""The SQLite file under both caches: entries are whole or absent, shared between processes,
and a damaged, locked or unwritable file costs time, never a build."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from site_builder import entry_store
from site_builder.background import Forked
from site_builder.entry_store import FILE_NAME, EntryStore


def test_entries_round_trip_and_are_seen_by_another_store_at_once(tmp_path: Path) -> None:
    store = EntryStore(tmp_path)
    assert store.read("a") is None
    store.write("a", b"first")
    store.write("a", b"second")
    store.write("b", b"\x00" * 100_000)
    other = EntryStore(tmp_path)  # another process's view: every write is committed on its own
    assert other.read("a") == b"second" and other.read("b") == b"\x00" * 100_000
    assert other.count() == 2


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "existing file"])
def test_a_store_writes_ahead_and_syncs_at_checkpoints_once_opened(tmp_path: Path, existing: bool) -> None:
    # A new file is made without syncing; the entries written after it are kept as durably as before.
    if existing:
        EntryStore(tmp_path).write("a", b"1")
    store = EntryStore(tmp_path)
    store.write("b", b"2")
    connection = store._connect()
    assert connection is not None
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA synchronous").fetchone() == (1,), "NORMAL"
    assert EntryStore(tmp_path).read_many(["a", "b"]) == ({"a": b"1", "b": b"2"} if existing else {"b": b"2"})


def test_entries_are_read_and_written_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_store, "_NAMES_PER_QUERY", 3)  # several queries
    store = EntryStore(tmp_path)
    store.write_many([(f"n{i}", str(i).encode()) for i in range(10)])
    other = EntryStore(tmp_path)
    names = [f"n{i}" for i in range(0, 12, 2)]
    assert other.read_many(names) == {f"n{i}": str(i).encode() for i in range(0, 10, 2)}
    assert other.which(names) == {f"n{i}" for i in range(0, 10, 2)}
    assert other.read_many([]) == {} and other.which([]) == set()


def test_a_forked_process_opens_its_own_connection_and_leaves_the_parents(tmp_path: Path) -> None:
    store = EntryStore(tmp_path)
    store.write("before", b"1")  # the connection is opened in this process
    opened = store._connection

    def in_the_child() -> tuple[bool, bytes | None]:
        store.write("child", b"2")
        return store._connection is not opened, store.read("before")

    assert Forked(in_the_child).result() == (True, b"1")
    assert store._connection is opened, "the parent's connection is untouched"
    assert store.read("child") == b"2" and store.read("before") == b"1"


def test_keep_only_deletes_every_other_entry(tmp_path: Path) -> None:
    store = EntryStore(tmp_path)
    for name in "abcde":
        store.write(name, name.encode())
    assert store.keep_only(["b", "d", "not stored"]) == 3
    assert [store.read(name) for name in "abcde"] == [None, b"b", None, b"d", None]


def test_a_file_that_is_not_a_database_is_started_afresh(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not an SQLite file" * 100)
    store = EntryStore(tmp_path)
    assert store.read("a") is None
    store.write("a", b"kept")
    assert EntryStore(tmp_path).read("a") == b"kept"


def test_a_damaged_database_reads_as_empty_and_is_started_afresh(tmp_path: Path) -> None:
    store = EntryStore(tmp_path)
    for number in range(200):
        store.write(f"entry {number}", bytes([number]) * 5000)
    store.close()
    # Overwrite every page after the header page: the file still opens, its tables are garbage.
    path = tmp_path / FILE_NAME
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[:4096] + b"\xa5" * (len(data) - 4096))
    damaged = EntryStore(tmp_path)
    assert damaged.read("entry 7") is None
    damaged.write("entry 7", b"new")
    assert EntryStore(tmp_path).read("entry 7") == b"new"


def test_a_locked_database_costs_only_the_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_store, "_BUSY_SECONDS", 0.1)
    store = EntryStore(tmp_path)
    store.write("a", b"before")
    holder = sqlite3.connect(tmp_path / FILE_NAME, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a long write
    try:
        waiting = EntryStore(tmp_path)
        waiting.write("b", b"skipped")  # gives up after the busy timeout instead of failing the build
        assert waiting.read("a") in (None, b"before")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert EntryStore(tmp_path).read("a") == b"before", "the file was not taken for damaged"


def test_an_unwritable_folder_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = EntryStore(blocker / "cache")
    store.write("a", b"entry")
    assert store.read("a") is None and store.count() == 0 and store.keep_only([]) == 0


def test_a_python_without_sqlite_builds_without_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry_store, "sqlite3", None)
    store = EntryStore(tmp_path)
    store.write("a", b"entry")
    assert store.read("a") is None and store.count() == 0 and store.keep_only([]) == 0
    assert not (tmp_path / FILE_NAME).exists()
