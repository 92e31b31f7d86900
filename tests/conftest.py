"""Shared fixtures: a disposable copy of the project, and one real build per session."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from site_builder.loader import load_archive
from site_builder.model import Archive
from site_builder.outline import TEXT_FIELDS
from site_builder.pages import PageRenderer
from site_builder.render import render_site
from site_builder.views import PageView
from site_builder.writer import write_site

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ("statements", "data", "schema", "templates", "static")
BASE_URL = "https://archive.test/"


class _Unreadable:
    """A field that must not be read: showing, counting, testing, iterating or reading into it fails."""

    def _refuse(self, *_: object) -> object:
        raise AssertionError("a statement's text was read where only its outline may be")

    __str__ = __len__ = __bool__ = __iter__ = __getitem__ = __getattr__ = __html__ = _refuse  # type: ignore[assignment]


def without_texts(archive: Archive) -> Archive:
    """The archive with every statement's TEXT_FIELDS unreadable (see outline.py)."""
    unreadable: Any = _Unreadable()  # in place of fields of any type
    years = tuple(
        dataclasses.replace(
            year, statements=tuple(dataclasses.replace(s, **dict.fromkeys(TEXT_FIELDS, unreadable)) for s in year.statements)
        )
        for year in archive.years
    )
    return dataclasses.replace(archive, years=years)


def copy_project(target: Path) -> Path:
    for name in CONTENT:
        shutil.copytree(ROOT / name, target / name)
    return target


def file_digests(folder: Path) -> dict[str, str]:
    """The sha256 of every file below `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def run_build_script(project: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python build.py` in a fresh process, run from inside the project as a contributor would."""
    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--root", str(project), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=project,
        env={**os.environ, **env},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the archive's content that a test may break."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def edit(project: Path) -> Callable[[str, str, str], Path]:
    """Replace text in one content file of the copy; fail loudly if the text is absent."""

    def replace(relative: str, old: str, new: str) -> Path:
        path = project / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    return replace


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output path of every page rendered (not read back) from now on in the test, in order."""
    outputs: list[str] = []
    render = PageRenderer.render

    def recording(renderer: PageRenderer, view: PageView) -> bytes:
        outputs.append(view.output)
        return render(renderer, view)

    monkeypatch.setattr(PageRenderer, "render", recording)
    return outputs


@pytest.fixture(scope="session")
def archive() -> Archive:
    return load_archive(ROOT, base_url=BASE_URL)


@pytest.fixture(scope="session")
def site_files(archive: Archive) -> dict[str, bytes]:
    return render_site(archive, ROOT)


@pytest.fixture(scope="session")
def site(site_files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real archive, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("build") / "_site"
    write_site(site_files.items(), out)
    return out
