"""Pages: what a page is keyed by includes the names its templates mention, found from the
tokens Jinja2 reads while compiling them, so keying lexes no template a second time."""

from __future__ import annotations

from collections import Counter

import pytest
from jinja2 import DictLoader, Environment
from jinja2.lexer import Lexer

from site_builder import urls
from site_builder.pages import TemplateNames, template_names
from site_builder.render import create_environment

from .conftest import ROOT


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
