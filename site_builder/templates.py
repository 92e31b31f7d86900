"""Templates: the Jinja2 environment, its compiled templates, and the names each template mentions.

Compiling the templates costs a cold build about 80 ms. It is kept out of a build's way twice:
the compiled code is kept in the build cache, and when some is missing there, a forked process
compiles every template while the build reads the archive (`CompiledAhead`). That process can
start before the site's configuration is read because the compiled code does not depend on the
base URL: the `url` and `absolute` filters take the render context, and Jinja2 never folds such
a filter into the code, even when its argument is a constant.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    pass_context,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context

from . import urls
from .background import BackgroundError, Forked
from .dates import long_date
from .memo import Store

_COMPILED = "compiled template"
# Any base URL compiles to the same code (see above): this one stands for all.
_ANY_SITE = urls.SiteUrls("https://compiling.invalid/")
# Tags that name another template: what it reads is read by the page too.
_REFERENCING = frozenset({"extends", "include", "import", "from"})
# What one template mentions: its names, and the templates it names (None: one is chosen at render time).
_Mentions = tuple[frozenset[str], tuple[str, ...] | None]


def create_environment(templates: Path, site_urls: urls.SiteUrls, compiled: BytecodeCache | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=compiled,
        extensions=[TemplateNames],
    )

    # Taking the context keeps Jinja2 from folding a link into the compiled code (see above).
    @pass_context
    def local(_: Context, path: str) -> str:
        return site_urls.local(path)

    @pass_context
    def absolute(_: Context, path: str) -> str:
        return site_urls.absolute(path)

    env.filters["url"] = local
    env.filters["absolute"] = absolute
    env.filters["long_date"] = long_date
    env.globals["rss_url"] = site_urls.local(urls.RSS)
    env.globals["atom_url"] = site_urls.local(urls.ATOM)
    return env


def templates_digest(templates: Path) -> str:
    """One digest of every template's name and content."""
    digest = hashlib.sha256()
    for path in sorted(templates.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(templates).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def compile_all(env: Environment) -> None:
    """Compile every template now, which rendering would do later, in time otherwise spent
    waiting. A template that does not compile is left for rendering to report, if a page uses it."""
    for name in env.list_templates():
        with contextlib.suppress(TemplateError):
            env.get_template(name)


def _key(bucket: Bucket) -> str:
    # The bucket's key names the template and its file; the checksum is its source's.
    return f"{bucket.key}\0{bucket.checksum}"


# A template's compiled code, and what it mentions (see `TemplateNames`).
_Compiled = tuple[bytes, _Mentions | None]


class CompiledAhead:
    """Every template compiled by a forked process, started at once; its code is taken when
    a template is first needed. If the process fails, templates are compiled where they are needed."""

    def __init__(self, templates: Path) -> None:
        self._forked: Forked[dict[str, _Compiled]] | None = Forked(functools.partial(_compile_every_template, templates))
        self._compiled: dict[str, _Compiled] = {}

    def every(self) -> dict[str, _Compiled]:
        """Every template's code by its key, waiting for the process if need be (nothing if it failed)."""
        if self._forked is not None:
            forked, self._forked = self._forked, None
            with contextlib.suppress(BackgroundError):  # compiled where needed instead: the same code
                self._compiled = forked.result()
        return self._compiled

    def compiled(self, bucket: Bucket) -> _Compiled | None:
        return self.every().get(_key(bucket))

    def close(self) -> None:
        """Stop the process if its code was never taken (a build that failed first)."""
        if self._forked is not None:
            self._forked.stop()
            self._forked = None


class _Captured(BytecodeCache):
    """What an environment compiles, kept in memory (in the process compiling ahead)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}
        self.keys: dict[str, str] = {}  # by template name

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        bucket = super().get_bucket(environment, name, filename, source)
        self.keys[name] = _key(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        pass

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[_key(bucket)] = bucket.bytecode_to_string()


def _compile_every_template(templates: Path) -> dict[str, _Compiled]:
    captured = _Captured()
    env = create_environment(templates, _ANY_SITE, captured)
    compile_all(env)
    found = _recorder(env)
    return {key: (captured.compiled[key], found.get(name)) for name, key in captured.keys.items() if key in captured.compiled}


class CompiledTemplates(BytecodeCache):
    """Compiled templates kept in the build cache (as `marshal`led code, which the cache's key
    pins to this Python and these libraries), or compiled ahead by a forked process."""

    def __init__(self, store: Store | None, ahead: CompiledAhead | None = None) -> None:
        self._store = store
        self._ahead = ahead
        self._kept_ahead = False

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        bucket = super().get_bucket(environment, name, filename, source)
        # Once the code compiled ahead is taken, the store holds it too: a template loaded from
        # there still takes its names from what was compiled ahead.
        if self._ahead is not None and (bucket.code is None or self._kept_ahead):
            if not self._kept_ahead and self._store is not None:
                # Every template compiled ahead is kept, those no page of this build uses too
                # (a redirect page's, in an archive without redirects): otherwise every later
                # build would find one missing, and compile them all ahead again.
                self._store.put_many(_COMPILED, [(key, code) for key, (code, _) in self._ahead.every().items()])
            self._kept_ahead = True
            compiled = self._ahead.compiled(bucket)
            if compiled is not None:
                code, mentions = compiled
                if bucket.code is None:
                    bucket.bytecode_from_string(code)
                if mentions is not None:
                    _recorder(environment).setdefault(name, mentions)  # so that keying pages lexes it not again
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._store.get(_COMPILED, _key(bucket)) if self._store is not None else None
        if isinstance(compiled, bytes):
            bucket.bytecode_from_string(compiled)  # a damaged or foreign entry leaves the bucket empty

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self._store is not None:
            self._store.put(_COMPILED, _key(bucket), bucket.bytecode_to_string())

    def missing(self, env: Environment) -> bool:
        """Whether the store lacks the compiled code of some template as it now reads."""
        if self._store is None or env.loader is None:
            return True
        for name in env.list_templates():
            source, filename, _ = env.loader.get_source(env, name)
            bucket = Bucket(env, self.get_cache_key(name, filename), self.get_source_checksum(source))  # as `get_bucket` names it
            if not self._store.has(_COMPILED, _key(bucket)):
                return True
        return False


def compile_ahead(templates: Path, store: Store | None) -> CompiledAhead | None:
    """A forked process compiling every template, started now, unless the store holds them all."""
    compiled = CompiledTemplates(store)
    if not compiled.missing(create_environment(templates, _ANY_SITE, compiled)):
        return None
    return CompiledAhead(templates)


def template_names(env: Environment, name: str) -> frozenset[str] | None:
    """Every name a template, and each template it extends, includes or imports, mentions: a
    superset of the variables it may read. None when a template is chosen at render time, so
    any variable may be read. Each template is compiled here if it is not yet (rendering needs
    it anyway), and its names are those `TemplateNames` saw while it compiled."""
    seen: set[str] = set()
    names: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        mentioned, referenced = _mentions(env, current)
        if referenced is None:
            return None
        names |= mentioned
        pending.extend(referenced)
    return frozenset(names)


def _recorder(env: Environment) -> dict[str, _Mentions]:
    """What `TemplateNames` found in the templates compiled so far (nothing, without it)."""
    recorder = env.extensions.get(TemplateNames.identifier)
    return recorder.found if isinstance(recorder, TemplateNames) else {}


def _mentions(env: Environment, name: str) -> _Mentions:
    env.get_template(name)
    found = _recorder(env)
    if name not in found:
        # Compiled by an earlier build (the compiled-template cache): lexed once here instead.
        source = env.loader.get_source(env, name)[0] if env.loader else ""
        found[name] = _scan(env.lexer.tokenize(source, name))
    return found[name]


def _scan(tokens: Iterable[Token]) -> _Mentions:
    names: set[str] = set()
    referenced: list[str] = []
    chosen_at_render_time = False
    previous_type = ""
    naming = False  # the previous token was a tag that names another template
    for token in tokens:
        if naming:
            if token.type == "string":
                referenced.append(token.value)
            else:
                chosen_at_render_time = True
            naming = False
        if token.type == "name":
            names.add(token.value)
            naming = token.value in _REFERENCING and previous_type == "block_begin"
        previous_type = token.type
    return frozenset(names), None if chosen_at_render_time or naming else tuple(referenced)


class TemplateNames(Extension):
    """Keeps what each template mentions, read from its tokens as Jinja2 compiles it, so that
    keying pages lexes no template a second time. Tokens pass through unchanged."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.found: dict[str, _Mentions] = {}

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        seen: list[Token] = []
        for token in stream:
            seen.append(token)
            yield token
        # Reached only once the parser has read the whole template (not after a syntax error).
        if stream.name is not None:
            self.found[stream.name] = _scan(seen)
