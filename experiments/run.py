"""One run: a validated config and a seed in, an outcome and its KPIs out.

This is the unit every command and study is made of. It builds the world the config describes,
the decision makers that drive it, and runs it; it holds no state between runs, so runs can go
to any process (send ``(config, seed)``, get the outcome back).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass

from agents.classic import ChainPlanner, ClassicPlanner
from agents.config import ChainConfig, CompanyConfig, Config
from agents.model import AgentRecord, OnePlanModel
from sim.chain import Chain, ChainOutcome
from sim.metrics import kpis
from sim.rng import Streams
from sim.world import CompanyOutcome, World

__all__ = ["RunResult", "simulate"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run, its KPIs, and (when functions ran the company) what they
    learned and decided."""

    outcome: CompanyOutcome | ChainOutcome
    kpis: dict[str, float]
    agents: AgentRecord | None = None

    @property
    def seed(self) -> int:
        return self.outcome.seed


@contextmanager
def _collected_once():
    """Keep the garbage collector out of the run. A run allocates tens of thousands of
    records that live until its end and makes almost no reference cycles (about a thousand
    objects in three years of the reference company), so collections during it would find
    next to nothing while walking ever more objects — and everything that existed before it
    (configs, modules, earlier results), which is frozen out of their way. What the run
    leaves behind is collected as usual once it is over."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def simulate(
    config: Config, seed: int | None = None, days: int | None = None, protocol: str | None = None
) -> RunResult:
    """Run ``config`` with ``seed`` (default: the config's) for ``days`` (default: its horizon),
    under ``protocol`` (default: the config's; companies only)."""
    with _collected_once():
        return _simulate(config, seed, days, protocol)


def _simulate(
    config: Config, seed: int | None, days: int | None, protocol: str | None
) -> RunResult:
    seed = config.seed if seed is None else seed
    horizon = config.horizon_days if days is None else days
    if config.warmup_days >= horizon:
        raise ValueError(
            f"a warm-up of {config.warmup_days} days leaves nothing of a {horizon}-day run "
            "to measure"
        )
    streams = Streams(seed)
    if protocol is not None:
        if not isinstance(config, CompanyConfig):
            raise ValueError("protocols apply to companies, not to serial chains")
        config = config.model_copy(update={"protocol": protocol})
    if isinstance(config, ChainConfig):
        outcome = Chain(config, streams, ChainPlanner(config), horizon_days=days).run()
    elif isinstance(config, CompanyConfig) and config.protocol == "classic":
        if config.policies is None:
            raise ValueError("protocol 'classic' needs the config's 'policies' section")
        outcome = World(config, streams, ClassicPlanner(config), horizon_days=days).run()
    elif isinstance(config, CompanyConfig):
        model = OnePlanModel(config, seed, days)
        outcome = model.run()
        return RunResult(outcome, kpis(outcome), model.record())
    else:  # pragma: no cover
        raise TypeError(f"unknown config type {type(config).__name__}")
    return RunResult(outcome, kpis(outcome))
