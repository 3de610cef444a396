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
import io
import json
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from agents.config import ChainConfig, CompanyConfig
from experiments.workshop.beer import BeerRoom
from experiments.workshop.game import GameRoom, RoundClosed, join_code
from experiments.workshop.play import PLAY_PROTOCOLS, PlayRoom
from experiments.workshop.room import WatchRoom

__all__ = ["MAX_ROOMS", "addresses", "create_app"]

STATIC = Path(__file__).with_name("static")
MAX_ROOMS = 50
MAX_WEEKS_A_STEP = 52
SPEEDS = (0.5, 1.0, 2.0, 4.0, 8.0)  # weeks a second
POLL_SECONDS = 0.1  # how often a room's event stream looks for a new state
IDLE_SECONDS = 15  # a stream idle this long sends a comment


class Rooms:
    """The rooms of one server, by token, with their play loops."""

    def __init__(self, config: CompanyConfig) -> None:
        self.config = config
        self.rooms: dict[str, WatchRoom] = {}
        self.playing: dict[str, asyncio.Task] = {}

    def create(self) -> str:
        if len(self.rooms) >= MAX_ROOMS:
            raise ValueError(f"this server holds {MAX_ROOMS} rooms at most; end one first")
        token = secrets.token_urlsafe(16)
        self.rooms[token] = WatchRoom(self.config)
        return token

    def get(self, token: str) -> WatchRoom:
        room = self.rooms.get(token)
        if room is None:
            raise KeyError(token)
        return room

    async def play(self, token: str, speed: float) -> None:
        room = self.get(token)
        while not room.state()["done"]:
            await asyncio.to_thread(room.step, 1)
            await asyncio.sleep(1.0 / speed)
        self.playing.pop(token, None)

    def pause(self, token: str) -> None:
        task = self.playing.pop(token, None)
        if task is not None:
            task.cancel()


def _events(request: Request, version, state, gone=None) -> StreamingResponse:
    """A room's server-sent events: ``state()`` whenever ``version()`` changes (looked at every
    ``POLL_SECONDS``, so a room's simulation thread needs no event loop), a comment when idle
    so proxies keep the stream open, and ``{"error": gone()}`` then the end once ``gone``
    says the stream's reader has no right to it any more."""

    async def stream():
        seen, quiet = -1, 0.0
        while not await request.is_disconnected():
            reason = gone() if gone is not None else None
            if reason is not None:
                yield f"data: {json.dumps({'error': reason})}\n\n"
                break
            if version() != seen:
                seen = version()
                yield f"data: {json.dumps(state())}\n\n"
                quiet = 0.0
            elif quiet >= IDLE_SECONDS:
                yield ": still here\n\n"
                quiet = 0.0
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS

    return StreamingResponse(stream(), media_type="text/event-stream")


def addresses(host: str, port: int) -> list[str]:
    """Where browsers reach a server listening on ``host``: the address itself, or for
    ``0.0.0.0`` this machine's addresses on its networks (participants' phones and laptops
    in the room use one of them)."""
    import socket

    if host not in ("0.0.0.0", "::", ""):
        return [f"http://{host}:{port}"]
    found = []
    try:
        # The address this machine would use toward a private network: a UDP socket's
        # connect picks the route and sends nothing.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.254.254.254", 1))
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    usable = list(dict.fromkeys(a for a in found if not a.startswith("127.")))
    return [f"http://{a}:{port}" for a in [*usable, "127.0.0.1"]]


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


def create_app(config: CompanyConfig, beer_game: ChainConfig | None = None) -> Starlette:
    """The workshop app for ``config`` (the company every room runs) and ``beer_game`` (the
    serial chain of the warm-up rooms; none: no warm-up rooms)."""
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
            body = await _body(request) if action in ("step", "play", "scenario", "knob") else {}
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
            elif action == "knob":
                name = body.get("name")
                if not isinstance(name, str):
                    raise ValueError("name is the knob to turn")
                await asyncio.to_thread(room.set_knob, name, body.get("value"))
            else:
                return _error(f"unknown action {action!r}", 404)
        except ValueError as error:
            return _error(str(error))
        return JSONResponse(room.state() | {"playing": token in rooms.playing})

    async def events(request: Request) -> Response:
        try:
            token, room = room_of(request)
        except KeyError:
            return _error("no such room", 404)

        return _events(
            request,
            lambda: room.version,
            lambda: room.state() | {"playing": token in rooms.playing},
        )

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)  # the pages have no icon; say so without an error

    routes = [
        *_play_routes(config, beer_game),
        Route("/", page),
        Route("/favicon.ico", no_icon),
        Route("/api/watch", create, methods=["POST"]),
        Route("/api/watch/{room}", state),
        Route("/api/watch/{room}/events", events),
        Route("/api/watch/{room}/{action}", control, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)


# ---------------------------------------------------------------------------- play rooms

SEAT_HEADER, CONSOLE_HEADER = "x-seat", "x-console"  # the codes a page sends with a request
CONSOLE_ACTIONS = ("start", "pause", "resume", "advance", "switch", "scenario", "end", "rule")
PAGES = ("console", "join", "debrief")  # the facilitator's, a participant's, the debrief


def _make_room_for(games: dict[str, GameRoom]) -> bool:
    """Whether a game can be added: below the limit, or once the games longest over (their
    debrief read long enough) make way."""
    if len(games) < MAX_ROOMS:
        return True
    over = sorted((g.ended_at, code) for code, g in games.items() if g.ended_at is not None)
    for _, code in over[: len(games) - MAX_ROOMS + 1]:
        del games[code]
    return len(games) < MAX_ROOMS


def _play_routes(config: CompanyConfig, beer_game: ChainConfig | None) -> list:
    """The play rooms: created by a facilitator's console, joined with their code."""
    games: dict[str, GameRoom] = {}

    def game(request: Request) -> GameRoom:
        room = games.get(str(request.path_params["room"]).upper())
        if room is None:
            raise KeyError("no room has this code (check it with the facilitator)")
        return room

    def seat(request: Request, room: PlayRoom, token: str | None = None) -> str:
        token = token or request.headers.get(SEAT_HEADER, "")
        try:
            return room.seat_of(token).role
        except KeyError:
            raise PermissionError("this seat code is not valid for the room: join again") from None

    def console(request: Request, room: PlayRoom, token: str | None = None) -> None:
        token = token or request.headers.get(CONSOLE_HEADER, "")
        if not secrets.compare_digest(token.encode(), room.console.encode()):
            raise PermissionError("the console code is not valid for this room")

    def answer(handler):
        """Errors as messages: 404 no room, 403 a wrong code, 409 too late or taken, 400 bad
        input."""

        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except KeyError as error:
                return _error(error.args[0] if error.args else "not found", 404)
            except PermissionError as error:
                status = 409 if "taken" in str(error) else 403
                return _error(str(error), status)
            except RoundClosed as error:
                return _error(str(error), 409)
            except ValueError as error:
                return _error(str(error))

        return wrapped

    def page(name: str):
        async def serve(request: Request) -> Response:
            return FileResponse(STATIC / f"{name}.html")

        return serve

    @answer
    async def create(request: Request) -> Response:
        body = await _body(request)
        kind = body.pop("game", "company")
        if not isinstance(kind, str):
            raise ValueError("game is the name of a game: company or beer_game")
        allowed = {"company": {"months", "round_seconds", "executive", "protocol"}}
        allowed["beer_game"] = {"round_seconds"}
        if kind not in allowed or (kind == "beer_game" and beer_game is None):
            offered = "company, beer_game" if beer_game is not None else "company"
            raise ValueError(f"game is one of {offered}, not {kind!r}")
        unknown = sorted(set(body) - allowed[kind])
        if unknown:
            known = ", ".join(sorted(allowed[kind]))
            raise ValueError(f"unknown setting {unknown[0]!r}; settings: {known}")
        seconds = body.get("round_seconds", 120 if kind == "company" else 60)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError("round_seconds is a number of seconds")
        if not _make_room_for(games):
            return _error(f"this server holds {MAX_ROOMS} games at most; end one first", 429)
        if kind == "beer_game":
            room = BeerRoom(beer_game, round_seconds=float(seconds))
        else:
            room = await asyncio.to_thread(
                PlayRoom,
                config,
                months=body.get("months", 12),
                round_seconds=float(seconds),
                executive=body.get("executive", "facilitator"),
                protocol=body.get("protocol", "silo"),
            )
        while room.code in games:
            room.code = join_code()
        if not _make_room_for(games):  # others were made while this one was built
            room.end()
            return _error(f"this server holds {MAX_ROOMS} games at most; end one first", 429)
        games[room.code] = room
        return JSONResponse(
            {"room": room.code, "console": room.console, "state": room.state(console=True)},
            status_code=201,
        )

    @answer
    async def public(request: Request) -> Response:
        return JSONResponse(game(request).state())

    @answer
    async def join(request: Request) -> Response:
        room = game(request)
        body = await _body(request)
        role = body.get("seat")
        if not isinstance(role, str):
            raise ValueError(f"seat is one of {', '.join(room.seats)}")
        token = room.claim(role, body.get("name", ""))
        return JSONResponse({"seat": role, "token": token, "state": room.state(seat=role)}, 201)

    @answer
    async def mine(request: Request) -> Response:
        room = game(request)
        return JSONResponse(room.state(seat=seat(request, room)))

    @answer
    async def decide(request: Request) -> Response:
        room = game(request)
        role = seat(request, room)
        body = await _body(request)
        number = body.get("round")
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise ValueError("round is the number of the round the decision is for")
        text = room.submit(role, body.get("decision"), number)
        return JSONResponse({"accepted": text, "state": room.state(seat=role)})

    @answer
    async def leave(request: Request) -> Response:
        room = game(request)
        room.release(request.headers.get(SEAT_HEADER, ""))
        return JSONResponse({"left": True})

    @answer
    async def console_state(request: Request) -> Response:
        room = game(request)
        console(request, room)
        return JSONResponse(room.state(console=True))

    @answer
    async def act(request: Request) -> Response:
        room = game(request)
        console(request, room)
        action = request.path_params["action"]
        if action not in CONSOLE_ACTIONS:
            return _error(f"unknown action {action!r}; actions: {', '.join(CONSOLE_ACTIONS)}", 404)
        body = await _body(request) if action in ("switch", "scenario", "rule") else {}
        done = None
        if action in ("switch", "scenario", "rule") and not isinstance(room, PlayRoom):
            raise ValueError(f"a {room.kind.replace('_', ' ')} room has no {action}")
        if action == "switch":
            protocol = body.get("protocol")
            if protocol not in PLAY_PROTOCOLS:
                raise ValueError(f"protocol is one of {', '.join(PLAY_PROTOCOLS)}")
            room.switch(protocol)
        elif action == "scenario":
            spec = body.get("spec")
            if not isinstance(spec, str) or not spec.strip():
                raise ValueError("spec is a scenario, e.g. demand_surge:pct=20")
            done = room.fire(spec)
        elif action == "rule":
            number = body.get("round")
            if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
                raise ValueError("round is the number of the round the rulings are for")
            done = room.submit("executive", body.get("decision"), number)
        else:
            getattr(room, action)()
        return JSONResponse({"done": done, "state": room.state(console=True)})

    @answer
    async def figure(request: Request) -> Response:
        room = game(request)
        png = room.figures.get(request.path_params["figure"])
        if png is None:
            raise KeyError("no such figure (the debrief is drawn when the game ends)")
        return Response(png, media_type="image/png")

    @answer
    async def qr(request: Request) -> Response:
        """The join page's address, as the console's browser reached the server, in a QR code
        drawn here (no service outside is asked)."""
        import segno

        room = game(request)
        url = f"{request.base_url}join?room={room.code}"
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="svg", scale=5, dark="#1d2430")
        return Response(buffer.getvalue(), media_type="image/svg+xml")

    @answer
    async def events(request: Request) -> Response:
        room = game(request)
        token = request.query_params.get("seat")
        key = request.query_params.get("console")
        if key is not None:
            console(request, room, key)
            role = None
        else:
            role = seat(request, room, token) if token is not None else None

        def gone() -> str | None:
            try:
                seat(request, room, token)
            except PermissionError:
                return "this seat was left"  # a seat given up no longer streams
            return None

        return _events(
            request,
            lambda: room.version,
            lambda: room.state(seat=role, console=key is not None),
            gone if role is not None else None,
        )

    return [
        *(Route(f"/{name}", page(name)) for name in PAGES),
        Route("/api/play", create, methods=["POST"]),
        Route("/api/play/{room}", public),
        Route("/api/play/{room}/join", join, methods=["POST"]),
        Route("/api/play/{room}/seat", mine),
        Route("/api/play/{room}/decide", decide, methods=["POST"]),
        Route("/api/play/{room}/leave", leave, methods=["POST"]),
        Route("/api/play/{room}/console", console_state),
        Route("/api/play/{room}/console/{action}", act, methods=["POST"]),
        Route("/api/play/{room}/events", events),
        Route("/api/play/{room}/figures/{figure}.png", figure),
        Route("/api/play/{room}/qr.svg", qr),
    ]
