"""Pages: each page view rendered by its template, remembered by the memo.

Pages are rendered in the build's own process. Rendering them across worker processes was
measured and gave nothing at 200 or 1,000 statements: while pages render, the cores are already
busy with Pagefind's runs and writing files, and the workers' copies of the archive raised peak
memory.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterator
from pathlib import Path

from jinja2 import Environment, TemplateError, TemplateNotFound, TemplateSyntaxError

from .errors import ContentError, ContentErrors, display_path
from .memo import Memo
from .model import Archive
from .outline import Outlines
from .templates import template_names
from .views import PageView
from .writer import Content, Keyed

PAGE_KIND = "page"  # what the memo remembers a page as


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


class PageRenderer:
    """Renders page views with one environment, asking the memo first."""

    def __init__(
        self, env: Environment, archive: Archive, root: Path, templates_key: str, memo: Memo, outlines: Outlines | None = None
    ) -> None:
        self._env = env
        self._archive = archive
        self._root = root
        self._templates_key = templates_key
        self._memo = memo
        self._outlines = outlines or Outlines(archive, memo)
        self._keys: dict[str, str | None] = {}  # by output path: a page is keyed before and when it is produced
        self._names: dict[str, frozenset[str] | None] = {}  # by template: asked of the memo once per build
        self._outline: tuple[object, ...] | None = None
        self._read_ahead: dict[str, bytes] = {}  # pages read back before they are asked for, by key

    def render(self, view: PageView) -> bytes:
        """The page's bytes, rendered now; a template problem is raised as ContentErrors."""
        with template_problems(self._root, view.template):
            template = self._env.get_template(view.template)
            return template.render(archive=self._archive, site=self._archive.site, page=view, **view.context).encode()

    def key(self, view: PageView) -> str | None:
        """What the page is remembered under: its view, the templates and what they read."""
        if view.output not in self._keys:
            self._keys[view.output] = self._key(view)
        return self._keys[view.output]

    def _key(self, view: PageView) -> str | None:
        if not self._memo.remembers:
            return None  # a one-shot build without a store keeps nothing, so digests nothing
        return self._memo.key((*self.keyed_by(view.template), view))

    def keyed_by(self, template: str) -> tuple[str, object]:
        """What a page of `template` is keyed by besides its view: the templates, and the
        archive's outline if they read the archive, else the site's settings."""
        if template not in self._names:
            with template_problems(self._root, template):
                self._names[template] = self._memo.get(
                    "template names", (self._templates_key, template), lambda: template_names(self._env, template), durable=True
                )
        names = self._names[template]
        # A page reads the whole archive only if its templates name it (the home, about and 404 pages).
        if names is not None and "archive" not in names:
            return self._templates_key, self._archive.site
        if self._outline is None:
            self._outline = self._outlines.of_archive()
        return self._templates_key, self._outline

    def remembered(self, views: list[PageView]) -> set[str]:
        """The output paths of the pages remembered, without reading any back: asked together."""
        keys = {view.output: self.key(view) for view in views}
        known = self._memo.knows_many(PAGE_KIND, [key for key in keys.values() if key is not None], durable=True)
        return {output for output, key in keys.items() if key in known}

    def output(self, view: PageView) -> Content:
        """The page as the writer takes it: keyed, its bytes read back or rendered only if asked
        for (a rebuild's writer may find the file already holds them); without a key, rendered now."""
        key = self.key(view)
        if key is None:
            return self.render(view)
        self._memo.touch(PAGE_KIND, key)  # still in use, even if never read back
        return Keyed(key, lambda: self.page(view))

    def read_ahead(self, views: list[PageView]) -> None:
        """Read back together the remembered pages of `views` whose bytes will be asked for
        (a shard going to the search index): one look-up of the store instead of one a page."""
        keys = [key for key in (self.key(view) for view in views) if key is not None and key not in self._read_ahead]
        self._read_ahead.update(self._memo.recall_many(PAGE_KIND, keys, durable=True))

    def page(self, view: PageView) -> bytes:
        """The page's bytes: remembered, or rendered now and remembered."""
        key = self.key(view)
        read: bytes | None = self._read_ahead.pop(key, None) if key is not None else None
        if read is not None:
            return read
        remembered: bytes | None = self._memo.recall(PAGE_KIND, key, durable=True)
        if remembered is not None:
            return remembered
        page = self.render(view)
        self._memo.keep(PAGE_KIND, key, page, durable=True)
        return page
