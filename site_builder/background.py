"""Work done by a forked process while the build goes on with the rest.

The forked process inherits the build's memory as it is, so the archive is not copied or pickled
to hand it over; only the result comes back, pickled, through a pipe. Used for work that reads
the whole archive and whose result is a few large values (the feeds and data downloads).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

T = TypeVar("T")


class BackgroundError(RuntimeError):
    """The forked process failed; the message carries its traceback."""


class Forked(Generic[T]):
    """`function()` run in a forked process; `result()` waits for its value or raises its failure."""

    def __init__(self, function: Callable[[], T]) -> None:
        import multiprocessing  # only here: a build that forks nothing does not import it

        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(function, sender), daemon=True)
        self._process.start()
        sender.close()  # the child holds the only sending end, so its death is seen as end of file

    def result(self) -> T:
        try:
            failed, value = self._receiver.recv()
        except EOFError:
            self._process.join()
            raise BackgroundError(f"the background process ended without a result (exit code {self._process.exitcode})") from None
        finally:
            self.close()
        if failed:
            raise BackgroundError(value)
        return value  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the process if it still runs; it never outlives the build that started it."""
        self._receiver.close()
        self._process.join(timeout=1)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _run(function: Callable[[], object], sender: Connection) -> None:
    try:
        outcome: tuple[bool, object] = (False, function())
    except BaseException:  # reported to the parent, which raises it; the child just ends
        outcome = (True, traceback.format_exc())
    sender.send(outcome)
    sender.close()
