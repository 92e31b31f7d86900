"""axe-core finds no WCAG 2.2 AA violation on any page type, in the light and the dark colour scheme."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("tests.browser_support")
from tests.browser_support import Watched, open_page  # noqa: E402

pytest_plugins = ["tests.browser_support"]
pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# One page of every type: the timeline, a year with and one without a statement, a statement,
# the claims matrix, a claim, the about page, the search page and the 404 page.
PAGES = {
    "home": "/",
    "year-with-statement": "/2024/",
    "year-without-statement": "/2021/",
    "statement": "/2024/statement-2024-06-25/",
    "claims": "/claims/",
    "claim": "/claims/law-6-2008/",
    "about": "/about/",
    "search": "/search/?q=%22Law+No.+6%2F2008%22",
    "not-found": "/404.html",
}


@cache
def axe_source() -> str:
    """axe-core as shipped by axe-playwright-python (found without importing the package)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None and spec.origin is not None, "axe-playwright-python is not installed"
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


def run_axe(new_context: Callable[..., Watched], url: str, scheme: str) -> dict[str, Any]:
    # The pages' Content-Security-Policy (script-src 'none') forbids every script on the real site,
    # so axe cannot be added as a <script>. This context lifts the CSP only so that the checker can
    # be injected; test_browser.py proves the policy does block script when it is not bypassed.
    watched = new_context(color_scheme=scheme, bypass_csp=True)
    page = open_page(watched, url)
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    page.add_script_tag(content=axe_source())
    results: dict[str, Any] = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    watched.assert_clean(f"running axe on {url}")
    return results


def report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} [{len(violation['nodes'])} node(s)] {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", list(PAGES.values()), ids=list(PAGES))
def test_no_wcag_violations(path: str, scheme: str, new_context: Callable[..., Watched], served_site: str) -> None:
    results = run_axe(new_context, served_site + path, scheme)
    assert results["passes"], "axe reported no passing rule: it did not really run"
    assert results["testEngine"]["name"] == "axe-core"
    violations: list[dict[str, Any]] = results["violations"]
    if violations:
        pytest.fail(f"{path} ({scheme} scheme), axe-core {results['testEngine']['version']}:\n{report(violations)}", pytrace=False)
