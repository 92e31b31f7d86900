"""Command line: `build` (default), `check`, `lock`, `serve` and `new`, each in its module of commands/."""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description="Build the Macao TIP responses archive.")
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder with statements/, data/, templates/")
    commands = parser.add_subparsers(dest="command")
    build_cmd = commands.add_parser("build", help="build the site (the default)")
    for command in (parser, build_cmd):
        # Given before or after the verb. The verb's copies have no default: argparse would let
        # theirs replace a value given before the verb (`--out dist build` building into _site).
        unset: object = None if command is parser else argparse.SUPPRESS
        command.add_argument("--out", type=Path, default=unset, help="output folder (default: _site)")
        command.add_argument("--base-url", default=unset, help="absolute URL the site is published at")
        command.add_argument(
            "--cache", type=Path, default=unset, help="folder of the build cache: formatted citations and other results (default: .cache)"
        )
        command.add_argument(
            "--no-cache",
            action="store_true",
            default=False if command is parser else argparse.SUPPRESS,
            help="compute everything afresh and keep nothing",
        )
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
    # Each verb's module is imported only when asked for: imports are most of a small build's start-up.
    if args.command == "check":
        from .commands.check import check

        return check(root)
    if args.command == "lock":
        from .commands.lock import lock

        return lock(root)
    cache = None if args.no_cache else (args.cache or root / ".cache")
    if args.command == "serve":
        from .serve import serve

        return serve(root, args.port, cache)
    if args.command == "new":
        from .commands.new import new

        return new(root, args.year, args.slug, args.another)
    from .commands.build import build

    return build(root, out, args.base_url, cache)
