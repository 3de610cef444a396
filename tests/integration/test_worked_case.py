"""A one-product company whose every figure is worked out by hand, and the run that matches it.

The company makes a ``widget`` from two ``part``s on one line and sells it in one market;
demand is exactly 10 units a day. Production follows a base-stock policy (level 30), parts
are bought by a fixed plan (140 every 7 days from day 0, weekly review), lead times are
constant and capacity never binds. Prices and rates are chosen so that each day's money is a
round number:

- widget: price 20, conversion 2 per unit, BOM 2 parts at standard cost 5, so its standard
  cost is 2 × 5 + 2 = 12; 50 in stock at the start. Customers pay 5 days after shipment.
- part: standard cost 5, 100 in stock at the start; bought at 5.50 (a purchase price variance
  of 0.50 a unit) and carried by truck at 0.25 a unit. The supplier takes 2 days, the truck 1,
  so a purchase order placed on day t is dispatched on day t + 2 and received on day t + 3;
  the supplier and the carrier are paid 10 days after dispatch.
- production takes 1 day: started on day t (EXECUTE), finished before demand on day t + 1.
- finance: opening cash 10,000; fixed assets 3,650 depreciated over 1 year (10 a day);
  overhead 3,650 a year (10 a day, in cash); capital charge 36.5% a year on inventory value
  (0.001 a day) and storage 73% a year on stock on hand (0.002 a day, in cash); no interest.

The run is 21 days (three weeks). The hand computation is written beside each assertion; the
simulator must match it to float rounding. The second case starves the same company of stock
to check backorders, lost sales and their penalties the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents.config import CompanyConfig, validate
from experiments.run import RunResult, simulate
from sim import ledger as rec
from sim.ledger import ASSETS, EQUITY, EXPENSES, INCOME, LIABILITIES, Account
from sim.source import Located, parse_yaml

WORKED_CASE = """\
name: worked_case
horizon_days: 21
strict_audit: true          # the world also audits units and money at every close
markets:
  all: {share: 1.0, patience_days: 7, payment_terms_days: 5}
products:
  widget:
    price: 20.0
    conversion_cost_per_unit: 2.0
    bom: {part: 2}
    initial_on_hand: 50
    demand:
      base_per_day: 10
      noise: {distribution: none}
components:
  part: {standard_cost: 5.0, initial_on_hand: 100}
suppliers:
  acme:
    components:
      part: {price: 5.5}
    lead_time_days: {distribution: constant, value: 2}
    modes: [truck]
    payment_terms_days: 10
transport_modes:
  truck: {lead_time_days: {distribution: constant, value: 1}, cost_per_unit: 0.25}
plant:
  production_lead_time_days: 1
  lines:
    line_1: {products: [widget], capacity_per_day: 100}
finance:
  opening_cash: 10000.0
  fixed_assets: 3650.0
  depreciation_years: 1.0
  overhead_per_year: 3650.0
  capital_charge_rate_per_year: 0.365
  storage_cost_rate_per_year: 0.73
  overdraft_interest_rate_per_year: 0.0
policies:
  production:
    default: {policy: base_stock, level: 30}
  purchasing:
    default: {policy: fixed_plan, quantity: 140, review_period: 7}
    mode: truck
"""

DAYS = 21
EXACT = {"rel": 1e-12, "abs": 1e-9}

# ---------------------------------------------------------------- the hand computation
# Finished goods at the close of each day. Day 0: 50 − 10 shipped = 40, position 40 ≥ 30, no
# order. Day 1: 40 − 10 = 30, position 30, no order. Day 2: 30 − 10 = 20, position 20, order
# 10; it starts at once and arrives before day 3's demand. From then on every day receives
# 10, ships 10 and orders 10: the close is 20 with 10 units in process.
FINISHED = [40, 30] + [20] * 19
IN_PROCESS = [0, 0] + [10] * 19
# Parts at the close: 20 a day are issued from day 2 (10 widgets × 2 parts); 140 arrive on
# days 3, 10 and 17 (ordered on days 0, 7, 14).
# day 0, 1: 100; day 2: 100 − 20 = 80; day 3: 80 + 140 − 20 = 200; then −20 a day until
# the next delivery: 180, 160, 140, 120, 100, 80 (day 9); day 10 back to 200, and so on.
WEEK = [200, 180, 160, 140, 120, 100, 80]
PARTS = [100, 100, 80, *WEEK, *WEEK, *WEEK[:4]]
# Parts in transit at the close: dispatched on days 2, 9, 16, received the next morning.
IN_TRANSIT = [140 if day in (2, 9, 16) else 0 for day in range(DAYS)]
# Inventory value at the close = 5·parts + 5·in transit + 12·in process + 12·finished.
# day 0: 500 + 480 = 980; day 1: 500 + 360 = 860; day 2: 400 + 700 + 120 + 240 = 1,460;
# day 3: 1,000 + 120 + 240 = 1,360; then −100 a day (20 parts × 5) to 860 on day 8.
INVENTORY_VALUE = [
    5 * p + 5 * t + 12 * w + 12 * f
    for p, t, w, f in zip(PARTS, IN_TRANSIT, IN_PROCESS, FINISHED, strict=True)
]
# Stock on hand (storage is paid on it, not on goods in process or in transit):
# day 0: 980; day 1: 860; day 2: 400 + 240 = 640; day 3: 1,000 + 240 = 1,240; ...
ON_HAND_VALUE = [5 * p + 12 * f for p, f in zip(PARTS, FINISHED, strict=True)]


@pytest.fixture(scope="module")
def config() -> CompanyConfig:
    loaded = validate(parse_yaml(WORKED_CASE, "worked_case.yaml"))
    assert isinstance(loaded, CompanyConfig)
    return loaded


@pytest.fixture(scope="module")
def run(config: CompanyConfig) -> RunResult:
    return simulate(config)


def column(run: RunResult, account: Account) -> np.ndarray:
    """End-of-day balances of ``account`` (natural sign), one per day."""
    return run.outcome.daily["balances"][:, int(account)]


def test_the_hand_tables_add_up() -> None:
    # The hand computation, checked against itself before it is checked against the run.
    assert INVENTORY_VALUE[:10] == [980, 860, 1460, 1360, 1260, 1160, 1060, 960, 860, 1460]
    assert ON_HAND_VALUE[:10] == [980, 860, 640, 1240, 1140, 1040, 940, 840, 740, 640]
    # Σ inventory value = 980 + 860 + 2 × (1,460 + 1,360 + ... + 860 = 8,120)
    #                     + (1,460 + 1,360 + 1,260 + 1,160 + 1,060 = 6,300) = 24,380
    assert sum(INVENTORY_VALUE) == 24_380
    # Σ on-hand value = 980 + 860 + 2 × (640 + 1,240 + ... + 740 = 6,580)
    #                   + (640 + 1,240 + 1,140 + 1,040 + 940 = 5,000) = 20,000
    assert sum(ON_HAND_VALUE) == 20_000


def test_finished_goods_drain_to_the_base_stock_level_then_hold(run: RunResult) -> None:
    daily = run.outcome.daily
    assert daily["finished_on_hand"][:, 0].tolist() == FINISHED
    assert daily["production_in_process"][:, 0].tolist() == IN_PROCESS
    assert daily["production_queued"][:, 0].tolist() == [0] * DAYS
    started = run.outcome.ledger.of_type(rec.ProductionStarted)
    assert [(f.day, f.quantity) for f in started] == [(day, 10) for day in range(2, DAYS)]
    # Started on day t, finished on day t + 1: the batch started on day 20 is still in process.
    completed = run.outcome.ledger.of_type(rec.ProductionCompleted)
    assert [(f.day, f.start_day, f.quantity) for f in completed] == [
        (day, day - 1, 10) for day in range(3, DAYS)
    ]


def test_parts_follow_a_weekly_sawtooth(run: RunResult) -> None:
    daily, ledger = run.outcome.daily, run.outcome.ledger
    assert daily["component_on_hand"][:, 0].tolist() == PARTS
    assert daily["component_in_transit"][:, 0].tolist() == IN_TRANSIT
    # Issued to production: 2 parts × 10 widgets from day 2.
    assert run.outcome.consumption[:, 0].tolist() == [0, 0] + [20] * 19
    placed = ledger.of_type(rec.PurchaseOrderPlaced)
    assert [(f.day, f.quantity, f.unit_price) for f in placed] == [
        (0, 140, 5.5),
        (7, 140, 5.5),
        (14, 140, 5.5),
    ]
    assert [f.day for f in ledger.of_type(rec.ShipmentDispatched)] == [2, 9, 16]  # t + 2
    assert [f.day for f in ledger.of_type(rec.ShipmentReceived)] == [3, 10, 17]  # t + 2 + 1


def test_every_order_ships_in_full_on_its_day(run: RunResult) -> None:
    shipped = run.outcome.ledger.of_type(rec.OrderShipped)
    assert [(f.day, f.order_day, f.quantity) for f in shipped] == [
        (day, day, 10) for day in range(DAYS)
    ]
    # 21 days × 10 units = 210 units, all on time.
    assert sum(f.quantity for f in shipped) == 210
    assert run.kpis["fill_rate"] == 1.0
    assert run.kpis["otif"] == 1.0
    assert run.kpis["lost_sales_units"] == 0.0
    assert run.kpis["backorder_units_avg"] == 0.0


def test_profit_and_loss(run: RunResult) -> None:
    k = run.kpis
    assert k["revenue"] == pytest.approx(4_200, **EXACT)  # 210 units × 20
    assert k["cogs"] == pytest.approx(2_520, **EXACT)  # 210 units × 12
    # 3 deliveries × 140 parts × (5.50 − 5.00)
    assert k["purchase_price_variance"] == pytest.approx(210, **EXACT)
    assert k["gross_margin"] == pytest.approx(1_470, **EXACT)  # 4,200 − 2,520 − 210
    assert k["transport_cost"] == pytest.approx(105, **EXACT)  # 3 × 140 × 0.25
    # Capital charge: 0.001 × Σ inventory value = 0.001 × 24,380 = 24.38;
    # storage: 0.002 × Σ on-hand value = 0.002 × 20,000 = 40.00.
    assert column(run, Account.HOLDING_CAPITAL)[-1] == pytest.approx(24.38, **EXACT)
    assert column(run, Account.HOLDING_STORAGE)[-1] == pytest.approx(40.00, **EXACT)
    assert k["holding_cost"] == pytest.approx(64.38, **EXACT)
    assert k["overhead_cost"] == pytest.approx(210, **EXACT)  # 21 days × 10
    assert column(run, Account.DEPRECIATION)[-1] == pytest.approx(210, **EXACT)  # 21 × 10
    assert k["expedite_cost"] == 0.0
    assert k["overtime_cost"] == 0.0
    # 1,470 − 64.38 − 105 − 210 overhead − 210 depreciation = 880.62
    assert k["operating_profit"] == pytest.approx(880.62, **EXACT)


def test_holding_cost_accrues_at_every_close(run: RunResult) -> None:
    # Each close charges 0.001 × that day's inventory value and 0.002 × its stock on hand,
    # e.g. day 2: 0.001 × 1,460 = 1.46 and 0.002 × 640 = 1.28.
    capital = np.diff(column(run, Account.HOLDING_CAPITAL), prepend=0.0)
    storage = np.diff(column(run, Account.HOLDING_STORAGE), prepend=0.0)
    assert capital == pytest.approx([0.001 * v for v in INVENTORY_VALUE], **EXACT)
    assert storage == pytest.approx([0.002 * v for v in ON_HAND_VALUE], **EXACT)
    assert capital[2] == pytest.approx(1.46, **EXACT)
    assert storage[2] == pytest.approx(1.28, **EXACT)
    # The capital charge is an economic cost, not a payment: it is credited to equity.
    assert column(run, Account.CAPITAL_CHARGE_EQUITY)[-1] == pytest.approx(24.38, **EXACT)


def test_receivables_are_collected_five_days_after_each_sale(run: RunResult) -> None:
    # Each day's sale (200) is due 5 days later and collected at that day's close, so the
    # close holds the sales of the last 5 days: 200, 400, 600, 800, then 1,000 from day 4.
    receivables = [200, 400, 600, 800] + [1000] * 17
    assert column(run, Account.RECEIVABLES) == pytest.approx(receivables, **EXACT)
    # DSO = mean receivables / revenue per day = (19,000 / 21) / 200 = 95/21 days.
    assert run.kpis["dso_days"] == pytest.approx(95 / 21, **EXACT)


def test_payables_are_paid_ten_days_after_dispatch(run: RunResult) -> None:
    # A delivery bills 140 × 5.50 + 140 × 0.25 = 770 + 35 = 805 on its dispatch day (2, 9,
    # 16) and is paid 10 days later (12, 19; the third falls after the run).
    payables = [0, 0] + [805] * 7 + [1610] * 3 + [805] * 4 + [1610] * 3 + [805] * 2
    assert column(run, Account.PAYABLES) == pytest.approx(payables, **EXACT)
    # DPO = mean payables / purchases per day = (20,125 / 21) / (2,415 / 21) = 25/3 days.
    assert run.kpis["dpo_days"] == pytest.approx(25 / 3, **EXACT)


def test_cash_day_by_day(run: RunResult) -> None:
    cash = column(run, Account.CASH)
    # Cash at the close of day d = 10,000 opening
    #   − 10 × (d + 1)             overhead, every day
    #   − 20 × max(0, d − 1)       conversion of 10 widgets × 2, from day 2
    #   − 0.002 × Σ on-hand value  storage, every close up to d
    #   + 200 × max(0, d − 4)      collections of the sales of day d − 5
    #   − 805 × (bills due by d)   on days 12 and 19
    storage = np.cumsum([0.002 * v for v in ON_HAND_VALUE])
    expected = [
        10_000
        - 10 * (d + 1)
        - 20 * max(0, d - 1)
        - storage[d]
        + 200 * max(0, d - 4)
        - 805 * sum(1 for due in (12, 19) if due <= d)
        for d in range(DAYS)
    ]
    assert cash == pytest.approx(expected, **EXACT)
    # Some days written out:
    # day 0: 10,000 − 10 − 0.002 × 980 = 9,988.04
    assert cash[0] == pytest.approx(9_988.04, **EXACT)
    # day 4: 10,000 − 50 − 60 − 0.002 × (980 + 860 + 640 + 1,240 + 1,140) = 9,880.28
    assert cash[4] == pytest.approx(9_880.28, **EXACT)
    # day 5, first collection: 9,880.28 + 200 − 10 − 20 − 0.002 × 1,040 = 10,048.20
    assert cash[5] == pytest.approx(10_048.20, **EXACT)
    # day 12, first bill: 11,057.12 (day 11) + 200 − 10 − 20 − 2.08 − 805 = 10,420.04
    assert cash[11] == pytest.approx(11_057.12, **EXACT)
    assert cash[12] == pytest.approx(10_420.04, **EXACT)
    # day 20: 10,000 − 210 − 380 − 40 + 16 × 200 − 2 × 805 = 10,960
    assert cash[20] == pytest.approx(10_960, **EXACT)
    assert run.kpis["ending_cash"] == pytest.approx(10_960, **EXACT)


def test_inventory_accounts_are_units_at_standard_cost(run: RunResult) -> None:
    daily = run.outcome.daily
    part, widget = 5.0, 12.0
    assert column(run, Account.INVENTORY_COMPONENTS) == pytest.approx(
        daily["component_on_hand"][:, 0] * part, **EXACT
    )
    assert column(run, Account.INVENTORY_IN_TRANSIT) == pytest.approx(
        daily["component_in_transit"][:, 0] * part, **EXACT
    )
    assert column(run, Account.INVENTORY_WIP) == pytest.approx(
        daily["production_in_process"][:, 0] * widget, **EXACT
    )
    assert column(run, Account.INVENTORY_FINISHED) == pytest.approx(
        daily["finished_on_hand"][:, 0] * widget, **EXACT
    )
    total = sum(column(run, a) for a in rec.INVENTORY)
    assert total == pytest.approx(INVENTORY_VALUE, **EXACT)


def test_the_books_balance_at_every_close(run: RunResult) -> None:
    books = run.outcome.ledger.books
    assert books.equation_gap() == pytest.approx(0.0, abs=1e-9)
    assert books.trial_balance_gap() == pytest.approx(0.0, abs=1e-9)
    b = run.outcome.daily["balances"]
    profit = b[:, list(INCOME)].sum(axis=1) - b[:, list(EXPENSES)].sum(axis=1)
    claims = b[:, list(LIABILITIES)].sum(axis=1) + b[:, list(EQUITY)].sum(axis=1) + profit
    assert b[:, list(ASSETS)].sum(axis=1) == pytest.approx(claims, **EXACT)
    # The last close, by hand. Assets: cash 10,960 + receivables 1,000 + parts 700
    # + in process 120 + finished 240 + fixed assets 3,650 − 210 = 16,460. Claims: payables
    # 805 + equity 14,750 (10,000 + 3,650 + 500 + 600 opening) + capital charge 24.38
    # + operating profit 880.62 = 16,460.
    assert b[-1, list(ASSETS)].sum() == pytest.approx(16_460, **EXACT)
    assert column(run, Account.EQUITY)[-1] == pytest.approx(14_750, **EXACT)
    assert profit[-1] == pytest.approx(880.62, **EXACT)


# ---------------------------------------------------------------- a stockout, by hand

STOCKOUT_DAYS = 10


def stockout_config(config: CompanyConfig) -> CompanyConfig:
    """The same company with 25 widgets, nothing made or bought, patience 2 and a 3 fine."""
    data: dict[str, Any] = config.model_dump()
    data["horizon_days"] = STOCKOUT_DAYS
    data["products"]["widget"]["initial_on_hand"] = 25
    data["markets"]["all"].update(patience_days=2, lost_sale_penalty_per_unit=3.0)
    data["policies"]["production"]["default"] = {"policy": "fixed_plan", "quantity": 0}
    data["policies"]["purchasing"]["default"] = {"policy": "fixed_plan", "quantity": 0}
    loaded = validate(Located(data=data))
    assert isinstance(loaded, CompanyConfig)
    return loaded


def test_a_stockout_backorders_then_loses_sales(config: CompanyConfig) -> None:
    """25 widgets meet 10 a day: day 0 and 1 ship 10 each, day 2 ships 5 and backorders 5.

    With patience 2 an order waits two days and is lost at the third day's demand: the 5
    from day 2 are lost on day 4, the 10 of day d (3 ≤ d ≤ 7) on day d + 2; days 8 and 9
    are still waiting when the run ends. Units: 100 demanded = 25 shipped + 55 lost + 20
    waiting.
    """
    run = simulate(stockout_config(config))
    ledger, daily = run.outcome.ledger, run.outcome.daily
    assert daily["finished_on_hand"][:, 0].tolist() == [15, 5] + [0] * 8
    # Backlog at the close: day 2: 5; day 3: 5 + 10; from day 4: the last two days' orders.
    assert daily["backlog"][:, 0].tolist() == [0, 0, 5, 15] + [20] * 6
    shipped = [(f.day, f.quantity) for f in ledger.of_type(rec.OrderShipped)]
    assert shipped == [(0, 10), (1, 10), (2, 5)]
    lost = [(f.day, f.quantity) for f in ledger.of_type(rec.SaleLost)]
    assert lost == [(4, 5)] + [(day, 10) for day in range(5, 10)]
    demanded = run.outcome.demand.sum()
    assert demanded == 100
    assert (
        demanded == sum(q for _, q in shipped) + sum(q for _, q in lost) + daily["backlog"][-1, 0]
    )
    k = run.kpis
    assert k["fill_rate"] == pytest.approx(25 / 100, **EXACT)
    assert k["otif"] == pytest.approx(2 / 10, **EXACT)  # orders of days 0 and 1 only
    assert k["lost_sales_units"] == 55
    assert k["backorder_units_avg"] == pytest.approx((5 + 15 + 6 * 20) / 10, **EXACT)
    assert k["penalty_cost"] == pytest.approx(55 * 3.0, **EXACT)
    assert k["revenue"] == pytest.approx(25 * 20, **EXACT)
    assert k["cogs"] == pytest.approx(25 * 12, **EXACT)
    # The fine is paid in cash on the day the sale is lost: 15 on day 4, then 30 a day.
    penalties = np.diff(column(run, Account.PENALTIES), prepend=0.0)
    assert penalties == pytest.approx([0, 0, 0, 0, 15] + [30] * 5, **EXACT)
    assert run.outcome.ledger.books.equation_gap() == pytest.approx(0.0, abs=1e-9)
