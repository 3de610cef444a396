"""The "value of S&OP" report: one self-contained HTML page a client can forward — the
executive summary in dollars and points with their uncertainty, where the value comes from,
the trade-offs the executive made, what-if findings, the assumptions, the method and how to
reproduce it — with every figure embedded as SVG and no request to anywhere.

A report is made from a config (it runs the comparison itself, on paired replications, and
the attribution and what-ifs it is asked for), from a saved comparison (``oneplan compare
--format json``), or from a study's directory. The page is a Jinja2 template
(``experiments/templates/report.html.j2``); ``--pdf`` prints it with headless Chromium.
"""

from __future__ import annotations

import html
import io
import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from agents.config import CompanyConfig
from experiments.compare import Comparison, learned_at_end
from experiments.engines import make_engine
from sim import ledger as rec
from sim.calendar import DAYS_PER_YEAR
from sim.rng import replication_seeds

__all__ = [
    "ReportData",
    "executive_summary",
    "from_comparison",
    "from_config",
    "from_study",
    "render",
    "to_pdf",
]

TEMPLATES = Path(__file__).with_name("templates")
HIGHLIGHTS = 8  # decision-log entries shown


@dataclass
class ReportData:
    """Everything a report shows, whatever it was made from."""

    name: str
    source: str
    command: str
    seed: int | None
    days: int | None
    warmup_days: int = 0  # the opening days every KPI leaves out
    summary: dict | None = None  # Comparison.summary()
    runs: dict | None = None  # protocol -> [WeeklySeries]
    attribution: dict | None = None  # Attribution.summary()
    decisions: list[dict] = field(default_factory=list)
    whatif: dict | None = None  # WhatIf.summary()
    config: CompanyConfig | None = None
    study: dict | None = None  # tables of a study's results
    version: str = ""


def _version() -> str:
    try:
        return metadata.version("oneplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


# --------------------------------------------------------------------------- gathering


def _run(job: tuple[int, CompanyConfig, str, int, bool]):
    from experiments.figures.series import weekly_series
    from experiments.run import simulate

    index, config, protocol, seed, keep_log = job
    result = simulate(config, seed=seed, protocol=protocol)
    log = []
    if keep_log:
        log = [f.entry for f in result.outcome.ledger.facts if type(f) is rec.DecisionRecorded]
    return index, result.kpis, learned_at_end(result), weekly_series(result.outcome), log


def from_config(
    config: CompanyConfig,
    source: str,
    command: str,
    protocols: Sequence[str] = ("silo", "sop"),
    reps: int = 10,
    seed: int | None = None,
    jobs: int = 1,
    attribution: bool = True,
    scenario: CompanyConfig | None = None,
    labels: Sequence[str] = (),
) -> ReportData:
    """Run ``protocols`` on ``reps`` paired replications of ``config`` (and, if asked, the
    attribution from the first to the last, and the what-if of ``scenario``)."""
    root = config.seed if seed is None else seed
    seeds = tuple(replication_seeds(root, reps))
    target = protocols[-1]
    work = [
        (config, protocol, s, protocol == target and k == 0)
        for k, s in enumerate(seeds)
        for protocol in protocols
    ]
    done = {
        i: rest
        for i, *rest in make_engine("local", jobs).map(
            _run, [(i, *job) for i, job in enumerate(work)]
        )
    }
    kpis: dict[str, dict[str, list[float]]] = {}
    learned: dict[str, dict[str, list[float]]] = {}
    runs: dict[str, list] = {p: [] for p in protocols}
    decisions: list[dict] = []
    for i, (_, protocol, _, _) in enumerate(work):
        values, knobs, series, log = done[i]
        for name, value in values.items():
            kpis.setdefault(name, {p: [] for p in protocols})[protocol].append(value)
        for name, value in knobs.items():
            learned.setdefault(name, {}).setdefault(protocol, []).append(value)
        runs[protocol].append(series)
        decisions += log
    summary = Comparison(tuple(protocols), root, seeds, kpis, learned).summary()
    shares = None
    if attribution and len(protocols) > 1:
        from experiments.attribution import attribute

        try:
            shares = attribute(config, protocols[0], target, reps, root, jobs).summary(
                ["operating_profit", "fill_rate"]
            )
        except ValueError:  # the two rungs have the same pieces
            shares = None
    whatif = None
    if scenario is not None:
        from experiments.whatif import whatif as run_whatif

        whatif = run_whatif(config, scenario, protocols, reps, root, jobs, labels).summary()
    return ReportData(
        name=config.name,
        source=source,
        command=command,
        seed=root,
        days=config.horizon_days,
        warmup_days=config.warmup_days,
        summary=summary,
        runs=runs,
        attribution=shares,
        decisions=highlights(decisions),
        whatif=whatif,
        config=config,
        version=_version(),
    )


def highlights(entries: list[dict], most: int = HIGHLIGHTS) -> list[dict]:
    """The trade-offs the executive made that mattered most: options taken or declined by
    its weights, the largest score of each kind of option first (two of a kind at most)."""
    rows, seen = [], set()
    for entry in entries:
        for option in entry.get("options", ()):
            if option.get("decided_by") != "the executive's weights":
                continue
            key = (option["option"], option["description"])
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "day": entry["day"],
                    "month": entry.get("month"),
                    "option": option["option"].replace("_", " "),
                    "proposed_by": option["proposed_by"],
                    "description": option["description"],
                    "score": option["score"],
                    "chosen": option["chosen"],
                    "reason": option["reason"],
                }
            )
    rows.sort(key=lambda r: -abs(r["score"]))
    # The biggest of each kind of option first, then the next biggest, two of a kind at most.
    picked: list[dict] = []
    for rank in range(2):
        for kind in dict.fromkeys(r["option"] for r in rows):
            of_kind = [r for r in rows if r["option"] == kind]
            if rank < len(of_kind) and len(picked) < most:
                picked.append(of_kind[rank])
    return sorted(picked, key=lambda r: -abs(r["score"]))


def from_comparison(path: Path | str, command: str) -> ReportData:
    """A report of a saved comparison (``oneplan compare --format json`` output)."""
    summary = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(summary, dict) or "kpis" not in summary or "protocols" not in summary:
        raise ValueError(f"{path}: not a saved comparison (oneplan compare --format json)")
    return ReportData(
        name=Path(path).stem,
        source=str(path),
        command=command,
        seed=summary.get("seed"),
        days=None,
        summary=summary,
        version=_version(),
    )


def from_study(directory: Path | str, command: str) -> ReportData:
    """A report of a study's results: its cells, paired differences and effects."""
    from experiments.results import load_results

    found = load_results(directory)
    kpis = found.kpis
    configs = list(found.manifest.get("configs", {}).values())
    study = {
        "name": found.name,
        "jobs": found.jobs,
        "finished": len(found.table),
        "factors": found.factors,
        "cells": found.cell_means(kpis),
        "differences": found.paired_differences(kpis),
        "scenario_differences": found.scenario_differences(kpis),
        "interactions": found.interactions(kpis),
        "effects": found.effects(kpis),
        "table": found.table,
    }
    return ReportData(
        name=found.name,
        source=str(directory),
        command=command,
        seed=found.manifest.get("seed"),
        days=_one(c.get("horizon_days") for c in configs),
        warmup_days=_one(c.get("warmup_days", 0) for c in configs) or 0,
        study=study,
        version=_version(),
    )


# --------------------------------------------------------------------------- the words


def _money(x: float) -> str:
    if abs(x) >= 1e6:
        return f"${abs(x) / 1e6:,.2f}M"
    return f"${abs(x) / 1e3:,.0f}k" if abs(x) >= 1e3 else f"${abs(x):,.0f}"


def _sure(ci: list) -> bool:
    lo, hi = ci
    return lo is not None and hi is not None and (lo > 0 or hi < 0)


def _one(values):
    """The value every item shares, or None when they differ (or there are none)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def executive_summary(summary: dict, days: int | None, warmup_days: int = 0) -> list[str]:
    """The finding in plain sentences: operating profit a year with its 95% interval, fill
    rate, days of inventory, working capital and cash, last protocol against the first. The
    KPIs leave out the first ``warmup_days`` of the ``days`` run: a year is of the rest."""
    protocols = summary["protocols"]
    if len(protocols) < 2:
        return [f"One protocol was run ({protocols[0]}): there is nothing to compare."]
    base, best = protocols[0], protocols[-1]
    k = summary["kpis"]
    years = (days - warmup_days if days else DAYS_PER_YEAR) / DAYS_PER_YEAR
    reps = summary["reps"]
    out = []
    profit = k["operating_profit"]["diff"][best]
    per_year = profit["mean"] / years
    lo, hi = (c / years if c is not None else math.nan for c in profit["ci"])
    half = (hi - lo) / 2
    verb = "adds" if per_year >= 0 else "costs"
    sentence = (
        f"{best} {verb} {_money(per_year)} ± {_money(half)} of operating profit a year against "
        f"{base} (95% interval {_signed(lo)} to {_signed(hi)}, over {reps} paired replications "
        "on the same demand)"
    )
    if not _sure(profit["ci"]):
        sentence += "; the interval includes zero, so the difference is not established"
    out.append(sentence + ".")
    parts = []
    if "fill_rate" in k:
        fill = k["fill_rate"]["diff"][best]
        parts.append(f"{100 * fill['mean']:+.1f} points of fill rate")
    if "dio_days" in k:
        dio = k["dio_days"]["diff"][best]
        parts.append(f"{dio['mean']:+.1f} days of inventory")
    if "working_capital_avg" in k:
        wc = k["working_capital_avg"]["diff"][best]["mean"]
        parts.append(f"{_money(wc)} of working capital {'released' if wc < 0 else 'tied up'}")
    if parts:
        over = (
            f"the {days - warmup_days} days after a {warmup_days}-day warm-up"
            if (days and warmup_days)
            else "the run"
        )
        out.append(f"It runs with {', '.join(parts)}, on average over {over}.")
    if "ending_cash" in k:
        cash = k["ending_cash"]["diff"][best]["mean"]
        out.append(
            f"It ends the {days or '?'} days with {_money(cash)} "
            f"{'more' if cash >= 0 else 'less'} cash."
        )
    return out


def _signed(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return ("+" if x >= 0 else "-") + _money(x)


# --------------------------------------------------------------------------- the page


def _svg(fig) -> str:
    """A figure as inline SVG (no file, no request)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figures(data: ReportData) -> list[dict]:
    from experiments.figures import attribution as attribution_fig
    from experiments.figures import bridge, flows, frontier, ladder, over_time, timeline

    out = []

    def add(title: str, fig, caption: str) -> None:
        out.append({"title": title, "svg": _svg(fig), "caption": caption})

    if data.summary is not None and len(data.summary["protocols"]) > 1:
        add(
            "The ladder",
            ladder.ladder_figure(data.summary, data.name),
            "Each headline KPI per protocol: mean over the paired replications, 95% interval.",
        )
        add(
            "The profit bridge",
            bridge.bridge_figure(data.summary, name=data.name),
            "How the first protocol's operating profit becomes the last one's, P&L line by line.",
        )
    if data.attribution is not None:
        add(
            "Where the money comes from",
            attribution_fig.attribution_figure(data.attribution, "operating_profit"),
            "Shapley values of the protocol's pieces over the paired replications.",
        )
    if data.runs:
        add(
            "Service, inventory and load",
            over_time.operations_figure(data.runs, data.name),
            "Week by week, mean over the replications, band from the 10th to the 90th percentile.",
        )
        add(
            "Cash and working capital",
            over_time.money_figure(data.runs, data.name),
            "At each week's close.",
        )
        add(
            "Versions of the truth",
            over_time.truth_figure(data.runs, data.name),
            "What customers ordered against the forecast each function acted on.",
        )
        add(
            "Bullwhip across the functions",
            flows.bullwhip_figure(data.runs, data.name),
            "Variability of the weekly units at each hand-off, against customers' orders.",
        )
    if data.whatif is not None:
        add(
            "What-if timeline",
            timeline.timeline_figure(data.whatif),
            "When each constraint bound, and when each protocol saw it coming.",
        )
    if data.study is not None and len(data.study["factors"]) == 1:
        table, factor = data.study["table"], data.study["factors"][0]
        for x, title in (
            ("avg_inventory_value", "Service against inventory"),
            ("expedite_cost", "Speed against cost"),
        ):
            if {x, "fill_rate"} <= set(table.columns):
                add(
                    title,
                    frontier.frontier_figure(table, factor, x=x, name=data.name),
                    f"Fill rate against {x.replace('_', ' ')}: one point per value of "
                    f"{factor} and protocol.",
                )
    return out


def _config_tables(config: CompanyConfig | None) -> list[dict]:
    if config is None:
        return []
    products = [
        {
            "product": name,
            "price": f"${p.price:,.2f}",
            "demand a day": f"{p.demand.base_per_day:g}",
            "trend a year": f"{p.demand.trend_per_year:+.0%}",
            "on hand at start": f"{p.initial_on_hand:,.0f}",
        }
        for name, p in config.products.items()
    ]
    suppliers = [
        {
            "supplier": name,
            "sells": ", ".join(s.components),
            "lead time": f"{s.lead_time_days.mean:g} days"
            if hasattr(s.lead_time_days, "mean")
            else f"{s.lead_time_days.value:g} days",
            "reliability": f"{s.reliability:.0%}",
            "modes": ", ".join(s.modes),
        }
        for name, s in config.suppliers.items()
    ]
    lines = [
        {
            "line": name,
            "makes": ", ".join(ln.products),
            "capacity a day": f"{ln.capacity_per_day:g}",
            "overtime": f"+{ln.overtime_max_fraction:.0%} at ${ln.overtime_premium_per_unit:g}",
        }
        for name, ln in config.plant.lines.items()
    ]
    agents = config.agents
    pay = [
        {"function": role, "paid on": getattr(agents, role).incentive}
        for role in ("sales", "operations", "procurement", "finance")
    ]
    return [
        {"title": "Products", "rows": products},
        {"title": "Suppliers", "rows": suppliers},
        {"title": "Production lines", "rows": lines},
        {"title": "What each function is paid on", "rows": pay},
    ]


def _kpi_rows(summary: dict) -> list[dict]:
    from experiments.formatting import format_value

    protocols = summary["protocols"]
    rows = []
    for kpi in (
        "operating_profit",
        "revenue",
        "fill_rate",
        "avg_inventory_value",
        "dio_days",
        "working_capital_avg",
        "cash_to_cash_days",
        "ending_cash",
        "forecast_mape",
        "forecast_disagreement",
    ):
        entry = summary["kpis"].get(kpi)
        if entry is None:
            continue
        cells = []
        for p in protocols:
            mean, (lo, hi) = entry[p]["mean"], entry[p]["ci"]
            text = "n/a" if mean is None else format_value(kpi, mean)
            if lo is not None and mean is not None:
                text += f" [{format_value(kpi, lo)}, {format_value(kpi, hi)}]"
            cells.append(text)
        rows.append({"kpi": kpi, "cells": cells})
    return rows


def _frame_rows(frame, most: int = 40) -> dict:
    frame = frame.head(most)
    return {
        "columns": [str(c) for c in frame.columns],
        "rows": [[_cell(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:,.4g}"
    return html.escape(str(v))


def render(data: ReportData) -> str:
    """The report as one HTML page (figures inline, styles inline, nothing fetched)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    study = None
    if data.study is not None:
        study = {
            "name": data.study["name"],
            "jobs": data.study["jobs"],
            "finished": data.study["finished"],
            "factors": data.study["factors"],
            "tables": [
                {"title": title, **_frame_rows(data.study[key])}
                for key, title in (
                    ("cells", "Means and 95% intervals per cell"),
                    ("differences", "Each protocol minus the first, paired by seed"),
                    ("scenario_differences", "Each scenario minus the base, paired by seed"),
                    ("interactions", "Protocol × scenario"),
                    ("effects", "What moves each KPI most"),
                )
                if len(data.study[key])
            ],
        }
    return env.get_template("report.html.j2").render(
        data=data,
        summary_sentences=(
            executive_summary(data.summary, data.days, data.warmup_days)
            if data.summary is not None
            else []
        ),
        kpi_rows=_kpi_rows(data.summary) if data.summary is not None else [],
        figures=_figures(data),
        config_tables=_config_tables(data.config),
        study=study,
        findings=[f for f in (data.whatif or {}).get("findings", []) if f["kind"] != "scenario"][
            :25
        ],
    )


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)


def chromium() -> str | None:
    """The Chromium to print with (Debian's package), if there is one."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print the report's page to PDF with headless Chromium (the page's own print styles)."""
    browser = chromium()
    if browser is None:
        raise RuntimeError(
            "--pdf prints with Chromium, which is not installed: on Debian, apt-get install "
            "chromium"
        )
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--print-to-pdf={pdf_path.resolve()}",
                html_path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return pdf_path
