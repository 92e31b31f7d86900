"""One module per verb of the command line (cli.py imports only the one asked for), and the
one way they report content problems."""

from __future__ import annotations

import sys

from ..errors import ContentErrors


def report(errors: ContentErrors) -> int:
    """Print every problem, one per line with its file and line; the exit status of a refusal."""
    for error in errors.errors:
        print(error, file=sys.stderr)
    count = len(errors.errors)
    print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
    return 1
