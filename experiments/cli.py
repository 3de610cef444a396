"""The ``oneplan`` command line: validate a config, run it, print and save what happened."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from sim.config import ChainConfig, Config, ConfigError, load_config
from sim.metrics import KPI_GROUPS, kpi_unit

__all__ = ["main"]

CONFIG_ARGUMENT = click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
SET_OPTION = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a config value by dotted path (repeatable), e.g. --set horizon_days=730.",
)


def _load(path: Path, overrides: tuple[str, ...]) -> Config:
    """Load a config or exit 2 with one line per problem (no traceback)."""
    try:
        return load_config(path, overrides)
    except ConfigError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="oneplan")
def main() -> None:
    """oneplan: what is the one plan we are all committing to?

    Simulate a manufacturing company's supply chain and measure what planning is worth.
    """


@main.command()
@CONFIG_ARGUMENT
@SET_OPTION
def validate(config: Path, overrides: tuple[str, ...]) -> None:
    """Check CONFIG; exit 0 if it is valid, or 2 with every problem as file:line:col: path: why."""
    loaded = _load(config, overrides)
    click.echo(f"{config}: ok ({_describe(loaded)})")


def _describe(config: Config) -> str:
    if isinstance(config, ChainConfig):
        return f"serial chain of {len(config.stages)} stages, periods of {config.period_days} days"
    return (
        f"company: {len(config.products)} products, {len(config.components)} components, "
        f"{len(config.suppliers)} suppliers, {len(config.plant.lines)} lines"
    )


@main.command()
@CONFIG_ARGUMENT
@click.option("--seed", type=click.IntRange(min=0), help="Root seed (default: the config's).")
@click.option(
    "--days", type=click.IntRange(min=1), help="Days to simulate (default: the config's horizon)."
)
@SET_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--timeseries",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the daily time series here (.csv, or .parquet).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the run (PNG): a company's service, stock and money, a chain's orders per stage.",
)
def run(
    config: Path,
    seed: int | None,
    days: int | None,
    overrides: tuple[str, ...],
    fmt: str,
    timeseries: Path | None,
    plot: Path | None,
) -> None:
    """Simulate CONFIG once and print its KPIs."""
    from experiments.run import simulate
    from sim.timeseries import timeseries as make_timeseries
    from sim.timeseries import write_timeseries

    loaded = _load(config, overrides)
    result = simulate(loaded, seed=seed, days=days)
    horizon = days or loaded.horizon_days
    if timeseries is not None:
        timeseries.parent.mkdir(parents=True, exist_ok=True)
        write_timeseries(make_timeseries(result.outcome), timeseries)
    if plot is not None:
        _plot(result, plot)
    if fmt == "json":
        payload = {
            "config": str(config),
            "seed": result.seed,
            "days": horizon,
            "kpis": {k: (None if math.isnan(v) else v) for k, v in result.kpis.items()},
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"{loaded.name}: {_describe(loaded)}; seed {result.seed}, {horizon} days simulated")
    click.echo(format_kpis(result.kpis))
    if timeseries is not None:
        click.echo(f"\ntime series written to {timeseries}")
    if plot is not None:
        click.echo(f"picture written to {plot}")


def _plot(result, path: Path) -> None:
    from experiments.plots import plot_chain_orders, plot_company_run
    from sim.world import CompanyOutcome

    if isinstance(result.outcome, CompanyOutcome):
        plot_company_run(result.outcome, result.kpis, path)
    else:
        plot_chain_orders(result.outcome, path)


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


def format_value(name: str, value: float) -> str:
    """A KPI value as a person reads it: $1,234,567, 91.2%, 12.3 days."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    unit = kpi_unit(name)
    if unit == "money":
        return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "days":
        return f"{value:,.1f} days"
    if unit == "units":
        return f"{value:,.0f} units"
    if unit == "per_year":
        return f"{value:,.1f} / year"
    return f"{value:,.3f}"


def format_kpis(kpis: dict[str, float]) -> str:
    """KPIs grouped under headings, aligned, one per line."""
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
