"""The stable-URL lock: every published URL and feed entry id, committed in data/published.lock.

Once a URL or id is in the lock it is a promise. The test suite fails when a build drops
one, unless data/redirects.yaml moves the URL (the old address then gets a redirect page).
`python build.py lock` adds what a build newly publishes; it never removes anything.
"""

from __future__ import annotations

from pathlib import Path

from . import urls
from .model import Archive

LOCK_FILE = Path("data") / "published.lock"
_HEADER = (
    "# Every URL path and feed entry id this archive has published. Never delete a line:\n"
    "# a URL that moves needs an entry in data/redirects.yaml. Add new ones with `python build.py lock`.\n"
)


def published_urls(files: dict[str, bytes]) -> set[str]:
    """URL paths of a build's output: pages as their directory, other files as themselves."""
    found = set()
    for name in files:
        # Assets and the search index are files of the build, not addresses anyone cites;
        # the index's file names change with the content.
        if name.startswith(("assets/", urls.SEARCH_BUNDLE)):
            continue
        if name == "index.html":
            found.add("/")
        elif name.endswith("/index.html"):
            found.add("/" + name.removesuffix("index.html"))
        else:
            found.add("/" + name)
    return found


def published_entries(archive: Archive, files: dict[str, bytes]) -> set[str]:
    return {f"url {url}" for url in published_urls(files)} | {f"feed-id {s.id}" for s in archive.archived}


def read_lock(root: Path) -> set[str]:
    path = root / LOCK_FILE
    if not path.is_file():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def write_lock(root: Path, entries: set[str]) -> None:
    ordered = sorted(entries, key=lambda entry: (entry.split(" ")[0] != "url", entry))
    (root / LOCK_FILE).write_text(_HEADER + "".join(f"{entry}\n" for entry in ordered), encoding="utf-8")


def broken_promises(locked: set[str], archive: Archive, files: dict[str, bytes]) -> list[str]:
    """Locked entries that this build no longer publishes."""
    return sorted(locked - published_entries(archive, files))
