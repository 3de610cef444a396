"""What the planning meeting is worth, mechanism by mechanism, over paired replications.

- a supplier that fails is seen by the meeting within one exception review, and the failure
  costs S&OP fewer sales than it costs silo;
- production orders vary less under S&OP than in silo (less bullwhip);
- the more optimistic Sales is, the more inventory S&OP saves;
- the attribution's contributions add up to the whole difference, replication by replication.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import load_config
from experiments.attribution import attribute
from experiments.compare import interval
from experiments.run import simulate
from sim import ledger as rec
from sim.rng import replication_seeds

SEEDS = replication_seeds(31, 6)
FAILURE = {
    "kind": "supplier_failure",
    "supplier": "asia_motors",
    "start_day": 240,
    "end_day": 300,
}


def _runs(configs_dir, overrides: dict, protocol: str, days: int = 730):
    config = load_config(configs_dir / "baseline.yaml", overrides)
    return [simulate(config, seed=s, protocol=protocol, days=days) for s in SEEDS]


@pytest.fixture(scope="module")
def failure(configs_dir):
    return {
        (protocol, failed): _runs(configs_dir, {"scenarios": [FAILURE]} if failed else {}, protocol)
        for protocol in ("silo", "sop")
        for failed in (False, True)
    }


def test_the_meeting_sees_a_failed_supplier_within_one_exception_review(failure):
    for result in failure[("sop", True)]:
        reviews = [
            f
            for f in result.outcome.ledger.facts
            if type(f) is rec.DecisionRecorded and f.kind == "exception_review"
        ]
        seen = [
            f.day
            for f in reviews
            if any("asia_motors has stopped shipping" in r for r in f.entry["exceptions"])
        ]
        assert seen and FAILURE["start_day"] <= seen[0] <= FAILURE["start_day"] + 14
        (first,) = [f for f in reviews if f.day == seen[0]]
        taken = {o["option"] for o in first.entry["options"] if o["chosen"]}
        assert taken & {"alternate_supplier", "air_freight"}  # the plan reacts
    for result in failure[("silo", True)]:  # silo has no such path
        assert not any(
            type(f) is rec.DecisionRecorded and f.kind == "exception_review"
            for f in result.outcome.ledger.facts
        )


def test_a_supplier_failure_costs_sop_fewer_sales_than_silo(failure):
    def cost(protocol):
        return [
            b.kpis["lost_sales_units"] - a.kpis["lost_sales_units"]
            for a, b in zip(failure[(protocol, False)], failure[(protocol, True)], strict=True)
        ]

    silo, sop = cost("silo"), cost("sop")
    gap = interval([a - b for a, b in zip(silo, sop, strict=True)])
    print(
        f"sales lost to the failure: silo {np.mean(silo):,.0f}, sop {np.mean(sop):,.0f}; "
        f"silo − sop {gap[0]:,.0f} [{gap[1]:,.0f}, {gap[2]:,.0f}]"
    )
    assert gap[1] > 0


def test_production_orders_vary_less_under_sop(failure):
    diff = interval(
        [
            b.kpis["bullwhip_production"] - a.kpis["bullwhip_production"]
            for a, b in zip(failure[("silo", False)], failure[("sop", False)], strict=True)
        ]
    )
    print(f"bullwhip of production, sop − silo: {diff[0]:+.2f} [{diff[1]:+.2f}, {diff[2]:+.2f}]")
    assert diff[2] < 0


def test_the_more_optimistic_sales_the_more_inventory_sop_saves(configs_dir):
    """Adaptation off, so that Sales keeps the bias it is given."""
    saved = {}
    for bias in (0.0, 0.5):
        fixed = {"agents.adaptation": False, "agents.sales.optimism_bias": bias}
        silo, sop = _runs(configs_dir, fixed, "silo"), _runs(configs_dir, fixed, "sop")
        saved[bias] = [
            a.kpis["avg_inventory_value"] - b.kpis["avg_inventory_value"]
            for a, b in zip(silo, sop, strict=True)
        ]
    more = interval([b - a for a, b in zip(saved[0.0], saved[0.5], strict=True)])
    print(
        f"inventory saved by sop: {np.mean(saved[0.0]):,.0f} at bias 0, "
        f"{np.mean(saved[0.5]):,.0f} at 0.5; more by {more[0]:,.0f} "
        f"[{more[1]:,.0f}, {more[2]:,.0f}]"
    )
    assert more[1] > 0


def test_the_attribution_adds_up_replication_by_replication(configs_dir):
    config = load_config(configs_dir / "baseline.yaml")
    split = attribute(config.model_copy(update={"horizon_days": 180}), "silo", "sop", reps=2)
    for kpi in ("operating_profit", "fill_rate"):
        parts = split.contributions(kpi)
        full, empty = frozenset(split.players), frozenset()
        for r in range(2):
            total = split.worth[full][kpi][r] - split.worth[empty][kpi][r]
            assert sum(p[r] for p in parts.values()) == pytest.approx(total, abs=1e-6)
    summary = split.summary(["operating_profit"])["kpis"]["operating_profit"]
    assert sum(c["mean"] for c in summary["contributions"].values()) == pytest.approx(
        summary["total"]["mean"]
    )
