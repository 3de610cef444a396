"""Where the value of S&OP comes from: a difference between two protocols split by mechanism.

The players are the pieces in which the two protocols differ (silo → sop: visibility, the
demand review, the supply review, exception reviews; → ibp also financial reconciliation and
the longer horizon) and, if asked, the kinds of option the supply review may put on the table.
A coalition is a protocol with the target's pieces for its players and the base's for the
rest. Every coalition runs on the same replication seeds (common random numbers), and each
player's contribution is its Shapley value: its marginal effect averaged over every order in
which the pieces could have been added.

- With up to :data:`EXACT_UP_TO` players every coalition is run and the Shapley values are
  exact. Beyond, ``permutations`` random orders of the players (from a seeded generator) are
  sampled and each player's value is its average marginal effect over them (Castro, Gómez &
  Tejada, *Computers & OR* 2009); only the coalitions those orders visit are run.
- Values are computed replication by replication. In each replication the contributions add
  up *exactly* to that replication's difference between target and base (they telescope), so
  their means add up to the mean difference; each contribution's 95% interval is over the
  replications.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents.config import OPTION_KINDS, CompanyConfig
from agents.protocols import PIECE_NAMES, make_protocol
from experiments.compare import interval
from experiments.engines import make_engine
from sim.rng import replication_seeds

__all__ = ["EXACT_UP_TO", "Attribution", "attribute", "players_between", "shapley"]

EXACT_UP_TO = 6  # players; 2**6 = 64 coalitions per replication


def players_between(base: str, target: str, options: bool = False) -> list[str]:
    """The pieces that differ between protocols ``base`` and ``target`` (and, with
    ``options``, each kind of option the target's supply review can decide)."""
    a, b = make_protocol(base), make_protocol(target)
    players = [name for name in PIECE_NAMES if getattr(a, name) != getattr(b, name)]
    if options and b.supply_review:
        players += [
            f"option:{kind}"
            for kind in OPTION_KINDS
            if b.financial_reconciliation or kind not in FINANCIAL_OPTIONS
        ]
    return players


FINANCIAL_OPTIONS = frozenset({"capacity_expansion", "capacity_reservation"})
"""Options only a financial reconciliation puts on the table (a player only where it can act)."""


def coalition_config(
    config: CompanyConfig,
    base: str,
    target: str,
    coalition: frozenset[str],
    option_players: bool = False,
) -> CompanyConfig:
    """``config`` run by ``base`` with the pieces in ``coalition`` taken from ``target`` (and,
    with ``option_players``, only the option kinds in ``coalition`` on the table)."""
    a, b = make_protocol(base), make_protocol(target)
    update = {n: getattr(b if n in coalition else a, n) for n in PIECE_NAMES}
    if option_players:
        update["options"] = tuple(k for k in OPTION_KINDS if f"option:{k}" in coalition)
    options = config.protocol_options.model_copy(update=update)
    return config.model_copy(update={"protocol": base, "protocol_options": options})


def shapley(values: dict[frozenset[str], float], players: Sequence[str]) -> dict[str, float]:
    """Exact Shapley values of ``players`` from the worth of every coalition."""
    n = len(players)
    out = dict.fromkeys(players, 0.0)
    for i in players:
        others = [p for p in players if p != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                s = frozenset(subset)
                out[i] += weight * (values[s | {i}] - values[s])
    return out


def sampled_shapley(
    values: dict[frozenset[str], float], orders: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Shapley values estimated as the average marginal effect over the given orders."""
    out = dict.fromkeys(orders[0], 0.0)
    for order in orders:
        coalition: frozenset[str] = frozenset()
        for player in order:
            bigger = coalition | {player}
            out[player] += (values[bigger] - values[coalition]) / len(orders)
            coalition = bigger
    return out


@dataclass(frozen=True)
class Attribution:
    """The worth of every coalition run, per KPI and replication, and how it was split."""

    config_name: str
    base: str
    target: str
    players: tuple[str, ...]
    seed: int
    seeds: tuple[int, ...]
    worth: dict[frozenset[str], dict[str, list[float]]]  # coalition -> kpi -> per replication
    orders: tuple[tuple[str, ...], ...] | None  # sampled orders, or None when exact

    @property
    def method(self) -> str:
        if self.orders is None:
            return f"exact Shapley values over {2 ** len(self.players)} combinations of pieces"
        return f"Shapley values sampled over {len(self.orders)} random orders of the pieces"

    def contributions(self, kpi: str) -> dict[str, list[float]]:
        """Each player's contribution to ``kpi``, replication by replication."""
        out: dict[str, list[float]] = {p: [] for p in self.players}
        for r in range(len(self.seeds)):
            values = {c: w[kpi][r] for c, w in self.worth.items()}
            split = (
                shapley(values, self.players)
                if self.orders is None
                else sampled_shapley(values, self.orders)
            )
            for player, value in split.items():
                out[player].append(value)
        return out

    def summary(self, kpis: Sequence[str]) -> dict:
        """The JSON shape: per KPI, base and target means, the total difference and each
        player's contribution, each with its 95% interval."""
        empty, full = frozenset(), frozenset(self.players)
        out: dict[str, dict] = {}
        for kpi in kpis:
            base = self.worth[empty][kpi]
            target = self.worth[full][kpi]
            total = [t - b for t, b in zip(target, base, strict=True)]
            entry = {
                "base": _stat(base),
                "target": _stat(target),
                "total": _stat(total),
                "contributions": {p: _stat(v) for p, v in self.contributions(kpi).items()},
            }
            out[kpi] = entry
        return {
            "config": self.config_name,
            "base": self.base,
            "target": self.target,
            "reps": len(self.seeds),
            "seed": self.seed,
            "method": self.method,
            "players": list(self.players),
            "kpis": out,
        }


def _stat(values: Sequence[float]) -> dict:
    mean, low, high = interval(values)
    clean = [None if math.isnan(x) else x for x in (mean, low, high)]
    return {"mean": clean[0], "ci": clean[1:]}


def _run(job: tuple[int, CompanyConfig, int]) -> tuple[int, dict[str, float]]:
    from experiments.run import simulate

    index, config, seed = job
    return index, simulate(config, seed=seed).kpis


def attribute(
    config: CompanyConfig,
    base: str = "silo",
    target: str = "sop",
    reps: int = 10,
    seed: int | None = None,
    jobs: int = 1,
    options: bool = False,
    permutations: int = 24,
) -> Attribution:
    """Run every coalition the split needs on ``reps`` paired replications (see the module
    docstring)."""
    players = players_between(base, target, options)
    if not players:
        raise ValueError(f"{base} and {target} have the same pieces: nothing to attribute")
    root = config.seed if seed is None else seed
    seeds = tuple(replication_seeds(root, reps))
    if len(players) <= EXACT_UP_TO:
        orders = None
        coalitions = [
            frozenset(c)
            for size in range(len(players) + 1)
            for c in itertools.combinations(players, size)
        ]
    else:
        rng = np.random.default_rng(root)
        orders = tuple(tuple(rng.permutation(players)) for _ in range(permutations))
        found = {frozenset()}
        for order in orders:
            found |= {frozenset(order[: i + 1]) for i in range(len(order))}
        coalitions = sorted(found, key=lambda c: (len(c), sorted(c)))
    work = [(c, s) for c in coalitions for s in seeds]
    jobs_list = [
        (i, coalition_config(config, base, target, c, options), s) for i, (c, s) in enumerate(work)
    ]
    done = dict(make_engine("local", jobs).map(_run, jobs_list))
    worth: dict[frozenset[str], dict[str, list[float]]] = {}
    for i, (coalition, _) in enumerate(work):
        for name, value in done[i].items():
            worth.setdefault(coalition, {}).setdefault(name, []).append(value)
    return Attribution(config.name, base, target, tuple(players), root, seeds, worth, orders)
