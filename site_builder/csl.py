"""Formatted "Cite this page" entries from CSL items, by citeproc-py with the standard styles.

Formatting is most of a build's cost, so it is done once per distinct input: entries come from
the content-addressed cache when it holds them, and every missing entry of a build is formatted
in one pass, across the available cores when there are enough to pay for the workers. Results
are keyed and reassembled by content address, so the order of work never shows in the output.
citeproc-py is imported only when something is missing, which keeps a warm build's start-up short.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

from .citation_cache import LOCALE, CitationCache, entry_key, style_path

CslItem = dict[str, Any]
Job = tuple[list[CslItem], str]
# Below this many missing entries, starting worker processes costs more than it saves
# (about 30 ms for the pool against 3 ms per entry; see benchmarks/build_speed.py).
PARALLEL_FROM = 24


def available_cores() -> int:
    return len(os.sched_getaffinity(0))


class CslFormatter:
    """Formats CSL items as HTML entries, remembering each result for the build (and on disk)."""

    def __init__(self, cache: CitationCache | None = None, workers: int = 1) -> None:
        self._cache = cache
        self._workers = workers
        self._entries: dict[str, str] = {}

    def prepare(self, jobs: Sequence[Job]) -> None:
        """Make every job's entries known: from memory, the cache, or one pass of citeproc."""
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
        for key, entry in zip(missing, _format_all(list(missing.values()), self._workers), strict=True):
            self._entries[key] = entry
            if self._cache is not None:
                self._cache.put(key, entry)

    def entries(self, items: list[CslItem], style: str) -> str:
        """One `<div class="csl-entry">` per item, in the items' order."""
        key = entry_key(items, style)
        if key not in self._entries:
            self.prepare([(items, style)])
        return self._entries[key]


def _format_all(jobs: list[Job], workers: int) -> list[str]:
    if not jobs:
        return []
    format_job = _citeproc()
    if workers < 2 or len(jobs) < PARALLEL_FROM:
        return [format_job(job) for job in jobs]
    # Parse the styles before forking, so every worker inherits them instead of parsing again.
    for style in sorted({style for _, style in jobs}):
        _style(style)
    chunk = -(-len(jobs) // (workers * 4))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_format_job, jobs, chunksize=chunk)


def _format_job(job: Job) -> str:
    return _citeproc()(job)


@functools.cache
def _citeproc() -> Callable[[Job], str]:
    """Import citeproc-py on first need, with its repeated tree look-ups memoised."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    _memoise_style_lookups()

    def format_job(job: Job) -> str:
        """Entries in the items' order (not the style's sort), so the archive page always comes first."""
        items, style = job
        bibliography = CitationStylesBibliography(_style(style), CiteProcJSON(items), formatter.html)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        return "\n".join(f'<div class="csl-entry">{entry}</div>' for entry in bibliography.bibliography())

    return format_job


@functools.cache
def _style(name: str) -> Any:
    from citeproc import CitationStylesStyle

    # The styles are the pinned package's; validating them against citeproc-py's older schema
    # would only add warnings.
    return CitationStylesStyle(str(style_path(name)), locale=LOCALE, validate=False)


_MEMO = "_site_builder_memo"


def _memoise_style_lookups() -> None:
    """Remember citeproc-py's XPath look-ups and `calls_variable` answers per style tree.

    citeproc-py answers "which macro is called X", "which term", "does this group call a
    variable" by searching the style's XML again for every element of every entry: most of its
    time. The style trees never change once parsed, so each answer is remembered on the tree's
    root element (which the parsed style keeps alive), keyed by the asking element. Keeping the
    element in the key also keeps lxml from replacing its Python proxy. The patch only caches:
    every answer is the one citeproc-py computed the first time.
    """
    from citeproc import model

    element = model.CitationStylesElement
    if getattr(element.xpath_search, _MEMO, False):
        return

    def memo(node: Any) -> dict[Any, Any]:
        root = node.getroottree().getroot()
        found: dict[Any, Any] | None = root.__dict__.get(_MEMO)
        if found is None:
            found = root.__dict__[_MEMO] = {}
        return found

    def remembered(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def lookup(self: Any, *args: Any) -> Any:
            answers = memo(self)
            key = (method, self, *args)
            if key not in answers:
                answers[key] = method(self, *args)
            return answers[key]

        setattr(lookup, _MEMO, True)
        return lookup

    element.xpath_search = remembered(element.xpath_search)
    model.Parent.calls_variable = remembered(model.Parent.calls_variable)
    model.Text.calls_variable = remembered(model.Text.calls_variable)
    _remember_item_references()


def _remember_item_references() -> None:
    """Remember each citation item's reference on the item.

    citeproc-py finds an item's reference again (item -> citation -> bibliography -> source)
    every time a style element reads a variable, hundreds of times per entry; the answer never
    changes once the item is registered, so it is looked up once (a third of the time saved).
    """
    from citeproc.source import CitationItem

    def reference(item: Any) -> Any:
        found = item.__dict__.get(_REFERENCE)
        if found is None:
            found = item.__dict__[_REFERENCE] = item.citation.bibliography.source[item.key]
        return found

    CitationItem.reference = property(reference)


_REFERENCE = "_site_builder_reference"
