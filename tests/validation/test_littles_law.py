"""Little's law on the plant and on goods in transit: Little, "A proof for the queuing formula
L = λW", *Operations Research* 9(3), 1961, 383–387.

Inputs: the reference company (``configs/baseline.yaml``: seasonal, noisy demand; two lines
with queues; random supplier and transport lead times, late shipments) over its three years.
Published: average stock in process L = throughput λ × average time in process W.

- Plant: stock = production ordered and not yet completed (queued + in process); time in the
  plant = completion day − order day, matching orders to completions first-in first-out per
  line and product (each line works its queue in order).
- Goods in transit: stock = components dispatched and not yet received; time in transit =
  receipt day − dispatch day of each shipment.

λ and W come from the ledger's facts; L from the world's end-of-day records.

Timing convention: stock is counted at the end of each day. A unit that enters on day d (order
placed or shipment dispatched in the EXECUTE phase) and leaves on day e (completed or received
in the RECEIVE phase, before the day closes) is counted on days d .. e − 1: e − d end-of-day
counts, its time in process in days.

Tolerance: on one sample path Little's law holds up to what is still inside when the run ends.
Units still inside have stayed (horizon − entry day) days and are counted in L but not in λW,
so 0 ≤ L − λW ≤ Σ (horizon − entry day) × units / horizon, the edge term.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque

import numpy as np

from experiments.run import simulate
from sim import ledger as rec


def _stays(
    entries: list[tuple[int, float]], exits: list[tuple[int, float]]
) -> tuple[float, float, float]:
    """First-in first-out stays: (units that left, unit-days of those, [(entry, units)] left)."""
    waiting = deque([day, units] for day, units in sorted(entries))
    left_units = unit_days = 0.0
    for day, units in sorted(exits):
        while units > 1e-9:
            entry = waiting[0]
            take = min(units, entry[1])
            unit_days += take * (day - entry[0])
            left_units += take
            units -= take
            entry[1] -= take
            if entry[1] <= 1e-9:
                waiting.popleft()
    return left_units, unit_days, [(day, units) for day, units in waiting]


def _compare(
    check, label: str, stock: np.ndarray, left: float, unit_days: float, inside: list, horizon: int
):
    throughput, time_in = left / horizon, unit_days / left
    edge = sum(units * (horizon - day) for day, units in inside) / horizon
    average = float(stock.mean())
    print(f"\n{label}: λ = {throughput:.2f} units/day, W = {time_in:.2f} days")
    gap = average - throughput * time_in
    assert gap >= -1e-9 * average, f"{label}: stock below λW"
    check.close(
        f"Little's law, {label}: L",
        expected=throughput * time_in,
        simulated=average,
        tolerance=edge + 1e-9 * average,
        basis="edge term: units still inside at the end",
    )


def test_plant_stock_equals_throughput_times_time_in_the_plant(check, baseline):
    outcome = simulate(baseline).outcome
    facts, horizon = outcome.ledger.facts, outcome.days
    entries, exits = defaultdict(list), defaultdict(list)
    for fact in facts:
        if type(fact) is rec.ProductionOrdered:
            entries[fact.line, fact.product].append((fact.day, fact.quantity))
        elif type(fact) is rec.ProductionCompleted:
            exits[fact.line, fact.product].append((fact.day, fact.quantity))
    left = unit_days = 0.0
    inside = []
    for key in entries:
        n, days, rest = _stays(entries[key], exits[key])
        left, unit_days, inside = left + n, unit_days + days, inside + rest
    stock = (outcome.daily["production_queued"] + outcome.daily["production_in_process"]).sum(
        axis=1
    )
    assert unit_days / left > baseline.plant.production_lead_time_days  # orders also queue
    _compare(check, "plant (queued + in process)", stock, left, unit_days, inside, horizon)


def test_goods_in_transit_equal_throughput_times_transit_time(check, baseline):
    outcome = simulate(baseline).outcome
    horizon = outcome.days
    dispatched = Counter()
    left = unit_days = 0.0
    for fact in outcome.ledger.facts:
        if type(fact) is rec.ShipmentDispatched:
            dispatched[fact.po_id, fact.day, fact.quantity] += 1
        elif type(fact) is rec.ShipmentReceived:
            dispatched[fact.po_id, fact.dispatch_day, fact.quantity] -= 1
            left += fact.quantity
            unit_days += fact.quantity * (fact.day - fact.dispatch_day)
    inside = [(day, quantity * n) for (_, day, quantity), n in dispatched.items() if n > 0]
    stock = outcome.daily["component_in_transit"].sum(axis=1)
    _compare(check, "goods in transit", stock, left, unit_days, inside, horizon)
