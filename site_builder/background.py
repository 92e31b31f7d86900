"""Work done by a forked process while the build goes on with the rest.

The forked process inherits the build's memory as it is, so the archive is not copied or pickled
to hand it over; only the result comes back, pickled: through a pipe, or for `Forked`, whose
result can be large, through an unnamed file in memory. Used for work that reads
the whole archive and whose result is a few large values (the feeds and data downloads), for
compiling the templates a cold cache lacks while the build reads the archive, and for reading
the few statements a rebuild finds changed (`Standby`: it imports the parsers while the build
finds out which those are). The citation workers are `Standby` processes too: each imports
citeproc-py (the first one while the build reads the archive), then formats its share of the entries.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

T = TypeVar("T")
A = TypeVar("A")


class BackgroundError(RuntimeError):
    """The forked process failed; the message carries its traceback."""


class _Child(Generic[T]):
    """A forked process that sends one (failed, value) pair back through `_connection`."""

    _connection: Connection
    _process: BaseProcess

    def _start(self, target: Callable[..., None], *args: object, duplex: bool) -> None:
        import multiprocessing  # only here: a build that forks nothing does not import it

        context = multiprocessing.get_context("fork")
        # One way, the parent's end first: a pipe. Both ways: a socket pair.
        self._connection, child_end = context.Pipe(duplex=duplex)
        # The child closes its inherited copy of this end, so that it sees this end's closing.
        self._process = context.Process(target=target, args=(*args, child_end, self._connection), daemon=True)
        self._process.start()
        child_end.close()  # the child holds the only other end, so its death is seen as end of file

    def result(self) -> T:
        try:
            failed, value = self._connection.recv()
        except EOFError:
            self._process.join()
            raise BackgroundError(f"the background process ended without a result (exit code {self._process.exitcode})") from None
        finally:
            _Child.close(self)  # the process and pipe only: what the value is read from stays open
        if failed:
            raise BackgroundError(value)
        return value  # type: ignore[no-any-return]

    def stop(self) -> None:
        """Stop the process at once, wherever it is: its result is not wanted."""
        if self._process.is_alive():
            self._process.terminate()
        _Child.close(self)

    def close(self) -> None:
        """Stop the process if it still runs; it never outlives the build that started it."""
        self._connection.close()
        self._process.join(timeout=1)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


class Forked(_Child[T]):
    """`function()` run in a forked process; `result()` waits for its value or raises its failure.

    The value is written to an unnamed file in memory (on Linux; elsewhere a temporary file), and
    only word that it is there goes through the pipe. Through the pipe itself, a large value (16 MB
    of feeds and downloads at 1,000 statements) would wait in the child until the build asked for
    it, then cost the build the transfer, about 50 ms; from the file it is read in about 15.
    """

    def __init__(self, function: Callable[[], T]) -> None:
        # Shared with the child (one file, one offset); closed by `result`, `close` or `stop`.
        self._spool = _unnamed_file()
        self._start(_run, function, self._spool.fileno(), duplex=False)

    def result(self) -> T:
        try:
            super().result()  # None, once the value is in the file
            self._spool.seek(0)
            return pickle.load(self._spool)  # type: ignore[no-any-return]
        finally:
            self._spool.close()

    def stop(self) -> None:
        super().stop()
        self._spool.close()

    def close(self) -> None:
        super().close()
        self._spool.close()


class Standby(_Child[T], Generic[A, T]):
    """A forked process that runs `prepare()` at once, then `function` on the one value it is
    given (`give`); `result()` waits for what that returns. Closed without a value, it is stopped
    wherever it is: preparing is all it has done, for nothing."""

    def __init__(self, prepare: Callable[[], object], function: Callable[[A], T]) -> None:
        self._given = False
        self._start(_stand_by, prepare, function, duplex=True)

    def give(self, value: A) -> None:
        self._given = True
        with contextlib.suppress(OSError):  # it died preparing: `result` reports that
            self._connection.send(value)

    def close(self) -> None:
        if self._given:
            super().close()
        else:
            self.stop()  # not waited for: it may still be importing


def _unnamed_file() -> BinaryIO:
    """A file without a name, in memory where the system allows: no temporary folder is needed, and
    nothing is written to disk."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create("forked-value", os.MFD_CLOEXEC), "w+b")  # closed by its owner
    import tempfile  # only here: a build that forks nothing does not import it

    return tempfile.TemporaryFile()


def _outcome(function: Callable[[], object]) -> tuple[bool, object]:
    try:
        return False, function()
    except BaseException:  # reported to the parent, which raises it; the child just ends
        return True, traceback.format_exc()


def _run(function: Callable[[], object], spool: int, connection: Connection, parent_end: Connection) -> None:
    parent_end.close()
    failed, value = _outcome(function)
    if not failed:
        with open(spool, "wb", closefd=False) as file:
            failed, value = _outcome(lambda: pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL))
    connection.send((failed, value))
    connection.close()


def _stand_by(prepare: Callable[[], object], function: Callable[[Any], object], connection: Connection, parent_end: Connection) -> None:
    parent_end.close()
    prepared = _outcome(prepare)
    try:
        value = connection.recv()
    except EOFError:
        return  # closed without a value
    connection.send(prepared if prepared[0] else _outcome(lambda: function(value)))
    connection.close()
