"""A study's results store trusts nothing it did not write, whoever else runs the study.

- a job file truncated, edited or swapped with another job's is not counted as done:
  ``results`` leaves it out and says so, ``study`` sets it aside and runs the job again;
  a damaged manifest is reported (``results``) or set aside and rewritten (``study``);
- two ``study`` commands on one directory run each job once between them;
- results are keyed on the code that computed them, so changed code does not resume onto
  stale results;
- the workers of a ``study`` die with it, even when it is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from experiments.cli import main
from experiments.engines import InProcess
from experiments.results import WALL_CLOCK, load_results
from experiments.store import Store
from experiments.study import load_study, run_study

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.yaml"

TINY = f"""\
name: tiny
base: {BASELINE}
protocols: [silo, sop]
replications: 3
seed: 4
days: 30
keep:
  kpis: [fill_rate, operating_profit]
"""


def study_file(tmp_path: Path, text: str = TINY, name: str = "tiny.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def table(out: Path) -> pd.DataFrame:
    return load_results(out).table.drop(columns=list(WALL_CLOCK)).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The tiny study run once, undisturbed."""
    here = tmp_path_factory.mktemp("reference")
    run_study(load_study(study_file(here)), here / "out", InProcess())
    return table(here / "out")


def damage(store: Store, keys: list[str]) -> None:
    """Truncate the first job file, edit the second's KPI, swap the third's and fourth's."""
    jobs = [store.jobs_dir / f"{key}.json" for key in keys]
    text = jobs[0].read_text()
    jobs[0].write_text(text[: len(text) // 2])
    record = json.loads(jobs[1].read_text())
    record["kpis"]["fill_rate"] = 1.0  # a better number, by hand
    jobs[1].write_text(json.dumps(record))
    third, fourth = jobs[2].read_text(), jobs[3].read_text()
    jobs[2].write_text(fourth)
    jobs[3].write_text(third)


def test_damaged_job_files_are_reported_set_aside_and_run_again(tmp_path, reference):
    path = study_file(tmp_path)
    out = tmp_path / "out"
    study = load_study(path)
    run_study(study, out, InProcess())
    store = Store(out)
    keys = [job.key for job in study.jobs]
    damage(store, keys[:4])

    shown = invoke("results", out)
    assert shown.exit_code == 0, shown.output
    assert "tiny: 2 of 6 jobs finished, 0 failed, 4 not run yet" in shown.output
    assert "4 files cannot be trusted and are left out" in shown.output
    for key, why in zip(
        keys[:4],
        ["not valid JSON", "checksum does not match", "record of another job", "another job"],
        strict=True,
    ):
        assert re.search(rf"{key}\.json: .*{why}", shown.output), (key, why)
    assert len(load_results(out).table) == 2

    resumed = invoke("study", path, "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "4 files in" in resumed.stderr and "set aside" in resumed.stderr
    assert "2 done already; running 4" in resumed.stdout
    assert "ran 4 jobs" in resumed.stdout
    assert len(list(store.corrupt_dir.glob("jobs-*.json"))) == 4  # kept, not deleted
    pd.testing.assert_frame_equal(table(out), reference, check_exact=True)


def test_a_damaged_time_series_makes_its_job_not_done(tmp_path):
    text = TINY.replace("keep:\n", "keep:\n  timeseries: true\n").replace(
        "replications: 3", "replications: 1"
    )
    path = study_file(tmp_path, text)
    out = tmp_path / "out"
    run_study(load_study(path), out, InProcess())
    store = Store(out)
    series = sorted(store.timeseries_dir.glob("*.parquet"))
    assert len(series) == 2
    series[0].write_bytes(series[0].read_bytes()[:-10])
    assert len(store.done()) == 1
    [corrupt] = store.corrupt()
    assert "time series" in corrupt.reason
    again = run_study(load_study(path), out, InProcess())
    assert again.ran == 1 and len(store.done()) == 2


def test_a_truncated_manifest_is_reported_and_then_written_again(tmp_path):
    path = study_file(tmp_path)
    out = tmp_path / "out"
    run_study(load_study(path), out, InProcess())
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text()[:100])

    shown = invoke("results", out)
    assert shown.exit_code == 2
    assert "manifest.json: not valid JSON" in shown.stderr
    assert "Traceback" not in shown.output

    resumed = invoke("study", path, "--out", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "set aside" in resumed.stderr
    assert "6 done already; running 0" in resumed.stdout  # no job result was lost
    assert invoke("results", out).exit_code == 0


def command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "experiments.cli", *map(str, args)]


def test_two_studies_on_one_directory_run_each_job_once(tmp_path):
    text = TINY.replace("replications: 3", "replications: 8").replace("days: 30", "days: 60")
    path = study_file(tmp_path, text)
    out = tmp_path / "out"
    runs = [
        subprocess.Popen(
            command("study", path, "--out", out),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    ran = [int(re.search(r"^ran (\d+) jobs", o, re.M).group(1)) for o, _ in outputs]
    jobs = load_study(path).jobs
    assert sum(ran) == len(jobs) == 16, outputs  # without claims, both ran nearly all 16
    assert Store(out).done() == {job.key for job in jobs}


def test_changed_code_does_not_resume_onto_stale_results(tmp_path):
    code = tmp_path / "code"
    for package in ("sim", "agents", "experiments"):
        shutil.copytree(
            ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    path = study_file(tmp_path, TINY.replace("replications: 3", "replications: 1"))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(code)}

    def study() -> str:
        done = subprocess.run(
            command("study", path, "--out", out),
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "0 done already; running 2" in study()
    assert "2 done already; running 0" in study()
    world = code / "sim" / "world.py"
    world.write_text(world.read_text() + "\n# an edit that a version number does not show\n")
    assert "0 done already; running 2" in study()


def group_members(group: int) -> list[int]:
    """Live processes of a process group (zombies excluded)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            members.append(int(entry.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_the_workers_of_a_killed_study_stop(tmp_path):
    path = study_file(tmp_path, TINY.replace("days: 30", "days: 400"))
    out = tmp_path / "out"
    parent = subprocess.Popen(
        command("study", path, "--out", out, "--jobs", "2"),
        cwd=ROOT,
        start_new_session=True,  # a group of its own: the command and its workers
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(group_members(parent.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # the command and at least two workers
        workers = [p for p in group_members(parent.pid) if p != parent.pid]
        assert len(workers) >= 2
        os.kill(parent.pid, signal.SIGKILL)  # the command only; no handler runs
        parent.wait()
        deadline = time.monotonic() + 10
        while group_members(parent.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(parent.pid) == []  # they used to run on, then wait forever
    finally:
        with contextlib.suppress(ProcessLookupError):  # nothing left to clean up
            os.killpg(parent.pid, signal.SIGKILL)
