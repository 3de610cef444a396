"""Named random streams: stable by name, independent across names and kinds."""

from __future__ import annotations

import numpy as np
import pytest

from sim.rng import Streams, replication_seeds


def test_a_stream_depends_only_on_root_seed_and_name():
    first = Streams(42)
    first.exogenous("other").random(100)  # creating other streams first changes nothing
    a = first.exogenous("demand").random(5)
    b = Streams(42).exogenous("demand").random(5)
    np.testing.assert_array_equal(a, b)


def test_names_kinds_and_seeds_give_different_streams():
    s = Streams(42)
    draws = [
        s.exogenous("demand").random(),
        s.exogenous("lead_time/a").random(),
        s.decision("demand").random(),
        Streams(43).exogenous("demand").random(),
    ]
    assert len(set(draws)) == len(draws)


def test_a_stream_continues_where_it_stopped():
    s = Streams(1)
    a = s.exogenous("x").random(3)
    b = s.exogenous("x").random(3)
    np.testing.assert_array_equal(np.concatenate([a, b]), Streams(1).exogenous("x").random(6))


def test_replication_seeds_are_stable_and_distinct():
    seeds = replication_seeds(7, 20)
    assert seeds == replication_seeds(7, 20)
    assert len(set(seeds)) == 20
    assert replication_seeds(7, 5) == seeds[:5]


def test_negative_root_seed_is_refused():
    with pytest.raises(ValueError, match="root seed"):
        Streams(-1)
