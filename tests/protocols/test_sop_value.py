"""On the reference company, S&OP is worth money and service, and silo symptoms show.

Twenty paired replications on common random numbers: every 95% confidence interval of the
paired difference sop − silo must exclude zero for operating profit, fill rate and inventory;
the symptoms of silos (DESIGN §2), measured from what the functions acted on, must be worse in
silo than under S&OP.
"""

from __future__ import annotations

import pytest

from experiments.compare import compare


@pytest.fixture(scope="module")
def ladder(baseline):
    return compare(baseline, ["silo", "sop"], reps=20, seed=2026, jobs=1).summary()["kpis"]


def test_sop_beats_silo_on_profit_and_service(ladder):
    for kpi in ("operating_profit", "fill_rate"):
        low, high = ladder[kpi]["diff"]["sop"]["ci"]
        print(f"{kpi}: sop - silo in [{low:,.4f}, {high:,.4f}] (95% CI, 20 paired runs)")
        assert low > 0, kpi


def test_sop_holds_less_inventory_for_more_profit(ladder):
    """The Leitax direction: one debiased plan builds less stock than silo's functions build to
    their own (inflated) numbers, and earns more."""
    assert ladder["avg_inventory_value"]["diff"]["sop"]["ci"][1] < 0


@pytest.mark.parametrize(
    "symptom",
    [
        "lost_sales_units",
        "forecast_disagreement",
        "forecast_bias",
        "finance_cut_share",
        "orders_cut_value",
    ],
)
def test_silo_symptoms_are_reduced_by_sop(ladder, symptom):
    """Measured from what each function acted on: a forecast counts as its owner used it."""
    silo, sop = ladder[symptom]["silo"]["mean"], ladder[symptom]["sop"]["mean"]
    high = ladder[symptom]["diff"]["sop"]["ci"][1]
    print(f"{symptom}: silo {silo:,.3f}, sop {sop:,.3f}")
    assert abs(sop) < abs(silo) and high < 0 if symptom != "forecast_bias" else abs(sop) < abs(silo)
