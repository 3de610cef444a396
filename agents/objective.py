"""What a function is paid on: weights over the terms of its own performance, and the score.

A function decides by scoring candidate actions: for each candidate it estimates, from its own
view and its own model of the world, the value of every term it knows (revenue, units short,
overtime dollars...), and the :class:`Objective` adds them up with its weights. Pay changes
behaviour only through these weights — there is no branch on the name of an incentive
anywhere in the functions.

Terms are signed so that more is better: a cost enters as minus dollars, a shortage as minus
units. A weight is what one unit of the term is worth to the function, in dollars: 1 for
terms already in dollars, dollars per unit for terms in units. ``operating_profit`` is each
function's own estimate of what the candidate does to the company's operating profit, so a
function paid on it weighs the trade-offs the company would.

The presets, one per incentive a config can name (``agents.<function>.incentive``; a config's
``pay`` overrides any weight), are :data:`PRESETS`: Sales paid on ``revenue`` counts revenue;
on ``volume``, $20 a unit sold; Operations paid on ``unit_cost`` counts overtime dollars,
$2 a unit of regular capacity used (idle capacity is its visible waste), $1 a unit of schedule
change and $4 a unit short (the complaint it hears); Procurement paid on ``purchase_price``
counts the landed price (price variance and freight) and $2 a unit at risk of arriving late
(surprises); Finance paid on
``working_capital`` counts every dollar of inventory over its target, the capital charge, and
a fifth of the margin it expects a cut to lose. Every function paid on ``operating_profit``
counts its estimate of the company's operating profit, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["PRESETS", "Objective", "objective_for"]

PRESETS: dict[str, dict[str, dict[str, float]]] = {
    "sales": {
        "revenue": {"revenue": 1.0},
        "volume": {"volume": 20.0},
        "operating_profit": {"operating_profit": 1.0},
    },
    "operations": {
        "unit_cost": {
            "overtime": 1.0,
            "utilization": 2.0,
            "schedule_changes": 1.0,
            "shortage": 4.0,
        },
        "operating_profit": {"operating_profit": 1.0},
    },
    "procurement": {
        "purchase_price": {
            "purchase_price_variance": 1.0,
            "freight": 1.0,
            "supply_risk": 2.0,
            "component_inventory": 0.25,
        },
        "operating_profit": {"operating_profit": 1.0},
    },
    "finance": {
        "working_capital": {"budget_excess": 1.0, "working_capital": 1.0, "margin": 0.2},
        "operating_profit": {"operating_profit": 1.0},
    },
}


@dataclass(frozen=True)
class Objective:
    """Weights over named terms; :meth:`score` is their weighted sum."""

    incentive: str
    weights: Mapping[str, float]

    def score(self, terms: Mapping[str, np.ndarray | float]) -> np.ndarray | float:
        """Weighted sum of ``terms`` (arrays score many candidates at once); terms the
        function is not paid on count for nothing."""
        total: np.ndarray | float = 0.0
        for name, weight in self.weights.items():
            if weight and name in terms:
                total = total + weight * terms[name]
        return total

    def weight(self, term: str) -> float:
        return float(self.weights.get(term, 0.0))

    def describe(self) -> str:
        """``revenue 1`` or ``overtime 1, shortage 4``: the weights that are not zero."""
        return ", ".join(f"{k} {v:g}" for k, v in self.weights.items() if v) or "nothing"


def objective_for(function: str, incentive: str, pay: Mapping[str, float]) -> Objective:
    """The objective of ``function`` paid on ``incentive``, with ``pay`` overriding weights."""
    weights = dict(PRESETS[function][incentive])
    weights.update(pay)
    return Objective(incentive, weights)
