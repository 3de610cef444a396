"""A watch room: the same company run twice in lockstep on the same demand — in silo and under
S&OP — stepped a week at a time, with what a facilitator shows a room: a scoreboard in dollars
and service points, weekly series for the charts, the S&OP side's decision log, and scenarios
fired from the library while it runs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from agents.config import CompanyConfig
from agents.protocols.meeting import PERSON
from sim import ledger as rec
from sim.calendar import DAYS_PER_WEEK
from sim.ledger import EXPENSES, INCOME, INVENTORY, Account
from sim.scenarios import SCENARIO_KINDS, parse_scenario, scenario_problems
from sim.source import SourceError

__all__ = ["SIDES", "Side", "WatchRoom"]

SIDES = ("silo", "sop")
"""The protocols shown side by side, left to right."""


@dataclass
class Side:
    """One of the two runs: its model and what has been drawn of it so far."""

    protocol: str
    model: object  # agents.model.OnePlanModel
    weeks: list[dict] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    _facts: int = 0  # facts read so far
    _on_time: float = 0.0
    _ordered: float = 0.0
    _week: dict = field(default_factory=dict)

    def read(self) -> None:
        """Take in the facts recorded since the last read."""
        facts = self.model.world.ledger.facts
        for f in facts[self._facts :]:
            kind = type(f)
            if kind is rec.OrderReceived:
                self._ordered += f.quantity
            elif kind is rec.OrderShipped and f.day == f.order_day:
                self._on_time += f.quantity
            elif kind is rec.ForecastIssued and f.acted_on:
                self._week.setdefault(f.owner, {})[f.product] = f.per_day * DAYS_PER_WEEK
            elif kind is rec.DecisionRecorded:
                self.log += _decisions(f)
        self._facts = len(facts)

    def close_week(self, end: int) -> None:
        """Draw the week that ends before day ``end``: demand, each function's forecast,
        stock, backlog, plant load and cash."""
        world = self.model.world
        self.read()
        day = end - 1
        balances = world.daily["balances"][day]
        start = max(0, end - DAYS_PER_WEEK)
        made = (
            world.daily["line_regular_used"][start:end]
            + world.daily["line_overtime_used"][start:end]
        ).sum()
        regular = world.daily["line_capacity"][start:end].sum()
        forecasts = {owner: float(sum(by.values())) for owner, by in self._week.items()}
        self.weeks.append(
            {
                "week": end // DAYS_PER_WEEK,
                "demand": float(world.demand[start:end].sum()),
                "forecasts": forecasts,
                "inventory": float(balances[[int(a) for a in INVENTORY]].sum()),
                "backlog": float(world.daily["backlog"][day].sum()),
                "load": float(made / regular) if regular > 0 else 0.0,
                "cash": float(balances[int(Account.CASH)]),
            }
        )

    def score(self) -> dict:
        """The scoreboard so far: profit, revenue, fill rate, inventory and cash."""
        books = self.model.world.books
        profit = sum(books.balance(a) for a in INCOME) - sum(books.balance(a) for a in EXPENSES)
        return {
            "profit": float(profit),
            "revenue": float(books.balance(Account.REVENUE)),
            "fill_rate": self._on_time / self._ordered if self._ordered else None,
            "inventory": float(sum(books.balance(a) for a in INVENTORY)),
            "cash": float(books.balance(Account.CASH)),
        }


PEOPLE_AND_WEIGHTS = ("the executive's weights", PERSON)
"""Who decides the options a facilitator reads out."""


def _decisions(fact) -> list[str]:
    """A meeting's decisions as a facilitator reads them out: what the executive took, and
    what it turned down as not worth it."""
    if fact.entry.get("kind") == "seat":
        entry = fact.entry
        return [f"day {fact.day}: {entry['function']} (in the room): {entry['summary']}"]
    out = []
    for option in fact.entry.get("options", ()):
        by = option.get("decided_by")
        if by not in PEOPLE_AND_WEIGHTS:
            continue
        if not option["chosen"] and option["score"] >= 0 and by != PERSON:
            continue  # a good alternative, beaten by a better one
        what = "took" if option["chosen"] else "declined"
        who = "the executive in the room" if by == PERSON else "the executive"
        score = option["score"]
        out.append(
            f"day {fact.day}: {who} {what} {option['option'].replace('_', ' ')} — "
            f"{option['description']} (worth {'+' if score >= 0 else '-'}${abs(score):,.0f})"
        )
    return out


def scenario_from(spec: str, top) -> object:
    """The scenario ``spec`` (``kind:key=value,...``) names, checked against the running
    company ``top`` (its topology) as the config gate checks a config's; a ``ValueError``
    says what is wrong."""
    try:
        data = parse_scenario(spec)
    except SourceError as error:
        raise ValueError(str(error.problems[0])) from None
    cls = SCENARIO_KINDS.get(data.get("kind"))
    if cls is None:
        raise ValueError(
            f"unknown kind {data.get('kind')!r}; kinds: {', '.join(sorted(SCENARIO_KINDS))}"
        )
    from pydantic import ValidationError

    try:
        scenario = cls.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or spec
        raise ValueError(f"{where}: {first['msg']}") from None
    # The config gate's own check of the names a scenario gives, on the running company.
    company = {
        "products": dict.fromkeys(top.products),
        "families": dict.fromkeys(top.families),
        "components": dict.fromkeys(top.components),
        "suppliers": dict.fromkeys(top.suppliers),
        "transport_modes": dict.fromkeys(top.modes),
        "plant": {"lines": dict.fromkeys(top.lines)},
        "scenarios": [data],
    }
    problems = scenario_problems(company)
    if problems:
        path, message = problems[0]
        raise ValueError(f"{'.'.join(map(str, path[2:])) or spec}: {message}")
    return scenario


def scenario_targets(top) -> dict[str, str]:
    """What a page's scenario buttons act on: the cheapest supplier of the dearest component,
    the slowest transport mode and the biggest line."""
    price = np.asarray(top.supplier_price, dtype=float)
    dearest = int(np.argmax(np.asarray(top.component_standard_cost))) if len(price.T) else 0
    sellers = np.flatnonzero(np.isfinite(price[:, dearest])) if len(price) else []
    main = top.suppliers[int(sellers[np.argmin(price[sellers, dearest])])] if len(sellers) else ""
    slow = top.modes[int(np.argmax(top.mode_lead_time_days))] if top.modes else ""
    big = top.lines[int(np.argmax(top.line_capacity_per_day))]
    return {"main_supplier": main, "slow_mode": slow, "big_line": big}


class WatchRoom:
    """Two models of ``config`` (silo and sop) on the same seed, stepped together."""

    def __init__(self, config: CompanyConfig, seed: int | None = None) -> None:
        self.config = config
        self.seed = config.seed if seed is None else seed
        self.lock = threading.Lock()
        self.fired: list[str] = []
        self.reset()

    def reset(self) -> None:
        """Back to day 0, the same demand again."""
        from agents.model import OnePlanModel

        self.sides = [
            Side(p, OnePlanModel(self.config.model_copy(update={"protocol": p}), self.seed))
            for p in SIDES
        ]
        self.fired = []
        self.day = 0
        self.version = 0

    @property
    def horizon(self) -> int:
        return self.sides[0].model.horizon

    def step(self, weeks: int = 1) -> None:
        """Play ``weeks`` more weeks on both sides (fewer at the end of the run)."""
        with self.lock:
            for _ in range(weeks):
                if self.day >= self.horizon:
                    break
                end = min(self.day + DAYS_PER_WEEK, self.horizon)
                for side in self.sides:
                    while side.model.day < end:
                        side.model.step()
                    side.close_week(end)
                self.day = end
            self.version += 1

    def fire(self, spec: str) -> str:
        """Fire a scenario on both sides from the next day to play: ``kind:key=value,...``.
        Returns what it does, in words; raises ``ValueError`` with what is wrong."""
        scenario = scenario_from(spec, self.sides[0].model.world.topology)
        with self.lock:
            for side in self.sides:
                fired = side.model.world.fire(scenario)
            text = f"day {self.day}: {fired.describe()}"
            self.fired.append(text)
            for side in self.sides:
                side.log.append(f"{text} (fired)")
            self.version += 1
        return fired.describe()

    def names(self) -> dict[str, str]:
        return scenario_targets(self.sides[0].model.world.topology)

    def state(self) -> dict:
        """What the page shows: the day, each side's scoreboard, weekly series and log."""
        with self.lock:
            sides = []
            for side in self.sides:
                sides.append(
                    {
                        "protocol": side.protocol,
                        "score": side.score(),
                        "weeks": side.weeks,
                        "log": side.log[-40:],
                    }
                )
            return {
                "names": self.names(),
                "day": self.day,
                "week": self.day // DAYS_PER_WEEK,
                "horizon": self.horizon,
                "done": self.day >= self.horizon,
                "fired": self.fired,
                "version": self.version,
                "sides": sides,
            }
