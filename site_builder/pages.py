"""Pages: each page view rendered by its template, remembered by the memo.

Only pages the memo does not hold are rendered. When many are missing (a cold build), they are
rendered across worker processes forked once the views exist, so every worker inherits the
environment, the archive and the views instead of receiving them; results come back in the
views' order, so the output never shows who rendered what, and a broken template is reported
for the same page as in one process.
"""

from __future__ import annotations

import contextlib
import traceback
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, TemplateError, TemplateNotFound, TemplateSyntaxError

from .errors import ContentError, ContentErrors, display_path
from .memo import Memo
from .model import Archive
from .views import PageView

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, Pool

# Below this many pages to render, forking workers costs more than it saves (about 3 ms a page
# against some 40 ms to start and stop the pool beside a large archive).
PARALLEL_FROM = 48
# Pages a worker renders per task: small enough to spread a shard over the workers.
_CHUNK = 8
_PAGE = "page"

# Tags that name another template: what it reads is read by the page too.
_REFERENCING = frozenset({"extends", "include", "import", "from"})


@contextlib.contextmanager
def template_problems(root: Path, name: str) -> Iterator[None]:
    """A broken or missing template is reported like content: file, line, message."""
    templates = root / "templates"
    try:
        yield
    except TemplateNotFound as error:
        raise ContentErrors([ContentError(f"templates/{error.name}", 1, "template", "template is missing")]) from None
    except TemplateSyntaxError as error:
        where = f"templates/{error.name or name}"
        raise ContentErrors([ContentError(where, error.lineno, "template", f"syntax error: {error.message}")]) from None
    except TemplateError as error:
        # Jinja2 rewrites tracebacks so that template frames carry the template's file and line.
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).is_relative_to(templates)]
        where = display_path(Path(frames[-1].filename), root) if frames else f"templates/{name}"
        line = (frames[-1].lineno or 1) if frames else 1
        raise ContentErrors([ContentError(where, line, "template", str(error.message or error))]) from None


def template_names(env: Environment, name: str) -> frozenset[str] | None:
    """Every name a template, and each template it extends, includes or imports, mentions: a
    superset of the variables it may read, found by lexing (parsing costs ten times more).
    None when a template is chosen at render time, so any variable may be read."""
    seen: set[str] = set()
    names: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        source = env.loader.get_source(env, current)[0] if env.loader else ""
        tokens = list(env.lexer.tokenize(source, current))
        for index, token in enumerate(tokens):
            if token.type != "name":
                continue
            names.add(token.value)
            if token.value in _REFERENCING and index > 0 and tokens[index - 1].type == "block_begin":
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                if following is None or following.type != "string":
                    return None
                pending.append(following.value)
    return frozenset(names)


class PageRenderer:
    """Renders page views with one environment, asking the memo first."""

    def __init__(self, env: Environment, archive: Archive, root: Path, templates_key: str, memo: Memo) -> None:
        self._env = env
        self._archive = archive
        self._root = root
        self._templates_key = templates_key
        self._memo = memo

    def render(self, view: PageView) -> bytes:
        """The page's bytes, rendered now; a template problem is raised as ContentErrors."""
        with template_problems(self._root, view.template):
            template = self._env.get_template(view.template)
            return template.render(archive=self._archive, site=self._archive.site, page=view, **view.context).encode()

    def key(self, view: PageView) -> str | None:
        """What the page is remembered under: its view, the templates and what they read."""
        if not self._memo.remembers:
            return None  # a one-shot build without a store keeps nothing, so digests nothing
        with template_problems(self._root, view.template):
            names = self._memo.get("template names", (self._templates_key, view.template), lambda: template_names(self._env, view.template))
        # A page reads the whole archive only if its templates name it (the home, about and 404 pages).
        reads_archive = names is None or "archive" in names
        return self._memo.key((self._templates_key, self._archive if reads_archive else self._archive.site, view))

    def pages(self, groups: Sequence[Sequence[PageView]], workers: int = 1) -> Iterator[list[tuple[PageView, bytes]]]:
        """Each group's pages as (view, bytes), group by group in the order given."""
        keyed = [[(view, self.key(view)) for view in group] for group in groups]
        missing = sum(1 for group in keyed for _, key in group if not self._memo.stored(_PAGE, key, durable=True))
        if workers < 2 or missing < PARALLEL_FROM:
            for group in keyed:
                yield [(view, self._remembered_or_rendered(view, key)) for view, key in group]
            return
        import multiprocessing  # only when workers start: a warm build does without it

        views = [view for group in keyed for view, _ in group]
        for name in sorted({view.template for view in views}):
            with template_problems(self._root, name):
                self._env.get_template(name)  # compiled once here, not once in every worker
        with multiprocessing.get_context("fork").Pool(workers, initializer=_adopt, initargs=(self, views)) as pool:
            # One group is rendered by the workers while the one before it is handed on.
            started: deque[_Started] = deque()
            first = 0
            for group in keyed:
                started.append(self._start(pool, group, first))
                first += len(group)
                if len(started) > 1:
                    yield self._finish(started.popleft())
            while started:
                yield self._finish(started.popleft())

    def _remembered_or_rendered(self, view: PageView, key: str | None) -> bytes:
        remembered: bytes | None = self._memo.recall(_PAGE, key, durable=True)
        if remembered is not None:
            return remembered
        page = self.render(view)
        self._memo.keep(_PAGE, key, page, durable=True)
        return page

    def _start(self, pool: Pool, group: list[tuple[PageView, str | None]], first: int) -> _Started:
        missing = [first + offset for offset, (_, key) in enumerate(group) if not self._memo.stored(_PAGE, key, durable=True)]
        chunks = [missing[start : start + _CHUNK] for start in range(0, len(missing), _CHUNK)]
        return _Started(group, first, chunks, pool.map_async(_render_in_worker, chunks, chunksize=1) if chunks else None)

    def _finish(self, started: _Started) -> list[tuple[PageView, bytes]]:
        rendered: dict[int, bytes] = {}
        for indices, (pages, problems) in zip(started.chunks, started.results.get() if started.results else [], strict=True):
            if problems:
                raise ContentErrors(problems)  # the first broken page in the views' order, as in one process
            rendered.update(zip(indices, pages, strict=True))
        result: list[tuple[PageView, bytes]] = []
        for offset, (view, key) in enumerate(started.group):
            page = rendered.get(started.first + offset)
            if page is None:
                # Remembered when the group was started (or, if the entry proved damaged, rendered here).
                result.append((view, self._remembered_or_rendered(view, key)))
            else:
                self._memo.keep(_PAGE, key, page, durable=True)
                result.append((view, page))
        return result


_Rendered = tuple[list[bytes], list[ContentError]]


@dataclass(frozen=True)
class _Started:
    """A group whose missing pages (`chunks` of indices into the views) the workers are rendering."""

    group: list[tuple[PageView, str | None]]
    first: int
    chunks: list[list[int]]
    results: AsyncResult[list[_Rendered]] | None


_WORKER: list[tuple[PageRenderer, list[PageView]]] = []  # set once in each worker, by its initializer


def _adopt(renderer: PageRenderer, views: list[PageView]) -> None:
    _WORKER.append((renderer, views))


def _render_in_worker(indices: list[int]) -> _Rendered:
    """Pages for some views, in order, up to the first one whose template fails."""
    renderer, views = _WORKER[0]
    pages: list[bytes] = []
    for index in indices:
        try:
            pages.append(renderer.render(views[index]))
        except ContentErrors as errors:
            return pages, errors.errors  # ContentErrors itself does not survive pickling
    return pages, []
