"""Remember the results of pure build steps by a digest of their inputs, across rebuilds.

`serve` keeps one Memo for its whole life, and `build` gives its Memo an on-disk store, so an
edit re-renders only the pages and citations whose inputs changed. The inputs are the model's
frozen dataclasses. Their digest covers every field, recursively, and is computed once per
object per build, so a statement shared by a hundred views is digested once. An input that
shows a memory address instead of its content is never remembered, because a new object could
reuse the address.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

_ADDRESS = " at 0x"


class Store(Protocol):
    """Where results outlive the process (see build_cache.py)."""

    def get(self, kind: str, key: str) -> Any | None: ...

    def put(self, kind: str, key: str, value: object) -> None: ...

    def has(self, kind: str, key: str) -> bool: ...

    def touch(self, kind: str, key: str) -> None: ...

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Any]: ...

    def which(self, kind: str, keys: list[str]) -> set[str]: ...

    def put_many(self, kind: str, entries: list[tuple[str, object]]) -> None: ...


class _Opaque(Exception):
    """The inputs hold something whose repr is not its content."""


class Fingerprints:
    """Digests of inputs; each dataclass instance is digested once (by identity) while it lives here."""

    def __init__(self) -> None:
        # id -> (digest, the object itself): holding the object keeps its id from being reused.
        self._known: dict[int, tuple[str, object]] = {}

    def of(self, inputs: object) -> str | None:
        try:
            return hashlib.sha256(self._shown(inputs).encode("utf-8")).hexdigest()
        except _Opaque:
            return None

    def register(self, value: object, digest: str) -> None:
        """Take `digest` as the digest of `value`: for an object known to be a pure function of
        inputs already digested (a statement read from a file's bytes and context)."""
        self.remember_shown(value, type(value).__qualname__ + "#" + digest)

    def shown(self, value: object) -> str | None:
        """How `value` is shown in the digests of whatever holds it (None: it does not show its content)."""
        try:
            return self._shown(value)
        except _Opaque:
            return None

    def remember_shown(self, value: object, shown: str) -> None:
        """Take `shown` as how `value` is shown: what `shown(value)` gave for an equal value (an
        earlier build's copy), so that digests come out the same without walking through it."""
        self._known[id(value)] = (shown, value)

    def remember_shown_many(self, pairs: Iterable[tuple[object, str | None]]) -> None:
        """`remember_shown` for each (value, shown) whose `shown` is not None, together (a
        rebuild's eight thousand statements' parts)."""
        self._known.update((id(value), (shown, value)) for value, shown in pairs if shown is not None)

    def _shown(self, value: Any) -> str:
        kind = type(value)
        if kind is bytes:
            return f"bytes#{hashlib.sha256(value).hexdigest()}"  # a file's content: hashing costs less than repr
        if kind in _SHOWN_BY_REPR:
            return repr(value)
        known = self._known.get(id(value))
        if known is not None:
            return known[0]  # digested already, or registered (which need not be a dataclass)
        fields_of = _fields_of(kind)  # type: ignore[arg-type]  # every type is hashable
        if fields_of is not None:
            # Plain values are shown here, not by a call each: most fields are strings and numbers.
            fields = ",".join([repr(field) if type(field) in _SHOWN_BY_REPR else self._shown(field) for field in fields_of(value)])
            shown = kind.__qualname__ + "#" + hashlib.sha256(fields.encode("utf-8")).hexdigest()
            self._known[id(value)] = (shown, value)
            return shown
        if kind is tuple or kind is list:
            if all(type(item) in _SHOWN_BY_REPR for item in value):
                return repr(value)
            items = [repr(item) if type(item) in _SHOWN_BY_REPR else self._shown(item) for item in value]
            return ("(" if kind is tuple else "[") + ",".join(items) + ")"
        if kind is dict:
            return "{" + ",".join(sorted([self._shown(k) + ":" + self._shown(v) for k, v in value.items()])) + "}"
        if kind is frozenset or kind is set:
            return kind.__name__ + "{" + ",".join(sorted([self._shown(item) for item in value])) + "}"
        shown = repr(value)  # dates, enums, str subclasses such as Markup (their repr shows the type)
        if _ADDRESS in shown:
            raise _Opaque
        return shown


# Types whose repr is their whole content. Bytes are not among them: a file's content is shown by
# its hash, including inside a tuple (its repr would be four times as long as the file, and hashed again).
_SHOWN_BY_REPR = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _fields_of(kind: Any) -> Callable[[Any], tuple[Any, ...]] | None:
    """For a dataclass type, a function giving an instance's fields in order; None for any other type."""
    if not dataclasses.is_dataclass(kind):
        return None
    names = tuple(field.name for field in dataclasses.fields(kind))
    if len(names) == 1:
        name = names[0]
        return lambda value: (getattr(value, name),)
    return operator.attrgetter(*names) if names else lambda value: ()


def digest(inputs: object) -> str | None:
    """A stable digest of the inputs, or None when they do not show their content."""
    return Fingerprints().of(inputs)


class Memo:
    """Results by (kind, digest of inputs); counts what each rebuild computed and reused."""

    def __init__(self, *, remember: bool = True, store: Store | None = None) -> None:
        # A one-shot build without a store has nothing to reuse: it computes without digesting any inputs.
        self._remember = remember or store is not None
        # A one-shot build asks for each durable result once: it leaves them in the store, not in memory.
        self._hold = remember
        self._store = store
        self._kept: dict[tuple[str, str], Any] = {}
        self._used: set[tuple[str, str]] = set()
        self._fingerprints = Fingerprints()
        self.computed: Counter[str] = Counter()
        self.reused: Counter[str] = Counter()

    @property
    def remembers(self) -> bool:
        return self._remember

    @property
    def store(self) -> Store | None:
        """Where durable results outlive the process, if anywhere."""
        return self._store

    @property
    def holds(self) -> bool:
        """Whether results are kept in memory for later builds of this process."""
        return self._hold

    def register(self, value: object, digest: str | None) -> None:
        """See Fingerprints.register (a None digest registers nothing)."""
        if digest is not None and self._remember:
            self._fingerprints.register(value, digest)

    def key(self, inputs: object) -> str | None:
        """The digest a result of `inputs` is remembered under (None: not remembered)."""
        return self._fingerprints.of(inputs) if self._remember else None

    def get(self, kind: str, inputs: object, compute: Callable[[], T], *, durable: bool = False) -> T:
        """The result of `compute()`, which must depend on nothing but `inputs`.

        A durable result is also kept in the memo's store, to outlive the process: worth it
        for results that are many and small (pages, citations), not for whole-archive ones
        that any edit changes (feeds, data downloads) or for unpicklable ones.
        """
        key = self.key(inputs)
        if key is None:
            self.computed[kind] += 1
            return compute()
        remembered = self.recall(kind, key, durable=durable)
        if remembered is not None:
            return remembered  # type: ignore[no-any-return]
        result = compute()
        self.keep(kind, key, result, durable=durable)
        return result

    def recall(self, kind: str, key: str | None, *, durable: bool = False) -> Any | None:
        """A result remembered under `key`, from memory or the store; None if there is none."""
        return None if key is None else self.recall_many(kind, [key], durable=durable).get(key)

    def recall_many(self, kind: str, keys: list[str], *, durable: bool = False) -> dict[str, Any]:
        """The results remembered under `keys`, by key (a key with none is absent): those the
        store holds are read together, as `recall` would read them one by one."""
        found: dict[str, Any] = {}
        unread: list[str] = []
        for key in keys:
            entry = (kind, key)
            self._used.add(entry)
            if entry in self._kept:
                found[key] = self._kept[entry]
            else:
                unread.append(key)
        if durable and self._store is not None and unread:
            stored = self._store.get_many(kind, unread)
            if self._hold:
                self._kept.update(((kind, key), value) for key, value in stored.items())
            found.update(stored)
        self.reused[kind] += len(found)
        return found

    def knows_many(self, kind: str, keys: list[str], *, durable: bool = False) -> set[str]:
        """Which of `keys` have a result remembered, without reading any back."""
        known = {key for key in keys if (kind, key) in self._kept}
        if durable and self._store is not None and len(known) < len(keys):
            known |= self._store.which(kind, [key for key in keys if key not in known])
        return known

    def promise(self, kind: str, key: str | None, *, durable: bool = False) -> Callable[[], Any | None] | None:
        """A remembered result, to be read back only if it is needed: None if nothing is
        remembered under `key`, else a function that reads it (and gives None if it proves
        unreadable by then). It counts as reused by this build, read or not, and the store keeps it."""
        return self.promises(kind, [key], durable=durable)[0]

    def promises(self, kind: str, keys: list[str | None], *, durable: bool = False) -> list[Callable[[], Any | None] | None]:
        """`promise` for each key, the store asked about them together."""
        known = self.knows_many(kind, [key for key in keys if key is not None], durable=durable)
        return [self._promised(kind, key) if key in known else None for key in keys]

    def promised(self, kind: str, keys: list[str]) -> list[Callable[[], Any | None]]:
        """`promise` for keys known from elsewhere to be remembered (a remembered list of them),
        without asking the store: one that proves gone reads as None, as any promise may."""
        return [self._promised(kind, key) for key in keys]

    def _promised(self, kind: str, key: str) -> Callable[[], Any | None]:
        entry = (kind, key)
        self._used.add(entry)
        self.reused[kind] += 1
        if entry in self._kept:
            kept = self._kept[entry]
            return lambda: kept
        self.touch(kind, key)
        return functools.partial(self._read_back, entry)

    def _read_back(self, entry: tuple[str, str]) -> Any | None:
        stored = self._store.get(*entry) if self._store is not None else None
        if stored is not None and self._hold:
            self._kept[entry] = stored
        return stored

    def knows(self, kind: str, key: str | None, *, durable: bool = False) -> bool:
        """Whether a result is remembered under `key`, without reading it back."""
        return key is not None and key in self.knows_many(kind, [key], durable=durable)

    def touch(self, kind: str, key: str) -> None:
        """Mark a durable result as used by this build without reading it, so the store keeps it."""
        if self._store is not None:
            self._store.touch(kind, key)

    def shown(self, value: object) -> str | None:
        """See Fingerprints.shown (None when the memo digests nothing)."""
        return self._fingerprints.shown(value) if self._remember else None

    def remember_shown_many(self, pairs: Iterable[tuple[object, str | None]]) -> None:
        """See Fingerprints.remember_shown_many (a None `shown` remembers nothing)."""
        if self._remember:
            self._fingerprints.remember_shown_many(pairs)

    def keep(self, kind: str, key: str | None, result: object, *, durable: bool = False) -> None:
        """Remember a result computed for `key` (a None key remembers nothing)."""
        self.keep_many(kind, [(key, result)], durable=durable)

    def keep_many(self, kind: str, computed: Sequence[tuple[str | None, object]], *, durable: bool = False) -> None:
        """`keep` each (key, result), stored together."""
        self.computed[kind] += len(computed)
        results = [(key, result) for key, result in computed if key is not None]
        self._used.update((kind, key) for key, _ in results)
        if self._hold or not durable:
            self._kept.update(((kind, key), result) for key, result in results)
        if durable and self._store is not None and results:
            self._store.put_many(kind, results)

    def adopt_many(self, kind: str, entries: Sequence[tuple[str, object]]) -> None:
        """Hold each (key, result) for this build, as read elsewhere (kept with another entry):
        neither computed nor stored; counted as reused when recalled."""
        self._used.update((kind, key) for key, _ in entries)
        self._kept.update(((kind, key), result) for key, result in entries)

    def derive(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)`, for a function whose result depends on nothing but its arguments.

        The result is known by the digest of the function and its arguments, so whatever holds
        it (a page view) is digested without walking through it: walking every view's metadata,
        citation and tables was most of a rebuild's digesting. A memo that holds results
        reuses it across builds as well.
        """
        key = self.key((function.__module__, function.__qualname__, args))
        if key is None:
            return function(*args)
        remembered = self.recall(function.__qualname__, key)
        result: T = function(*args) if remembered is None else remembered
        if remembered is None:
            self.keep(function.__qualname__, key, result)
        self._fingerprints.register(result, key)
        return result

    def call(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)`, remembered under the function's name."""
        return self.get(function.__qualname__, args, lambda: function(*args))

    def start_build(self) -> None:
        """Reset the counts and start recording which results this build uses."""
        self._used = set()
        self._fingerprints = Fingerprints()  # objects of the last build may be gone, and their ids reused
        self.computed.clear()
        self.reused.clear()

    def finish_build(self) -> None:
        """After a complete build: forget the results it did not use, so memory stays bounded."""
        self._kept = {entry: value for entry, value in self._kept.items() if entry in self._used}
        self._fingerprints = Fingerprints()
