"""Benchmark: time from saving a statement to the browser showing the change, through `serve`.

Starts `python build.py serve` on a copy of the real archive (or, with `--statements N`, on N
generated statements, as `build_speed.py` makes them), opens a statement page in
Debian's chromium, then edits the statement's summary again and again. For each edit it
records the time from the file write to the first animation frame after the reloaded page's
DOMContentLoaded (the browser's own clock, read by an init script), and the server's own
rebuild time (from its "Rebuilt in N ms" line). Prints medians; rerun with `make bench-reload`.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.build_speed import generate, project_site  # noqa: E402
from tests.browser_support import CHROMIUM_ARGS, HOST  # noqa: E402

CONTENT = ("statements", "data", "schema", "templates", "static")
STATEMENT = "statements/2024-statement-2024-06-25.md"
PAGE = "/2024/statement-2024-06-25/"
EDITS = 10
TARGET_MS = 300.0
# Runs in every document the page loads: when the reloaded page is parsed, note the time of its next frame.
SHOWN_AT = """
document.addEventListener("DOMContentLoaded", () => {
  requestAnimationFrame(() => { window.__shownAt = performance.timeOrigin + performance.now(); });
});
"""
REBUILT = re.compile(r"^Rebuilt in (\d+) ms")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


def wait_for_line(lines: queue.Queue[str], pattern: re.Pattern[str], timeout: float = 60) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        match = pattern.search(line)
        if match:
            return match


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=None, help="generated statements instead of the real archive")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        if args.statements is None:
            for name in CONTENT:
                shutil.copytree(ROOT / name, project / name)
            statement, page_path, archive = project / STATEMENT, PAGE, "the real archive"
        else:
            generated = generate(args.statements)
            project_site(project, generated)
            edited_one = generated[len(generated) // 2]
            statement = project / "statements" / f"{edited_one.year}-{edited_one.slug}.md"
            page_path, archive = f"/{edited_one.year}/{edited_one.slug}/", f"{args.statements} generated statements"
        original = statement.read_text(encoding="utf-8")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "--root", str(project), "serve", "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=read_lines, args=(server.stdout, lines), daemon=True).start()
        try:
            wait_for_line(lines, re.compile(r"^Serving "), timeout=600)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.add_init_script(SHOWN_AT)
                page.goto(f"http://{HOST}:{port}{page_path}")
                page.wait_for_function("window.__shownAt !== undefined")
                latencies, rebuilds = [], []
                for number in range(EDITS):
                    marker = f"Benchmark edit {number}"
                    edited = original.replace("summary: News report", f"summary: {marker}, a news report", 1)
                    with page.expect_navigation(wait_until="domcontentloaded"):
                        written = time.time()
                        statement.write_text(edited, encoding="utf-8")
                    page.wait_for_function("window.__shownAt !== undefined")
                    shown = page.evaluate("window.__shownAt") / 1000
                    if marker not in page.locator("p.summary").inner_text(timeout=3000):
                        sys.exit(f"the reloaded page does not show the edit: {page.content()[:3000]}")
                    latencies.append((shown - written) * 1000)
                    rebuilds.append(float(wait_for_line(lines, REBUILT).group(1)))
                browser.close()
        finally:
            server.kill()
            server.wait(timeout=10)
    # The figures move with whatever else the machine is doing; say how busy it was.
    load = os.getloadavg()[0]
    print(f"save-to-reload latency on {archive}, {EDITS} edits of a statement's summary ({os.cpu_count()} cores, load average {load:.1f}):")
    print(f"  browser shows the change: median {statistics.median(latencies):.0f} ms (min {min(latencies):.0f}, max {max(latencies):.0f})")
    print(f"  server rebuild alone:     median {statistics.median(rebuilds):.0f} ms (min {min(rebuilds):.0f}, max {max(rebuilds):.0f})")
    rest = [total - rebuild for total, rebuild in zip(latencies, rebuilds, strict=True)]
    print(f"  the rest (noticing the save, the event, the page reload): median {statistics.median(rest):.0f} ms")
    median = statistics.median(latencies)
    print(f"target < {TARGET_MS:.0f} ms: {'within' if median < TARGET_MS else 'OVER'} target")


if __name__ == "__main__":
    main()
