"""Rendering: a broken template is reported like broken content, by file and line, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder.cli import main


def refused(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = project / "_site"
    assert main(["--root", str(project), "build", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists()
    lines = err.splitlines()
    assert len(lines) == 2, err
    return lines[0]


def test_template_syntax_error(project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    edit("templates/year.html", "{% endblock %}", "{% endblok %}")
    line = refused(project, capsys)
    assert line.startswith("templates/year.html:") and ": template: syntax error: Encountered unknown tag 'endblok'" in line


def test_undefined_value_is_located_in_its_template(
    project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = edit("templates/year.html", "{% block main %}\n", "{% block main %}\n<p>{{ year.nonexistent }}</p>\n")
    expected = path.read_text(encoding="utf-8").split("\n").index("<p>{{ year.nonexistent }}</p>") + 1
    assert (
        refused(project, capsys)
        == f"templates/year.html:{expected}: template: 'site_builder.model.ReportYear object' has no attribute 'nonexistent'"
    )


def test_missing_template(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "templates/claim.html").unlink()
    assert refused(project, capsys) == "templates/claim.html:1: template: template is missing"
