"""The preview server: reload script and CSP only in what it sends, error page, events, busy port,
and the whole loop in Chromium (edit, see it; break the YAML, see the error; fix it, see the page)."""

from __future__ import annotations

import functools
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from site_builder.errors import ContentError
from site_builder.serve import Preview, PreviewHandler, error_page, inject_reload, serve
from tests.conftest import ROOT

pytest.register_assert_rewrite("tests.browser_support")
from tests.browser_support import HOST, Watched  # noqa: E402

pytest_plugins = ["tests.browser_support"]

STATEMENT = "statements/2024-statement-2024-06-25.md"
STATEMENT_PAGE = "/2024/statement-2024-06-25/"
RELOAD_TAG = '<script src="/__reload.js"'
SUMMARY = "summary: News report"
EDITED_SUMMARY = "summary: Freshly edited news report"
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def _policy(page: str) -> str:
    found = CSP.findall(page)
    assert len(found) == 1, "one CSP meta per page"
    return str(found[0])


def test_built_files_never_contain_the_reload_script(site: Path) -> None:
    written = [path for path in site.rglob("*") if path.is_file()]
    assert len(written) > 90
    for path in written:
        content = path.read_bytes()
        assert b"__reload" not in content and b"__events" not in content, path
        if path.suffix == ".html" and path != site / "search/index.html":  # search has its own policy
            assert "script-src &#39;none&#39;" in _policy(content.decode()), path


def test_injection_allows_same_origin_script_in_the_served_copy_only(site_files: dict[str, bytes]) -> None:
    built = site_files["2024/index.html"]
    served = inject_reload(built, 7).decode()
    assert _policy(served) == _policy(built.decode()).replace("script-src &#39;none&#39;", "script-src &#39;self&#39;")
    assert served.count(RELOAD_TAG) == 1
    assert f'{RELOAD_TAG} data-version="7"></script>\n</body>' in served
    # Everything else is the built page, unchanged.
    assert CSP.sub("", served).replace(f'{RELOAD_TAG} data-version="7"></script>\n', "") == CSP.sub("", built.decode())
    assert b"__reload" not in built


@pytest.mark.parametrize(
    ("policy", "served"),
    [
        ("script-src &#39;self&#39;; connect-src &#39;self&#39;", "script-src &#39;self&#39;; connect-src &#39;self&#39;"),
        (
            "default-src &#39;none&#39;; script-src &#39;none&#39;; connect-src &#39;none&#39;",
            "default-src &#39;none&#39;; script-src &#39;self&#39;; connect-src &#39;self&#39;",
        ),
        ("img-src &#39;self&#39;; script-src https://cdn.test", "img-src &#39;self&#39;; script-src https://cdn.test &#39;self&#39;"),
    ],
)
def test_injection_leaves_a_policy_that_allows_self_and_loosens_only_what_it_must(policy: str, served: str) -> None:
    page = f'<html><head><meta http-equiv="Content-Security-Policy" content="{policy}"></head><body></body></html>'.encode()
    assert _policy(inject_reload(page, 1).decode()) == served


def test_error_page_lists_every_problem_escaped() -> None:
    errors = (
        ContentError("statements/x.md", 3, "front-matter", "bad <script>alert(1)</script> & more"),
        ContentError("data/claims.yaml", 9, "label", "empty"),
    )
    page = error_page(errors).decode()
    assert "statements/x.md:3: front-matter: bad &lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "data/claims.yaml:9: label: empty" in page
    assert "<script>" not in page and "2 problems" in page


@pytest.fixture
def preview_server(project: Path) -> Iterator[tuple[Preview, str]]:
    """A Preview of the project copy, built once, served in this process on a free port."""
    preview = Preview(project, "http://localhost:8000/")
    preview.rebuild()
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer((HOST, 0), functools.partial(PreviewHandler, preview=preview))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield preview, f"{HOST}:{server.server_address[1]}"
    finally:
        preview.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _get(address: str, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(address, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    result = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return result


def test_served_pages_carry_the_script_and_other_files_are_sent_as_built(
    preview_server: tuple[Preview, str], edit: Callable[[str, str, str], Path]
) -> None:
    preview, address = preview_server
    built = preview.current.files
    status, headers, body = _get(address, STATEMENT_PAGE)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == inject_reload(built["2024/statement-2024-06-25/index.html"], preview.current.version)
    assert _get(address, "/feed.xml")[2] == built["feed.xml"]
    assert _get(address, "/assets/style.css")[2] == built["assets/style.css"]
    status, headers, script = _get(address, "/__reload.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"EventSource" in script
    status, headers, _ = _get(address, "/2024")
    assert status == 301 and headers["Location"] == "/2024/"
    status, _, body = _get(address, "/no/such/page/")
    assert status == 404 and body == inject_reload(built["404.html"], preview.current.version)
    # Nothing written into the project.
    assert not (preview.root / "_site").exists()


def test_events_announce_each_build_and_errors_replace_html_until_fixed(
    preview_server: tuple[Preview, str], edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    preview, address = preview_server
    connection = http.client.HTTPConnection(address, timeout=10)
    connection.request("GET", "/__events")
    events = connection.getresponse()
    assert events.status == 200 and events.getheader("Content-Type") == "text/event-stream"
    first = preview.current.version
    assert events.readline() == f"data: {first}\n".encode() and events.readline() == b"\n"

    edit(STATEMENT, "year: 2024", "year: [2024")
    preview.rebuild((STATEMENT,))
    assert events.readline() == f"data: {first + 1}\n".encode()
    status, _, body = _get(address, STATEMENT_PAGE)
    assert status == 500
    assert f"{STATEMENT}:3: front-matter: YAML syntax error".encode() in body and RELOAD_TAG.encode() in body
    assert _get(address, "/assets/style.css")[0] == 200, "the last good assets stay available"
    assert f"{STATEMENT}:3: front-matter: YAML syntax error" in capsys.readouterr().err

    edit(STATEMENT, "year: [2024", "year: 2024")
    preview.rebuild((STATEMENT,))
    events.readline()
    assert events.readline() == f"data: {first + 2}\n".encode()
    assert _get(address, STATEMENT_PAGE)[0] == 200
    connection.close()


def test_a_busy_port_is_reported(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        assert serve(project, taken.getsockname()[1]) == 1
    assert "cannot serve on port" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve_process(project: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python build.py serve` on the project copy, started and always stopped."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "build.py"), "--root", str(project), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=project,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # A server that never gets ready must not hang the test run.
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        # The server listens before it prints this line.
        for line in process.stdout:
            if line.startswith("Serving "):
                break
        else:
            pytest.fail(f"serve stopped: {process.stderr.read() if process.stderr else ''}")
        yield process, f"http://{HOST}:{port}"
    finally:
        watchdog.cancel()
        process.kill()
        process.wait(timeout=10)


@pytest.mark.browser
def test_serve_reloads_the_open_page_shows_errors_and_recovers(
    serve_process: tuple[subprocess.Popen[str], str], new_context: Callable[..., Watched], edit: Callable[[str, str, str], Path]
) -> None:
    process, origin = serve_process
    watched = new_context()
    page: Page = watched.context.new_page()
    page.goto(origin + STATEMENT_PAGE)
    summary = page.locator("p.summary")
    expect(summary).to_contain_text("News report of the security office")
    page.evaluate("window.__notReloaded = true")

    edit(STATEMENT, SUMMARY, EDITED_SUMMARY)
    expect(summary).to_contain_text("Freshly edited news report", timeout=10_000)
    assert page.evaluate("window.__notReloaded === undefined"), "the page reloaded itself"

    edit(STATEMENT, "year: 2024", "year: [2024")
    expect(page.locator("h1")).to_contain_text("The site cannot be built: 1 problem", timeout=10_000)
    expect(page.locator(".problems")).to_contain_text(f"{STATEMENT}:3: front-matter: YAML syntax error")

    edit(STATEMENT, "year: [2024", "year: 2024")
    expect(summary).to_contain_text("Freshly edited news report", timeout=10_000)
    assert watched.page_errors == []
    assert not [m for m in watched.console_errors if "Content Security Policy" in m], watched.console_errors

    process.kill()
    process.wait(timeout=10)
    assert process.stderr is not None
    assert f"{STATEMENT}:3: front-matter: YAML syntax error" in process.stderr.read()


def test_a_restarted_preview_reuses_what_the_last_one_kept(project: Path, tmp_path: Path) -> None:
    """With the build cache, restarting `serve` does not read, format or render everything again."""
    cache = tmp_path / "cache"
    first = Preview(project, "http://localhost:8000/", cache)
    built = first.rebuild()
    assert first._memo.computed["page"] > 0
    again = Preview(project, "http://localhost:8000/", cache)
    rebuilt = again.rebuild()
    assert rebuilt.files == built.files
    computed = again._memo.computed
    assert computed["statement"] == computed["page"] == computed["statement citation"] == 0, dict(computed)
    assert Preview(project, "http://localhost:8000/").rebuild().files == built.files, "the same site without a cache"
