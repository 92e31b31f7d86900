"""Command line: `build` (default), `check`, `serve` and `new`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .build_cache import BuildCache, code_digest
from .citation_cache import CitationCache
from .citations import STYLES
from .csl import CslFormatter, available_cores
from .errors import ContentErrors
from .loader import load_archive
from .lock import LOCK_FILE, broken_promises, published_entries, read_lock, write_lock
from .manifest import Manifest
from .memo import Memo
from .render import render_site, site_files
from .templates import compile_ahead
from .writer import write_site

ROOT = Path(__file__).resolve().parent.parent


def _report(errors: ContentErrors) -> int:
    for error in errors.errors:
        print(error, file=sys.stderr)
    count = len(errors.errors)
    print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
    return 1


def build(root: Path, out: Path, base_url: str | None, cache: Path | None = None) -> int:
    """Build into `out`. Formatted citations and the results of every other pure step are kept
    in `cache` between builds (None: nothing is kept), so a rebuild only does what changed."""
    started = time.perf_counter()
    workers = available_cores()
    results = BuildCache(cache / "results") if cache is not None else None
    memo = Memo(remember=False, store=results)
    citations = CitationCache(cache / "citations") if cache is not None else None
    csl = CslFormatter(citations, workers=workers)
    # Work the cache cannot spare is begun on the other cores while this one reads the archive:
    # compiling the templates it lacks, and, when it holds no citation, the citation workers.
    compiled_ahead = compile_ahead(root / "templates", results) if workers > 1 else None
    if citations is None or citations.is_empty():
        csl.start_workers(STYLES)
    try:
        archive = load_archive(root, base_url=base_url, memo=memo, workers=workers)
        # Each file is written as it is rendered; the site is changed only once all are.
        manifest = Manifest(cache / "written", out, code_digest()) if cache is not None else None
        written = write_site(site_files(archive, root, csl, memo, workers, compiled_ahead), out, manifest)
    except ContentErrors as errors:
        return _report(errors)
    finally:
        csl.close()
        if compiled_ahead is not None:
            compiled_ahead.close()
    if results is not None:
        results.sweep()
    pages = sum(1 for name in written if name.endswith(".html"))
    print(f"Built {pages} pages ({len(written)} files) into {out} in {time.perf_counter() - started:.2f} s")
    return 0


def lock(root: Path) -> int:
    """Record what the build publishes in the lock; refuse if it dropped a locked entry."""
    try:
        archive = load_archive(root)
        files = render_site(archive, root)
    except ContentErrors as errors:
        return _report(errors)
    locked = read_lock(root)
    dropped = broken_promises(locked, archive, files)
    for entry in dropped:
        print(f"{LOCK_FILE}: {entry}: no longer published; add a redirect in data/redirects.yaml", file=sys.stderr)
    if dropped:
        return 1
    added = published_entries(archive, files) - locked
    write_lock(root, locked | added)
    print(f"{LOCK_FILE}: {len(added)} new entr{'y' if len(added) == 1 else 'ies'} recorded")
    return 0


def check(root: Path) -> int:
    try:
        archive = load_archive(root)
    except ContentErrors as errors:
        return _report(errors)
    held = len(archive.archived)
    print(
        f"OK: {len(archive.statements)} responses ({held} with their text), {len(archive.years)} report years, {len(archive.claims)} claims"
    )
    return 0


SCAFFOLD = """---
id: {id}
year: {year}
slug: {slug}
tier:            # must agree with data/tiers.yaml
title:           # as published, or null
issued:          # YYYY-MM-DD
office:
  name: Office of the Secretary for Security
  wording: null
office_holder:   # on the date of issue, or null
occasion:
  kind: report-release
  description:
summary:
source:          # the text you paste below; null if the archive does not hold it (body empty)
  publisher:
  url:
  author: null
  published: null
  language: en
  text: original
versions: []     # other versions: official texts in other languages, news reports, reprints
related: []
claims: []
revised:         # today, YYYY-MM-DD
---

Paste the statement's text here, verbatim.
"""


def _registered_without_text(root: Path, year: int) -> list[str]:
    """Files of `year` that record a response whose text the archive does not hold yet."""
    try:
        archive = load_archive(root)
    except ContentErrors:
        return []  # `check` reports what is broken; there is nothing reliable to suggest
    return [s.path for s in archive.statements if s.year == year and not s.has_text]


def new(root: Path, year: int, slug: str, another: bool = False) -> int:
    import uuid  # only this verb needs it (it costs start-up time)

    path = root / "statements" / f"{year}-{slug}.md"
    if path.exists():
        print(f"{path} already exists", file=sys.stderr)
        return 1
    registered = _registered_without_text(root, year)
    if registered and not another:
        print(
            f"The archive already records a {year} response without its text: {', '.join(registered)}.\n"
            "To add that text, paste it verbatim below the front-matter of that file and fill in `source`;\n"
            "its address and feed id stay the same. If this is a different response, run again with --another.",
            file=sys.stderr,
        )
        return 1
    path.write_text(SCAFFOLD.format(id=f"urn:uuid:{uuid.uuid4()}", year=year, slug=slug), encoding="utf-8")
    print(f"Wrote {path}; fill it in, then run: python build.py check")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build the Macao TIP responses archive.")
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder with statements/, data/, templates/")
    commands = parser.add_subparsers(dest="command")
    build_cmd = commands.add_parser("build", help="build the site (the default)")
    for command in (parser, build_cmd):
        command.add_argument("--out", type=Path, default=None, help="output folder (default: _site)")
        command.add_argument("--base-url", default=None, help="absolute URL the site is published at")
        command.add_argument(
            "--cache", type=Path, default=None, help="folder of the build cache: formatted citations and other results (default: .cache)"
        )
        command.add_argument("--no-cache", action="store_true", help="compute everything afresh and keep nothing")
    commands.add_parser("check", help="validate the content and report every problem")
    commands.add_parser("lock", help="record newly published URLs and feed ids in data/published.lock")
    serve_cmd = commands.add_parser("serve", help="preview on localhost, rebuilding and reloading on every change")
    serve_cmd.add_argument("--port", type=int, default=8000)
    new_cmd = commands.add_parser("new", help="start a statement file for a new report year")
    new_cmd.add_argument("year", type=int)
    new_cmd.add_argument("slug", help="e.g. statement-2026-06-30 (its date of issue)")
    new_cmd.add_argument(
        "--another", action="store_true", help="the year already records a response without text, and this is a different one"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    out = getattr(args, "out", None) or root / "_site"
    if args.command == "check":
        return check(root)
    if args.command == "lock":
        return lock(root)
    cache = None if args.no_cache else (args.cache or root / ".cache")
    if args.command == "serve":
        # Imported for this verb only: the server, its watcher and http.server cost every other one start-up time.
        from .serve import serve

        return serve(root, args.port, cache)
    if args.command == "new":
        return new(root, args.year, args.slug, args.another)
    return build(root, out, args.base_url, cache)
