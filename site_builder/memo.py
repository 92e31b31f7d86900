"""Remember the results of pure build steps by a digest of their inputs, across rebuilds.

`serve` keeps one Memo for its whole life, so an edit re-renders only the pages and citations
whose inputs changed. The inputs are the model's frozen dataclasses, whose repr is
deterministic and shows every field; an input whose repr names a memory address instead of
its content is never remembered, because a new object could reuse the address.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_ADDRESS = " at 0x"


def digest(inputs: object) -> str | None:
    """A stable digest of the inputs, or None when their repr does not show their content."""
    shown = repr(inputs)
    if _ADDRESS in shown:
        return None
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


class Memo:
    """Results by (kind, digest of inputs); counts what each rebuild computed and reused."""

    def __init__(self, *, remember: bool = True) -> None:
        # A one-shot build has nothing to reuse: it computes without digesting any inputs.
        self._remember = remember
        self._kept: dict[tuple[str, str], Any] = {}
        self._used: set[tuple[str, str]] = set()
        self.computed: Counter[str] = Counter()
        self.reused: Counter[str] = Counter()

    @property
    def remembers(self) -> bool:
        return self._remember

    def get(self, kind: str, inputs: object, compute: Callable[[], T]) -> T:
        """The result of `compute()`, which must depend on nothing but `inputs`."""
        key = digest(inputs) if self._remember else None
        if key is None:
            self.computed[kind] += 1
            return compute()
        entry = (kind, key)
        self._used.add(entry)
        if entry in self._kept:
            self.reused[kind] += 1
            return self._kept[entry]  # type: ignore[no-any-return]
        self.computed[kind] += 1
        result = compute()
        self._kept[entry] = result
        return result

    def call(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)`, remembered under the function's name."""
        return self.get(function.__qualname__, args, lambda: function(*args))

    def start_build(self) -> None:
        """Reset the counts and start recording which results this build uses."""
        self._used = set()
        self.computed.clear()
        self.reused.clear()

    def finish_build(self) -> None:
        """After a complete build: forget the results it did not use, so memory stays bounded."""
        self._kept = {entry: value for entry, value in self._kept.items() if entry in self._used}
