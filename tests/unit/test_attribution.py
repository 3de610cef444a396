"""Shapley values split a difference exactly, and credit what each piece does."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.attribution import players_between, sampled_shapley, shapley

PLAYERS = ("a", "b", "c", "d")


def coalitions(players):
    return [
        frozenset(c) for n in range(len(players) + 1) for c in itertools.combinations(players, n)
    ]


worths = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=16, max_size=16
)


@settings(max_examples=200, deadline=None)
@given(worths)
def test_the_contributions_add_up_to_the_whole_difference(values):
    worth = dict(zip(coalitions(PLAYERS), values, strict=True))
    split = shapley(worth, PLAYERS)
    total = worth[frozenset(PLAYERS)] - worth[frozenset()]
    assert abs(sum(split.values()) - total) <= 1e-6 * max(1.0, abs(total), *map(abs, values))


@settings(max_examples=100, deadline=None)
@given(worths, st.integers(min_value=0, max_value=2**32 - 1))
def test_sampled_orders_add_up_to_the_whole_difference_too(values, seed):
    worth = dict(zip(coalitions(PLAYERS), values, strict=True))
    rng = np.random.default_rng(seed)
    orders = [tuple(rng.permutation(PLAYERS)) for _ in range(5)]
    split = sampled_shapley(worth, orders)
    total = worth[frozenset(PLAYERS)] - worth[frozenset()]
    assert abs(sum(split.values()) - total) <= 1e-6 * max(1.0, abs(total), *map(abs, values))


def test_a_piece_that_changes_nothing_gets_nothing_and_twins_share_alike():
    # a and b matter only together (worth 10); c adds 3 wherever it is; d does nothing.
    def worth(coalition):
        return 10.0 * ({"a", "b"} <= coalition) + 3.0 * ("c" in coalition)

    split = shapley({c: worth(c) for c in coalitions(PLAYERS)}, PLAYERS)
    assert split == {"a": 5.0, "b": 5.0, "c": 3.0, "d": 0.0}


def test_the_players_are_the_pieces_in_which_two_protocols_differ():
    assert players_between("silo", "sop") == [
        "visibility",
        "demand_review",
        "supply_review",
        "exception_reviews",
    ]
    assert players_between("sop", "ibp") == ["financial_reconciliation", "horizon_months"]
    assert players_between("silo", "info_sharing") == ["visibility"]
    # The five kinds of option sop's supply review decides; capacity is IBP's.
    assert len(players_between("silo", "sop", options=True)) == 4 + 5
    assert "option:capacity_reservation" in players_between("sop", "ibp", options=True)
