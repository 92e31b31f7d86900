"""`build`: the site into its output folder, keeping what later builds can reuse in the cache."""

from __future__ import annotations

import contextlib
import gc
import time
from pathlib import Path

from ..citation_cache import CitationCache
from ..csl import STYLES, CslFormatter, available_cores
from ..errors import ContentErrors
from . import report


def build(root: Path, out: Path, base_url: str | None, cache: Path | None = None) -> int:
    """Build into `out`. Formatted citations and the results of every other pure step are kept
    in `cache` between builds (None: nothing is kept), so a rebuild only does what changed."""
    started = time.perf_counter()
    workers = available_cores()
    citations = CitationCache(cache / "citations") if cache is not None else None
    csl = CslFormatter(citations, workers=workers)
    collecting = gc.isenabled()
    try:
        # A cache holding no citation means formatting every one: a citation worker starts
        # first, so that it imports citeproc-py and parses the styles on another core while
        # this process imports the rest of the pipeline (most of a small archive's start-up).
        if citations is None or citations.is_empty():
            # lxml is imported before the worker is forked, which inherits it: citeproc-py reads
            # the styles with it and feedgen writes the feeds with it here, so it is imported once
            # instead of in both processes (about 15 ms of CPU, on two cores that are both busy).
            import lxml.etree  # noqa: F401

            csl.start_workers(STYLES)
        # No cycle collection in this process until the archive is read and frozen (see `_build`):
        # importing the pipeline and reading the archive make containers by the hundred thousand,
        # which set the collector off 65 times (about 17 ms of a warm rebuild at 1,000 statements).
        gc.disable()
        return _build(root, out, base_url, cache, csl, workers, started, collecting)
    finally:
        if collecting:
            gc.enable()
        csl.close()


def _build(
    root: Path, out: Path, base_url: str | None, cache: Path | None, csl: CslFormatter, workers: int, started: float, collecting: bool
) -> int:
    # A rebuild (the cache holds a build's results) reads its few changed statements in a forked
    # process, started first, so that it sets up the parsers while this one imports the rest.
    rebuild = cache is not None and (cache / "results").is_dir()
    beside = None
    compiled_ahead = None
    pagefind = None
    try:
        if workers > 1 and rebuild:
            from ..loader import read_beside
            from ..search import start_pagefind

            beside = read_beside(root)
            # A large archive's rebuild is likely to index an edited statement's shard: Pagefind is
            # started while the archive is read (for a small one, starting it then costs more than it saves).
            pagefind = start_pagefind() if beside is not None else None
        from ..build_cache import BuildCache, code_digest
        from ..memo import Memo
        from ..templates import compile_ahead

        results = BuildCache(cache / "results") if cache is not None else None
        memo = Memo(remember=False, store=results)
        # Compiling the templates the cache lacks (every one, on a first build) is begun on another
        # core while this one imports the rest and reads the archive: forked as soon as it has what
        # it inherits (Jinja2), so that it is done before the citation worker's pass begins and the
        # two do not share a core with this process.
        compiled_ahead = compile_ahead(root / "templates", results) if workers > 1 else None
        from ..archive_files import Spool
        from ..input_record import InputRecord
        from ..loader import load_archive
        from ..manifest import Manifest
        from ..render import site_files
        from ..writer import spool_beside, write_site

        # What the last build read: a statement file whose status is unchanged is not opened again.
        record = InputRecord(cache / "read", root / "statements", code_digest()) if cache is not None else None
        archive = load_archive(root, base_url=base_url, memo=memo, workers=workers, record=record, beside=beside)
        # The archive lives as long as the build: frozen, its objects (a million at 1,000
        # statements) are not walked again by each full run of the cycle collector, which took
        # about 50 ms of a warm rebuild. Unfrozen after, for a caller that goes on (the tests).
        gc.freeze()
        if collecting:
            gc.enable()
        # Each file is written as it is rendered; the site is changed only once all are.
        manifest = Manifest(cache / "written", out, code_digest()) if cache is not None else None
        # Closed however writing ends, so that a failed build's Pagefind and forked processes end
        # with it (before the spool folder goes, so that nothing refills it).
        with spool_beside(out) as folder:
            # The large feeds and downloads are spliced from copies kept in the cache (spliced_files.py).
            spool = Spool(folder, cache / "archive-files" if cache is not None else None)
            with contextlib.closing(site_files(archive, root, csl, memo, workers, compiled_ahead, pagefind, spool)) as files:
                written = write_site(files, out, manifest)
    except ContentErrors as errors:
        return report(errors)
    finally:
        if beside is not None:
            beside.close()  # closed already, unless the build failed before reading the statements
        if pagefind is not None:
            pagefind.close()  # closed already by the search indexer, unless the build failed before it
        gc.unfreeze()
        if compiled_ahead is not None:
            compiled_ahead.close()
    if results is not None:
        results.sweep()
    pages = sum(1 for name in written if name.endswith(".html"))
    print(f"Built {pages} pages ({len(written)} files) into {out} in {time.perf_counter() - started:.2f} s")
    return 0
