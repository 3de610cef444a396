"""Helpers for tests of one function at a time: a real observation of the reference company,
changed where a test needs it, and a function agent built on its own.
"""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np

from agents.base import View
from agents.classic import ClassicPlanner
from agents.config import CompanyConfig
from sim.rng import Streams
from sim.world import CompanyObservation, World


def observations(config: CompanyConfig, days: int, seed: int = 1) -> list[CompanyObservation]:
    """The observations a decider would get on days ``0 .. days - 1`` of ``config`` run by its
    textbook policies (so that stock, orders and shipments look like a company's)."""
    planner = ClassicPlanner(config)
    seen: list[CompanyObservation] = []

    def record(obs: CompanyObservation) -> list[object]:
        seen.append(obs)
        return list(planner(obs))

    World(config, Streams(seed), record, horizon_days=days).run()
    return seen


def observation(config: CompanyConfig, day: int, seed: int = 1) -> CompanyObservation:
    """The observation of ``day`` (see :func:`observations`)."""
    return observations(config, day + 1, seed)[day]


def changed(obs: CompanyObservation, **fields: np.ndarray | float) -> CompanyObservation:
    """``obs`` with some fields replaced (arrays are made read-only like the world's)."""
    values: dict[str, object] = {}
    for name, value in fields.items():
        if isinstance(value, int | float):
            values[name] = value
            continue
        array = np.array(value, dtype=float)
        array.flags.writeable = False
        values[name] = array
    return dataclasses.replace(obs, **values)


def shared_view(obs: CompanyObservation) -> View:
    """What a function sees when every data is shared with it at once."""
    return View(obs, frozenset(), 0)


def model(seed: int = 0) -> mesa.Model:
    """A bare Mesa model for a function agent to live in (its decision stream)."""
    return mesa.Model(rng=np.random.default_rng(seed))
