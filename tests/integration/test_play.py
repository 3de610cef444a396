"""Play rooms: people in the company's seats, month by month, and the Beer Game warm-up.

What a person decides must be what the function does (and nothing else changes); a room
nobody decides in must play exactly as the agents alone; a round closes on its clock with the
agent deciding for a silent seat; bad input is refused with a clear message and changes
nothing; a seat sees its own function's view only."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from starlette.testclient import TestClient

from agents.config import load_config
from agents.model import OnePlanModel
from agents.protocols.meeting import PERSON
from experiments.workshop.app import create_app
from experiments.workshop.beer import BeerRoom
from experiments.workshop.game import RoundClosed
from experiments.workshop.play import PlayRoom
from sim import ledger as rec
from sim.calendar import month_of_day, month_start
from sim.metrics import company_kpis

MONTHS = 3


@pytest.fixture(scope="module")
def config(configs_dir):
    return load_config(configs_dir / "baseline.yaml")


@pytest.fixture(scope="module")
def beer_game(configs_dir):
    return load_config(configs_dir / "games" / "beer_game.yaml")


def drive(room, answer, timeout: float = 120.0) -> None:
    """Play ``room`` to its end: whenever a round is open to ``who``, submit ``answer(who,
    state)`` (None: stay silent, or for the executive, close the meeting unruled)."""
    room.start()
    deadline = time.monotonic() + timeout
    answered: set[tuple[int, str, str]] = set()
    while not room.ended and time.monotonic() < deadline:
        state = room.state(console=True)
        current = state["round"]
        if current and current["open"]:
            for who in current["waiting_for"]:
                key = (current["number"], current["phase"], who)
                if key in answered:
                    continue
                answered.add(key)
                decision = answer(who, room.state(seat=who) if who != "executive" else state)
                if decision is not None:
                    room.submit(who, decision, current["number"])
                elif who == "executive":
                    room.advance()
        time.sleep(0.005)
    assert room.wait(timeout), "the game did not finish"
    assert room.error is None, room.error


def same_run(a, b) -> bool:
    for name, values in a.daily.items():
        if not np.array_equal(values, b.daily[name], equal_nan=True):
            return False
    ka, kb = company_kpis(a), company_kpis(b)
    return all(ka[k] == kb[k] or (np.isnan(ka[k]) and np.isnan(kb[k])) for k in ka)


# ------------------------------------------------------------------ no result by construction


@pytest.mark.parametrize(("protocol", "executive"), [("sop", "facilitator"), ("silo", "agent")])
def test_a_room_nobody_decides_in_plays_exactly_as_the_agents_alone(config, protocol, executive):
    """The room's briefs and the meeting drawn up for the room change nothing: the game is
    the plain run of the company, day by day, when nobody decides (half a year, through the
    first promotions and the peak's build-up)."""
    months = 7
    room = PlayRoom(config, months=months, protocol=protocol, executive=executive)
    drive(room, lambda who, state: None)  # the facilitator closes every meeting unruled
    plain = OnePlanModel(
        config.model_copy(update={"protocol": protocol}), config.seed, month_start(months)
    ).run()
    assert room.rounds == months and not room.people
    for run in (room.model, room.twin, room.paced):
        assert same_run(run.world.outcome(), plain)


def test_a_seat_whose_person_never_decides_is_played_by_its_agent(config):
    room = PlayRoom(config, months=2, round_seconds=1, executive="agent")
    room.claim("operations", "silent")
    started = time.monotonic()
    room.start()
    assert room.wait(60)
    assert 2 <= time.monotonic() - started < 30  # each round waited for its clock
    assert not room.people
    assert same_run(room.model.world.outcome(), room.twin.world.outcome())


def test_procurement_s_suggestions_are_its_agent_s_sources(config):
    """Procurement's form is filled in with sources its agent buys from (not the fastest
    mode because it costs the same before freight) and, once it has seen demand, with
    quantities to order."""
    room = PlayRoom(config, months=4, round_seconds=1, protocol="silo", executive="agent")
    room.claim("procurement")  # silent: the agent buys, the form shows what it suggests
    suggested = []

    def answer(who, state):
        suggested.append(state["brief"]["default"]["orders"])

    drive(room, answer)
    twin_buys = {
        (room.twin.world.topology.suppliers[f.supplier], room.twin.world.topology.modes[f.mode])
        for f in room.twin.world.outcome().ledger.facts
        if type(f) is rec.PurchaseOrderPlaced
    }
    sources = {(o["supplier"], o["mode"]) for s in suggested for o in s.values()}
    assert sources <= twin_buys, (sources, twin_buys)
    assert any(o["units"] > 0 for s in suggested[1:] for o in s.values())


def test_people_who_take_every_suggestion_play_as_the_agents_at_their_pace(config):
    """The agents at the people's pace are the game a room plays when every person submits
    what the form was filled in with: the debrief's judgment column is then zero, and what
    is left is the cost of deciding once a month instead of every week."""
    room = PlayRoom(config, months=MONTHS, protocol="sop", executive="agent")
    for role in ("operations", "finance"):
        room.claim(role)
    drive(room, lambda who, state: state["brief"]["default"])
    assert len(room.people) == 2 * MONTHS
    assert same_run(room.model.world.outcome(), room.paced.world.outcome())
    assert not same_run(room.model.world.outcome(), room.twin.world.outcome())
    rows = {row["kpi"]: row for row in room.debrief["kpis"]}
    assert rows["operating_profit"]["judgment"] == 0.0
    assert rows["operating_profit"]["pace"] == rows["operating_profit"]["difference"] != 0.0


def test_what_people_decide_is_what_their_functions_do(config):
    """Each seat's decisions reach the world as the function's own: Sales' forecast, the
    production Operations releases, Procurement's orders, Finance's cap on inventory."""
    room = PlayRoom(config, months=MONTHS, executive="agent")
    for role in ("sales", "operations", "procurement", "finance"):
        room.claim(role)
    top = room.model.world.topology
    compact, classic = top.products.index("compact"), top.products.index("classic")
    component = top.components[0]
    chosen = {}

    def answer(who, state):
        brief = state["brief"]
        if who == "sales":
            return {"forecast": {"compact": 700, "classic": 350, "pro": 140}}
        if who == "operations":
            return {"production": {"compact": 900, "classic": 0}, "overtime": False}
        if who == "procurement":
            source = brief["sources"][component][-1]
            chosen.update(supplier=source["supplier"], mode=source["mode"])
            return {"orders": {component: {"units": 400, **chosen}}}
        return {"inventory_cap_days": 1, "expedite_budget": 0, "hurdle_rate": 0.5}

    drive(room, answer)
    game, agents = room.model.world.outcome(), room.twin.world.outcome()
    assert len(room.people) == 4 * MONTHS
    facts = game.ledger.facts
    # Sales: the official forecast is the person's number, a week at a time.
    official = [f for f in facts if type(f) is rec.ForecastIssued and f.owner == "sales"]
    assert official and all(
        f.per_day == pytest.approx({0: 100, 1: 50, 2: 20}[f.product]) for f in official
    )
    # Operations: nothing of classic is released once the frozen weeks have passed.
    frozen = config.agents.operations.frozen_weeks * 7
    made = [f for f in facts if type(f) is rec.ProductionOrdered and f.day >= frozen + 1]
    assert made and not [f for f in made if f.product == classic]
    weekly = {}
    for f in made:
        if f.product == compact:
            weekly[f.day] = weekly.get(f.day, 0.0) + f.quantity
    assert max(weekly.values()) <= 900
    # Procurement: every purchase of the component from the source the person chose.
    supplier, mode = top.suppliers.index(chosen["supplier"]), top.modes.index(chosen["mode"])
    bought = [f for f in facts if type(f) is rec.PurchaseOrderPlaced]
    c = top.components.index(component)
    assert bought and all(f.component == c for f in bought)
    assert all((f.supplier, f.mode) == (supplier, mode) and f.quantity <= 400 for f in bought)
    # Finance: a one-day cap cuts more of the orders than the agent's cap does.
    cut = sum(f.cut_value for f in facts if type(f) is rec.OrdersReviewed)
    their_cut = sum(f.cut_value for f in agents.ledger.facts if type(f) is rec.OrdersReviewed)
    assert cut > their_cut
    # And every decision is on the record, marked as a person's.
    seats = [
        f.entry for f in facts if type(f) is rec.DecisionRecorded and f.entry["kind"] == "seat"
    ]
    assert len(seats) == 4 * MONTHS and {e["function"] for e in seats} == set(room.seats)


def test_overtime_expediting_and_promotions_as_people_decide_them(config):
    room = PlayRoom(config, months=MONTHS, executive="agent")
    for role in ("sales", "operations", "finance"):
        room.claim(role)
    promoted = []

    def answer(who, state):
        brief = state["brief"]
        if who == "operations":  # more than the lines make on regular time, overtime on
            return {"production": {"compact": 4000}, "overtime": True}
        if who == "finance":
            return {"inventory_cap_days": 30, "expedite_budget": 0}
        if brief["promotable"]:
            promoted.append(brief["promotable"][0])
            return {"promotion": brief["promotable"][0]}
        return {}

    drive(room, answer)
    game = room.model.world.outcome()
    assert game.daily["line_overtime_used"].sum() > 0  # the agent, in silo, works none
    assert room.twin.world.outcome().daily["line_overtime_used"].sum() == 0
    top = room.model.world.topology
    rushed = [
        f
        for f in game.ledger.facts
        if type(f) is rec.PurchaseOrderPlaced and top.modes[f.mode] == "air"
    ]
    assert not rushed  # no expediting budget, no air freight
    assert promoted
    ran = {top.products[f.product] for f in game.ledger.facts if type(f) is rec.PromotionScheduled}
    assert set(promoted) <= ran


def test_a_promotion_that_cannot_run_is_refused(config):
    room = PlayRoom(config, months=1, executive="agent")
    room.briefs = {"sales": {"promotable": ["pro"]}}
    with pytest.raises(ValueError, match="compact cannot start a promotion this month"):
        room.parse("sales", {"promotion": "compact"})
    assert room.parse("sales", {"promotion": "pro"}).promotion == "pro"


def test_the_executive_in_the_room_rules_on_the_meeting_s_options(config):
    room = PlayRoom(config, months=4, protocol="sop", executive="facilitator")
    tables = []

    def answer(who, state):
        tables.append(state["table"])
        return {"rulings": {row["number"]: False for row in state["table"]}}

    drive(room, answer)
    assert tables and all(tables)
    meetings = [
        f.entry
        for f in room.model.world.outcome().ledger.facts
        if type(f) is rec.DecisionRecorded and f.entry["kind"] == "sop_cycle"
    ]
    ruled = [o for m in meetings for o in m["options"] if o["decided_by"] == PERSON]
    assert ruled
    for option in ruled:
        assert not option["chosen"] or "every alternative was declined" in option["reason"]
    # The weights took what the person declined, and the run went another way.
    assert any(row["chosen"] for table in tables for row in table[1:])
    assert not same_run(room.model.world.outcome(), room.twin.world.outcome())


def test_a_protocol_switch_takes_effect_on_the_next_month_s_first_day(config):
    room = PlayRoom(config, months=MONTHS, round_seconds=1, protocol="silo", executive="agent")
    room.claim("sales")  # silent: the agent plays it, the rounds wait for their clock

    def answer(who, state):
        if state["round"]["number"] == 1:
            room.switch("sop")  # during January: from February on

    drive(room, answer)
    assert room.protocols == [(0, "silo"), (31, "sop")]
    meetings = [
        f.day
        for f in room.model.world.outcome().ledger.facts
        if type(f) is rec.DecisionRecorded and f.entry["kind"] == "sop_cycle"
    ]
    assert meetings and min(meetings) == 31
    assert same_run(room.model.world.outcome(), room.twin.world.outcome())


def test_pausing_stops_the_round_s_clock(config):
    room = PlayRoom(config, months=1, round_seconds=1, executive="agent")
    room.claim("sales")
    room.start()
    while not (room.round and not room.round.closed):
        time.sleep(0.01)
    room.pause()
    time.sleep(2.5)
    state = room.state()
    assert state["round"]["open"] and state["paused"]
    room.resume()
    assert room.wait(30)
    assert not room.people


def test_the_debrief_compares_the_game_with_the_agents(config):
    room = PlayRoom(config, months=2, executive="agent")
    room.claim("operations")
    drive(room, lambda who, state: {"production": {"pro": 0}, "overtime": False})
    debrief = room.state()["debrief"]
    kpis = {row["kpi"]: row for row in debrief["kpis"]}
    profit = kpis["operating_profit"]
    assert profit["difference"] == pytest.approx(profit["game"] - profit["agents"])
    assert profit["judgment"] + profit["pace"] == pytest.approx(profit["difference"])
    assert [p["seat"] for p in debrief["people"]] == ["operations", "operations"]
    assert set(debrief["figures"]) == {"operations", "money", "truth"}
    assert all(room.figures[f].startswith(b"\x89PNG") for f in debrief["figures"])


# ---------------------------------------------------------------------------- bad input


@pytest.fixture
def client(config, beer_game):
    with TestClient(create_app(config, beer_game)) as c:
        yield c


def open_room(client, **settings):
    made = client.post("/api/play", json={"round_seconds": 60, **settings})
    assert made.status_code == 201, made.json()
    data = made.json()
    return data["room"], {"x-console": data["console"]}


def wait_for(client, code, headers, test, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/play/{code}/console", headers=headers).json()
        if test(state):
            return state
        time.sleep(0.02)
    raise AssertionError("the room never got there")


def test_a_seat_is_taken_kept_and_seen_alone(client):
    code, console = open_room(client, executive="agent")
    joined = client.post(f"/api/play/{code}/join", json={"seat": "sales", "name": "Ana"})
    assert joined.status_code == 201
    seat = {"x-seat": joined.json()["token"]}
    taken = client.post(f"/api/play/{code}/join", json={"seat": "sales", "name": "Bo"})
    assert taken.status_code == 409 and taken.json()["error"].startswith(
        "the sales seat is taken by Ana"
    )
    assert client.post(f"/api/play/{code}/console/start", headers=console).status_code == 200
    wait_for(client, code, console, lambda s: s["round"] and s["round"]["open"])
    mine = client.get(f"/api/play/{code}/seat", headers=seat).json()  # a reload: same seat
    assert mine["seat"] == "sales" and mine["brief"]["role"] == "sales"
    assert "briefs" not in mine and "agents_score" not in mine  # only its own view
    assert "sources" not in mine["brief"] and "books" not in mine["brief"]
    assert client.get(f"/api/play/{code}/seat", headers={"x-seat": "guess"}).status_code == 403
    other, _ = open_room(client)
    assert client.get(f"/api/play/{other}/seat", headers=seat).status_code == 403  # isolated
    assert client.get("/api/play/NOROOM/seat", headers=seat).status_code == 404
    client.post(f"/api/play/{code}/console/end", headers=console)


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        ({"forecast": {"compact": -5}}, "forecast.compact: input should be greater than or equal"),
        ({"forecast": {"compact": "lots"}}, "forecast.compact: input should be a valid number"),
        ({"forecast": {"widget": 5}}, "unknown product 'widget'; products: compact, classic, pro"),
        ({"promotion": "widget"}, "unknown product 'widget'"),
        ({"forecst": {}}, "forecst: extra inputs are not permitted"),
        ("not a decision", "a decision of sales has the fields forecast, promotion"),
    ],
)
def test_a_bad_decision_is_refused_and_changes_nothing(client, decision, message):
    code, console = open_room(client, executive="agent")
    seat = {"x-seat": client.post(f"/api/play/{code}/join", json={"seat": "sales"}).json()["token"]}
    client.post(f"/api/play/{code}/console/start", headers=console)
    before = wait_for(client, code, console, lambda s: s["round"] and s["round"]["open"])
    number = before["round"]["number"]
    answer = client.post(
        f"/api/play/{code}/decide", json={"round": number, "decision": decision}, headers=seat
    )
    assert answer.status_code == 400 and message in answer.json()["error"]
    after = client.get(f"/api/play/{code}/console", headers=console).json()
    assert after["round"]["answered"] == [] and after["round"]["open"]
    client.post(f"/api/play/{code}/console/end", headers=console)


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ({"motor": {"units": 10, "supplier": "parts_direct", "mode": "truck"}}, "does not sell it"),
        ({"motor": {"units": 10, "supplier": "asia_motors", "mode": "rocket"}}, "not 'rocket'"),
        ({"motor": {"units": -1, "supplier": "asia_motors", "mode": "sea"}}, "greater than"),
        ({"gearbox": {"units": 1, "supplier": "asia_motors", "mode": "sea"}}, "unknown component"),
    ],
)
def test_a_bad_purchase_names_what_is_allowed(config, orders, message):
    room = PlayRoom(config, months=1, executive="agent")
    with pytest.raises(ValueError, match=message):
        room.parse("procurement", {"orders": orders})


def test_a_decision_after_its_round_closed_is_refused(client):
    code, console = open_room(client, executive="agent")
    seat = {
        "x-seat": client.post(f"/api/play/{code}/join", json={"seat": "finance"}).json()["token"]
    }
    client.post(f"/api/play/{code}/console/start", headers=console)
    first = wait_for(client, code, console, lambda s: s["round"] and s["round"]["open"])
    client.post(f"/api/play/{code}/console/advance", headers=console)
    wait_for(client, code, console, lambda s: s["round"]["number"] == 2 and s["round"]["open"])
    late = client.post(
        f"/api/play/{code}/decide",
        json={
            "round": first["round"]["number"],
            "decision": {"inventory_cap_days": 20, "expedite_budget": 0, "hurdle_rate": 0.1},
        },
        headers=seat,
    )
    assert late.status_code == 409
    assert late.json()["error"] == "round 1 is closed; round 2 is open"
    client.post(f"/api/play/{code}/console/end", headers=console)


def test_the_console_needs_its_code_and_checks_what_it_is_told(client):
    code, console = open_room(client)
    assert client.post(f"/api/play/{code}/console/start").status_code == 403
    wrong = {"x-console": "guess"}
    assert client.post(f"/api/play/{code}/console/start", headers=wrong).status_code == 403
    bad = client.post(f"/api/play/{code}/console/switch", json={"protocol": "ibp"}, headers=console)
    assert bad.status_code == 400 and "protocol is one of silo, sop" in bad.json()["error"]
    fired = client.post(
        f"/api/play/{code}/console/scenario",
        json={"spec": "supplier_failure:supplier=acme"},
        headers=console,
    )
    assert fired.status_code == 400 and "unknown supplier 'acme'" in fired.json()["error"]
    closed = client.post(f"/api/play/{code}/console/advance", headers=console)
    assert closed.status_code == 409 and closed.json()["error"] == "no round is open"
    for settings, message in (
        ({"months": 0}, "months is a whole number, 1 to 36"),
        ({"months": "six"}, "months is a whole number"),
        ({"round_seconds": 0}, "round_seconds is 1 to 3600"),
        ({"executive": "ceo"}, "executive is 'facilitator' or 'agent'"),
        ({"colour": "red"}, "unknown setting 'colour'"),
        ({"game": "chess"}, "game is one of company, beer_game"),
    ):
        answer = client.post("/api/play", json=settings)
        assert answer.status_code == 400 and message in answer.json()["error"], settings


# ---------------------------------------------------------------------------- the Beer Game


def test_a_beer_game_nobody_plays_is_the_agents_chain(beer_game):
    room = BeerRoom(beer_game, round_seconds=1)
    room.start()
    assert room.wait(30)
    rows = {row["kpi"]: row for row in room.debrief["kpis"]}
    assert rows["total_cost"]["difference"] == 0.0


def test_a_beer_game_player_s_orders_are_the_stage_s(beer_game):
    room = BeerRoom(beer_game, round_seconds=5)
    room.claim("wholesaler")
    orders = {}

    def answer(who, state):
        week = state["round"]["number"]
        orders[week] = 3 * (week % 4)
        return {"order": orders[week]}

    drive(room, answer)
    placed = room.chain.ordered[:, room.chain.names.index("wholesaler")]
    fixed = beer_game.stages["wholesaler"].fixed_orders_until_period
    assert len(orders) == room.periods - fixed
    assert all(placed[week - 1] == units for week, units in orders.items())
    with pytest.raises(ValueError, match="order: input should be greater than or equal to 0"):
        room.parse("wholesaler", {"order": -4})
    with pytest.raises(RoundClosed):
        room.submit("wholesaler", {"order": 4})


def test_rooms_run_side_by_side_without_touching(config):
    rooms = [PlayRoom(config, months=1, executive="agent") for _ in range(3)]
    for room in rooms:
        room.claim("operations")
    threads = [
        threading.Thread(
            target=drive, args=(room, lambda who, state, n=n: {"production": {"pro": n * 100}})
        )
        for n, room in enumerate(rooms)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    pro = [[p["what"] for p in room.people] for room in rooms]
    assert pro == [
        [f"make pro {n * 100:,} a week; overtime as the agent chooses"] for n in range(3)
    ]


# ---------------------------------------------------------------------------- review cases


def test_one_alternative_of_a_choice_is_taken_not_two(config):
    room = PlayRoom(config, months=1, protocol="sop")
    room.table = [
        {"number": 0, "option": "build_and_overtime", "description": "a", "alternatives": 0},
        {"number": 1, "option": "build_and_overtime", "description": "b", "alternatives": 0},
        {"number": 2, "option": "air_freight", "description": "c", "alternatives": None},
    ]
    with pytest.raises(ValueError, match="options 0, 1 are alternatives: take one of them"):
        room.parse("executive", {"rulings": {0: True, 1: True}})
    assert room.parse("executive", {"rulings": {0: False, 1: True, 2: True}}).rulings[1]


def test_the_executive_takes_another_alternative_than_the_weights(config):
    """Taking another alternative of a choice is what the meeting then does."""
    room = PlayRoom(config, months=4, protocol="sop", executive="facilitator")
    switched = []

    def answer(who, state):
        table = state["table"]
        groups = {}
        for row in table:
            if row["alternatives"] is not None:
                groups.setdefault(row["alternatives"], []).append(row)
        rulings = {}
        for rows in groups.values():
            other = next((r for r in rows if not r["chosen"]), None)
            if other is not None:
                rulings |= {r["number"]: r is other for r in rows}
                switched.append(other["description"])
        return {"rulings": rulings}

    drive(room, answer)
    meetings = [
        f.entry
        for f in room.model.world.outcome().ledger.facts
        if type(f) is rec.DecisionRecorded and f.entry["kind"] == "sop_cycle"
    ]
    taken = [o["description"] for m in meetings for o in m["options"] if o["chosen"]]
    assert switched and all(d in taken for d in switched)


def test_a_scenario_that_cannot_be_fired_is_refused_and_the_room_plays_on(config):
    room = PlayRoom(config, months=2, executive="agent", round_seconds=1)
    room.claim("sales")
    with pytest.raises(ValueError, match="the run ends on day 58"):
        room.fire("demand_surge:pct=20,start_day=100")
    room.start()
    while room.model.day < 10:
        time.sleep(0.01)
    with pytest.raises(ValueError, match="ends before day"):
        room.fire("demand_surge:pct=20,end_day=3")
    assert room.fire("demand_surge:pct=20").startswith("demand +20% on all products from ")
    assert room.wait(60) and room.error is None and room.debrief is not None
    assert any("demand +20% on all products" in line for line in room.fired)


def test_switching_back_and_forth_keeps_the_meeting_s_memory(config):
    from agents.sales import Sales

    room = PlayRoom(config, months=5, executive="agent", protocol="sop", round_seconds=1)
    room.claim("finance")  # silent: the rounds wait for their clock, the switches land

    def answer(who, state):
        number = state["round"]["number"]
        if number == 2:
            room.switch("silo")
        elif number == 3:
            room.switch("sop")

    drive(room, answer)
    assert [p for _, p in room.protocols] == ["sop", "silo", "sop"]
    meeting = room.model.meeting
    months = {month_of_day(day) for day, *_ in meeting.record}
    assert {0, 1} <= months and 3 in months  # before the switch to silo, and after it
    sales = next(a for a in room.model.functions if isinstance(a, Sales))
    assert all(p.start_day > room.protocols[1][0] for p in sales.proposed)
    assert same_run(room.model.world.outcome(), room.twin.world.outcome())


def test_a_new_person_in_a_seat_does_not_inherit_a_decision(config):
    room = PlayRoom(config, months=1, executive="agent")
    token = room.claim("finance", "A")
    room.start()
    while not (room.round and not room.round.closed):
        time.sleep(0.01)
    room.submit("finance", {"inventory_cap_days": 5, "expedite_budget": 0}, 1)
    room.release(token)
    room.claim("finance", "B")
    assert "finance" not in room.round.answers
    room.end()
    assert room.wait(60)


def test_odd_requests_get_a_message_not_a_crash(client):
    assert client.post("/api/play", json={"game": []}).status_code == 400
    code, console = open_room(client, executive="agent")
    odd = client.get(f"/api/play/{code}/seat", headers={"x-seat": "ßé".encode("latin-1")})
    assert odd.status_code == 403
    assert client.get(f"/api/play/{code}/events?seat=ß€").status_code == 403
    ruled = client.post(
        f"/api/play/{code}/console/rule", json={"round": "1", "decision": {}}, headers=console
    )
    assert ruled.status_code == 400 and "round is the number" in ruled.json()["error"]
    late = client.post(
        f"/api/play/{code}/console/scenario",
        json={"spec": "demand_surge:pct=5,start_day=500"},  # the config runs on, the room not
        headers=console,
    )
    assert late.status_code == 400 and "the run ends on day" in late.json()["error"]


def test_in_silo_a_seat_sees_its_own_decisions_not_the_others_nor_the_score(config):
    room = PlayRoom(config, months=2, executive="agent")
    for role in ("sales", "finance"):
        room.claim(role)
    drive(
        room,
        lambda who, state: (
            {"forecast": {"pro": 50}}
            if who == "sales"
            else {"inventory_cap_days": 20, "expedite_budget": 0}
        ),
    )
    mine = room.state(seat="sales")
    assert mine["score"] is None and mine["weeks"] == []
    assert mine["log"] and all("sales (in the room)" in line for line in mine["log"])
    assert not [line for line in room.state()["log"] if "(in the room)" in line]
    console = room.state(console=True)["log"]
    assert any("finance (in the room)" in line for line in console)
