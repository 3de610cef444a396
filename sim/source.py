"""Reading YAML with the position of every value, for error messages that point at a line.

The loader follows the YAML 1.2 core schema rather than PyYAML's YAML 1.1 defaults: only
``true``/``false`` are booleans (``NO`` stays the string "NO"), ``010`` is the integer 10, and
dates stay strings. Duplicate keys are errors, not silent overwrites.

Values are plain Python objects; :class:`Located` keeps, beside them, a map from each dotted
path (``("products", "compact", "price")``) to where it was written.

Nothing in a file can make the loader do more than read plain data: tags other than the core
schema's (``!!python/...``, ``!custom``) are refused, not constructed; anchors and aliases are
expanded within a budget (:data:`ALIAS_BUDGET` values), so a few lines cannot unfold into
billions; nesting is limited to :data:`MAX_DEPTH` levels and a file to :data:`MAX_BYTES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ALIAS_BUDGET",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Located",
    "Location",
    "SourceError",
    "load_yaml",
    "parse_scalar",
]

Path_ = tuple[str | int, ...]

MAX_BYTES = 16 * 1024 * 1024
"""The largest file read (a company config is a few kilobytes)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and lists (a config needs about six levels)."""
ALIAS_BUDGET = 10_000
"""How many values aliases may add to a document when they are expanded."""

_CORE = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(
    _CORE + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was written: a file (or ``--set``) with 1-based line and column."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class SourceProblem:
    location: Location
    path: str
    message: str

    def __str__(self) -> str:
        prefix = f"{self.location}: "
        return f"{prefix}{self.path}: {self.message}" if self.path else f"{prefix}{self.message}"


class SourceError(Exception):
    """One or more problems with a configuration, each naming file, line, field and why."""

    def __init__(self, problems: list[SourceProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Located:
    """A YAML document as plain data, plus the location of every path in it."""

    data: Any
    locations: dict[Path_, Location] = field(default_factory=dict)

    def locate(self, path: Path_) -> Location:
        """The location of ``path``, or of its nearest written ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.locations:
                return self.locations[probe]
            probe = probe[:-1]
        return self.locations.get((), Location("<config>"))


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that oneplan will not read: an alias bomb, nesting too deep."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars, bounded aliases and bounded depth.

    Both bounds are checked while the document is composed into nodes, before any value is
    built, so a refused document costs no more than reading it. (Tags are checked when values
    are built, where the path of each is known.)
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0
        # Values each composed node stands for once its aliases are expanded, by node identity
        # (the nodes live as long as the loader, so identities stay unique).
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # its anchor is still open: the alias is inside what it names
                raise _Refused(None, None, "an alias cannot stand inside its own anchor", mark)
            self._expanded += size
            if self._expanded > ALIAS_BUDGET:
                raise _Refused(
                    None,
                    None,
                    f"aliases expand to more than {ALIAS_BUDGET} values; write the values out",
                    mark,
                )
            return node
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in _children(node))
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _location(file: str, node: yaml.Node) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


def _build(
    node: yaml.Node,
    loader: _Loader,
    file: str,
    path: Path_,
    out: Located,
    problems: list[SourceProblem],
) -> Any:
    out.locations[path] = _location(file, node)
    if node.tag not in _PLAIN_TAGS:
        problems.append(SourceProblem(_location(file, node), _dotted(path), _tag_problem(node)))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "str" and key_node.value == "<<" and not key_node.style:
                problems.append(
                    SourceProblem(
                        _location(file, key_node),
                        _dotted(path),
                        "merge keys (<<) are not supported",
                    )
                )
                continue
            if key_node.tag not in _PLAIN_TAGS:
                where = _location(file, key_node)
                problems.append(SourceProblem(where, _dotted(path), _tag_problem(key_node)))
                continue
            key = None
            if isinstance(key_node, yaml.ScalarNode):
                known = len(problems)
                key = _scalar(key_node, loader, file, path, problems)
                if len(problems) > known:
                    continue  # its text did not fit its tag: said already
            if not isinstance(key, str | int | float | bool):
                problems.append(
                    SourceProblem(
                        _location(file, key_node), _dotted(path), "keys must be plain names"
                    )
                )
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                first = out.locations[(*path, key)]
                problems.append(
                    SourceProblem(
                        _location(file, key_node),
                        _dotted((*path, key)),
                        f"duplicate key (first written at line {first.line}); write each key once",
                    )
                )
                continue
            result[key] = _build(value_node, loader, file, (*path, key), out, problems)
            out.locations[(*path, key)] = _location(file, key_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, loader, file, (*path, i), out, problems)
            for i, item in enumerate(node.value)
        ]
    return _scalar(node, loader, file, path, problems)


def _tag_problem(node: yaml.Node) -> str:
    shown = "!!" + node.tag.removeprefix(_CORE) if node.tag.startswith(_CORE) else node.tag
    # Nothing tagged is ever constructed: a tag could name Python code to run.
    return f"YAML tags such as {shown} are not allowed; write a plain value"


def _scalar(
    node: yaml.Node, loader: _Loader, file: str, path: Path_, problems: list[SourceProblem]
) -> Any:
    """The value of a scalar node, or None with a problem when its text does not fit its tag
    (``!!int abc``, an integer of more digits than Python converts)."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        kind = node.tag.removeprefix(_CORE)
        problems.append(
            SourceProblem(
                _location(file, node), _dotted(path), f"{node.value[:40]!r} is not a valid {kind}"
            )
        )
        return None


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def load_yaml(path: Path | str, display_name: str | None = None) -> Located:
    """Read one YAML file into a :class:`Located`; raise :class:`SourceError` on any problem."""
    path = Path(path)
    name = display_name or str(path)

    def refuse(reason: str) -> SourceError:
        return SourceError([SourceProblem(Location(name), "", reason)])

    if path.is_dir():
        raise refuse("is a directory, not a YAML file")
    try:
        with path.open("rb") as stream:
            # At most one byte more than allowed: enough to tell a file that is too large,
            # and a device that never ends (/dev/urandom) cannot exhaust memory.
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise refuse("file not found") from None
    except OSError as exc:
        raise refuse(f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise refuse(f"larger than {MAX_BYTES // (1024 * 1024)} MiB; a config is a few kilobytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("cannot read the file: not UTF-8 text") from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML text (one document) with locations; ``name`` is used in messages."""
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except _Refused as exc:
        mark = exc.problem_mark
        raise SourceError(
            [SourceProblem(Location(name, mark.line + 1, mark.column + 1), "", str(exc.problem))]
        ) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a NUL byte, a control character): the reader knows
        # only its offset in the text.
        before = text[: exc.position]
        line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        what = f"character #x{exc.character:04x} is not allowed in YAML"
        raise SourceError([SourceProblem(Location(name, line, column), "", what)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        what = str(exc.problem or exc.context or "unreadable YAML")
        if exc.problem and exc.context:
            # e.g. "expected ',' or '}', but got ':' (while parsing a flow mapping from line 3,
            # column 9)": the problem first, then where the unfinished construct began.
            start = exc.context_mark
            began = f" from line {start.line + 1}, column {start.column + 1}" if start else ""
            what = f"{exc.problem} ({exc.context}{began})"
        raise SourceError([SourceProblem(where, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise SourceError(
            [SourceProblem(Location(name), "", f"YAML syntax error: {exc}")]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    out = Located(data={}, locations={(): Location(name, 1, 1)})
    if node is None:
        return out
    problems: list[SourceProblem] = []
    out.data = _build(node, _Loader(""), name, (), out, problems)
    if problems:
        raise SourceError(problems)
    return out


def parse_scalar(text: str) -> Any:
    """Parse the value of a ``--set path=value`` option with the same YAML rules as files."""
    located = parse_yaml(text, "--set")
    return located.data
