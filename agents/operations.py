"""Operations: plans production weekly from the forecast it trusts; wants stable, cheap output.

In silo it trusts only its own moving average of what left the warehouse (shipments lag and
hide lost demand); with a demand review it plans to the consensus, and with a supply review it
makes the agreed quantities, corrected for how far stock has drifted from the plan — as far as
its plan adherence goes. It aims at a cover of the planned lead time plus a week plus
``safety_days``, moves part of the way from last week's quantity (levelling), rounds up to
lots, and asks for overtime only when the backlog is deep. Paid on operating profit instead of
unit cost, it chases demand and asks for overtime as soon as customers wait.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from agents.base import FunctionAgent, View
from agents.config import CompanyConfig, OperationsAgent
from sim.calendar import DAYS_PER_WEEK

__all__ = ["Operations", "ProductionProposal"]


@dataclass(frozen=True)
class ProductionProposal:
    """This week's units per product, the plan for the next weeks [product, week], the
    forecast per day it rests on, and whether Operations asks for overtime."""

    quantities: np.ndarray
    plan: np.ndarray
    forecast: np.ndarray
    overtime: bool


class Operations(FunctionAgent):
    function = "operations"

    def __init__(self, model: mesa.Model, config: CompanyConfig, knobs: OperationsAgent) -> None:
        super().__init__(model, goal=knobs.incentive)
        self.knobs = knobs
        self.products = tuple(config.products)
        self.last_quantities = np.zeros(len(self.products))
        self.frozen: list[np.ndarray] = []  # quantities decided, waiting out the frozen horizon

    def own_forecast(self, view: View) -> np.ndarray:
        """Moving average of the demand signal Operations sees, per product per day."""
        signal = view.obs.demand_history if view.shared else view.obs.shipped_history
        window = signal[-self.knobs.forecast_days :]
        return window.mean(axis=0) if len(window) else np.zeros(len(self.products))

    def _need(
        self, view: View, per_day: np.ndarray, cover_demand: np.ndarray, extra: np.ndarray
    ) -> np.ndarray:
        obs = view.obs
        position = (
            obs.finished_on_hand + obs.production_queued + obs.production_in_process - obs.backlog
        )
        target = cover_demand + self.knobs.safety_days * per_day + extra
        return np.maximum(target - position, 0.0)

    def propose(
        self,
        view: View,
        trusted: np.ndarray | None = None,
        agreed: tuple[np.ndarray, np.ndarray] | None = None,
        adherence: float = 1.0,
        weeks: int = 4,
    ) -> ProductionProposal:
        """This week's production proposal (call once a week: it moves Operations' state).

        ``trusted`` is the agreed forecast per product and day ahead [P, days] (the consensus);
        ``agreed`` the supply plan's production for this week and the stock position the plan
        expected now. Operations follows them with weight ``adherence`` — making the agreed
        quantity, corrected by how far stock has drifted from the plan — and its own judgement
        with the rest.
        """
        k = self.knobs
        cover = k.planned_lead_time_days + DAYS_PER_WEEK - 1
        own = self.own_forecast(view)
        P = len(self.products)
        need = self._need(view, own, own * cover, np.zeros(P))
        per_day, weekly = own, np.repeat((own * DAYS_PER_WEEK)[:, None], weeks, axis=1)
        if trusted is not None:
            agreed_per_day = trusted[:, :cover].mean(axis=1)
            consensus = self._need(
                view, agreed_per_day, trusted[:, :cover].sum(axis=1), np.zeros(P)
            )
            need = adherence * consensus + (1 - adherence) * need
            per_day = adherence * agreed_per_day + (1 - adherence) * own
            future = trusted[:, : weeks * DAYS_PER_WEEK]
            weekly = future.reshape(P, -1, DAYS_PER_WEEK).sum(axis=2)
        quantities = self.last_quantities + k.smoothing * (need - self.last_quantities)
        if agreed is not None:
            planned, expected_position = agreed
            obs = view.obs
            position = (
                obs.finished_on_hand
                + obs.production_queued
                + obs.production_in_process
                - obs.backlog
            )
            on_plan = np.maximum(planned + expected_position - position, 0.0)
            quantities = adherence * on_plan + (1 - adherence) * quantities
        if k.lot_size > 0:
            quantities = np.ceil(quantities / k.lot_size - 1e-9) * k.lot_size
        quantities = np.maximum(quantities, 0.0)
        self.last_quantities = quantities
        self.frozen.append(quantities)
        executed = (
            self.frozen.pop(0) if len(self.frozen) > k.frozen_days // DAYS_PER_WEEK else np.zeros(P)
        )
        overtime = bool(
            (view.obs.backlog > k.overtime_trigger_days * np.maximum(per_day, 1e-9)).any()
        )
        plan = np.column_stack([executed, weekly[:, 1:]])
        return ProductionProposal(executed, plan, per_day, overtime)


def _pad(per_day: np.ndarray, days: int) -> np.ndarray:
    """``per_day`` extended to ``days`` columns by repeating its last four weeks' mean."""
    if per_day.shape[1] >= days:
        return per_day
    tail = per_day[:, -28:].mean(axis=1, keepdims=True) if per_day.shape[1] else 0.0
    return np.hstack([per_day, np.repeat(tail, days - per_day.shape[1], axis=1)])
