"""Reading YAML with the position of every value, for error messages that point at a line.

The loader follows the YAML 1.2 core schema rather than PyYAML's YAML 1.1 defaults: only
``true``/``false`` are booleans (``NO`` stays the string "NO"), ``010`` is the integer 10, and
dates stay strings. Duplicate keys are errors, not silent overwrites.

Values are plain Python objects; :class:`Located` keeps, beside them, a map from each dotted
path (``("products", "compact", "price")``) to where it was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Located", "Location", "SourceError", "load_yaml", "parse_scalar"]

Path_ = tuple[str | int, ...]


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


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars."""


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
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    SourceProblem(
                        _location(file, key_node),
                        _dotted(path),
                        "merge keys (<<) are not supported",
                    )
                )
                continue
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
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
    return loader.construct_object(node, deep=True)


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def load_yaml(path: Path | str, display_name: str | None = None) -> Located:
    """Read one YAML file into a :class:`Located`; raise :class:`SourceError` on any problem."""
    path = Path(path)
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError([SourceProblem(Location(name), "", "file not found")]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SourceError(
            [SourceProblem(Location(name), "", f"cannot read the file: {reason}")]
        ) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML text (one document) with locations; ``name`` is used in messages."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
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
