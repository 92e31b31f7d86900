"""The command line: one line per problem, no traceback, non-zero exit, nothing written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.commands import build as build_command
from tests.conftest import ROOT


def test_check_passes_on_the_real_archive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("OK: 12 responses (5 with their text), 13 report years")


def test_build_writes_and_reports_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = project / "_site"
    assert main(["--root", str(project), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Built ") and " pages (" in lines[0]
    assert (out / "2024/statement-2024-06-25/index.html").is_file()


@pytest.mark.parametrize("verb_first", [False, True])
def test_build_options_count_before_or_after_the_verb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb_first: bool) -> None:
    asked: list[tuple[object, ...]] = []

    def build(*args: object) -> int:
        asked.append(args)
        return 0

    monkeypatch.setattr(build_command, "build", build)
    options = ["--out", str(tmp_path / "dist"), "--base-url", "https://example.org/tip/", "--cache", str(tmp_path / "c")]
    assert main(["--root", str(tmp_path), *(["build", *options] if verb_first else [*options, "build"])]) == 0
    assert (
        main(["--root", str(tmp_path), "--no-cache", "build"] if not verb_first else ["--root", str(tmp_path), "build", "--no-cache"]) == 0
    )
    assert main(["--root", str(tmp_path), "build"]) == 0
    resolved = tmp_path.resolve()
    assert asked == [
        (resolved, tmp_path / "dist", "https://example.org/tip/", tmp_path / "c"),
        (resolved, resolved / "_site", None, None),
        (resolved, resolved / "_site", None, resolved / ".cache"),
    ]


def test_problems_are_listed_one_per_line(project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    edit("statements/2024-statement-2024-06-25.md", "tier: Tier 3", "tier: Tier 9")
    edit("statements/2020-statement-2020-06-26.md", "year: 2020", "year: 2020\nyear: 2021")
    assert main(["--root", str(project), "check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("statements/2020-statement-2020-06-26.md:") and ": year: key 'year' appears twice" in err[0]
    assert err[1].startswith("statements/2024-statement-2024-06-25.md:") and ": tier: unknown tier 'Tier 9'" in err[1]
    assert err[2] == "2 problems found; nothing was written."
    assert "Traceback" not in "\n".join(err)


def test_new_scaffolds_a_file_that_check_then_explains(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(project), "new", "2025", "statement-2025-12-01"]) == 0
    created = project / "statements/2025-statement-2025-12-01.md"
    assert created.read_text(encoding="utf-8").count("urn:uuid:") == 1
    assert main(["--root", str(project), "check"]) == 1
    err = capsys.readouterr().err
    assert "statements/2025-statement-2025-12-01.md:" in err and "tier:" in err


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//",
        'https://archive.test/"><script>alert(1)</script>/',
        "ftp://archive.test/",
        "https://archive.test/archive/?page=1",
        "https://archive.test/archive/../",
        "https://archive.test/a path/",
    ],
)
def test_a_base_url_override_meets_the_site_schema(project: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = project / "_site"
    assert main(["--root", str(project), "--out", str(out), "--base-url", url]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("data/site.yaml:") and ": base_url: --base-url: " in err[0] and "http(s)" in err[0]
    assert not out.exists()


def test_new_points_to_a_registered_response_without_text(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A contributor about to add the 2018 text as a new file is sent to the file that records it."""
    assert main(["--root", str(project), "new", "2018", "statement-2018-text"]) == 1
    err = capsys.readouterr().err
    assert "statements/2018-statement-2018-06-29.md" in err and "paste it verbatim" in err
    assert not (project / "statements/2018-statement-2018-text.md").exists()
    assert main(["--root", str(project), "new", "2018", "statement-2018-text", "--another"]) == 0
    assert (project / "statements/2018-statement-2018-text.md").is_file()


def test_a_base_url_below_a_path_builds_links_below_it(project: Path) -> None:
    out = project / "_site"
    # No trailing slash: the build adds it, since every contract path is appended to the base.
    assert main(["--root", str(project), "--out", str(out), "--base-url", "https://archive.test/archive"]) == 0
    home = (out / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://archive.test/archive/">' in home
    assert 'href="/archive/assets/style.css"' in home and 'href="/archive/2024/"' in home
    assert 'href="/2024/"' not in home
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert robots == "User-agent: *\nAllow: /archive/\nSitemap: https://archive.test/archive/sitemap.xml\n"


def test_the_citation_workers_start_before_the_pipeline_is_imported(project: Path, tmp_path: Path) -> None:
    """A cold build forks its citation workers first, so they import citeproc-py while the
    build imports the rest (most of a small archive's start-up); `check` imports no renderer."""
    script = (
        "import sys\n"
        "from site_builder import csl\n"
        "from site_builder.cli import main\n"
        "PIPELINE = ('site_builder.loader', 'site_builder.render', 'jinja2')\n"
        "loaded = [sorted(m for m in PIPELINE if m in sys.modules)]\n"
        "start_workers = csl.CslFormatter.start_workers\n"
        "def recording(self, styles):\n"
        "    loaded.append(sorted(m for m in PIPELINE if m in sys.modules))\n"
        "    start_workers(self, styles)\n"
        "csl.CslFormatter.start_workers = recording\n"
        "code = main(sys.argv[1:])\n"
        "print(code, loaded, 'site_builder.render' in sys.modules)\n"
    )

    def run(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, "--root", str(project), *arguments],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=ROOT,
        )
        return done.stdout.strip().splitlines()[-1]

    assert run("--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")) == "0 [[], []] True"
    assert run("check") == "0 [[]] False"
