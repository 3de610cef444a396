"""A play room: one company run month by month with people in some of its seats.

The facilitator creates the room; participants join with its code and take a seat — Sales,
Operations, Procurement or Finance — and agents play the empty ones. Each month opens a round:
under a protocol that meets, the meeting's table comes first (the others' proposals and the
options with their dollar values; the executive — the facilitator, or its agent — takes or
declines them), then each seat sees its function's view (:func:`agents.seats.brief`: only what
the function would see under the protocol, late where it is late) and enters its decisions
for the month. The round closes when every seated person has decided, when its time runs out
(the agent decides for anyone who has not), or when the facilitator advances it.

The simulation runs in the room's own thread and waits at each round (the room is the model's
``desk``). Two runs of the same company go beside it on the same seed — the same customers,
the same scenarios fired on the same days, the same protocol switches:

- **the agents**, every function its agent, re-deciding at every weekly review;
- **the agents at the people's pace**: where a person held a seat in a month, that seat takes
  what its agent would have filled the person's form in with, once for the month, as a
  person accepting every suggestion would.

A person decides once a month and the agents every week, so the game differs from the agents
for two reasons; the debrief tells them apart: the game against the agents at the people's
pace is what the people's judgment did, and the agents at the people's pace against the
agents is what deciding monthly costs. A room in which nobody decides plays exactly as the
agents.
"""

from __future__ import annotations

import io

from agents.config import CompanyConfig
from agents.seats import ROLES, brief, parse_decision
from experiments.workshop.game import GameRoom, RoundClosed, finite
from experiments.workshop.room import Side, scenario_from, scenario_targets
from sim.calendar import DAYS_PER_WEEK, is_month_start, month_of_day, month_start

__all__ = ["PLAY_PROTOCOLS", "PlayRoom"]

PLAY_PROTOCOLS = ("silo", "sop")
"""The protocols a game switches between (first rounds in silo, then S&OP)."""
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DEBRIEF_KPIS = (
    ("operating_profit", "Operating profit", "dollars"),
    ("revenue", "Revenue", "dollars"),
    ("fill_rate", "Fill rate", "share"),
    ("avg_inventory_value", "Inventory (average, at cost)", "dollars"),
    ("lost_sales_units", "Sales lost (units)", "units"),
    ("cash_to_cash_days", "Cash-to-cash (days)", "days"),
)


class PlayRoom(GameRoom):
    """A game of ``config``'s company over ``months`` months (see the module docstring).

    ``executive``: ``"facilitator"`` (the console rules on the meeting's options) or
    ``"agent"``. ``round_seconds``: how long a round stays open. Round ``n`` is month ``n``.
    """

    kind = "company"

    def __init__(
        self,
        config: CompanyConfig,
        *,
        months: int = 12,
        round_seconds: float = 120.0,
        executive: str = "facilitator",
        protocol: str = "silo",
        seed: int | None = None,
    ) -> None:
        from agents.model import OnePlanModel

        if protocol not in PLAY_PROTOCOLS:
            raise ValueError(f"protocol is one of {', '.join(PLAY_PROTOCOLS)}, not {protocol!r}")
        if executive not in ("facilitator", "agent"):
            raise ValueError(f"executive is 'facilitator' or 'agent', not {executive!r}")
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 36:
            raise ValueError(f"months is a whole number, 1 to 36, not {months!r}")
        super().__init__(ROLES, round_seconds)
        self.seed = config.seed if seed is None else seed
        self.executive = executive
        self.months = months
        first = config.model_copy(update={"protocol": protocol})
        days = month_start(months)
        self.model = OnePlanModel(first, self.seed, days=days)
        self.twin = OnePlanModel(first, self.seed, days=days)
        self.paced = OnePlanModel(first, self.seed, days=days)
        self.model.desk = self
        self.held: dict[int, set[str]] = {}  # month -> the seats people decided for
        self.paced.desk = _AtThePeoplesPace(self.held)
        self.game, self.agents = Side("game", self.model), Side("agents", self.twin)
        self.runs = (self.model, self.twin, self.paced)
        self.horizon = self.model.horizon
        self.protocol = protocol
        self.protocols: list[tuple[int, str]] = [(0, protocol)]  # (day, protocol) switches
        self.pending_protocol: str | None = None
        self.pending_scenarios: list[object] = []
        self.fired: list[str] = []
        # What a seat sees of the game's log in silo: (seat, line), None for everyone's.
        self.seen: list[tuple[str | None, str]] = []
        self.table: list[dict] = []  # the last meeting's options, numbered
        self.proposals: dict = {}  # what the functions brought to the last meeting
        self.briefs: dict[str, dict] = {}
        self.debrief: dict | None = None
        self.figures: dict[str, bytes] = {}

    # ------------------------------------------------------------------ the facilitator

    def switch(self, protocol: str) -> None:
        """Play on under ``protocol`` from the next month."""
        if protocol not in PLAY_PROTOCOLS:
            raise ValueError(f"protocol is one of {', '.join(PLAY_PROTOCOLS)}, not {protocol!r}")
        with self._cond:
            if self.ended:
                raise RoundClosed("the game is over")
            self.pending_protocol = None if protocol == self.protocol else protocol
            self._changed()

    def fire(self, spec: str) -> str:
        """Fire a scenario on the game and the agents' runs from the next day played."""
        scenario = scenario_from(spec, self.model.world.topology)
        with self._cond:
            if self.ended:
                raise RoundClosed("the game is over")
            # Checked against the room's run as it stands: fired before the next day played.
            scenario = self.model.world.as_fired(scenario, self.model.day)
            self.pending_scenarios.append(scenario)
            self._changed()
        return scenario.describe()

    def parse(self, who: str, data: object) -> object:
        decision = parse_decision(who, data, self.model)
        if who == "executive":
            unknown = [i for i in decision.rulings if not 0 <= i < len(self.table)]
            if unknown:
                raise ValueError(
                    f"the table has options 0 to {len(self.table) - 1}, not {unknown[0]}"
                )
            taken: dict[int, list[int]] = {}
            for i, take in decision.rulings.items():
                group = self.table[i]["alternatives"]
                if take and group is not None:
                    taken.setdefault(group, []).append(i)
            for rows in taken.values():
                if len(rows) > 1:
                    raise ValueError(
                        f"options {', '.join(map(str, sorted(rows)))} are alternatives: "
                        "take one of them"
                    )
        promotion = getattr(decision, "promotion", None)
        if promotion is not None:
            allowed = (self.briefs.get(who) or {}).get("promotable", [])
            if promotion not in allowed:
                raise ValueError(
                    f"{promotion} cannot start a promotion this month (the quarter's budget "
                    "is spent, or its last one is too recent); promotable: "
                    f"{', '.join(allowed) or 'none'}"
                )
        return decision

    # ------------------------------------------------------------------ the model's desk

    def meeting(self, model, day: int, proposals, entry: dict) -> dict:
        """The meeting's table for the room; the executive's rulings, if a person rules."""
        table = [
            {
                "number": i,
                "option": row["option"],
                "proposed_by": row["proposed_by"],
                "description": row["description"],
                "score": row["score"],
                "chosen": row["chosen"],
                "reason": row["reason"],
                "alternatives": row.get("alternatives"),  # rows of one choice share it
            }
            for i, row in enumerate(entry.get("options", ()))
        ]
        with self._cond:
            self.table, self.proposals = table, _proposals(proposals, model)
        if self.executive != "facilitator" or not table:
            return {}
        answers = self.ask("meeting", day, ("executive",), month_of_day(day) + 1)
        ruling = answers.get("executive")
        if ruling is None:
            return {}
        return {
            (table[i]["option"], table[i]["description"]): take
            for i, take in ruling.rulings.items()
        }

    def decisions(self, model, day: int, views) -> dict[str, object]:
        """The month's decisions of the people in the seats."""
        briefs = {role: brief(model, role, views[role]) for role in ROLES}
        with self._cond:
            self.briefs = briefs
        answers = self.ask("deciding", day, ROLES, month_of_day(day) + 1)
        self.held[month_of_day(day)] = set(answers)
        with self._cond:
            self.seen += [
                (role, f"day {day}: {role} (in the room): {d.describe()}")
                for role, d in answers.items()
            ]
        return answers

    # ------------------------------------------------------------------ the simulation thread

    def _play(self) -> None:
        while self.model.day < self.horizon:
            self.wait_while_paused()
            self._between_days()
            for model in self.runs:
                model.step()
            end = self.model.day
            if end % DAYS_PER_WEEK == 0:
                with self._cond:
                    for side in (self.game, self.agents):
                        side.close_week(end)
                    self._changed()
        self._finish()

    def _between_days(self) -> None:
        """Before the next day: fire what was asked; switch protocol on a month's first day."""
        day = self.model.day
        with self._cond:
            scenarios, self.pending_scenarios = self.pending_scenarios, []
            switch = self.pending_protocol if is_month_start(day) else None
            if switch is not None:
                self.pending_protocol = None
        for scenario in scenarios:
            try:  # all three are at the same day: either every run fires it or none does
                for model in self.runs:
                    fired = model.world.fire(scenario)
            except ValueError as error:  # checked when asked; the room plays on regardless
                with self._cond:
                    self.game.log.append(f"day {day}: not fired: {error}")
                    self._changed()
                continue
            text = f"day {day}: {fired.describe()}"
            with self._cond:
                self.fired.append(text)
                self.seen.append((None, f"{text} (fired)"))
                for side in (self.game, self.agents):
                    side.log.append(f"{text} (fired)")
                self._changed()
        if switch is not None:
            for model in self.runs:
                model.switch_protocol(switch)
            with self._cond:
                self.protocol = switch
                self.protocols.append((day, switch))
                self.seen.append((None, f"day {day}: from now on under {switch}"))
                for side in (self.game, self.agents):
                    side.log.append(f"day {day}: from now on under {switch}")
                self._changed()

    def _finish(self) -> None:
        """The debrief: the game against the agents on the same demand."""
        from sim.metrics import company_kpis

        game, agents = self.model.world.outcome(), self.twin.world.outcome()
        paced = self.paced.world.outcome()
        mine, theirs, slow = company_kpis(game), company_kpis(agents), company_kpis(paced)
        rows = [
            {
                "kpi": kpi,
                "label": label,
                "unit": unit,
                "game": finite(mine[kpi]),
                "paced": finite(slow[kpi]),
                "agents": finite(theirs[kpi]),
                "judgment": finite(mine[kpi] - slow[kpi]),
                "pace": finite(slow[kpi] - theirs[kpi]),
                "difference": finite(mine[kpi] - theirs[kpi]),
            }
            for kpi, label, unit in DEBRIEF_KPIS
        ]
        figures = _debrief_figures(game, paced, agents, self._marks())
        with self._cond:
            for side in (self.game, self.agents):
                side.read()
            self.debrief = {
                "kpis": rows,
                "people": list(self.people),
                "protocols": [{"day": d, "protocol": p} for d, p in self.protocols],
                "fired": list(self.fired),
                "figures": list(figures),
            }
            self.figures = figures
            self.ended = True
            self.phase = "debrief"
            self._changed()

    def _marks(self) -> list[tuple[int, str]]:
        """Weeks where people decided, and where the protocol changed, for the figures."""
        weeks = {p["day"] // DAYS_PER_WEEK: "people decided" for p in self.people}
        weeks |= {d // DAYS_PER_WEEK: f"under {p}" for d, p in self.protocols[1:]}
        return sorted(weeks.items())

    # ------------------------------------------------------------------ what the pages show

    def view(self, seat: str | None, console: bool) -> dict:
        """The company's side of a page: the month, the protocol, the scoreboard, the
        meeting; a seat's own brief and nothing of the other seats'; the console sees every
        brief and the agents' scoreboard."""
        day = self.model.day
        out = {
            "day": day,
            "month": MONTH_NAMES[month_of_day(min(day, self.horizon - 1)) % 12],
            "months": self.months,
            "horizon": self.horizon,
            "protocol": self.protocol,
            "next_protocol": self.pending_protocol,
            "executive": self.executive,
            "names": scenario_targets(self.model.world.topology),
            "score": self.game.score(),
            "weeks": list(self.game.weeks),
            "table": self.table,
            "proposals": self.proposals,
            "log": self.game.log[-30:],
            "fired": list(self.fired),
            "debrief": self.debrief,
        }
        if seat is not None:
            out["brief"] = self.briefs.get(seat)
        if not console and not self.model.pieces.shared:
            # In silo a function sees its own data (its brief, late where it is late), not the
            # company's running score nor what the other seats decided; nor does a page that
            # has only the room's code.
            out["score"], out["weeks"] = None, []
            out["log"] = [text for who, text in self.seen if who in (None, seat)][-30:]
        if console:
            out["briefs"] = self.briefs
            out["agents_score"] = self.agents.score()
        return out


def _proposals(proposals, model) -> dict:
    """What each function brought to the meeting, as the room reads it."""
    top = model.world.topology
    days = 4 * DAYS_PER_WEEK
    demand = proposals.demand.per_day[:, :days].sum(axis=1)
    supply = proposals.supply
    return {
        "sales": {
            "next_4_weeks_units": {
                n: round(float(x)) for n, x in zip(top.products, demand, strict=True)
            },
            "promotions": [
                f"{p.product} from day {p.start_day}" for p in proposals.demand.promotions
            ],
        },
        "operations": {
            "capacity_per_week": {
                line: round(float(c) * DAYS_PER_WEEK)
                for line, c in zip(top.lines, supply.capacity_per_day, strict=True)
            },
            "position_units": {
                n: round(float(x)) for n, x in zip(top.products, supply.position, strict=True)
            },
        },
        "procurement": {
            name: {
                "supplier": c.main_supplier,
                "lead_days": round(c.regular_lead_days, 1),
                "available": round(c.available),
            }
            for name, c in zip(top.components, proposals.materials.components, strict=True)
        },
        "finance": {
            "inventory_target": round(proposals.finance.inventory_target)
            if proposals.finance.inventory_target < float("inf")
            else None,
            "inventory_value": round(proposals.finance.inventory_value),
            "hurdle_rate": proposals.finance.hurdle_rate,
        },
    }


class _AtThePeoplesPace:
    """The desk of the agents at the people's pace: for each seat a person decided in a
    month, what its agent fills the form in with, once for the month."""

    def __init__(self, held: dict[int, set[str]]) -> None:
        self.held = held

    def meeting(self, model, day, proposals, entry) -> dict:
        return {}

    def decisions(self, model, day: int, views) -> dict[str, object]:
        return {
            role: parse_decision(role, brief(model, role, views[role])["default"], model)
            for role in sorted(self.held.get(month_of_day(day), ()))
        }


def _debrief_figures(game, paced, agents, marks) -> dict[str, bytes]:
    """The report's over-time figures of the game against the agents, as PNG bytes."""
    from experiments.figures.over_time import money_figure, operations_figure, truth_figure
    from experiments.figures.series import weekly_series

    runs = {
        "the game": [weekly_series(game)],
        "the agents at the people's pace": [weekly_series(paced)],
        "the agents' run": [weekly_series(agents)],
    }
    name = "the game against the agents"
    out = {}
    for kind, figure in (
        ("operations", operations_figure(runs, name, events=marks)),
        ("money", money_figure(runs, name, events=marks)),
        ("truth", truth_figure({k: runs[k] for k in ("the game", "the agents' run")}, name)),
    ):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90)
        out[kind] = buffer.getvalue()
    return out
