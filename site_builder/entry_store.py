"""Named entries of bytes in one SQLite file: the storage under both build caches.

One file instead of a file per entry, because creating a file costs far more than writing a row
(a cold build of a thousand statements stores some 5,000 entries). Every write is its own short
transaction, so a preview and a build can share a cache, and an entry is either whole or absent.
The caches only ever lose time through this store: a file that cannot be opened, is locked for
too long, or is damaged is read as empty (and a damaged one is started afresh), and a write
that fails is skipped.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

try:
    import sqlite3
except ImportError:  # a Python built without SQLite: the caches keep nothing, the build goes on
    sqlite3 = None  # type: ignore[assignment]

FILE_NAME = "entries.sqlite3"
# How long a write waits for another process's write to finish before giving up on the entry.
_BUSY_SECONDS = 2.0
# Names bound in one query (SQLite allows 32,766 from version 3.32, 999 before).
_NAMES_PER_QUERY = 900
# Connections a forked process inherited: held, so that it never closes them (see `_connect`).
_INHERITED: list[object] = []


class EntryStore:
    """Bytes by name in `folder`/entries.sqlite3, opened on first use."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self._connection: sqlite3.Connection | None = None
        self._pid = os.getpid()  # of the process that opened the connection
        self._unusable = False
        # `serve` builds on a worker thread; the connection is shared, one statement at a time.
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection | None:
        if sqlite3 is None:
            return None
        if self._connection is not None and self._pid != os.getpid():
            # A forked process opens its own: SQLite forbids using a connection, or closing it,
            # in a process forked after it was opened. The inherited one is kept, never closed.
            _INHERITED.append(self._connection)
            self._connection = None
        if self._connection is None and not self._unusable:
            self._pid = os.getpid()
            try:
                self._connection = self._open()
            except sqlite3.Error as error:
                if not _damaged(error):
                    self._unusable = True  # locked or unreadable: this process does without
                    return None
                self._forget_file()
                try:
                    self._connection = self._open()
                except (sqlite3.Error, OSError):
                    self._unusable = True
            except OSError:
                self._unusable = True
        return self._connection

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=_BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        try:
            # Write-ahead logging: readers never wait for a writer, and a write is one append.
            # A new file is made without syncing it to disk (SQLite synced it six times, on a cold
            # build's way to its first page): it holds no entry yet, and one a crash damaged then
            # is started afresh like any other. From its first entry on, NORMAL syncs only at
            # checkpoints: an entry may be lost in a power cut, never damaged.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS entries (name TEXT PRIMARY KEY, payload BLOB NOT NULL)")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("SELECT 1 FROM entries LIMIT 1").fetchall()
        except BaseException:
            connection.close()
            raise
        return connection

    def _start_afresh(self) -> None:
        """Drop a damaged file; the next use opens a new, empty one."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._forget_file()

    def _forget_file(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()

    def read(self, name: str) -> bytes | None:
        return self.read_many([name]).get(name)

    def has(self, name: str) -> bool:
        return name in self.which([name])

    def read_many(self, names: list[str]) -> dict[str, bytes]:
        """The entries stored under `names` (a missing one is absent), in a few queries, not one per name."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return {}
            try:
                return {name: bytes(payload) for name, payload in _named(connection, "name, payload", names)}
            except sqlite3.Error as error:
                if _damaged(error):
                    self._start_afresh()
                return {}

    def which(self, names: list[str]) -> set[str]:
        """Which of `names` are stored, in a few queries."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return set()
            try:
                return {name for (name,) in _named(connection, "name", names)}
            except sqlite3.Error:
                return set()

    def write(self, name: str, payload: bytes) -> None:
        with self._lock:
            connection = self._connect()
            if connection is None:
                return
            with contextlib.suppress(sqlite3.Error):
                connection.execute("INSERT OR REPLACE INTO entries (name, payload) VALUES (?, ?)", (name, payload))

    def write_many(self, entries: list[tuple[str, bytes]]) -> None:
        """Write every (name, payload) in one transaction: one commit, not one per entry."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return
            with contextlib.suppress(sqlite3.Error):
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.executemany("INSERT OR REPLACE INTO entries (name, payload) VALUES (?, ?)", entries)
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise

    def count(self) -> int:
        with self._lock:
            connection = self._connect()
            if connection is None:
                return 0
            try:
                return int(connection.execute("SELECT count(*) FROM entries").fetchone()[0])
            except sqlite3.Error:
                return 0

    def keep_only(self, names: Iterable[str]) -> int:
        """Delete every entry not named; returns how many were deleted."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return 0
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    connection.execute("CREATE TEMP TABLE IF NOT EXISTS kept (name TEXT PRIMARY KEY)")
                    connection.execute("DELETE FROM kept")
                    connection.executemany("INSERT OR IGNORE INTO kept (name) VALUES (?)", ((name,) for name in names))
                    deleted = connection.execute("DELETE FROM entries WHERE name NOT IN (SELECT name FROM kept)").rowcount
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
            except sqlite3.Error:
                return 0
            return int(deleted)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None


def _named(connection: sqlite3.Connection, columns: str, names: list[str]) -> Iterator[Any]:
    """`columns` of the entries stored under `names`, _NAMES_PER_QUERY names to a query."""
    for start in range(0, len(names), _NAMES_PER_QUERY):
        chunk = names[start : start + _NAMES_PER_QUERY]
        yield from connection.execute(f"SELECT {columns} FROM entries WHERE name IN ({','.join('?' * len(chunk))})", chunk)


def _damaged(error: sqlite3.Error) -> bool:
    """Whether SQLite found the file damaged or not a database at all (not merely busy)."""
    return getattr(error, "sqlite_errorname", "") in {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
