"""Benchmark: this project's build side by side with Hugo and Pelican on the same statements.

For N generated statements (about 500 words, two claims each) every tool builds a site in its
own temporary folder: this project its full site, Hugo and Pelican a minimal one (a page per
statement, a list, a tag taxonomy and feeds). Each build is a whole process, timed by wall
clock with its peak resident set size from wait4(), after written data is flushed to disk; runs
take turns across the tools so drift hits all alike, and the median is printed: of 3 runs
(`--repeats`) for the project's cold build and Pelican, of 9 (`--quick-repeats`) for the builds
of a second or less (the project's warm builds and Hugo), whose ratio is the one closest to the
machine's noise. The project is built three ways in each turn: with an empty cache, with a warm
cache into a fresh output folder, and as a warm rebuild (one statement edited, a different word
each time, then built into the existing site). Also printed: files and bytes each tool wrote
(the project's split by kind of work), what each run read from the disk rather than the page
cache (every tool is run once, untimed, before its timed runs: see `page_out`), and the real
archive's cold and warm builds. Before each part it waits until creating a file costs what it
does when no inodes were freed lately (see SETTLED_CREATE_MICROSECONDS), and prints that cost.
Run with `make bench`, which installs the peers into .bench-venv/.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ("statements", "data", "schema", "templates", "static")
TEMPLATE_STATEMENT = "statements/2024-statement-2024-06-25.md"
CLAIMS = ("law-6-2008", "concern-committee", "judicial-cooperation", "victim-protection", "cases-low-or-zero", "international-cooperation")
PROSE = (
    "the government of the region reaffirmed its commitment to combat trafficking in persons through law enforcement "
    "prevention protection of victims and cooperation with neighbouring jurisdictions while noting that the annual "
    "report misread the situation and ignored the measures taken by the authorities during the past year"
)
WORDS = tuple(PROSE.split())
HUGO_LAYOUTS = {
    "baseof.html": "<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ .Title }}</title></head>"
    '<body>{{ block "main" . }}{{ end }}</body></html>\n',
    "single.html": '{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02" }}</p>{{ .Content }}'
    '<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}\n',
    "list.html": '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">'
    "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n",
}
PELICAN_TEMPLATES = {
    "base.html": "<!doctype html><html lang=en><head><meta charset=utf-8><title>{% block title %}{{ SITENAME }}{% endblock %}</title>"
    "</head><body>{% block content %}{% endblock %}</body></html>\n",
    "article.html": '{% extends "base.html" %}{% block content %}<h1>{{ article.title }}</h1><p>{{ article.date.isoformat() }}</p>'
    '{{ article.content }}<ul>{% for tag in article.tags %}<li><a href="/{{ tag.url }}">{{ tag }}</a></li>{% endfor %}</ul>'
    "{% endblock %}\n",
    "index.html": '{% extends "base.html" %}{% block content %}<ul>{% for article in articles %}<li><a href="/{{ article.url }}">'
    "{{ article.title }}</a></li>{% endfor %}</ul>{% endblock %}\n",
    "tag.html": '{% extends "base.html" %}{% block content %}<h1>{{ tag }}</h1><ul>{% for article in articles %}'
    '<li><a href="/{{ article.url }}">{{ article.title }}</a></li>{% endfor %}</ul>{% endblock %}\n',
    "tags.html": '{% extends "base.html" %}{% block content %}<ul>{% for tag, articles in tags %}<li><a href="/{{ tag.url }}">'
    "{{ tag }}</a></li>{% endfor %}</ul>{% endblock %}\n",
    "page.html": '{% extends "base.html" %}{% block content %}{{ page.content }}{% endblock %}\n',
}
PELICAN_CONFIG = """SITENAME = "Benchmark"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
THEME = "theme"
DIRECT_TEMPLATES = ["index", "tags"]
DEFAULT_PAGINATION = False
ARTICLE_URL = ARTICLE_SAVE_AS = "{slug}/index.html"
TAG_URL = TAG_SAVE_AS = "tag/{slug}/index.html"
CATEGORY_SAVE_AS = CATEGORIES_SAVE_AS = AUTHOR_SAVE_AS = AUTHORS_SAVE_AS = ARCHIVES_SAVE_AS = ""
FEED_DOMAIN = "https://bench.test"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
TAG_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_ATOM = AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = TRANSLATION_FEED_ATOM = None
"""


@dataclass(frozen=True)
class Statement:
    year: int
    slug: str
    number: int
    body: str
    passages: tuple[tuple[str, str], ...]  # (claim id, passage in the body)


def generate(count: int) -> list[Statement]:
    """`count` statements of about 500 words, each anchoring two claims to its own sentences."""
    years = min(count, 100)
    per_year = -(-count // years)
    statements = []
    for index in range(count):
        year, number = 2001 + index % years, index // years
        words = [WORDS[(index * 7 + i * 3) % len(WORDS)] for i in range(480)]
        sentences = [" ".join(words[i : i + 16]).capitalize() + "." for i in range(0, len(words), 16)]
        claims = (CLAIMS[index % len(CLAIMS)], CLAIMS[(index + 1) % len(CLAIMS)])
        passages = ((claims[0], f"Statement {index} names claim {claims[0]}."), (claims[1], f"It also makes claim {claims[1]}."))
        sentences[1:1] = [passages[0][1]]
        sentences[5:5] = [passages[1][1]]
        paragraphs = ["\n".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
        statements.append(Statement(year, f"statement-{year}-{number:02d}", number, "\n\n".join(paragraphs) + "\n", passages))
    assert per_year * years >= count
    return statements


def project_site(target: Path, statements: list[Statement]) -> Path:
    for name in CONTENT:
        shutil.copytree(ROOT / name, target / name)
    shutil.rmtree(target / "statements")
    (target / "statements").mkdir()
    template = (ROOT / TEMPLATE_STATEMENT).read_text(encoding="utf-8")
    front = template.split("\n---\n", 1)[0]
    front = front[: front.index("\nclaims:")] + "\nclaims:\n{claims}\n" + front[front.index("\nrevised:") + 1 :]
    years = sorted({s.year for s in statements})
    tiers = [
        f"- year: {y}\n  tier: Tier 3\n  report_published: null\n  change_note: Synthetic.\n"
        f"  source:\n    label: Synthetic\n    url: https://example.org/{y}\n  findings: null\n"
        for y in years
    ]
    (target / "data/tiers.yaml").write_text("\n".join(tiers), encoding="utf-8")
    for s in statements:
        claims = "\n".join(f'  - id: {claim}\n    passages:\n      - "{text}"' for claim, text in s.passages)
        text = front.replace("{claims}", claims)
        text = re.sub(r"^id: .*$", f"id: urn:uuid:{uuid.UUID(int=s.year * 100 + s.number)}", text, count=1, flags=re.M)
        text = text.replace("year: 2024", f"year: {s.year}").replace("slug: statement-2024-06-25", f"slug: {s.slug}")
        text = re.sub(r'"2024-(\d\d-\d\d)"', rf'"{s.year}-\1"', text)  # dates follow the report year they answer
        text = re.sub(r'(url: "https://[^"]+)"', rf'\1?bench={s.slug}"', text)  # one response per text address
        text = re.sub(r"^issued: .*$", f'issued: "{s.year}-06-{s.number + 1:02d}"', text, count=1, flags=re.M)
        (target / "statements" / f"{s.year}-{s.slug}.md").write_text(text + "\n---\n\n" + s.body, encoding="utf-8")
    return target


def hugo_site(target: Path, statements: list[Statement]) -> Path:
    (target / "content/statements").mkdir(parents=True)
    (target / "layouts").mkdir()
    (target / "hugo.toml").write_text(
        'baseURL = "https://bench.test/"\ntitle = "Benchmark"\nbuildFuture = true\n[taxonomies]\ntag = "tags"\n', encoding="utf-8"
    )
    for name, text in HUGO_LAYOUTS.items():
        (target / "layouts" / name).write_text(text, encoding="utf-8")
    for s in statements:
        tags = ", ".join(f'"{claim}"' for claim, _ in s.passages)
        front = f'---\ntitle: "{s.year}: {s.slug}"\ndate: {s.year}-06-25\ntags: [{tags}]\n---\n\n'
        (target / "content/statements" / f"{s.slug}.md").write_text(front + s.body, encoding="utf-8")
    return target


def pelican_site(target: Path, statements: list[Statement]) -> Path:
    (target / "content").mkdir(parents=True)
    (target / "theme/templates").mkdir(parents=True)
    (target / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for name, text in PELICAN_TEMPLATES.items():
        (target / "theme/templates" / name).write_text(text, encoding="utf-8")
    for s in statements:
        tags = ", ".join(claim for claim, _ in s.passages)
        front = f"Title: {s.year}: {s.slug}\nDate: {s.year}-06-25\nSlug: {s.slug}\nTags: {tags}\n\n"
        (target / "content" / f"{s.slug}.md").write_text(front + s.body, encoding="utf-8")
    return target


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    cpu_seconds: float  # user + system time of the process and the processes it waited for
    read_mib: float  # read from the disk, not from the page cache, by the process and those it waited for


def run(command: list[str], cwd: Path) -> Run:
    """One whole process: wall time, peak RSS (its own or a waited-for child's, whichever is larger)
    and CPU time (its own and its waited-for children's: the work done, whatever else the machine runs).

    Written data is flushed to disk first, untimed: otherwise a run would share the disk with
    the writeback of the run before it (the project's warm-cache build writes 49 MB at 1,000
    statements, and the warm rebuild after it took 0.70 s instead of 0.61 s, 5 pairs)."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        assert process.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, usage.ru_inblock * 512 / 2**20)


@dataclass(frozen=True)
class Tool:
    name: str
    build: Callable[[], Run]
    out: Path
    quick: bool = False  # a build short enough to be run `--quick-repeats` times


def written(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def project_kinds(folder: Path) -> dict[str, tuple[int, int]]:
    """The project's output by kind of work, to show what the peers do not do."""
    kinds: dict[str, list[int]] = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        if name.endswith(("cite.bib", "cite.ris", "cite.json")):
            kind = "citation downloads"
        elif name.startswith("data/"):
            kind = "data downloads"
        elif name.startswith("claims/"):
            kind = "claim pages and matrix"
        elif re.fullmatch(r"\d{4}/[^/]+/index\.html", name):
            kind = "statement pages"
        elif re.fullmatch(r"\d{4}/index\.html", name):
            kind = "report-year pages"
        elif name.endswith(".xml") and "sitemap" not in name:
            kind = "feeds"
        else:
            kind = "home, about, 404, assets, sitemap, robots"
        counts = kinds.setdefault(kind, [0, 0])
        counts[0] += 1
        counts[1] += path.stat().st_size
    return {kind: (c[0], c[1]) for kind, c in sorted(kinds.items())}


def set_aside(folder: Path, scratch: Path) -> None:
    """Move an earlier run's output out of the way instead of deleting it; everything set aside
    goes with the scratch folder once all runs are timed. On ext4 without a journal (this
    machine's disk) a newly created file skips every inode freed in the last minute or more, one
    look-up each, so a build timed right after deleting thousands of files was timed together with
    that deletion's after-effects (the README gives the figures)."""
    if folder.exists():
        folder.rename(scratch / f"set-aside-{uuid.uuid4().hex}")


# On ext4 without a journal (this machine's disk) each new file or folder skips, one look-up each,
# every inode of its block group freed in the last minute (six, while the freed inode's table
# block is unwritten). After a large deletion (the test suite's temporary folders, an earlier
# bench's scratch) creating a file took 60 to 220 µs instead of 15 to 20, and the real archive's
# cold build (270 new files and folders) 352 to 382 ms instead of 342. The bench deletes nothing
# until it ends, so only what ran before it can be in the way: it waits for that to age out.
SETTLED_CREATE_MICROSECONDS = 40.0
SETTLE_LIMIT_SECONDS = 420.0


def create_cost(scratch: Path, files: int = 300) -> float:
    """Microseconds to create an empty file, in a new folder of the scratch space (kept, not deleted)."""
    folder = Path(tempfile.mkdtemp(prefix="probe-", dir=scratch))
    started = time.perf_counter()
    for number in range(files):
        os.close(os.open(folder / str(number), os.O_WRONLY | os.O_CREAT, 0o644))
    return (time.perf_counter() - started) / files * 1e6


def wait_for_settled_disk(scratch: Path, settled: float) -> None:
    """Wait (at most SETTLE_LIMIT_SECONDS) until creating a file costs at most `settled` µs; print what it cost."""
    os.sync()  # once its table block is written back, a freed inode is skipped for one minute, not six
    started = time.monotonic()
    while (cost := create_cost(scratch)) > settled and time.monotonic() - started < SETTLE_LIMIT_SECONDS:
        time.sleep(10)
    waited = time.monotonic() - started
    print(f"creating a file: {cost:.0f} µs (waited {waited:.0f} s for at most {settled:.0f} µs: inodes freed lately make it dearer)")


def page_out(kdamonds: Path = Path("/sys/kernel/mm/damon/admin/kdamonds")) -> str:
    """Whether the kernel pages out memory left idle (a DAMON `pageout` scheme, as on the
    machines this ran on: there, file pages only), and after how long. Such a scheme makes a run after a pause read from
    the disk the files its tool is made of (Python's modules, Hugo's executable): after 40 s of
    idling, the real archive's cold build read 8 MB and took 379 ms instead of 344. Hence the
    untimed first runs, and each run's median MiB read in the tables."""
    schemes = []
    with contextlib.suppress(OSError, ValueError):
        for scheme in sorted(kdamonds.glob("[0-9]*/contexts/[0-9]*/schemes/[0-9]*")):
            context, kdamond = scheme.parents[1], scheme.parents[3]
            if (kdamond / "state").read_text().strip() != "on" or (scheme / "action").read_text().strip() != "pageout":
                continue
            aggregation = int((context / "monitoring_attrs/intervals/aggr_us").read_text()) / 1e6  # µs an age counts
            schemes.append(int((scheme / "access_pattern/age/min").read_text()) * aggregation)
    if not schemes:
        return "page cache: no DAMON page-out scheme found running"
    return f"page cache: the kernel pages out memory idle for {min(schemes):.0f} s or more (DAMON); see the MiB read columns"


def median(runs: list[Run]) -> Run:
    return Run(*(statistics.median(getattr(r, field.name) for r in runs) for field in fields(Run)))


def compare(count: int, peers: Path, repeats: int, quick_repeats: int, scratch: Path) -> None:
    statements = generate(count)
    base = scratch / f"n{count}"
    project = project_site(base / "project", statements)
    hugo = hugo_site(base / "hugo", statements)
    pelican = pelican_site(base / "pelican", statements)
    warm_cache = base / "warm-cache"

    def build_project(cache: Path) -> Run:
        set_aside(project / "_site", scratch)
        return run([sys.executable, str(ROOT / "build.py"), "--root", str(project), "--cache", str(cache)], project)

    def cold_cache() -> Run:
        cache = base / "cold-cache"
        set_aside(cache, scratch)
        return build_project(cache)

    def hugo_build() -> Run:
        set_aside(hugo / "public", scratch)
        return run([str(hugo_binary(peers)), "--quiet", "--source", str(hugo)], hugo)

    def pelican_build() -> Run:
        set_aside(pelican / "output", scratch)
        return run([str(peers / "bin/pelican"), "-q", "content", "-o", "output", "-s", "pelicanconf.py"], pelican)

    edited = project / "statements" / f"{statements[count // 2].year}-{statements[count // 2].slug}.md"
    original = edited.read_text(encoding="utf-8")
    edits = iter(range(max(repeats, quick_repeats)))

    def warm_rebuild() -> Run:
        """Edit one statement (a different word each time), then build into the site the warm-cache run left."""
        edited.write_text(original.replace("prevention", f"prevention{next(edits)}", 1), encoding="utf-8")
        return run([sys.executable, str(ROOT / "build.py"), "--root", str(project), "--cache", str(warm_cache)], project)

    build_project(warm_cache)  # fills the cache for the warm-cache runs
    # Each peer once, untimed, as the project's run above: what the first timed run reads from
    # the disk (the files it is made of, paged out while idle: see `page_out`) is not timed.
    hugo_build()
    pelican_build()
    tools = [
        Tool("project, cold cache", cold_cache, project / "_site"),
        Tool("project, warm cache", lambda: build_project(warm_cache), project / "_site", quick=True),
        Tool("project, warm rebuild", warm_rebuild, project / "_site", quick=True),
        Tool("Hugo", hugo_build, hugo / "public", quick=True),
        Tool("Pelican", pelican_build, pelican / "output"),
    ]
    runs: dict[str, list[Run]] = {t.name: [] for t in tools}
    # Every tool once a turn; the quick ones (under a second or so each) for more turns, so that
    # the warm rebuild's ratio to Hugo, a tenth of a second apart, stands out of this machine's noise.
    for turn in range(max(repeats, quick_repeats)):
        for tool in tools:
            if turn < (quick_repeats if tool.quick else repeats):
                runs[tool.name].append(tool.build())
    edited.write_text(original, encoding="utf-8")
    build_project(warm_cache)  # the site of the generated statements as they are, for the figures below
    medians = {name: median(r) for name, r in runs.items()}
    hugo_m, pelican_m = medians["Hugo"], medians["Pelican"]
    print(f"\n## {count} statements (median of each tool's whole-process runs, taken in turn)")
    print("(warm rebuild: one statement edited, then built into the existing site with the cache warm)")
    print(
        f"{'tool':<22}{'runs':>5}{'wall s':>9}{'CPU s':>8}{'peak MiB':>10}{'MiB read':>10}{'x Hugo':>8}{'x Pelican':>10}"
        f"{'files':>8}{'MiB written':>13}"
    )
    for tool in tools:
        m = medians[tool.name]
        files, size = written(tool.out)
        print(
            f"{tool.name:<22}{len(runs[tool.name]):>5}{m.seconds:>9.3f}{m.cpu_seconds:>8.2f}{m.peak_mib:>10.1f}{m.read_mib:>10.1f}"
            f"{m.seconds / hugo_m.seconds:>8.2f}{m.seconds / pelican_m.seconds:>10.2f}{files:>8}{size / 2**20:>13.2f}"
        )
    print("project's files by kind:")
    for kind, (files, size) in project_kinds(project / "_site").items():
        print(f"  {kind:<42}{files:>7} files {size / 2**20:>9.2f} MiB")
    pages = list((project / "_site").glob("[0-9][0-9][0-9][0-9]/*/index.html"))
    average = sum(p.stat().st_size for p in pages) / len(pages)
    print(f"average statement page: {average / 1024:.1f} KiB ({len(pages)} pages)")


# The real archive builds in well under a second, where the shared machine's drift is as large
# as the differences worth seeing: it is built this many times at least, its runs quartered.
REAL_ARCHIVE_REPEATS = 15


def real_archive(repeats: int, scratch: Path) -> None:
    project = scratch / "real"
    for name in CONTENT:
        shutil.copytree(ROOT / name, project / name)
    warm = scratch / "real-cache"
    command = [sys.executable, str(ROOT / "build.py"), "--root", str(project)]
    run([*command, "--cache", str(warm)], project)
    cold_runs, warm_runs, bare_runs = [], [], []
    # Cold, warm and bare Python in turn, so that the machine's drift hits all three alike.
    for attempt in range(max(repeats, REAL_ARCHIVE_REPEATS)):
        set_aside(project / "_site", scratch)
        cold_runs.append(run([*command, "--cache", str(scratch / f"cold-{attempt}")], project))
        set_aside(project / "_site", scratch)
        warm_runs.append(run([*command, "--cache", str(warm)], project))
        bare_runs.append(run([sys.executable, "-c", "pass"], project))
    cold, hot, bare = median(cold_runs), median(warm_runs), median(bare_runs)
    files, size = written(project / "_site")
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((project / "_site").rglob("*")) if p.is_file())).hexdigest()[:12]
    print(f"\n## real archive, fresh output folder ({files} files, {size / 1024:.0f} KiB, content digest {digest})")
    quartiles = statistics.quantiles([r.seconds for r in cold_runs], n=4)
    print(
        f"cold cache: {cold.seconds:.3f} s (CPU {cold.cpu_seconds:.2f} s), peak {cold.peak_mib:.1f} MiB, read {cold.read_mib:.1f} MiB; "
        f"middle half of {len(cold_runs)} runs {quartiles[0]:.3f} to {quartiles[2]:.3f} s"
    )
    print(f"warm cache: {hot.seconds:.3f} s (CPU {hot.cpu_seconds:.2f} s), peak {hot.peak_mib:.1f} MiB, read {hot.read_mib:.1f} MiB")
    print(f"bare Python start-up: {bare.seconds:.3f} s")


def hugo_binary(peers: Path) -> Path:
    """The hugo executable itself, not the package's Python wrapper (whose start-up is not Hugo's)."""
    found = sorted(peers.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    return found[0] if found else peers / "bin/hugo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, default=ROOT / ".bench-venv", help="virtualenv holding hugo and pelican")
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 200, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick-repeats", type=int, default=9, help="runs of the builds that take about a second or less")
    parser.add_argument(
        "--settled-create-us",
        type=float,
        default=SETTLED_CREATE_MICROSECONDS,
        help="before each part, wait until creating a file costs at most this many microseconds",
    )
    args = parser.parse_args()
    # Which CPython runs a build matters (see the Makefile): the project runs on this one, Pelican
    # on its virtualenv's (the Makefile makes both virtualenvs on the same one).
    interpreter = f"Python {sys.version.split()[0]} ({os.path.realpath(sys.executable)})"
    print(f"{interpreter}; {len(os.sched_getaffinity(0))} cores; {time.strftime('%Y-%m-%d')}")
    print(f"Pelican's Python: {os.path.realpath(args.peers / 'bin' / 'python')}")
    print(page_out())
    # pip compiled the peers' modules when it installed them; an editable install leaves the
    # project's to Python, which cannot keep them where PYTHONDONTWRITEBYTECODE is set (as on
    # the machines this ran on), so every run would compile them again. Compile them once, alike.
    compileall.compile_dir(ROOT / "site_builder", quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        wait_for_settled_disk(scratch, args.settled_create_us)
        real_archive(args.repeats, scratch)
        for count in args.sizes:
            wait_for_settled_disk(scratch, args.settled_create_us)
            compare(count, args.peers.resolve(), args.repeats, args.quick_repeats, scratch)


if __name__ == "__main__":
    main()
