"""The search index: Pagefind run on the rendered pages, before anything is written.

Pagefind indexes what the templates mark with `data-pagefind-body` (statement, claim and year
pages). It runs as a service (`pagefind --service`) that is handed the pages and hands back its
bundle in memory, so nothing is copied to disk and read back, and the index joins the other
output files, swapped in atomically with them: a failed indexing leaves the previous site untouched.
The pages are handed over in the order of their paths, so the bundle is the same on every
machine (Pagefind's command takes a folder's pages in the order the file system lists them).

The index is split into shards by output path (the claims, each decade of report years, split
into runs of years once a decade is large, the rest), each a Pagefind index of its own,
remembered by the build's memo, so an edit re-indexes only its shard. The first shard keeps
Pagefind's whole bundle at the bundle's folder; the others keep only their index below it,
listed in `shards.json`, and the search page merges them into the first with Pagefind's
`mergeIndex`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from . import urls
from .background import widen_pipe
from .csl import available_cores
from .errors import ContentError, ContentErrors
from .indexed_html import MARK, as_indexed
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
_YEAR_FOLDER = re.compile(r"([0-9]{3})[0-9]/")
# A decade's shard is split into runs of years once it holds more pages than this (`shards_of`).
SHARD_PAGES = 60
_RUNS_OF_A_DECADE = (1, 2, 5, 10)
_KEPT_ERROR_OUTPUT = 4096  # bytes of Pagefind's error output kept for a failure's message
# What the memo keeps of an indexed shard: its bundle, and apart from it the bundle's paths.
_BUNDLE = "search index"
_PATHS = "search index paths"


def _indexing_problem(message: str) -> ContentErrors:
    return ContentErrors([ContentError("templates", 1, "search index", message)])


def _executable() -> Path | None:
    """The executable PAGEFIND_BINARY_PATH names, else the one the `pagefind[bin]` dependency
    installs, else one on PATH: as Pagefind's Python service finds it, without importing that
    service, which brings asyncio (start-up time)."""
    configured = os.environ.get("PAGEFIND_BINARY_PATH")
    if configured:
        return Path(configured)
    installed = _installed_executable()
    if installed is not None:
        return installed
    found = shutil.which("pagefind")
    return Path(found) if found is not None else None


# The names `pagefind_bin.get_executable` looks for in its package's folder, in its order.
_INSTALLED_NAMES = ("pagefind_extended.exe", "pagefind.exe") if sys.platform == "win32" else ("pagefind_extended", "pagefind")


def _installed_executable() -> Path | None:
    """The executable of the `pagefind[bin]` dependency, looked for as `pagefind_bin` looks for
    it, without importing that package first: it imports logging and platform, about 4 ms just
    before the first shard goes to Pagefind. It is asked only if neither name is a file there."""
    import importlib.util

    spec = importlib.util.find_spec("pagefind_bin")
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        for name in _INSTALLED_NAMES:
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
    try:
        from pagefind_bin import get_executable

        return Path(get_executable())
    except (ImportError, FileNotFoundError):
        return None


def _url_of(output_path: str) -> str:
    """The address Pagefind gives a page, as its command derives it from the page's file: root-relative
    ("/2024/statement-2024-06-25/"); the search page prefixes the site's base path when it shows it."""
    if output_path == "index.html" or output_path.endswith("/index.html"):
        output_path = output_path.removesuffix("index.html")
    return "/" + output_path


class _Service:
    """One `pagefind --service` process, speaking its protocol: each request and each answer is
    base64-encoded JSON followed by a comma, and answers carry the request's `message_id`.

    Pagefind's own Python service is not used: it reads answers through a 2 MiB buffer and waits
    for ever once a bundle outgrows it (about 1,000 statements), and it brings asyncio.

    Pagefind reads its input on a thread of its own, handles the requests one at a time in order,
    and queues its answers; they are read here only when a shard's bundle is wanted, so neither
    side ever waits for the other to empty a pipe. It numbers a new index by how many it has made
    before (`_Shard.files` checks the number it answers).
    """

    def __init__(self, executable: Path) -> None:
        # Pagefind's own settings are removed from the environment, so that no PAGEFIND_*
        # variable on the machine changes the index (the service reads no pagefind.yml).
        environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
        try:
            self._process = subprocess.Popen(
                [str(executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
            )
        except OSError as error:
            raise _indexing_problem(f"Pagefind failed: {error}") from None
        self._input: IO[bytes] = self._process.stdin  # type: ignore[assignment]  # all three are pipes
        self._output: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        # A shard's pages (about a megabyte) fit in the pipe at once where the system allows, so
        # that handing them over does not wait for Pagefind to read them (it decodes each as it
        # reads); and so does most of a shard's bundle (1.3 MB, most of it files the site drops),
        # so that Pagefind writes it while the build goes on, instead of a pipe's 64 KB at a time
        # once the build asks for it.
        for pipe in (self._input, self._output):
            widen_pipe(pipe.fileno())
        self._error_output = bytearray()
        # Drained as it comes, so that Pagefind never waits on a full pipe for its warnings.
        self._drain = threading.Thread(target=self._keep_error_output, daemon=True)
        self._drain.start()
        self._sent = 0  # message ids used
        self._answered = 0  # answers received (each ends with the one comma base64 never holds)
        self._indexes = 0  # indexes begun
        self.pages = 0  # pages handed over: the process holds their index in memory until it ends
        self._received = bytearray()
        self._scanned = 0  # bytes of _received known to hold no separator
        self._answers: dict[int, dict[str, Any]] = {}
        self._stopped = False

    def _keep_error_output(self) -> None:
        error_output: IO[bytes] = self._process.stderr  # type: ignore[assignment]
        for line in error_output:
            if len(self._error_output) < _KEPT_ERROR_OUTPUT:
                self._error_output += line

    @property
    def begun(self) -> bool:
        """Whether it has been handed an index."""
        return self._indexes > 0

    def open(self, language: str) -> _Shard:
        """Begin a new index; its pages follow one at a time, in the order of their paths (`_Shard.add`)."""
        index_id = self._indexes
        self._indexes += 1
        return _Shard(self, index_id, self.send({"type": "NewIndex", "config": {"force_language": language}}))

    def index(self, language: str, pages: Mapping[str, bytes]) -> _Shard:
        """Hand over a whole shard's pages (output path -> HTML), in the order of their paths."""
        shard = self.open(language)
        for name in sorted(pages):
            shard.add(name, pages[name])
        shard.close()
        return shard

    def send(self, request: dict[str, Any]) -> int:
        """Send a request at once; its message id."""
        # orjson: a shard's pages encoded three times as fast as by json (equivalent JSON; the same bundles).
        import orjson

        self._sent += 1
        try:
            self._input.write(base64.b64encode(orjson.dumps({"message_id": self._sent, "payload": request})) + b",")
            self._input.flush()
        except OSError:
            raise self._failure() from None
        return self._sent

    def backlog(self) -> int:
        """How many requests are still unanswered, after taking in the answers already sent
        (without waiting for more): 0 when the process is idle."""
        while self._answered < self._sent and select.select([self._output], [], [], 0)[0]:
            if not self._take_in():
                break  # it stopped: `answer` reports why
        self._decode_received()
        return self._sent - self._answered

    def _take_in(self) -> bool:
        """Read what Pagefind has sent (waiting for something if nothing is there); False at its end."""
        chunk = self._output.read1(1 << 20)  # type: ignore[attr-defined]  # a BufferedReader
        self._received += chunk
        self._answered += chunk.count(b",")
        return bool(chunk)

    def _decode_received(self) -> None:
        """Decode every complete answer taken in. A bundle's files the site does not use (most of
        its size) are dropped at once, so that answers taken in early hold little memory."""
        while (end := self._received.find(b",", self._scanned)) >= 0:
            answer = json.loads(base64.b64decode(self._received[:end]))
            del self._received[: end + 1]
            self._scanned = 0
            if not isinstance(answer, dict) or not isinstance(answer.get("payload"), dict):
                raise _indexing_problem(f"Pagefind failed: an answer of an unknown form: {str(answer)[:200]}")
            if "message_id" not in answer:  # a request it could not read
                raise _indexing_problem(f"Pagefind failed: {answer['payload'].get('message', answer['payload'])}")
            payload = answer["payload"]
            if payload.get("type") == "GetFiles" and isinstance(payload.get("files"), list):
                payload["files"] = [file for file in payload["files"] if _used(file["path"])]
            self._answers[answer["message_id"]] = payload
        self._scanned = len(self._received)

    def answer(self, message_id: int) -> dict[str, Any]:
        """The answer to a request, reading Pagefind's answers in order until it comes."""
        self._decode_received()
        while message_id not in self._answers:
            if not self._take_in():
                raise self._failure()
            self._decode_received()
        return self._answers.pop(message_id)

    def _failure(self) -> ContentErrors:
        try:
            status = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.close()
            status = self._process.returncode
        self._drain.join(timeout=5)
        output = " ".join(self._error_output.decode(errors="replace").split())
        return _indexing_problem(f"Pagefind failed: {output or f'it stopped (exit status {status})'}")

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Have the process end, without waiting for it to (`close` waits): it is asked nothing more."""
        self._stopped = True
        if self._process.poll() is None:
            self._process.kill()

    def close(self) -> None:
        """End the process (at once if it is still working: its answers are not wanted)."""
        self.stop()
        self._process.wait()
        self._drain.join(timeout=5)
        for pipe in (self._input, self._output, self._process.stderr):
            if pipe is not None:
                pipe.close()


# What `start_pagefind` gives: a service, to hand to the indexer.
PagefindProcess = _Service


def start_pagefind() -> PagefindProcess | None:
    """A Pagefind process started now, before the build needs it, for a build likely to index a
    shard (a rebuild after an edit): started while the build reads the archive, in a smaller
    process, it is ready when the first shard comes instead of being started then (2 to 7 ms on
    the way to the first shard). None if the executable is missing or cannot be started: the
    indexer then reports that when a shard comes. Closed by the indexer it is handed to, or by
    its own `close`."""
    executable = _executable()
    if executable is None:
        return None
    try:
        return _Service(executable)
    except ContentErrors:
        return None


class _Shard:
    """An index begun by a Pagefind service: its pages are added one at a time, each indexed as it
    comes, in the order of their paths (the bundle depends on the order); `close` asks for the
    bundle, and `files()` reads it back."""

    def __init__(self, service: _Service, index_id: int, created: int) -> None:
        self._service = service
        self._index_id = index_id
        # The message ids of its requests: the new index's, each page's (with its path), the bundle's.
        self._created = created
        self._added: list[tuple[str, int]] = []
        self._bundle: int | None = None

    def add(self, name: str, page: bytes) -> None:
        if self._bundle is not None or (self._added and name <= self._added[-1][0]):
            raise ValueError(f"search index page {name!r} handed over out of the order of the paths, or after the bundle")
        self._service.pages += 1
        request = {"type": "AddFile", "index_id": self._index_id, "url": _url_of(name), "file_contents": page.decode()}
        self._added.append((name, self._service.send(request)))

    def close(self) -> None:
        """Every page is added: ask for the bundle."""
        if self._bundle is None:
            self._bundle = self._service.send({"type": "GetFiles", "index_id": self._index_id})

    def files(self) -> dict[str, bytes]:
        """Pagefind's bundle for the shard, without the unused files."""
        self.close()
        assert self._bundle is not None
        created = self._service.answer(self._created)
        if created.get("type") != "NewIndex" or created.get("index_id") != self._index_id:
            raise _indexing_problem(f"Pagefind failed: it answered {_shown(created)} when index {self._index_id} was made")
        for name, message in self._added:
            added = self._service.answer(message)
            if added.get("type") != "IndexedFile":
                raise _indexing_problem(f"Pagefind failed on {name}: {_shown(added)}")
        bundle = self._service.answer(self._bundle)
        if bundle.get("type") != "GetFiles":
            raise _indexing_problem(f"Pagefind failed: it answered {_shown(bundle)} when asked for the bundle")
        return {file["path"]: base64.b64decode(file["content"]) for file in sorted(bundle["files"], key=lambda file: file["path"])}


def _used(bundle_path: str) -> bool:
    """Whether the site uses a file of Pagefind's bundle."""
    return not bundle_path.startswith(_UNUSED_BUNDLE_FILES) and not bundle_path.startswith("playground/")


def _shown(answer: dict[str, Any]) -> str:
    """An answer of Pagefind's, briefly: its error message, else its beginning."""
    return str(answer.get("message") or json.dumps(answer)[:200])


def shard_of(output_path: str) -> str:
    """The search shard a page belongs to before a large decade is split (see `shards_of`), by its
    output path: "claims" for the claim pages, the decade ("2010s") for pages below a year's
    folder ("2013/..."), "site" for the rest."""
    if output_path.startswith("claims/"):
        return "claims"
    year = _YEAR_FOLDER.match(output_path)
    if year is not None:
        return f"{year.group(1)}0s"
    return "site"


def shards_of(output_paths: Iterable[str]) -> dict[str, str]:
    """The search shard of each page of a site, by the pages' output paths: `shard_of`, except
    that a decade of more than SHARD_PAGES pages is split into equal runs of years (halves,
    fifths or single years; "2020-2024", "2025-2029"), the fewest that bring each run to
    SHARD_PAGES pages on average. Shard names are folders of the published bundle.

    Re-indexing a shard costs about 2.5 ms a page, and an edit re-indexes its page's whole shard;
    each shard also costs the search page a request per query, so shards are not made smaller
    than that. Adding pages to a decade can split it; that re-indexes only that decade, which
    changed anyway."""
    first = {path: shard_of(path) for path in output_paths}
    runs_of = {
        shard: next((runs for runs in _RUNS_OF_A_DECADE if size <= SHARD_PAGES * runs), _RUNS_OF_A_DECADE[-1])
        for shard, size in Counter(first.values()).items()
    }
    plan: dict[str, str] = {}
    for path, shard in first.items():
        runs = runs_of[shard]
        if runs == 1 or _YEAR_FOLDER.match(path) is None:
            plan[path] = shard
            continue
        decade, years = int(shard[:-1]), 10 // runs
        start = decade + (int(path[:4]) - decade) // years * years
        plan[path] = f"{start}" if years == 1 else f"{start}-{start + years - 1}"
    return plan


def pages_by_shard(plan: Mapping[str, str]) -> dict[str, list[str]]:
    """The pages of each shard, from a page -> shard plan."""
    shards: dict[str, list[str]] = {}
    for path, shard in plan.items():
        shards.setdefault(shard, []).append(path)
    return shards


def _shard_inputs(shard: str, pages: dict[str, Content], language: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """What a shard's index is made from: each page by its key (the digest of what it is rendered
    from, so a remembered page is not read back to be digested), or by its bytes' hash."""
    return shard, language, tuple(sorted((name, _page_key(content)) for name, content in pages.items()))


def _page_key(content: Content) -> str:
    return "key:" + content.key if isinstance(content, Keyed) else "sha256:" + hashlib.sha256(content_of(content)).hexdigest()


class _RememberedShard:
    """A shard indexed by an earlier build: the paths of its bundle are known, its files are read
    back only when one is asked for. A rebuild's writer takes an unchanged shard's files on the
    manifest's word, so most are never read (unpickling every shard's bundle took a twentieth of
    a warm rebuild at 1,000 statements)."""

    def __init__(self, paths: tuple[str, ...], read_back: Callable[[], Any | None], index_again: Callable[[], dict[str, bytes]]) -> None:
        self.paths = paths
        self._read_back = read_back
        self._index_again = index_again
        self._files: dict[str, bytes] | None = None

    def file(self, path: str) -> bytes:
        if self._files is None:
            # Gone or damaged since it was found (another build swept the store): indexed again, the same.
            self._files = self._read_back() or self._index_again()
        return self._files[path]


class SearchIndexer:
    """Indexes shards as their pages are handed over, while the caller goes on rendering.

    Each shard goes to a Pagefind service (one per core, started when first needed; then an idle
    one, or the least busy), which indexes it while the caller renders the rest; remembered
    shards come from the memo. The memo is used on the caller's thread only: it is not thread-safe.
    """

    def __init__(self, language: str, memo: Memo, started: PagefindProcess | None = None) -> None:
        self._language = language
        self._memo = memo
        self._cores = available_cores()
        # A process started earlier (`start_pagefind`) is the first service, and closed with the others.
        self._services: list[_Service] = [started] if started is not None else []
        self._bundles: dict[str, dict[str, bytes]] = {}
        self._remembered: dict[str, _RememberedShard] = {}
        self._keys: dict[str, str] = {}  # a remembered or indexed shard's key, when the memo remembers
        self._running: dict[str, tuple[str | None, _Shard]] = {}

    def __enter__(self) -> SearchIndexer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # On a failed build too: no Pagefind process outlives the build that asked for it.
        for service in self._services:
            service.close()

    def add(self, shard: str, pages: Mapping[str, Content]) -> None:
        """Hand over a shard's pages (output path -> content), all of them at once.

        A shard is known by all its pages, marked or not, so that a remembered shard's pages are
        never read; a shard with no marked page is remembered as an empty bundle."""
        self.add_many({shard: pages})

    def add_many(self, shards: Mapping[str, Mapping[str, Content]]) -> None:
        """`add` each shard (name -> its pages), the memo asked about them together: a rebuild
        hands over its unchanged shards so (one look-up instead of two a shard)."""
        self._hand_over({shard: {name: pages[name] for name in sorted(pages)} for shard, pages in shards.items()}, {})

    def feed(self, shard: str, *, at_once: bool) -> ShardFeed:
        """Hand over a shard's pages one at a time as they are rendered, in the order of their
        paths. With `at_once`, each marked page goes to Pagefind as it comes, which indexes it
        while the next renders; that makes or reads back every page as it comes, which a shard
        whose index proves remembered would not need, so it is for a shard whose index is wanted
        anew (its pages new, or edited). Otherwise the shard is taken whole once closed, as `add` takes it."""
        self._check_new(shard)
        return ShardFeed(self, shard, at_once=at_once)

    def _check_new(self, shard: str) -> None:
        if shard in self._bundles or shard in self._remembered or shard in self._running:
            raise ValueError(f"search shard {shard!r} was handed over in parts")

    def _hand_over(self, shards: dict[str, dict[str, Content]], begun: Mapping[str, _Shard]) -> None:
        """Take each shard (name -> its pages, in the order of their paths): remembered, or
        indexed (its index `begun` already, if its pages were fed)."""
        keys: dict[str, str | None] = {}
        for shard, pages in shards.items():
            self._check_new(shard)
            keys[shard] = self._memo.key(_shard_inputs(shard, pages, self._language))
        known = [key for key in keys.values() if key is not None]
        listed = self._memo.recall_many(_PATHS, known, durable=True)
        reads = dict(zip(listed, self._memo.promises(_BUNDLE, list(listed), durable=True), strict=True))
        for shard, shard_pages in shards.items():
            key = keys[shard]
            if key is not None:
                self._keys[shard] = key
                paths: tuple[str, ...] | None = listed.get(key)
                read_back = reads.get(key)
                if paths is not None and read_back is not None:
                    # An index begun for it is left unasked: it would make the same bundle.
                    self._remembered[shard] = _RememberedShard(paths, read_back, functools.partial(self._index_now, key, shard_pages))
                    continue
            index = begun.get(shard)
            if index is None:
                marked = _marked(shard_pages)
                index = self._service().index(self._language, marked) if marked else None
            if index is None:
                self._keep(key, {})
                self._bundles[shard] = {}
                continue
            index.close()
            self._running[shard] = (key, index)

    def _keep(self, key: str | None, bundle: dict[str, bytes]) -> None:
        self._memo.keep(_BUNDLE, key, bundle, durable=True)
        self._memo.keep(_PATHS, key, tuple(bundle), durable=True)

    def _index_now(self, key: str, pages: dict[str, Content]) -> dict[str, bytes]:
        marked = _marked(pages)
        bundle = self._service().index(self._language, marked).files() if marked else {}
        self._keep(key, bundle)
        return bundle

    def begin(self) -> _Shard:
        """A new index, on the service `_service` chooses."""
        return self._service().open(self._language)

    def _stop_services(self) -> None:
        for service in self._services:
            service.stop()

    def _service(self) -> _Service:
        """One started ahead and handed nothing yet; else a new service while there are fewer
        than cores (each holds its shards' indexes, so spreading them keeps the largest process
        smaller), else the one with the fewest requests still unanswered (an idle one if any),
        and of those the one handed fewer pages. The choice depends on timing, but a shard's
        index depends only on its pages, so it changes no byte."""
        live = [service for service in self._services if not service.stopped]
        unused = next((service for service in live if not service.begun), None)
        if unused is not None:
            return unused
        if len(live) < self._cores:
            executable = _executable()
            if executable is None:
                raise _indexing_problem("Pagefind failed: the pagefind executable is not installed")
            self._services.append(_Service(executable))
            return self._services[-1]
        return min(live, key=lambda service: (service.backlog(), service.pages))

    def bundle(self) -> Iterator[tuple[str, Content]]:
        """The search bundle's files (output path, content), once every shard is handed over: first
        those of the shards known already (remembered, or indexed), then each of those Pagefind
        still indexes as its bundle comes, then the list of shards. A rebuild's writer thus checks
        the unchanged shards' thousand files while Pagefind indexes the edited one, instead of after.
        A shard's files are `Keyed` by the shard's key, so that a rebuild's writer knows an unchanged
        shard's files by their record instead of reading each back to compare it."""
        paths_of = {shard: tuple(bundle) for shard, bundle in self._bundles.items()}
        paths_of.update((shard, remembered.paths) for shard, remembered in self._remembered.items())
        # A shard being indexed was handed a marked page, so its bundle has files.
        indexed = sorted([shard for shard, paths in paths_of.items() if paths] + list(self._running))
        if not indexed:
            # Pagefind would then index every page whole, menus and repeated texts included.
            raise _indexing_problem("no page is marked with data-pagefind-body")
        primary = indexed[0]
        for shard in sorted(paths_of):
            yield from self._files_of(shard, paths_of[shard], primary)
        # In the order they were handed over, the first failing shard's problem raised: the first
        # ones' bundles are read and decoded while Pagefind still indexes the last.
        running, self._running = self._running, {}
        for number, (shard, (key, index)) in enumerate(running.items(), start=1):
            self._bundles[shard] = index.files()
            if not self._bundles[shard]:
                raise _indexing_problem(f"Pagefind failed: it made no files for the pages of search shard {shard!r}")
            if number == len(running):
                self._stop_services()  # asked nothing more: they end while the writer goes on
            self._keep(key, self._bundles[shard])
            yield from self._files_of(shard, tuple(self._bundles[shard]), primary)
        listed = json.dumps([f"{shard}/" for shard in indexed[1:]]) + "\n"
        yield urls.SEARCH_BUNDLE + SHARDS_FILE, listed.encode()

    def _files_of(self, shard: str, paths: tuple[str, ...], primary: str) -> Iterator[tuple[str, Content]]:
        """A shard's files in the bundle: the primary's all, at the bundle's folder; another's,
        those `mergeIndex` reads, in a folder of its own."""
        for path in paths:
            if shard == primary:
                yield urls.SEARCH_BUNDLE + path, self._file(shard, path)
            elif _MERGED_SHARD_FILES.fullmatch(path):
                yield f"{urls.SEARCH_BUNDLE}{shard}/{path}", self._file(shard, path)

    def _file(self, shard: str, path: str) -> Content:
        """A file of a shard's bundle, by its path in the bundle: its bytes are fixed by the shard's key."""
        if shard in self._remembered:
            return Keyed(f"{self._keys[shard]}/{path}", functools.partial(self._remembered[shard].file, path))
        content = self._bundles[shard][path]
        key = self._keys.get(shard)
        return content if key is None else Keyed(f"{key}/{path}", functools.partial(bytes, content))


class ShardFeed:
    """A shard's pages handed to the indexer one at a time (`SearchIndexer.feed`), in the order of
    their paths (Pagefind's bundle depends on the order), then `close`d. Fed `at_once`, each page
    marked for the index goes to a Pagefind service as it comes, so that the index is made while
    the rest of the shard renders; once closed, the shard is remembered or indexed as `add` would
    (an index begun for a shard that proves remembered is left unasked)."""

    def __init__(self, indexer: SearchIndexer, shard: str, *, at_once: bool) -> None:
        self._indexer = indexer
        self._shard = shard
        self._at_once = at_once
        self._pages: dict[str, Content] = {}
        self._index: _Shard | None = None

    def add(self, name: str, content: Content) -> None:
        if self._pages and name <= next(reversed(self._pages)):
            raise ValueError(f"search shard {self._shard!r}: {name!r} handed over out of the order of the paths")
        self._pages[name] = content
        if not self._at_once:
            return
        page = content_of(content)
        if MARK in page:
            if self._index is None:
                self._index = self._indexer.begin()
            self._index.add(name, as_indexed(page))

    def close(self) -> None:
        self._indexer._hand_over({self._shard: self._pages}, {self._shard: self._index} if self._index is not None else {})


def _marked(pages: Mapping[str, Content]) -> dict[str, bytes]:
    """The pages Pagefind indexes, those marked with `data-pagefind-body`, as it is handed them."""
    # `as_indexed` keeps the marked elements: a page marked before the cut is marked after it.
    return {name: as_indexed(content) for name, content in ((name, content_of(page)) for name, page in pages.items()) if MARK in content}


def search_files(pages: Mapping[str, Content], language: str, memo: Memo | None = None) -> dict[str, bytes]:
    """Pagefind's bundle for the given HTML pages (output path -> bytes), as output files
    below the search bundle's folder, one shard per `shards_of`.

    With a memo kept from an earlier build, only the shards whose pages changed are indexed
    again; the result is the same."""
    with SearchIndexer(language, Memo(remember=False) if memo is None else memo) as indexer:
        for shard, names in pages_by_shard(shards_of(pages)).items():
            indexer.add(shard, {name: pages[name] for name in names})
        return {path: content_of(content) for path, content in indexer.bundle()}
