"""Split a statement file into YAML front-matter and Markdown body, keeping line numbers.

Every value of the front-matter is remembered with the line it stands on, so that a
problem found later (by the schema or by a cross-check) can be reported at its line.
"""

from __future__ import annotations

import functools
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .characters import forbidden_character
from .errors import ContentError

if TYPE_CHECKING:
    import yaml

FieldPath = tuple[str | int, ...]

DELIMITER = "---"
_UNCLOSED = ("while parsing a flow", "while scanning a quoted scalar")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_./-]+")


@functools.cache
def _loaders() -> tuple[type[yaml.SafeLoader], type[yaml.SafeLoader]]:
    """PyYAML's loaders, made on first need: a build whose files all come from its cache parses no YAML."""
    import yaml

    class _Loader(yaml.SafeLoader):
        """SafeLoader that keeps dates as the strings they were written as.

        The schema checks their form; a date object would make the data depend on how YAML
        guessed the type, and would not serialise to JSON.
        """

    class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
        """The same loader on libyaml, about ten times faster; used while the document is valid."""

    _Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return _FastLoader, _Loader


def field_name(path: FieldPath) -> str:
    """`("claims", 2, "passages", 0)` -> `claims[2].passages[0]`.

    A key that is not a plain name (it could hold ':' or a line break) ends the name at its
    parent, so a problem line keeps its `path:line: field: message` form; the messages about
    keys quote the key itself.
    """
    name = ""
    for part in path:
        if isinstance(part, int):
            name += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            name += f".{part}" if name else part
        else:
            break
    return name or "front-matter"


class LineMap:
    """Line of every field path in a YAML document, in the file's numbering.

    Immutable. Pickled as one string of bytes, unpickled only when first read: a rebuild reads
    back a thousand statements with their maps, which unpickling would take a third of, and reads
    a map only to report a problem."""

    __slots__ = ("_lines", "_packed", "default")

    def __init__(self, lines: dict[FieldPath, int], default: int) -> None:
        self._lines: dict[FieldPath, int] | None = lines
        self._packed: bytes | None = None
        self.default = default

    @classmethod
    def _unpickled(cls, packed: bytes, default: int) -> LineMap:
        line_map = cls.__new__(cls)
        line_map._lines, line_map._packed, line_map.default = None, packed, default
        return line_map

    def __reduce__(self) -> tuple[object, tuple[bytes, int]]:
        if self._packed is None:
            self._packed = pickle.dumps(self._lines, protocol=pickle.HIGHEST_PROTOCOL)
        return LineMap._unpickled, (self._packed, self.default)

    @property
    def lines(self) -> dict[FieldPath, int]:
        if self._lines is None:
            assert self._packed is not None
            self._lines = pickle.loads(self._packed)
        return self._lines

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineMap):
            return NotImplemented
        return (self.lines, self.default) == (other.lines, other.default)

    __hash__ = None  # type: ignore[assignment]  # as a dict's, its content is not hashable

    def __repr__(self) -> str:
        return f"LineMap(lines={self.lines!r}, default={self.default!r})"

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


class _Walk:
    """Collects the line of every field path, and what YAML allows but the archive does not."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.lines: dict[FieldPath, int] = {}
        self.duplicate_keys: list[tuple[FieldPath, int]] = []
        self.aliases: list[FieldPath] = []
        self._seen: set[int] = set()

    def visit(self, node: yaml.Node, path: FieldPath, line: int | None = None) -> None:
        import yaml  # loaded by the parse that made `node`

        self.lines.setdefault(path, line or node.start_mark.line + 1 + self.offset)
        # The composer hands out the same node again for every alias; walking it again could
        # take exponential time ("billion laughs"), and aliases have no use in our data.
        if id(node) in self._seen:
            self.aliases.append(path)
            return
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key_node, value_node in node.value:
                key, key_line = str(key_node.value), key_node.start_mark.line + 1 + self.offset
                if key in keys:
                    self.duplicate_keys.append(((*path, key), key_line))
                keys.add(key)
                self.visit(value_node, (*path, key), key_line)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                # An alias item has no position of its own: its node is the anchored one.
                self.visit(item, (*path, index), self.lines[path] if id(item) in self._seen else None)


def _strings(data: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, bool]]:
    """Every string in the data, keys included: (where, text, whether it is a key)."""
    if isinstance(data, str):
        yield path, data, False
    elif isinstance(data, dict):
        for key, value in data.items():
            yield (*path, str(key)), str(key), True
            yield from _strings(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


def prepare() -> None:
    """Import PyYAML and make its loaders now, in a process about to parse."""
    _loaders()


def parse_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, LineMap]:
    """Parse one YAML document; raise ContentError located at the file's own line numbers.

    libyaml parses; a document it refuses is parsed again by PyYAML's own reader, whose
    messages (and positions) are the ones problem reports are written in.
    """
    fast, careful = _loaders()
    try:
        return _parse_yaml(text, path, first_line, fast)
    except ContentError:
        return _parse_yaml(text, path, first_line, careful)


def _parse_yaml(text: str, path: str, first_line: int, loader_type: type[yaml.SafeLoader]) -> tuple[Any, LineMap]:
    import yaml  # loaded by `_loaders`

    offset = first_line - 1
    loader: yaml.SafeLoader | None = None
    try:
        loader = loader_type(text)
        node = loader.get_single_node()
        if node is None:
            return None, LineMap({}, first_line)
        walk = _Walk(offset)
        walk.visit(node, ())
        if walk.duplicate_keys:
            where, line = walk.duplicate_keys[0]
            raise ContentError(path, line, field_name(where), f"key {where[-1]!r} appears twice in the same mapping")
        if walk.aliases:
            where = walk.aliases[0]
            raise ContentError(path, walk.lines[where], field_name(where), "YAML aliases (*name) are not allowed; write the value out")
        data = loader.construct_document(node)
        lines = walk.lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "invalid YAML"
        # A bracket or quote left open is noticed lines later; the line that opened it is the one to fix.
        if error.context and error.context.startswith(_UNCLOSED) and error.context_mark:
            mark = error.context_mark
            problem += f" ({error.context.removeprefix('while ')} that starts here)"
        line = mark.line + 1 + offset if mark else first_line
        raise ContentError(path, line, "front-matter", f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + first_line
        character = forbidden_character(chr(error.character)) if isinstance(error.character, int) else None
        raise ContentError(path, line, "front-matter", character or f"YAML error: {error.reason}") from None
    except yaml.YAMLError as error:
        raise ContentError(path, first_line, "front-matter", f"YAML error: {error}") from None
    except RecursionError:
        raise ContentError(path, first_line, "front-matter", "YAML is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    line_map = LineMap(lines, first_line)
    for field_path, text, is_key in _strings(data, ()):
        character = forbidden_character(text)
        if character:
            in_key = f" in the key {text!r}" if is_key else ""
            raise ContentError(path, line_map.line_of(field_path), field_name(field_path), character + in_key)
    return data, line_map


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
