"""Two builds of the same input, in different folders, at different times, under different
time zones, locales and hash seeds, with different file times, produce identical bytes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.conftest import copy_project, file_digests, run_build_script


def build_in(project: Path, **env: str) -> dict[str, str]:
    """Build in a fresh process; the sha256 of every file written."""
    out = project / "_site"
    result = run_build_script(project, out, **env)
    assert result.returncode == 0, result.stderr
    return file_digests(out)


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first_project = copy_project(tmp_path / "first")
    second_project = copy_project(tmp_path / "elsewhere" / "deeper" / "second")
    # Content files look older in the second copy, as after a fresh clone at another time.
    a_year_ago = time.time() - 365 * 24 * 3600
    for path in second_project.rglob("*"):
        os.utime(path, (a_year_ago, a_year_ago))

    first = build_in(first_project, TZ="UTC", PYTHONHASHSEED="1", LC_ALL="C.UTF-8")
    time.sleep(1.1)  # a clock-dependent value would differ at one-second resolution
    second = build_in(second_project, TZ="Asia/Macau", PYTHONHASHSEED="2", LC_ALL="C")

    assert len(first) > 50
    assert first.keys() == second.keys()
    differing = sorted(name for name in first if first[name] != second[name])
    assert not differing, f"differ between the two builds: {differing}"
