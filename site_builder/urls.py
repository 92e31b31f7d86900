"""The URL contract: every published path is made here, and nowhere else.

Paths are relative to the site root and end in '/' for pages ("2024/", "claims/law-6-2008/").
Once released they never change; tests/test_url_lock.py holds the build to that.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

HOME = ""
CLAIMS = "claims/"
ABOUT = "about/"
SEARCH = "search/"
# Pagefind's bundle: script, WebAssembly and index, written by the build beside the pages.
SEARCH_BUNDLE = "pagefind/"
RSS = "feed.xml"
ATOM = "atom.xml"
CITATION_FORMATS = {"bib": "cite.bib", "ris": "cite.ris", "csl": "cite.json"}


def year(number: int) -> str:
    return f"{number}/"


def statement(number: int, slug: str) -> str:
    return f"{number}/{slug}/"


def claim(claim_id: str) -> str:
    return f"claims/{claim_id}/"


def citation(page: str, kind: str) -> str:
    return page + CITATION_FORMATS[kind]


def output_file(path: str) -> str:
    """Where a page's HTML is written: "2024/" -> "2024/index.html"."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def with_trailing_slash(base_url: str) -> str:
    """'https://example.org/archive' -> 'https://example.org/archive/'."""
    return base_url if base_url.endswith("/") else base_url + "/"


@dataclass(frozen=True)
class SiteUrls:
    """Turns contract paths into links for one deployment (base URL, ending in '/').

    The base URL may include a path ('https://owner.github.io/archive/'): pages link to each
    other by `local` paths that start with that base path, so the same links work from every
    page and from the 404 page, whatever address it was requested at.
    """

    base_url: str

    @property
    def base_path(self) -> str:
        return urlsplit(self.base_url).path or "/"

    def local(self, path: str) -> str:
        """A root-relative link, valid wherever the site is served from its base path."""
        return self.base_path + path

    def absolute(self, path: str) -> str:
        return self.base_url + path
