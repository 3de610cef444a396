"""The results store of a study: one file per job, named by the job's key, written atomically,
each checked before it is trusted.

Layout of a study's directory::

    manifest.json            the study file, every resolved config, seeds, jobs, versions
    jobs/<key>.json          a finished job: its labels, seed and KPIs
    failures/<key>.json      a job that raised: its inputs, the error and the traceback
    timeseries/<key>.parquet the job's daily time series (when the study keeps them)
    claims/<key>.lock        a job being run now (locked by the process running it)
    corrupt/                 files found damaged, set aside (never deleted) to be looked at

A file is written to a temporary name in the same directory, flushed to disk and renamed
into place, so a study killed at any moment never leaves a half-written file under a job's
name. Every record (and the manifest) carries its key and a checksum of its contents, and a
job record the checksum of its time series: a file truncated, edited or swapped with another
job's is *corrupt* — it does not count as done, :meth:`Store.corrupt` lists it, and
:meth:`Store.set_aside` moves it to ``corrupt/`` so the job is run again.

While a process runs a job it holds a lock on the job's claim file (:meth:`Store.claim`), so
two processes running one study into one directory — shards of an HPC array, or the same
command started twice — never run a job twice. The kernel releases the lock of a process that
dies, so a killed run leaves no claim behind. The store never decides what to run; it records,
checks and lists.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.output import atomic_write

__all__ = ["Claim", "CorruptFile", "CorruptManifest", "Store", "atomic_write", "checksum"]

CHECKSUM = "checksum"


def _plain(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null (read back as NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def checksum(record: dict) -> str:
    """SHA-256 of ``record``'s canonical JSON, leaving out its own checksum field."""
    body = {k: v for k, v in record.items() if k != CHECKSUM}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _sealed(record: dict) -> bytes:
    """``record`` as JSON with its checksum, ready to write."""
    plain = _plain(record)
    plain[CHECKSUM] = checksum(plain)
    return (json.dumps(plain, indent=1, allow_nan=False) + "\n").encode()


@dataclass(frozen=True)
class CorruptFile:
    """A file of the store that cannot be trusted, and why."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class CorruptManifest(Exception):
    """The study's manifest is unreadable or was changed since it was written."""


def _open_record(path: Path, key: str | None) -> dict:
    """The record in ``path``; raise ``ValueError`` saying why it cannot be trusted."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not text") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON (truncated or damaged at byte {error.pos})") from None
    if not isinstance(record, dict):
        raise ValueError("not a record (a JSON object)")
    if record.get(CHECKSUM) != checksum(record):
        raise ValueError("its checksum does not match its contents (edited or damaged)")
    if key is not None and record.get("key") != key:
        raise ValueError(f"it holds the record of another job ({str(record.get('key'))[:12]}...)")
    return record


class Claim:
    """The lock a process holds on one job while it runs it (see :meth:`Store.claim`)."""

    def __init__(self, path: Path, handle: int) -> None:
        self.path = path
        self._handle: int | None = handle

    def release(self) -> None:
        """Give the job up: its record (or failure) is written, or it will not be run here."""
        if self._handle is None:
            return
        # Removed before unlocking: a process that opens the file now locks a file no one
        # else holds, and finds the job's record when it looks.
        self.path.unlink(missing_ok=True)
        os.close(self._handle)
        self._handle = None


class Store:
    """A study's directory of results (see the module docstring for the layout)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.manifest_path = self.root / "manifest.json"
        self.jobs_dir = self.root / "jobs"
        self.failures_dir = self.root / "failures"
        self.timeseries_dir = self.root / "timeseries"
        self.claims_dir = self.root / "claims"
        self.corrupt_dir = self.root / "corrupt"

    # --------------------------------------------------------------------- manifest

    def exists(self) -> bool:
        """Whether a study has been started here (it has a manifest)."""
        return self.manifest_path.is_file()

    def write_manifest(self, manifest: dict) -> None:
        atomic_write(self.manifest_path, _sealed(manifest))

    def set_aside_manifest(self) -> Path:
        """Move an untrustworthy manifest to ``corrupt/`` (it is written again by the study)."""
        target = self.corrupt_dir / f"manifest-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.manifest_path, target)
        return target

    def read_manifest(self) -> dict:
        """The manifest; raise :class:`CorruptManifest` if it cannot be trusted."""
        try:
            return _open_record(self.manifest_path, None)
        except (OSError, ValueError) as error:
            raise CorruptManifest(f"{self.manifest_path}: {error}") from None

    # --------------------------------------------------------------------- job records

    def scan(self) -> tuple[dict[str, dict], list[CorruptFile]]:
        """Every trustworthy finished job's record by key, and the job files that are not."""
        records: dict[str, dict] = {}
        corrupt: list[CorruptFile] = []
        if not self.jobs_dir.is_dir():
            return records, corrupt
        for path in sorted(self.jobs_dir.glob("*.json")):
            if path.name.startswith("."):
                continue  # a temporary file a killed writer left
            try:
                record = _open_record(path, path.stem)
                self._check_timeseries(record)
            except (OSError, ValueError) as error:
                corrupt.append(CorruptFile(path, str(error)))
                continue
            records[path.stem] = record
        return records, corrupt

    def _check_timeseries(self, record: dict) -> None:
        expected = record.get("timeseries_sha256")
        if expected is None:
            return
        path = self.timeseries_dir / f"{record['key']}.parquet"
        if not path.is_file():
            raise ValueError(f"its time series {path.name} is missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise ValueError(f"its time series {path.name} does not match its checksum")

    def done(self) -> set[str]:
        """Keys of the jobs that finished without error (and whose files can be trusted)."""
        return set(self.scan()[0])

    def corrupt(self) -> list[CorruptFile]:
        """Job and failure files that cannot be trusted (see the module docstring)."""
        _, jobs = self.scan()
        return jobs + self.scan_failures()[1]

    def set_aside(self, found: list[CorruptFile]) -> list[Path]:
        """Move corrupt files (and a job's time series) to ``corrupt/``; return where they went.

        Nothing is deleted: a damaged result is evidence. Its job then counts as not run.
        """
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        moved = []
        for item in found:
            kind = item.path.parent.name
            target = self.corrupt_dir / f"{kind}-{item.path.stem}-{stamp}{item.path.suffix}"
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(item.path, target)
            except FileNotFoundError:
                continue  # another process running the study set it aside first
            note = target.with_name(target.name + ".why")
            note.write_text(f"{item.path}: {item.reason}\n", encoding="utf-8")
            moved.append(target)
            series = self.timeseries_dir / f"{item.path.stem}.parquet"
            if kind == "jobs" and series.is_file():
                os.replace(series, self.corrupt_dir / f"timeseries-{series.stem}-{stamp}.parquet")
        return moved

    def put_result(self, key: str, record: dict, timeseries: pd.DataFrame | None = None) -> Path:
        """Store a finished job; its time series first, so the record marks the job done."""
        record = {**record, "key": key}
        if timeseries is not None:
            buffer = io.BytesIO()
            timeseries.to_parquet(buffer, index=False)
            data = buffer.getvalue()
            atomic_write(self.timeseries_dir / f"{key}.parquet", data)
            record["timeseries_sha256"] = hashlib.sha256(data).hexdigest()
        path = self.jobs_dir / f"{key}.json"
        atomic_write(path, _sealed(record))
        (self.failures_dir / f"{key}.json").unlink(missing_ok=True)  # an earlier attempt's
        return path

    def put_failure(self, key: str, record: dict) -> Path:
        """Store a job that raised (it stays to do: the next run tries it again)."""
        path = self.failures_dir / f"{key}.json"
        atomic_write(path, _sealed({**record, "key": key}))
        return path

    def result(self, key: str) -> dict | None:
        """The record of finished job ``key``, or None if there is none to trust."""
        path = self.jobs_dir / f"{key}.json"
        if not path.is_file():
            return None
        try:
            record = _open_record(path, key)
            self._check_timeseries(record)
        except (OSError, ValueError):
            return None
        return record

    def scan_failures(self) -> tuple[list[dict], list[CorruptFile]]:
        """Every trustworthy failure record, and the failure files that are not."""
        records: list[dict] = []
        corrupt: list[CorruptFile] = []
        if not self.failures_dir.is_dir():
            return records, corrupt
        for path in sorted(self.failures_dir.glob("*.json")):
            if path.name.startswith("."):
                continue
            try:
                records.append(_open_record(path, path.stem) | {"record": str(path)})
            except (OSError, ValueError) as error:
                corrupt.append(CorruptFile(path, str(error)))
        return records, corrupt

    def has_failure(self, key: str) -> bool:
        return (self.failures_dir / f"{key}.json").is_file()

    def failure_keys(self) -> set[str]:
        """Keys of the jobs with a failure record (finished since or not)."""
        if not self.failures_dir.is_dir():
            return set()
        return {p.stem for p in self.failures_dir.glob("*.json") if not p.name.startswith(".")}

    def failures(self) -> Iterator[dict]:
        """Records of failed jobs that have not succeeded since."""
        done = self.done()
        for record in self.scan_failures()[0]:
            if record["key"] not in done:
                yield record

    def timeseries(self, key: str) -> pd.DataFrame | None:
        path = self.timeseries_dir / f"{key}.parquet"
        return pd.read_parquet(path) if path.is_file() else None

    # --------------------------------------------------------------------- claims

    def claim(self, key: str) -> Claim | None:
        """Lock job ``key`` for this process, or None if another live process holds it."""
        self.claims_dir.mkdir(parents=True, exist_ok=True)
        path = self.claims_dir / f"{key}.lock"
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            return None
        except BaseException:
            os.close(handle)
            raise
        return Claim(path, handle)
