"""Split a statement file into YAML front-matter and Markdown body, keeping line numbers.

Every value of the front-matter is remembered with the line it stands on, so that a
problem found later (by the schema or by a cross-check) can be reported at its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import ContentError

FieldPath = tuple[str | int, ...]

DELIMITER = "---"


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as the strings they were written as.

    The schema checks their form; a date object would make the data depend on how YAML
    guessed the type, and would not serialise to JSON.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def field_name(path: FieldPath) -> str:
    """`("claims", 2, "passages", 0)` -> `claims[2].passages[0]`."""
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name or "front-matter"


@dataclass(frozen=True)
class LineMap:
    """Line of every field path in a YAML document, in the file's numbering."""

    lines: dict[FieldPath, int]
    default: int

    def line_of(self, path: FieldPath) -> int:
        """The field's line, else the line of its nearest ancestor that exists."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return self.default


@dataclass(frozen=True)
class Document:
    """A parsed text file: its front-matter data, where each field is, and its body."""

    data: Any
    lines: LineMap
    body: str
    body_line: int


def _walk(node: yaml.Node, path: FieldPath, offset: int, errors: list[str]) -> Iterator[tuple[FieldPath, int]]:
    yield path, node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                errors.append(key)
            seen.add(key)
            yield (*path, key), key_node.start_mark.line + 1 + offset
            for sub_path, line in _walk(value_node, (*path, key), offset, errors):
                if sub_path != (*path, key):
                    yield sub_path, line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index), offset, errors)


def parse_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, LineMap]:
    """Parse one YAML document; raise ContentError located at the file's own line numbers."""
    offset = first_line - 1
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap({}, first_line)
        duplicates: list[str] = []
        lines = dict(_walk(node, (), offset, duplicates))
        if duplicates:
            key = duplicates[0]
            dup_line = max(line for p, line in lines.items() if p and p[-1] == key)
            raise ContentError(path, dup_line, key, "key appears twice in the same mapping")
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + offset if mark else first_line
        problem = error.problem or "invalid YAML"
        raise ContentError(path, line, "front-matter", f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise ContentError(path, first_line, "front-matter", f"YAML error: {error}") from None
    finally:
        loader.dispose()
    return data, LineMap(lines, first_line)


def decode(raw: bytes, path: str) -> str:
    """Decode UTF-8, naming the line of the first byte that is not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ContentError(path, line, "encoding", f"file is not valid UTF-8 (byte {raw[error.start]:#04x})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


def split_document(text: str, path: str) -> Document:
    """Split `---` front-matter from the Markdown body and parse it."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != DELIMITER:
        raise ContentError(path, 1, "front-matter", f"file must start with a '{DELIMITER}' line")
    for index in range(1, len(lines)):
        if lines[index].rstrip() == DELIMITER:
            end = index
            break
    else:
        raise ContentError(path, 1, "front-matter", f"front-matter is not closed by a '{DELIMITER}' line")
    data, line_map = parse_yaml("\n".join(lines[1:end]), path, first_line=2)
    return Document(data=data, lines=line_map, body="\n".join(lines[end + 1 :]), body_line=end + 2)
