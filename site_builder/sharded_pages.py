"""The site's pages with their citation downloads, a search shard at a time.

Each shard is handed to the search indexer (Pagefind, a process of its own) once its pages are
rendered, so that it is indexed while the next is rendered. A rebuild's longest path is
Pagefind's run on the shard of an edited statement: that shard goes first, before the other
pages' views are made. A shard of year pages whose inputs are as a past build's is given from
its record, with no view made (see shard_records.py).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping

from . import urls
from .memo import Memo
from .model import Archive
from .outline import Outlines
from .pages import PageRenderer
from .search import SearchIndexer, shards_of
from .shard_records import ShardRecords, year_runs
from .views import (
    CLAIM_TEMPLATES,
    MOVED_TEMPLATES,
    YEAR_RUN_TEMPLATES,
    Citations,
    PageCitation,
    PageView,
    check_redirects,
    claim_views,
    in_claims_folder,
    moved_views,
    page_paths,
    page_views,
    year_run_inputs,
    year_views,
)
from .writer import Content, Keyed


class ShardedPages:
    """One build's pages by search shard: `first`, then `rest`."""

    def __init__(
        self,
        archive: Archive,
        site_urls: urls.SiteUrls,
        memo: Memo,
        citations: Citations,
        outlines: Outlines,
        renderer: PageRenderer,
        indexer: SearchIndexer,
    ) -> None:
        self._archive, self._site_urls, self._memo = archive, site_urls, memo
        self._citations, self._outlines, self._renderer, self._indexer = citations, outlines, renderer, indexer
        self._plan = _search_plan(archive)
        self._moved = _moved_downloads(archive.redirects)
        self._runs = year_runs(archive, self._plan)
        self._claims = _claims_shard(self._plan)
        # Worked out after the first shards are with the index, off the way to it (see `rest`).
        self._records: ShardRecords | None = None
        self._made: list[tuple[str, list[PageView], dict[str, Content]]] = []  # shards made before then
        self._handed: set[str] = set()

    def _record_keys(self) -> dict[str, str]:
        """Each shard a record can stand for, by what its pages are made from: their views'
        inputs, and what the renderer keys their pages by besides (templates, site settings).
        A run of years' pages is made from its years and statements and their neighbours'
        links; the claims folder's pages from the archive's outline (its redirects included)
        and every statement's claims."""
        archive, memo = self._archive, self._memo
        keys: dict[str, str | None] = {}
        keyed_by = tuple(self._renderer.keyed_by(template) for template in YEAR_RUN_TEMPLATES)
        for shard, inputs in year_run_inputs(archive, self._site_urls, self._citations, self._runs).items():
            keys[shard] = memo.key(("year run", keyed_by, archive.site, archive.redirects, archive.splits, inputs))
        if self._claims is not None:
            claims_keyed_by = tuple(self._renderer.keyed_by(template) for template in CLAIM_TEMPLATES + MOVED_TEMPLATES)
            claims = tuple(self._outlines.claims_of(statement) for statement in archive.statements)
            keys[self._claims] = memo.key(("claim pages", claims_keyed_by, self._outlines.of_archive(), claims))
        return {shard: key for shard, key in keys.items() if key is not None}

    def first(self) -> Generator[tuple[str, Content], None, None]:
        """The pages of the shards holding the statements this build met for the first time (a
        rebuild's edited ones), each shard handed to the indexer, made from those years' views
        alone. None when most statements or shards are new (a first build), nor a shard with a
        page other than its years' and statements' (a moved page's) or one whose citation is
        still being formatted elsewhere (rendered later instead)."""
        archive, plan = self._archive, self._plan
        unremembered = self._outlines.unremembered()
        shards = {plan[urls.output_file(statement.url)] for statement in unremembered}
        if not shards or 2 * len(unremembered) > len(archive.statements) or 2 * len(shards) > len(set(plan.values())):
            return
        shards = {shard for shard in shards if shard in self._runs}
        if not shards:
            return
        check_redirects(archive)  # as `page_views` does first: its problems are reported before any page's
        years = set().union(*(self._runs[shard] for shard in shards))
        by_shard: dict[str, list[PageView]] = {}
        for view in year_views(archive, self._site_urls, self._memo, self._citations, years):
            by_shard.setdefault(plan[view.output], []).append(view)
        for shard in sorted(shards):
            shard_views = by_shard.get(shard, [])
            if not _waits(shard_views):
                self._renderer.read_ahead(shard_views)  # an edited shard: Pagefind reads every page of it
                yield from self._shard_files(shard, shard_views, new=True)
                self._handed.add(shard)

    def rest(self, meanwhile: Callable[[], Iterable[tuple[str, Content]]] | None = None) -> Iterator[tuple[str, Content]]:
        """Every other page with its citation downloads: those of the shards not handed over
        first nor remembered, from their views, then the remembered shards' from their records.

        Shards with pages to render go first, so that on a rebuild their indexing overlaps the
        reading back of the others instead of being waited for at the end; among them, those whose
        pages need no citation still being formatted, which are rendered meanwhile; then the
        largest, whose indexing takes longest (a rebuild waits for a decade's, not the site's few pages).
        The files of `meanwhile` come just before the first page that needs such a citation (or
        after the rendered shards, if none does): made then, they fill the time that page would
        wait for the citation's worker process."""
        # Not for the preview server's builds: its memo holds every view from the last build, so
        # working out the records' keys cost it more than they saved (summary edits, 1,000 statements).
        keyed = self._memo.remembers and not self._memo.holds
        records = self._records = ShardRecords(self._memo, self._record_keys() if keyed else {})
        for shard, shard_views, pages in self._made:
            records.keep(shard, shard_views, pages)
        remembered = records.remembered - self._handed  # an edit undone: its shard was handed over first
        years = {year.year for year in self._archive.years if self._plan[urls.output_file(year.url)] not in remembered}
        views = page_views(
            self._archive,
            self._site_urls,
            memo=self._memo,
            citations=self._citations,
            years=years if remembered else None,
            claims=self._claims not in remembered,
        )
        if {output for output, shard in self._plan.items() if shard not in remembered} != {view.output for view in views}:
            raise RuntimeError("the search shards were planned from other pages than the views'")
        by_shard: dict[str, list[PageView]] = {}
        for view in views:
            if self._plan[view.output] not in self._handed:
                by_shard.setdefault(self._plan[view.output], []).append(view)
        known = self._renderer.remembered([view for shard_views in by_shard.values() for view in shard_views])
        for shard, shard_views in sorted(by_shard.items(), key=lambda shard: _shard_order(shard[1], known)):
            if meanwhile is not None and _waits(shard_views):
                yield from meanwhile()
                meanwhile = None
            yield from self._shard_files(shard, shard_views, new=not known.intersection(view.output for view in shard_views))
        if meanwhile is not None:
            yield from meanwhile()
        citations = self._citations.of_pages() if remembered else {}
        shards: dict[str, dict[str, Content]] = {}
        for shard in sorted(remembered):
            pages = shards[shard] = {}
            for path, page in records.pages(shard, self._renderer, functools.partial(self._views_of, shard)):
                output = urls.output_file(path)
                pages[output] = page
                yield from _page_files(output, page, path, citations.get(path), self._moved)
        self._indexer.add_many(shards)

    def _views_of(self, shard: str) -> dict[str, PageView]:
        """The views of a remembered shard's pages, by path: made only if the store lost a page or citation."""
        if shard == self._claims:
            moved = moved_views(self._archive, self._site_urls, self._memo)
            views = claim_views(self._archive, self._site_urls, self._memo) + [view for view in moved if in_claims_folder(view.path)]
        else:
            views = year_views(self._archive, self._site_urls, self._memo, self._citations, self._runs[shard])
        return {view.path: view for view in views}

    def _shard_files(self, shard: str, views: list[PageView], *, new: bool) -> Iterator[tuple[str, Content]]:
        """The shard's pages with their citation downloads, each handed to the indexer as it is
        made, in the order of their paths (the order the index takes them in); then its record is
        kept. A `new` shard (edited, or with no page remembered) is indexed as its pages come."""
        pages: dict[str, Content] = {}
        feed = self._indexer.feed(shard, at_once=new)
        for view in sorted(views, key=_output):
            pages[view.output] = self._renderer.output(view)
            feed.add(view.output, pages[view.output])
            yield from _page_files(view.output, pages[view.output], view.path, view.citation, self._moved)
        feed.close()
        if self._records is None:
            self._made.append((shard, views, pages))
        else:
            self._records.keep(shard, views, pages)


def citing_order(archive: Archive) -> list[str]:
    """The paths of the pages that cite (the years' and statements'), in the order `rest`
    renders them in a build that remembers none: their shards largest first, each shard's pages
    in the order of their output paths. The citation pass formats their entries in this order."""
    plan = _search_plan(archive)
    sizes = Counter(plan.values())
    citing = {urls.output_file(path): path for path in [*(year.url for year in archive.years), *(s.url for s in archive.statements)]}
    by_shard: dict[str, list[str]] = {}
    for output, shard in sorted(plan.items()):
        if output in citing:
            by_shard.setdefault(shard, []).append(citing[output])
    return [path for shard in sorted(by_shard, key=lambda shard: -sizes[shard]) for path in by_shard[shard]]


def _search_plan(archive: Archive) -> dict[str, str]:
    """Each page's search shard, by its output path."""
    return shards_of(urls.output_file(path) for path in page_paths(archive))


def _claims_shard(plan: Mapping[str, str]) -> str | None:
    """The shard of the pages in the claims folder, if it holds them and no other page."""
    outputs = {output for output in plan if in_claims_folder(output)}
    shard = plan[urls.output_file(urls.CLAIMS)]
    return shard if {output for output, planned in plan.items() if planned == shard} == outputs else None


def _moved_downloads(redirects: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """A moved page's citation downloads stay available at its old address too: new -> old paths."""
    moved: dict[str, list[str]] = {}
    for old, new in redirects:
        for kind in urls.CITATION_FORMATS:
            moved.setdefault(urls.citation(new.lstrip("/"), kind), []).append(urls.citation(old.lstrip("/"), kind))
    return moved


def _page_files(
    output: str, page: Content, path: str, citation: PageCitation | None, moved: Mapping[str, list[str]]
) -> Iterator[tuple[str, Content]]:
    """A page, then its citation downloads, each also at the old address of a moved page; with
    a key, as `Keyed`: a rebuild then reads a remembered citation back only for the downloads
    the site's files do not already hold."""
    yield output, page
    if citation is None:
        return
    for kind, field in (("bib", "bibtex"), ("ris", "ris"), ("csl", "csl_json")):
        make = functools.partial(_download, citation, field)
        download = make() if citation.key is None else Keyed(f"{citation.key}.{kind}", make)
        name = urls.citation(path, kind)
        yield name, download
        for old in moved.get(name, ()):
            yield old, download


def _download(citation: PageCitation, field: str) -> bytes:
    text: str = getattr(citation.citation, field)
    return text.encode("utf-8")


def _output(view: PageView) -> str:
    return view.output


def _shard_order(views: list[PageView], remembered: set[str]) -> tuple[bool, bool, int]:
    unchanged = all(view.output in remembered for view in views)
    return unchanged, _waits(views), -len(views)


def _waits(views: list[PageView]) -> bool:
    """Whether a page of `views` needs a citation that worker processes are still formatting."""
    return any(view.citation is not None and view.citation.waits for view in views)
