"""The search index: Pagefind run on the rendered pages, before anything is written.

Pagefind indexes what the templates mark with `data-pagefind-body` (statement, claim and year
pages) and returns its bundle in memory, so the index joins the other output files and is
swapped in atomically with them: a failed indexing leaves the previous site untouched.
"""

from __future__ import annotations

import asyncio
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pagefind.service import PagefindService

from . import urls
from .errors import ContentError, ContentErrors

# Pagefind also ships ready-made search interfaces; the search page uses its own small script
# with Pagefind's JavaScript API instead (plain DOM, no inline style), so these are left out.
_UNUSED_BUNDLE_FILES = (
    "pagefind-ui.",
    "pagefind-component-ui.",
    "pagefind-modular-ui.",
    "pagefind-highlight.",
    "wasm.unknown.",
)


def _indexing_problem(message: str) -> ContentErrors:
    return ContentErrors([ContentError("templates", 1, "search index", message)])


async def _index(pages: Path, language: str) -> list[tuple[str, bytes]]:
    async with PagefindService() as service:
        index = await service.create_index({"force_language": language})
        # One request for the whole folder: the service answers each request after a pause,
        # so adding pages one by one would cost a tenth of a second per page.
        await index.add_directory(str(pages))
        files = await index.get_files()
        await index.delete_index()
    return [(file["path"], file["content"]) for file in files]


def search_files(pages: dict[str, bytes], language: str) -> dict[str, bytes]:
    """Pagefind's bundle for the given HTML pages (output path -> bytes), as output files
    below the search bundle's folder."""
    if not any(b" data-pagefind-body" in content for content in pages.values()):
        # Pagefind would then index every page whole, menus and repeated texts included.
        raise _indexing_problem("no page is marked with data-pagefind-body")
    with tempfile.TemporaryDirectory(prefix="search-index-") as folder:
        # Pagefind derives each result's URL from the page's place in this folder, so the
        # URLs are root-relative ("/2024/statement-2024-06-25/"); the search page prefixes the
        # site's base path when it shows them.
        for name, content in sorted(pages.items()):
            target = Path(folder, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        try:
            # In a thread of its own: the caller may already run an event loop (a test
            # driving a browser, say), and asyncio.run refuses to nest in one.
            with ThreadPoolExecutor(max_workers=1) as runner:
                bundle = runner.submit(asyncio.run, _index(Path(folder), language)).result()
        except Exception as error:  # the Pagefind service reports its failures as plain exceptions
            raise _indexing_problem(f"Pagefind failed: {error}") from None
    return {
        urls.SEARCH_BUNDLE + path: content
        for path, content in sorted(bundle)
        if not path.startswith(_UNUSED_BUNDLE_FILES) and not path.startswith("playground/")
    }
