"""The site served below a path, as on a GitHub Pages project site: built with
`--base-url http://127.0.0.1:<port>/archive/` and served only below /archive/, every link,
anchor, asset, feed, sitemap entry, canonical and metadata address must stay below it;
the 404 page works at any depth; a redirect page lands on its target."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

import feedparser
import pytest

from site_builder.cli import main
from tests.conftest import copy_project

pytest.register_assert_rewrite("tests.browser_support")
from tests.browser_support import Watched, serve_folder  # noqa: E402

pytest_plugins = ["tests.browser_support"]

PREFIX = "/archive/"
STATEMENT = "statements/2024-statement-2024-06-25.md"
BODY_LINK = "See also [the 2024 report year](/2024/#report-heading)."
MOVED = "/2024/old-address/"
MOVED_TO = "/2024/statement-2024-06-25/"
DEEP_MISSING = PREFIX + "no/such/page/at/depth/"
# Page metadata that names the page's own absolute address.
ADDRESS_METADATA = {"og:url", "citation_public_url", "DC.identifier"}


@dataclass(frozen=True)
class Served:
    origin: str
    out: Path

    @property
    def base(self) -> str:
        return self.origin + PREFIX


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The archive with a same-site link in a body and a moved URL, built for and served below /archive/."""
    root = tmp_path_factory.mktemp("base-path")
    project = copy_project(root / "project")
    statement = project / STATEMENT
    _, front, body = statement.read_text(encoding="utf-8").split("---\n", 2)
    statement.write_text(f"---\n{front}---\n{BODY_LINK}\n\n{body}", encoding="utf-8")
    redirects = project / "data/redirects.yaml"
    redirects.write_text(redirects.read_text(encoding="utf-8") + f'"{MOVED}": "{MOVED_TO}"\n', encoding="utf-8")
    out = root / "_site"
    with serve_folder(out, PREFIX) as origin:
        assert main(["--root", str(project), "--out", str(out), "--base-url", origin + PREFIX]) == 0
        yield Served(origin, out)


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _Links(HTMLParser):
    """Every address a page names (links, assets, refresh, metadata, JSON-LD) and its ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.addresses: list[str] = []
        self.ids: set[str] = set()
        self._in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        for name in ("href", "src"):
            if name in values:
                self.links.append(values[name])
        if tag == "meta" and values.get("http-equiv") == "refresh":
            self.links.append(values["content"].split("url=", 1)[1])
        if tag == "meta" and (values.get("property") in ADDRESS_METADATA or values.get("name") in ADDRESS_METADATA):
            self.addresses.append(values["content"])
        self._in_json_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_json_ld:
            document = json.loads(data)
            self.addresses += [document["@id"], document["url"], document["isPartOf"]["url"]]
            self._in_json_ld = False


def page_urls(served: Served) -> list[str]:
    """Every HTML file of the build as the address it is served at."""
    found = [path.relative_to(served.out).as_posix().removesuffix("index.html") for path in sorted(served.out.rglob("*.html"))]
    assert len(found) > 40
    return [served.base + path for path in found]


@dataclass
class LinkCheck:
    """Follows same-origin links once each; records whatever leaves the prefix or fails."""

    served: Served
    ids: dict[str, set[str]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def page_ids(self, url: str) -> set[str]:
        if url not in self.ids:
            status, body = fetch(url)
            self.statuses[url] = status
            parsed = _Links()
            parsed.feed(body.decode("utf-8"))
            self.ids[url] = parsed.ids
        return self.ids[url]

    def check(self, page: str, href: str) -> None:
        target, fragment = urldefrag(href)
        parts = urlsplit(target)
        if parts.scheme in ("mailto",) or (parts.scheme in ("http", "https") and not target.startswith(self.served.origin)):
            return
        if not parts.path.startswith(PREFIX):
            self.problems.append(f"{page} -> {href}: leaves {PREFIX}")
            return
        if target not in self.statuses:
            self.statuses[target] = fetch(target)[0]
        if self.statuses[target] != 200:
            self.problems.append(f"{page} -> {href}: HTTP {self.statuses[target]}")
        elif fragment and (target.endswith("/") or target.endswith(".html")) and fragment not in self.page_ids(target):
            self.problems.append(f"{page} -> {href}: no such anchor")


def test_every_link_and_address_stays_below_the_path(served: Served) -> None:
    checker = LinkCheck(served)
    links = 0
    for url in page_urls(served):
        status, body = fetch(url)
        assert status == 200, url
        page = _Links()
        page.feed(body.decode("utf-8"))
        checker.ids[url] = page.ids
        for href in page.links:
            checker.check(url, urljoin(url, href))
            links += 1
        for address in page.addresses:
            if not address.startswith(served.base):
                checker.problems.append(f"{url}: metadata address {address} is not below {served.base}")
    assert links > 1000
    assert not checker.problems, "\n".join(checker.problems)


def test_a_same_site_link_in_a_body_is_resolved_below_the_path(served: Served) -> None:
    html = fetch(served.base + MOVED_TO.lstrip("/"))[1].decode("utf-8")
    assert f'href="{PREFIX}2024/#report-heading"' in html


def test_sitemap_and_robots_name_addresses_below_the_path(served: Served) -> None:
    sitemap = ElementTree.fromstring(fetch(served.base + "sitemap.xml")[1])
    locations = [element.text or "" for element in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locations) > 30
    assert [loc for loc in locations if not loc.startswith(served.base) or fetch(loc)[0] != 200] == []
    robots = fetch(served.base + "robots.txt")[1].decode("utf-8")
    assert f"Allow: {PREFIX}\n" in robots and f"Sitemap: {served.base}sitemap.xml\n" in robots


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feeds_read_below_the_path(served: Served, name: str) -> None:
    feed_url = served.base + name
    feed = feedparser.parse(feed_url)  # fetched over HTTP, as a reader does; relative links resolved
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.link == served.base, "the channel link is the home page"
    assert served.base + name in {link.href for link in feed.feed.links}
    checker = LinkCheck(served)
    assert len(feed.entries) == 5
    for entry in feed.entries:
        assert entry.id.startswith("urn:uuid:")
        assert entry.link.startswith(served.base + "20") and fetch(entry.link)[0] == 200
        content = _Links()
        content.feed(entry.content[0].value)
        for href in content.links:
            checker.check(f"{name} {entry.id}", urljoin(entry.link, href))
    assert not checker.problems, "\n".join(checker.problems)
    bodies = " ".join(entry.content[0].value for entry in feed.entries)
    assert f'href="{served.base}2024/#report-heading"' in bodies or f'href="{PREFIX}2024/#report-heading"' in bodies


def test_the_404_page_works_at_any_depth(served: Served) -> None:
    status, body = fetch(served.origin + DEEP_MISSING)
    assert status == 404
    page = _Links()
    page.feed(body.decode("utf-8"))
    checker = LinkCheck(served)
    for href in page.links:
        if href.startswith("#"):  # the skip link, within the page itself
            assert href[1:] in page.ids
        else:
            checker.check(DEEP_MISSING, urljoin(served.origin + DEEP_MISSING, href))
    assert len(page.links) > 15
    assert not checker.problems, "\n".join(checker.problems)


def test_the_redirect_page_names_its_target_below_the_path(served: Served) -> None:
    status, body = fetch(served.base + MOVED.lstrip("/"))
    html = body.decode("utf-8")
    assert status == 200
    assert f'<meta http-equiv="refresh" content="0; url={PREFIX}{MOVED_TO.lstrip("/")}">' in html
    assert f'<link rel="canonical" href="{served.base}{MOVED_TO.lstrip("/")}">' in html


# --- In Chromium --------------------------------------------------------------------------

BROWSER_STATE = """() => ({
    links: [...document.querySelectorAll('a[href], link[href]')].map(element => new URL(element.getAttribute('href'), document.baseURI).href),
    styled: [...document.styleSheets].some(sheet => sheet.href && sheet.href.endsWith('/archive/assets/style.css') && sheet.cssRules.length > 20),
    wrapWidth: getComputedStyle(document.querySelector('.wrap')).maxWidth,
})"""


def unexpected(watched: Watched) -> list[str]:
    """Moving on at "load" cuts the favicon request short (ERR_ABORTED); the HTTP checks fetch it."""
    return [p for p in watched.problems if not p.endswith("/archive/assets/favicon.svg: net::ERR_ABORTED")]


def watch_requests(watched: Watched) -> list[str]:
    requested: list[str] = []
    watched.context.on("request", lambda request: requested.append(request.url))
    return requested


@pytest.mark.browser
def test_chromium_follows_every_link_below_the_path(served: Served, new_context: Callable[..., Watched]) -> None:
    """Chromium resolves every page's links itself; each must stay below /archive/ and work."""
    watched = new_context()
    requested = watch_requests(watched)
    checker = LinkCheck(served)
    page = watched.context.new_page()
    pages = [url for url in page_urls(served) if url != served.base + "404.html" and url != served.base + MOVED.lstrip("/")]
    for url in pages:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        state = page.evaluate(BROWSER_STATE)
        assert state["styled"] and state["wrapWidth"] != "none", f"{url}: stylesheet not applied"
        for href in state["links"]:
            checker.check(url, href)
    assert not checker.problems, "\n".join(checker.problems)
    problems = unexpected(watched)
    assert not problems, "\n".join(problems)
    escaped = [url for url in requested if not urlsplit(url).path.startswith(PREFIX)]
    assert not escaped, escaped


@pytest.mark.browser
def test_chromium_renders_the_404_page_and_follows_a_redirect(served: Served, new_context: Callable[..., Watched]) -> None:
    watched = new_context()
    requested = watch_requests(watched)
    page = watched.context.new_page()
    response = page.goto(served.origin + DEEP_MISSING, wait_until="load")
    assert response is not None and response.status == 404
    state = page.evaluate(BROWSER_STATE)
    assert state["styled"] and state["wrapWidth"] != "none", "the 404 page at depth loads its stylesheet"
    page.get_by_role("link", name="claims", exact=True).click()
    page.wait_for_url(served.base + "claims/")
    assert page.title().startswith("Claims across years")
    page.goto(served.base + MOVED.lstrip("/"))
    page.wait_for_url(served.base + MOVED_TO.lstrip("/"))
    assert page.locator("h1").first.is_visible()
    # The only thing that went wrong is the deliberate 404 (as a response, and as Chromium's console note on it).
    problems = unexpected(watched)
    assert len(problems) == 2 and all(DEEP_MISSING in problem and "404" in problem for problem in problems), problems
    escaped = [url for url in requested if not urlsplit(url).path.startswith(PREFIX)]
    assert not escaped, escaped
