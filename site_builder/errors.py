"""The one error type of the builder: a content problem located by file, line and field."""

from __future__ import annotations

import contextlib
from pathlib import Path


class ContentError(Exception):
    """One problem in the archive's content, located precisely enough to fix it."""

    def __init__(self, path: str, line: int, field: str, message: str) -> None:
        super().__init__(path, line, field, message)
        self.path = path
        self.line = line
        self.field = field
        # One problem, one line: a message quoting YAML or a passage may carry line breaks.
        self.message = " ".join(message.split())

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line, self.field, self.message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentError) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class ContentErrors(Exception):
    """Raised once all problems in the content are known; carries every one of them."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = sorted(set(errors), key=lambda error: error.key)
        super().__init__("\n".join(str(e) for e in self.errors))


def display_path(path: Path, root: Path) -> str:
    """The path as a contributor would type it: relative to the project when possible."""
    # Not resolved: a statement that is a (broken) link is named by its own place.
    with contextlib.suppress(ValueError):
        return path.absolute().relative_to(root.absolute()).as_posix()
    with contextlib.suppress(ValueError):  # resolving costs a system call per part: only when needed
        return path.resolve().relative_to(root.resolve()).as_posix()
    return path.as_posix()
