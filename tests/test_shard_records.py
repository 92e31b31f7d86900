"""Shard records: an unchanged shard's files come from its record, and the site is as a build
without a cache makes it, whatever was edited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from site_builder import shard_records, sharded_pages, urls
from site_builder.build_cache import BuildCache
from site_builder.cli import main
from site_builder.loader import load_archive
from site_builder.memo import Memo
from site_builder.render import render_site
from site_builder.search import shards_of
from site_builder.views import page_paths
from site_builder.writer import Keyed
from tests.conftest import ROOT, file_digests

_TEXT = "statements/2024-statement-2024-06-25.md"


class _Builds:
    """Builds of the project copy with one cache, each compared with a build without one; records
    which shards came from their records."""

    def __init__(self, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.project, self.tmp_path = project, tmp_path
        self.cache = tmp_path / "cache"
        self.remembered: list[str] = []
        pages = shard_records.ShardRecords.pages

        def recorded(records: shard_records.ShardRecords, shard: str, *args: Any) -> list[tuple[str, Keyed]]:
            self.remembered.append(shard)
            return pages(records, shard, *args)

        monkeypatch.setattr(shard_records.ShardRecords, "pages", recorded)

    def build(self, *options: str) -> Path:
        self.remembered.clear()
        out = self.tmp_path / "out"
        assert main(["--root", str(self.project), "build", "--out", str(out), "--cache", str(self.cache), *options]) == 0
        return out

    def fresh(self, *options: str) -> Path:
        out = self.tmp_path / "fresh"
        assert main(["--root", str(self.project), "build", "--out", str(out), "--no-cache", *options]) == 0
        return out


@pytest.fixture
def builds(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Builds:
    return _Builds(project, tmp_path, monkeypatch)


def test_the_shards_of_year_pages_alone_can_have_a_record(project: Path, edit: Callable[[str, str, str], Path]) -> None:
    archive = load_archive(ROOT)
    plan = shards_of(urls.output_file(path) for path in page_paths(archive))
    runs = shard_records.year_runs(archive, plan)
    assert set(runs) == {"2010s", "2020s"}
    assert runs["2020s"] == frozenset(year.year for year in archive.years if year.year >= 2020)
    assert sharded_pages._claims_shard(plan) is None or "claims" in plan.values()
    # A moved page left in a year's folder is a page the record of its shard could not stand for.
    edit(_TEXT, "slug: statement-2024-06-25", "slug: govt-refutes-us-report")
    edit(
        "data/redirects.yaml",
        "/claims/low-incidence/:",
        '"/2024/statement-2024-06-25/": "/2024/govt-refutes-us-report/"\n/claims/low-incidence/:',
    )
    moved = load_archive(project)
    moved_plan = shards_of(urls.output_file(path) for path in page_paths(moved))
    assert set(shard_records.year_runs(moved, moved_plan)) == {"2010s"}


def test_the_claims_folder_is_one_shard_with_its_moved_pages(project: Path) -> None:
    archive = load_archive(project)
    assert archive.splits, "the archive's claims folder holds pages of split claims"
    plan = shards_of(urls.output_file(path) for path in page_paths(archive))
    assert sharded_pages._claims_shard(plan) == "claims"
    assert sharded_pages._claims_shard({**plan, "claims/index.html": "site"}) is None


@pytest.mark.parametrize(
    ("change", "remembered"),
    [
        # A text edit: only its decade's pages are made again.
        ((_TEXT, "---\n\n", "---\n\nA paragraph added to the text.\n\n"), ["2010s", "claims"]),
        # A claim's passage: the claim pages too.
        ((_TEXT, '      - "through the Human Trafficking Deterrence Measures Concern Committee"\n', ""), ["2010s"]),
        # The date of the 2010s' last response, which the first of the 2020s links to.
        (("statements/2019-statement-2019-06-20.md", 'issued: "2019-06-20"', 'issued: "2019-06-21"'), []),
        # A template: every page is keyed by all of them.
        (("templates/statement.html", "← Previous response:", "← Earlier response:"), []),
    ],
)
def test_a_rebuild_takes_the_unchanged_shards_from_their_records_and_equals_a_build_without_a_cache(
    builds: _Builds, edit: Callable[[str, str, str], Path], change: tuple[str, str, str], remembered: list[str]
) -> None:
    builds.build()
    assert builds.remembered == []
    edit(*change)
    out = builds.build()
    assert sorted(builds.remembered) == remembered
    assert file_digests(out) == file_digests(builds.fresh())
    builds.build()
    assert sorted(builds.remembered) == ["2010s", "2020s", "claims"], "nothing edited since"


def test_another_base_url_takes_no_record(builds: _Builds) -> None:
    builds.build()
    out = builds.build("--base-url", "https://example.org/archive/")
    assert builds.remembered == []
    assert file_digests(out) == file_digests(builds.fresh("--base-url", "https://example.org/archive/"))


def test_a_page_or_citation_the_store_lost_is_made_from_the_views_again(builds: _Builds, monkeypatch: pytest.MonkeyPatch) -> None:
    builds.build()
    out = builds.build()
    lost = ["2017/index.html", "2017/statement-2017/cite.bib", "claims/index.html"]
    for name in lost:
        (out / name).unlink()
    get_many = BuildCache.get_many

    def forgetful(store: BuildCache, kind: str, keys: list[str]) -> dict[str, Any]:
        return {} if kind in ("page", "statement citation", "year citation") else get_many(store, kind, keys)

    monkeypatch.setattr(BuildCache, "get", lambda store, kind, key: forgetful(store, kind, [key]).get(key))
    monkeypatch.setattr(BuildCache, "get_many", forgetful)
    out = builds.build()
    assert sorted(builds.remembered) == ["2010s", "2020s", "claims"]
    fresh = file_digests(builds.fresh())
    assert all(fresh[name] == file_digests(out)[name] for name in lost)
    assert file_digests(out) == fresh


def test_the_preview_servers_builds_keep_no_record(builds: _Builds, project: Path) -> None:
    # Its memo holds every view of the last build: records' keys would cost it more than they save.
    memo = Memo()
    for _ in range(2):
        memo.start_build()
        render_site(load_archive(project, memo=memo), project, memo=memo)
        memo.finish_build()
    assert builds.remembered == []
    assert not any(kind == "shard record" for kind, _ in memo._kept), "none kept either"
