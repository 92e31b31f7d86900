"""Preview server: builds in memory, rebuilds when the content changes, reloads open pages.

Nothing is written to disk: the rendered files are kept in memory and served from there. Each
HTML response gets a same-origin reload script, and its Content-Security-Policy is loosened
from `script-src 'none'` to `script-src 'self'` in that response only; built files never
contain either. The script listens on a Server-Sent Events stream that announces every build.
A build that fails serves an error page listing every problem, and the server keeps running.
"""

from __future__ import annotations

import functools
import html
import mimetypes
import re
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import watchfiles
from markupsafe import escape

from .build_cache import BuildCache
from .citation_cache import CitationCache
from .csl import CslFormatter, available_cores
from .errors import ContentError, ContentErrors, display_path
from .loader import load_archive
from .memo import Memo
from .render import render_site
from .views import NO_SCRIPT_POLICY

WATCHED = ("statements", "data", "templates", "static", "schema")
RELOAD_SCRIPT_PATH = "/__reload.js"
EVENTS_PATH = "/__events"
# How often an idle event stream is kept alive, and checks whether the server is stopping.
KEEP_ALIVE_SECONDS = 10.0

RELOAD_SCRIPT = b"""// Added by `build.py serve` to the pages it sends; built pages never load it.
(() => {
  const shown = document.currentScript.dataset.version;
  const events = new EventSource("/__events");
  events.onmessage = (event) => {
    if (event.data !== shown) {
      events.close();
      location.reload();
    }
  };
})();
"""

_CSP_META = re.compile(rb'<meta http-equiv="Content-Security-Policy" content="(?P<policy>[^"]*)">', re.IGNORECASE)


def _allow_self(policy: str, directive: str) -> str:
    """The policy with `directive` allowing same-origin sources, if it names the directive at all."""
    match = re.search(rf"(^|;)\s*{directive}\s+(?P<sources>[^;]*)", policy)
    if match is None:
        return policy
    sources = match.group("sources").split()
    if "'self'" in sources:
        return policy
    sources = [s for s in sources if s != "'none'"] + ["'self'"]
    return policy[: match.start("sources")] + " ".join(sources) + policy[match.end("sources") :]


def inject_reload(page: bytes, version: int) -> bytes:
    """A served copy of an HTML page: its CSP allows same-origin script, and it loads the reload script."""

    def loosen(meta: re.Match[bytes]) -> bytes:
        policy = html.unescape(meta.group("policy").decode("utf-8"))
        for directive in ("script-src", "connect-src"):
            policy = _allow_self(policy, directive)
        return b'<meta http-equiv="Content-Security-Policy" content="' + str(escape(policy)).encode() + b'">'

    page = _CSP_META.sub(loosen, page, count=1)
    tag = f'<script src="{RELOAD_SCRIPT_PATH}" data-version="{version}"></script>\n'.encode()
    closing = page.rfind(b"</body>")
    if closing == -1:
        return page + tag
    return page[:closing] + tag + page[closing:]


def error_page(errors: tuple[ContentError, ...]) -> bytes:
    """What the browser shows while the content has problems: each `path:line: field: message`."""
    count = len(errors)
    items = "".join(f"<li><code>{html.escape(str(error))}</code></li>\n" for error in errors)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{NO_SCRIPT_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Content problems · preview</title>\n"
        '<link rel="stylesheet" href="/assets/style.css">\n</head>\n<body>\n<main id="main" class="wrap">\n'
        f"<h1>The site cannot be built: {count} problem{'s' if count != 1 else ''}</h1>\n"
        "<p>Fix the files below; this page reloads by itself when the site builds again.</p>\n"
        f'<ul class="problems">\n{items}</ul>\n</main>\n</body>\n</html>\n'
    ).encode()


@dataclass(frozen=True)
class Build:
    """One build of the preview: its number, its files and, if it failed, its problems."""

    version: int
    files: Mapping[str, bytes] = field(default_factory=dict)
    errors: tuple[ContentError, ...] = ()


class Preview:
    """The site as last built from the content, kept in memory, and who waits for the next build."""

    def __init__(self, root: Path, base_url: str, cache: Path | None = None) -> None:
        self.root = root
        self.base_url = base_url
        # With the build's cache the first build reuses what earlier ones computed; later builds
        # reuse what the memo holds, so only the first pays for reading the store.
        self._memo = Memo(store=BuildCache(cache / "results") if cache is not None else None)
        self._citations = CitationCache(cache / "citations") if cache is not None else None
        self._current = Build(0)
        self._built = threading.Condition()
        self._stopping = False

    @property
    def current(self) -> Build:
        with self._built:
            return self._current

    def rebuild(self, changed: tuple[str, ...] = ()) -> Build:
        """Build again (reusing what did not change); on content problems keep the last good files."""
        started = time.perf_counter()
        self._memo.start_build()
        try:
            # Worker processes only for the first build: later ones run beside the server's
            # threads, and a process forked then could inherit a lock some thread holds.
            workers = available_cores() if self.current.version == 0 else 1
            archive = load_archive(self.root, base_url=self.base_url, memo=self._memo, workers=workers)
            files = render_site(archive, self.root, CslFormatter(self._citations, workers), memo=self._memo)
        except ContentErrors as problems:
            build = Build(self.current.version + 1, self.current.files, tuple(problems.errors))
            for error in build.errors:
                print(error, file=sys.stderr, flush=True)
            count = len(build.errors)
            print(
                f"{count} problem{'s' if count != 1 else ''} found; the browser shows them until they are fixed.",
                file=sys.stderr,
                flush=True,
            )
        else:
            self._memo.finish_build()
            build = Build(self.current.version + 1, files)
            print(self._summary(build, changed, time.perf_counter() - started), flush=True)
        with self._built:
            self._current = build
            self._built.notify_all()
        return build

    def _summary(self, build: Build, changed: tuple[str, ...], seconds: float) -> str:
        pages = sum(1 for name in build.files if name.endswith(".html"))
        if not changed:
            return f"Built {pages} pages ({len(build.files)} files) in memory in {seconds:.2f} s"
        rendered = self._memo.computed["page"]
        citations = sum(count for kind, count in self._memo.computed.items() if kind.endswith("citation"))
        return f"Rebuilt in {seconds * 1000:.0f} ms after a change to {', '.join(changed)}: {rendered} of {pages} pages and {citations} citations re-rendered"

    def wait_for_build(self, after: int | None, timeout: float) -> Build | None:
        """The first build newer than version `after` (any build if None); None on timeout or stop."""
        with self._built:
            self._built.wait_for(lambda: self._stopping or after is None or self._current.version != after, timeout)
            if self._stopping or (after is not None and self._current.version == after):
                return None
            return self._current

    @property
    def stopping(self) -> bool:
        with self._built:
            return self._stopping

    def stop(self) -> None:
        with self._built:
            self._stopping = True
            self._built.notify_all()


def watch(preview: Preview, stop: threading.Event) -> None:
    """Rebuild after every batch of saved changes until `stop` is set."""
    folders = [preview.root / name for name in WATCHED if (preview.root / name).is_dir()]
    for changes in watchfiles.watch(*folders, stop_event=stop, raise_interrupt=False):
        paths = {Path(path) for _, path in changes}
        # An editor's temporary files come and go within one batch; name only what is left, unless all went.
        named = {path for path in paths if path.exists()} or paths
        try:
            preview.rebuild(tuple(sorted(display_path(path, preview.root) for path in named)))
        except Exception:
            # A bug must not stop the preview: report it, keep serving the last build, watch on.
            traceback.print_exc()
            print("The rebuild failed unexpectedly; still serving the last build.", file=sys.stderr, flush=True)


def _content_type(name: str) -> str:
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    textual = kind.startswith("text/") or kind in {"application/xml", "application/json", "image/svg+xml"}
    return f"{kind}; charset=utf-8" if textual else kind


class PreviewHandler(BaseHTTPRequestHandler):
    """Serves the current build from memory, the reload script and the build event stream."""

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, **kwargs)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def _respond(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if path == EVENTS_PATH and send_body:
            self._stream_builds()
            return
        if path == RELOAD_SCRIPT_PATH:
            self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_SCRIPT, send_body)
            return
        build = self.preview.current
        name = path.lstrip("/")
        if name == "" or name.endswith("/"):
            name += "index.html"
        if name not in build.files and f"{name}/index.html" in build.files:
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = HTTPStatus.OK if name in build.files else HTTPStatus.NOT_FOUND
        if status == HTTPStatus.NOT_FOUND:
            name = "404.html"
        if name.endswith(".html") and build.errors:
            page = inject_reload(error_page(build.errors), build.version)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/html; charset=utf-8", page, send_body)
        elif name.endswith(".html"):
            page = inject_reload(build.files.get(name, b"Not found"), build.version)
            self._send(status, "text/html; charset=utf-8", page, send_body)
        else:
            self._send(status, _content_type(name), build.files[name], send_body)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Always fetch afresh: a reload must show the new build.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _stream_builds(self) -> None:
        """Server-Sent Events: the current build's version at once, then each new one."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version: int | None = None
        try:
            while not self.preview.stopping:
                build = self.preview.wait_for_build(version, KEEP_ALIVE_SECONDS)
                if build is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    version = build.version
                    self.wfile.write(f"data: {version}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Only what a writer needs to notice: addresses that do not exist.
        if code == HTTPStatus.NOT_FOUND:
            super().log_request(code, size)


def serve(root: Path, port: int, cache: Path | None = None) -> int:
    """Build, serve on localhost and rebuild on every change until interrupted."""
    preview = Preview(root, f"http://localhost:{port}/", cache)
    handler = functools.partial(PreviewHandler, preview=preview)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        print(f"cannot serve on port {port}: {error.strerror or error}; try --port", file=sys.stderr)
        return 1
    preview.rebuild()
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(preview, stop), name="content-watcher", daemon=True)
    watcher.start()
    with server:
        print(f"Serving {root} at http://localhost:{port}/ from memory, rebuilding on every change (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            preview.stop()
            watcher.join(timeout=5)
    return 0
