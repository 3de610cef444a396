"""Same seed, same run: KPIs and time series are identical bit for bit, in any process.

And common random numbers: runs that differ only in decisions face exactly the same customers.
"""

from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pandas as pd

from agents.config import load_config
from experiments.run import simulate
from sim.timeseries import timeseries

DAYS = 400


def _run_in_fresh_process(args):
    path, seed = args
    result = simulate(load_config(path), seed=seed, days=DAYS)
    return pickle.dumps((result.kpis, timeseries(result.outcome)))


def test_same_seed_gives_identical_kpis_and_timeseries(baseline):
    a = simulate(baseline, seed=5, days=DAYS)
    b = simulate(baseline, seed=5, days=DAYS)
    np.testing.assert_equal(a.kpis, b.kpis)  # NaN KPIs (no plan) count as equal
    pd.testing.assert_frame_equal(timeseries(a.outcome), timeseries(b.outcome))


def test_same_seed_gives_identical_results_in_another_process(baseline, configs_dir):
    here = simulate(baseline, seed=9, days=DAYS)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, fresh hash seed
    with context.Pool(1) as pool:
        kpis, frame = pickle.loads(
            pool.map(_run_in_fresh_process, [(configs_dir / "baseline.yaml", 9)])[0]
        )
    np.testing.assert_equal(kpis, here.kpis)
    pd.testing.assert_frame_equal(frame, timeseries(here.outcome))


def test_different_seeds_give_different_demand(baseline):
    a = simulate(baseline, seed=1, days=DAYS).outcome.demand
    b = simulate(baseline, seed=2, days=DAYS).outcome.demand
    assert not np.array_equal(a, b)


def test_runs_with_different_policies_see_the_same_customers(configs_dir):
    path = configs_dir / "baseline.yaml"
    lean = load_config(
        path,
        {
            "protocol": "classic",
            "policies.production.default.safety_factor": 0.5,
            "policies.purchasing.sourcing": "fastest",
        },
    )
    rich = load_config(
        path,
        {
            "protocol": "classic",
            "policies.production.default.safety_factor": 3.0,
            "allocation": "fair_share",
        },
    )
    a, b = simulate(lean, seed=3, days=DAYS), simulate(rich, seed=3, days=DAYS)
    np.testing.assert_array_equal(a.outcome.demand, b.outcome.demand)
    assert a.kpis["fill_rate"] != b.kpis["fill_rate"]  # the decisions did change what happened


def test_a_demand_surge_changes_only_the_days_it_lasts(configs_dir):
    path = configs_dir / "baseline.yaml"
    shocked = load_config(
        path,
        {
            "protocol": "classic",
            "scenarios": [
                {
                    "kind": "demand_surge",
                    "products": ["pro"],
                    "start_day": 100,
                    "end_day": 130,
                    "pct": 100,
                }
            ],
        },
    )
    plain = simulate(load_config(path, {"protocol": "classic"}), seed=4, days=DAYS).outcome.demand
    shock = simulate(shocked, seed=4, days=DAYS).outcome.demand
    changed = np.flatnonzero((plain != shock).any(axis=1))
    assert changed.min() >= 100 and changed.max() < 130
    assert (shock[100:130, 2] >= plain[100:130, 2]).all()
    np.testing.assert_array_equal(plain[:, :2], shock[:, :2])


def test_chain_is_deterministic(configs_dir):
    config = load_config(configs_dir / "chain" / "four_stage.yaml")
    a, b = simulate(config, days=500), simulate(config, days=500)
    np.testing.assert_equal(a.kpis, b.kpis)  # NaN KPIs (no plan) count as equal
    np.testing.assert_array_equal(a.outcome.ordered, b.outcome.ordered)


def test_every_protocol_faces_the_same_exogenous_demand(baseline):
    from agents.model import OnePlanModel

    draws = {}
    for protocol in ("silo", "sop"):
        model = OnePlanModel(baseline.model_copy(update={"protocol": protocol}), seed=6, days=200)
        model.run()
        draws[protocol] = model.world.demand_u
        promoted = np.zeros(model.world.demand.shape, dtype=bool)
        for f in model.world.ledger.facts:
            if type(f).__name__ == "PromotionScheduled":
                promoted[f.start_day : f.start_day + f.duration_days, f.product] = True
        draws[protocol + "_quiet"] = (model.world.demand, promoted)
    np.testing.assert_array_equal(draws["silo"], draws["sop"])
    # Away from promotions (decisions), every protocol sees exactly the same orders.
    (a, pa), (b, pb) = draws["silo_quiet"], draws["sop_quiet"]
    quiet = ~(pa | pb)
    np.testing.assert_array_equal(a[quiet], b[quiet])
