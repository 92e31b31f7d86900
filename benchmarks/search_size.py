"""Measure: the size of the search index, and what the search page downloads for one query.

Builds the real archive into a temporary folder (or takes a site already built, named on the
command line), sums the Pagefind bundle on disk, then opens
/search/ in Debian's chromium, runs a query and adds up the bytes of every response. Rerun
with `make bench`; it prints figures and never fails a test run.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import Response, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from site_builder import urls  # noqa: E402
from site_builder.loader import load_archive  # noqa: E402
from site_builder.render import render_site  # noqa: E402
from site_builder.writer import write_site  # noqa: E402
from tests.browser_support import CHROMIUM_ARGS, serve_folder  # noqa: E402

QUERY = '"Law No. 6/2008"'


def kind_of(url: str) -> str:
    name = url.split("?")[0].rsplit("/", 1)[-1]
    if "/pagefind/" in url:
        if name.endswith(".pagefind"):
            return "WebAssembly"
        if name.endswith(".js"):
            return "Pagefind script"
        return "index, meta and fragments"
    if name.endswith(".css"):
        return "stylesheet"
    if name.endswith(".js"):
        return "search.js"
    if name.endswith(".svg"):
        return "icon"
    return "HTML"


def kib(size: int) -> str:
    return f"{size / 1024:7.1f} KiB"


def main(built: Path | None = None) -> None:
    """Measure the real archive, built afresh, or an already built site (`built`, e.g. a
    generated archive's: `python benchmarks/search_size.py path/to/_site`)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "_site"
        if built is None:
            files = render_site(load_archive(ROOT), ROOT)
            write_site(files.items(), out)
        else:
            out = built
        bundle = [path for path in (out / urls.SEARCH_BUNDLE).rglob("*") if path.is_file()]
        index = [p for p in bundle if p.parent.name in ("index", "fragment", "filter") or p.suffix == ".pf_meta"]
        print(f"Search bundle: {len(bundle)} files, {kib(sum(p.stat().st_size for p in bundle))}")
        print(f"  of which the index (index chunks, fragments, meta): {len(index)} files, {kib(sum(p.stat().st_size for p in index))}")

        received: dict[str, list[int]] = defaultdict(list)

        def record(response: Response) -> None:
            received[kind_of(response.url)].append(len(response.body()))

        with serve_folder(out) as origin, sync_playwright() as playwright:
            executable = shutil.which("chromium")
            assert executable, "needs Debian's chromium on PATH"
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.on("response", record)
            page.goto(f"{origin}/search/", wait_until="load")
            page.locator("#search-query:enabled").wait_for()
            page.fill("#search-query", QUERY)
            page.press("#search-query", "Enter")
            page.locator("#search-status", has_text=QUERY).wait_for()
            results = page.locator("#search-results .result").count()
            page.wait_for_load_state("networkidle")
            browser.close()
    total = sum(sum(sizes) for sizes in received.values())
    count = sum(len(sizes) for sizes in received.values())
    print(f"Search page download for the query {QUERY} ({results} results): {count} responses, {kib(total)} (uncompressed)")
    for kind, sizes in sorted(received.items(), key=lambda item: -sum(item[1])):
        print(f"  {kind:28} {len(sizes):3} × → {kib(sum(sizes))}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
