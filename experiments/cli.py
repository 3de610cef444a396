"""The ``oneplan`` command line: validate a config, run it, print and save what happened."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from agents.names import PROTOCOL_NAMES
from experiments.formatting import counted, format_difference, format_value, measured_after
from experiments.output import OutputError, atomic_write, check_directory, check_file
from sim.limits import MAX_SEED

# The config schema and everything a command runs are imported inside the commands, so that
# `--help` and a mistyped option answer at once.
if TYPE_CHECKING:
    from agents.config import Config
    from sim.config import ConfigError

__all__ = ["main"]

DAYS_OPTION = click.option(
    "--days",
    type=click.IntRange(min=1),
    help="Days to simulate (default: the config's horizon; at most the config's limit).",
)
SEED_TYPE = click.IntRange(min=0, max=MAX_SEED)
FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
CONFIG_ARGUMENT = click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
REPLICATION_SEED_OPTION = click.option(
    "--seed", type=SEED_TYPE, help="Root seed of the replications (default: the config's)."
)
JOBS_OPTION = click.option(
    "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes."
)


def reps_option(default: int):
    """``--reps``: how many paired replications, at least two (an interval needs two)."""
    return click.option(
        "--reps",
        type=click.IntRange(min=2),
        default=default,
        show_default=True,
        help="Paired replications.",
    )


SET_OPTION = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a config value by dotted path (repeatable), e.g. --set horizon_days=730.",
)


SCENARIO_OPTION = click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME|KIND:KEY=VALUE,...",
    help="Add a scenario (repeatable, they compose): a named one of configs/scenarios/, a "
    "scenario file, or inline, e.g. demand_surge:pct=20,start_week=6.",
)


def _load(
    path: Path,
    overrides: tuple[str, ...],
    *,
    protocol: str | None = None,
    days: int | None = None,
    warn: bool = True,
    scenarios: tuple[str, ...] = (),
) -> Config:
    """Load a config or exit 2 with one line per problem (no traceback).

    ``--protocol`` and ``--days`` go through the gate like ``--set`` (``protocol``,
    ``horizon_days``), so their limits and cross-checks are the config's and a problem names
    the option; so do ``--scenario`` items, appended to the config's own scenarios. Events
    that start after the run are reported as warnings.
    """
    from agents.config import validate as validate_config
    from sim.config import ConfigError, inert_events, load_source, set_value
    from sim.scenarios import add_scenarios
    from sim.source import Location

    try:
        located = load_source(path, overrides)
        chain = isinstance(located.data, dict) and located.data.get("kind") == "serial_chain"
        if protocol is not None and chain:
            raise click.UsageError("--protocol applies to companies, not to serial chains")
        if scenarios and chain:
            raise click.UsageError("--scenario applies to companies, not to serial chains")
        add_scenarios(located, scenarios, path)
        if protocol is not None:
            set_value(located, ("protocol",), protocol, Location(f"--protocol {protocol}"))
        if days is not None:
            set_value(located, ("horizon_days",), days, Location(f"--days {days}"))
        config = validate_config(located)
    except ConfigError as error:
        _exit_with(error)
    for warning in inert_events(located, config) if warn else []:
        click.echo(f"warning: {warning}", err=True)
    return config


def _exit_with(error: ConfigError) -> NoReturn:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    sys.exit(2)


def _output(path: Path | None, option: str, suffixes: tuple[str, ...] = ()) -> Path | None:
    """Check an output file before any work is done (exit 2 if it cannot be written)."""
    if path is None:
        return None
    try:
        return check_file(path, option, suffixes)
    except OutputError as error:
        raise click.UsageError(str(error)) from None


def _output_directory(path: Path, option: str) -> Path:
    try:
        return check_directory(path, f"{option} {path}")
    except OutputError as error:
        raise click.UsageError(str(error)) from None


def _write(path: Path, data: bytes, shown: Path) -> None:
    """Write an output checked before the run; a failure now (a disk filled) exits 1."""
    try:
        atomic_write(path, data)
    except OSError as error:
        click.echo(f"could not write {shown}: {error.strerror or error}", err=True)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="oneplan")
def main() -> None:
    """oneplan: what is the one plan we are all committing to?

    Simulate a manufacturing company's supply chain and measure what planning is worth.
    """


@main.command()
@CONFIG_ARGUMENT
@SET_OPTION
@SCENARIO_OPTION
def validate(config: Path, overrides: tuple[str, ...], scenarios: tuple[str, ...]) -> None:
    """Check CONFIG; exit 0 if it is valid, or 2 with every problem as file:line:col: path: why."""
    loaded = _load(config, overrides, scenarios=scenarios)
    click.echo(f"{config}: ok ({_describe(loaded)})")


def _describe(config: Config) -> str:
    if config.kind == "serial_chain":
        return (
            f"serial chain of {counted(len(config.stages), 'stage')}, "
            f"periods of {counted(config.period_days, 'day')}"
        )
    parts = (
        counted(len(config.products), "product"),
        counted(len(config.components), "component"),
        counted(len(config.suppliers), "supplier"),
        counted(len(config.plant.lines), "line"),
    )
    text = "company: " + ", ".join(parts)
    if config.scenarios:
        text += "; scenarios: " + "; ".join(s.describe() for s in config.scenarios)
    return text


@main.command()
@CONFIG_ARGUMENT
@click.option("--seed", type=SEED_TYPE, help="Root seed (default: the config's).")
@DAYS_OPTION
@SET_OPTION
@FORMAT_OPTION
@click.option(
    "--timeseries",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the daily time series here (.csv, .parquet or .xlsx, by the extension).",
)
@click.option(
    "--protocol",
    type=click.Choice(PROTOCOL_NAMES),
    help="Who decides (default: the config's): classic policies, or a rung from silo to ibp.",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the S&OP decision log here (JSON lines): options, values, choices, reasons.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the run (.png, .svg or .pdf): a company's service, stock and money, a chain's "
    "orders per stage.",
)
@SCENARIO_OPTION
def run(
    config: Path,
    seed: int | None,
    days: int | None,
    overrides: tuple[str, ...],
    fmt: str,
    timeseries: Path | None,
    protocol: str | None,
    decision_log: Path | None,
    plot: Path | None,
    scenarios: tuple[str, ...],
) -> None:
    """Simulate CONFIG once and print its KPIs."""
    from experiments.run import simulate

    loaded = _load(config, overrides, protocol=protocol, days=days, scenarios=scenarios)
    if decision_log is not None:
        if loaded.kind == "serial_chain":
            raise click.UsageError("--decision-log: a serial chain holds no S&OP meetings")
        if loaded.protocol == "classic":
            raise click.UsageError(
                "--decision-log: protocol classic (textbook policies) holds no S&OP meetings; "
                "choose a protocol from silo to ibp"
            )
    # Every output is checked before the run, which can take minutes.
    # Pictures and tables load matplotlib and pandas: only when asked for.
    series_path = plot_path = None
    if timeseries is not None:
        from sim.timeseries import TIMESERIES_FORMATS

        series_path = _output(timeseries, "--timeseries", TIMESERIES_FORMATS)
    if plot is not None:
        from experiments.figures.style import PLOT_FORMATS

        plot_path = _output(plot, "--plot", PLOT_FORMATS)
    log_path = _output(decision_log, "--decision-log")
    result = simulate(loaded, seed=seed)
    horizon = loaded.horizon_days
    notes: list[str] = []
    if decision_log is not None and log_path is not None:
        entries = _decision_log(result.outcome)
        if entries:
            _write(
                log_path,
                "".join(json.dumps(e, default=float) + "\n" for e in entries).encode(),
                decision_log,
            )
            notes.append(f"decision log written to {decision_log} ({len(entries)} S&OP meetings)")
        else:
            # An empty file would read as "the meetings decided nothing".
            click.echo(
                f"no S&OP meeting was held in {horizon} days under protocol {loaded.protocol}; "
                f"no decision log written to {decision_log}",
                err=True,
            )
    if timeseries is not None and series_path is not None:
        from sim.timeseries import timeseries as make_timeseries
        from sim.timeseries import timeseries_bytes

        frame = make_timeseries(result.outcome)
        _write(series_path, timeseries_bytes(frame, series_path.suffix.lower()), timeseries)
        notes.append(f"time series written to {timeseries}")
    if plot is not None and plot_path is not None:
        _plot(result, plot_path)
        notes.append(f"picture written to {plot}")
    if fmt == "json":
        payload = {
            "config": str(config),
            "protocol": loaded.protocol if loaded.kind == "company" else None,
            "set": list(overrides),
            "seed": result.seed,
            "days": horizon,
            "warmup_days": loaded.warmup_days,
            "kpis": {k: (None if math.isnan(v) else v) for k, v in result.kpis.items()},
        }
        click.echo(json.dumps(payload, indent=2))
        for note in notes:
            click.echo(note, err=True)
        return
    who = f", protocol {loaded.protocol}" if loaded.kind == "company" else ""
    click.echo(
        f"{loaded.name}: {_describe(loaded)}{who}; seed {result.seed}, {horizon} days simulated"
        f"{measured_after(loaded.warmup_days)}"
    )
    click.echo(format_kpis(result.kpis))
    if notes:
        click.echo("")
    for note in notes:
        click.echo(note)


def _decision_log(outcome) -> list[dict[str, Any]]:
    """One entry per S&OP meeting, monthly or called by an exception (the weekly Finance
    reviews stay in the run's records)."""
    from sim.ledger import DecisionRecorded

    meetings = ("sop_cycle", "exception_review")
    return [
        f.entry
        for f in outcome.ledger.facts
        if type(f) is DecisionRecorded and f.entry.get("kind") in meetings
    ]


def _plot(result, path: Path) -> None:
    from experiments.figures.chain import plot_chain_orders
    from experiments.figures.company import plot_company_run
    from sim.world import CompanyOutcome

    try:
        if isinstance(result.outcome, CompanyOutcome):
            plot_company_run(result.outcome, result.kpis, path)
        else:
            plot_chain_orders(result.outcome, path)
    except OSError as error:
        click.echo(f"could not write {path}: {error.strerror or error}", err=True)
        sys.exit(1)


HEADLINE = (
    "operating_profit",
    "fill_rate",
    "lost_sales_units",
    "avg_inventory_value",
    "working_capital_avg",
    "expedite_cost",
    "overtime_cost",
    "forecast_disagreement",
)


@main.command()
@CONFIG_ARGUMENT
@click.option(
    "--protocols",
    default="silo,sop",
    show_default=True,
    help="Comma-separated protocols; differences are taken against the first.",
)
@reps_option(20)
@REPLICATION_SEED_OPTION
@JOBS_OPTION
@DAYS_OPTION
@SET_OPTION
@FORMAT_OPTION
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the ladder: each headline KPI per protocol, mean and 95% interval over the "
    "replications (.png, .svg or .pdf).",
)
@SCENARIO_OPTION
def compare(
    config: Path,
    protocols: str,
    reps: int,
    seed: int | None,
    jobs: int,
    days: int | None,
    overrides: tuple[str, ...],
    fmt: str,
    plot: Path | None,
    scenarios: tuple[str, ...],
) -> None:
    """Compare protocols on CONFIG: paired replications on common random numbers, means with
    95% confidence intervals, and each protocol's difference from the first."""
    from experiments.compare import compare as run_compare
    from experiments.figures.style import PLOT_FORMATS

    names = _protocols(protocols, least=2)
    loaded = _load(config, overrides, days=days, scenarios=scenarios)
    if loaded.kind != "company":
        raise click.UsageError("compare works on companies; a serial chain has no protocols")
    for name in names:  # each protocol's config must pass the gate, e.g. classic's policies
        _load(config, overrides, protocol=name, days=days, warn=False, scenarios=scenarios)
    plot_path = _output(plot, "--plot", PLOT_FORMATS)
    root = loaded.seed if seed is None else seed
    result = run_compare(loaded, names, reps, root, jobs)
    summary = result.summary()
    if plot is not None:
        from experiments.figures.ladder import plot_ladder

        try:
            plot_ladder(summary, plot_path, name=loaded.name)
        except OSError as error:
            click.echo(f"could not write {plot}: {error.strerror or error}", err=True)
            sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"{loaded.name}: {', '.join(names)} on the same demand, {reps} paired replications "
        f"(root seed {root}), {loaded.horizon_days} days each{measured_after(loaded.warmup_days)}\n"
    )
    click.echo(format_comparison(summary))
    if plot is not None:
        click.echo(f"\npicture written to {plot}")


@main.command()
@CONFIG_ARGUMENT
@click.option("--base", default="silo", show_default=True, help="The protocol to start from.")
@click.option("--target", default="sop", show_default=True, help="The protocol to explain.")
@reps_option(10)
@REPLICATION_SEED_OPTION
@JOBS_OPTION
@click.option(
    "--kpi",
    "kpi_names",
    multiple=True,
    help="KPIs to split (repeatable; default: operating profit, fill rate, inventory).",
)
@click.option(
    "--options",
    "with_options",
    is_flag=True,
    help="Split the supply review further, by each kind of option it can decide.",
)
@click.option(
    "--permutations",
    type=click.IntRange(min=2),
    default=24,
    show_default=True,
    help="Random orders of the pieces sampled when there are more than six.",
)
@DAYS_OPTION
@SET_OPTION
@FORMAT_OPTION
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the waterfall from the base protocol's operating profit to the target's "
    "(.png, .svg or .pdf).",
)
def attribute(
    config: Path,
    base: str,
    target: str,
    reps: int,
    seed: int | None,
    jobs: int,
    kpi_names: tuple[str, ...],
    with_options: bool,
    permutations: int,
    days: int | None,
    overrides: tuple[str, ...],
    fmt: str,
    plot: Path | None,
) -> None:
    """Split the difference between two protocols on CONFIG among the pieces that make it:
    Shapley values over paired replications, each with its 95% confidence interval."""
    from experiments.attribution import attribute as run_attribution
    from experiments.figures.style import PLOT_FORMATS
    from sim.metrics import COMPANY_KPIS

    for name, value in (("--base", base), ("--target", target)):
        if value not in PROTOCOL_NAMES or value == "classic":
            allowed = ", ".join(p for p in PROTOCOL_NAMES if p != "classic")
            raise click.BadParameter(f"one of {allowed} (got {value!r})", param_hint=name)
    names = list(kpi_names) or ["operating_profit", "fill_rate", "avg_inventory_value"]
    unknown = [k for k in names if k not in COMPANY_KPIS]
    if unknown:
        raise click.BadParameter(
            f"unknown KPI {unknown[0]!r}; see `oneplan kpis`", param_hint="--kpi"
        )
    loaded = _load(config, overrides, days=days)
    if loaded.kind != "company":
        raise click.UsageError("attribute works on companies; a serial chain has no protocols")
    for name in (base, target):
        _load(config, overrides, protocol=name, days=days, warn=False)
    plot_path = _output(plot, "--plot", PLOT_FORMATS)
    try:
        result = run_attribution(loaded, base, target, reps, seed, jobs, with_options, permutations)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    summary = result.summary(names)
    if plot_path is not None:
        from experiments.figures.attribution import plot_attribution

        try:
            plot_attribution(
                summary, "operating_profit" if "operating_profit" in names else names[0], plot_path
            )
        except OSError as error:
            click.echo(f"could not write {plot}: {error.strerror or error}", err=True)
            sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(format_attribution(summary))
    if plot is not None:
        click.echo(f"\npicture written to {plot}")


def format_attribution(summary: dict) -> str:
    """Per KPI: base and target, the difference, and each piece's share of it with CIs."""
    base, target = summary["base"], summary["target"]
    lines = [
        f"{summary['config']}: where {target}'s difference from {base} comes from — "
        f"{summary['method']}, {summary['reps']} paired replications (root seed "
        f"{summary['seed']})"
    ]
    width = max(len(p) for p in summary["players"]) + 2
    for name, entry in summary["kpis"].items():
        total = entry["total"]
        lines.append("")
        lines.append(
            f"{name}: {base} {format_value(name, entry['base']['mean'])} → {target} "
            f"{format_value(name, entry['target']['mean'])}, "
            f"{format_difference(name, total['mean'])} "
            f"[{format_difference(name, total['ci'][0])}, "
            f"{format_difference(name, total['ci'][1])}]"
        )
        for player, part in entry["contributions"].items():
            lo, hi = part["ci"]
            lines.append(
                f"  {player:<{width}} {format_difference(name, part['mean']):>16}   "
                f"[{format_difference(name, lo)}, {format_difference(name, hi)}]"
            )
        lines.append(f"  {'sum':<{width}} {format_difference(name, total['mean']):>16}")
    return "\n".join(lines)


def format_comparison(summary: dict) -> str:
    """Means per protocol, then each protocol against the first with 95% CIs, then a verdict."""
    from sim.metrics import KPI_GROUPS

    protocols = summary["protocols"]
    base = protocols[0]
    kpis = summary["kpis"]
    width = max(len(k) for k in kpis)
    col = max(14, *(len(p) + 2 for p in protocols))
    lines = [
        f"{'mean of ' + str(summary['reps']) + ' runs':<{width}}  "
        + "".join(f"{p:>{col}}" for p in protocols)
    ]
    for group, names in KPI_GROUPS.items():
        present = [n for n in names if n in kpis and kpis[n][base]["mean"] is not None]
        if not present:
            continue
        lines.append(group)
        for name in present:
            cells = "".join(
                f"{format_value(name, kpis[name][p]['mean']):>{col}}" for p in protocols
            )
            lines.append(f"  {name:<{width - 2}}  {cells}")
    for p in protocols[1:]:
        lines.append(f"\n{p} against {base} (paired difference, 95% confidence interval)")
        for name in HEADLINE:
            if name not in kpis:
                continue
            d = kpis[name]["diff"][p]
            if d["mean"] is None:
                continue
            lo, hi = d["ci"]
            lines.append(
                f"  {name:<{width - 2}}  {format_difference(name, d['mean']):>16}   "
                f"[{format_difference(name, lo)}, {format_difference(name, hi)}]"
            )
    lines += format_learned(summary, width, col)
    lines.append("")
    lines.append(verdict(summary))
    return "\n".join(lines)


def format_learned(summary: dict, width: int, col: int) -> list[str]:
    """What the functions learned, where they adapt: each knob's mean value at the end."""
    learned = summary.get("learned") or {}
    if not learned:
        return []
    protocols = summary["protocols"]
    width = max(width, *(len(name) + 2 for name in learned))
    lines = ["\nWhat the functions learned (value at the end of the run, mean)"]
    for name in sorted(learned):
        cells = "".join(
            f"{_knob(name, learned[name][p]['mean']) if p in learned[name] else '':>{col}}"
            for p in protocols
        )
        lines.append(f"  {name:<{width - 2}}  {cells}")
    return lines


def _knob(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if ".inflation." in name or ".promotion_uplift." in name:
        return f"{100 * value:+.1f}%"
    if name.endswith("_days.all") or "_days" in name:
        return f"{value:.1f} days"
    return f"{value:.3g}"


def verdict(summary: dict) -> str:
    """One short paragraph per protocol in dollars and service points."""
    protocols, base = summary["protocols"], summary["protocols"][0]
    kpis = summary["kpis"]
    out = []
    for p in protocols[1:]:
        profit, fill = kpis["operating_profit"]["diff"][p], kpis["fill_rate"]["diff"][p]
        inventory = kpis["avg_inventory_value"]["diff"][p]
        low, high = profit["ci"]
        sure = low is not None and (low > 0 or high < 0)
        certainty = "the 95% interval excludes zero" if sure else "not distinguishable from zero"
        direction = "more" if profit["mean"] >= 0 else "less"
        out.append(
            f"Verdict: {p} earns {format_value('operating_profit', abs(profit['mean']))} "
            f"{direction} operating profit than {base} over the run "
            f"({certainty}), "
            f"serves {100 * fill['mean']:+.1f} fill-rate points, and holds "
            f"{format_value('avg_inventory_value', abs(inventory['mean']))} "
            f"{'more' if inventory['mean'] >= 0 else 'less'} inventory on average."
        )
    return "\n".join(out)


LISTED_FAILURES = 10  # failures named one by one; the rest are counted


@main.command()
@click.argument("study_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Results directory (default: results/<study name>).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes (local), or workers of the local Dask cluster.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: a process pool on this machine; dask: Dask distributed.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: start a local cluster).",
)
@click.option(
    "--shard",
    metavar="i/N",
    help="Run only slice i of N (for HPC array jobs); shards 1/N..N/N together run every job.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the study in --out, running only unfinished jobs (a rerun does this too).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: only on a terminal).",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key of the study file (repeatable), checked like the file: "
    "--set replications=2 --set days=120 for a smoke run.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the jobs and an estimate of the time (from a few jobs run here); write nothing.",
)
def study(
    study_file: Path,
    out: Path | None,
    jobs: int,
    engine: str,
    scheduler: str | None,
    shard: str | None,
    resume: bool,
    progress: bool | None,
    assignments: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Run the study in FILE: every point × protocol × scenario × replication as one job.

    Each finished job is saved at once in its own file, so a stopped study continues where it
    stopped when run again; `oneplan results DIR` then tabulates it.
    """
    from experiments.engines import make_engine
    from experiments.store import CorruptManifest, Store
    from experiments.study import Shard, load_study, pending, run_sequential, run_study
    from sim.config import ConfigError

    try:
        plan = load_study(study_file, assignments)
    except ConfigError as error:
        _exit_with(error)
    try:
        slice_ = Shard.parse(shard) if shard is not None else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--shard") from None
    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if slice_ is not None and plan.sequential is not None:
        raise click.UsageError(
            "a sequential study decides when to stop from all its results; run it unsharded "
            "(or give replications a number)"
        )
    if dry_run:
        click.echo(_dry_run(plan, jobs))
        return
    if out is None:
        # A study changed by --set is another study: its results go beside the full one's.
        suffix = "-" + hashlib.sha256("\n".join(assignments).encode()).hexdigest()[:8]
        out = Path("results") / (plan.name + (suffix if assignments else ""))
    _output_directory(out, "--out")
    store = Store(out)
    if store.exists():
        try:
            previous = store.read_manifest()["study"]["name"]
        except (CorruptManifest, KeyError, TypeError) as error:
            # The job files name their own keys, so the results kept do not depend on it.
            moved = store.set_aside_manifest()
            click.echo(f"{error}; set aside as {moved} and written again", err=True)
            previous = plan.name
        if previous != plan.name:
            raise click.UsageError(
                f"{out} holds the results of study '{previous}'; choose another --out"
            )
    elif resume:
        raise click.UsageError(f"nothing to resume: {out} holds no study (no manifest.json)")
    corrupt = store.corrupt()
    if corrupt:
        click.echo(
            f"{len(corrupt)} files in {out} cannot be trusted; they are set aside in "
            f"{store.corrupt_dir} and their jobs run again:",
            err=True,
        )
        for item in corrupt[:LISTED_FAILURES]:
            click.echo(f"  {item}", err=True)
        if len(corrupt) > LISTED_FAILURES:
            click.echo(f"  ... and {len(corrupt) - LISTED_FAILURES} more", err=True)
    runner = make_engine(engine, jobs, scheduler)
    selected, todo = pending(plan, store, slice_)
    horizons = sorted({c.horizon_days for c in plan.configs.values()})
    warmups = sorted({c.warmup_days for c in plan.configs.values()})
    days = f"{horizons[0]} days" if len(horizons) == 1 else "horizons vary"
    if warmups != [0]:
        days += f", {warmups[0]}-day warm-up" if len(warmups) == 1 else ", warm-ups vary"
    click.echo(f"{plan.name}: {plan.size()} (root seed {plan.seed}, {days})")
    scope = f"shard {slice_}: {len(selected)} jobs" if slice_ else f"{len(selected)} jobs"
    click.echo(
        f"{out}: {scope}, {len(selected) - len(todo)} done already; "
        f"running {len(todo)} {runner.describe()}"
    )
    try:
        if plan.sequential is not None:
            rule = plan.sequential

            def told(count: int, half: float, where: str) -> None:
                click.echo(
                    f"  {count} replications: widest 95% CI half-width of {rule.until.kpi} "
                    f"{half:,.4g} ({where}); target {rule.until.half_width:,.4g}"
                )

            click.echo(
                f"sequential: from {rule.min} replications, {rule.batch} more at a time, at "
                f"most {rule.max}, until {rule.until.kpi}'s CI half-width <= "
                f"{rule.until.half_width:,.4g} in every cell"
            )
            plan, batches = run_sequential(plan, out, runner, progress, told)
            summary = _combined(batches)
            click.echo(f"stopped: {plan.stopped['why']}")
        else:
            summary = run_study(plan, out, runner, slice_, progress)
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: finished jobs are saved in {out}; continue with "
            f"`oneplan study {study_file} --out {out} --resume`",
            err=True,
        )
        sys.exit(130)
    rate = summary.ran / summary.seconds if summary.seconds > 0 else 0.0
    click.echo(
        f"ran {summary.ran} jobs in {summary.seconds:.1f} s ({rate:.2f} jobs/s); "
        f"{len(summary.failures)} failed"
    )
    if summary.busy or summary.done_elsewhere:
        click.echo(
            f"{len(summary.busy)} jobs were being run by another process and "
            f"{summary.done_elsewhere} were finished by one meanwhile (each job runs once)"
        )
    if summary.failures:
        click.echo(f"\n{len(summary.failures)} jobs failed (the others ran; a rerun retries them):")
        rows = [(f.job.index, f.job.describe(), f.error, f.record) for f in summary.failures]
        click.echo("\n".join(_failure_lines(rows, out)))
        sys.exit(1)
    keys = {j.key for j in plan.jobs}  # a point a sampled design drew twice is one job
    finished = len(store.done() & keys)
    if finished == len(keys):
        click.echo(f"all {len(keys)} jobs done; tabulate them with: oneplan results {out}")
    else:
        click.echo(f"{finished} of {len(keys)} jobs of the study done in {out}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write results.parquet and results.csv (default: DIRECTORY).",
)
@click.option(
    "--kpi",
    "kpi_names",
    multiple=True,
    metavar="NAME",
    help="KPIs to print (repeatable; default: those the study kept, or the headline ones).",
)
@click.option(
    "--table",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the tidy table to this file (.csv, .parquet or .xlsx, by the extension).",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="Rank the factors of a sampled design by global sensitivity (Sobol indices, Morris "
    "mu* and sigma, or delta for a Latin hypercube), with 95% CIs.",
)
@click.option(
    "--plot",
    is_flag=True,
    help="Draw the results into --out (default: DIRECTORY): main effects, interactions, "
    "paired differences and, with --sensitivity, the ranked indices.",
)
@click.option(
    "--export",
    type=click.Choice(["ema"]),
    help="Also write the results in EMA Workbench's layout (ema_results.tar.gz: experiments "
    "and outcomes, loaded by ema_workbench.load_results).",
)
@FORMAT_OPTION
def results(
    directory: Path,
    out: Path | None,
    kpi_names: tuple[str, ...],
    table: Path | None,
    sensitivity: bool,
    plot: bool,
    export: str | None,
    fmt: str,
) -> None:
    """Collect the jobs of the study in DIRECTORY into one tidy table (Parquet and CSV) and print
    means with 95% CIs per cell, paired differences between protocols, the main effects, two-way
    interactions and the factors that change nothing; a sampled design's global sensitivity."""
    from experiments.results import load_results
    from experiments.store import CorruptManifest

    try:
        found = load_results(directory)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None
    except CorruptManifest as error:
        raise click.UsageError(
            f"{error}; run the study again with --out {directory} to write it anew"
        ) from None
    if out is not None:
        _output_directory(out, "--out")
    from sim.timeseries import TIMESERIES_FORMATS, timeseries_bytes

    table_path = _output(table, "--table", TIMESERIES_FORMATS)
    unknown = [k for k in kpi_names if k not in found.kpis]
    if unknown:
        raise click.BadParameter(
            f"not in the results: {', '.join(unknown)}; kept: {', '.join(found.kpis)}",
            param_hint="--kpi",
        )
    shown = list(kpi_names) or (
        found.kpis
        if found.manifest["keep"]["kpis"] != "all"
        else [k for k in HEADLINE if k in found.kpis] or found.kpis
    )
    try:
        written = found.write(out)
    except OSError as error:
        click.echo(f"could not write the tables: {error.strerror or error}", err=True)
        sys.exit(1)
    if table_path is not None:
        try:
            data = timeseries_bytes(found.table, table_path.suffix.lower(), sheet="results")
        except ValueError as error:
            raise click.UsageError(f"--table {table}: {error}") from None
        _write(table_path, data, table)
        written = [*written, table]
    indices = None
    if sensitivity:
        try:
            indices = found.sensitivity(shown)
        except ValueError as error:
            raise click.UsageError(f"--sensitivity: {error}") from None
    if export == "ema":
        from experiments.results import write_ema

        written = [*written, write_ema(found, out or directory)]
    if plot and len(found.table):
        from experiments.figures.study import plot_study

        written = [*written, *plot_study(found, shown, out or directory, indices)]
    if fmt == "json":
        payload = found.summary(shown) | {"files": [str(p) for p in written]}
        if indices is not None:
            payload["sensitivity"] = _records_of(indices)
        click.echo(json.dumps(payload, indent=2, default=_plain_json))
        return
    click.echo(format_study_results(found, shown, written, indices))


def _records_of(frame) -> list[dict]:
    from experiments.results import _records

    return _records(frame)


def _combined(batches):
    """One summary of a sequential study's batches."""
    from dataclasses import replace

    last = batches[-1]
    return replace(
        last,
        already_done=sum(b.already_done for b in batches[:1]),
        ran=sum(b.ran for b in batches),
        failures=tuple(f for b in batches for f in b.failures),
        seconds=sum(b.seconds for b in batches),
        busy=tuple(j for b in batches for j in b.busy),
        done_elsewhere=sum(b.done_elsewhere for b in batches),
    )


DRY_RUN_SAMPLES = 3
"""Jobs a dry run times (one per distinct protocol first: they differ most in cost)."""


def _dry_run(plan, workers: int) -> str:
    """What a study would run and about how long it would take on ``workers`` workers."""
    import time

    from experiments.study import run_job

    by_protocol = {}
    for job in plan.jobs:
        by_protocol.setdefault(job.protocol, job)
    sample = list(by_protocol.values())[:DRY_RUN_SAMPLES]
    seconds = []
    for job in sample:
        start = time.perf_counter()
        run_job(job)
        seconds.append(time.perf_counter() - start)
    share = {}
    for job in plan.jobs:
        share[job.protocol] = share.get(job.protocol, 0) + 1
    timed = dict(zip(by_protocol, seconds, strict=False))
    mean = sum(seconds) / len(seconds)
    total = sum(n * timed.get(p, mean) for p, n in share.items())
    wall = total / max(1, workers)
    lines = [
        f"{plan.name}: {plan.size()}",
        f"timed {len(sample)} jobs here: "
        + ", ".join(f"{p or 'run'} {t:.2f} s" for p, t in timed.items()),
        f"estimate: {_duration(total)} of work, about {_duration(wall)} on {workers} "
        f"worker{'s' if workers != 1 else ''} (nothing was written)",
    ]
    if plan.sequential is not None:
        rule = plan.sequential
        most = len(plan.jobs) // plan.replications * rule.max
        lines.append(
            f"sequential: {len(plan.jobs)} jobs at {rule.min} replications, up to {most} at "
            f"{rule.max} (about {_duration(most * total / len(plan.jobs) / max(1, workers))})"
        )
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _plain_json(value):
    """numpy scalars in tables become plain JSON numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _sampled_lines(found, kpis: list[str]) -> list[str]:
    """A sampled design's results: each protocol over all its points, and the distribution
    of the paired differences point by point."""
    points = len(found.design.get("unit", []))
    lines = [
        f"\nA {found.design['method'].replace('_', ' ')} design of {points} points: means over "
        "every point and replication (--sensitivity ranks the factors)"
    ]
    from experiments.results import cell_means

    cells = cell_means(found.table, kpis, ["scenario", "protocol"])
    for kpi in kpis:
        lines.append(f"\n{kpi}")
        lines += _grid(
            cells[cells.kpi == kpi],
            ["scenario"],
            lambda r, k=kpi: f"{format_value(k, r['mean'])} ± {_spread(k, r)}",
        )
    diffs = found.paired_differences(kpis)
    if len(diffs):
        base = diffs["baseline"].iloc[0]
        lines.append(
            f"\nPaired differences from {base} point by point (mean over the replications): "
            "mean over the points, 10th–90th percentile, share of points above zero"
        )
        for (scenario, protocol, kpi), group in diffs.groupby(
            ["scenario", "protocol", "kpi"], sort=False
        ):
            d = group["mean"].astype(float)
            lines.append(
                f"  {kpi:<28} {protocol} − {base}"
                + (f" ({scenario})" if found.table["scenario"].nunique() > 1 else "")
                + f": {format_difference(kpi, d.mean())} "
                f"[{format_difference(kpi, d.quantile(0.1))} to "
                f"{format_difference(kpi, d.quantile(0.9))}], {100 * (d > 0).mean():.0f}% above 0"
            )
    return lines


def _sensitivity_lines(table) -> list[str]:
    """The ranked table of sensitivity indices, per KPI, scenario and output."""
    ranked_by = table.attrs.get("ranked_by", "")
    measures = list(dict.fromkeys(table["measure"]))
    lines = [
        f"\nGlobal sensitivity (ranked by {ranked_by}; ± 95% CI half-width; per factor's whole "
        "range)"
    ]
    for (kpi, scenario, output), group in table.groupby(["kpi", "scenario", "output"], sort=False):
        lines.append(
            f"\n{kpi}, {output}" + (f", scenario {scenario}" if scenario != "base" else "")
        )
        wide = group.pivot_table(
            index=["rank", "factor"],
            columns="measure",
            values=["value", "half_width"],
            aggfunc="first",
        ).sort_index()
        width = max(len(f) for f in group["factor"])
        header = "".join(f"{m:>20}" for m in measures)
        lines.append(f"  {'#':>2}  {'factor':<{width}}{header}")
        for (rank, factor), row in wide.iterrows():
            cells = []
            for m in measures:
                value, half = row[("value", m)], row[("half_width", m)]
                spread = "" if math.isnan(half) else f" ± {half:.3g}"
                cells.append(f"{f'{value:.3g}{spread}':>20}")
            lines.append(f"  {rank:>2}  {factor:<{width}}" + "".join(cells))
    return lines


def _interaction_lines(table, reps: int) -> list[str]:
    """Two-way interactions whose CI excludes zero (the others are listed by count)."""
    if not len(table):
        return []
    sure = table[(table.ci_low > 0) | (table.ci_high < 0)]
    lines = [
        "\nTwo-way interactions, between the extreme levels of each pair: (high, high) − "
        "(low, high) − (high, low) + (low, low), paired by seed; "
        f"{len(sure)} of {len(table)} exclude zero"
    ]
    for r in sure.itertuples():
        where = f" ({r.scenario})" if r.scenario != "base" else ""
        lines.append(
            f"  {r.kpi}: {r.factor} {r.low} → {r.high} × {r.by} {r.by_low} → {r.by_high}"
            f"{where}: {_difference(r.kpi, r._asdict())}"
        )
    return lines


def _inert_lines(table, kpis: list[str]) -> list[str]:
    """A warning for every factor that changes no KPI beyond noise under a protocol."""
    inert = table[table.inert]
    if not len(inert):
        return []
    lines = [f"\nInert factors: no KPI shown ({', '.join(kpis)}) moves beyond noise (p ≥ 0.05)"]
    for factor, group in inert.groupby("factor", sort=False):
        protocols = [str(p) for p in group["protocol"] if p is not None and p == p]
        where = f" under {', '.join(protocols)}" if protocols else ""
        lines.append(f"  warning: {factor} changes nothing{where}")
    return lines


def _warmup_lines(found) -> list[str]:
    """What the study's KPIs leave out of each run: nothing, a warm-up, or warm-ups by point."""
    warmups = sorted({c.get("warmup_days", 0) for c in found.manifest["configs"].values()})
    if warmups == [0]:
        return []
    if len(warmups) == 1:
        return [f"KPIs measured after a {warmups[0]}-day warm-up of every run"]
    return [f"KPIs measured after warm-ups of {', '.join(map(str, warmups))} days, by point"]


def format_study_results(found, kpis: list[str], written: list[Path], sensitivity=None) -> str:
    """Counts, then per KPI: cell means ± 95% CI, paired differences, then main effects."""
    distinct = len({job["key"] for job in found.manifest["jobs"]})
    lines = [
        f"{found.name}: {len(found.table)} of {found.jobs} jobs finished, "
        f"{len(found.failures)} failed, {len(found.missing)} not run yet"
        + (f" ({len(found.corrupt)} of them with corrupt files)" if found.corrupt else "")
        # A sampled design may draw a point twice: it is run once and counted at both places.
        + (f"; {distinct} distinct runs" if distinct < found.jobs else ""),
        *_warmup_lines(found),
        "tables written to " + ", ".join(str(p) for p in written),
    ]
    sampled = found.design["method"] not in ("full_factorial", "points")
    if len(found.table) and sampled:
        lines += _sampled_lines(found, kpis)
    if len(found.table) and sensitivity is not None:
        lines += _sensitivity_lines(sensitivity)
    if len(found.table) and not sampled:
        cells = found.cell_means(kpis)
        diffs = found.paired_differences(kpis)
        labels = [*found.factors]
        if found.table["scenario"].nunique() > 1:
            labels.append("scenario")
        reps = len(found.manifest["replication_seeds"])
        lines.append(
            "\nMeans ± 95% CI half-width, per cell (rows) and protocol (columns); "
            f"(n=...) where fewer than {reps} replications finished"
        )
        for kpi in kpis:
            frame = cells[cells.kpi == kpi]
            lines.append(f"\n{kpi}")
            lines += _grid(
                frame,
                labels,
                lambda r, k=kpi: f"{format_value(k, r['mean'])} ± {_spread(k, r)}{_n(r, reps)}",
            )
        if len(diffs):
            base = diffs["baseline"].iloc[0]
            lines.append(
                f"\nPaired differences from {base} (same replication seeds): mean ± 95% CI "
                "half-width; * when the interval excludes zero"
            )
            for kpi in kpis:
                frame = diffs[diffs.kpi == kpi]
                lines.append(f"\n{kpi}")
                lines += _grid(frame, labels, lambda r, k=kpi: _difference(k, r) + _n(r, reps))
        scenario_diffs = found.scenario_differences(kpis)
        if len(scenario_diffs):
            base = scenario_diffs["baseline"].iloc[0]
            lines.append(
                f"\nScenario minus {base}, per protocol (same replication seeds): mean ± 95% CI "
                "half-width; * when the interval excludes zero"
            )
            scenario_labels = [label for label in labels if label != "scenario"] + ["scenario"]
            for kpi in kpis:
                frame = scenario_diffs[scenario_diffs.kpi == kpi]
                lines.append(f"\n{kpi}")
                lines += _grid(
                    frame, scenario_labels, lambda r, k=kpi: _difference(k, r) + _n(r, reps)
                )
        interactions = found.interactions(kpis)
        if len(interactions):
            first = interactions["baseline"].iloc[0]
            lines.append(
                f"\nProtocol × scenario: what the scenario does under each protocol minus what "
                f"it does under {first} (paired by seed); * when the interval excludes zero"
            )
            scenario_labels = [label for label in labels if label != "scenario"] + ["scenario"]
            for kpi in kpis:
                frame = interactions[interactions.kpi == kpi]
                lines.append(f"\n{kpi}")
                lines += _grid(
                    frame, scenario_labels, lambda r, k=kpi: _difference(k, r) + _n(r, reps)
                )
        effects = found.effects(kpis)
        if len(effects):
            lines.append(
                "\nWhat moves each KPI most: share of its variance a factor explains alone "
                "(lowest → highest level mean)"
            )
            width = max(len(k) for k in kpis)
            for kpi in kpis:
                top = effects[effects.kpi == kpi].head(2)
                parts = [
                    f"{r.factor} {_percent(r.share_of_variance)} ({r.lowest_level} "
                    f"{format_value(kpi, r.lowest_mean)} → {r.highest_level} "
                    f"{format_value(kpi, r.highest_mean)})"
                    for r in top.itertuples()
                ]
                lines.append(f"  {kpi:<{width}}  " + "; ".join(parts))
        lines += _interaction_lines(found.factor_interactions(kpis), reps)
        lines += _inert_lines(found.inert(kpis), kpis)
    if found.failures:
        lines.append(f"\n{len(found.failures)} jobs failed:")
        rows = [(f["index"], _labels(f["labels"]), f["error"], f["record"]) for f in found.failures]
        lines += _failure_lines(rows, found.directory)
    if found.corrupt:
        lines.append(
            f"\n{len(found.corrupt)} files cannot be trusted and are left out (run the study "
            f"again with --out {found.directory} --resume: they are set aside and run again):"
        )
        lines += [f"  {item}" for item in found.corrupt[:LISTED_FAILURES]]
        if len(found.corrupt) > LISTED_FAILURES:
            lines.append(f"  ... and {len(found.corrupt) - LISTED_FAILURES} more")
    if found.missing:
        lines.append(
            f"\n{len(found.missing)} jobs not run yet: run the study again with "
            f"--out {found.directory} --resume"
        )
    return "\n".join(lines)


def _grid(frame, labels: list[str], cell) -> list[str]:
    """Rows: the cell labels; columns: protocols; entries: ``cell(row)``."""

    def column(protocol) -> str:  # a serial chain has no protocol
        return "-" if protocol is None or protocol != protocol else str(protocol)

    protocols = list(dict.fromkeys(column(p) for p in frame["protocol"]))
    rows: dict[tuple, dict] = {}
    for _, r in frame.iterrows():
        key = tuple(r[label] for label in labels)
        rows.setdefault(key, {})[column(r["protocol"])] = cell(r)
    header = [*labels, *protocols]
    body = [
        [*(str(v) for v in key), *(by.get(p, "") for p in protocols)] for key, by in rows.items()
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    n = len(labels)

    def line(row: list[str]) -> str:
        left = [f"{v:<{w}}" for v, w in zip(row[:n], widths[:n], strict=True)]
        right = [f"{v:>{w}}" for v, w in zip(row[n:], widths[n:], strict=True)]
        return "  " + "   ".join(left + right)

    return [line(header), *(line(row) for row in body)]


def _n(row, reps: int) -> str:
    return f" (n={row['n']})" if row["n"] < reps else ""


def _spread(name: str, row) -> str:
    """The half-width of a CI in the KPI's units (n/a with fewer than two replications)."""
    from sim.metrics import kpi_unit

    if math.isnan(row["ci_high"]):
        return "n/a"
    half = row["ci_high"] - row["mean"]
    if kpi_unit(name) == "share":
        return f"{100 * half:.1f} pts"
    return format_value(name, half)


def _difference(name: str, row) -> str:
    sure = not math.isnan(row["ci_low"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)
    return f"{format_difference(name, row['mean'])} ± {_spread(name, row)}{' *' if sure else '  '}"


def _percent(share: float) -> str:
    return "n/a" if math.isnan(share) else f"{100 * share:.0f}%"


def _labels(labels: dict) -> str:
    parts = [f"{path}={value}" for path, value in labels["factors"].items()]
    if labels.get("protocol"):
        parts.append(labels["protocol"])
    parts.append(f"scenario {labels['scenario']}, replication {labels['replication']}")
    return ", ".join(parts)


def _protocols(text: str, least: int) -> list[str]:
    """The protocols of a ``--protocols`` list, each known and listed once."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in PROTOCOL_NAMES]
    if unknown or len(names) < least:
        many = "one or more" if least == 1 else "two or more"
        raise click.BadParameter(
            f"give {many} of {', '.join(PROTOCOL_NAMES)} (got {text!r})",
            param_hint="--protocols",
        )
    twice = sorted({p for p in names if names.count(p) > 1})
    if twice:
        # A protocol listed twice would count its replications twice: a falsely narrow CI.
        raise click.BadParameter(
            f"list each protocol once ({', '.join(twice)} is listed more than once)",
            param_hint="--protocols",
        )
    return names


@main.command()
@CONFIG_ARGUMENT
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    required=True,
    metavar="NAME|KIND:KEY=VALUE,...",
    help="The what-if (repeatable, they compose): a named scenario of configs/scenarios/, a "
    "scenario file, or inline, e.g. demand_surge:pct=20,start_week=6.",
)
@click.option(
    "--protocols",
    default="silo,sop",
    show_default=True,
    help="Comma-separated protocols, each run with and without the scenario.",
)
@reps_option(10)
@REPLICATION_SEED_OPTION
@JOBS_OPTION
@click.option(
    "--service-target",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.95,
    show_default=True,
    help="Fill rate below which service counts as fallen (4-week average).",
)
@DAYS_OPTION
@SET_OPTION
@FORMAT_OPTION
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw service, plant load, expediting and cash with and without the scenario, per "
    "protocol, scenario events and first constraints marked (.png, .svg or .pdf).",
)
def whatif(
    config: Path,
    scenarios: tuple[str, ...],
    protocols: str,
    reps: int,
    seed: int | None,
    jobs: int,
    service_target: float,
    days: int | None,
    overrides: tuple[str, ...],
    fmt: str,
    plot: Path | None,
) -> None:
    """What if SCENARIO happened to CONFIG? Paired runs with and without it on common random
    numbers, per protocol: the findings in time order, the warning each protocol had, and the
    impact in dollars with 95% confidence intervals."""
    from experiments.figures.style import PLOT_FORMATS
    from experiments.whatif import format_whatif
    from experiments.whatif import whatif as run_whatif

    names = _protocols(protocols, least=1)
    base = _load(config, overrides, days=days)
    if base.kind != "company":
        raise click.UsageError("whatif works on companies, not on serial chains")
    scenario = _load(config, overrides, days=days, scenarios=scenarios, warn=False)
    for name in names:
        _load(config, overrides, protocol=name, days=days, warn=False, scenarios=scenarios)
    plot_path = _output(plot, "--plot", PLOT_FORMATS)
    root = base.seed if seed is None else seed
    result = run_whatif(
        base, scenario, names, reps, root, jobs, labels=scenarios, service_target=service_target
    )
    if plot is not None:
        from experiments.figures.whatif import plot_whatif

        try:
            plot_whatif(result, plot_path)
        except OSError as error:
            click.echo(f"could not write {plot}: {error.strerror or error}", err=True)
            sys.exit(1)
    if fmt == "json":
        click.echo(json.dumps(result.summary(), indent=2))
        return
    click.echo(format_whatif(result, base))
    if plot is not None:
        click.echo(f"\npicture written to {plot}")


@main.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write (one self-contained page).",
)
@click.option("--pdf", is_flag=True, help="Print the page to a PDF beside it (headless Chromium).")
@click.option(
    "--protocols",
    default="silo,sop",
    show_default=True,
    help="Protocols to compare, from a config (the last is measured against the first).",
)
@reps_option(10)
@REPLICATION_SEED_OPTION
@JOBS_OPTION
@click.option(
    "--attribution/--no-attribution",
    default=True,
    show_default=True,
    help="Split the value by the protocol's pieces (Shapley; runs a run per coalition).",
)
@DAYS_OPTION
@SET_OPTION
@SCENARIO_OPTION
def report(
    source: Path,
    out: Path,
    pdf: bool,
    protocols: str,
    reps: int,
    seed: int | None,
    jobs: int,
    attribution: bool,
    days: int | None,
    overrides: tuple[str, ...],
    scenarios: tuple[str, ...],
) -> None:
    """Write the "value of S&OP" report of SOURCE: a company config (the comparison is run),
    a saved comparison (compare --format json) or a study's directory."""
    from experiments import report as reporting

    out_path = _output(out, "--out", (".html",))
    pdf_path = out_path.with_suffix(".pdf") if pdf else None
    if pdf and reporting.chromium() is None:
        raise click.UsageError(
            "--pdf prints with Chromium, which is not installed (on Debian: apt-get install "
            "chromium)"
        )
    command = "oneplan " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["report"] else ""
    if source.is_dir():
        try:
            data = reporting.from_study(source, command or f"oneplan report {source}")
        except (FileNotFoundError, ValueError) as error:
            raise click.UsageError(str(error)) from None
    elif source.suffix == ".json":
        try:
            data = reporting.from_comparison(source, command or f"oneplan report {source}")
        except (ValueError, json.JSONDecodeError) as error:
            raise click.UsageError(f"{source}: {error}") from None
    else:
        names = _protocols(protocols, least=1)
        base = _load(source, overrides, days=days)
        if base.kind != "company":
            raise click.UsageError("a report is of a company, not of a serial chain")
        for name in names:
            _load(source, overrides, protocol=name, days=days, warn=False)
        scenario = (
            _load(source, overrides, days=days, warn=False, scenarios=scenarios)
            if scenarios
            else None
        )
        root = base.seed if seed is None else seed
        command = command or (
            f"oneplan report {source} --protocols {','.join(names)} --reps {reps} --seed {root}"
        )
        data = reporting.from_config(
            base,
            str(source),
            command,
            names,
            reps,
            root,
            jobs,
            attribution=attribution and len(names) > 1,
            scenario=scenario,
            labels=scenarios,
        )
    _write(out_path, reporting.render(data).encode("utf-8"), out)
    click.echo(f"report written to {out}")
    if pdf_path is not None:
        try:
            reporting.to_pdf(out_path, pdf_path)
        except (RuntimeError, OSError) as error:
            click.echo(f"could not print {pdf_path}: {error}", err=True)
            sys.exit(1)
        click.echo(f"PDF written to {pdf_path}")


@main.command()
@click.argument(
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("configs/baseline.yaml"),
    required=False,
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (give this machine's address to let participants' browsers in).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--beer-game",
    "beer_game",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("configs/games/beer_game.yaml"),
    show_default=True,
    help="The serial chain of the warm-up rooms (the Beer Game).",
)
@SET_OPTION
def workshop(
    config: Path, host: str, port: int, beer_game: Path, overrides: tuple[str, ...]
) -> None:
    """Start the workshop: the watch page (silo and S&OP side by side on the same demand,
    stepped week by week, scenarios fired from the page) and play rooms (the facilitator's
    console creates a room; participants join with its code and play the functions).
    Everything it serves is local."""
    import uvicorn

    from experiments.workshop.app import addresses, create_app

    loaded = _load(config, overrides)
    if loaded.kind != "company":
        raise click.UsageError("a workshop runs a company, not a serial chain")
    chain = _load(beer_game, ())
    if chain.kind != "serial_chain":
        raise click.UsageError(f"{beer_game} is not a serial chain (the Beer Game is one)")
    app = create_app(loaded, chain)
    base = addresses(host, port)
    click.echo(f"oneplan workshop (Ctrl-C to stop)\n  watch:   {base[0]}/")
    click.echo(f"  console: {base[0]}/console  (create a game; its code is shown there)")
    for url in base:
        click.echo(f"  join:    {url}/join")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )


@main.command()
@CONFIG_ARGUMENT
@DAYS_OPTION
@SET_OPTION
def budget(config: Path, days: int | None, overrides: tuple[str, ...]) -> None:
    """Print CONFIG's annual operating plan (YAML, to paste under its `budget:` key): the one it
    states, or the one IBP derives from a first-year run when it states none."""
    import yaml

    from agents.budget import budget_for

    loaded = _load(config, overrides, days=days)
    if loaded.kind != "company":
        raise click.UsageError("a serial chain has no budget; budgets are for companies")
    plan = budget_for(loaded)
    where = "stated in the config" if loaded.budget is not None else "derived from a first-year run"
    click.echo(f"# {loaded.name}: the annual operating plan, {where}")
    click.echo(yaml.safe_dump({"budget": plan.model_dump(mode="json")}, sort_keys=False), nl=False)


@main.command()
@CONFIG_ARGUMENT
@click.option(
    "--month",
    type=click.IntRange(0, 100_000 // 28),
    default=12,
    show_default=True,
    help="The month whose IBP meeting to show (0 = the run's first January).",
)
@click.option("--seed", type=SEED_TYPE, help="Root seed (default: the config's).")
@DAYS_OPTION
@SET_OPTION
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the plan in dollars against budget and books over the run (.png, .svg, .pdf).",
)
def ibp(
    config: Path,
    month: int,
    seed: int | None,
    days: int | None,
    overrides: tuple[str, ...],
    plot: Path | None,
) -> None:
    """Run CONFIG under IBP and show one month's meeting: the plan in dollars against the
    budget, the gap and the decisions that close it, and last month's plan against the books."""
    from experiments.figures.plan import plot_plan_in_dollars
    from experiments.figures.style import PLOT_FORMATS
    from experiments.run import simulate

    loaded = _load(config, overrides, protocol="ibp", days=days)
    plot_path = _output(plot, "--plot", PLOT_FORMATS)
    result = simulate(loaded, seed=seed)
    entries = [e for e in _decision_log(result.outcome) if e["kind"] == "sop_cycle" and "ibp" in e]
    if not entries:
        raise click.UsageError(
            "no IBP meeting was held: the protocol's pieces (protocol_options) leave out "
            "the supply review or the financial reconciliation"
        )
    found = [e for e in entries if e["month"] == month]
    if not found:
        held = f"months {entries[0]['month']}..{entries[-1]['month']}" if entries else "none"
        raise click.UsageError(f"--month {month}: no IBP meeting that month (held: {held})")
    click.echo(format_ibp_month(found[0], loaded.name))
    if plot is not None and plot_path is not None:
        try:
            plot_plan_in_dollars(result.outcome, plot_path)
        except OSError as error:
            click.echo(f"could not write {plot}: {error.strerror or error}", err=True)
            sys.exit(1)
        click.echo(f"\npicture written to {plot}")


def _money(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{'-' if x < 0 else ''}${abs(x) / 1e3:,.0f}k"


def _against(name: str, gap: float) -> str:
    """``gap`` (budget − plan) in words."""
    if name == "inventory":
        word = "under" if gap >= 0 else "over"
    else:
        word = "short of" if gap > 0 else "above"
    return f"{name} {_money(abs(gap))} {word} budget"


def format_ibp_month(entry: dict, name: str, months: int = 6) -> str:
    """One IBP meeting in words and a table (see ``oneplan ibp``)."""
    ibp = entry["ibp"]
    lines = [
        f"{name}: the IBP meeting of month {entry['month']} (day {entry['day']}), "
        f"{ibp['horizon_months']}-month horizon",
        "",
        f"The plan in dollars, first {months} months (projected / budget):",
    ]
    shown = ("revenue", "gross_margin", "operating_profit", "inventory", "cash")
    lines.append(f"  {'month':>5}" + "".join(f"{n:>26}" for n in shown))
    for row in ibp["months"][:months]:
        cells = "".join(
            f"{_money(row['projected'][n]) + ' / ' + _money(row['budget'].get(n)):>26}"
            for n in shown
        )
        lines.append(f"  {row['month']:>5}{cells}")
    gap = ibp["gap_to_budget"]
    if gap.get("months"):
        lines += [
            "",
            f"The plan against the budget over the {gap['months']} budgeted months of the horizon"
            " (flows summed, inventory on average, cash at the last month):",
            "  " + ", ".join(_against(n, gap[n]) for n in shown),
        ]
    lines += [
        "",
        "Decisions (what each adds against the budget over the horizon; inventory: saved):",
    ]
    for option in entry["options"]:
        closes = option.get("closes_gap", {})
        mark = "TAKEN   " if option["chosen"] else "declined"
        moves = ", ".join(f"{n} {_money(closes[n])}" for n in shown if closes.get(n))
        lines.append(f"  {mark} {option['description']}")
        risk = f", low decile {_money(option['score_p10'])}" if "score_p10" in option else ""
        lines.append(
            f"           score {_money(option['score'])}{risk}; {moves or 'moves nothing'}"
        )
    review = ibp.get("plan_vs_actual", {})
    if "actual" in review:
        lines += [
            "",
            f"Last month (month {review['month']}), projected at its start against the books:",
        ]
        lines.append(
            "  "
            + ", ".join(
                f"{n} {_money(review['projected'][n])} vs {_money(review['actual'][n])}"
                for n in ("revenue", "operating_profit", "cash")
            )
        )
    if "forecast_value_added_points" in review:
        fva = review["forecast_value_added_points"]
        lines.append(
            "  forecast value added (points of error removed): statistical baseline over naive "
            f"{fva['statistical_baseline']:+.1f}, Sales over baseline {fva['sales']:+.1f}, "
            f"consensus over baseline {fva['consensus']:+.1f}"
        )
    return "\n".join(lines)


@main.command()
def kpis() -> None:
    """Print every KPI with its definition and units (Markdown)."""
    from sim.metrics import kpi_reference

    click.echo(kpi_reference(), nl=False)


@main.command()
def schema() -> None:
    """Print the config reference: every section and key, with types and defaults (Markdown)."""
    from experiments.reference import config_reference

    click.echo(config_reference(), nl=False)


def _failure_lines(rows: list[tuple], directory: Path) -> list[str]:
    """The first failed jobs of a study (index, labels, error, record), and how many more."""
    lines = []
    for index, labels, error, record in rows[:LISTED_FAILURES]:
        lines += [f"  job {index}: {labels}", f"    {error}", f"    inputs and traceback: {record}"]
    if len(rows) > LISTED_FAILURES:
        lines.append(f"  ... and {len(rows) - LISTED_FAILURES} more in {directory / 'failures'}")
    return lines


def format_kpis(kpis: dict[str, float]) -> str:
    """KPIs grouped under headings, aligned, one per line."""
    from sim.metrics import KPI_GROUPS

    width = max(len(k) for k in kpis)
    lines: list[str] = []
    shown: set[str] = set()
    for group, names in KPI_GROUPS.items():
        present = [n for n in names if n in kpis]
        if not present:
            continue
        lines.append(f"\n{group}")
        for name in present:
            lines.append(f"  {name:<{width}}  {format_value(name, kpis[name]):>18}")
            shown.add(name)
    rest = [n for n in kpis if n not in shown]
    if rest:
        lines.append("\nBy stage")
        for name in rest:
            lines.append(f"  {name:<{width}}  {format_value(name, kpis[name]):>18}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
