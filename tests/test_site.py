"""The built site: the URL contract, both feeds, and every internal link and anchor."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import feedparser
import pytest

from site_builder.model import Archive
from tests.conftest import BASE_URL


class _Page(HTMLParser):
    """Collects what the link checker needs: ids, links, and <link>/<meta> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.head_links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "href" in values:
            self.links.append(values["href"])
        if tag == "link":
            self.head_links.append(values)
            self.links.append(values.get("href", ""))


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def contract(archive: Archive) -> list[str]:
    paths = ["", "claims/", "about/", "feed.xml", "atom.xml", "sitemap.xml", "robots.txt", "404.html"]
    paths += [f"{y.year}/" for y in archive.years]
    paths += [f"{s.year}/{s.slug}/" for s in archive.statements]
    paths += [f"claims/{c.id}/" for c in archive.claims]
    return paths


def local_file(site: Path, path: str) -> Path:
    return site / (path + "index.html" if path == "" or path.endswith("/") else path)


def test_every_url_of_the_contract_exists(site: Path, archive: Archive) -> None:
    missing = [p for p in contract(archive) if not local_file(site, p).is_file()]
    assert not missing
    assert (site / "2014/index.html").is_file(), "a year with no known response still has its page"
    assert "No government response to this year's report is known to the archive." in (site / "2014/index.html").read_text(encoding="utf-8")


def test_every_page_advertises_both_feeds_and_a_canonical_url(site: Path) -> None:
    for path in sorted(site.rglob("*.html")):
        links = parse(path).head_links
        types = {link.get("type") for link in links if link.get("rel") == "alternate"}
        assert {"application/rss+xml", "application/atom+xml"} <= types, path
        canonical = [link["href"] for link in links if link.get("rel") == "canonical"]
        assert len(canonical) == 1 and canonical[0].startswith(BASE_URL), path


def test_internal_links_and_anchors_resolve(site: Path) -> None:
    pages = {path: parse(path) for path in site.rglob("*.html")}
    broken: list[str] = []
    checked = 0
    for path, page in pages.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto") and not href.startswith(BASE_URL):
                continue
            target_path, fragment = urldefrag(href.removeprefix(BASE_URL[:-1]))
            if target_path:
                assert target_path.startswith("/"), f"{path}: relative link {href}"
                target = local_file(site, target_path.lstrip("/"))
            else:
                target = path
            checked += 1
            if not target.is_file():
                broken.append(f"{path.relative_to(site)} -> {href} (no file)")
            elif fragment and target.suffix == ".html" and fragment not in pages[target].ids:
                broken.append(f"{path.relative_to(site)} -> {href} (no such anchor)")
    assert checked > 500
    assert not broken, "\n".join(broken)


def test_claim_pages_link_to_every_anchored_passage(site: Path, archive: Archive) -> None:
    for claim in archive.claims:
        links = parse(site / "claims" / claim.id / "index.html").links
        for statement in archive.statements_with_claim(claim.id):
            made = next(c for c in statement.claims if c.claim.id == claim.id)
            for passage in made.passages:
                assert f"/{statement.url}#{passage.anchor}" in links


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_feeds_read_cleanly_and_match_the_statements(site: Path, archive: Archive, name: str) -> None:
    feed = feedparser.parse((site / name).read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == ("rss20" if name == "feed.xml" else "atom10")
    # The feeds carry texts: a response without one is not an entry until its text is archived.
    newest_first = sorted(archive.archived, key=lambda s: s.date, reverse=True)
    assert [e.id for e in feed.entries] == [s.id for s in newest_first]
    for entry, statement in zip(feed.entries, newest_first, strict=True):
        assert entry.link == BASE_URL + statement.url
        assert entry.published_parsed[:3] == tuple(int(part) for part in statement.date.split("-"))
        html = entry.content[0].value if "content" in entry else entry.description
        assert statement.plain_text[:40] in html
        assert all(made.claim.label in html for made in statement.claims)
    assert b"&lt;mark" in (site / name).read_bytes() or b"<mark" in (site / name).read_bytes()


def test_feed_ids_do_not_depend_on_the_domain(archive: Archive) -> None:
    from site_builder.feeds import feed_files

    one = feedparser.parse(feed_files(archive, lambda p: "https://one.example/" + p)["atom.xml"])
    two = feedparser.parse(feed_files(archive, lambda p: "https://two.example/" + p)["atom.xml"])
    assert [e.id for e in one.entries] == [e.id for e in two.entries]
    assert [e.link for e in one.entries] != [e.link for e in two.entries]


def test_sitemap_lists_every_indexable_page(site: Path, archive: Archive) -> None:
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    for path in contract(archive):
        if path.endswith("/") or path == "":
            assert f"<loc>{BASE_URL}{path}</loc>" in sitemap
    assert "404.html" not in sitemap
    assert f"Sitemap: {BASE_URL}sitemap.xml" in (site / "robots.txt").read_text(encoding="utf-8")


def test_no_request_leaves_the_site(site: Path) -> None:
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for attribute in ("src=", 'rel="stylesheet"', "@import", "url("):
            for position in range(len(text)):
                position = text.find(attribute, position)
                if position == -1:
                    break
                window = text[position : position + 80]
                assert "http" not in window.split(">")[0] or BASE_URL in window, f"{path}: {window}"
    css = (site / "assets/style.css").read_text(encoding="utf-8")
    assert "http" not in css.split("@media print")[0] and "@import" not in css and "url(" not in css


def test_statement_text_and_annotations_are_kept_apart(site: Path, archive: Archive) -> None:
    for statement in archive.archived:
        html = (site / statement.url / "index.html").read_text(encoding="utf-8")
        quote = html[html.index("<blockquote") : html.index("</blockquote>")]
        # The archive's summary and notes never stand inside the government's text.
        assert statement.summary not in quote
        assert "notes-list" not in quote
        if statement.notes_html:
            assert html.index("Archive notes") > html.index("</blockquote>")
