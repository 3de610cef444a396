"""The results store of a study: one file per job, named by the job's key, written atomically.

Layout of a study's directory::

    manifest.json            the study file, every resolved config, seeds, jobs, versions
    jobs/<key>.json          a finished job: its labels, seed and KPIs
    failures/<key>.json      a job that raised: its inputs, the error and the traceback
    timeseries/<key>.parquet the job's daily time series (when the study keeps them)

A file is written to a temporary name in the same directory, flushed to disk and renamed
into place, so a study killed at any moment never leaves a half-written file under a job's
name: a job counts as done exactly when ``jobs/<key>.json`` exists. The store never decides
what to run; it only records and lists.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Store", "atomic_write"]

TEMP_PREFIX = ".partial-"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null (read back as NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _dumps(payload: dict) -> bytes:
    return (json.dumps(_plain(payload), indent=1, allow_nan=False) + "\n").encode()


class Store:
    """A study's directory of results (see the module docstring for the layout)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.manifest_path = self.root / "manifest.json"
        self.jobs_dir = self.root / "jobs"
        self.failures_dir = self.root / "failures"
        self.timeseries_dir = self.root / "timeseries"

    def exists(self) -> bool:
        """Whether a study has been started here (it has a manifest)."""
        return self.manifest_path.is_file()

    def write_manifest(self, manifest: dict) -> None:
        atomic_write(self.manifest_path, _dumps(manifest))

    def read_manifest(self) -> dict:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def done(self) -> set[str]:
        """Keys of the jobs that finished without error."""
        if not self.jobs_dir.is_dir():
            return set()
        return {p.stem for p in self.jobs_dir.glob("*.json") if not p.name.startswith(".")}

    def put_result(self, key: str, record: dict, timeseries: pd.DataFrame | None = None) -> Path:
        """Store a finished job; its time series first, so the record marks the job done."""
        if timeseries is not None:
            buffer = io.BytesIO()
            timeseries.to_parquet(buffer, index=False)
            atomic_write(self.timeseries_dir / f"{key}.parquet", buffer.getvalue())
        path = self.jobs_dir / f"{key}.json"
        atomic_write(path, _dumps(record))
        (self.failures_dir / f"{key}.json").unlink(missing_ok=True)  # an earlier attempt's
        return path

    def put_failure(self, key: str, record: dict) -> Path:
        """Store a job that raised (it stays to do: the next run tries it again)."""
        path = self.failures_dir / f"{key}.json"
        atomic_write(path, _dumps(record))
        return path

    def result(self, key: str) -> dict | None:
        path = self.jobs_dir / f"{key}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def failures(self) -> Iterator[dict]:
        """Records of failed jobs that have not succeeded since."""
        if not self.failures_dir.is_dir():
            return
        done = self.done()
        for path in sorted(self.failures_dir.glob("*.json")):
            if not path.name.startswith(".") and path.stem not in done:
                yield json.loads(path.read_text(encoding="utf-8")) | {"record": str(path)}

    def timeseries(self, key: str) -> pd.DataFrame | None:
        path = self.timeseries_dir / f"{key}.parquet"
        return pd.read_parquet(path) if path.is_file() else None
