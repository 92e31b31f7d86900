"""Characters no text of the archive may contain, in front-matter or body.

Control characters are invalid in XML feeds and invisible on a page; bidirectional
override and isolate characters reorder what a reader sees (so a quotation could display
differently from the bytes that are cited). Neither occurs in a published statement.
"""

from __future__ import annotations

import re
import unicodedata

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def forbidden_character(text: str) -> str | None:
    """A description of the first forbidden character in `text`, or None."""
    match = FORBIDDEN.search(text)
    if match is None:
        return None
    char = match.group(0)
    kind = "bidirectional control" if "\u202a" <= char <= "\u2069" else "control character"
    name = unicodedata.name(char, "")
    return f"{kind} U+{ord(char):04X}{f' ({name})' if name else ''} is not allowed"
