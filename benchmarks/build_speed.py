"""Benchmark: how long a build takes and how much memory it needs.

Prints figures for the real archive and for a synthetic archive of many statements, and
compares them with the targets below. Rerun with `make bench`; it never fails a test run.
"""

from __future__ import annotations

import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from site_builder.loader import load_archive  # noqa: E402
from site_builder.render import render_site  # noqa: E402
from site_builder.writer import write_site  # noqa: E402

TARGET_REAL_SECONDS = 3.0
TARGET_LARGE_SECONDS = 60.0
TARGET_PEAK_MIB = 512.0
CONTENT = ("statements", "data", "schema", "templates", "static")


def timed_build(root: Path, out: Path) -> tuple[float, float, float, int]:
    """Seconds to load, render and write; the number of files written."""
    started = time.perf_counter()
    archive = load_archive(root)
    loaded = time.perf_counter()
    files = render_site(archive, root)
    rendered = time.perf_counter()
    write_site(files, out)
    written = time.perf_counter()
    return loaded - started, rendered - loaded, written - rendered, len(files)


def synthetic_project(target: Path, years: int, per_year: int) -> Path:
    """The real content, with the tier history and statements repeated over many years."""
    for name in CONTENT:
        shutil.copytree(ROOT / name, target / name)
    shutil.rmtree(target / "statements")
    (target / "statements").mkdir()
    template = (ROOT / "statements/2024-statement-2024-06-25.md").read_text(encoding="utf-8")
    tiers = ["# synthetic tier history for the benchmark\n"]
    for year in range(2001, 2001 + years):
        tiers.append(
            f"- year: {year}\n  tier: Tier 3\n  report_published: null\n  change_note: Synthetic.\n"
            f"  source:\n    label: Synthetic\n    url: https://example.org/{year}\n  findings: null\n"
        )
        for number in range(per_year):
            slug = f"statement-{year}-{number:02d}"
            text = re.sub(r"^id: .*$", f"id: urn:uuid:{uuid.UUID(int=year * 100 + number)}", template, count=1, flags=re.M)
            text = text.replace("year: 2024", f"year: {year}").replace("slug: statement-2024-06-25", f"slug: {slug}")
            (target / "statements" / f"{year}-{slug}.md").write_text(text, encoding="utf-8")
    (target / "data/tiers.yaml").write_text("\n".join(tiers), encoding="utf-8")
    return target


def report(label: str, root: Path, runs: int) -> None:
    totals = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(runs):
            load, render, write, count = timed_build(root, Path(scratch) / "_site")
            totals.append((load, render, write))
    load = statistics.median(t[0] for t in totals)
    render = statistics.median(t[1] for t in totals)
    write = statistics.median(t[2] for t in totals)
    print(
        f"{label}: {count} files; median of {runs}: load {load:.3f} s, render {render:.3f} s, write {write:.3f} s, total {load + render + write:.3f} s"
    )


def peak_memory(root: Path) -> float:
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as scratch:
        timed_build(root, Path(scratch) / "_site")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    print(f"Python {sys.version.split()[0]}")
    report("real archive", ROOT, runs=5)
    with tempfile.TemporaryDirectory() as scratch:
        large = synthetic_project(Path(scratch) / "large", years=100, per_year=2)
        started = time.perf_counter()
        report("synthetic archive (100 years x 2 statements)", large, runs=3)
        large_seconds = (time.perf_counter() - started) / 3
        peak = peak_memory(large)
    print(f"peak Python heap during one synthetic build (tracemalloc): {peak:.1f} MiB")
    print(f"max resident set size of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")
    print(f"targets: real build < {TARGET_REAL_SECONDS} s, synthetic build < {TARGET_LARGE_SECONDS} s, peak heap < {TARGET_PEAK_MIB} MiB")
    print(f"synthetic build average {large_seconds:.2f} s: {'within' if large_seconds < TARGET_LARGE_SECONDS else 'OVER'} target")
    print(f"peak heap: {'within' if peak < TARGET_PEAK_MIB else 'OVER'} target")


if __name__ == "__main__":
    main()
