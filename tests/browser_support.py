"""Fixtures for the browser tests: the built site over HTTP on 127.0.0.1, and Debian's chromium.

Test modules load this file with ``pytest_plugins = ["tests.browser_support"]``, so its session
fixtures exist once per session (one HTTP server, one browser), whichever module asks first.

Playwright's own browser download does not work here: the browser is always Debian's
``chromium``. If it is missing the tests fail (they never skip) with the command to install it.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    WebError,
    sync_playwright,
)

HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the build folder below `prefix` ('/' or '/archive/'), as a static host does.

    Outside the prefix every request is a 404; a missing file below it gets the site's
    404.html with status 404, whatever its depth, like GitHub Pages. No access logs.
    """

    prefix = "/"

    def send_head(self) -> Any:
        if not self.path.startswith(self.prefix):
            self.send_error(404, "outside the site's path")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path.removeprefix(self.prefix))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(str(self.directory)) / "404.html"
        if code != 404 or not self.path.startswith(self.prefix) or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path, prefix: str = "/", port: int = 0) -> Iterator[str]:
    """Serve a built site at http://127.0.0.1:<port, free by default><prefix>. The port is chosen before
    anything is read from the folder, so a test can build for the address it will be served at.
    Yields the origin, without a trailing slash."""
    assert prefix.startswith("/") and prefix.endswith("/"), prefix
    handler = functools.partial(type("Handler", (_QuietHandler,), {"prefix": prefix}), directory=str(folder))
    httpd = ThreadingHTTPServer((HOST, port), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def served_site(site: Path) -> Iterator[str]:
    """The real archive's build, served over HTTP."""
    with serve_folder(site) as origin:
        yield origin


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed (no `chromium` on PATH); the browser tests need it. "
            "Install it with `sudo apt-get install -y chromium` (or `make browser`).",
            pytrace=False,
        )
    browser = playwright_instance.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@dataclass
class Watched:
    """A browser context that records everything that goes wrong in any of its pages:
    console errors, uncaught page errors, failed requests, HTTP responses >= 400, and any
    request to a host other than 127.0.0.1 (which is aborted, so nothing leaves the machine)."""

    context: BrowserContext
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context.route("**/*", self._route)
        self.context.on("console", self._console)
        self.context.on("weberror", self._web_error)
        self.context.on("requestfailed", self._request_failed)
        self.context.on("response", self._response)

    def _route(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == HOST:
            route.continue_()
        else:
            self.foreign_requests.append(f"{route.request.method} {route.request.url} (from {route.request.frame.url})")
            route.abort("blockedbyclient")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.console_errors.append(f"{message.text} ({where}; page {message.page.url if message.page else '?'})")

    def _web_error(self, error: WebError) -> None:
        self.page_errors.append(f"{error.error} (page {error.page.url if error.page else '?'})")

    def _request_failed(self, request: Request) -> None:
        if urlsplit(request.url).hostname == HOST:  # foreign requests are reported on their own
            self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.bad_responses.append(f"{response.status} {response.url}")

    @property
    def problems(self) -> list[str]:
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"page error: {m}" for m in self.page_errors),
            *(f"request failed: {m}" for m in self.failed_requests),
            *(f"HTTP error: {m}" for m in self.bad_responses),
            *(f"request to a foreign host: {m}" for m in self.foreign_requests),
        ]

    def assert_clean(self, where: str) -> None:
        problems = self.problems
        assert not problems, f"after {where}:\n  " + "\n  ".join(problems)


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., Watched]]:
    """Opens watched contexts (keyword arguments go to Browser.new_context); closes them after the test."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> Watched:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        opened.append(context)
        return Watched(context)

    yield open_context
    for context in opened:
        context.close()


def open_page(watched: Watched, url: str) -> Page:
    """A new page of the context, loaded (with its stylesheet) from url."""
    page = watched.context.new_page()
    response = page.goto(url, wait_until="load")
    assert response is not None, f"no response for {url}"
    assert response.status == 200, f"{url}: HTTP {response.status}"
    return page


BROWSER_FIXTURES = {"playwright_instance", "browser", "new_context"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`pytest -m "not browser"` (what the Pages workflow runs) must leave out every test that drives
    Chromium, so a test that asks for a browser fixture without the `browser` mark is an error."""
    unmarked = [
        item.nodeid
        for item in items
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("browser") is None
    ]
    if unmarked:
        raise pytest.UsageError("tests that use Chromium must be marked @pytest.mark.browser: " + ", ".join(unmarked))
