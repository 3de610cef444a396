"""A study on a Dask cluster as users run one: a `dask scheduler` and two `dask worker`
processes started from the command line on 127.0.0.1, the study sent with `--scheduler`, and
one worker killed while the study runs. The study completes, every job is stored exactly once,
and the results equal those of the same study run in one process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.engines import InProcess
from experiments.results import WALL_CLOCK, load_results
from experiments.study import load_study, run_study

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

STUDY = f"""\
name: on_a_cluster
base: {ROOT / "configs" / "baseline.yaml"}
protocols: [silo, sop]
factors:
  agents.sales.optimism_bias: [0.0, 0.3]
replications: 6
seed: 9
days: 150
keep: {{kpis: [operating_profit, fill_rate, avg_inventory_value]}}
"""


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        cwd=log.parent,
        start_new_session=True,  # killed as a group, with whatever it started
    )


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers (no nanny: killing one kills it)."""
    address_file = tmp_path / "scheduler.json"
    dask = str(BIN / "dask")
    on_loopback = ["--host", "127.0.0.1", "--no-dashboard"]
    scheduler = _start(
        [dask, "scheduler", *on_loopback, "--port", "0", "--scheduler-file", str(address_file)],
        tmp_path / "scheduler.log",
    )
    processes = [scheduler]
    try:
        _wait_for(address_file.exists, 60, "the scheduler")
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = [
            _start(
                [
                    dask,
                    "worker",
                    address,
                    *on_loopback,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--name",
                    f"worker-{i}",
                ],
                tmp_path / f"worker-{i}.log",
            )
            for i in range(2)
        ]
        processes += workers

        def both_up() -> bool:
            text = (tmp_path / "scheduler.log").read_text(errors="replace")
            return text.count("Register worker") >= 2

        _wait_for(both_up, 60, "two workers")
        yield address, workers
    finally:
        for process in reversed(processes):
            _stop(process)


def reproducible(directory: Path) -> pd.DataFrame:
    table = load_results(directory).table
    return table.drop(columns=list(WALL_CLOCK)).sort_values("job").reset_index(drop=True)


def test_a_study_survives_a_killed_worker_and_runs_each_job_once(cluster, tmp_path):
    address, workers = cluster
    path = tmp_path / "study.yaml"
    path.write_text(STUDY, encoding="utf-8")
    study = load_study(path)
    out = tmp_path / "out"
    command = [str(BIN / "oneplan"), "study", str(path), "--out", str(out)]
    command += ["--engine", "dask", "--scheduler", address, "--no-progress"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)

    def by_worker() -> list[int]:
        """The process id of the worker that ran each result stored so far."""
        files = (out / "jobs").glob("*.json") if (out / "jobs").is_dir() else []
        return [int(json.loads(p.read_text())["worker"].rsplit(":", 1)[1]) for p in files]

    # Kill a worker once it has shown it runs jobs: it dies with the next in its hands.
    _wait_for(lambda: workers[0].pid in by_worker(), 120, "a result from the first worker")
    assert len(by_worker()) < len(study.jobs), "the study ended before a worker was killed"
    os.killpg(workers[0].pid, signal.SIGKILL)
    workers[0].wait(timeout=30)  # a result it was renaming into place may still land
    killed_at = len(by_worker())
    output, _ = run.communicate(timeout=300)
    text = output.decode()
    assert run.returncode == 0, text
    assert f"all {len(study.jobs)} jobs done" in text
    # Every job exactly once: one result file per key, one row per job.
    keys = [json.loads(p.read_text())["key"] for p in (out / "jobs").glob("*.json")]
    assert sorted(keys) == sorted(j.key for j in study.jobs)
    local = tmp_path / "local"
    run_study(study, local, InProcess())
    pd.testing.assert_frame_equal(reproducible(out), reproducible(local))
    # The survivor ran the rest, the killed worker's last job included.
    after = by_worker()
    assert len(after) == len(study.jobs) > killed_at
    assert after.count(workers[1].pid) >= len(study.jobs) - killed_at
