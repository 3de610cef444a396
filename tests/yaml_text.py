"""Helpers for tests that write YAML files and check where an error points."""

from __future__ import annotations

from pathlib import Path


def write(directory: Path, text: str, name: str) -> Path:
    """Write ``text`` to ``directory/name`` and return the path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def where(text: str, snippet: str) -> tuple[int, int]:
    """1-based line and column of the one occurrence of ``snippet`` in ``text``."""
    assert text.count(snippet) == 1, f"{snippet!r} must occur once"
    before = text[: text.index(snippet)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
