"""The search index: Pagefind run on the rendered pages, before anything is written.

Pagefind indexes what the templates mark with `data-pagefind-body` (statement, claim and year
pages). It runs as a command on a temporary copy of those pages and its bundle is read back,
so the index joins the other output files and is swapped in atomically with them: a failed
indexing leaves the previous site untouched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from pagefind.service import get_executable

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
_MARK = b" data-pagefind-body"


def _indexing_problem(message: str) -> ContentErrors:
    return ContentErrors([ContentError("templates", 1, "search index", message)])


def _run_pagefind(site: Path, bundle: Path, language: str) -> None:
    # The command rather than Pagefind's Python service: the service reads each answer through
    # a 2 MiB buffer and waits for ever once the bundle outgrows it (about 1,000 statements).
    executable = get_executable()
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


def search_files(pages: dict[str, bytes], language: str) -> dict[str, bytes]:
    """Pagefind's bundle for the given HTML pages (output path -> bytes), as output files
    below the search bundle's folder."""
    marked = {name: content for name, content in pages.items() if _MARK in content}
    if not marked:
        # Pagefind would then index every page whole, menus and repeated texts included.
        raise _indexing_problem("no page is marked with data-pagefind-body")
    with tempfile.TemporaryDirectory(prefix="search-index-") as folder:
        # Pagefind derives each result's URL from the page's place in this folder, so the
        # URLs are root-relative ("/2024/statement-2024-06-25/"); the search page prefixes the
        # site's base path when it shows them. Unmarked pages are left out: once any page is
        # marked, Pagefind indexes marked pages only.
        site, bundle = Path(folder, "site"), Path(folder, "bundle")
        for name, content in marked.items():
            target = site / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        _run_pagefind(site, bundle, language)
        files = {path.relative_to(bundle).as_posix(): path.read_bytes() for path in bundle.rglob("*") if path.is_file()}
    return {
        urls.SEARCH_BUNDLE + path: content
        for path, content in sorted(files.items())
        if not path.startswith(_UNUSED_BUNDLE_FILES) and not path.startswith("playground/")
    }
