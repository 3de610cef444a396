"""Daily (or per-period) time series of a run, as tidy tables: one row per period and entity.

Columns for every row: ``period`` (the day in a company; the period in a serial chain, whose
first day is ``day``), ``entity_kind`` (``product``, ``component`` or ``stage``) and ``entity``.
Then, where they apply (empty elsewhere):

- ``demand``: units the stock point was asked for (customer orders for a product or stage 0,
  downstream orders for an upstream stage, BOM needs of production for a component);
- ``orders_placed``: units it ordered (production ordered for a product, purchase orders for a
  component, replenishment orders for a stage);
- ``received``: units that arrived (production completed, shipments received);
- ``shipped``, ``shipped_on_time``, ``lost``, ``backlog`` (end of period), ``on_hand`` (end of
  period), ``production`` (units started, products), ``short`` (components production
  lacked, for what the lines could have made), ``in_transit`` (components; for a
  stage, the goods shipped to it and not yet received), ``supply_line`` (stages).

A company also gets, per day, one row per production line (``entity_kind = line``: units made
as ``production``, of them ``overtime_used``, and the line's regular ``capacity`` and
``overtime_capacity``), per supplier (``supplier``: units ordered from it as
``orders_placed``, ``dispatched``, ``received``, ``late_unit_days`` of what arrived after its
quote, whether it was ``shipping``, and the weekly ``capacity`` it can make (in the week
of the day, scenarios included) and
``reserved_capacity`` reserved from it, summed over the components it sells under a limit)
and per transport mode (``mode``: units ``dispatched`` by it and their ``freight``); one row
per day and account (``entity_kind = account``) with its end-of-day ``balance``; and, under
IBP, one row per meeting, month of its horizon and line of the plan in dollars
(``entity_kind = projection``, ``entity`` the line: ``revenue``, ``gross_margin``,
``operating_profit``, ``inventory``, ``cash``…; ``period`` the month's first day) with the
meeting's day (``cycle_day``), the ``month`` (0 = the run's first January), the ``projected``
amount, the ``budget`` and, for months the run has closed, the ``actual`` from the books (flows
over the month, balances at its close).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim import ledger as rec
from sim.chain import ChainOutcome
from sim.ledger import Account
from sim.statements import books_statements, month_starts
from sim.world import CompanyOutcome

__all__ = ["TIMESERIES_FORMATS", "timeseries", "timeseries_bytes", "write_timeseries"]


def _long(kind: str, names: tuple[str, ...], columns: dict[str, np.ndarray]) -> pd.DataFrame:
    periods, n = next(iter(columns.values())).shape
    frame = pd.DataFrame(
        {
            "period": np.repeat(np.arange(periods), n),
            "entity_kind": kind,
            "entity": np.tile(np.array(names, dtype=object), periods),
        }
    )
    for column, values in columns.items():
        frame[column] = values.reshape(-1)
    return frame


def _company(o: CompanyOutcome) -> pd.DataFrame:
    H = o.days
    P, C = len(o.topology.products), len(o.topology.components)
    shipped, on_time, lost = np.zeros((H, P)), np.zeros((H, P)), np.zeros((H, P))
    started, completed, ordered = np.zeros((H, P)), np.zeros((H, P)), np.zeros((H, P))
    bought, arrived = np.zeros((H, C)), np.zeros((H, C))
    S, M = len(o.topology.suppliers), len(o.topology.modes)
    ordered_from, dispatched_by = np.zeros((H, S)), np.zeros((H, S))
    by_mode = np.zeros((H, M))
    reserved = np.zeros((H, S))
    for f in o.ledger.facts:
        match f:
            case rec.OrderShipped():
                shipped[f.day, f.product] += f.quantity
                if f.day == f.order_day:
                    on_time[f.day, f.product] += f.quantity
            case rec.SaleLost():
                lost[f.day, f.product] += f.quantity
            case rec.ProductionStarted():
                started[f.day, f.product] += f.quantity
            case rec.ProductionCompleted():
                completed[f.day, f.product] += f.quantity
            case rec.ProductionOrdered():
                ordered[f.day, f.product] += f.quantity
            case rec.PurchaseOrderPlaced():
                bought[f.day, f.component] += f.quantity
                ordered_from[f.day, f.supplier] += f.quantity
            case rec.ShipmentDispatched():
                dispatched_by[f.day, f.supplier] += f.quantity
                by_mode[f.day, f.mode] += f.quantity
            case rec.ShipmentReceived():
                arrived[f.day, f.component] += f.quantity
            case rec.CapacityReserved():
                reserved[f.start_day : min(f.end_day, H), f.supplier] += f.extra_per_week
    d = o.daily
    products = _long(
        "product",
        o.topology.products,
        {
            "demand": o.demand,
            "orders_placed": ordered,
            "received": completed,
            "shipped": shipped,
            "shipped_on_time": on_time,
            "lost": lost,
            "backlog": d["backlog"],
            "on_hand": d["finished_on_hand"],
            "production": started,
        },
    )
    components = _long(
        "component",
        o.topology.components,
        {
            "demand": o.consumption,
            "orders_placed": bought,
            "received": arrived,
            "on_hand": d["component_on_hand"],
            "in_transit": d["component_in_transit"],
            "short": d["component_short"],
        },
    )
    lines = _long(
        "line",
        o.topology.lines,
        {
            "production": d["line_regular_used"] + d["line_overtime_used"],
            "overtime_used": d["line_overtime_used"],
            "capacity": d["line_capacity"],
            "overtime_capacity": d["line_overtime_capacity"],
        },
    )
    # The week's capacity of each supplier (scenarios included), summed over the components
    # it sells under a limit; nan for a supplier with none.
    weekly = o.weekly["supplier_capacity"][np.arange(H) // 7]  # [day, S, C]
    limited = np.where(np.isfinite(weekly), weekly, 0.0).sum(axis=2)
    limited = np.where(np.isfinite(weekly).any(axis=2), limited, np.nan)
    suppliers = _long(
        "supplier",
        o.topology.suppliers,
        {
            "orders_placed": ordered_from,
            "dispatched": dispatched_by,
            "received": d["supplier_received"],
            "late_unit_days": d["supplier_late_unit_days"],
            "shipping": _shipping(o).astype(float),
            "capacity": limited,
            "reserved_capacity": reserved,
        },
    )
    cost = np.array([m.cost_per_unit for m in o.config.transport_modes.values()], dtype=float)
    modes = _long("mode", o.topology.modes, {"dispatched": by_mode, "freight": by_mode * cost})
    accounts = _long("account", tuple(a.name.lower() for a in Account), {"balance": d["balances"]})
    parts = [products, components, lines, suppliers, modes, accounts, _projections(o)]
    return pd.concat(parts, ignore_index=True)


def _shipping(o: CompanyOutcome) -> np.ndarray:
    """Per day and supplier: False on the days a failure scenario stops it shipping at all."""
    shipping = np.ones((o.days, len(o.topology.suppliers)), dtype=bool)
    for scenario in o.config.scenarios:
        if scenario.kind == "supplier_failure" and scenario.capacity_fraction == 0:
            s = o.topology.suppliers.index(scenario.supplier)
            shipping[scenario.days(o.days), s] = False
    return shipping


def _projections(o: CompanyOutcome) -> pd.DataFrame:
    """The plan in dollars of every IBP meeting, month by month, against budget and books."""
    entries = [
        f.entry
        for f in o.ledger.facts
        if type(f) is rec.DecisionRecorded and "ibp" in f.entry and f.kind == "sop_cycle"
    ]
    if not entries:
        return pd.DataFrame()
    books = books_statements(o.ledger.books, np.zeros(len(Account)), 0, o.days)
    actual = {}
    closed = [
        i
        for i, first in enumerate(books.first_day)
        if i + 1 < len(books.month) or month_starts(int(first), 40)[1] <= o.days
    ]
    for (_, name), values in books.lines.items():
        for i in closed:
            actual[int(books.month[i]), name] = float(values[i])
    rows = []
    for entry in entries:
        for month in entry["ibp"]["months"]:
            for line, amount in month["projected"].items():
                rows.append(
                    (
                        month["first_day"],
                        "projection",
                        line,
                        entry["day"],
                        month["month"],
                        amount,
                        month["budget"].get(line),
                        actual.get((month["month"], line)),
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "period",
            "entity_kind",
            "entity",
            "cycle_day",
            "month",
            "projected",
            "budget",
            "actual",
        ],
    )


def _chain(o: ChainOutcome) -> pd.DataFrame:
    frame = _long(
        "stage",
        o.stages,
        {
            "demand": o.incoming,
            "orders_placed": o.ordered,
            "received": o.received,
            "shipped": o.shipped,
            "shipped_on_time": o.shipped_on_time,
            "lost": o.lost,
            "backlog": o.backlog,
            "on_hand": o.on_hand,
            "in_transit": o.in_transit,
            "supply_line": o.supply_line,
        },
    )
    frame.insert(1, "day", frame["period"] * o.period_days)
    return frame


def timeseries(outcome: CompanyOutcome | ChainOutcome) -> pd.DataFrame:
    """The tidy time series of a run."""
    return _chain(outcome) if isinstance(outcome, ChainOutcome) else _company(outcome)


TIMESERIES_FORMATS = (".csv", ".parquet", ".xlsx")
"""The file formats of a time series (or any tidy table), by extension."""

EXCEL_ROWS = 1_048_576
"""The most rows a sheet of an ``.xlsx`` file holds (its header included)."""


def timeseries_bytes(frame: pd.DataFrame, suffix: str, sheet: str = "timeseries") -> bytes:
    """``frame`` as the contents of a ``.csv``, ``.parquet`` or ``.xlsx`` file."""
    if suffix == ".parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if suffix == ".csv":
        return frame.to_csv(index=False).encode("utf-8")
    if suffix == ".xlsx":
        if len(frame) >= EXCEL_ROWS:
            raise ValueError(
                f"{len(frame):,} rows do not fit a sheet of an .xlsx file ({EXCEL_ROWS - 1:,} "
                "at most): write .parquet or .csv"
            )
        buffer = io.BytesIO()
        frame.to_excel(buffer, index=False, sheet_name=sheet, engine="openpyxl")
        return buffer.getvalue()
    # Writing CSV under another name would pass it off as that format.
    raise ValueError(
        f"a table is written as {', '.join(TIMESERIES_FORMATS)} (by its extension), not {suffix!r}"
    )


def write_timeseries(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as CSV, Parquet or Excel, by the extension; other names are refused."""
    path = Path(path)
    path.write_bytes(timeseries_bytes(frame, path.suffix.lower()))
