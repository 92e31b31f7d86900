"""The search index: Pagefind run on the rendered pages, before anything is written.

Pagefind indexes what the templates mark with `data-pagefind-body` (statement, claim and year
pages). It runs as a command on a temporary copy of those pages and its bundle is read back,
so the index joins the other output files and is swapped in atomically with them: a failed
indexing leaves the previous site untouched.

The index is split into shards by output path (the claims, each decade of report years, the
rest), each indexed by its own Pagefind run and remembered by the build's memo, so an edit
re-indexes only its shard. The first shard keeps Pagefind's whole bundle at the bundle's
folder; the others keep only their index below it, listed in `shards.json`, and the search
page merges them into the first with Pagefind's `mergeIndex`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from . import urls
from .csl import available_cores
from .errors import ContentError, ContentErrors
from .memo import Memo
from .writer import Content, Keyed, content_of

# Pagefind also ships ready-made search interfaces; the search page uses its own small script
# with Pagefind's JavaScript API instead (plain DOM, no inline style), so these are left out.
_UNUSED_BUNDLE_FILES = (
    "pagefind-ui.",
    "pagefind-component-ui.",
    "pagefind-modular-ui.",
    "pagefind-highlight.",
    "wasm.unknown.",
)
# What `mergeIndex` reads from a merged shard: its entry, metadata, index chunks, fragments and
# filters. It runs on the first shard's script, worker and WebAssembly, so those are left out.
_MERGED_SHARD_FILES = re.compile(r"pagefind-entry\.json|pagefind\.[^/]+\.pf_meta|(index|fragment|filter)/[^/]+")
SHARDS_FILE = "shards.json"
_MARK = b" data-pagefind-body"
# In a page's head, Pagefind indexes no text: it reads only the title (a result's title when the
# page has no h1), `data-pagefind-*` attributes, and `id`s (each numbers an anchor).
_HEAD_READ_BY_PAGEFIND = re.compile(rb"(?i)data-pagefind|\sid\s*=")
_TITLE = re.compile(rb"(?is)<title>.*?</title>")
_YEAR_FOLDER = re.compile(r"([0-9]{3})[0-9]/")


def _indexing_problem(message: str) -> ContentErrors:
    return ContentErrors([ContentError("templates", 1, "search index", message)])


def _executable() -> Path | None:
    """The executable PAGEFIND_BINARY_PATH names, else the one the `pagefind[bin]` dependency
    installs, else one on PATH: as Pagefind's Python service finds it, without importing that
    service, which brings asyncio (start-up time)."""
    configured = os.environ.get("PAGEFIND_BINARY_PATH")
    if configured:
        return Path(configured)
    try:
        from pagefind_bin import get_executable

        return Path(get_executable())
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        return Path(found) if found is not None else None


def _run_pagefind(site: Path, bundle: Path, language: str) -> None:
    # The command rather than Pagefind's Python service: the service reads each answer through
    # a 2 MiB buffer and waits for ever once the bundle outgrows it (about 1,000 statements).
    executable = _executable()
    if executable is None:
        raise _indexing_problem("Pagefind failed: the pagefind executable is not installed")
    command = [str(executable), "--site", str(site), "--output-path", str(bundle), "--force-language", language, "--silent"]
    # Run in an empty folder with Pagefind's own settings removed from the environment, so that
    # no pagefind.yml or PAGEFIND_* variable on the machine changes the index.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    try:
        done = subprocess.run(command, cwd=site.parent, env=environment, capture_output=True, text=True, check=False)
    except OSError as error:
        raise _indexing_problem(f"Pagefind failed: {error}") from None
    if done.returncode != 0:
        output = " ".join((done.stderr + done.stdout).split()) or f"exit status {done.returncode}"
        raise _indexing_problem(f"Pagefind failed: {output}")


def shard_of(output_path: str) -> str:
    """The search shard of a page, by its output path: "claims" for the claim pages, the
    decade ("2010s") for pages below a year's folder ("2013/..."), "site" for the rest.
    Shard names are folders of the published bundle: keep them stable."""
    if output_path.startswith("claims/"):
        return "claims"
    year = _YEAR_FOLDER.match(output_path)
    if year is not None:
        return f"{year.group(1)}0s"
    return "site"


class _ShardRun:
    """One shard's Pagefind run, in a temporary folder: its pages in `site/`, its bundle in `bundle/`.

    The files are written and read back on the caller's thread; the worker thread only waits
    for Pagefind. A worker thread doing that file work itself waited for Python's lock behind
    the busy caller for longer than Pagefind took.
    """

    def __init__(self, pages: dict[str, bytes]) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="search-index-"))
        # Pagefind derives each result's URL from the page's place in this folder, so the
        # URLs are root-relative ("/2024/statement-2024-06-25/"); the search page prefixes the
        # site's base path when it shows them. Unmarked pages are left out: once any page is
        # marked, Pagefind indexes marked pages only.
        self.site, self.bundle = self._folder / "site", self._folder / "bundle"
        try:
            for name, content in pages.items():
                target = self.site / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(_as_indexed(content))
        except BaseException:
            self.discard()
            raise

    def files(self) -> dict[str, bytes]:
        """Pagefind's bundle, without the unused files; the folder is removed."""
        try:
            found = {path.relative_to(self.bundle).as_posix(): path.read_bytes() for path in self.bundle.rglob("*") if path.is_file()}
        finally:
            self.discard()
        return {
            path: content
            for path, content in sorted(found.items())
            if not path.startswith(_UNUSED_BUNDLE_FILES) and not path.startswith("playground/")
        }

    def discard(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


def _as_indexed(page: bytes) -> bytes:
    """The page with its head cut down to the title, when nothing else in it counts for Pagefind:
    the same index from less to parse (a statement page's head is a third of it: metadata for
    citation managers and link previews). Any other head is left whole."""
    start = page.find(b"<head>")
    end = page.find(b"</head>", start)
    if start < 0 or end < 0:
        return page
    head = page[start + len(b"<head>") : end]
    if _HEAD_READ_BY_PAGEFIND.search(head):
        return page
    title = _TITLE.search(head)
    return page[: start + len(b"<head>")] + (title.group() if title else b"") + page[end:]


def _shard_inputs(shard: str, pages: dict[str, Content], language: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """What a shard's index is made from: each page by its key (the digest of what it is rendered
    from, so a remembered page is not read back to be digested), or by its bytes' hash."""
    return shard, language, tuple(sorted((name, _page_key(content)) for name, content in pages.items()))


def _page_key(content: Content) -> str:
    return "key:" + content.key if isinstance(content, Keyed) else "sha256:" + hashlib.sha256(content).hexdigest()


class SearchIndexer:
    """Indexes shards as their pages are handed over, while the caller goes on rendering.

    Each shard's Pagefind run goes to a worker thread (Pagefind is a process of its own, so
    runs overlap with the caller's work and with each other); remembered shards come from the
    memo. The memo is used on the caller's thread only: it is not thread-safe. A caller that
    renders faster than Pagefind indexes waits once one shard per core is running and another
    is queued, so queued shards do not pile up (each holds a temporary copy of its pages).
    """

    def __init__(self, language: str, memo: Memo) -> None:
        self._language = language
        self._memo = memo
        cores = available_cores()
        self._pool = ThreadPoolExecutor(max_workers=cores)
        self._unfinished_at_most = cores + 1
        self._bundles: dict[str, dict[str, bytes]] = {}
        self._running: dict[str, tuple[str | None, _ShardRun, Future[None]]] = {}

    def __enter__(self) -> SearchIndexer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # On a failed build too: no Pagefind run outlives the build that asked for it.
        self._pool.shutdown(cancel_futures=True)
        for _, run, _ in self._running.values():
            run.discard()

    def add(self, pages: Mapping[str, Content]) -> None:
        """Hand over pages (output path -> content); each of their shards must be complete.

        A shard is known by all its pages, marked or not, so that a remembered shard's pages are
        never read; a shard with no marked page is remembered as an empty bundle."""
        shards: dict[str, dict[str, Content]] = {}
        for name in sorted(pages):
            shards.setdefault(shard_of(name), {})[name] = pages[name]
        for shard, shard_pages in shards.items():
            if shard in self._bundles or shard in self._running:
                raise ValueError(f"search shard {shard!r} was handed over in parts")
            key = self._memo.key(_shard_inputs(shard, shard_pages, self._language))
            remembered = self._memo.recall("search index", key, durable=True)
            if remembered is not None:
                self._bundles[shard] = remembered
                continue
            marked = {
                name: content for name, content in ((name, content_of(page)) for name, page in shard_pages.items()) if _MARK in content
            }
            if not marked:
                self._bundles[shard] = {}
                self._memo.keep("search index", key, self._bundles[shard], durable=True)
                continue
            _executable()  # found on this thread, not concurrently in the pool's
            self._wait_for_room()
            run = _ShardRun(marked)
            self._running[shard] = (key, run, self._pool.submit(_run_pagefind, run.site, run.bundle, self._language))

    def _wait_for_room(self) -> None:
        unfinished = [running for _, _, running in self._running.values() if not running.done()]
        while len(unfinished) >= self._unfinished_at_most:
            unfinished = list(wait(unfinished, return_when=FIRST_COMPLETED).not_done)

    def bundle(self) -> dict[str, bytes]:
        """The search bundle's files (output path -> bytes), once every shard is indexed."""
        for shard in sorted(self._running):  # the first failing shard's problem is raised
            key, run, running = self._running[shard]
            running.result()
            self._bundles[shard] = run.files()
            self._memo.keep("search index", key, self._bundles[shard], durable=True)
        self._running = {}
        indexed = sorted(shard for shard, bundle in self._bundles.items() if bundle)
        if not indexed:
            # Pagefind would then index every page whole, menus and repeated texts included.
            raise _indexing_problem("no page is marked with data-pagefind-body")
        primary, *merged = indexed
        files = {urls.SEARCH_BUNDLE + path: content for path, content in self._bundles[primary].items()}
        for shard in merged:
            files.update(
                {
                    f"{urls.SEARCH_BUNDLE}{shard}/{path}": content
                    for path, content in self._bundles[shard].items()
                    if _MERGED_SHARD_FILES.fullmatch(path)
                }
            )
        listed = json.dumps([f"{shard}/" for shard in merged]) + "\n"
        files[urls.SEARCH_BUNDLE + SHARDS_FILE] = listed.encode()
        return dict(sorted(files.items()))


def search_files(pages: Mapping[str, Content], language: str, memo: Memo | None = None) -> dict[str, bytes]:
    """Pagefind's bundle for the given HTML pages (output path -> bytes), as output files
    below the search bundle's folder, one shard per `shard_of`.

    With a memo kept from an earlier build, only the shards whose pages changed are indexed
    again; the result is the same."""
    with SearchIndexer(language, Memo(remember=False) if memo is None else memo) as indexer:
        indexer.add(pages)
        return indexer.bundle()
