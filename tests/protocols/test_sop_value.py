"""On the reference company, S&OP is worth money and service, and silo symptoms show.

Twenty paired replications on common random numbers: every 95% confidence interval of the
paired difference sop − silo must exclude zero for operating profit and fill rate; the
symptoms of silos (DESIGN §2) must be worse in silo than under S&OP.
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


def test_inventory_rises_less_than_the_margin_it_buys(ladder):
    extra_inventory = ladder["avg_inventory_value"]["diff"]["sop"]["mean"]
    extra_margin = ladder["gross_margin"]["diff"]["sop"]["mean"]
    capital_rate = 0.12
    assert extra_inventory * capital_rate * 3 < extra_margin  # three years of capital charge


@pytest.mark.parametrize(
    "symptom",
    [
        "forecast_bias",
        "forecast_disagreement",
        "finance_cut_share",
        "expedite_cost",
        "lost_sales_units",
    ],
)
def test_silo_symptoms_are_reduced_by_sop(ladder, symptom):
    silo, sop = ladder[symptom]["silo"]["mean"], ladder[symptom]["sop"]["mean"]
    high = ladder[symptom]["diff"]["sop"]["ci"][1]
    print(f"{symptom}: silo {silo:,.3f}, sop {sop:,.3f}")
    assert sop < silo and high < 0
