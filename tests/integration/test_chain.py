"""A serial chain conserves units, honours its delays, and its visibility setting matters."""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import load_config
from experiments.run import simulate
from sim.metrics import chain_kpi_names, chain_kpis


@pytest.fixture(scope="module")
def four_stage(configs_dir):
    return simulate(load_config(configs_dir / "chain" / "four_stage.yaml"), days=1000).outcome


def test_every_stage_conserves_units(four_stage):
    o = four_stage
    initial = np.array([s.initial_on_hand for s in o.config.stages.values()])
    np.testing.assert_allclose(
        o.on_hand, initial + o.received.cumsum(axis=0) - o.shipped.cumsum(axis=0), atol=1e-6
    )
    np.testing.assert_allclose(
        o.incoming.cumsum(axis=0),
        o.shipped.cumsum(axis=0) + o.backlog + o.lost.cumsum(axis=0),
        atol=1e-6,
    )
    assert (o.on_hand >= -1e-9).all() and (o.backlog >= -1e-9).all() and (o.shipped >= 0).all()


def test_what_a_stage_ships_arrives_downstream_after_the_lead_time(four_stage):
    o = four_stage
    for i, stage in enumerate(list(o.config.stages.values())[:-1]):
        L = stage.lead_time_periods
        np.testing.assert_allclose(o.received[L:, i], o.shipped[:-L, i + 1], atol=1e-9)


def test_the_source_delivers_orders_after_the_last_stage_lead_time(four_stage):
    o = four_stage
    last = list(o.config.stages.values())[-1]
    L = last.lead_time_periods + last.order_delay_periods
    np.testing.assert_allclose(o.received[L:, -1], o.ordered[:-L, -1], atol=1e-9)


def test_goods_in_transit_are_what_was_sent_within_the_lead_time(four_stage):
    """In transit to a stage at the end of period t: what was sent to it in the last L periods
    (by the stage upstream, or, for the last stage, by the source, which sends each order as
    it gets it); never more than its supply line."""
    o = four_stage
    stages = list(o.config.stages.values())
    for i, stage in enumerate(stages):
        sent = o.shipped[:, i + 1] if i + 1 < len(stages) else o.ordered[:, i]
        last_lead_time = np.convolve(sent, np.ones(stage.lead_time_periods))[: o.periods]
        np.testing.assert_allclose(o.in_transit[:, i], last_lead_time, atol=1e-6)
    assert (o.in_transit <= o.supply_line + 1e-6).all()


def test_supply_line_is_ordered_minus_received(four_stage):
    o = four_stage
    np.testing.assert_allclose(
        o.supply_line, o.ordered.cumsum(axis=0) - o.received.cumsum(axis=0), atol=1e-6
    )


def test_order_delay_holds_orders_in_the_mail(configs_dir):
    config = load_config(
        configs_dir / "chain" / "four_stage.yaml", {"stages.retailer.order_delay_periods": 3}
    )
    o = simulate(config, days=300).outcome
    np.testing.assert_allclose(o.incoming[3:, 1], o.ordered[:-3, 0], atol=1e-9)


def test_negative_orders_are_cut_to_zero_unless_allowed(configs_dir):
    path = configs_dir / "chain" / "four_stage.yaml"
    # A base stock far below the starting stock asks to send goods back.
    overrides = {"stages.retailer.policy": {"policy": "base_stock", "level": 50}}
    cut = simulate(load_config(path, overrides), days=30).outcome
    assert (cut.ordered[:, 0] >= 0).all()
    returns = simulate(
        load_config(path, {**overrides, "allow_negative_orders": True}), days=30
    ).outcome
    assert returns.ordered[0, 0] < 0
    assert returns.on_hand[0, 0] < cut.on_hand[0, 0]  # the units left the retailer


def test_shared_visibility_lowers_upstream_bullwhip(configs_dir):
    path = configs_dir / "chain" / "four_stage.yaml"
    local = simulate(load_config(path), days=2000).kpis
    shared = {
        f"stages.{s}.visibility": "shared"
        for s in ("retailer", "wholesaler", "distributor", "factory")
    }
    both = simulate(load_config(path, shared), days=2000).kpis
    assert local["bullwhip_retailer"] < local["bullwhip_wholesaler"] < local["bullwhip_factory"]
    assert both["bullwhip_factory"] < local["bullwhip_factory"]


def test_customer_patience_turns_backlog_into_lost_sales(configs_dir):
    path = configs_dir / "chain" / "four_stage.yaml"
    overrides = {
        "stages.retailer.policy": {"policy": "base_stock", "level": 150},
        "customer_patience_days": 0,
    }
    o = simulate(load_config(path, overrides), days=300).outcome
    assert o.lost[:, 0].sum() > 0
    assert (o.backlog[:, 0] == 0).all()


def test_a_stage_needs_a_lead_time_of_at_least_one_period(configs_dir):
    from sim.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(
            configs_dir / "chain" / "four_stage.yaml", ["stages.retailer.lead_time_periods=0"]
        )
    (problem,) = caught.value.problems
    assert problem.path == "stages.retailer.lead_time_periods"
    assert "--set" in str(problem.location) and "greater than or equal to 1" in problem.message


def test_the_kpi_names_a_study_may_keep_are_the_ones_reported(four_stage):
    assert list(chain_kpis(four_stage)) == chain_kpi_names(four_stage.stages)


def test_with_a_known_mean_three_spellings_of_base_stock_order_alike(configs_dir):
    """The reference store's base stock S = 557.31 is the order-up-to level of a forecaster that
    knows demand is N(100, 20) (5 periods covered, z = 1.2816), and anchoring and adjustment
    with a known mean and the whole gap closed (θ 0, α 1, β 1, S′ = S − mean) orders the same."""
    path = configs_dir / "chain" / "single_stage_base_stock.yaml"
    level = 100 * 5 + 1.2816 * 20 * np.sqrt(5)
    assert level == pytest.approx(557.31, abs=5e-3)
    spellings = {
        "base_stock": {"policy": "base_stock", "level": level},
        "order_up_to": {
            "policy": "order_up_to",
            "forecaster": {"method": "constant", "mean": 100.0, "sd": 20.0},
            "safety_factor": 1.2816,
        },
        "anchor_and_adjust": {
            "policy": "anchor_and_adjust",
            "theta": 0.0,
            "alpha_s": 1.0,
            "beta": 1.0,
            "s_prime": level - 100,
            "initial_expectation": 100.0,
        },
    }
    runs = {
        name: simulate(load_config(path, {"stages.store.policy": spec}), days=730).outcome
        for name, spec in spellings.items()
    }
    for name in ("order_up_to", "anchor_and_adjust"):
        np.testing.assert_allclose(runs[name].ordered, runs["base_stock"].ordered, atol=1e-9)
        np.testing.assert_allclose(runs[name].on_hand, runs["base_stock"].on_hand, atol=1e-9)


def test_a_return_lowers_the_inventory_position_once_as_the_textbook_recursion_says():
    # Chen et al. (2000): with returns allowed, an order-up-to stage ends every period at its
    # level S_t = L × (moving average of the last p demands), so it orders
    # q_t = S_t - S_(t-1) + D_t, negative when the level falls by more than the demand. A
    # return takes units off the shelf; it leaves the supply line (ordered, not received) as
    # it is. Demand N(100, 40²) makes about 4% of orders returns.
    from agents.config import ChainConfig

    lead, window, periods = 2, 5, 5_000
    config = ChainConfig.model_validate(
        {
            "kind": "serial_chain",
            "horizon_days": periods,
            "allow_negative_orders": True,
            "demand": {"base_per_period": 100.0, "noise": {"distribution": "normal", "cv": 0.4}},
            "stages": {
                "retailer": {
                    "lead_time_periods": lead,
                    "initial_on_hand": 100.0 * lead,
                    "policy": {
                        "policy": "order_up_to",
                        "forecaster": {"method": "moving_average", "periods": window},
                        "safety_factor": 0.0,
                    },
                }
            },
        }
    )
    o = simulate(config, seed=5).outcome
    demand = o.customer_demand
    moving = np.convolve(demand, np.ones(window) / window, mode="valid")  # ends at t >= p-1
    level = np.full(periods, np.nan)
    level[window - 1 :] = lead * moving
    position = o.on_hand[:, 0] - o.backlog[:, 0] + o.supply_line[:, 0]
    # A stage can only send back what it has: where it gave up all it had (the return was
    # cut short), its position stays above the level for that period.
    cut = (o.ordered[:, 0] <= 0) & (o.on_hand[:, 0] <= 1e-9)
    t = np.arange(window + 1, periods)
    t = t[~cut[t] & ~cut[t - 1]]
    assert len(t) > 0.9 * periods
    assert (o.ordered[t, 0] < 0).mean() > 0.02  # the case at hand happens often
    np.testing.assert_allclose(position[t], level[t], atol=1e-6)
    np.testing.assert_allclose(o.ordered[t, 0], level[t] - level[t - 1] + demand[t], atol=1e-6)
    assert o.supply_line.min() >= -1e-6  # units never received cannot be sent back
