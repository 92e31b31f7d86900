"""Lighthouse audit: serve a built site on localhost and print the four category scores.

Usage: python benchmarks/lighthouse_audit.py SITE_DIR PORT (see `make audit`). Lighthouse is
installed from npm into .tools/ and drives Debian's chromium through CHROME_PATH.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
PAGES = ("", "2024/", "claims/", "search/")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse() -> Path:
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "lighthouse@13"], check=True)
    return binary


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    site, port = Path(sys.argv[1]), int(sys.argv[2])
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install -y chromium")
    binary = lighthouse()
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    flags = (
        "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"
    )
    try:
        print(f"{'page':<12}" + "".join(f"{c:>16}" for c in CATEGORIES))
        for page in PAGES:
            with tempfile.TemporaryDirectory() as scratch:
                report = Path(scratch) / "report.json"
                subprocess.run(
                    [
                        str(binary),
                        f"http://127.0.0.1:{port}/{page}",
                        "--quiet",
                        "--output=json",
                        f"--output-path={report}",
                        f"--chrome-flags={flags}",
                        "--only-categories=" + ",".join(CATEGORIES),
                    ],
                    check=True,
                    env={**os.environ, "CHROME_PATH": chromium},
                )
                scores = json.loads(report.read_text())["categories"]
            print(f"{'/' + page:<12}" + "".join(f"{round(scores[c]['score'] * 100):>16}" for c in CATEGORIES))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
