"""The play pages in a real browser (Debian's Chromium, driven by Playwright), as a workshop
uses them: the facilitator's console creates a room; two participants join from their own
browsers; bad input gets a clear message; a silent seat is played by its agent when the clock
runs out; a dropped connection and a reload get the seat back; the protocol switches to S&OP
and the facilitator rules at the meeting; the debrief shows the game against the agents.
Every request the pages make is recorded: none leaves the machine."""

from __future__ import annotations

import re

import pytest
from browser import launch, serving

from agents.config import load_config
from experiments.workshop.app import create_app

ROUND_SECONDS = 6


@pytest.fixture(scope="module")
def server(configs_dir):
    company = load_config(configs_dir / "baseline.yaml")
    beer = load_config(configs_dir / "games" / "beer_game.yaml")
    with serving(create_app(company, beer)) as url:
        yield url


def message(page) -> str:
    return page.inner_text("#message")


def test_a_game_played_from_the_console_and_two_seats(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)

        def page(width=1200, height=1000):
            context = browser.new_context(viewport={"width": width, "height": height})
            tab = context.new_page()
            tab.on("request", lambda r: requests.append(r.url))
            tab.on("pageerror", lambda e: errors.append(str(e)))
            return tab

        console = page(1300)
        console.goto(server + "/console")
        console.fill("input[name=months]", "3")
        console.fill("input[name=round_seconds]", str(ROUND_SECONDS))
        console.click("text=Create the room")
        expect(console.locator("#code")).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
        code = console.inner_text("#code")
        console.wait_for_function(
            "(() => { const i = document.querySelector('#qr img'); "
            "return i && i.complete && i.naturalWidth > 0; })()"
        )

        ana, ben, forger = page(), page(), page()
        ana.goto(f"{server}/join?room={code}")
        ana.fill("#name", "Ana")
        ana.click("#seats button[data-seat=sales]")
        expect(ana.locator("#title")).to_have_text(f"Sales — room {code}")

        # A second browser claiming a taken seat is told so, and stays where it was.
        ben.goto(f"{server}/join?room={code}")
        ben.fill("#name", "Ben")
        ben.click("#seats button[data-seat=sales]")
        expect(ben.locator("#message")).to_have_text(
            "the sales seat is taken by Ana; choose another"
        )
        assert ben.is_visible("#joining")
        ben.click("#seats button[data-seat=operations]")
        expect(ben.locator("#title")).to_have_text(f"Operations — room {code}")

        # A wrong seat code is refused: the page asks to join again.
        forger.goto(f"{server}/join")
        forger.evaluate(f"localStorage.setItem('oneplan.seat.{code}', 'forged')")
        forger.goto(f"{server}/join?room={code}")
        expect(forger.locator("#message")).to_have_text(
            "this seat code is not valid for the room: join again"
        )
        assert forger.is_visible("#joining")
        expect(console.locator("#seats")).to_contain_text("Ana")
        expect(console.locator("#seats")).to_contain_text("Ben")

        console.click("#start")
        ana.wait_for_selector("#submit")
        ben.wait_for_selector("#submit")
        console.click("#pause")  # the clock stops while Ana gets her numbers right
        expect(ana.locator(".clock")).to_contain_text("paused")
        ana.screenshot(path=str(tmp_path / "seat.png"), full_page=True)

        # Bad input on the page: a clear message, and nothing is taken.
        ana.fill("input[name='forecast.compact']", "lots")
        ana.click("#submit")
        expect(ana.locator("#message")).to_contain_text(
            "forecast.compact: input should be a valid number"
        )
        ana.fill("input[name='forecast.compact']", "-40")
        ana.click("#submit")
        expect(ana.locator("#message")).to_contain_text(
            "forecast.compact: input should be greater than or equal to 0"
        )
        assert "decided" not in console.inner_text("#seats")
        ana.fill("input[name='forecast.compact']", "650")
        ana.click("#submit")
        expect(ana.locator("#message")).to_contain_text(
            "Submitted for round 1: forecast compact 650"
        )
        expect(console.locator("#seats")).to_contain_text("decided")

        # Ben stays silent, and his connection drops: the clock closes round 1 and his agent
        # plays the month; what he submits then is refused as late.
        ben.evaluate("events.close()")
        console.click("#resume")
        expect(console.locator("#round")).to_contain_text("Round 2", timeout=4000 * ROUND_SECONDS)
        console.click("#pause")
        ben.click("#submit")
        expect(ben.locator("#message")).to_have_text("round 1 is closed; round 2 is open")

        # A reload gets the seat back, with round 2's view.
        ben.reload()
        expect(ben.locator("#message")).to_have_text("Welcome back: you play Operations.")
        expect(ben.locator("#round")).to_contain_text("Round 2")
        console.click("#switch")  # S&OP from March, the next month
        expect(console.locator("#protocol")).to_contain_text("sop from next month")
        for seat in (ana, ben):
            expect(seat.locator("#round")).to_have_text("Round 2 (Feb): your decisions")
            seat.click("#submit")
            expect(seat.locator("#message")).to_contain_text("Submitted for round 2")
        console.click("#resume")

        # March opens with the meeting: everyone sees the table, the facilitator rules.
        console.wait_for_selector("form#rulings button", timeout=20000)
        console.click("#pause")
        expect(ana.locator("#meeting")).to_contain_text("The S&OP meeting")
        console.screenshot(path=str(tmp_path / "console.png"), full_page=True)
        console.click("form#rulings button")
        expect(console.locator("#message")).to_contain_text("The executive took")
        for seat in (ana, ben):  # the month's decisions, once the page shows March's form
            expect(seat.locator("#round")).to_have_text("Round 3 (Mar): your decisions")
            expect(seat.locator("#protocol")).to_have_text("under sop")
            seat.click("#submit")
            expect(seat.locator("#message")).to_contain_text("Submitted for round 3")
        console.click("#resume")

        # The game ends with March: the debrief.
        console.wait_for_selector("#debrief:not(.hidden)", timeout=90000)
        ana.wait_for_selector("#round a[href^='/debrief']", timeout=90000)
        debrief = page(1300)
        debrief.goto(f"{server}/debrief?room={code}")
        debrief.wait_for_selector("#kpis")
        for figure in ("operations", "money", "truth"):
            debrief.wait_for_function(
                f"(() => {{ const i = document.querySelector(\"img[src$='/{figure}.png']\");"
                " return i && i.complete && i.naturalWidth > 0; })()"
            )
        people = debrief.inner_text("#people")
        assert people.count("Sales") == 3 and people.count("Operations") == 2  # Ben: 2 of 3
        assert "the executive" in people and "forecast compact 650" in people
        assert re.search(r"Operating profit\s+-?\$[\d.,]+[kM]?", debrief.inner_text("#kpis"))
        debrief.screenshot(path=str(tmp_path / "debrief.png"), full_page=True)
        browser.close()
    assert not errors, errors
    assert requests and all(u.startswith(server) for u in requests), [
        u for u in requests if not u.startswith(server)
    ]


def test_the_beer_game_warm_up_in_a_browser(server):
    from playwright.sync_api import expect, sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        console = browser.new_page()
        player = browser.new_context().new_page()
        for tab in (console, player):
            tab.on("request", lambda r: requests.append(r.url))
        console.goto(server + "/console")
        console.select_option("select[name=game]", "beer_game")
        console.fill("input[name=round_seconds]", "60")
        console.click("text=Create the room")
        expect(console.locator("#code")).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
        code = console.inner_text("#code")
        assert not console.is_visible("#switch")  # no protocol to switch in the Beer Game
        player.goto(f"{server}/join?room={code}")
        player.click("#seats button[data-seat=retailer]")
        console.click("#start")
        player.wait_for_selector("#submit")
        expect(player.locator("#round")).to_have_text("Week 5: your order")
        week_5 = player.evaluate("() => state")  # the state on the page, as a late reply has it
        player.fill("input[name=order]", "-3")
        player.click("#submit")
        expect(player.locator("#message")).to_contain_text("order: input should be greater")
        player.fill("input[name=order]", "9")
        player.click("#submit")
        expect(player.locator("#round")).to_contain_text("Week 6", timeout=10000)
        # A reply overtaken by a newer pushed state does not take the page back a week.
        player.evaluate("(old) => draw(old)", week_5)
        expect(player.locator("#round")).to_contain_text("Week 6")
        expect(player.locator("input[name=order]")).to_be_visible()
        console.click("#end")
        console.wait_for_selector("#debrief:not(.hidden)", timeout=30000)
        console.goto(f"{server}/debrief?room={code}")
        expect(console.locator("#people")).to_contain_text("order 9 cases")
        expect(console.locator("#kpis")).to_contain_text("bullwhip retailer")
        browser.close()
    assert requests and all(u.startswith(server) for u in requests)
