"""A study killed at any moment and resumed: no job lost, none run twice, the same results.

``oneplan study`` runs as a process group (the command and its pool of two workers); once some
but not all jobs are saved, the whole group gets SIGKILL — no handler runs, nothing is flushed.
Then the study is resumed and compared with an uninterrupted run of the same study.

How "none run twice" is seen: a saved job's file is replaced whenever the job runs again
(write, then rename over it), which gives it a new inode. So every file saved before the kill
must keep its inode and modification time through the resume; and every job saved by the
resume must carry the resume's run id. Both would fail if a finished job were run again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from experiments.cli import main
from experiments.results import WALL_CLOCK, load_results
from experiments.store import Store
from experiments.study import load_study, run_study

ROOT = Path(__file__).resolve().parents[2]

STUDY = f"""\
name: killed
base: {ROOT / "configs" / "baseline.yaml"}
protocols: [silo, consensus_demand, sop, ibp]
factors:
  agents.sales.optimism_bias: [0.0, 0.3]
replications: 3
seed: 21
days: 200
keep:
  kpis: [operating_profit, fill_rate, avg_inventory_value, forecast_bias]
"""
JOBS = 4 * 2 * 3


def saved(store: Store) -> dict[str, tuple[int, int]]:
    """Each saved job's key with the inode and modification time of its file."""
    return {
        key: ((stat := (store.jobs_dir / f"{key}.json").stat()).st_ino, stat.st_mtime_ns)
        for key in store.done()
    }


def test_a_killed_study_resumes_with_every_job_exactly_once(tmp_path):
    path = tmp_path / "killed.yaml"
    path.write_text(STUDY, encoding="utf-8")
    out = tmp_path / "out"
    store = Store(out)

    command = [sys.executable, "-m", "experiments.cli", "study", str(path), "--out", str(out)]
    process = subprocess.Popen(
        [*command, "--jobs", "2"],
        cwd=ROOT,
        start_new_session=True,  # its own process group: the command and its workers
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(store.done()) < 4 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the study finished before it could be killed"

    before = saved(store)
    assert 4 <= len(before) < JOBS

    result = CliRunner().invoke(main, ["study", str(path), "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} done already; running {JOBS - len(before)} in this process" in (
        result.output
    )
    assert f"ran {JOBS - len(before)} jobs" in result.output

    after = saved(store)
    study = load_study(path)
    assert set(after) == {job.key for job in study.jobs}  # none lost, nothing extra
    assert {key: after[key] for key in before} == before  # no saved job was run again
    runs = {key: store.result(key)["run"] for key in after}
    first, resumed = {runs[k] for k in before}, {runs[k] for k in after if k not in before}
    assert len(first) == 1 and len(resumed) == 1 and first != resumed

    uninterrupted = tmp_path / "uninterrupted"
    run_study(study, uninterrupted)
    pd.testing.assert_frame_equal(
        load_results(out).table.drop(columns=list(WALL_CLOCK)),
        load_results(uninterrupted).table.drop(columns=list(WALL_CLOCK)),
        check_exact=True,
    )


def test_a_half_written_file_never_counts_as_a_finished_job(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.put_result("a" * 64, {"kpis": {"fill_rate": 0.9}})

    def killed_before_rename(source, target):
        raise KeyboardInterrupt  # the moment between writing and renaming

    monkeypatch.setattr(os, "replace", killed_before_rename)
    with pytest.raises(KeyboardInterrupt):
        store.put_result("b" * 64, {"kpis": {"fill_rate": 0.8}})
    monkeypatch.undo()
    (store.jobs_dir / ".partial-left-by-a-kill").write_text('{"kpis": {"fill_ra')  # a torn write
    assert store.done() == {"a" * 64}
    assert sorted(p.name for p in store.jobs_dir.iterdir()) == [
        ".partial-left-by-a-kill",
        "a" * 64 + ".json",
    ]
