"""The Beer Game: Sterman, "Modeling managerial behavior: misperceptions of feedback in a dynamic
decision making experiment", *Management Science* 35(3), 1989, 321–339.

Inputs: the preset ``configs/games/beer_game.yaml``, the board game exactly: retailer,
wholesaler, distributor, factory; 36 weekly periods; customers order 4 cases a week, then 8
from week 5; holding $0.50 and backlog $1.00 per case-week; 12 cases on hand and 4 in every
delay slot at the start; orders fixed at 4 for the first 4 weeks; every stage plays Sterman's
anchoring-and-adjustment rule with his players' average parameters θ = 0.36, α_S = 0.26,
β = 0.34, S′ = 17.

Costs are Sterman's board: on-hand stock and backlog only; beer on its way costs nothing (the
preset sets every stage's in-transit holding rate to 0).

Published behaviour (deterministic game, so no tolerance is needed): orders oscillate and their
amplitude grows from the retailer to the factory; teams cost many times what a team that
counted its supply line in full (β = 1) would; and orders swing less when every stage sees
end-customer demand (``configs/games/beer_game_shared.yaml``).

For the β = 1 team the anchor keeps Sterman's meaning, S′ = S* + β·SL*, with the desired stock
S* = 12 and the desired supply line SL* = the opening one (16 cases; the factory 12). The same
formula at β = 0.34 gives 17.4, the 17 Sterman estimated.

Timing convention (the sequence of events within week t is in the preset's header and in
``sim.chain``): stages receive beer, then from the retailer upstream each reads its incoming
order, ships, and orders. An order is read by the stage upstream 2 weeks after it is placed and
the beer it asks for travels 2 weeks more: an order placed in week t arrives in week t + 4
before that week's customers (the factory's: production request 1 week + brewing 2 = t + 3).
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.config import AnchorAndAdjust, ChainConfig, load_config
from agents.policies import StockView, make_policy
from experiments.figures.chain import plot_chain_orders
from experiments.run import RunResult, simulate

STAGES = ("retailer", "wholesaler", "distributor", "factory")


@pytest.fixture(scope="module")
def games(configs_dir):
    return configs_dir / "games"


def play(path, overrides=None) -> RunResult:
    return simulate(load_config(path, overrides or {}))


def counting_the_supply_line(config: ChainConfig) -> dict[str, float]:
    """Overrides for β = 1 with S′ = desired stock + the opening supply line, per stage."""
    overrides: dict[str, float] = {}
    for name, stage in config.stages.items():
        supply_line = (
            stage.order_delay_periods * stage.initial_orders_per_period
            + stage.lead_time_periods * stage.initial_pipeline_per_period
        )
        overrides[f"stages.{name}.policy.beta"] = 1.0
        overrides[f"stages.{name}.policy.s_prime"] = stage.initial_on_hand + supply_line
    return overrides


def report(label: str, result: RunResult) -> None:
    k = result.kpis
    costs = ", ".join(f"{s} ${k[f'cost_{s}']:,.0f}" for s in STAGES)
    bullwhip = ", ".join(f"{s} {k[f'bullwhip_{s}']:.1f}" for s in STAGES)
    print(f"\n{label}: team ${k['total_cost']:,.0f} ({costs}); var(orders)/var(demand): {bullwhip}")


def test_anchor_and_adjust_is_sterman_s_rule():
    """O = max(0, L̂ + α_S (S′ − S − β SL)), L̂ ← θ·(latest demand) + (1 − θ)·L̂."""
    spec = AnchorAndAdjust(
        policy="anchor_and_adjust", theta=0.36, alpha_s=0.26, beta=0.34, s_prime=17
    )
    rule = make_policy(spec)

    def week(history, on_hand, backlog, supply_line):
        position = on_hand + supply_line - backlog
        view = StockView(
            len(history) - 1,
            position,
            np.array(history, dtype=float),
            4.0,
            on_hand=on_hand,
            backlog=backlog,
            supply_line=supply_line,
        )
        return rule.order(view)

    # Weeks 1-4 seen at once (the opening orders were fixed), then week 5's order of 8.
    expected = 0.36 * 8 + 0.64 * 4
    assert week([4, 4, 4, 4, 8], 8, 0, 16) == pytest.approx(expected + 0.26 * (17 - 8 - 0.34 * 16))
    assert rule.forecast() == pytest.approx(expected)
    # Deep in backlog with a long supply line; and never a negative order.
    expected = 0.36 * 12 + 0.64 * expected
    assert week([4, 4, 4, 4, 8, 12], 0, 20, 30) == pytest.approx(
        expected + 0.26 * (17 + 20 - 0.34 * 30)
    )
    assert week([4, 4, 4, 4, 8, 12, 0], 200, 0, 30) == 0


def test_the_preset_is_the_board_game(games):
    config = load_config(games / "beer_game.yaml")
    assert tuple(config.stages) == STAGES
    assert config.period_days == 7 and config.horizon_days // config.period_days == 36
    assert config.demand.base_per_period == 4
    assert [(s.from_period, s.base_per_period) for s in config.demand.steps] == [(4, 8)]
    for name, stage in config.stages.items():
        assert (stage.initial_on_hand, stage.initial_pipeline_per_period) == (12, 4), name
        assert stage.initial_orders_per_period == 4, name
        assert (
            stage.holding_cost_per_unit_per_period,
            stage.backorder_cost_per_unit_per_period,
            stage.in_transit_holding_cost_per_unit_per_period,
        ) == (0.5, 1.0, 0.0)
        assert (stage.fixed_orders_until_period, stage.fixed_order_quantity) == (4, 4), name
        assert stage.policy.policy == "anchor_and_adjust"
        delays = (stage.order_delay_periods, stage.lead_time_periods)
        assert delays == ((1, 2) if name == "factory" else (2, 2)), name


@pytest.mark.parametrize("preset", ["beer_game.yaml", "beer_game_shared.yaml"])
def test_the_team_pays_for_stock_and_backlog_only(games, preset):
    result = play(games / preset)
    o, k = result.outcome, result.kpis
    assert o.in_transit.sum() > 0  # beer is on the road every week, at no cost
    assert k["in_transit_holding_cost"] == 0.0
    assert k["total_cost"] == pytest.approx(0.5 * o.on_hand.sum() + 1.0 * o.backlog.sum())


def test_orders_are_read_two_weeks_later_and_beer_arrives_two_weeks_after_shipping(games):
    o = play(games / "beer_game.yaml").outcome
    for i in range(3):
        np.testing.assert_allclose(o.incoming[2:, i + 1], o.ordered[:-2, i])  # mailing delay
        np.testing.assert_allclose(o.received[2:, i], o.shipped[:-2, i + 1])  # shipping delay
    np.testing.assert_allclose(o.received[3:, 3], o.ordered[:-3, 3])  # production delay
    np.testing.assert_allclose(o.ordered[:4], 4.0)  # the opening weeks


def test_a_team_that_always_orders_four_drains_only_the_retailer(games):
    """Worked by hand: from week 5 the retailer sells 8 a week and receives 4, so its stock
    minus backlog at the end of week w is 12 − 4(w − 4); everyone else ships 4 and gets 4."""
    fixed = {f"stages.{s}.fixed_orders_until_period": 36 for s in STAGES}
    result = play(games / "beer_game.yaml", fixed)
    o = result.outcome
    weeks = np.arange(1, 37)
    retailer = 12 - 4 * np.clip(weeks - 4, 0, None)
    np.testing.assert_allclose(o.on_hand[:, 0] - o.backlog[:, 0], retailer)
    np.testing.assert_allclose(o.on_hand[:, 1:], 12.0)
    expected_cost = (0.5 * retailer.clip(0) - 1.0 * retailer.clip(None, 0)).sum() + 3 * 36 * 6.0
    assert result.kpis["total_cost"] == pytest.approx(expected_cost)


def test_human_like_players_amplify_orders_from_retailer_to_factory(games):
    result = play(games / "beer_game.yaml")
    report("Sterman's average player (θ 0.36, α_S 0.26, β 0.34, S′ 17)", result)
    amplification = [result.kpis[f"bullwhip_{s}"] for s in STAGES]
    assert 1 < amplification[0] < amplification[1] < amplification[2] < amplification[3]
    peaks = result.outcome.ordered.max(axis=0)
    assert (np.diff(peaks) > 0).all()


def test_ignoring_the_supply_line_costs_the_team_several_times_more(games):
    path = games / "beer_game.yaml"
    human = play(path)
    counted = play(path, counting_the_supply_line(load_config(path)))
    report("Same players with β = 1 (S′ = 12 + opening supply line)", counted)
    ratio = human.kpis["total_cost"] / counted.kpis["total_cost"]
    print(f"team cost, β = 0.34 vs β = 1: {ratio:.1f} times")
    assert ratio > 3
    for s in STAGES[1:]:
        assert counted.kpis[f"bullwhip_{s}"] < human.kpis[f"bullwhip_{s}"]


def test_sharing_customer_demand_lowers_the_amplification(games):
    local = play(games / "beer_game.yaml")
    shared = play(games / "beer_game_shared.yaml")
    report("Every stage sees customer demand (shared)", shared)
    for s in STAGES:
        assert shared.kpis[f"bullwhip_{s}"] < local.kpis[f"bullwhip_{s}"], s
    assert shared.kpis["total_cost"] < local.kpis["total_cost"]


def test_the_bullwhip_picture_is_drawn(games, tmp_path):
    outcome = play(games / "beer_game.yaml").outcome
    path = plot_chain_orders(outcome, tmp_path / "beer_game.png")
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 10_000
