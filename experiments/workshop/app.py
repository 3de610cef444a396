"""The workshop's web app: a small Starlette application serving one page of its own (no CDN,
no fonts from the web, no telemetry) and a JSON API, with server-sent events pushing each
room's state to its browsers. Rooms live in the server process, each built when it is
created, never at import time; a room is reached with its unguessable token.

Starlette rather than Mesa's SolaraViz: rooms with their own tokens, state kept across reloads
and dropped connections, and a page that makes a handful of local requests; SolaraViz suits
one instructor's screen (see the project's design notes).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agents.config import CompanyConfig
from experiments.workshop.room import WatchRoom

__all__ = ["MAX_ROOMS", "create_app"]

STATIC = Path(__file__).with_name("static")
MAX_ROOMS = 50
MAX_WEEKS_A_STEP = 52
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # weeks a second


class Rooms:
    """The rooms of one server, by token, with their play loops."""

    def __init__(self, config: CompanyConfig) -> None:
        self.config = config
        self.rooms: dict[str, WatchRoom] = {}
        self.playing: dict[str, asyncio.Task] = {}
        self.changed: dict[str, asyncio.Condition] = {}

    def create(self) -> str:
        if len(self.rooms) >= MAX_ROOMS:
            raise ValueError(f"this server holds {MAX_ROOMS} rooms at most; end one first")
        token = secrets.token_urlsafe(16)
        self.rooms[token] = WatchRoom(self.config)
        self.changed[token] = asyncio.Condition()
        return token

    def get(self, token: str) -> WatchRoom:
        room = self.rooms.get(token)
        if room is None:
            raise KeyError(token)
        return room

    async def notify(self, token: str) -> None:
        condition = self.changed[token]
        async with condition:
            condition.notify_all()

    async def play(self, token: str, speed: float) -> None:
        room = self.get(token)
        while not room.state()["done"]:
            await asyncio.to_thread(room.step, 1)
            await self.notify(token)
            await asyncio.sleep(1.0 / speed)
        self.playing.pop(token, None)

    def pause(self, token: str) -> None:
        task = self.playing.pop(token, None)
        if task is not None:
            task.cancel()


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("the request's body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the request's body is a JSON object")
    return data


def create_app(config: CompanyConfig) -> Starlette:
    """The workshop app for ``config`` (the company every room runs)."""
    rooms = Rooms(config)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "watch.html")

    async def create(request: Request) -> Response:
        try:
            token = rooms.create()
        except ValueError as error:
            return _error(str(error), 429)
        return JSONResponse({"room": token, "state": rooms.get(token).state()}, status_code=201)

    def room_of(request: Request) -> tuple[str, WatchRoom]:
        token = request.path_params["room"]
        return token, rooms.get(token)

    async def state(request: Request) -> Response:
        try:
            _, room = room_of(request)
        except KeyError:
            return _error("no such room (its link may be old: create a new one)", 404)
        return JSONResponse(room.state())

    async def control(request: Request) -> Response:
        try:
            token, room = room_of(request)
        except KeyError:
            return _error("no such room (its link may be old: create a new one)", 404)
        action = request.path_params["action"]
        try:
            body = await _body(request) if action in ("step", "play", "scenario") else {}
            if action == "step":
                weeks = body.get("weeks", 1)
                if isinstance(weeks, bool) or not isinstance(weeks, int):
                    raise ValueError("weeks is a whole number")
                if not 1 <= weeks <= MAX_WEEKS_A_STEP:
                    raise ValueError(f"weeks is 1 to {MAX_WEEKS_A_STEP}, not {weeks}")
                rooms.pause(token)
                await asyncio.to_thread(room.step, weeks)
            elif action == "play":
                speed = body.get("speed", 1.0)
                if speed not in SPEEDS:
                    allowed = ", ".join(f"{s:g}" for s in SPEEDS)
                    raise ValueError(f"speed is one of {allowed} weeks a second, not {speed!r}")
                rooms.pause(token)
                rooms.playing[token] = asyncio.create_task(rooms.play(token, float(speed)))
            elif action == "pause":
                rooms.pause(token)
            elif action == "reset":
                rooms.pause(token)
                await asyncio.to_thread(room.reset)
            elif action == "scenario":
                spec = body.get("spec")
                if not isinstance(spec, str) or not spec.strip():
                    raise ValueError("spec is a scenario, e.g. demand_surge:pct=20")
                await asyncio.to_thread(room.fire, spec)
            else:
                return _error(f"unknown action {action!r}", 404)
        except ValueError as error:
            return _error(str(error))
        await rooms.notify(token)
        return JSONResponse(room.state() | {"playing": token in rooms.playing})

    async def events(request: Request) -> Response:
        try:
            token, room = room_of(request)
        except KeyError:
            return _error("no such room", 404)

        async def stream():
            condition = rooms.changed[token]
            seen = -1
            while True:
                current = room.state()
                if current["version"] != seen:
                    seen = current["version"]
                    payload = current | {"playing": token in rooms.playing}
                    yield f"data: {json.dumps(payload)}\n\n"
                try:
                    async with condition:
                        await asyncio.wait_for(condition.wait(), timeout=15)
                except TimeoutError:
                    yield ": still here\n\n"  # keeps proxies from closing an idle stream
                if await request.is_disconnected():
                    break

        return StreamingResponse(stream(), media_type="text/event-stream")

    routes = [
        Route("/", page),
        Route("/api/watch", create, methods=["POST"]),
        Route("/api/watch/{room}", state),
        Route("/api/watch/{room}/events", events),
        Route("/api/watch/{room}/{action}", control, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)
