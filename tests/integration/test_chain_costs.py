"""Which stock each cost of a serial chain is charged on, worked by hand on two stages.

Customers take 4 units every period from the retailer. The retailer orders 6 every period from
the wholesaler: the order is in the mail for 1 period, the goods travel 2. The wholesaler
orders 1 every period from the unlimited source: in the mail 1 period, on the road 3. So the
wholesaler soon runs dry and owes the retailer more every period, while a trickle of goods is
on the road: a chain whose supply lines hold orders in the mail, upstream backlog and goods in
transit, of which only the last are goods.

Period by period (end of period; ``R[a]`` is a shipment due at the retailer in period ``a``):

====== ============================== ============= ===================== =================
period wholesaler ships (due)         retailer: in  wholesaler: on the    wholesaler: on
                                      transit       road from the source  hand / owes
====== ============================== ============= ===================== =================
0      4 of 4 (R[2]); R[1] = 4 opening 4 + 4 = 8     2 + 2 + 2 = 6         6 / 0
1      6 of 6 (R[3])                  4 + 6 = 10    2 + 2 + 1 = 5         2 / 0
2      4 of 6 (R[4])                  6 + 4 = 10    2 + 1 + 1 = 4         0 / 2
3      2 of 8 (R[5])                  4 + 2 = 6     1 + 1 + 1 = 3         0 / 6
4      1 of 12 (R[6])                 2 + 1 = 3     3                     0 / 11
5-7    1 a period                     1 + 1 = 2     3                     0 / 16, 21, 26
====== ============================== ============= ===================== =================

The wholesaler's opening stock is 8 plus 2 due in each of periods 0-2 and an opening order of 2
that the source ships in period 0 (due in period 3); its order of period t is read by the
source in t + 1 and arrives in t + 4, so at the end of period t it is still in the mail.
"""

from __future__ import annotations

import numpy as np
import pytest
from yaml_text import where, write

from agents.config import ChainConfig, load_config
from experiments.run import simulate
from sim.config import ConfigError
from sim.ledger import Account

TWO_STAGES = """\
kind: serial_chain
name: two_stages
period_days: 1
horizon_days: 8
demand: {base_per_period: 4}
stages:
  retailer:
    order_delay_periods: 1
    lead_time_periods: 2
    initial_on_hand: 10
    initial_pipeline_per_period: 4
    initial_orders_per_period: 4
    holding_cost_per_unit_per_period: 1.0
    backorder_cost_per_unit_per_period: 5.0
    policy: {policy: fixed_plan, quantity: 6}
  wholesaler:
    order_delay_periods: 1
    lead_time_periods: 3
    initial_on_hand: 8
    initial_pipeline_per_period: 2
    initial_orders_per_period: 2
    holding_cost_per_unit_per_period: 0.5
    backorder_cost_per_unit_per_period: 1.0
    policy: {policy: fixed_plan, quantity: 1}
"""

IN_TRANSIT_TO_RETAILER = [8, 10, 10, 6, 3, 2, 2, 2]  # sum 43
IN_TRANSIT_TO_WHOLESALER = [6, 5, 4, 3, 3, 3, 3, 3]  # sum 30
RETAILER_ON_HAND = [10, 10, 10, 12, 12, 10, 7, 4]  # sum 75, never short
WHOLESALER_ON_HAND = [6, 2, 0, 0, 0, 0, 0, 0]  # sum 8
WHOLESALER_OWES = [0, 0, 2, 6, 11, 16, 21, 26]  # sum 82


@pytest.fixture
def chain(tmp_path):
    path = write(tmp_path, TWO_STAGES, "two_stages.yaml")

    def load(overrides=None) -> ChainConfig:
        return load_config(path, overrides or {})

    return load


def test_the_chain_moves_as_worked_by_hand(chain):
    o = simulate(chain()).outcome
    np.testing.assert_allclose(o.on_hand, np.column_stack([RETAILER_ON_HAND, WHOLESALER_ON_HAND]))
    np.testing.assert_allclose(o.backlog[:, 0], 0.0)
    np.testing.assert_allclose(o.backlog[:, 1], WHOLESALER_OWES)


def test_goods_in_transit_are_the_shipments_not_yet_received(chain):
    o = simulate(chain()).outcome
    np.testing.assert_allclose(o.in_transit[:, 0], IN_TRANSIT_TO_RETAILER)
    np.testing.assert_allclose(o.in_transit[:, 1], IN_TRANSIT_TO_WHOLESALER)
    # The supply line also holds what is not goods on the road. End of period 3: the
    # retailer's order of 6 in the mail + 6 the wholesaler owes + 6 on the road; the
    # wholesaler's order of 1 in the mail + 3 on the road.
    assert o.supply_line[3].tolist() == [18.0, 4.0]
    assert (o.in_transit <= o.supply_line + 1e-9).all()


def test_in_transit_holding_is_charged_at_the_shipping_stage_rate(chain):
    result = simulate(chain())
    k = result.kpis
    # Goods on their way to the retailer at the wholesaler's 0.5; from the source, nothing.
    assert k["in_transit_holding_cost_retailer"] == pytest.approx(0.5 * 43)
    assert k["in_transit_holding_cost_wholesaler"] == 0.0
    assert k["in_transit_holding_cost"] == pytest.approx(21.5)
    assert k["in_transit_avg_retailer"] == pytest.approx(43 / 8)
    assert k["in_transit_avg_wholesaler"] == pytest.approx(30 / 8)
    # On-hand holding and backorders are unchanged by it, and everything adds up.
    assert k["holding_cost"] == pytest.approx(1.0 * 75 + 0.5 * 8)
    assert k["backorder_cost"] == pytest.approx(1.0 * 82)
    assert k["total_cost"] == pytest.approx(79 + 82 + 21.5)
    assert k["cost_retailer"] == pytest.approx(75 + 21.5)
    assert k["cost_wholesaler"] == pytest.approx(4 + 82)
    assert k["cost_per_period"] == pytest.approx((79 + 82 + 21.5) / 8)
    # The books hold the same money: the pipeline on the capital account, stock on storage.
    books = result.outcome.ledger.books
    assert books.balance(Account.HOLDING_CAPITAL) == pytest.approx(21.5)
    assert books.balance(Account.HOLDING_STORAGE) == pytest.approx(79)


def test_a_stage_own_in_transit_rate_replaces_the_default_also_from_the_source(chain):
    k = simulate(
        chain(
            {
                "stages.retailer.in_transit_holding_cost_per_unit_per_period": 2.0,
                "stages.wholesaler.in_transit_holding_cost_per_unit_per_period": 0.25,
            }
        )
    ).kpis
    assert k["in_transit_holding_cost_retailer"] == pytest.approx(2.0 * 43)
    assert k["in_transit_holding_cost_wholesaler"] == pytest.approx(0.25 * 30)
    zero = simulate(chain({"stages.retailer.in_transit_holding_cost_per_unit_per_period": 0})).kpis
    assert zero["in_transit_holding_cost"] == 0.0
    assert zero["total_cost"] == pytest.approx(79 + 82)


def test_scaling_every_rate_scales_every_cost(chain):
    base = simulate(chain()).kpis
    scaled = {}
    for stage in ("retailer", "wholesaler"):
        config = chain().stages[stage]
        scaled[f"stages.{stage}.holding_cost_per_unit_per_period"] = (
            3 * config.holding_cost_per_unit_per_period
        )
        scaled[f"stages.{stage}.backorder_cost_per_unit_per_period"] = (
            3 * config.backorder_cost_per_unit_per_period
        )
    k = simulate(chain(scaled)).kpis
    for name in ("holding_cost", "in_transit_holding_cost", "backorder_cost", "total_cost"):
        assert k[name] == pytest.approx(3 * base[name]), name


def test_a_negative_in_transit_rate_is_a_located_error(tmp_path):
    text = TWO_STAGES.replace(
        "    holding_cost_per_unit_per_period: 0.5\n",
        "    holding_cost_per_unit_per_period: 0.5\n"
        "    in_transit_holding_cost_per_unit_per_period: -1\n",
    )
    path = write(tmp_path, text, "bad.yaml")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    line, column = where(text, "in_transit_holding_cost_per_unit_per_period")
    assert str(problem).endswith(
        f"bad.yaml:{line}:{column}: stages.wholesaler.in_transit_holding_cost_per_unit_per_period:"
        " Input should be greater than or equal to 0 (got -1)"
    )
