"""The config reference, generated from the config models so that it can never drift."""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from agents.config import ChainConfig, CompanyConfig

__all__ = ["config_reference"]


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        base = _type_name(args[0])
        bounds = []
        for meta in args[1:]:
            for item in getattr(meta, "metadata", []) or [meta]:
                for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                    value = getattr(item, attr, None)
                    if value is not None:
                        bounds.append(f"{sign} {_number(value)}")
                if getattr(item, "discriminator", None):
                    return base
        return f"{base} ({', '.join(bounds)})" if bounds else base
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in args)
    if origin is dict:
        return f"mapping of name → {_type_name(args[1])}"
    if origin is tuple:
        return f"list of {_type_name(args[0])}"
    if annotation is type(None):
        return "null"
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation))


def _models(annotation: Any, found: list[type[BaseModel]]) -> None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.append(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
        return
    for arg in typing.get_args(annotation):
        _models(arg, found)


def _bounds(field) -> str:
    bounds = []
    for item in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None:
                bounds.append(f"{sign} {_number(value)}")
    return f" ({', '.join(bounds)})" if bounds else ""


def _number(value: float) -> str:
    """A bound as a person reads it: 1e+09 rather than 1000000000.0, 2^63 − 1 in full."""
    if isinstance(value, float) and abs(value) >= 1e6:
        return f"{value:g}"
    return str(value)


def _default(field) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "see type"
    if value == () or value == {}:
        return "empty"
    if isinstance(value, dict):
        return "one entry: " + ", ".join(f"`{key}`" for key in value)
    if value == "":
        return '`""`'
    return f"`{value}`"


def config_reference() -> str:
    """Markdown describing every section and key of a config, with types and defaults."""
    lines = [
        "# Config reference",
        "",
        "Generated from the models in `sim/config.py` (the world) and `agents/config.py` (who",
        "decides) by `oneplan schema`; do not edit by hand.",
        "A config is a YAML file: a company (`kind: company`, the default) or a serial chain",
        "(`kind: serial_chain`). Named things are mappings keyed by name; any value can be",
        "overridden with `--set dotted.path=value` (a number in the path picks a list item, as",
        "in `shocks.0.start_day`). A file may `extends: base.yaml` and override what it needs",
        "(a `null` removes a key; a mapping that changes its `distribution`, `policy`, `method`",
        "or `kind` replaces the base's). Numbers are finite (no `.inf` or `.nan`) and within the",
        "bounds shown.",
        "",
    ]
    found: list[type[BaseModel]] = []
    for root in (CompanyConfig, ChainConfig):
        _models(root, found)
    for model in found:
        lines.append(f"## {model.__name__}")
        lines.append("")
        doc = inspect.getdoc(model)
        if doc and not doc.startswith("Base of every"):
            lines += [doc, ""]
        lines += ["| key | type | default |", "|---|---|---|"]
        for name, field in model.model_fields.items():
            kind = _type_name(field.annotation) + _bounds(field)
            lines.append(f"| `{name}` | {kind} | {_default(field)} |")
        lines.append("")
    return "\n".join(lines)
