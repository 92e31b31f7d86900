"""The Markdown layer: safe targets, passages located and marked without touching the text."""

from __future__ import annotations

import pytest

from site_builder.markdown import Highlight, create_parser, link_problem, render_body


def highlight(text: str, anchor: str = "a1", field: str = "claims[0].passages[0]") -> Highlight:
    return Highlight(text, anchor, "claim", "Claim: test", field)


@pytest.mark.parametrize(
    "target",
    ["https://example.org/", "http://example.org/a?b=c", "mailto:editors@example.org", "/2024/", "#notes"],
)
def test_allowed_link_targets(target: str) -> None:
    assert link_problem(target) is None


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:x",
        "vbscript:x",
        "data:text/html,x",
        "file:///etc/passwd",
        "//evil.example/",
        "../x",
        "java%09script:alert(1)",
        "%5C%5Cevil.example/",
    ],
)
def test_refused_link_targets(target: str) -> None:
    assert link_problem(target) is not None


def test_images_must_stay_on_the_site() -> None:
    assert link_problem("/assets/figure.png", image=True) is None
    assert link_problem("https://tracker.example/pixel.gif", image=True) is not None


def test_passage_is_marked_across_a_footnote_reference() -> None:
    md = create_parser()
    body = "The report was biased[^1] and false.\n\n[^1]: An archive note, the archive's reading.\n"
    rendered = render_body(md, body, "doc", [highlight("biased and false")])
    assert not rendered.problems
    assert '<mark id="a1" class="claim" title="Claim: test">biased<sup' in rendered.text_html
    assert "and false</mark>." in rendered.text_html
    assert "An archive note" in rendered.notes_html and "An archive note" not in rendered.text_html
    assert rendered.plain_text == "The report was biased and false."


def test_marking_keeps_every_character_of_the_text() -> None:
    md = create_parser()
    body = "Alpha beta gamma.\n\nDelta epsilon."
    plain = render_body(md, body, "doc", []).text_html
    marked = render_body(md, body, "doc", [highlight("beta"), highlight("Delta epsilon", "a2", "claims[1].passages[0]")]).text_html
    stripped = marked.replace('<mark id="a1" class="claim" title="Claim: test">', "").replace(
        '<mark id="a2" class="claim" title="Claim: test">', ""
    )
    assert stripped.replace("</mark>", "") == plain


def test_passage_problems_are_named_by_field() -> None:
    md = create_parser()
    body = "One two three. One two."
    problems = render_body(md, body, "doc", [highlight("four"), highlight("One two", "a2", "claims[1].passages[0]")]).problems
    assert [(p.field, p.message.split(":")[0]) for p in problems] == [
        ("claims[0].passages[0]", "passage not found in the text (within one paragraph)"),
        ("claims[1].passages[0]", "passage occurs 2 times in the text; quote more of it so it is unique"),
    ]


def test_overlapping_passages_are_refused() -> None:
    problems = render_body(
        create_parser(), "Alpha beta gamma.", "doc", [highlight("Alpha beta"), highlight("beta gamma", "a2", "x")]
    ).problems
    assert [p.message for p in problems] == ["passage overlaps the passage of claims[0].passages[0]; passages must not overlap"]


def test_passage_may_not_span_paragraphs() -> None:
    problems = render_body(create_parser(), "Alpha beta.\n\nGamma delta.", "doc", [highlight("beta. Gamma")]).problems
    assert problems and problems[0].message.startswith("passage not found")


def test_raw_html_is_escaped_and_reported() -> None:
    rendered = render_body(create_parser(), "Text <script>alert(1)</script> more.", "doc", [])
    assert "<script>" not in rendered.text_html and "&lt;script&gt;" in rendered.text_html
    assert [p.body_line for p in rendered.problems] == [1]


def test_footnote_ids_are_prefixed_so_statements_can_share_a_page() -> None:
    rendered = render_body(create_parser(), "Text[^n].\n\n[^n]: Note.\n", "slug-a", [])
    assert 'id="fnref-slug-a-1"' in rendered.text_html and 'id="fn-slug-a-1"' in rendered.notes_html


def test_same_site_paths_are_resolved_against_the_base_path() -> None:
    body = "See [2024](/2024/#s), [a note](#n), [elsewhere](https://example.org/x) and //not-a-link.\n"
    below = render_body(create_parser(), body, "doc", [], "/archive/").text_html
    assert 'href="/archive/2024/#s"' in below and 'href="#n"' in below and 'href="https://example.org/x"' in below
    at_root = render_body(create_parser(), body, "doc", []).text_html
    assert 'href="/2024/#s"' in at_root
