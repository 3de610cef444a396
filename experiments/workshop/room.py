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


def _number(low: float, high: float, whole: bool = False):
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ValueError(f"the value is a number, {low:g} to {high:g}")
        if whole and value != int(value):
            raise ValueError(f"the value is a whole number of days, {low:g} to {high:g}")
        if not low <= value <= high:
            raise ValueError(f"the value is {low:g} to {high:g}, not {value:g}")
        return int(value) if whole else float(value)

    return check


def _incentive(value: object) -> str:
    allowed = ("revenue", "volume", "operating_profit")
    if value not in allowed:
        raise ValueError(f"Sales is paid on one of {', '.join(allowed)}, not {value!r}")
    return str(value)


KNOBS = {
    "sales_optimism": _number(-0.5, 2.0),
    "sales_pay": _incentive,
    "information_delay_days": _number(0, 90, whole=True),
    "finance_cap_days": _number(1, 365),
    "capacity_pct": _number(-90, 200),
}
"""The story's knobs a facilitator turns between steps, with what each allows."""
KNOB_NAMES = {
    "sales_optimism": "Sales' optimism",
    "sales_pay": "Sales' pay",
    "information_delay_days": "the information delay",
    "finance_cap_days": "Finance's inventory cap",
    "capacity_pct": "the plant's capacity",
}


def _shown(name: str, value) -> str:
    if name == "sales_optimism":
        return f"{value:+.0%}"
    if name == "sales_pay":
        return str(value).replace("_", " ")
    if name == "capacity_pct":
        return f"{value:+g}% of the config's"
    return f"{value:g} days"


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
        self.version = getattr(self, "version", -1) + 1  # only ever grows: streams see a reset
        agents = self.config.agents
        self.knobs = {
            "sales_optimism": agents.sales.optimism_bias,
            "sales_pay": agents.sales.incentive,
            "information_delay_days": self.config.information_delay_days,
            "finance_cap_days": agents.finance.inventory_cap_days,
            "capacity_pct": 0.0,
        }

    def set_knob(self, name: str, value: object) -> str:
        """Turn one of the story's knobs on both sides, from the next day played: Sales'
        optimism (its forecast's inflation) and what it is paid on, the information delay,
        Finance's inventory cap (days of cost of goods) and the plant's capacity (percent
        over the config's). Returns what changed, in words; a ``ValueError`` says what is
        allowed. What the functions learn from here on starts from the new value."""
        from agents.objective import objective_for
        from agents.sales import Sales

        check = KNOBS.get(name)
        if check is None:
            raise ValueError(f"unknown knob {name!r}; knobs: {', '.join(KNOBS)}")
        value = check(value)
        with self.lock:
            if name == "capacity_pct":
                old = 1.0 + self.knobs[name] / 100.0
                change = ((1.0 + value / 100.0) / old - 1.0) * 100.0
                if abs(change) > 1e-12:
                    scenario = scenario_from(f"line_capacity:pct={change!r}", self._top())
                    for side in self.sides:
                        side.model.world.fire(scenario)
            for side in self.sides:
                model = side.model
                for agent in model.functions:
                    if isinstance(agent, Sales) and name == "sales_optimism":
                        agent.inflation.value[:] = value
                        agent.trying = agent.inflation.value.copy()
                    elif isinstance(agent, Sales) and name == "sales_pay":
                        agent.objective = objective_for("sales", value, agent.knobs.pay)
                    elif agent.role == "finance" and name == "finance_cap_days":
                        agent.cap.value = value
                if name == "information_delay_days":
                    model.config = model.config.model_copy(update={name: value})
            self.knobs[name] = value
            text = f"day {self.day}: {KNOB_NAMES[name]} set to {_shown(name, value)}"
            for side in self.sides:
                side.log.append(f"{text} (facilitator)")
            self.version += 1
        return text

    def _top(self):
        return self.sides[0].model.world.topology

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
                "knobs": dict(self.knobs),
                "day": self.day,
                "week": self.day // DAYS_PER_WEEK,
                "horizon": self.horizon,
                "done": self.day >= self.horizon,
                "fired": self.fired,
                "version": self.version,
                "sides": sides,
            }
