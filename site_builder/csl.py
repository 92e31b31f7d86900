"""Formatted "Cite this page" entries from CSL items, by citeproc-py with the standard styles.

Formatting is most of a build's cost, so it is done once per distinct input: entries come from
the content-addressed cache when it holds them, and every missing entry of a build is formatted
in one pass, across the available cores when there are enough to pay for the workers. Results
are keyed and reassembled by content address, so the order of work never shows in the output.
citeproc-py is imported only when something is missing, which keeps a warm build's start-up short.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any

from .background import OnDemand
from .citation_cache import LOCALE, CitationCache, entry_key, style_path

# The standard styles a page's citation shows, in the order it shows them.
STYLES = ("chicago-author-date", "apa")
CslItem = dict[str, Any]
Job = tuple[list[CslItem], str]
# An item of the archive's usual shape (see citations.py), with made-up values.
_SPECIMEN: CslItem = {
    "id": "specimen",
    "type": "webpage",
    "author": [{"literal": "An office"}],
    "title": "A title",
    "container-title": "A site",
    "issued": {"date-parts": [[2020, 1, 2]]},
    "accessed": {"date-parts": [[2021, 3, 4]]},
    "URL": "https://example.org/specimen/",
    "language": "en",
    "note": "A note",
}
# Below this many missing entries, starting worker processes costs more than it saves
# (about 30 ms for the workers against 3 ms per entry; see benchmarks/build_speed.py).
PARALLEL_FROM = 24
# A worker started ahead formats a pass alone below this many entries (about 25 statements).
# Each further worker prepares for itself (imports citeproc-py and parses the styles, about
# 35 ms of a core) while the build needs that core too: for the real archive's 50 entries, a
# second worker cost a cold build 70 ms more CPU and saved no time.
SHARED_FROM = 100


def available_cores() -> int:
    return len(os.sched_getaffinity(0))


class CslFormatter:
    """Formats CSL items as HTML entries, remembering each result for the build (and on disk).

    `prepare` starts one pass over every missing entry and may return while worker processes
    still format them, so that the build can go on with other work; `entries` waits only for the
    entry it asks for (a worker formats it next if it has not begun it), and once all are taken,
    or the pass is otherwise needed whole (`settle`), for the pass.
    """

    def __init__(self, cache: CitationCache | None = None, workers: int = 1) -> None:
        self._cache = cache
        self._workers = workers
        self._entries: dict[str, str] = {}
        self._underway: tuple[dict[str, int], Callable[[], list[str]]] | None = None
        self._standing: _Workers | None = None

    def start_workers(self, styles: Sequence[str]) -> None:
        """Start a worker process now, for a build that will format every entry (its cache is
        empty): it imports citeproc-py and parses `styles` while the build reads the archive on
        another core, and the next pass uses it, however few its entries; a pass of `SHARED_FROM`
        entries or more starts the other workers then."""
        if self._workers > 1 and self._standing is None:
            self._standing = _Workers(1, styles, ahead=True)

    def close(self) -> None:
        """Stop the workers started ahead if no pass used them, and a pass still running."""
        self.abandon()
        standing, self._standing = self._standing, None
        if standing is not None:
            standing.stop()

    def prepare(self, jobs: Sequence[Job]) -> None:
        """Make every job's entries known: from memory, the cache, or one pass of citeproc."""
        self.settle()
        missing: dict[str, Job] = {}
        for items, style in jobs:
            key = entry_key(items, style)
            if key in self._entries or key in missing:
                continue
            cached = self._cache.get(key) if self._cache is not None else None
            if cached is None:
                missing[key] = (items, style)
            else:
                self._entries[key] = cached
        if missing:
            standing, self._standing = self._standing, None
            self._underway = (
                {key: index for index, key in enumerate(missing)},
                _start_formatting(list(missing.values()), self._workers, standing),
            )

    def settle(self) -> None:
        """Wait for the pass `prepare` started, if any, and keep its entries."""
        if self._underway is None:
            return
        keys, collect = self._underway
        self._underway = None
        formatted = list(zip(keys, collect(), strict=True))  # in the order of the pass
        self._entries.update(formatted)
        if self._cache is not None:
            self._cache.put_many(formatted)  # one transaction, not one per entry (2,200 at 1,000 statements)

    @property
    def formatting_elsewhere(self) -> bool:
        """Whether a pass is running in worker processes, so that waiting for it now would idle."""
        return self._underway is not None and isinstance(self._underway[1], _Pass)

    def abandon(self) -> None:
        """Stop a pass still running (the build failed); its entries are formatted again when asked."""
        underway, self._underway = self._underway, None
        if underway is not None and isinstance(underway[1], _Pass):
            underway[1].stop()

    def entries(self, items: list[CslItem], style: str) -> str:
        """One `<div class="csl-entry">` per item, in the items' order."""
        key = entry_key(items, style)
        if key not in self._entries:
            self._take(key)
        if key not in self._entries:
            self.prepare([(items, style)])
            self.settle()
        return self._entries[key]

    def _take(self, key: str) -> None:
        """Wait for the pass underway until it has the entry (when in worker processes, those
        format it next), or all its entries."""
        keys, running = self._underway or ({}, None)
        if not isinstance(running, _Pass) or key not in keys:
            self.settle()
            return
        self._entries[key] = running.entry(keys[key])
        if running.delivered == len(keys):
            self.settle()  # every entry is here: kept in the cache now, in one transaction


def _start_formatting(jobs: list[Job], workers: int, standing: _Workers | None) -> Callable[[], list[str]]:
    """What formats `jobs`, called when their entries are needed: the workers started ahead if
    any, else in this process when few, else a pass across worker processes, started now."""
    if standing is not None:
        if len(jobs) >= SHARED_FROM:
            standing.add(workers - standing.count)
        return _Pass(jobs, standing)
    if workers < 2 or len(jobs) < PARALLEL_FROM:
        return functools.partial(_format_here, jobs)
    return _Pass(jobs, _Workers(workers, sorted({style for _, style in jobs}), ahead=False))


def _format_here(jobs: list[Job]) -> list[str]:
    format_job = _citeproc()
    return [format_job(job) for job in jobs]


def _format_job(job: Job) -> str:
    return _citeproc()(job)


class _Workers:
    """Forked worker processes with citeproc-py imported and `styles` parsed: before forking, so
    that every worker inherits them, or `ahead`, by each worker, while the caller does other work.

    Each worker has a pipe of its own and takes one share of one pass. A `multiprocessing` pool
    shares its queues' locks among its workers: stopping it in the middle of a pass (a failed
    build) could kill a worker holding one, and then wait for ever for that lock.
    """

    def __init__(self, count: int, styles: Sequence[str], *, ahead: bool) -> None:
        if not ahead:
            _prepare(styles)
        self._prepare = functools.partial(_prepare, styles) if ahead else _prepared
        self._workers: list[OnDemand[Job, str]] = []
        self._shares: list[list[int]] = []  # each worker's jobs, by their place in the pass
        self._places: dict[int, tuple[OnDemand[Job, str], int]] = {}  # a job's worker and place in its share
        self.add(count)

    @property
    def count(self) -> int:
        return len(self._workers)

    def add(self, count: int) -> None:
        """Start `count` more workers, before `start` deals the shares."""
        self._workers += [OnDemand(self._prepare, _format_job) for _ in range(count)]

    def start(self, jobs: list[Job]) -> None:
        """Hand every worker its share: runs of neighbouring jobs, dealt in turn. Neighbours are
        the styles of one page, which cost differently (every n-th job would give one worker
        every Chicago entry), and a run is short enough for the shares to come out even."""
        count = len(self._workers)
        run = max(1, -(-len(jobs) // (count * 16)))
        runs = [range(start, min(start + run, len(jobs))) for start in range(0, len(jobs), run)]
        self._shares = [[index for indices in runs[worker::count] for index in indices] for worker in range(count)]
        for worker, share in zip(self._workers, self._shares, strict=True):
            worker.give([jobs[index] for index in share])
            self._places.update((index, (worker, place)) for place, index in enumerate(share))

    def entry(self, index: int) -> str:
        """One job's entries, waiting for them: its worker formats it next if it has not begun it."""
        worker, place = self._places[index]
        return worker.value(place)

    def collect(self) -> list[str]:
        """Each job's entries, in the jobs' order, once every worker has sent its share."""
        entries: dict[int, str] = {}
        for worker, share in zip(self._workers, self._shares, strict=True):
            entries.update(zip(share, worker.values(), strict=True))
        return [entries[index] for index in range(len(entries))]

    def stop(self) -> None:
        for worker in self._workers:
            worker.stop()


def _prepare(styles: Sequence[str]) -> None:
    format_job = _citeproc()
    for style in styles:
        _style(style)
        # A specimen entry, formatted and dropped: what citeproc-py does only the first time (about
        # 15 ms of a first pass over the real archive) is done now, by a worker started ahead while
        # it would wait for its pass, or before forking, once for every worker.
        format_job(([_SPECIMEN], style))


def _prepared() -> None:
    """Nothing left to do: the worker inherited citeproc-py and the styles."""


class _Pass:
    """Jobs formatted by the workers while the caller goes on: `entry` waits for one job's,
    calling it for all of them."""

    def __init__(self, jobs: list[Job], workers: _Workers) -> None:
        self._workers = workers
        self._delivered: set[int] = set()
        workers.start(jobs)

    @property
    def delivered(self) -> int:
        """How many jobs' entries `entry` has given."""
        return len(self._delivered)

    def entry(self, index: int) -> str:
        """One job's entries, as soon as they are formatted, while the others still are."""
        self._delivered.add(index)
        return self._workers.entry(index)

    def __call__(self) -> list[str]:
        try:
            return self._workers.collect()
        finally:
            self.stop()

    def stop(self) -> None:
        self._workers.stop()


@functools.cache
def _citeproc() -> Callable[[Job], str]:
    """citeproc-py, imported on first need, with its repeated tree look-ups memoised."""
    _memoise_style_lookups()
    return format_entries


def format_entries(job: Job) -> str:
    """Entries in the items' order (not the style's sort), so the archive page always comes first.

    By citeproc-py as it stands in this process: with this module's shortcuts once `_citeproc`
    has installed them, as citeproc-py alone before (the tests compare the two)."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    items, style = job
    bibliography = CitationStylesBibliography(_style(style), CiteProcJSON(items), formatter.html)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return "\n".join(f'<div class="csl-entry">{entry}</div>' for entry in bibliography.bibliography())


@functools.cache
def _style(name: str) -> Any:
    from citeproc import CitationStylesStyle

    # The styles are the pinned package's; validating them against citeproc-py's older schema
    # would only add warnings.
    return CitationStylesStyle(str(style_path(name)), locale=LOCALE, validate=False)


_MEMO = "_site_builder_memo"
_PINNED = "_site_builder_pinned"
_MISSING = object()
_KEYWORDS = object()  # separates positional from keyword arguments in a memo key


def _answers(node: Any) -> dict[Any, Any]:
    """The answers remembered for one style element, kept on the element itself.

    lxml makes a new Python proxy (with an empty `__dict__`) whenever no proxy of an element is
    alive, so an element given a memo is pinned on its tree's root, which the parsed style keeps
    alive: the proxy, and with it the memo, then lasts as long as the tree.
    """
    found: dict[Any, Any] | None = node.__dict__.get(_MEMO)
    if found is None:
        found = node.__dict__[_MEMO] = {}
        node.getroottree().getroot().__dict__.setdefault(_PINNED, []).append(node)
    return found


def _memoise_style_lookups() -> None:
    """Remember what citeproc-py works out again and again from a parsed style tree.

    citeproc-py answers "which macro is called X", "which term", "does this group call a
    variable" by searching the style's XML again for every element of every entry: most of its
    time. The style trees never change once parsed, so each answer is remembered on the asking
    element (see `_answers`). The patches only cache: every answer is the one citeproc-py
    computed the first time.
    """
    from citeproc import model

    element = model.CitationStylesElement
    if getattr(element.xpath_search, _MEMO, False):
        return

    def remembered(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def lookup(self: Any, *args: Any, **kwargs: Any) -> Any:
            answers = self.__dict__.get(_MEMO) or _answers(self)
            key = (method, *args, _KEYWORDS, *kwargs.items()) if kwargs else (method, *args)
            found = answers.get(key, _MISSING)
            if found is _MISSING:
                found = answers[key] = method(self, *args, **kwargs)
            return found

        setattr(lookup, _MEMO, True)
        return lookup

    element.xpath_search = remembered(element.xpath_search)
    model.Parent.calls_variable = remembered(model.Parent.calls_variable)
    model.Text.calls_variable = remembered(model.Text.calls_variable)
    # A macro by name, a term (by name, form and the other arguments, given the same way), and a
    # locale option (read by every quoting element) come from the style's and its locales'
    # trees only. A term's text is not remembered: it is preformatted by the bibliography's formatter.
    element.get_macro = remembered(element.get_macro)
    element.get_term = remembered(element.get_term)
    element.get_locale_option = remembered(element.get_locale_option)
    _remember_roots(model)
    _remember_plain_formatting(model)
    _remember_conditions(model)
    _remember_item_references()


def _remember_roots(model: Any) -> None:
    """Remember each element's root, and which root holds the formatter it uses.

    Every formatting step asks for the root (a new tree object each time) and the formatter
    (the root again, twice). The elements of a parsed style never move (citeproc-py only inserts
    a new `cs:name`, before asking it anything), so the root is remembered, except for a
    detached element, which is its own root until inserted. The formatter itself is not
    remembered: each bibliography sets its own on the style, so it is read from the root.
    """
    element = model.CitationStylesElement
    find_root = element.get_root

    def get_root(self: Any) -> Any:
        answers = self.__dict__.get(_MEMO) or _answers(self)
        root = answers.get(get_root)
        if root is None:
            root = find_root(self)
            if root is not self or isinstance(root, model.Style | model.Locale):
                answers[get_root] = root
        return root

    def get_formatter(self: Any) -> Any:
        answers = self.__dict__.get(_MEMO) or _answers(self)
        owner = answers.get(get_formatter)
        if owner is None:
            root = self.get_root()
            # As citeproc-py does: a locale's elements use the formatter of the style it serves.
            owner = root.style if isinstance(root, model.Locale) else root
            if root is answers.get(get_root):
                answers[get_formatter] = owner
        return owner.formatter

    element.get_root = get_root
    element.get_formatter = get_formatter


# The formatting attributes `Formatted.format` applies, with the values that leave text as it is.
_PLAIN = (
    ("font-style", "normal"),
    ("font-variant", "normal"),
    ("font-weight", "normal"),
    ("text-decoration", "none"),
    ("vertical-align", "baseline"),
)


def _remember_plain_formatting(model: Any) -> None:
    """Remember which elements have no formatting attributes, and return their text directly.

    `Formatted.format` asks for the formatter and reads five attributes for every element it
    formats, though most elements set none of them: then it returns the text as it is (a number
    as a string), which is what the shortcut returns. Attributes of a parsed style never change,
    except those of `cs:date-part`, which `Date_Part.process` updates with the calling date's:
    date parts always take citeproc-py's own path.
    """
    formatted = model.Formatted
    format_text = formatted.format

    def format(self: Any, string: Any) -> Any:
        if isinstance(self, model.Date_Part):
            return format_text(self, string)
        answers = self.__dict__.get(_MEMO) or _answers(self)
        plain = answers.get(format)
        if plain is None:
            plain = answers[format] = all(self.get(name, value) == value for name, value in _PLAIN)
        if not plain:
            return format_text(self, string)
        if isinstance(string, int | float):
            string = str(string)
        return string

    formatted.format = format


# The conditions `If.render` tests, in its order.
_CONDITIONS = ("type", "variable", "is-numeric", "is-uncertain-date", "locator", "position")


def _remember_conditions(model: Any) -> None:
    """Remember each `cs:if`'s (and `cs:else-if`'s) conditions as parsed from its attributes.

    `If.render` checks for six attributes, reads `match` twice, and splits (and lower-cases, or
    rewrites) its type and variable lists for every item it meets: thousands of times an entry
    for the same few attribute values. The attributes never change, so the parsed forms are
    remembered per element; the tests run on each item in citeproc-py's order, as before.

    `Choose.render` tries its branches in turn, and each failing `cs:if` tells it so by raising
    an exception: most branches fail, so a tenth of an entry's time went to raising and catching.
    The shortcut asks each branch's conditions directly, and renders the first that holds. Most
    `cs:choose` elements test only an item's type and which variables it has, so the branch that
    holds is remembered by those (the item's shape), and asked again only for a new shape: the
    real archive's 50 entries are formatted in about 17% less time.
    """
    condition = model.If

    def parsed(self: Any) -> tuple[tuple[str, ...], str | None, list[str], list[str]]:
        answers = self.__dict__.get(_MEMO) or _answers(self)
        found: tuple[tuple[str, ...], str | None, list[str], list[str]] | None = answers.get(parsed)
        if found is None:
            tests = tuple(name for name in _CONDITIONS if name in self.attrib)
            types = [typ.lower() for typ in self.get("type").split()] if "type" in tests else []
            variables = [var.replace("-", "_") for var in self.get("variable").split()] if "variable" in tests else []
            found = answers[parsed] = (tests, self.get("match"), types, variables)
        return found

    def holds(self: Any, item: Any, context: Any) -> bool:
        tests, match, types, variables = parsed(self)
        results: list[Any] = []
        if "type" in tests and types:
            # `If._type`, reading the item's type once rather than once per listed type.
            reference_type = item.reference.type
            results += [typ == reference_type for typ in types]
        if "variable" in tests:
            # `If._variable`.
            results += ["locator" in item if var == "locator" else var in item.reference for var in variables]
        if "is-numeric" in tests:
            results += self._is_numeric(item)
        if "is-uncertain-date" in tests:
            results += self._is_uncertain_date(item)
        if "locator" in tests:
            results += self._locator(item)
        if "position" in tests:
            results += self._position(item, context)
        if match == "any":
            return any(results)
        if match == "none":
            return not any(results)
        return all(results)

    def render(self: Any, item: Any, context: Any = None, delimiter: str = "", **kwargs: Any) -> Any:
        if not holds(self, item, context):
            raise model.ConditionFailed
        return self.render_children(item, context=context, delimiter=delimiter, **kwargs)

    def branches(self: Any) -> tuple[tuple[bool, Any], ...]:
        answers = self.__dict__.get(_MEMO) or _answers(self)
        found: tuple[tuple[bool, Any], ...] | None = answers.get(branches)
        if found is None:
            found = answers[branches] = tuple((isinstance(child, condition), child) for child in self.getchildren())
        return found

    def decisions(self: Any) -> dict[Any, int] | None:
        """Where the branches of a `cs:choose` that tests only types and variables start to hold,
        by the item's shape (None for a `cs:choose` that tests anything else)."""
        answers = self.__dict__.get(_MEMO) or _answers(self)
        found: dict[Any, int] | None = answers.get(decisions, _MISSING)
        if found is _MISSING:
            plain = all(set(parsed(branch)[0]) <= _SHAPE_TESTS for conditional, branch in branches(self) if conditional)
            found = answers[decisions] = {} if plain else None
        return found

    def choose(self: Any, item: Any, context: Any = None, delimiter: str = "", **kwargs: Any) -> Any:
        # `Choose.render` without an exception per failed branch: the first branch that holds.
        # Where that depends on the item's shape only, it is looked up from the last item of that shape.
        every = branches(self)
        start = 0  # the first branch that may hold; it holds when `decided`
        decided = decisions(self)
        if decided is not None:
            shape = _shape(item)
            start = decided.get(shape, -1)
            if start < 0:
                start = decided[shape] = next(
                    (index for index, (conditional, branch) in enumerate(every) if not conditional or holds(branch, item, context)),
                    len(every),
                )
        for index in range(start, len(every)):
            conditional, branch = every[index]
            if conditional and not (decided is not None and index == start) and not holds(branch, item, context):
                continue
            try:
                return branch.render_children(item, context=context, delimiter=delimiter, **kwargs)
            except model.ConditionFailed:  # as citeproc-py does: the next branch is tried
                continue
        return None

    condition.render = render
    model.Choose.render = choose


# The tests whose outcome an item's shape decides (see `_shape`).
_SHAPE_TESTS = frozenset({"type", "variable"})
_SHAPE = "_site_builder_shape"


def _shape(item: Any) -> tuple[str, frozenset[str], bool]:
    """What `cs:if type=... variable=...` can ask of a citation item: its type, the variables its
    reference has, and whether it has a locator. Remembered on the item: citeproc-py never
    changes an item or its reference once the bibliography has registered it."""
    shape: tuple[str, frozenset[str], bool] | None = item.__dict__.get(_SHAPE)
    if shape is None:
        reference = item.reference
        shape = item.__dict__[_SHAPE] = (reference.type, frozenset(reference), "locator" in item)
    return shape


def _remember_item_references() -> None:
    """Remember each citation item's reference on the item.

    citeproc-py finds an item's reference again (item -> citation -> bibliography -> source)
    every time a style element reads a variable, hundreds of times per entry; the answer never
    changes once the item is registered, so it is looked up once (a third of the time saved).
    A cached property stores it in the item's `__dict__`, where later reads find it without a call.
    """
    from citeproc.source import CitationItem

    def reference(item: Any) -> Any:
        return item.citation.bibliography.source[item.key]

    remembered = functools.cached_property(reference)
    remembered.__set_name__(CitationItem, "reference")
    CitationItem.reference = remembered
