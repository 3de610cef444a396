"""What if…: paired runs of a company with and without scenarios, read as findings, warning
and impact.

Replication ``r`` runs each protocol twice on the same seed — the base config, and the config
with the scenarios — so both face the same customers, lead times and failures (common random
numbers) and every difference is the scenario's. From each pair come:

- **findings** (:func:`findings_of`): what the scenario made happen, in time order, each at
  the first week from the scenario's start in which it holds in the scenario run and not in
  the base run that week (a constraint the company meets anyway, a seasonal peak, is not the
  scenario's): a line's regular capacity binds (it works overtime for what regular time
  cannot finish), then its overtime binds; a component runs short and which supplier cannot
  keep up (booked at its weekly capacity against the need); expediting rises above the base
  run's; service falls below its target and below the base run's, and recovers; cash turns
  negative; working capital runs above the base run's; and the scenario's own events. A
  finding seen in only some replications says in what share.
- **warning** (:func:`warning_of`): for the capacity and material constraints, the week they
  hit against the week a plan or the decision log first showed them — taken from the records
  (the plans the functions and the meeting recorded, the options put to the executive), never
  inferred from the outcome.
- **impact** (:func:`whatif`): scenario minus base, per protocol, with 95% confidence
  intervals over the paired replications, on the money and service KPIs and on three
  resilience measures: weeks to recover the base run's service, revenue lost until then, and
  the peak week of expediting.

Weeks are the run's weeks (week ``w`` is days ``7w .. 7w+6``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from agents.config import CompanyConfig
from experiments.compare import interval
from experiments.engines import make_engine
from experiments.formatting import measured_after
from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK
from sim.ledger import Account
from sim.rng import replication_seeds

__all__ = [
    "IMPACT_KPIS",
    "RESILIENCE",
    "Trace",
    "WhatIf",
    "findings_of",
    "trace_of",
    "warning_of",
    "whatif",
]

IMPACT_KPIS = (
    "revenue",
    "gross_margin",
    "operating_profit",
    "fill_rate",
    "lost_sales_units",
    "expedite_cost",
    "overtime_cost",
    "working_capital_avg",
    "ending_cash",
)
RESILIENCE = ("weeks_to_recover", "sales_lost_until_recovered", "peak_weekly_expedite")
MATERIAL_OPTIONS = ("air_freight", "alternate_supplier", "capacity_reservation")
RECOVERED_WITHIN = 0.02  # service within two points of the base run's...
RECOVERED_FOR = 4  # ...for this many weeks in a row (4-week rolling means)
AFTERMATH_WEEKS = 26  # how long after a scenario's last event its worst week is looked for
LOOK_PAST_HIT = 4  # a plan that shows capacity short up to this many weeks after it hit


@dataclass(frozen=True)
class Trace:
    """What one run leaves for the what-if, week by week (small enough to send between
    processes): service, money, line load, component shortages and supplier bookings, and
    what the plans and the decision log showed, when."""

    weeks: int
    kpis: dict[str, float]
    demand: np.ndarray  # [W] units ordered by customers
    on_time: np.ndarray  # [W] of them shipped on the day ordered
    revenue: np.ndarray  # [W]
    lost_value: np.ndarray  # [W] sales lost, at list price
    expedite: np.ndarray  # [W] expedited freight
    cash: np.ndarray  # [W] at the week's close
    working_capital: np.ndarray  # [W] at the week's close
    line_names: tuple[str, ...]
    line_regular: np.ndarray  # [W, L] units made on regular time
    line_overtime: np.ndarray  # [W, L] units made on overtime
    line_capacity: np.ndarray  # [W, L] regular capacity of the week
    line_overtime_capacity: np.ndarray  # [W, L]
    components: tuple[str, ...]
    suppliers: tuple[str, ...]
    short: np.ndarray  # [W, C] components production lacked
    need: np.ndarray  # [W, C] used plus lacked
    booked: np.ndarray  # [W, S, C] what each supplier committed to make in the week
    supplier_capacity: np.ndarray  # [W, S, C] reservations included; inf: no limit, nan: not sold
    capacity_seen: tuple[tuple[int, int], ...]  # (day recorded, week it shows short)
    material_seen: dict[str, tuple[int, ...]] = field(default_factory=dict)  # days recorded
    events: tuple = ()  # the scenarios' own events (sim.scenarios.ScenarioEvent)
    approved: tuple[tuple[int, str, float, float, int], ...] = ()  # capacity bought: day,
    # line, units a day, capex, day in service
    lasting: bool = False  # a scenario without an end: it changes the rest of the run

    @property
    def fill(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.demand > 0, self.on_time / np.maximum(self.demand, 1e-12), 1.0)


def _weekly(per_day: np.ndarray, weeks: int) -> np.ndarray:
    """Sums per week (a partial last week included)."""
    per_day = np.asarray(per_day, dtype=float)
    pad = weeks * DAYS_PER_WEEK - len(per_day)
    if pad:
        per_day = np.concatenate([per_day, np.zeros((pad, *per_day.shape[1:]))])
    return per_day.reshape(weeks, DAYS_PER_WEEK, *per_day.shape[1:]).sum(axis=1)


def _at_week_end(per_day: np.ndarray, weeks: int) -> np.ndarray:
    ends = np.minimum(np.arange(1, weeks + 1) * DAYS_PER_WEEK, len(per_day)) - 1
    return np.asarray(per_day)[ends]


def trace_of(result) -> Trace:
    """The :class:`Trace` of one company run (a :class:`experiments.run.RunResult`)."""
    from agents.protocols.meeting import allocate

    o = result.outcome
    top = o.topology
    H = o.days
    W = -(-H // DAYS_PER_WEEK)
    d = o.daily
    balances = d["balances"]
    on_time, lost = np.zeros(H), np.zeros(H)
    approved: list[tuple[int, str, float, float, int]] = []
    price = np.asarray(top.price, dtype=float)
    plans: dict[tuple, dict[int, tuple[float, ...]]] = defaultdict(dict)
    material_seen: dict[str, list[int]] = defaultdict(list)
    meeting_seen: set[tuple[int, int]] = set()
    for f in o.ledger.facts:
        kind = type(f)
        if kind is rec.OrderShipped:
            if f.day == f.order_day:
                on_time[f.day] += f.quantity
        elif kind is rec.SaleLost:
            lost[f.day] += f.quantity * price[f.product]
        elif kind is rec.CapacityChanged:
            line = top.lines[f.line]
            approved.append((f.day, line, f.delta_per_day, f.capex, f.start_day))
        elif kind is rec.PlanRecorded:
            if f.kind == rec.PlanKind.PRODUCTION or f.agreed:
                plans[(f.day, f.owner, f.kind, f.start_day)][f.product] = f.quantities
        elif kind is rec.DecisionRecorded:
            review = f.entry.get("supply_review")
            for option in f.entry.get("options", ()):
                if (
                    review is not None
                    and option.get("option") == "build_and_overtime"
                    and option.get("description") != "chase demand on regular time"
                    and option.get("value", {}).get("revenue", 0.0) > 0
                ):
                    # The meeting found regular capacity short somewhere in its horizon.
                    first = f.entry["plan_starts"] // DAYS_PER_WEEK
                    for week in range(first, first + review["weeks"]):
                        meeting_seen.add((f.day, week))
                if option.get("option") in MATERIAL_OPTIONS:
                    for name in top.components:
                        if f" {name} " in f" {option.get('description', '')} ":
                            material_seen[name].append(f.day)
    makes = np.asarray(top.line_makes)
    capacity_seen = meeting_seen
    for (day, _, _, start), by_product in plans.items():
        n = max(len(q) for q in by_product.values())
        quantities = np.zeros((len(top.products), n))
        for p, q in by_product.items():
            quantities[p, : len(q)] = q
        regular = np.asarray(d["line_capacity"][min(day, H - 1)]) * DAYS_PER_WEEK
        made = allocate(quantities.T, regular, makes)  # [weeks of the plan, P]
        for k in np.flatnonzero(quantities.sum(axis=0) - made.sum(axis=1) > 1.0):
            capacity_seen.add((int(day), int((start + DAYS_PER_WEEK * k) // DAYS_PER_WEEK)))
    expedite = np.diff(balances[:, int(Account.EXPEDITING)], prepend=0.0)
    revenue = np.diff(balances[:, int(Account.REVENUE)], prepend=0.0)
    inventory = balances[:, [int(a) for a in rec.INVENTORY]].sum(axis=1)
    working = balances[:, int(Account.RECEIVABLES)] + inventory - balances[:, int(Account.PAYABLES)]
    short = _weekly(d["component_short"], W)
    return Trace(
        weeks=W,
        kpis=dict(result.kpis),
        demand=_weekly(o.demand.sum(axis=1), W),
        on_time=_weekly(on_time, W),
        revenue=_weekly(revenue, W),
        lost_value=_weekly(lost, W),
        expedite=_weekly(expedite, W),
        cash=_at_week_end(balances[:, int(Account.CASH)], W),
        working_capital=_at_week_end(working, W),
        line_names=tuple(top.lines),
        line_regular=_weekly(d["line_regular_used"], W),
        line_overtime=_weekly(d["line_overtime_used"], W),
        line_capacity=_weekly(d["line_capacity"], W),
        line_overtime_capacity=_weekly(d["line_overtime_capacity"], W),
        components=tuple(top.components),
        suppliers=tuple(top.suppliers),
        short=short,
        need=_weekly(o.consumption, W) + short,
        booked=o.weekly["supplier_booked"],
        supplier_capacity=o.weekly["supplier_capacity"] + o.weekly["supplier_reserved"],
        capacity_seen=tuple(sorted(capacity_seen)),
        material_seen={k: tuple(sorted(set(v))) for k, v in material_seen.items()},
        events=tuple(o.events),
        approved=tuple(approved),
        lasting=any(x.end is None for x in o.config.scenarios),
    )


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """Something that happened in one scenario run: its first ``week``, ``kind``, ``subject``
    and a sentence of ``detail``; ``base_week``: the first week from the scenario's start
    the same happened in the base run (None: it did not)."""

    week: int
    kind: str
    subject: str
    detail: str
    base_week: int | None = None


def scenario_start(trace: Trace) -> int:
    """The first day a scenario acts (its earliest event), 0 with none."""
    return min((e.day for e in trace.events), default=0)


def _first(mask: np.ndarray, start: int) -> int | None:
    hits = np.flatnonzero(mask[start:])
    return int(start + hits[0]) if len(hits) else None


BINDS_AT = 0.05  # a line binds when its overtime reaches this share of its regular week


def _regular_binds(t: Trace) -> np.ndarray:
    """[W, L] weeks a line worked overtime — done only for what regular time cannot finish —
    of at least 5% of its regular capacity: load materially over regular capacity, not the
    odd lot that spilled over."""
    return t.line_overtime > np.maximum(1.0, BINDS_AT * t.line_capacity)


def _overtime_binds(t: Trace) -> np.ndarray:
    room = t.line_overtime_capacity
    return (room > 1.0) & (t.line_overtime >= 0.95 * room)


def _short(t: Trace) -> np.ndarray:
    return t.short > np.maximum(1.0, 0.005 * t.need)  # [W, C]


def _rolling(x: np.ndarray, n: int = RECOVERED_FOR) -> np.ndarray:
    kernel = np.ones(n) / n
    padded = np.concatenate([np.full(n - 1, x[0]), x])
    return np.convolve(padded, kernel, mode="valid")


def _limiting_supplier(t: Trace, c: int, week: int) -> str:
    """Who could not keep up with component ``c`` by ``week``: the suppliers booked at their
    weekly capacity in the four weeks before it (its lead time), with that capacity against
    what production needed in the week."""
    lo = max(0, week - 4)
    need = float(t.need[week, c])
    full = []
    for s, name in enumerate(t.suppliers):
        cap = t.supplier_capacity[lo : week + 1, s, c]
        if not np.isfinite(cap).any():
            continue
        booked = t.booked[lo : week + 1, s, c]
        at_capacity = booked >= 0.99 * cap - 1.0
        if at_capacity.any():
            weeks = int(at_capacity.sum())
            full.append(
                f"{name} booked at its capacity of {float(np.nanmin(cap)):,.0f} a week in "
                f"{weeks} of the {len(cap)} weeks before"
            )
    if full:
        return "; ".join(full) + f"; production needed {need:,.0f} that week"
    return f"no supplier at its capacity: deliveries came too late for a need of {need:,.0f}"


def findings_of(
    scenario: Trace,
    base: Trace,
    service_target: float = 0.95,
    working_capital_over: float = 0.10,
) -> list[Finding]:
    """The findings of one scenario run against its paired base run, in time order."""
    start_day = scenario_start(scenario)
    w0 = start_day // DAYS_PER_WEEK
    out: list[Finding] = []
    for e in scenario.events:
        out.append(Finding(e.day // DAYS_PER_WEEK, "scenario", e.subject, e.detail))
    forced = {(e.day, e.subject) for e in scenario.events}
    for day, line, delta, capex, start in scenario.approved:
        if (day, line) in forced:
            continue  # the scenario built it: not a decision
        in_base = [d for d, other, *_ in base.approved if other == line]
        detail = (
            f"the executive buys {delta:g} units a day more on {line} for ${capex:,.0f}, in "
            f"service week {start // DAYS_PER_WEEK}"
        )
        base_week = min(in_base) // DAYS_PER_WEEK if in_base else None
        out.append(Finding(day // DAYS_PER_WEEK, "capacity_bought", line, detail, base_week))

    def both(mask_s: np.ndarray, mask_b: np.ndarray) -> tuple[int | None, int | None]:
        """The first week the scenario run shows it and the base run does not; the first
        week the base run shows it."""
        return _first(mask_s & ~mask_b, w0), _first(mask_b, w0)

    reg_s, reg_b = _regular_binds(scenario), _regular_binds(base)
    ot_s, ot_b = _overtime_binds(scenario), _overtime_binds(base)
    never = np.zeros(scenario.weeks, dtype=bool)
    for li, line in enumerate(scenario.line_names):
        b_li = base.line_names.index(line) if line in base.line_names else None
        week, base_week = both(reg_s[:, li], never if b_li is None else reg_b[:, b_li])
        if week is not None:
            cap = scenario.line_capacity[week, li]
            detail = (
                f"{line}'s regular capacity binds: {scenario.line_overtime[week, li]:,.0f} "
                f"units on overtime beyond {cap:,.0f} of regular time that week"
            )
            out.append(Finding(week, "capacity_regular", line, detail, base_week))
        week, base_week = both(ot_s[:, li], never if b_li is None else ot_b[:, b_li])
        if week is not None:
            detail = (
                f"{line}'s overtime is used up: {scenario.line_overtime[week, li]:,.0f} of "
                f"{scenario.line_overtime_capacity[week, li]:,.0f} overtime units used"
            )
            out.append(Finding(week, "capacity_overtime", line, detail, base_week))
    short_s, short_b = _short(scenario), _short(base)
    for c, name in enumerate(scenario.components):
        week, base_week = both(short_s[:, c], short_b[:, c])
        if week is not None:
            detail = (
                f"{name} short: production lacked {scenario.short[week, c]:,.0f} that week; "
                + _limiting_supplier(scenario, c, week)
            )
            out.append(Finding(week, "component_short", name, detail, base_week))
    extra = scenario.expedite - base.expedite
    threshold = max(500.0, 0.5 * float(base.expedite.mean()))
    week = _first(extra > threshold, w0)  # against the base run's week already
    if week is not None:
        peak = w0 + int(np.argmax(scenario.expedite[w0:]))
        detail = (
            f"expediting rises to ${scenario.expedite[week]:,.0f} that week (base "
            f"${base.expedite[week]:,.0f}); peak ${scenario.expedite[peak]:,.0f} in week {peak}"
        )
        out.append(Finding(week, "expediting", "freight", detail))
    fill_s, fill_b = _rolling(scenario.fill), _rolling(base.fill)
    below = fill_s < service_target
    week, base_week = both(below & (fill_s < fill_b - RECOVERED_WITHIN), fill_b < service_target)
    if week is not None:
        detail = (
            f"fill rate (4-week average) falls to {fill_s[week]:.1%}, below the "
            f"{service_target:.0%} target (base {fill_b[week]:.1%})"
        )
        out.append(Finding(week, "service_below_target", "fill rate", detail, base_week))
        back = _first(_stays(~below, RECOVERED_FOR), week)
        if back is not None:
            detail = f"fill rate back above {service_target:.0%} after {back - week} weeks"
            out.append(Finding(back, "service_recovered", "fill rate", detail))
    week, base_week = both(scenario.cash < 0, base.cash < 0)
    if week is not None:
        detail = f"cash turns negative: ${scenario.cash[week]:,.0f} (base ${base.cash[week]:,.0f})"
        out.append(Finding(week, "cash_negative", "cash", detail, base_week))
    over = scenario.working_capital > (1 + working_capital_over) * np.maximum(
        base.working_capital, 1.0
    )
    week = _first(over, w0)
    if week is not None:
        s_wc, b_wc = scenario.working_capital[week], base.working_capital[week]
        detail = (
            f"working capital ${s_wc:,.0f}, {s_wc / max(b_wc, 1.0) - 1:+.0%} over the base "
            f"run's ${b_wc:,.0f}"
        )
        out.append(Finding(week, "working_capital", "working capital", detail))
    order = {"scenario": 0}
    return sorted(out, key=lambda f: (f.week, order.get(f.kind, 1), f.kind, f.subject))


def _stays(mask: np.ndarray, n: int) -> np.ndarray:
    """True where ``mask`` holds for this and the next ``n - 1`` weeks."""
    out = mask.copy()
    for k in range(1, n):
        out[:-k] &= mask[k:]
        out[len(mask) - k :] = False
    return out


def resilience(scenario: Trace, base: Trace) -> dict[str, float]:
    """Weeks from the scenario's start until service is back within two points of the base
    run's for four weeks running (NaN: not within the run; 0: it never fell), the sales
    lost until then beyond the base run's (at list price), and the peak week of expediting
    from the start.

    Service is compared with the base run's, not with a target, so a seasonal dip both runs
    share is not the scenario's; its worst week is looked for from the scenario's start to
    half a year after its last event (the rest of the run, for a change that lasts), so
    that the noise of two runs whose decisions have drifted apart years later is not taken
    for it."""
    w0 = scenario_start(scenario) // DAYS_PER_WEEK
    last = max((e.day for e in scenario.events), default=0) // DAYS_PER_WEEK
    stop = scenario.weeks if scenario.lasting else min(scenario.weeks, last + AFTERMATH_WEEKS)
    gap = _rolling(base.fill) - _rolling(scenario.fill)
    fell = gap[w0:stop] > RECOVERED_WITHIN
    if not fell.any():
        weeks, until = 0.0, w0
    else:
        worst = w0 + int(np.argmax(gap[w0:stop]))
        back = _first(_stays(gap <= RECOVERED_WITHIN, RECOVERED_FOR), worst)
        weeks = math.nan if back is None else float(back - w0)
        until = scenario.weeks if back is None else back
    lost = float((scenario.lost_value[w0:until] - base.lost_value[w0:until]).sum())
    return {
        "weeks_to_recover": weeks,
        "sales_lost_until_recovered": lost,
        "peak_weekly_expedite": float(scenario.expedite[w0:].max(initial=0.0)),
    }


def warning_of(scenario: Trace, base: Trace, findings: list[Finding]) -> dict[str, dict]:
    """For the scenario's capacity constraint (the first line whose regular capacity binds)
    and its material constraint (of the components it made short, the one production lacked
    most of beyond the base run): the week it hit and the week it was first seen, and the
    weeks between (0: not seen before it hit). Seen means, from the scenario's start: a plan
    recorded that shows the plant short of regular capacity in that week or the four after;
    a meeting that found regular capacity short over a horizon holding that week (a
    build-ahead or overtime alternative that gains sales); or an option on that component
    put to the executive (a rush, an alternate supplier, a capacity reservation)."""
    start = scenario_start(scenario)
    out: dict[str, dict] = {}
    capacity = [f for f in findings if f.kind == "capacity_regular"]
    if capacity:
        hit = min(f.week for f in capacity)
        days = [
            day
            for day, week in scenario.capacity_seen
            if start <= day <= hit * DAYS_PER_WEEK + DAYS_PER_WEEK - 1
            and hit <= week <= hit + LOOK_PAST_HIT
        ]
        out["capacity"] = _warning(hit, min(days) if days else None, "plant")
    material = [f for f in findings if f.kind == "component_short"]
    if material:
        w0 = start // DAYS_PER_WEEK
        beyond = np.maximum(scenario.short[w0:] - base.short[w0:], 0.0).sum(axis=0)
        worst = max(material, key=lambda f: beyond[scenario.components.index(f.subject)])
        hit = worst.week
        days = [
            day
            for day in scenario.material_seen.get(worst.subject, ())
            if start <= day <= hit * DAYS_PER_WEEK + DAYS_PER_WEEK - 1
        ]
        out["material"] = _warning(hit, min(days) if days else None, worst.subject)
    return out


def _warning(hit: int, seen_day: int | None, subject: str) -> dict:
    seen = None if seen_day is None else seen_day // DAYS_PER_WEEK
    return {
        "subject": subject,
        "hit_week": hit,
        "seen_week": seen,
        "warning_weeks": 0 if seen is None else hit - seen,
    }


# --------------------------------------------------------------------------- the study


def _run(job: tuple[int, CompanyConfig, str, int]) -> tuple[int, Trace]:
    from experiments.run import simulate

    index, config, protocol, seed = job
    return index, trace_of(simulate(config, seed=seed, protocol=protocol))


@dataclass(frozen=True)
class WhatIf:
    """Every paired run's findings, warning and impact, and their statistics."""

    protocols: tuple[str, ...]
    scenarios: tuple[str, ...]  # the labels of the scenarios, as given
    described: tuple[str, ...]  # what each scenario does, in words
    seeds: tuple[int, ...]
    findings: dict[str, list[list[Finding]]]  # protocol -> per replication
    warning: dict[str, list[dict]]  # protocol -> per replication
    impact: dict[str, dict[str, list[float]]]  # kpi -> protocol -> scenario − base per rep
    weekly: dict[str, dict[str, np.ndarray]]  # protocol -> series -> [2, reps, W] base, scenario
    service_target: float = 0.95

    @property
    def reps(self) -> int:
        return len(self.seeds)

    def summary(self) -> dict:
        """The JSON shape: findings (with the share of replications), warning and impact."""
        return {
            "scenarios": list(self.scenarios),
            "described": list(self.described),
            "protocols": list(self.protocols),
            "reps": self.reps,
            "findings": self.merged_findings(),
            "warning": self.merged_warning(),
            "impact": {
                kpi: {protocol: _stat(values) for protocol, values in by_protocol.items()}
                for kpi, by_protocol in self.impact.items()
            },
        }

    def merged_findings(self) -> list[dict]:
        """Findings over replications: one per (protocol, kind, subject), at the median week
        of the replications it occurred in, with its share of replications; the detail is
        that of the replication nearest the median."""
        rows = []
        for protocol in self.protocols:
            groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
            for found in self.findings[protocol]:
                seen = set()
                for f in found:
                    # A scenario's events are told apart by what happens (starts, ends).
                    key = (f.kind, f.subject, f.detail if f.kind == "scenario" else "")
                    if key in seen:
                        continue
                    seen.add(key)
                    groups[key].append(f)
            for (kind, subject, _), found in groups.items():
                week = float(np.median([f.week for f in found]))
                typical = min(found, key=lambda f: (abs(f.week - week), f.week))
                bases = [f.base_week for f in found if f.base_week is not None]
                rows.append(
                    {
                        "week": round(week),
                        "kind": kind,
                        "subject": subject,
                        "detail": typical.detail,
                        "protocol": protocol,
                        "share_of_reps": len(found) / self.reps,
                        "base_week": round(float(np.median(bases))) if bases else None,
                    }
                )
        order = {"scenario": 0}
        rows.sort(key=lambda r: (r["week"], order.get(r["kind"], 1), r["protocol"], r["kind"]))
        return rows

    def merged_warning(self) -> dict:
        out: dict[str, dict] = {}
        for protocol in self.protocols:
            entry = {}
            for constraint in ("capacity", "material"):
                runs = [w[constraint] for w in self.warning[protocol] if constraint in w]
                if not runs:
                    continue
                subjects = [r["subject"] for r in runs]
                entry[constraint] = {
                    "subject": max(set(subjects), key=subjects.count),
                    "share_of_reps": len(runs) / self.reps,
                    "hit_week": _stat([r["hit_week"] for r in runs]),
                    "warning_weeks": _stat([r["warning_weeks"] for r in runs]),
                    "seen_before_hit": sum(r["seen_week"] is not None for r in runs) / len(runs),
                }
            out[protocol] = entry
        return out


def _stat(values: Sequence[float]) -> dict:
    mean, lo, hi = interval(values)
    clean = [None if math.isnan(x) else x for x in (mean, lo, hi)]
    done = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    return {"mean": clean[0], "ci": clean[1:], "n": len(done)}


def whatif(
    base: CompanyConfig,
    scenario: CompanyConfig,
    protocols: Sequence[str],
    reps: int,
    seed: int,
    jobs: int = 1,
    labels: Sequence[str] = (),
    service_target: float = 0.95,
) -> WhatIf:
    """Run ``base`` and ``scenario`` (the same company with its scenarios) under every
    protocol, ``reps`` times each on common random numbers spawned from ``seed``."""
    seeds = tuple(replication_seeds(seed, reps))
    work = [
        (config, protocol, s)
        for s in seeds
        for protocol in protocols
        for config in (base, scenario)
    ]
    engine = make_engine("local", jobs)
    traces = dict(engine.map(_run, [(i, *job) for i, job in enumerate(work)]))
    found: dict[str, list] = {p: [] for p in protocols}
    warned: dict[str, list] = {p: [] for p in protocols}
    impact: dict[str, dict[str, list[float]]] = {
        k: {p: [] for p in protocols} for k in (*IMPACT_KPIS, *RESILIENCE)
    }
    series: dict[str, dict[str, list]] = {p: defaultdict(lambda: [[], []]) for p in protocols}
    # What the base config already holds of scenarios is in both runs: not the what-if's.
    added = scenario.scenarios[len(base.scenarios) :]
    lasting = any(x.end is None for x in added)
    i = 0
    for _ in seeds:
        for protocol in protocols:
            b, s = traces[i], traces[i + 1]
            own = tuple(e for e in s.events if e not in set(b.events))
            s = replace(s, events=own, lasting=lasting)
            i += 2
            findings = findings_of(s, b, service_target)
            found[protocol].append(findings)
            warned[protocol].append(warning_of(s, b, findings))
            for kpi in IMPACT_KPIS:
                impact[kpi][protocol].append(s.kpis[kpi] - b.kpis[kpi])
            for kpi, value in resilience(s, b).items():
                impact[kpi][protocol].append(value)
            for k, t in enumerate((b, s)):
                series[protocol]["fill"][k].append(_rolling(t.fill))
                series[protocol]["expedite"][k].append(t.expedite)
                series[protocol]["cash"][k].append(t.cash)
                load = (t.line_regular + t.line_overtime).sum(axis=1)
                series[protocol]["load"][k].append(
                    load / np.maximum(t.line_capacity.sum(axis=1), 1e-9)
                )
    weekly = {p: {k: np.array(v) for k, v in series[p].items()} for p in protocols}
    described = tuple(x.describe() for x in scenario.scenarios[len(base.scenarios) :])
    return WhatIf(
        tuple(protocols),
        tuple(labels),
        described,
        seeds,
        found,
        warned,
        impact,
        weekly,
        service_target,
    )


# --------------------------------------------------------------------------- as text

_KIND_NAMES = {
    "scenario": "scenario",
    "capacity_regular": "capacity binds",
    "capacity_overtime": "overtime binds",
    "component_short": "component short",
    "expediting": "expediting",
    "service_below_target": "service falls",
    "service_recovered": "service back",
    "cash_negative": "cash",
    "working_capital": "working capital",
    "capacity_bought": "capacity bought",
}
_MONEY = {
    "revenue",
    "gross_margin",
    "operating_profit",
    "expedite_cost",
    "overtime_cost",
    "working_capital_avg",
    "ending_cash",
    "sales_lost_until_recovered",
    "peak_weekly_expedite",
}


def _amount(kpi: str, x: float | None, sign: bool = True) -> str:
    if x is None:
        return "n/a"
    if kpi in _MONEY:
        text = f"${abs(x) / 1e6:,.2f}M" if abs(x) >= 1e6 else f"${abs(x) / 1e3:,.1f}k"
        return (("+" if x >= 0 else "-") if sign else ("-" if x < 0 else "")) + text
    if kpi == "fill_rate":
        return f"{100 * x:+.1f} pts" if sign else f"{100 * x:.1f} pts"
    if kpi == "weeks_to_recover":
        return f"{x:.1f} wk"
    return f"{x:+,.0f}" if sign else f"{x:,.0f}"


def _cell(kpi: str, stat: dict) -> str:
    mean, (lo, hi) = stat["mean"], stat["ci"]
    if mean is None:
        return "n/a"
    if lo is None:
        return _amount(kpi, mean)
    return f"{_amount(kpi, mean)} [{_amount(kpi, lo)}, {_amount(kpi, hi)}]"


def format_whatif(result: WhatIf, config: CompanyConfig, most: int = 30) -> str:
    """The what-if as a report for a terminal: findings, warning, impact."""
    summary = result.summary()
    protocols = result.protocols
    lines = [
        f"{config.name}: what if {'; '.join(result.described) or ', '.join(result.scenarios)}?",
        f"{', '.join(protocols)}, each with and without it on the same demand: "
        f"{result.reps} paired replications, {config.horizon_days} days each"
        + measured_after(config.warmup_days),
        "",
        "Findings, in time order (week; share of replications where under 100%):",
    ]
    rows = summary["findings"]
    events, others = [], []
    seen = set()
    for row in rows:
        if row["kind"] == "scenario":
            key = (row["week"], row["detail"])
            if key not in seen:
                seen.add(key)
                events.append(row)
        else:
            others.append(row)
    shown = sorted(events + others[:most], key=lambda r: (r["week"], r["kind"] != "scenario"))
    width = max(len(p) for p in protocols)
    for row in shown:
        who = "" if row["kind"] == "scenario" else row["protocol"]
        share = "" if row["share_of_reps"] >= 1 else f" ({row['share_of_reps']:.0%} of reps)"
        base = ""
        if row["kind"] not in ("scenario", "expediting", "working_capital", "service_recovered"):
            base = (
                f"; base run: week {row['base_week']}"
                if row["base_week"] is not None
                else "; base run: never"
            )
        lines.append(
            f"  week {row['week']:>3}  {who:<{width}}  {_KIND_NAMES[row['kind']]:<16} "
            f"{row['detail']}{share}{base}"
        )
    if len(others) > most:
        lines.append(f"  ... {len(others) - most} more (--format json has them all)")
    lines += ["", "Warning: weeks between a constraint first showing in a plan or the decision"]
    lines.append("log and the week it hit (0: not seen before it hit):")
    for protocol in protocols:
        entry = summary["warning"].get(protocol, {})
        if not entry:
            lines.append(f"  {protocol:<{width}}  no capacity or material constraint hit")
            continue
        for constraint, w in entry.items():
            hit, warn = w["hit_week"], w["warning_weeks"]
            share = (
                "every replication"
                if w["share_of_reps"] >= 1
                else f"{w['share_of_reps']:.0%} of the replications"
            )
            if w["seen_before_hit"] == 0:
                seen = "never seen before it hit"
            else:
                seen = (
                    f"seen {warn['mean']:.1f} weeks before on average [{_ci(warn['ci'])}], "
                    f"ahead of it in {w['seen_before_hit']:.0%} of them"
                )
            lines.append(
                f"  {protocol:<{width}}  {constraint} ({w['subject']}): hits in {share}, in "
                f"week {hit['mean']:.0f} on average; {seen}"
            )
    lines += ["", "Impact, scenario minus base (mean [95% CI]):"]
    name_width = max(len(k) for k in summary["impact"])
    cells = {
        kpi: {p: _cell(kpi, by[p]) for p in protocols} for kpi, by in summary["impact"].items()
    }
    col = max(len(c) for by in cells.values() for c in by.values())
    col = max(col, *(len(p) for p in protocols))
    lines.append(" " * (name_width + 2) + "  ".join(f"{p:>{col}}" for p in protocols))
    for kpi, by in cells.items():
        lines.append(f"{kpi:<{name_width}}  " + "  ".join(f"{by[p]:>{col}}" for p in protocols))
    recovered = summary["impact"]["weeks_to_recover"]
    unrecovered = [p for p in protocols if recovered[p]["n"] < result.reps]
    if unrecovered:
        lines.append(
            "weeks_to_recover counts the replications that recovered within the run: "
            + ", ".join(f"{p} {recovered[p]['n']} of {result.reps}" for p in unrecovered)
        )
    return "\n".join(lines)


def _ci(ci: list) -> str:
    lo, hi = ci
    if lo is None:
        return "n/a"
    return f"{lo:.1f}, {hi:.1f}"
