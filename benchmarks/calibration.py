"""Calibration: the reference company's S&OP against what the literature reports S&OP is worth.

Runs the reference company (``configs/baseline.yaml``) under silo, info_sharing,
consensus_demand, sop and ibp on the same paired replications, and writes
``docs/calibration.md``: for forecast accuracy, inventory, fill rate, cash-to-cash, total cost
and the ordering of profits, the model's numbers side by side with the published bands, and
whether each falls inside. The bands are plausibility checks, not targets: nothing in the
model is tuned to them, and where the model falls outside the reason is written down.

Usage: ``python benchmarks/calibration.py [--reps N] [--jobs N]`` (20 replications: about a
minute on two cores).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from agents.config import load_config
from experiments.compare import interval
from experiments.engines import make_engine
from sim import ledger as rec
from sim.rng import replication_seeds

ROOT = Path(__file__).resolve().parents[1]
PROTOCOLS = ("silo", "info_sharing", "consensus_demand", "sop", "ibp")


def _measure(job: tuple[str, int]) -> tuple[str, int, dict[str, float]]:
    from experiments.run import simulate

    protocol, seed = job
    config = load_config(ROOT / "configs" / "baseline.yaml")
    result = simulate(config, seed=seed, protocol=protocol)
    o, k = result.outcome, result.kpis
    # Forecast accuracy at family level (all products together), the level Aberdeen reports:
    # 1 − |forecast − actual| / actual of the published forecast over each 28-day horizon.
    cumulative = np.concatenate([[0.0], np.cumsum(o.demand.sum(axis=1))])
    by_day: dict[int, float] = {}
    horizon = 28
    for f in o.ledger.facts:
        if type(f) is rec.ForecastIssued and f.official and f.day + 1 + horizon <= o.days:
            by_day[f.day] = by_day.get(f.day, 0.0) + f.per_day * horizon
    errors = [
        abs(total - (cumulative[d + 1 + horizon] - cumulative[d + 1]))
        / (cumulative[d + 1 + horizon] - cumulative[d + 1])
        for d, total in by_day.items()
    ]
    revenue, profit = k["revenue"], k["operating_profit"]
    return (
        protocol,
        seed,
        {
            "family_accuracy": 1.0 - float(np.mean(errors)),
            "product_accuracy": 1.0 - k["demand_plan_mape"],
            "avg_inventory_value": k["avg_inventory_value"],
            "fill_rate": k["fill_rate"],
            "cash_to_cash_days": k["cash_to_cash_days"],
            "total_cost": revenue - profit,
            "operating_profit": profit,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    seeds = replication_seeds(7, args.reps)
    results = list(
        make_engine("local", args.jobs).map(_measure, [(p, s) for p in PROTOCOLS for s in seeds])
    )
    by = {(p, s): m for p, s, m in results}

    def mean(protocol: str, name: str) -> float:
        return float(np.mean([by[(protocol, s)][name] for s in seeds]))

    def paired(a: str, b: str, name: str, relative: bool = False) -> tuple[float, float, float]:
        values = []
        for s in seeds:
            x, y = by[(a, s)][name], by[(b, s)][name]
            values.append((y - x) / x if relative else y - x)
        return interval(values)

    rows = []
    acc = {p: mean(p, "family_accuracy") for p in PROTOCOLS}
    gain = paired("silo", "sop", "family_accuracy")
    rows.append(
        (
            "forecast accuracy (family level, published forecast)",
            "mature S&OP 85–88%; +10 to +30 points from a biased silo (Aberdeen 2008, 2011; "
            "Leitax 58% → 88%)",
            f"silo {acc['silo']:.1%}, sop {acc['sop']:.1%}, ibp {acc['ibp']:.1%}; sop − silo "
            f"{100 * gain[0]:+.1f} pts [{100 * gain[1]:+.1f}, {100 * gain[2]:+.1f}]",
            0.85 <= acc["sop"] <= 0.88 and 0.10 <= gain[0] <= 0.30,
            "At family level over 28 days the reference company's demand is smooth and its "
            "season is known, so a debiased plan is more accurate than Aberdeen's best in "
            "class; and the bias S&OP removes is the one Sales learned (a few percent to 25% by "
            "product), far below Leitax's sell-in forecasts, so the gap is smaller."
            if not (0.10 <= gain[0] <= 0.30)
            else "",
        )
    )
    inv = paired("silo", "sop", "avg_inventory_value", relative=True)
    rows.append(
        (
            "inventory, sop against silo",
            "−10% to −60%, depending on the bias removed (Leitax $55M → $23M)",
            f"{100 * inv[0]:+.1f}% [{100 * inv[1]:+.1f}%, {100 * inv[2]:+.1f}%] "
            f"(silo ${mean('silo', 'avg_inventory_value'):,.0f}, sop "
            f"${mean('sop', 'avg_inventory_value'):,.0f})",
            -0.60 <= inv[0] <= -0.10,
            "",
        )
    )
    fill = paired("silo", "sop", "fill_rate")
    best = mean("sop", "fill_rate")
    rows.append(
        (
            "fill rate",
            "a few points better; best-in-class 95–97% (Aberdeen 2008, 2011)",
            f"silo {mean('silo', 'fill_rate'):.1%}, sop {best:.1%}, "
            f"ibp {mean('ibp', 'fill_rate'):.1%}; "
            f"sop − silo {100 * fill[0]:+.1f} pts [{100 * fill[1]:+.1f}, {100 * fill[2]:+.1f}]",
            0.95 <= best <= 0.97 and fill[0] > 0,
            "",
        )
    )
    predicted = {p: 0.90 * 100 * acc[p] + 4.1 for p in ("silo", "sop")}
    rows.append(
        (
            "fill rate from forecast accuracy",
            "fill ≈ 0.90 × accuracy + 4.1 points (PRTM)",
            f"predicted from accuracy: silo {predicted['silo']:.1f}%, sop {predicted['sop']:.1f}%; "
            f"simulated silo {100 * mean('silo', 'fill_rate'):.1f}%, sop {100 * best:.1f}%",
            abs(predicted["sop"] - 100 * best) <= 5
            and abs(predicted["silo"] - 100 * mean("silo", "fill_rate")) <= 5,
            "The model serves more than PRTM's fit predicts from its accuracy: safety stock, "
            "levelled lines and five days of retail patience absorb much of a forecast's error "
            "before it becomes a lost order.",
        )
    )
    c2c = {p: mean(p, "cash_to_cash_days") for p in PROTOCOLS}
    rows.append(
        (
            "cash-to-cash",
            "best-in-class 15–28 days (Aberdeen 2008, 2011)",
            f"silo {c2c['silo']:.1f} days, sop {c2c['sop']:.1f} days, ibp {c2c['ibp']:.1f} days",
            15 <= c2c["sop"] <= 28,
            "The reference company collects from retailers in 45 days and pays its cheap "
            "supplier in 60: its payment terms alone put it at the lean end, and S&OP's lower "
            "inventory takes it below the band."
            if c2c["sop"] < 15
            else "",
        )
    )
    cost = paired("silo", "info_sharing", "total_cost", relative=True)
    rows.append(
        (
            "total cost, information sharing only",
            "−2% to −12% (Cachon & Fisher 2000)",
            f"{100 * cost[0]:+.2f}% [{100 * cost[1]:+.2f}%, {100 * cost[2]:+.2f}%] of revenue less "
            "operating profit",
            -0.12 <= cost[0] <= -0.02,
            "What the silo lacks here is one plan more than data: Operations already plans to "
            "Sales' number and Finance cuts against its own cap either way. And most of the "
            "company's cost is materials, conversion and a fixed $3M a year of overhead that "
            "no information changes, where Cachon & Fisher count holding and backorder cost."
            if not (-0.12 <= cost[0] <= -0.02)
            else "",
        )
    )
    profit = {p: mean(p, "operating_profit") for p in PROTOCOLS}
    ordered = (
        profit["ibp"]
        >= profit["sop"]
        >= max(profit["consensus_demand"], profit["info_sharing"])
        >= profit["silo"]
    )
    rows.append(
        (
            "profit ordering",
            "fully integrated ≥ sales–production only ≥ decoupled "
            "(Feng, D'Amours & Beauregard 2008)",
            ", ".join(f"{p} ${profit[p] / 1e6:,.2f}M" for p in PROTOCOLS),
            ordered,
            ""
            if ordered
            else "ibp earns no more than sop: its longer horizon and demand "
            "scenarios buy more overtime and inventory than they save; the IBP issue gives it a "
            "financial plan.",
        )
    )
    lines = [
        "# Calibration against published results",
        "",
        "Generated by `python benchmarks/calibration.py` (reference company, "
        f"{args.reps} paired replications of three years, root seed 7); do not edit by hand.",
        "The published magnitudes are plausibility bands from the S&OP literature "
        "(see the design brief); the model is not tuned to them. Where it falls outside, the",
        "reason is given.",
        "",
        "| KPI | published | model | inside? | why, if not |",
        "|---|---|---|---|---|",
    ]
    for kpi, band, model, inside, why in rows:
        lines.append(f"| {kpi} | {band} | {model} | {'yes' if inside else 'no'} | {why} |")
    text = "\n".join(lines) + "\n"
    (ROOT / "docs" / "calibration.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
