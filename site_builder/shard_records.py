"""Shard records: an unchanged search shard's pages, known without making their views.

An edit changes the pages of one or two search shards (see search.shards_of), yet a rebuild
made the view and the key of every page of every shard to find the others unchanged: about a
fifth of a warm rebuild at 1,000 statements. A shard of year pages (a run of report years with
their statements' pages, and no other page), and the claims folder's, are therefore known by
what their pages are made from (see sharded_pages.py), and remembered by that key as a record:
each page's path and key. A rebuild that finds the record gives the shard's pages from it;
their bytes are read back only if the writer or the indexer asks for them, and should the store
have lost one, the shard's views are made after all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from . import urls
from .memo import Memo
from .model import Archive
from .pages import PAGE_KIND, PageRenderer
from .search import pages_by_shard
from .views import PageView
from .writer import Content, Keyed

_RECORD = "shard record"


def year_runs(archive: Archive, plan: Mapping[str, str]) -> dict[str, frozenset[int]]:
    """The shards of `plan` (output path -> shard) that hold year pages and their statements'
    pages and nothing else, each with its years: the shards a record can stand for. A shard with
    any other page (a moved page left in a year's folder) is left out."""
    pages = {shard: set(outputs) for shard, outputs in pages_by_shard(plan).items()}
    years: dict[str, set[int]] = {}
    expected: dict[str, set[str]] = {}
    shard_of_year: dict[int, str] = {}
    for year in archive.years:
        output = urls.output_file(year.url)
        shard = plan[output]
        shard_of_year[year.year] = shard
        years.setdefault(shard, set()).add(year.year)
        expected.setdefault(shard, set()).add(output)
    for statement in archive.statements:
        expected[shard_of_year[statement.year]].add(urls.output_file(statement.url))
    return {shard: frozenset(years[shard]) for shard in sorted(years) if expected[shard] == pages[shard]}


class ShardRecords:
    """The records of one build's shards (each a tuple of its pages' paths and keys), by shard:
    those remembered, read together when this is made, and those the build makes, kept once
    their pages are made."""

    def __init__(self, memo: Memo, keys: Mapping[str, str]) -> None:
        self._memo = memo
        self._keys = dict(keys)
        found = memo.recall_many(_RECORD, sorted(set(self._keys.values())), durable=True) if self._keys else {}
        self._found: dict[str, tuple[tuple[str, str], ...]] = {shard: found[key] for shard, key in self._keys.items() if key in found}

    @property
    def remembered(self) -> frozenset[str]:
        """The shards whose record is remembered: their pages need no view."""
        return frozenset(self._found)

    def keep(self, shard: str, views: Sequence[PageView], pages: Mapping[str, Content]) -> None:
        """Remember the record of a shard made from its views (`pages`: output path -> content),
        if a record can stand for it and every page of it has a key."""
        key = self._keys.get(shard)
        if key is None or shard in self._found:
            return
        record = tuple((view.path, content.key) for view in views if isinstance(content := pages[view.output], Keyed))
        if len(record) == len(views):
            self._memo.keep(_RECORD, key, record, durable=True)

    def pages(self, shard: str, renderer: PageRenderer, views_of: Callable[[], Mapping[str, PageView]]) -> list[tuple[str, Keyed]]:
        """A remembered shard's pages from its record, as (path, content). Each page counts as
        used by this build (the store keeps it) and is read back only if its bytes are asked for;
        one the store has lost is rendered from the shard's views (`views_of`, called at most once)."""
        record = self._found[shard]
        views = functools.cache(views_of)
        reads = self._memo.promised(PAGE_KIND, [key for _, key in record])
        return [
            (path, Keyed(key, functools.partial(_page, read, renderer, views, path)))
            for (path, key), read in zip(record, reads, strict=True)
        ]


def _page(read: Callable[[], object | None], renderer: PageRenderer, views: Callable[[], Mapping[str, PageView]], path: str) -> bytes:
    found = read()
    return found if isinstance(found, bytes) else renderer.page(views()[path])
