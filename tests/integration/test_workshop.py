"""The workshop's watch page: silo and S&OP stepped side by side, driven as a facilitator would
— through the API and in a real browser (Debian's Chromium, driven by Playwright), with every
request the page makes recorded; none may leave the machine."""

from __future__ import annotations

import pytest
from browser import launch, serving
from starlette.testclient import TestClient

from agents.config import load_config
from experiments.workshop.app import create_app


@pytest.fixture(scope="module")
def config(configs_dir):
    return load_config(configs_dir / "baseline.yaml", {"horizon_days": 365})


@pytest.fixture
def client(config):
    with TestClient(create_app(config)) as c:
        yield c


def make_room(client) -> str:
    made = client.post("/api/watch")
    assert made.status_code == 201
    return made.json()["room"]


def test_a_room_steps_both_sides_together_on_the_same_demand(client):
    room = make_room(client)
    state = client.post(f"/api/watch/{room}/step", json={"weeks": 3}).json()
    assert state["week"] == 3 and state["day"] == 21
    silo, sop = state["sides"]
    assert (silo["protocol"], sop["protocol"]) == ("silo", "sop")
    assert silo["score"]["profit"] != sop["score"]["profit"]  # the functions decided apart
    again = client.get(f"/api/watch/{room}").json()
    assert again["sides"] == state["sides"]  # a reload finds the room where it was


def test_both_sides_face_the_same_customers(config):
    from experiments.workshop.room import WatchRoom

    room = WatchRoom(config)
    room.step(2)
    silo, sop = (side.model.world for side in room.sides)
    assert (silo.demand_u == sop.demand_u).all()  # the same draws: what differs was decided
    assert silo.env.now == sop.env.now == 14


def test_a_scenario_fired_now_reaches_both_sides_from_the_next_day(client):
    room = make_room(client)
    client.post(f"/api/watch/{room}/step", json={"weeks": 2})
    state = client.post(f"/api/watch/{room}/scenario", json={"spec": "demand_surge:pct=50"}).json()
    assert state["fired"] == ["day 14: demand +50% on all products from week 2"]
    for side in state["sides"]:
        assert "demand +50% on all products from week 2 (fired)" in side["log"][-1]
    after = client.post(f"/api/watch/{room}/step", json={"weeks": 4}).json()
    demand = [w["demand"] for w in after["sides"][0]["weeks"]]
    assert sum(demand[2:]) / 4 > 1.25 * sum(demand[:2]) / 2


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        ("step", {"weeks": -1}, "weeks is 1 to 52, not -1"),
        ("step", {"weeks": "three"}, "weeks is a whole number"),
        ("play", {"speed": 3}, "speed is one of 0.5, 1, 2, 4, 8 weeks a second"),
        ("scenario", {"spec": "demand_spike:pct=2"}, "unknown kind 'demand_spike'"),
        ("scenario", {"spec": "demand_surge:pct=lots"}, "pct: Input should be a valid number"),
        ("scenario", {"spec": "supplier_failure:supplier=acme"}, "unknown supplier 'acme'"),
        ("scenario", {"spec": ""}, "spec is a scenario"),
        ("scenario", {"spec": "new_line:line=x,products=[pro],capacity_per_day=5"}, "planned"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, action, body, message):
    room = make_room(client)
    before = client.get(f"/api/watch/{room}").json()
    answer = client.post(f"/api/watch/{room}/{action}", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert client.get(f"/api/watch/{room}").json() == before


def test_the_story_s_knobs_turn_on_both_sides_from_the_next_day(client):
    room = make_room(client)
    client.post(f"/api/watch/{room}/step", json={"weeks": 4})
    for name, value in (("sales_optimism", 0.6), ("capacity_pct", 25), ("finance_cap_days", 60)):
        answer = client.post(f"/api/watch/{room}/knob", json={"name": name, "value": value})
        assert answer.status_code == 200, answer.json()
    state = answer.json()
    assert state["knobs"]["sales_optimism"] == 0.6 and state["knobs"]["capacity_pct"] == 25
    turned = "day 28: the plant's capacity set to +25% of the config's (facilitator)"
    for side in state["sides"]:
        assert turned in side["log"]
    after = client.post(f"/api/watch/{room}/step", json={"weeks": 2}).json()
    for side in after["sides"]:
        weeks = side["weeks"]
        # Sales' forecast rises with its optimism: what it reports runs well over what it
        # reported the week before the knob turned.
        assert weeks[-1]["forecasts"]["sales"] > 1.25 * weeks[3]["forecasts"]["sales"]


def test_the_capacity_knob_sets_the_lines_capacity_not_a_sum_of_turns(config):
    from experiments.workshop.room import WatchRoom

    room = WatchRoom(config)
    room.step(1)
    built = room.sides[0].model.world.plant.capacity.copy()
    room.set_knob("capacity_pct", 20)
    room.set_knob("capacity_pct", -10)
    room.step(1)
    for side in room.sides:
        assert side.model.world.plant.capacity == pytest.approx(0.9 * built)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "optimism", "value": 1}, "unknown knob 'optimism'; knobs: sales_optimism"),
        ({"name": "sales_optimism", "value": "high"}, "the value is a number, -0.5 to 2"),
        ({"name": "sales_optimism", "value": 5}, "the value is -0.5 to 2, not 5"),
        ({"name": "information_delay_days", "value": 2.5}, "a whole number of days"),
        ({"name": "sales_pay", "value": "bonus"}, "Sales is paid on one of revenue, volume"),
        ({"name": "capacity_pct", "value": -95}, "the value is -90 to 200, not -95"),
        ({"value": 1}, "name is the knob to turn"),
    ],
)
def test_a_bad_knob_gets_a_clear_message_and_changes_nothing(client, body, message):
    room = make_room(client)
    before = client.get(f"/api/watch/{room}").json()
    answer = client.post(f"/api/watch/{room}/knob", json=body)
    assert answer.status_code == 400 and message in answer.json()["error"]
    assert client.get(f"/api/watch/{room}").json() == before


def test_a_room_needs_its_token(client):
    assert client.get("/api/watch/not-a-room").status_code == 404
    assert client.post("/api/watch/not-a-room/step", json={"weeks": 1}).status_code == 404
    assert client.post("/api/watch/x/step", content=b"not json").status_code == 404


@pytest.fixture(scope="module")
def server(config):
    with serving(create_app(config)) as url:
        yield url


def test_the_watch_page_steps_draws_and_fires_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server + "/")
        page.wait_for_selector(".score")
        start = [page.inner_text(f"#side-{i} .profit") for i in (0, 1)]
        for week in (1, 2, 3):
            page.click("#step")
            page.wait_for_function(
                f"document.getElementById('clock').textContent.startsWith('week {week} ')"
            )
        after = [page.inner_text(f"#side-{i} .profit") for i in (0, 1)]
        assert after != start and all(a != s for a, s in zip(after, start, strict=True))
        assert page.locator("#side-0 svg.chart polyline").count() >= 4
        page.click("text=Demand +20%")
        page.wait_for_selector("#side-1 .log >> text=demand +20%")
        assert "demand +20%" in page.inner_text("#side-0 .log")
        page.select_option("select[data-knob=sales_optimism]", "0.6")
        page.wait_for_selector("#side-0 .log >> text=Sales' optimism set to +60%")
        page.fill("#spec", "supplier_failure:supplier=acme")
        page.click("#fire")
        page.wait_for_selector("#message >> text=unknown supplier 'acme'")
        page.reload()  # the room is in the page's address: a reload finds it again
        page.wait_for_function("document.getElementById('clock').textContent.startsWith('week 3 ')")
        page.screenshot(path=str(tmp_path / "watch.png"))
        browser.close()
    assert requests and all(u.startswith(server) for u in requests), requests


def test_the_workshop_tells_where_browsers_reach_it():
    from experiments.workshop.app import addresses

    assert addresses("127.0.0.1", 8000) == ["http://127.0.0.1:8000"]
    everywhere = addresses("0.0.0.0", 8080)  # this machine's addresses, then its own
    assert everywhere[-1] == "http://127.0.0.1:8080"
    assert all(u.startswith("http://") and u.endswith(":8080") for u in everywhere)
    assert not [u for u in everywhere[:-1] if u.startswith("http://127.")]
