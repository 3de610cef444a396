"""The Beer Game as a warm-up room: four stages from the customer upstream — retailer,
wholesaler, distributor, factory — one decision a week (how much to order), with the same
seats, rounds and clock as the company's game (:mod:`experiments.workshop.game`).

Each stage sees only its own position: stock on hand, what it owes downstream, what it has
ordered and not received, and the orders it received (as in the board game; a chain whose
stages share demand sees customers' orders too). Its agent — the stage's configured policy,
Sterman's anchoring-and-adjustment rule in the board game's config — fills the form in and
plays an empty seat or a person who lets the clock run out. The debrief compares the room's
chain with the agents' on the same customers: cost per stage and the orders as they amplify
upstream (bullwhip).
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agents.config import ChainConfig
from agents.seats import validated
from experiments.workshop.game import GameRoom, finite

__all__ = ["BeerOrder", "BeerRoom"]


class BeerOrder(BaseModel):
    """A stage's order for the week, in cases."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    order: Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]

    def describe(self) -> str:
        return f"order {self.order:,.0f} cases"


class BeerRoom(GameRoom):
    """A Beer Game of ``config`` (a serial chain) with people in some of its stages."""

    kind = "beer_game"

    def __init__(
        self, config: ChainConfig, *, round_seconds: float = 60.0, seed: int | None = None
    ) -> None:
        from agents.classic import ChainPlanner
        from sim.chain import Chain
        from sim.rng import Streams

        super().__init__(tuple(config.stages), round_seconds)
        self.config = config
        self.seed = config.seed if seed is None else seed
        self.planner = ChainPlanner(config)
        self.chain = Chain(config, Streams(self.seed), self._decide)
        self.twin = Chain(config, Streams(self.seed), ChainPlanner(config))
        self.periods = self.chain.periods
        self.briefs: dict[str, dict] = {}
        self.debrief: dict | None = None
        self.figures: dict[str, bytes] = {}

    def parse(self, who: str, data: object) -> BeerOrder:
        return validated(BeerOrder, data, who)

    # ------------------------------------------------------------------ the chain's decider

    def _decide(self, obs):
        from sim.messages import ReplenishmentOrder

        agent = list(self.planner(obs))  # the stage's policy decides (and remembers) first
        if not self.seats[obs.stage].taken:
            return agent
        self.wait_while_paused()
        suggested = sum(o.quantity for o in agent)
        recent = np.asarray(obs.demand_history)[-8:]
        with self._cond:
            self.briefs[obs.stage] = {
                "stage": obs.stage,
                "week": obs.period + 1,
                "on_hand": obs.on_hand,
                "backlog": obs.backlog,
                "supply_line": obs.supply_line,
                "incoming_order": obs.incoming_order,
                "orders_received": [float(x) for x in recent],
                "lead_time_weeks": obs.lead_time,
                "default": {"order": round(float(max(suggested, 0.0)))},
            }
        answers = self.ask("deciding", obs.period, (obs.stage,), obs.period + 1)
        decision = answers.get(obs.stage)
        if decision is None:
            return agent
        return [ReplenishmentOrder(obs.stage, decision.order)]

    def _play(self) -> None:
        from sim.metrics import chain_kpis

        game = self.chain.run()
        agents = self.twin.run()
        mine, theirs = chain_kpis(game), chain_kpis(agents)
        names = ["total_cost", *(f"cost_{s}" for s in game.stages), "fill_rate"]
        names += [f"bullwhip_{s}" for s in game.stages]
        rows = [
            {
                "kpi": k,
                "label": k.replace("_", " "),
                "unit": _unit(k),
                "game": finite(mine[k]),
                "agents": finite(theirs[k]),
                "difference": finite(mine[k] - theirs[k]),
            }
            for k in names
        ]
        figures = _figures(game, agents)
        with self._cond:
            self.debrief = {
                "kpis": rows,
                "people": list(self.people),
                "protocols": [],
                "fired": [],
                "figures": list(figures),
            }
            self.figures = figures
            self.ended = True
            self.phase = "debrief"
            self._changed()

    # ------------------------------------------------------------------ what the pages show

    def view(self, seat: str | None, console: bool) -> dict:
        chain = self.chain
        done = min(self.periods, int(chain.env.now // chain.period_days))  # weeks closed
        h = np.array([s.holding_cost_per_unit_per_period for s in self.config.stages.values()])
        b = np.array([s.backorder_cost_per_unit_per_period for s in self.config.stages.values()])
        cost = (chain.on_hand_end[:done] * h + chain.backlog_end[:done] * b).sum(axis=0)
        out = {
            "week": done,
            "weeks": self.periods,
            "stages": [
                {
                    "stage": name,
                    "cost": float(cost[i]),
                    "orders": [float(x) for x in chain.ordered[:done, i]],
                }
                for i, name in enumerate(chain.names)
            ],
            "customers": [float(x) for x in chain.customer_demand[:done]],
            "debrief": self.debrief,
        }
        if seat is not None:
            out["brief"] = self.briefs.get(seat)
        return out


def _unit(kpi: str) -> str:
    if kpi == "fill_rate":
        return "share"
    return "ratio" if kpi.startswith("bullwhip") else "dollars"


def _figures(game, agents) -> dict[str, bytes]:
    """The orders of every stage week by week, the room's chain beside the agents'."""
    from experiments.figures.chain import chain_figure

    out = {}
    for name, outcome, who in (("game", game, "the room"), ("agents", agents, "the agents")):
        named = replace(outcome, config=outcome.config.model_copy(update={"name": who}))
        buffer = io.BytesIO()
        chain_figure(named).savefig(buffer, format="png", dpi=90)
        out[name] = buffer.getvalue()
    return out
