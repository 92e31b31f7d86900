"""Templates: what a page is keyed by includes the names its templates mention, found from the
tokens Jinja2 reads while compiling them, so keying lexes no template a second time; templates
compiled ahead by a forked process, before the base URL is known, build the same site."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jinja2 import DictLoader, Environment
from jinja2.lexer import Lexer

from site_builder import background, templates, urls
from site_builder.build_cache import BuildCache
from site_builder.cli import main
from site_builder.commands import build as build_command
from site_builder.templates import CompiledAhead, CompiledTemplates, TemplateNames, compile_ahead, create_environment, template_names

from .conftest import ROOT, file_digests


def environment() -> Environment:
    return create_environment(ROOT / "templates", urls.SiteUrls("https://example.org/"))


def lexed_names(env: Environment, name: str) -> frozenset[str]:
    """Every name token of a template and of the templates it names, by lexing each afresh."""
    names: set[str] = set()
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        tokens = list(env.lexer.tokenize(env.loader.get_source(env, current)[0], current))  # type: ignore[union-attr]
        for before, token, after in zip(tokens, tokens[1:], tokens[2:], strict=False):
            if token.type == "name" and before.type == "block_begin" and token.value in {"extends", "include", "import", "from"}:
                pending.append(after.value)
        names |= {token.value for token in tokens if token.type == "name"}
    return frozenset(names)


PAGE_TEMPLATES = sorted(environment().list_templates(extensions=["html"]))


@pytest.mark.parametrize("name", PAGE_TEMPLATES)
def test_names_seen_while_compiling_are_the_names_lexed(name: str) -> None:
    env = environment()
    assert template_names(env, name) == lexed_names(env, name)
    # A template compiled by an earlier build (loaded from the cache, not compiled here) is lexed instead.
    env.extensions[TemplateNames.identifier].found.clear()  # type: ignore[attr-defined]
    assert template_names(env, name) == lexed_names(env, name)


def test_keying_every_page_template_lexes_each_template_once(monkeypatch: pytest.MonkeyPatch) -> None:
    lexed: Counter[str | None] = Counter()
    tokenize = Lexer.tokenize

    def counting(self: Lexer, source: str, name: str | None = None, *args: object, **kwargs: object) -> object:
        lexed[name] += 1
        return tokenize(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Lexer, "tokenize", counting)
    env = environment()
    for name in PAGE_TEMPLATES:
        template_names(env, name)
    assert lexed and set(lexed.values()) == {1}, lexed
    assert "base.html" in lexed


def test_a_template_chosen_at_render_time_may_read_anything() -> None:
    env = Environment(
        loader=DictLoader({"page.html": "{% include page.template %}", "fixed.html": '{% include "x.html" %}{{ a }}', "x.html": "{{ b }}"})
    )
    env.add_extension(TemplateNames)
    assert template_names(env, "page.html") is None
    assert template_names(env, "fixed.html") == frozenset({"include", "a", "b"})


def test_a_broken_template_records_nothing() -> None:
    env = Environment(loader=DictLoader({"broken.html": "{{ a }}{% if %}"}))
    env.add_extension(TemplateNames)
    with pytest.raises(Exception, match="Expected an expression"):
        template_names(env, "broken.html")
    assert env.extensions[TemplateNames.identifier].found == {}  # type: ignore[attr-defined]


def _compiled_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates this process compiles from now on (a forked process's count is its own)."""
    compiled: list[str] = []
    compile_template = Environment.compile

    def counting(self: Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(name))
        return compile_template(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    return compiled


@pytest.mark.parametrize("base_url", [None, "https://owner.github.io/archive/"])
def test_templates_compiled_ahead_build_the_same_site(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_url: str | None
) -> None:
    # Compiled before the base URL is known, with another one: links must not be folded into the code.
    option = ["--base-url", base_url] if base_url else []
    monkeypatch.setattr(build_command, "available_cores", lambda: 1)
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "here"), "--no-cache", *option]) == 0
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    compiled = _compiled_here(monkeypatch)
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "ahead"), "--cache", str(tmp_path / "cache"), *option]) == 0
    assert compiled == [], "the build's own process compiled templates"
    assert file_digests(tmp_path / "ahead") == file_digests(tmp_path / "here")
    assert background.active_children() == []


def test_the_cache_keeps_templates_compiled_ahead(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    cache = tmp_path / "cache"
    assert compile_ahead(project / "templates", BuildCache(cache / "results")) is not None
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "site"), "--cache", str(cache)]) == 0
    assert compile_ahead(project / "templates", BuildCache(cache / "results")) is None, "nothing left to compile"
    # A template no page uses is kept too, also by a build whose citations are all remembered (which
    # compiles nothing while waiting for them): otherwise every build would compile them all ahead.
    (project / "templates" / "unused.html").write_text('{% extends "base.html" %}\n', encoding="utf-8")
    shutil.rmtree(cache / "results")
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "site"), "--cache", str(cache)]) == 0
    assert compile_ahead(project / "templates", BuildCache(cache / "results")) is None, "nothing left to compile"
    (project / "templates" / "about.html").write_text("<p>{{ page.title }}</p>\n", encoding="utf-8")
    ahead = compile_ahead(project / "templates", BuildCache(cache / "results"))
    assert ahead is not None, "an edited template is compiled again"
    ahead.close()


def test_when_compiling_ahead_fails_templates_are_compiled_where_needed(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(_: Path) -> dict[str, bytes]:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(templates, "_compile_every_template", fails)
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    compiled = _compiled_here(monkeypatch)
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "site"), "--no-cache"]) == 0
    assert "base.html" in compiled


def test_a_build_refused_for_its_content_stops_compiling_ahead(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "statements" / "2099-broken.md").write_text("---\nyear: [\n---\n", encoding="utf-8")
    monkeypatch.setattr(build_command, "available_cores", lambda: 2)
    stopped: list[bool] = []
    stop = CompiledAhead.close

    def spy(self: CompiledAhead) -> None:
        stopped.append(True)
        stop(self)

    monkeypatch.setattr(CompiledAhead, "close", spy)
    assert main(["--root", str(project), "build", "--out", str(tmp_path / "site")]) == 1
    assert stopped == [True] and background.active_children() == []


@pytest.mark.parametrize("kept", [False, True], ids=["no store", "kept in the store"])
def test_templates_compiled_ahead_bring_their_names_so_keying_lexes_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kept: bool
) -> None:
    # With a store, the first template taken puts every one compiled ahead there, and the rest
    # are loaded from it: their names must still come from what was compiled ahead.
    store = BuildCache(tmp_path / "results") if kept else None
    ahead = CompiledAhead(ROOT / "templates")
    env = create_environment(ROOT / "templates", urls.SiteUrls("https://example.org/"), CompiledTemplates(store, ahead))
    lexed: list[str | None] = []
    tokenize = Lexer.tokenize

    def counting(self: Lexer, source: str, name: str | None = None, *args: object, **kwargs: object) -> object:
        lexed.append(name)
        return tokenize(self, source, name, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patched:
        patched.setattr(Lexer, "tokenize", counting)
        found = {name: template_names(env, name) for name in PAGE_TEMPLATES}
    assert lexed == []
    assert found == {name: lexed_names(env, name) for name in PAGE_TEMPLATES}
