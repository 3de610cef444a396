"""Plug-ins are chosen by name from a registry, and every name a config may give has one."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from agents.classic import SOURCING_RULES
from agents.config import PurchasingPolicy
from sim.config import Noise, WorldConfig
from sim.demand import NOISE_LAWS
from sim.scenarios import SCENARIO_KINDS, ScenarioSpec
from sim.warehouse import ALLOCATION_RULES


def literal_names(model, field: str) -> set[str]:
    return set(get_args(model.model_fields[field].annotation))


def test_every_allocation_noise_and_sourcing_name_has_its_plug_in():
    assert literal_names(WorldConfig, "allocation") == set(ALLOCATION_RULES)
    assert literal_names(Noise, "distribution") == set(NOISE_LAWS)
    assert literal_names(PurchasingPolicy, "sourcing") == set(SOURCING_RULES)


def test_every_scenario_kind_is_registered_and_accepted_by_the_config():
    union = get_args(get_args(ScenarioSpec)[0])
    assert {cls.model_fields["kind"].default for cls in union} == set(SCENARIO_KINDS)


@pytest.mark.parametrize("rule", sorted(ALLOCATION_RULES))
def test_an_allocation_rule_gives_no_more_than_is_there_nor_asked(rule):
    orders = [[3, 1, 0, 5.0], [1, 0, 0, 4.0], [2, 1, 1, 6.0]]
    give = ALLOCATION_RULES[rule].give(orders, 9.0, True, np.array([0, 1]))
    assert give.sum() == pytest.approx(9.0)
    assert (give <= np.array([o[3] for o in orders]) + 1e-12).all()
    if rule == "priority":  # market 0 first, then the oldest order of market 1
        assert [o[0] for o, g in zip(orders, give, strict=True) if g] == [1, 2]
