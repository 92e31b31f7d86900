"""Work done by a forked process while the build goes on with the rest.

The forked process inherits the build's memory as it is, so the archive is not copied or pickled
to hand it over; only the result comes back, pickled: through a pipe, or for `Forked`, whose
result can be large, through an unnamed file in memory. Used for work that reads
the whole archive and whose result is a few large values (the feeds and data downloads), for
compiling the templates a cold cache lacks while the build reads the archive, and for reading
the few statements a rebuild finds changed (`Standby`: it imports the parsers while the build
finds out which those are). The citation workers are `OnDemand` processes: each imports
citeproc-py (the first one while the build reads the archive), then formats its share of the
entries, the one the build waits for first.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, BinaryIO, Generic, TypeVar

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
A = TypeVar("A")
# Each value through a channel is its pickle's length, then the pickle.
_LENGTH = struct.Struct("!Q")
# The largest pipe an unprivileged process may ask Linux for, by default.
_PIPE_BYTES = 1 << 20


class _Channel:
    """One end of the link between the build and a forked process: values pickled, each after
    its length, through a pipe each way it goes. Not multiprocessing's connections, which cost a
    rebuild about 4 ms of imports (multiprocessing and socket) on its way to the first pages."""

    def __init__(self, receiving: int | None, sending: int | None) -> None:
        self._receiving = receiving
        self._sending = sending

    def send(self, value: object) -> None:
        """Send `value`; OSError if the other end is closed."""
        if self._sending is None:
            raise OSError("this end sends nothing")
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        for data in (_LENGTH.pack(len(payload)), payload):
            view = memoryview(data)
            while view:
                view = view[os.write(self._sending, view) :]

    def recv(self) -> Any:
        """The next value, waiting for it; EOFError once the other end is closed without one."""
        (length,) = _LENGTH.unpack(self._read_exactly(_LENGTH.size))
        return pickle.loads(self._read_exactly(length))

    def poll(self) -> bool:
        """Whether a value (or the other end's closing) is there to be read, without waiting."""
        return self._receiving is not None and bool(select.select([self._receiving], [], [], 0)[0])

    def _read_exactly(self, count: int) -> bytearray:
        if self._receiving is None:
            raise EOFError
        buffer = bytearray(count)
        view, read = memoryview(buffer), 0
        while read < count:
            got = os.readv(self._receiving, [view[read:]])
            if not got:
                raise EOFError
            read += got
        return buffer

    def close(self) -> None:
        for end in (self._receiving, self._sending):
            if end is not None:
                with contextlib.suppress(OSError):
                    os.close(end)
        self._receiving = self._sending = None

    def __del__(self) -> None:
        # An end dropped unclosed is closed, so that a process whose owner was dropped sees the
        # end of its input and ends, instead of waiting for ever with the parent's other pipes.
        with contextlib.suppress(Exception):
            self.close()


def _channels(duplex: bool) -> tuple[_Channel, _Channel]:
    """The parent's end and the child's: the child only sends, or both send and receive."""
    to_parent_read, to_parent_write = os.pipe()
    if not duplex:
        return _Channel(to_parent_read, None), _Channel(None, to_parent_write)
    to_child_read, to_child_write = os.pipe()
    # What the build gives a process standing by (a rebuild's edited statements) fits in the pipe,
    # so that giving it does not wait for the process to finish preparing.
    widen_pipe(to_child_write)
    return _Channel(to_parent_read, to_child_write), _Channel(to_child_read, to_parent_write)


# Every process started here and not yet waited for. Each start waits for those that have ended,
# so that a long-lived caller (`serve`) keeps no ended process, whatever became of its owner.
_UNREAPED: set[_Process] = set()


def active_children() -> list[_Process]:
    """The processes started here that are still running (those that have ended are waited for)."""
    return [process for process in list(_UNREAPED) if process.is_alive()]


def widen_pipe(end: int) -> None:
    """Let the pipe of `end` hold a megabyte where the system allows (Linux; 64 KB by default),
    so that a writer does not wait for its reader to take in that much."""
    if fcntl is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(end, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)


class _Process:
    """A forked process running `target(*args)`, then ending (its exit code 0, or 1 if it raised)."""

    def __init__(self, target: Callable[..., None], args: tuple[object, ...], child_closes: Callable[[], None]) -> None:
        self.exitcode: int | None = None
        self._ended = False
        active_children()  # those ended since the last start are waited for
        self.pid = os.fork()
        if self.pid == 0:  # the forked process: it never returns from here
            code = 1
            try:
                child_closes()
                target(*args)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                with contextlib.suppress(BaseException):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)
        # Where the system offers it, a descriptor that becomes readable when the process ends,
        # so that waiting for it with a time limit wakes at once (elsewhere, it is polled).
        self._exit_signal: int | None = None
        if hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                self._exit_signal = os.pidfd_open(self.pid)
        _UNREAPED.add(self)

    def _reaped(self, options: int) -> bool:
        """Whether it has ended (and been waited for), waiting for it unless `options` say not to."""
        if not self._ended:
            try:
                pid, status = os.waitpid(self.pid, options)
            except ChildProcessError:  # waited for elsewhere: it has ended, its exit code unknown
                pid, status = self.pid, None
            if pid == 0:
                return False
            self._ended = True
            _UNREAPED.discard(self)
            self.exitcode = os.waitstatus_to_exitcode(status) if status is not None else None
            if self._exit_signal is not None:
                os.close(self._exit_signal)
                self._exit_signal = None
        return True

    def is_alive(self) -> bool:
        return not self._reaped(os.WNOHANG)

    def join(self, timeout: float | None = None) -> None:
        """Wait until it ends, or at most `timeout` seconds."""
        if timeout is None:
            self._reaped(0)
            return
        deadline = time.monotonic() + timeout
        while not self._reaped(os.WNOHANG) and (remaining := deadline - time.monotonic()) > 0:
            if self._exit_signal is not None:
                select.select([self._exit_signal], [], [], remaining)
            else:
                time.sleep(min(remaining, 0.001))

    def terminate(self) -> None:
        if not self._ended:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)


class BackgroundError(RuntimeError):
    """The forked process failed; the message carries its traceback."""


class _Child(Generic[T]):
    """A forked process that sends one (failed, value) pair back through `_connection`."""

    _connection: _Channel
    _process: _Process

    def _start(self, target: Callable[..., None], *args: object, duplex: bool) -> None:
        self._connection, child_end = _channels(duplex)
        # The child closes its inherited copy of this end, so that it sees this end's closing.
        self._process = _Process(target, (*args, child_end), child_closes=self._connection.close)
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


class _StandingBy(_Child[T]):
    """A forked process that prepares at once, then waits for what it is given (`_given` once it
    is). Closed before that, it is stopped wherever it is: preparing is all it has done, for nothing."""

    _given = False

    def close(self) -> None:
        if self._given:
            super().close()
        else:
            self.stop()  # not waited for: it may still be importing


class Standby(_StandingBy[T], Generic[A, T]):
    """A forked process that runs `prepare()` at once, then `function` on the one value it is
    given (`give`); `result()` waits for what that returns."""

    def __init__(self, prepare: Callable[[], object], function: Callable[[A], T]) -> None:
        self._start(_stand_by, prepare, function, duplex=True)

    def give(self, value: A) -> None:
        self._given = True
        with contextlib.suppress(OSError):  # it died preparing: `result` reports that
            self._connection.send(value)


class OnDemand(_StandingBy[list[T]], Generic[A, T]):
    """A forked process that runs `prepare()` at once, then `function` on each item of the list it
    is given (`give`), in the list's order, except that an item the caller waits for is done next.

    Values go back only while the caller waits for one (`value`): a batch of every value made and
    not yet sent, once the awaited one is among them. So however long the caller goes on with
    other work, the process never waits on a full pipe while it has items left; the rest come
    back at the end, with `values`."""

    def __init__(self, prepare: Callable[[], object], function: Callable[[A], T]) -> None:
        self._values: dict[int, T] = {}
        self._ended = False
        self._start(_on_demand, prepare, function, duplex=True)

    def give(self, items: list[A]) -> None:
        self._given = True
        with contextlib.suppress(OSError):  # it died preparing: `value` reports that
            self._connection.send(items)

    def value(self, index: int) -> T:
        """The value of the item at `index`, waiting for it (it is made next if it is not begun)."""
        if index not in self._values and not self._ended:
            with contextlib.suppress(OSError):  # it has ended: the value is on its way
                self._connection.send(index)
            while index not in self._values and not self._ended:
                self._receive()
        return self._values[index]

    def values(self) -> list[T]:
        """Every item's value, in the items' order, once all are made."""
        while not self._ended:
            self._receive()
        return [self._values[index] for index in range(len(self._values))]

    def _receive(self) -> None:
        try:
            failed, value = self._connection.recv()
        except EOFError:
            self._process.join()
            _Child.close(self)
            raise BackgroundError(f"the background process ended without a result (exit code {self._process.exitcode})") from None
        if failed:
            _Child.close(self)
            raise BackgroundError(value)
        ended, batch = value
        self._values.update(batch)
        if ended:
            self._ended = True
            _Child.close(self)


def _unnamed_file() -> BinaryIO:
    """A file without a name, in memory where the system allows: no temporary folder is needed, and
    nothing is written to disk."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create("forked-value", os.MFD_CLOEXEC), "w+b")  # closed by its owner
    import tempfile  # only here: a build that forks nothing does not import it

    return tempfile.TemporaryFile()


def yield_cores() -> None:
    """Lower this process's priority as far as it goes, for work of a forked process that the
    build wants only later: while other processes want the cores, it runs only when they leave one
    idle (a process may lower its priority without privileges, never raise it back)."""
    if hasattr(os, "nice"):  # not on Windows
        with contextlib.suppress(OSError):
            os.nice(19)


def _outcome(function: Callable[[], object]) -> tuple[bool, object]:
    try:
        return False, function()
    except BaseException:  # reported to the parent, which raises it; the child just ends
        return True, traceback.format_exc()


def _run(function: Callable[[], object], spool: int, connection: _Channel) -> None:
    failed, value = _outcome(function)
    if not failed:
        with open(spool, "wb", closefd=False) as file:
            failed, value = _outcome(lambda: pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL))
    connection.send((failed, value))
    connection.close()


def _prepared_and_given(prepare: Callable[[], object], connection: _Channel) -> tuple[tuple[bool, object], Any] | None:
    """In a process standing by: prepare, then wait for what the parent gives (None: closed without it)."""
    prepared = _outcome(prepare)
    try:
        return prepared, connection.recv()
    except EOFError:
        return None


def _stand_by(prepare: Callable[[], object], function: Callable[[Any], object], connection: _Channel) -> None:
    given = _prepared_and_given(prepare, connection)
    if given is None:
        return
    prepared, value = given
    connection.send(prepared if prepared[0] else _outcome(lambda: function(value)))
    connection.close()


def _on_demand(prepare: Callable[[], object], function: Callable[[Any], object], connection: _Channel) -> None:
    given = _prepared_and_given(prepare, connection)
    if given is None:
        return
    prepared, items = given
    if prepared[0]:
        connection.send(prepared)
        return
    made: dict[int, object] = {}
    unsent: list[int] = []
    awaited: int | None = None  # the index the parent waits for; it asks for one at a time
    upcoming = iter(range(len(items)))
    try:
        while len(made) < len(items) or awaited is not None:
            if awaited is None and connection.poll():
                awaited = connection.recv()
            if awaited is not None and awaited in made:
                connection.send((False, (False, [(index, made[index]) for index in unsent])))
                unsent, awaited = [], None
                continue
            index = awaited if awaited is not None else next(index for index in upcoming if index not in made)
            failed, made[index] = _outcome(functools.partial(function, items[index]))
            if failed:
                connection.send((True, made[index]))
                return
            unsent.append(index)
        connection.send((False, (True, [(index, made[index]) for index in unsent])))
    except (EOFError, OSError):
        return  # the parent has gone: nothing is wanted any more
    connection.close()
