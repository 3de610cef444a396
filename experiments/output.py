"""Files the commands write: checked before any work starts, written whole or not at all.

A run can take minutes; finding only afterwards that its picture cannot be saved loses that
work. So every output a command is asked for is checked first — its kind (by extension), that
it is not a directory or a device, and that its directory exists (or can be made) and takes a
file — and then written atomically: to a temporary file beside it, flushed, then renamed over
it, so a reader sees the old file or the whole new one, never a half-written one.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["TEMP_PREFIX", "OutputError", "atomic_write", "check_directory", "check_file"]

TEMP_PREFIX = ".partial-"


class OutputError(Exception):
    """An output that cannot be written, and why (one line, for the user)."""


def check_file(path: Path, option: str, suffixes: Sequence[str] = ()) -> Path:
    """Check that the file ``path`` (given to ``option``) can be written; return where it will
    be written (symbolic links followed). ``suffixes``: the extensions allowed (any if empty).

    Makes the file's directory if it does not exist; writes nothing else.
    """
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        kind = "a directory" if target.is_dir() else "not a regular file"
        raise OutputError(f"{option} {path}: {kind}; give the path of a file to write")
    if suffixes and target.suffix.lower() not in suffixes:
        # (The name written to: a link's target, whose extension decides the format.)
        allowed = _either(suffixes)
        got = f"'{target.suffix}'" if target.suffix else "no extension"
        raise OutputError(f"{option} {path}: give a file name ending in {allowed} (got {got})")
    check_directory(target.parent, f"{option} {path}")
    return target


def check_directory(directory: Path, option: str) -> Path:
    """Check that files can be written in ``directory`` (made if missing); return it."""
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{option}: {directory} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Only writing shows whether writing works (permissions, read-only or pseudo file
        # systems, a full disk): a small file is written, flushed and removed.
        handle, probe = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(b"probe")
                out.flush()
                os.fsync(out.fileno())
        finally:
            Path(probe).unlink(missing_ok=True)
    except OSError as error:
        raise OutputError(f"{option}: cannot write in {directory}: {_reason(error)}") from None
    return directory


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        # A temporary file is private (0600); the file it becomes gets the permissions any
        # new file would, so results in a shared directory stay readable to its group.
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    """The process's umask (read, not changed, where the system shows it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it, and set it back
    os.umask(mask)
    return mask


def _either(suffixes: Sequence[str]) -> str:
    listed = list(suffixes)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
