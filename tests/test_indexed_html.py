"""indexed_html.py: pages cut down to what Pagefind reads of them, checked against Pagefind itself."""

from __future__ import annotations

import pytest

from site_builder import search as search_module
from site_builder.indexed_html import as_indexed
from site_builder.search import search_files

HEAD = b'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>A &amp; B</title><link rel="x" href="/y"></head>\n'

# A page in the builder's own shape: the marked elements among navigation, a "Cite this page"
# block and a footer, with ids, Pagefind's exclusion and weight outside them, an element marked
# inside a nav (which Pagefind skips unless marked), and text directly in the elements around.
PAGE = HEAD + (
    b'<body class="x">\n<a class="skip-link" href="#main">Skip</a>\n'
    b'<header id="top"><nav aria-label="Site"><a href="/">Home</a> <a href="/about/">About</a></nav></header>\n'
    b'<main id="main">Before the text,\n'
    b'<nav class="breadcrumbs"><a href="/">Timeline</a> &rsaquo; 2024</nav>\n'
    b'<div class="pair"><div data-pagefind-ignore>ignored</div>'
    b'<article class="statement" data-pagefind-body data-pagefind-meta="kind:Statement">\n'
    b'<h1 data-pagefind-meta="title">Heading</h1><h2 id="one">First part</h2><p>Trafficking <em>prevention</em> work.</p>'
    b'<article class="inner"><p>Nested article text.</p></article></article>\n'
    b'between the two, <aside data-pagefind-weight="5">weighted aside</aside>\n'
    b'<nav><section data-pagefind-body><h2 id="two">Second part</h2><p>Victims were identified.</p></section></nav>\n'
    b"after the second,</div>\n"
    b'<section class="cite" id="cite"><h2>Cite this page</h2><p>Archive, <i>2024</i>.</p><br><hr></section>\n'
    b'and at the end.</main>\n<footer><p id="foot">Footer text</p></footer>\n</body>\n</html>\n'
)


def bundle(page: bytes) -> dict[str, bytes]:
    """Pagefind's bundle for a site of that one page, handed over whole (the cut is not made)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_module, "as_indexed", lambda page: page)
        return search_files({"2024/index.html": page}, "en")


def test_a_body_is_cut_to_its_marked_elements_with_the_tags_and_text_around_them() -> None:
    assert as_indexed(PAGE) == (
        b'<!doctype html>\n<html lang="en"><head><title>A &amp; B</title></head>\n'
        b'<body class="x">\n\n\n<main id="main">Before the text,\n\n'
        b'<div class="pair"><article class="statement" data-pagefind-body data-pagefind-meta="kind:Statement">\n'
        b'<h1 data-pagefind-meta="title">Heading</h1><h2 id="one">First part</h2><p>Trafficking <em>prevention</em> work.</p>'
        b'<article class="inner"><p>Nested article text.</p></article></article>\n'
        b"between the two, \n"
        b'<nav><section data-pagefind-body><h2 id="two">Second part</h2><p>Victims were identified.</p></section></nav>\n'
        b"after the second,</div>\n\nand at the end.</main>\n\n</body>\n</html>\n"
    )


def test_pagefind_builds_the_same_bundle_from_the_cut_page() -> None:
    assert bundle(as_indexed(PAGE)) == bundle(PAGE)


def test_what_is_kept_around_the_marked_elements_counts_for_pagefind() -> None:
    """The cut keeps the text directly in the elements around the marked ones, and those elements'
    tags: Pagefind reads both (text after a marked element, an element's weight around it)."""
    whole = bundle(PAGE)
    assert bundle(PAGE.replace(b"between the two, ", b"")) != whole
    weighted = PAGE.replace(b'<div class="pair">', b'<div class="pair" data-pagefind-weight="8">')
    assert bundle(weighted) != whole
    assert bundle(as_indexed(weighted)) == bundle(weighted)


@pytest.mark.parametrize(
    "outside",
    [
        b"<h1>A title</h1>",  # the first h1 anywhere titles a page that marks none
        b'<p data-pagefind-meta="author:Someone">x</p>',
        b'<p data-pagefind-filter="office:Someone">x</p>',
        b'<p data-pagefind-sort="date:2024-01-01">x</p>',
        b'<span data-pagefind-default-meta="image:/a.png"></span>',
    ],
)
def test_a_body_is_left_whole_where_pagefind_reads_outside_the_marked_elements(outside: bytes) -> None:
    page = (
        HEAD + b"<body><main>" + outside + b"<article data-pagefind-body><h2>Heading</h2><p>Text of it.</p></article></main></body></html>"
    )
    cut = page.replace(outside, b"")
    assert bundle(cut) != bundle(page), "Pagefind reads it, so it must not be cut"
    assert as_indexed(page).endswith(page[page.index(b"</head>") :])


@pytest.mark.parametrize(
    "body",
    [
        b"<body><img src=/a.png><article data-pagefind-body><p>T</p></article></body>",  # an image after the title
        b'<body><link rel="stylesheet" href="/pagefind/pagefind-ui.css"><article data-pagefind-body><p>T</p></article></body>',
        b"<body><!-- <div> --><article data-pagefind-body><p>T</p></article></body>",
        b"<body><script>let a = '<div>';</script><article data-pagefind-body><p>T</p></article></body>",
        b"<body><svg><title>t</title></svg><article data-pagefind-body><p>T</p></article></body>",
        b"<body><textarea><div></textarea><article data-pagefind-body><p>T</p></article></body>",
        b"<body><div><article data-pagefind-body><p>T</p></article></body>",  # an element never closed
        b"<body><div><article data-pagefind-body><p>T</p></article></div></span></body>",  # an end tag of nothing open
        b"<body><section><p>x</p><article data-pagefind-body><p>T</p></article></body>",
        b"<body><div>no end</body>",
        b"<body><p>nothing marked</p></body>",
        b"<body><head></head><article data-pagefind-body><p>T</p></article></body>",
    ],
)
def test_a_body_is_left_whole_where_the_cut_could_be_wrong(body: bytes) -> None:
    page = HEAD + body + b"</html>"
    assert as_indexed(page).endswith(body + b"</html>")


def test_tags_and_names_are_read_in_any_case() -> None:
    page = HEAD + b'<BODY><NAV><A HREF="/">Home</A></NAV><Article data-pagefind-body><P>Text.</P></Article><FOOTER>f</FOOTER></BODY></HTML>'
    assert as_indexed(page).endswith(b"<BODY><Article data-pagefind-body><P>Text.</P></Article></BODY></HTML>")
    assert bundle(as_indexed(page)) == bundle(page)
    for read_by_pagefind in (b"<H1>T</H1>", b'<P DATA-PAGEFIND-META="a:b">x</P>'):
        whole = page.replace(b"<NAV>", read_by_pagefind + b"<NAV>")
        assert as_indexed(whole).endswith(whole[whole.index(b"</head>") :])


def test_a_head_is_cut_only_when_pagefind_reads_nothing_in_it_but_the_title() -> None:
    page = b'<html lang="en"><head><meta charset="utf-8"><title>A &amp; B</title><link rel="x" href="/y"></head><body><h1>A</h1></body>'
    assert as_indexed(page) == b'<html lang="en"><head><title>A &amp; B</title></head><body><h1>A</h1></body>'
    for read_by_pagefind in (
        b'<meta data-pagefind-meta="a:b">',
        b'<META DATA-PAGEFIND-FILTER="a:b">',
        b'<script id="x"></script>',
        b'<link ID ="x">',
        b'<link\tid="x">',
    ):
        whole = page.replace(b"<title>", read_by_pagefind + b"<title>")
        assert as_indexed(whole) == whole
    not_an_id = page.replace(b"<title>", b'<meta name="grid" content="a">' + b"<title>")
    assert as_indexed(not_an_id) == as_indexed(page)
    assert as_indexed(b"<p>no head</p>") == b"<p>no head</p>"
