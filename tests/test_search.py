"""Full-text search: the Pagefind bundle built with the site, the search page's policy, and
real searches in Chromium for phrases of every statement, claim labels and archive notes."""

from __future__ import annotations

import functools
import html
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from site_builder import background, indexed_html, loader, urls
from site_builder import search as search_module
from site_builder.build_cache import BuildCache
from site_builder.cli import main
from site_builder.errors import ContentErrors
from site_builder.memo import Memo
from site_builder.model import Archive, Statement
from site_builder.render import render_site
from site_builder.search import SHARD_PAGES, SHARDS_FILE, search_files, shard_of, shards_of
from site_builder.views import NO_SCRIPT_POLICY, SEARCH_POLICY
from site_builder.writer import Content, Keyed, content_of, write_site
from tests.conftest import ROOT, file_digests

pytest.register_assert_rewrite("tests.browser_support")
from tests.browser_support import HOST, Watched, open_page, serve_folder  # noqa: E402

pytest_plugins = ["tests.browser_support"]

CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def policy_of(page: Path) -> str:
    found = CSP.findall(page.read_text(encoding="utf-8"))
    assert len(found) == 1, f"{page}: {len(found)} policies"
    return html.unescape(found[0])


def middle_words(text: str, count: int = 6) -> str:
    """A run of words from the middle of a text: a phrase no test picked by hand."""
    words = text.split()
    start = max(0, len(words) // 2 - count // 2)
    return " ".join(words[start : start + count])


def note_text(statement: Statement) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", statement.notes_html)).replace("↩︎", " ")


# The bundle and the pages' policies


def test_the_search_bundle_is_built_with_the_site(site_files: dict[str, bytes], archive: Archive) -> None:
    bundle = {name.removeprefix(urls.SEARCH_BUNDLE) for name in site_files if name.startswith(urls.SEARCH_BUNDLE)}
    assert {"pagefind.js", "pagefind-worker.js", "pagefind-entry.json", "wasm.en.pagefind", SHARDS_FILE} <= bundle
    assert any(name.startswith("index/") for name in bundle) and any(name.startswith("fragment/") for name in bundle)
    assert not any(name.startswith(("pagefind-ui", "pagefind-component-ui", "playground/")) for name in bundle), "unused UI shipped"
    # The real archive's shards: its two decades and the claims. The first decade is the
    # primary (at the bundle's folder); the others are listed for the search page to merge.
    merged = json.loads(site_files[urls.SEARCH_BUNDLE + SHARDS_FILE])
    assert merged == ["2020s/", "claims/"]
    counts = {}
    for folder in ["", *merged]:
        entry = json.loads(site_files[f"{urls.SEARCH_BUNDLE}{folder}pagefind-entry.json"])
        counts[folder] = entry["languages"]["en"]["page_count"]
    assert counts["claims/"] == len(archive.claims)
    # Statement pages, claim pages and year pages are indexed; nothing else.
    assert sum(counts.values()) == len(archive.statements) + len(archive.claims) + len(archive.years)
    # A merged shard keeps its index only: it runs on the primary's script, worker and WebAssembly.
    for folder in merged:
        files = {name.removeprefix(folder) for name in bundle if name.startswith(folder)}
        assert any(name.startswith("index/") for name in files) and any(name.startswith("fragment/") for name in files), folder
        assert not any(name.endswith((".js", ".pagefind")) for name in files), f"{folder}: {sorted(files)}"
    assert {name for name in bundle if name.endswith((".js", ".pagefind"))} == {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"}


@pytest.mark.parametrize(
    ("path", "shard"),
    [
        ("claims/law-6-2008/index.html", "claims"),
        ("claims/index.html", "claims"),
        ("2013/index.html", "2010s"),
        ("2013/statement-2013/index.html", "2010s"),
        ("2019/statement-2019-06-20/index.html", "2010s"),
        ("2020/statement-2020-06-26/index.html", "2020s"),
        ("1999/index.html", "1990s"),
        ("2100/index.html", "2100s"),
        ("index.html", "site"),
        ("about/index.html", "site"),
        ("2013.html", "site"),
        ("201/index.html", "site"),
        ("20130/index.html", "site"),
        ("about/2013/index.html", "site"),
        ("claimsx/index.html", "site"),
        ("\u0662\u0660\u0661\u0663/index.html", "site"),  # Arabic-Indic digits are not a year folder
    ],
)
def test_shard_of_a_page_by_its_output_path(path: str, shard: str) -> None:
    assert shard_of(path) == shard


def _decade(start: int, pages_a_year: int) -> list[str]:
    return [f"{year}/page-{page}/index.html" for year in range(start, start + 10) for page in range(pages_a_year)]


def test_a_large_decade_is_split_into_runs_of_years() -> None:
    assert SHARD_PAGES == 60
    small = _decade(2010, 6)  # 60 pages: one shard
    halves = _decade(2020, 11)  # 110: two runs of five years
    fifths = _decade(2030, 13)  # 130 > 2 x 60: five runs of two years
    single = _decade(2040, 31)  # 310 > 5 x 60: a shard a year
    huge = _decade(2050, 100)  # never finer than a year
    many_claims = [f"claims/claim-{number}/index.html" for number in range(200)]  # only decades are split
    plan = shards_of([*small, *halves, *fifths, *single, *huge, *many_claims, "index.html", "2020.html"])
    assert {plan[path] for path in small} == {"2010s"}
    assert plan["2020/page-0/index.html"] == plan["2024/page-10/index.html"] == "2020-2024"
    assert plan["2025/page-0/index.html"] == plan["2029/page-10/index.html"] == "2025-2029"
    assert [plan[f"{year}/page-0/index.html"] for year in range(2030, 2040, 2)] == [
        "2030-2031",
        "2032-2033",
        "2034-2035",
        "2036-2037",
        "2038-2039",
    ]
    assert plan["2031/page-12/index.html"] == "2030-2031"
    assert {plan[f"{year}/page-30/index.html"] for year in range(2040, 2050)} == {str(year) for year in range(2040, 2050)}
    assert plan["2057/page-99/index.html"] == "2057"
    assert {plan[path] for path in many_claims} == {"claims"}
    assert plan["index.html"] == plan["2020.html"] == "site"
    # A page's shard depends on its decade's size only: the same pages in another site, the same shards.
    assert shards_of(halves) == {path: plan[path] for path in halves}
    assert set(shards_of(_decade(2020, 7)).values()) == {"2020-2024", "2025-2029"}  # 70 pages


def test_a_split_decade_is_indexed_and_listed_shard_by_shard() -> None:
    pages = {
        path: f"<html><head><title>{path}</title></head><body><main data-pagefind-body><h1>Page {path}</h1>"
        f"<p>word{path[:4]}</p></main></body></html>".encode()
        for path in _decade(2020, 7)
    }
    bundle = search_files(pages, "en")
    # The first half is the primary, at the bundle's folder; the second is merged.
    assert json.loads(bundle[urls.SEARCH_BUNDLE + SHARDS_FILE]) == ["2025-2029/"]
    for folder, years in (("", range(2020, 2025)), ("2025-2029/", range(2025, 2030))):
        entry = json.loads(bundle[f"{urls.SEARCH_BUNDLE}{folder}pagefind-entry.json"])
        assert entry["languages"]["en"]["page_count"] == 7 * len(years), folder


def html_pages(site_files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: content for name, content in site_files.items() if name.endswith(".html")}


def counts(memo: Memo) -> tuple[int, int]:
    """How many shards the last build indexed, and how many it reused."""
    return memo.computed["search index"], memo.reused["search index"]


def test_an_edit_re_indexes_only_its_shard(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    memo = Memo()
    first = search_files(pages, "en", memo)
    assert first == {name: content for name, content in site_files.items() if name.startswith(urls.SEARCH_BUNDLE)}
    # Three shards with marked pages, and the rest (home, about, search...): no marked page, an empty bundle.
    assert counts(memo) == (4, 0)
    memo.start_build()
    assert search_files(pages, "en", memo) == first
    assert counts(memo) == (0, 4)
    # One statement of the 2020s changes: that shard alone is indexed again.
    statement = "2024/statement-2024-06-25/index.html"
    changed = {**pages, statement: pages[statement].replace(b"</h1>", b" Zyxwvut</h1>", 1)}
    assert changed[statement] != pages[statement]
    memo.start_build()
    again = search_files(changed, "en", memo)
    assert counts(memo) == (1, 3)
    assert again == search_files(changed, "en")
    differing = {name for name in first.keys() | again.keys() if first.get(name) != again.get(name)}
    assert differing and all(name.startswith(urls.SEARCH_BUNDLE + "2020s/") for name in differing), sorted(differing)


def test_pagefind_given_pages_cut_to_what_it_reads_builds_the_index_it_builds_from_whole_pages(
    site_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = html_pages(site_files)
    marked = [content for content in pages.values() if b" data-pagefind-body" in content]
    footer = b'<footer class="site-footer">'
    assert marked and all(footer in page for page in marked)
    # Every head is cut to its title, and every body to its marked elements (the year pages'
    # statements, navigation, "Cite this page" and the footer are not read by Pagefind).
    assert all(b"<meta" not in indexed_html.as_indexed(page) and footer not in indexed_html.as_indexed(page) for page in marked)
    cut = search_files(pages, "en")
    monkeypatch.setattr(search_module, "as_indexed", lambda page: page)
    assert search_files(pages, "en") == cut


def test_only_the_search_page_may_run_script(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        expected = SEARCH_POLICY if page == site / "search/index.html" else NO_SCRIPT_POLICY
        assert policy_of(page) == expected, page
    assert "script-src 'none'" in NO_SCRIPT_POLICY
    assert "script-src 'self' 'wasm-unsafe-eval';" in SEARCH_POLICY
    assert SEARCH_POLICY.replace("script-src 'self' 'wasm-unsafe-eval'", "script-src 'none'") == NO_SCRIPT_POLICY


def test_the_header_links_the_search_page(site: Path) -> None:
    for page in (site / "index.html", site / "2024/index.html", site / "claims/index.html"):
        assert '<a href="/search/">Search</a>' in page.read_text(encoding="utf-8"), page


def test_pages_are_indexed_in_memory_without_a_temporary_copy(site_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """Pagefind's command indexed a copy of the pages in a temporary folder, in the order the file
    system listed them, so the bundle differed between file systems; the service is handed the
    pages themselves, in the order of their paths."""

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a temporary file or folder was made")

    for maker in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile", "TemporaryFile"):
        monkeypatch.setattr(tempfile, maker, refused)
    bundle = search_files(html_pages(site_files), "en")
    assert bundle == {name: content for name, content in site_files.items() if name.startswith(urls.SEARCH_BUNDLE)}


def _started_services(monkeypatch: pytest.MonkeyPatch) -> list[search_module._Service]:
    """The Pagefind services the indexer starts, in order, on a machine of two cores."""
    started: list[search_module._Service] = []
    original = search_module._Service.__init__

    def counted(service: search_module._Service, executable: Path) -> None:
        original(service, executable)
        started.append(service)

    monkeypatch.setattr(search_module._Service, "__init__", counted)
    monkeypatch.setattr(search_module, "available_cores", lambda: 2)
    return started


def _wait_until_idle(service: search_module._Service) -> None:
    deadline = time.monotonic() + 60
    while service.backlog():
        assert time.monotonic() < deadline, "Pagefind never answered"
        time.sleep(0.01)


def test_shards_are_spread_over_one_pagefind_process_per_core(site_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    started = _started_services(monkeypatch)
    pages = html_pages(site_files)
    with search_module.SearchIndexer("en", Memo()) as indexer:
        for shard in ("2010s", "2020s", "claims", "site"):  # three shards with marked pages, in turn, then one without
            indexer.add(shard, {name: content for name, content in pages.items() if shard_of(name) == shard})
        bundle = dict(indexer.bundle())
    assert len(started) == 2
    # Which process indexed the third shard depends on timing; the bundle does not.
    assert {path: content_of(content) for path, content in bundle.items()} == search_files(pages, "en")
    assert all(service._process.poll() is not None for service in started), "a Pagefind process outlived its build"


def test_a_shard_goes_to_an_idle_pagefind_process_before_one_given_fewer_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # This Pagefind answers every request until it is handed a page at a "slow" address, then nothing.
    behaviour = (
        "for request in requests():\n"
        "    payload, message_id = request['payload'], request['message_id']\n"
        "    if '/slow/' in payload.get('url', ''): break\n"
        "    if payload['type'] == 'NewIndex': answer(message_id, {'type': 'NewIndex', 'index_id': 0})\n"
        "    if payload['type'] == 'AddFile': answer(message_id, {'type': 'IndexedFile'})\n"
        "    if payload['type'] == 'GetFiles': answer(message_id, {'type': 'GetFiles', 'files': []})\n"
        "sys.stdin.read()\n"
    )
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_fake_pagefind(tmp_path, behaviour)))
    started = _started_services(monkeypatch)
    page = next(iter(PAGE.values()))
    with search_module.SearchIndexer("en", Memo()) as indexer:
        indexer.add("2020s", {"2024/slow/index.html": page})  # the first process, busy from now on
        indexer.add("claims", {"claims/one/index.html": page, "claims/two/index.html": page})  # the second
        _wait_until_idle(started[1])
        indexer.add("2010s", {"2013/one/index.html": page})
        assert [service.pages for service in started] == [1, 3]
    assert all(service._process.poll() is not None for service in started), "a Pagefind process outlived its build"


def test_shards_handed_over_while_pagefind_is_busy_use_one_process_per_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Pagefind that answers nothing is busy for ever: each shard goes where fewest requests wait.
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_fake_pagefind(tmp_path, "for request in requests():\n    pass\n")))
    started = _started_services(monkeypatch)
    page = next(iter(PAGE.values()))
    shards = [{"2024/one/index.html": page}, {"claims/one/index.html": page, "claims/two/index.html": page}, {"2013/one/index.html": page}]
    with search_module.SearchIndexer("en", Memo()) as indexer:
        for shard in shards:
            indexer.add(shard_of(next(iter(shard))), shard)
        # NewIndex, AddFile per page, GetFiles: 3 and 4 requests, then the third shard's 3 join the first's.
        assert [service.backlog() for service in started] == [6, 4]
    assert all(service._process.poll() is not None for service in started), "a Pagefind process outlived its build"


def _fake_pagefind(folder: Path, body: str) -> Path:
    """An executable standing in for Pagefind's service: `body` is Python, given `requests()`
    (the decoded requests, as they come) and `answer(message_id, payload)`."""
    script = folder / "fake-pagefind"
    script.write_text(
        f"#!{sys.executable}\n"
        "import base64, json, sys\n"
        "def requests():\n"
        "    pending = b''\n"
        "    while chunk := sys.stdin.buffer.read1(65536):\n"
        "        pending += chunk\n"
        "        *done, pending = pending.split(b',')\n"
        "        yield from (json.loads(base64.b64decode(item)) for item in done)\n"
        "def answer(message_id, payload):\n"
        "    sys.stdout.buffer.write(base64.b64encode(json.dumps({'message_id': message_id, 'payload': payload}).encode()) + b',')\n"
        "    sys.stdout.flush()\n" + body,
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


PAGE = {"2024/statement/index.html": b'<html lang="en"><body><main data-pagefind-body>text</main></body></html>'}


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("sys.stderr.write('cannot start: no memory\\n')\nsys.exit(3)\n", "Pagefind failed: cannot start: no memory"),
        ("sys.exit(3)\n", "Pagefind failed: it stopped (exit status 3)"),
        (
            "for request in requests():\n"
            "    kind = request['payload']['type']\n"
            "    if kind == 'NewIndex': answer(request['message_id'], {'type': 'NewIndex', 'index_id': 7})\n",
            'Pagefind failed: it answered {"type": "NewIndex", "index_id": 7} when index 0 was made',
        ),
        (
            "for request in requests():\n"
            "    kind = request['payload']['type']\n"
            "    if kind == 'NewIndex': answer(request['message_id'], {'type': 'NewIndex', 'index_id': 0})\n"
            "    if kind == 'AddFile': answer(request['message_id'], {'type': 'Error', 'message': 'Failed to add file'})\n",
            "Pagefind failed on 2024/statement/index.html: Failed to add file",
        ),
    ],
    ids=["stops at once", "stops silently", "numbers the index otherwise", "refuses a page"],
)
def test_a_failing_pagefind_is_reported_as_a_located_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, behaviour: str, message: str
) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_fake_pagefind(tmp_path, behaviour)))
    with pytest.raises(ContentErrors) as raised:
        search_files(PAGE, "en")
    assert [str(error) for error in raised.value.errors] == [f"templates:1: search index: {message}"]


def test_the_pagefind_service_is_given_each_page_at_its_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = tmp_path / "seen.json"
    script = _fake_pagefind(
        tmp_path,
        "seen = []\n"
        "for request in requests():\n"
        "    payload = request['payload']\n"
        "    seen.append({key: value for key, value in payload.items() if key != 'file_contents'})\n"
        f"    open({str(seen)!r}, 'w').write(json.dumps(seen))\n"
        "    if payload['type'] == 'NewIndex': answer(request['message_id'], {'type': 'NewIndex', 'index_id': 0})\n"
        "    if payload['type'] == 'AddFile': answer(request['message_id'], {'type': 'IndexedFile'})\n"
        "    if payload['type'] == 'GetFiles':\n"
        "        answer(request['message_id'], {'type': 'GetFiles', 'files': [{'path': 'pagefind-entry.json', 'content': base64.b64encode(b'{}').decode()}]})\n",
    )
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(script))
    marked = PAGE["2024/statement/index.html"]
    bundle = search_files({"2024/index.html": marked, "2024/statement/index.html": marked, "2024/cite.html": marked}, "en")
    assert bundle == {urls.SEARCH_BUNDLE + "pagefind-entry.json": b"{}", urls.SEARCH_BUNDLE + SHARDS_FILE: b"[]\n"}
    assert json.loads(seen.read_text(encoding="utf-8")) == [
        {"type": "NewIndex", "config": {"force_language": "en"}},
        {"type": "AddFile", "index_id": 0, "url": "/2024/cite.html"},  # in the order of the pages' paths
        {"type": "AddFile", "index_id": 0, "url": "/2024/"},
        {"type": "AddFile", "index_id": 0, "url": "/2024/statement/"},
        {"type": "GetFiles", "index_id": 0},
    ]


def _never_read() -> bytes:
    raise AssertionError("a page of a remembered shard was read")


def test_a_remembered_shard_is_known_by_its_pages_keys_without_reading_them(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    memo = Memo()
    keyed = {name: Keyed(f"key of {name}", functools.partial(bytes, content)) for name, content in pages.items()}
    first = search_files(keyed, "en", memo)
    assert first == search_files(pages, "en")
    memo.start_build()
    assert search_files({name: Keyed(f"key of {name}", _never_read) for name in pages}, "en", memo) == first
    # A page with another key is read, and its shard indexed again.
    memo.start_build()
    edited = {name: Keyed(f"key of {name}", _never_read) for name in pages if shard_of(name) != "2020s"}
    edited.update({name: Keyed(f"new key of {name}", functools.partial(bytes, pages[name])) for name in pages if shard_of(name) == "2020s"})
    assert search_files(edited, "en", memo) == first and counts(memo) == (1, 3)


def _bundle(pages: dict[str, bytes], memo: Memo) -> dict[str, Content]:
    plan = shards_of(pages)
    with search_module.SearchIndexer("en", memo) as indexer:
        for shard in sorted(set(plan.values())):
            indexer.add(shard, {name: content for name, content in pages.items() if plan[name] == shard})
        return dict(indexer.bundle())


def test_a_shards_files_are_keyed_by_the_shard_so_a_rebuild_need_not_read_them(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    memo = Memo()
    first = _bundle(pages, memo)
    keys = {path: content.key for path, content in first.items() if isinstance(content, Keyed)}
    # Every file but the list of shards, which is compared as bytes.
    assert set(first) - set(keys) == {urls.SEARCH_BUNDLE + SHARDS_FILE}
    assert {path: content_of(content) for path, content in first.items()} == search_files(pages, "en")
    # The same key for the same bytes; another key wherever a shard's pages changed, and only there.
    memo.start_build()
    edited = dict(pages)
    page = next(name for name in pages if shard_of(name) == "2020s" and b"data-pagefind-body" in pages[name])
    edited[page] = pages[page].replace(b"</main>", b"<p>an added paragraph</p></main>", 1)
    again = _bundle(edited, memo)
    changed = {path for path, content in again.items() if isinstance(content, Keyed) and keys.get(path) != content.key}
    in_2020s = {path for path in keys if path.startswith(urls.SEARCH_BUNDLE + "2020s/")}
    assert changed == in_2020s
    # Without a memo that remembers, files are plain bytes.
    assert not any(isinstance(content, Keyed) for content in _bundle(pages, Memo(remember=False)).values())


class _CountedStore(BuildCache):
    """A build cache that counts the search bundles read back, and can lose them all."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.bundles_read = 0
        self.lost = False

    def get(self, kind: str, key: str) -> Any | None:
        if kind == "search index":
            self.bundles_read += 1
            if self.lost:
                return None
        return super().get(kind, key)

    def get_many(self, kind: str, keys: list[str]) -> dict[str, Any]:
        assert kind != "search index", "bundles are read back one at a time, when a file is asked for"
        return super().get_many(kind, keys)


def test_a_rebuild_reads_back_a_remembered_shards_bundle_only_when_one_of_its_files_is_asked_for(
    site_files: dict[str, bytes], tmp_path: Path
) -> None:
    pages = html_pages(site_files)
    store = _CountedStore(tmp_path / "results")
    expected = search_files(pages, "en")
    assert {path: content_of(content) for path, content in _bundle(pages, Memo(remember=False, store=store)).items()} == expected
    again = _bundle(pages, Memo(remember=False, store=store))
    assert store.bundles_read == 0
    shard_files = [path for path in again if path.startswith(urls.SEARCH_BUNDLE + "claims/")]
    assert {path: content_of(again[path]) for path in shard_files} == {path: expected[path] for path in shard_files}
    assert store.bundles_read == 1, "one read for all of a shard's files"
    # A bundle gone from the store since it was found is indexed again, to the same bytes.
    store.lost = True
    lost = _bundle(pages, Memo(remember=False, store=store))
    assert {path: content_of(content) for path, content in lost.items()} == expected


def test_shards_handed_over_together_are_looked_up_together_and_give_the_same_bundle(
    site_files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = html_pages(site_files)
    plan = shards_of(pages)
    shards = {shard: {name: content for name, content in pages.items() if plan[name] == shard} for shard in sorted(set(plan.values()))}
    store = BuildCache(tmp_path / "results")
    expected = _bundle(pages, Memo(remember=False, store=store))
    looked_up: list[tuple[str, int]] = []
    get_many, which = BuildCache.get_many, BuildCache.which

    def counted_get_many(cache: BuildCache, kind: str, keys: list[str]) -> dict[str, Any]:
        looked_up.append((kind, len(keys)))
        return get_many(cache, kind, keys)

    def counted_which(cache: BuildCache, kind: str, keys: list[str]) -> set[str]:
        looked_up.append((kind, len(keys)))
        return which(cache, kind, keys)

    monkeypatch.setattr(BuildCache, "get_many", counted_get_many)
    monkeypatch.setattr(BuildCache, "which", counted_which)
    with search_module.SearchIndexer("en", Memo(remember=False, store=store)) as indexer:
        indexer.add_many(shards)
        assert looked_up == [("search index paths", len(shards)), ("search index", len(shards))], "one look-up of each kind"
        together = {path: content_of(content) for path, content in indexer.bundle()}
    assert together == {path: content_of(content) for path, content in expected.items()}
    with search_module.SearchIndexer("en", Memo(remember=False, store=store)) as indexer:
        indexer.add_many(shards)
        with pytest.raises(ValueError, match="handed over in parts"):
            indexer.add(next(iter(shards)), {})


def test_indexing_does_not_depend_on_page_order(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    forwards = search_files(pages, "en")
    backwards = search_files(dict(reversed(pages.items())), "en")
    assert forwards == backwards
    assert forwards == {name: content for name, content in site_files.items() if name.startswith(urls.SEARCH_BUNDLE)}


def test_failed_indexing_leaves_the_previous_site(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "_site"
    assert main(["--root", str(project), "build", "--out", str(out)]) == 0
    before = file_digests(out)
    capsys.readouterr()
    # Pagefind cannot run: the build stops with one located problem and writes nothing.
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    # Without the cache: with it, the unchanged shards would be read back and Pagefind not run.
    assert main(["--root", str(project), "build", "--out", str(out), "--no-cache"]) == 1
    error = capsys.readouterr().err
    assert "templates:1: search index: Pagefind failed:" in error and "no-such-pagefind" in error, error
    assert file_digests(out) == before
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    # Templates that mark nothing for the index: Pagefind would index every page whole.
    for template in project.joinpath("templates").rglob("*.html"):
        template.write_text(template.read_text(encoding="utf-8").replace(" data-pagefind-body", ""), encoding="utf-8")
    assert main(["--root", str(project), "build", "--out", str(out)]) == 1
    assert "templates:1: search index: no page is marked with data-pagefind-body" in capsys.readouterr().err
    assert file_digests(out) == before


def test_a_rebuild_starts_pagefind_while_it_reads_the_archive_and_leaves_no_process(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[str, str, str], Path]
) -> None:
    started: list[search_module.PagefindProcess | None] = []
    start = search_module.start_pagefind

    def spy() -> search_module.PagefindProcess | None:
        started.append(start())
        return started[-1]

    monkeypatch.setattr(search_module, "start_pagefind", spy)
    monkeypatch.setattr(loader, "BESIDE_FROM", 2)  # the archive counts as large
    arguments = ["--root", str(project), "build", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    assert main(arguments) == 0
    assert started == [], "a first build, with nothing in the cache: its Pagefind starts with the first shard"
    statement = "statements/2024-statement-2024-06-25.md"
    edit(statement, "---\n\n", "---\n\nA paragraph added to the text.\n\n")
    assert main(arguments) == 0
    process = started[0]
    assert process is not None and process.pages > 0, "the edited shard went to the process started early"
    assert process._process.poll() is not None, "and it ended with the build"
    edit(statement, "tier: Tier 3", "tier: [")
    assert main(arguments) == 1
    failed = started[1]
    assert failed is not None and failed.pages == 0 and failed._process.poll() is not None, "a failed build ends it too"


def test_the_installed_pagefind_is_found_as_its_package_finds_it_without_importing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    code = (
        "import sys; from site_builder import search; found = search._executable(); "
        "assert 'pagefind_bin' not in sys.modules, 'imported'; "
        "from pagefind_bin import get_executable; print(found == get_executable())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


# In Chromium


def search(page: Page, query: str) -> list[str]:
    """Type a query, submit it, and return the result links in order."""
    page.fill("#search-query", query)
    page.press("#search-query", "Enter")
    page.locator("#search-status", has_text=query).wait_for()
    return [link.get_attribute("href") or "" for link in page.locator("#search-results .result-title a").all()]


@pytest.fixture
def search_page(new_context: Callable[..., Watched], served_site: str) -> Iterator[tuple[Page, Watched]]:
    watched = new_context()
    page = open_page(watched, f"{served_site}/search/")
    page.locator("#search-query:enabled").wait_for()
    yield page, watched
    watched.assert_clean("searching")


@pytest.mark.browser
def test_a_phrase_of_each_statement_finds_it(search_page: tuple[Page, Watched], archive: Archive) -> None:
    page, _ = search_page
    for statement in archive.archived:  # a response without text is found by its summary (below)
        phrase = f'"{middle_words(statement.plain_text)}"'
        found = search(page, phrase)
        assert f"/{statement.url}" in found, f"{phrase}: {found}"


@pytest.mark.browser
def test_summaries_notes_and_claim_labels_are_found(search_page: tuple[Page, Watched], archive: Archive) -> None:
    page, _ = search_page
    for statement in archive.statements:
        assert f"/{statement.url}" in search(page, f'"{middle_words(statement.summary, 5)}"'), statement.summary
        if statement.notes_html:
            phrase = f'"{middle_words(note_text(statement), 5)}"'
            assert f"/{statement.url}" in search(page, phrase), phrase
    for claim in archive.claims:
        found = search(page, f'"{claim.label}"')
        assert f"/{urls.claim(claim.id)}" in found, f"{claim.label}: {found}"
        making = {f"/{s.url}" for s in archive.statements if any(made.claim.id == claim.id for made in s.claims)}
        assert making <= set(found), f"{claim.label}: {found}"


def shard_of_result(href: str) -> str:
    return shard_of(href.removeprefix("/") + "index.html")


@pytest.mark.browser
def test_one_query_finds_pages_of_several_shards(search_page: tuple[Page, Watched], archive: Archive) -> None:
    page, _ = search_page
    warnings: list[str] = []  # Pagefind reports a merge it skips or a version mismatch as a warning
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    # A claim's label finds the claim's page (in the claims shard) and the statements that make
    # the claim (in their decades' shards) in one list of results.
    for claim in archive.claims:
        making = {f"/{s.url}" for s in archive.statements if any(made.claim.id == claim.id for made in s.claims)}
        found = search(page, f'"{claim.label}"')
        assert {f"/{urls.claim(claim.id)}"} | making <= set(found), f"{claim.label}: {found}"
        assert len({shard_of_result(href) for href in found}) >= 2, f"{claim.label}: {found}"
    # A word of the 2010s' report findings, of the 2020s' statements and of two claims' definitions:
    # every shard of the real archive answers, the primary (2010s) and both merged ones.
    found = search(page, "judicial")
    assert len(found) < 20 and {shard_of_result(href) for href in found} == {"2010s", "2020s", "claims"}, found
    assert not warnings, warnings


@pytest.mark.browser
def test_a_site_whose_decades_are_split_is_searched_across_all_their_shards(
    archive: Archive, new_context: Callable[..., Watched], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The real archive's decades are far below SHARD_PAGES; at two pages a shard, each is split into years.
    monkeypatch.setattr(search_module, "SHARD_PAGES", 2)
    files = render_site(archive, ROOT)
    merged = json.loads(files[urls.SEARCH_BUNDLE + SHARDS_FILE])
    years = [year.year for year in archive.years]  # each has its page, marked for the index
    assert merged == [f"{year}/" for year in years[1:]] + ["claims/"]
    out = tmp_path / "_site"
    write_site(files.items(), out)
    with serve_folder(out) as origin:
        watched = new_context()
        page = open_page(watched, f"{origin}/search/")
        warnings: list[str] = []
        page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
        page.locator("#search-query:enabled").wait_for()
        for statement in archive.archived:
            phrase = f'"{middle_words(statement.plain_text)}"'
            assert f"/{statement.url}" in search(page, phrase), phrase
        found = search(page, "judicial")
        assert len({href.strip("/").split("/")[0] for href in found if href.strip("/")[:1].isdigit()}) >= 2, found
        assert not warnings, warnings
        watched.assert_clean("searching")


@pytest.mark.browser
def test_the_issue_s_own_searches(search_page: tuple[Page, Watched], archive: Archive) -> None:
    page, _ = search_page
    found = search(page, '"Law No. 6/2008"')
    assert found[0] in {f"/{s.url}" for s in archive.statements} | {"/claims/law-6-2008/"}
    assert "/claims/law-6-2008/" in found
    assert search(page, "judicial"), "nothing found for 'judicial'"
    # Results are links to the passage's page, and the query is kept in the address.
    assert page.url.endswith("/search/?q=judicial")
    assert search(page, "qwertyuiopasdf") == []
    assert "Nothing found" in page.locator("#search-status").inner_text()


@pytest.mark.browser
def test_a_query_in_the_address_is_searched_on_arrival(new_context: Callable[..., Watched], served_site: str) -> None:
    watched = new_context()
    page = open_page(watched, f"{served_site}/search/?q=%22Law+No.+6%2F2008%22")
    page.locator("#search-status", has_text="Law No. 6/2008").wait_for()
    assert page.locator("#search-results .result-title a").count() >= 2
    assert page.input_value("#search-query") == '"Law No. 6/2008"'
    watched.assert_clean("searching from the address")


@pytest.mark.browser
def test_search_works_on_the_main_thread_too(new_context: Callable[..., Watched], served_site: str) -> None:
    """Without a Web Worker Pagefind runs its WebAssembly in the page: what 'wasm-unsafe-eval' is for."""
    watched = new_context()
    watched.context.add_init_script("delete window.Worker;")
    page = open_page(watched, f"{served_site}/search/")
    page.locator("#search-query:enabled").wait_for()
    assert "/claims/law-6-2008/" in search(page, '"Law No. 6/2008"')
    watched.assert_clean("searching without a worker")


@pytest.mark.browser
def test_without_javascript_the_page_says_what_it_needs_and_where_to_go(new_context: Callable[..., Watched], served_site: str) -> None:
    watched = new_context(java_script_enabled=False)
    page = open_page(watched, f"{served_site}/search/")
    assert page.locator("#search-needs-script").is_visible()
    assert "needs JavaScript" in page.locator("#search-needs-script").inner_text()
    assert page.locator("#search-query").is_disabled()
    for target in ("/claims/", "/data/statements.json", "/data/claims.csv", "/"):
        assert page.locator(f'.search-help a[href="{target}"]').count() == 1, target
    watched.assert_clean("opening the search page without JavaScript")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.mark.browser
def test_search_works_below_a_sub_path(tmp_path: Path, new_context: Callable[..., Watched]) -> None:
    served = tmp_path / "served"
    port = free_port()
    status = main(["build", "--out", str(served / "archive"), "--base-url", f"http://{HOST}:{port}/archive/"])
    assert status == 0, "the build refused a base URL with a path"
    with serve_folder(served / "archive", prefix="/archive/", port=port) as origin:
        watched = new_context()
        page = open_page(watched, f"{origin}/archive/search/")
        page.locator("#search-query:enabled").wait_for()
        found = search(page, '"Law No. 6/2008"')
        assert "/archive/claims/law-6-2008/" in found, found
        page.click('#search-results a[href="/archive/claims/law-6-2008/"]')
        page.wait_for_url(f"{origin}/archive/claims/law-6-2008/")
        watched.assert_clean("searching below /archive/")


def _fed_bundle(pages: dict[str, Content], memo: Memo, *, at_once: bool, sent: list[int] | None = None) -> dict[str, bytes]:
    """The bundle of `pages` fed shard by shard, a page at a time in the order of their paths;
    `sent` gets how many pages had gone to Pagefind after each page was fed."""
    plan = shards_of(pages)
    with search_module.SearchIndexer("en", memo) as indexer:
        for shard in sorted(set(plan.values())):
            feed = indexer.feed(shard, at_once=at_once)
            for name in sorted(name for name in pages if plan[name] == shard):
                feed.add(name, pages[name])
                if sent is not None:
                    sent.append(sum(service.pages for service in indexer._services))
            feed.close()
        return {path: content_of(content) for path, content in indexer.bundle()}


def test_pages_fed_one_at_a_time_are_indexed_as_they_come_into_the_same_bundle(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    sent: list[int] = []
    assert _fed_bundle(dict(pages), Memo(), at_once=True, sent=sent) == search_files(pages, "en")
    # Each marked page went to Pagefind when it was fed, before its shard was closed.
    plan = shards_of(pages)
    fed = sorted(pages, key=lambda name: (plan[name], name))
    assert sent == [sum(b"data-pagefind-body" in pages[name] for name in fed[: count + 1]) for count in range(len(fed))]
    lazy: list[int] = []
    assert _fed_bundle(dict(pages), Memo(), at_once=False, sent=lazy) == search_files(pages, "en")
    assert lazy[0] == 0, "a page fed to a shard taken whole went to Pagefind before the shard was closed"


def test_a_feed_takes_pages_only_in_the_order_of_their_paths(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    first, second = sorted(name for name in pages if shard_of(name) == "2020s")[:2]
    with search_module.SearchIndexer("en", Memo()) as indexer:
        feed = indexer.feed("2020s", at_once=True)
        feed.add(second, pages[second])
        with pytest.raises(ValueError, match="out of the order of the paths"):
            feed.add(first, pages[first])
        feed.close()
        with pytest.raises(ValueError, match="handed over in parts"):
            indexer.feed("2020s", at_once=True)


def test_a_shard_fed_whole_is_known_by_its_pages_keys_without_reading_them(site_files: dict[str, bytes]) -> None:
    pages = html_pages(site_files)
    memo = Memo()
    first = _fed_bundle(
        {name: Keyed(f"key of {name}", functools.partial(bytes, content)) for name, content in pages.items()}, memo, at_once=True
    )
    memo.start_build()
    assert _fed_bundle({name: Keyed(f"key of {name}", _never_read) for name in pages}, memo, at_once=False) == first
    assert counts(memo) == (0, 4)


def test_the_known_shards_files_come_before_pagefinds_answer_and_pagefind_is_stopped_once_it_is_read(
    site_files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = html_pages(site_files)
    store = BuildCache(tmp_path / "results")
    _bundle(pages, Memo(remember=False, store=store))  # every shard indexed, and kept
    edited = dict(pages)
    name = "2024/statement-2024-06-25/index.html"
    edited[name] = edited[name].replace(b"</article>", b"<p>A word added for the index.</p></article>", 1)
    assert shard_of(name) == "2020s" and edited[name] != pages[name]
    events: list[str] = []
    answer = search_module._Shard.files

    def files(self: search_module._Shard) -> dict[str, bytes]:
        events.append("Pagefind's answer")
        return answer(self)

    monkeypatch.setattr(search_module._Shard, "files", files)
    plan = shards_of(edited)
    with search_module.SearchIndexer("en", Memo(remember=False, store=store)) as indexer:
        for shard in sorted(set(plan.values())):
            indexer.add(shard, {page: content for page, content in edited.items() if plan[page] == shard})
        for path, _ in indexer.bundle():
            events.append(path)
        stopped = [service.stopped for service in indexer._services]
    asked = events.index("Pagefind's answer")
    before, after = events[:asked], events[asked + 1 :]
    edited_shard = f"{urls.SEARCH_BUNDLE}2020s/"
    assert before and not any(path.startswith(edited_shard) for path in before), "the unchanged shards' files first"
    assert after[:-1] and all(path.startswith(edited_shard) for path in after[:-1]) and after[-1] == urls.SEARCH_BUNDLE + SHARDS_FILE
    assert stopped == [True], "stopped once its last answer was read, before the indexer closed"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pipe sizes are Linux's")
def test_pagefinds_pipes_hold_a_shards_pages_and_most_of_its_answer() -> None:
    import fcntl  # Linux only, as the test

    service = search_module.start_pagefind()
    assert service is not None
    try:
        sizes = [fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ) for pipe in (service._input, service._output)]
    finally:
        service.close()
    assert sizes == [background._PIPE_BYTES] * 2
