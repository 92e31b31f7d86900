"""A reader's journey through the built site in Debian's chromium, and what a browser alone can check:
keyboard access, anchors, no-JavaScript reading, print styles and the narrow-screen layout."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from site_builder.model import Archive, Statement

pytest.register_assert_rewrite("tests.browser_support")
from tests.browser_support import DESKTOP, PHONE, Watched, open_page  # noqa: E402

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
JOURNEY_YEAR = 2024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NARROW_PAGES = ["/", f"/{JOURNEY_YEAR}/", "statement", "/claims/", "/about/"]


def journey_statement(archive: Archive) -> Statement:
    year = next(y for y in archive.years if y.year == JOURNEY_YEAR)
    assert year.statements, f"the journey needs a statement for {JOURNEY_YEAR}"
    assert year.statements[0].claims, "the journey needs a statement with claim passages"
    return year.statements[0]


def path_of(page: Page, served_site: str) -> str:
    assert page.url.startswith(served_site + "/"), page.url
    return page.url[len(served_site) :]


def h1(page: Page) -> str:
    headings = page.locator("h1")
    assert headings.count() == 1, f"{page.url}: {headings.count()} <h1> elements"
    return headings.inner_text().strip()


def screenshot(page: Page, name: str, width: int) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{width}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    png_width, png_height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert png_height > 0
    assert png_width == width, f"{path} is {png_width}px wide at a {width}px viewport: the page scrolls sideways"
    assert len(data) > 5_000, f"{path} is suspiciously small ({len(data)} bytes)"
    return path


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_reader_journey_from_timeline_to_statement(
    viewport: dict[str, int], new_context: Callable[..., Watched], served_site: str, archive: Archive
) -> None:
    statement = journey_statement(archive)
    watched = new_context(viewport=viewport)
    width = viewport["width"]

    page = open_page(watched, served_site + "/")
    assert h1(page) == "Macao's responses to the US Trafficking in Persons Report"
    assert page.get_by_role("heading", name="Timeline", exact=True).is_visible()
    screenshot(page, "home", width)
    watched.assert_clean("opening /")

    page.locator("ol.timeline").get_by_role("link", name=str(JOURNEY_YEAR), exact=True).click()
    page.wait_for_url(f"{served_site}/{JOURNEY_YEAR}/")
    page.wait_for_load_state("load")
    assert h1(page) == f"{JOURNEY_YEAR}: Macao in the Trafficking in Persons Report"
    assert page.get_by_role("heading", name="What the report found").is_visible()
    assert page.get_by_role("heading", name="What the response claims").is_visible()
    assert page.get_by_role("heading", name=statement.heading, exact=True).is_visible()
    screenshot(page, "year", width)
    watched.assert_clean(f"following the {JOURNEY_YEAR} link")

    page.get_by_role("link", name="Statement page and full metadata").click()
    page.wait_for_url(f"{served_site}/{statement.url}")
    page.wait_for_load_state("load")
    assert path_of(page, served_site) == f"/{JOURNEY_YEAR}/{statement.slug}/"
    assert h1(page) == statement.heading
    assert statement.heading in page.title()
    assert page.get_by_role("heading", name="The statement", exact=True).is_visible()
    assert page.get_by_role("heading", name="Cite this page").is_visible()
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumbs.get_by_role("link", name=str(JOURNEY_YEAR), exact=True).is_visible()
    quoted = page.locator(".statement-text blockquote").inner_text()
    for made in statement.claims:
        for passage in made.passages:
            assert " ".join(passage.text.split()) in " ".join(quoted.split())
    screenshot(page, "statement", width)
    watched.assert_clean("following 'Statement page and full metadata'")


def test_tab_reaches_the_skip_link_first(new_context: Callable[..., Watched], served_site: str) -> None:
    watched = new_context()
    page = open_page(watched, served_site + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, cls: e.className, href: e.getAttribute('href'), text: e.textContent.trim(),"
        " left: e.getBoundingClientRect().left, top: e.getBoundingClientRect().top}; }"
    )
    assert focused["tag"] == "A" and focused["cls"] == "skip-link", focused
    assert focused["href"] == "#main"
    assert focused["text"] == "Skip to content"
    assert focused["left"] >= 0 and focused["top"] >= 0, f"the focused skip link is off-screen: {focused}"
    assert page.locator("#main").evaluate("e => e.tagName") == "MAIN"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    assert page.locator("main:target").count() == 1
    watched.assert_clean("the skip link")


def test_claim_passage_link_scrolls_to_its_mark(new_context: Callable[..., Watched], served_site: str, archive: Archive) -> None:
    statement = journey_statement(archive)
    anchor = statement.claims[0].passages[0].anchor
    watched = new_context()
    page = open_page(watched, f"{served_site}/{statement.url}")
    mark = page.locator(f"mark#{anchor}")
    assert mark.count() == 1, f"no <mark id={anchor}> on the page"
    assert "claim" in (mark.get_attribute("class") or "").split()

    page.locator(f'a.passage-link[href="#{anchor}"]').first.click()
    assert page.evaluate("location.hash") == f"#{anchor}"
    assert mark.evaluate("e => e.matches(':target')")
    box = mark.evaluate("e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, vh: innerHeight}; }")
    assert box["top"] >= 0 and box["bottom"] <= box["vh"], f"the passage is not scrolled into view: {box}"
    assert box["top"] < box["vh"] / 2, f"the passage is not near the top of the viewport: {box}"
    watched.assert_clean("following a claim passage link")


def test_statement_is_readable_without_javascript(new_context: Callable[..., Watched], served_site: str, archive: Archive) -> None:
    statement = journey_statement(archive)
    watched = new_context(java_script_enabled=False)
    page = open_page(watched, f"{served_site}/{statement.url}")
    quote = page.locator(".statement-text blockquote")
    assert quote.is_visible()
    passage = statement.claims[0].passages[0].text
    assert " ".join(passage.split()) in " ".join(quote.inner_text().split())
    assert h1(page) == statement.heading
    watched.assert_clean("reading without JavaScript")


def test_print_hides_the_site_navigation(new_context: Callable[..., Watched], served_site: str, archive: Archive) -> None:
    statement = journey_statement(archive)
    watched = new_context()
    page = open_page(watched, f"{served_site}/{statement.url}")
    nav = page.get_by_role("navigation", name="Site")
    assert nav.is_visible(), "the site navigation should show on screen"
    page.emulate_media(media="print")
    assert nav.is_hidden(), "the site navigation should not be printed"
    assert page.locator(".statement-text blockquote").is_visible(), "the statement itself must print"
    watched.assert_clean("print emulation")


@pytest.mark.parametrize("target", NARROW_PAGES)
def test_no_horizontal_scrolling_on_a_phone(target: str, new_context: Callable[..., Watched], served_site: str, archive: Archive) -> None:
    path = f"/{journey_statement(archive).url}" if target == "statement" else target
    watched = new_context(viewport=PHONE)
    page = open_page(watched, served_site + path)
    width = PHONE["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width + 1:
        # Elements past the right edge that a scrolling box does not contain: either no ancestor
        # scrolls, or they are absolutely positioned and so escape a non-positioned scroller.
        culprits = page.evaluate(
            """(width) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .filter(e => {
                    const position = getComputedStyle(e).position;
                    if (position === 'absolute' || position === 'fixed') return true;
                    for (let p = e.parentElement; p; p = p.parentElement)
                        if (getComputedStyle(p).overflowX !== 'visible') return false;
                    return true;
                })
                .slice(0, 10)
                .map(e => `${e.tagName.toLowerCase()}.${e.className}: right=${Math.round(e.getBoundingClientRect().right)}`)""",
            width,
        )
        pytest.fail(f"{path} is {scroll_width}px wide at {width}px; too wide: {culprits}")
    watched.assert_clean(f"opening {path} on a phone")


def test_content_security_policy_blocks_injected_inline_script(new_context: Callable[..., Watched], served_site: str) -> None:
    """The pages forbid all script (script-src 'none'). Playwright's evaluate is not page script and is
    allowed; the inline <script> it appends is page script and must not run."""
    watched = new_context()  # no bypass_csp: the page's own policy applies
    page = open_page(watched, f"{served_site}/{JOURNEY_YEAR}/")
    page.evaluate(
        "() => { window.__violations = [];"
        " document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective)); }"
    )
    with page.expect_console_message(lambda m: m.type == "error" and "Content Security Policy" in m.text) as blocked:
        page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__x = 1'; document.body.append(s); }")
    assert "script-src" in blocked.value.text
    assert page.evaluate("typeof window.__x") == "undefined", "an injected inline script ran despite the CSP"
    page.wait_for_function("window.__violations.length > 0")
    assert any(d.startswith("script-src") for d in page.evaluate("window.__violations"))
    # The refusal is the only error the page logged.
    assert len(watched.console_errors) == 1 and "Content Security Policy" in watched.console_errors[0]
    assert not watched.page_errors and not watched.failed_requests and not watched.bad_responses and not watched.foreign_requests
