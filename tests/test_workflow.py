"""The GitHub Pages workflow: valid for GitHub (its published JSON Schema), clean for zizmor's
security audits, and wired as the README describes (test, build for the Pages address, deploy)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github/workflows/pages.yml"
TOOLS = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(action + "@")]


def test_the_workflow_meets_githubs_schema() -> None:
    result = run(str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = run(str(TOOLS / "zizmor"), "--offline", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout, result.stdout


def test_every_action_is_pinned_to_a_commit(workflow: dict[Any, Any]) -> None:
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert len(uses) == 5
    assert [u for u in uses if not PINNED.match(u)] == []


def test_build_job_tests_then_builds_for_the_pages_address(workflow: dict[Any, Any]) -> None:
    # PyYAML reads the key `on` as True (YAML 1.1).
    assert workflow[True]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"] == "pages"
    build = workflow["jobs"]["build"]
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert steps_using(build, "actions/checkout")[0]["with"]["persist-credentials"] is False
    assert steps_using(build, "actions/setup-python")
    runs = [step.get("run", "") for step in build["steps"]]
    assert "python -m pip install -e '.[test]'" in runs
    assert 'python -m pytest -m "not browser"' in runs
    pages = steps_using(build, "actions/configure-pages")[0]
    assert pages["id"] == "pages"
    building = next(step for step in build["steps"] if step.get("run", "").startswith("python build.py"))
    # The address reaches the shell through the environment, never pasted into the script.
    assert building["env"] == {"PAGES_BASE_URL": "${{ steps.pages.outputs.base_url }}"}
    assert building["run"] == 'python build.py --out _site --base-url "$PAGES_BASE_URL/"'
    order = [build["steps"].index(step) for step in (pages, building, steps_using(build, "actions/upload-pages-artifact")[0])]
    assert order == sorted(order) and runs.index('python -m pytest -m "not browser"') < order[0]
    assert steps_using(build, "actions/upload-pages-artifact")[0]["with"]["path"] == "_site"


def test_deploy_job_deploys_the_artifact(workflow: dict[Any, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"
    assert steps_using(deploy, "actions/deploy-pages")[0]["id"] == "deployment"


def test_the_browser_free_selection_leaves_out_every_chromium_test() -> None:
    """What the workflow runs: `-m "not browser"` collects the rest and none that drives Chromium
    (browser_support refuses to collect an unmarked test that asks for a browser)."""
    result = run(sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not browser", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout + result.stderr
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(collected) > 200
    for chromium_module in ("test_browser.py", "test_accessibility.py"):
        assert not [line for line in collected if chromium_module in line]
    assert "tests/test_hostile_input.py::test_nothing_runs_in_chromium" not in collected
    assert "tests/test_html_validity.py" in result.stdout, "vnu needs Java only, which the runner has"
