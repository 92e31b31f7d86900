"""The corpus of hostile input that goes through full builds in test_hostile_input.py.

Every active payload would set `window.__pwned` or open a dialog if it ever ran, and every
one carries the word "pwned" or "alert", so the checks can find any that reaches the output.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTACK = "window.__pwned=1"


@dataclass(frozen=True)
class RejectedBody:
    """Markdown added to a statement body that the build must refuse, naming the line."""

    name: str
    markdown: str
    message: str


@dataclass(frozen=True)
class FieldPayload:
    """A front-matter or data-file string that must build, and be escaped wherever it lands."""

    file: str
    field: tuple[str | int, ...]
    value: str


LINK = "is not allowed"
HTML = "raw HTML is not allowed"

REJECTED_BODY = [
    RejectedBody("javascript-link", f"[read more](javascript:{ATTACK})", LINK),
    RejectedBody("mixed-case-scheme", "[read more](JaVaScRiPt:alert(1))", LINK),
    RejectedBody("entity-tab-in-scheme", "[read more](java&#9;script:alert(1))", LINK),
    RejectedBody("decimal-entity-scheme", "[read more](&#106;avascript:alert(1))", LINK),
    RejectedBody("hex-entity-scheme", "[read more](&#x6A;&#x61;vascript:alert(1))", LINK),
    RejectedBody("named-entity-colon", "[read more](javascript&colon;alert(1))", LINK),
    RejectedBody("angle-destination", "[read more](<javascript:alert(1)>)", LINK),
    RejectedBody("autolink", "<javascript:alert(1)>", LINK),
    RejectedBody("reference-definition", "[read more][ref]\n\n[ref]: javascript:alert(1)", LINK),
    RejectedBody("data-html-link", "[read more](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", LINK),
    RejectedBody("vbscript-link", "[read more](vbscript:msgbox(1))", LINK),
    RejectedBody("file-link", "[read more](file:///etc/passwd)", LINK),
    RejectedBody("protocol-relative-link", "[read more](//evil.example/alert)", LINK),
    RejectedBody("backslash-link", "[read more](\\\\\\\\evil.example/alert)", LINK),
    RejectedBody("javascript-image", "![chart](javascript:alert(1))", LINK),
    RejectedBody("data-svg-image", "![chart](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", LINK),
    RejectedBody("remote-image", "![pixel](https://tracker.example/pwned.gif)", LINK),
    RejectedBody("link-in-archive-note", f"See the note.[^evil]\n\n[^evil]: [source](javascript:{ATTACK})", LINK),
    RejectedBody("script-block", f"<script>{ATTACK}</script>", HTML),
    RejectedBody("img-onerror", f"<img src=x onerror={ATTACK}>", HTML),
    RejectedBody("inline-anchor", f'Text <a href="javascript:{ATTACK}">here</a>.', HTML),
    RejectedBody("svg-onload", f"<svg/onload={ATTACK}>", HTML),
    RejectedBody("iframe", '<iframe src="javascript:alert(1)"></iframe>', HTML),
    RejectedBody("event-handler-div", f'<div onclick="{ATTACK}">click</div>', HTML),
    RejectedBody("style-block", "<style>body{display:none}</style>", HTML),
    RejectedBody("html-comment", "<!-- hidden from readers: pwned -->", HTML),
    RejectedBody("mutation-xss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", HTML),
    RejectedBody("processing-instruction", "<?php echo 'pwned'; ?>", HTML),
    RejectedBody("entity-encoded-tag", "&lt;script&gt;alert(1)&lt;/script&gt;", HTML),
    RejectedBody("control-character", "The bell\x07 rings: pwned", "control character U+0007"),
    RejectedBody("bidi-override", "Reads \u202ebackwards: pwned", "bidirectional control U+202E"),
]

# Markdown the build accepts: each must come out as text, never as markup or a live handler.
INERT_BODY = [
    f'Attribute syntax is not enabled: {{onclick="{ATTACK}"}}',
    f"Code stays code: `<script>{ATTACK}</script>`",
    f'[A title with quotes](/2024/ "x\\" onmouseover=\\"{ATTACK}")',
    f'[Quotes in an address](https://example.org/"onmouseover="{ATTACK})',
]

STATEMENT = "statements/2024-statement-2024-06-25.md"
# A response whose text the archive does not hold: its record fields are shown all the same.
RECORD = "statements/2016-statement-2016.md"
BIBTEX_SPECIALS = "{100%} \\ $x$ #1 ~ _ & ^"

FIELD_PAYLOADS = [
    FieldPayload(STATEMENT, ("title",), f"</script><script>{ATTACK}</script> {BIBTEX_SPECIALS}"),
    FieldPayload(STATEMENT, ("summary",), f'"><img src=x onerror="{ATTACK}"> & \'quotes\''),
    FieldPayload(STATEMENT, ("office_holder",), f"' onmouseover='{ATTACK}' x='"),
    FieldPayload(STATEMENT, ("office", "name"), f'Office <b onmouseover="{ATTACK}">of</b> Security & <i>pwned</i>'),
    FieldPayload(STATEMENT, ("occasion", "description"), f"<!-- ]]> --><svg onload={ATTACK}>"),
    FieldPayload(STATEMENT, ("source", "publisher"), "{{ 7 * 7 }} {% raw %} ${7*7} pwned"),
    FieldPayload(STATEMENT, ("source", "author"), "&lt;script&gt;alert(1)&lt;/script&gt; &amp; pwned"),
    FieldPayload(STATEMENT, ("office", "wording"), "line\u2028separators\u2029 in JSON pwned"),
    FieldPayload(STATEMENT, ("versions", 0, "title"), f'<a href="javascript:{ATTACK}">click</a>'),
    FieldPayload(STATEMENT, ("versions", 0, "publisher"), f"javascript:{ATTACK}"),
    FieldPayload(RECORD, ("issued_bounds", "basis"), f"<script>{ATTACK}</script> on or before"),
    FieldPayload(RECORD, ("related", 0, "label"), f'"><img src=x onerror={ATTACK}> remarks'),
    FieldPayload(RECORD, ("versions", 1, "publisher"), f"</cite><script>{ATTACK}</script>"),
    FieldPayload(STATEMENT, ("source", "url"), "https://example.org/pwned?a=1&b='x'"),
    FieldPayload(STATEMENT, ("report_quotes", 0, "note"), f"</style><script>{ATTACK}</script>"),
    FieldPayload("data/claims.yaml", (0, "label"), f'<b onmouseover="{ATTACK}">Law</b>'),
    FieldPayload("data/claims.yaml", (0, "definition"), f"]]></content><script>{ATTACK}</script>"),
    FieldPayload("data/tiers.yaml", (5, "findings"), f"<iframe src=javascript:{ATTACK}></iframe>"),
    FieldPayload("data/tiers.yaml", (5, "source", "label"), f"\"'><script>{ATTACK}</script>"),
]
