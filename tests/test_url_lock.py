"""Published URLs and feed ids are promises: the lock in data/published.lock holds them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from site_builder.cli import main
from site_builder.loader import load_archive
from site_builder.lock import broken_promises, published_entries, read_lock
from site_builder.model import Archive
from site_builder.render import render_site
from tests.conftest import ROOT

S2024 = "statements/2024-statement-2024-06-25.md"


def build(root: Path) -> tuple[Archive, dict[str, bytes]]:
    archive = load_archive(root, base_url="https://archive.test/")
    return archive, render_site(archive, root)


def test_the_build_keeps_every_locked_promise(archive: Archive, site_files: dict[str, bytes]) -> None:
    locked = read_lock(ROOT)
    assert len(locked) > 90
    assert not broken_promises(locked, archive, site_files)


def test_everything_published_is_locked(archive: Archive, site_files: dict[str, bytes]) -> None:
    unlocked = sorted(published_entries(archive, site_files) - read_lock(ROOT))
    assert not unlocked, f"run `python build.py lock` to record: {unlocked}"


def test_dropping_a_locked_url_breaks_the_promise(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    edit(S2024, "slug: statement-2024-06-25", "slug: govt-refutes-us-report")
    (project / S2024).rename(project / "statements/2024-govt-refutes-us-report.md")
    archive, files = build(project)
    dropped = broken_promises(read_lock(ROOT), archive, files)
    assert "url /2024/statement-2024-06-25/" in dropped
    assert "feed-id urn:uuid:c05501ba-52fc-4113-8881-60667c8594b2" not in dropped, "the feed id survives a new slug"


def test_a_declared_redirect_keeps_the_promise(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    edit(S2024, "slug: statement-2024-06-25", "slug: govt-refutes-us-report")
    edit(
        "data/redirects.yaml",
        "/claims/low-incidence/:",
        '"/2024/statement-2024-06-25/": "/2024/govt-refutes-us-report/"\n/claims/low-incidence/:',
    )
    archive, files = build(project)
    dropped = broken_promises(read_lock(ROOT), archive, files)
    assert not dropped
    page = files["2024/statement-2024-06-25/index.html"].decode()
    assert '<link rel="canonical" href="https://archive.test/2024/govt-refutes-us-report/">' in page
    assert 'http-equiv="refresh" content="0; url=/2024/govt-refutes-us-report/"' in page


def test_a_redirect_may_not_hide_a_live_page(
    project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    edit("data/redirects.yaml", "/claims/low-incidence/:", '"/2024/": "/2023/"\n/claims/low-incidence/:')
    assert main(["--root", str(project), "build", "--out", str(project / "_site")]) == 1
    assert "data/redirects.yaml:1: /2024/: this path is still a page of the site" in capsys.readouterr().err


def test_lock_command_refuses_to_forget(project: Path, edit: Callable[[str, str, str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    lock = project / "data/published.lock"
    before = lock.read_bytes()
    edit(S2024, "slug: statement-2024-06-25", "slug: govt-refutes-us-report")
    assert main(["--root", str(project), "lock"]) == 1
    assert "url /2024/statement-2024-06-25/: no longer published" in capsys.readouterr().err
    assert lock.read_bytes() == before


def test_the_lock_is_the_same_below_a_path_and_on_another_host(archive: Archive, site_files: dict[str, bytes]) -> None:
    """Lock entries are paths within the site, so a move to another host or below a path keeps them."""
    moved = load_archive(ROOT, base_url="https://owner.github.io/macao-tip-archive/")
    assert published_entries(moved, render_site(moved, ROOT)) == published_entries(archive, site_files)
    assert all(entry.startswith(("url /", "feed-id urn:uuid:")) for entry in read_lock(ROOT))
