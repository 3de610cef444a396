"""What every game room shares: seats held by codes, rounds with a clock, a facilitator who
pauses, advances and ends, and a simulation that runs in the room's own thread and waits at
each round for the people in the seats.

A room's simulation asks (:meth:`GameRoom.ask`) when it reaches a decision; the call returns
the decisions of the seated people who answered before the round closed — when all of them
have, when its time runs out, when the facilitator advances it, or when the game ends — and
the simulation lets its agents decide for everyone else. Pausing stops the clock (and the
simulation between days); nothing is decided for a person while the room is paused.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import string
import threading
import time
from dataclasses import dataclass, field

__all__ = ["GameRoom", "Round", "RoundClosed", "Seat", "finite", "join_code"]

JOIN_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "O0I1")
MIN_ROUND_SECONDS, MAX_ROUND_SECONDS = 1.0, 3600.0


class RoundClosed(ValueError):
    """A decision that came too late, or for a round that is not open."""


def finite(x: float) -> float | None:
    """``x``, or None where it is not a number (JSON has no NaN: a KPI with nothing to
    measure is shown as a dash)."""
    return float(x) if math.isfinite(x) else None


def join_code() -> str:
    """Six characters a room can read off a screen (no O/0 or I/1)."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(6))


@dataclass
class Seat:
    """A seat: who holds it (by its code)."""

    role: str
    token: str | None = None
    name: str = ""

    @property
    def taken(self) -> bool:
        return self.token is not None


@dataclass
class Round:
    """What the room is asked, and what it has answered."""

    number: int
    phase: str
    day: int
    waiting_for: tuple[str, ...]  # the seats asked
    deadline: float | None  # time.monotonic() at which it closes (None: paused)
    answers: dict[str, object] = field(default_factory=dict)
    closed: bool = False


class GameRoom:
    """The seats, rounds and clock of a game; subclasses say what is played (:meth:`_play`),
    how a decision is read (:meth:`parse`) and what a page shows (:meth:`view`)."""

    kind = "game"

    def __init__(self, roles: tuple[str, ...], round_seconds: float) -> None:
        if not MIN_ROUND_SECONDS <= round_seconds <= MAX_ROUND_SECONDS:
            raise ValueError(
                f"round_seconds is {MIN_ROUND_SECONDS:g} to {MAX_ROUND_SECONDS:g}, "
                f"not {round_seconds:g}"
            )
        self.code = join_code()
        self.console = secrets.token_urlsafe(16)
        self.round_seconds = float(round_seconds)
        self.seats = {role: Seat(role) for role in roles}
        self.round: Round | None = None
        self.rounds = 0
        self.people: list[dict] = []  # every decision a person took: round, day, seat, what
        self.latencies: list[float] = []  # seconds from a round's close to the next opening
        self.phase = "lobby"
        self.paused = False
        self.ended = False
        self.version = 0
        self.error: str | None = None
        self.ended_at: float | None = None  # when its debrief was ready (or it failed)
        self._left = self.round_seconds  # what the clock had left when paused
        self._advance = False
        self._closed_at: float | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ for subclasses

    def _play(self) -> None:
        raise NotImplementedError  # pragma: no cover

    def parse(self, who: str, data: object) -> object:
        """``data`` as ``who``'s decision (with ``describe()``), or a ``ValueError``."""
        raise NotImplementedError  # pragma: no cover

    def view(self, seat: str | None, console: bool) -> dict:
        """What a page shows besides the round and the seats (called holding the lock)."""
        raise NotImplementedError  # pragma: no cover

    # ------------------------------------------------------------------ the facilitator

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                raise RoundClosed("the game has started already")
            self._thread = threading.Thread(target=self._run, name=f"room {self.code}", daemon=True)
            self.phase = "running"
            self._changed()
        self._thread.start()

    def pause(self) -> None:
        with self._cond:
            if self.ended:
                raise RoundClosed("the game is over")
            current = self.round
            if not self.paused and current is not None and current.deadline is not None:
                self._left = max(0.0, current.deadline - time.monotonic())
                current.deadline = None
            self.paused = True
            self._changed()

    def resume(self) -> None:
        with self._cond:
            if self.paused and self.round is not None and not self.round.closed:
                self.round.deadline = time.monotonic() + self._left
            self.paused = False
            self._changed()

    def advance(self) -> None:
        """Close the open round now: the agents decide for whoever has not."""
        with self._cond:
            if self.round is None or self.round.closed:
                raise RoundClosed("no round is open")
            self._advance = True
            self._changed()

    def end(self) -> None:
        """End the game: the agents play what is left at once, then the debrief."""
        with self._cond:
            self.ended, self.paused = True, False
            self._changed()
            if self._thread is not None:
                return
        with contextlib.suppress(RoundClosed):  # started meanwhile: it ends all the same
            self.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the game to finish; True if it has."""
        if self._thread is None:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ------------------------------------------------------------------ the participants

    def claim(self, role: str, name: object = "") -> str:
        """Take seat ``role``; returns the seat's code (the browser keeps it, so a reload or a
        dropped connection gets the seat back)."""
        if role not in self.seats:
            raise ValueError(f"unknown seat {role!r}; seats: {', '.join(self.seats)}")
        name = str(name).strip()[:40]
        with self._cond:
            seat = self.seats[role]
            if seat.taken:
                by = f" by {seat.name}" if seat.name else ""
                raise PermissionError(f"the {role} seat is taken{by}; choose another")
            seat.token, seat.name = secrets.token_urlsafe(16), name
            self._forget(role)  # a decision of whoever held it before is not this person's
            self._changed()
            return seat.token

    def seat_of(self, token: str) -> Seat:
        given = str(token).encode()
        for seat in self.seats.values():
            if seat.token is not None and secrets.compare_digest(seat.token.encode(), given):
                return seat
        raise KeyError("no seat has this code")

    def release(self, token: str) -> None:
        with self._cond:
            seat = self.seat_of(token)
            seat.token, seat.name = None, ""
            self._forget(seat.role)
            self._changed()

    def _forget(self, role: str) -> None:
        if self.round is not None and not self.round.closed:
            self.round.answers.pop(role, None)

    def submit(self, who: str, data: object, number: int | None = None) -> str:
        """A decision from ``who`` (a seat, or ``"executive"`` for the console) for the open
        round (``number``: the round the page showed). Returns it in words; raises
        :class:`RoundClosed` if the round is not open to ``who``, ``ValueError`` if the
        decision is not valid. A person may change a decision until the round closes."""
        with self._cond:
            current = self.round
            if current is None or current.closed:
                raise RoundClosed("the round is closed; wait for the next one")
            if number is not None and number != current.number:
                raise RoundClosed(f"round {number} is closed; round {current.number} is open")
            if who not in current.waiting_for:
                asked = ", ".join(current.waiting_for)
                raise RoundClosed(f"this part of round {current.number} is for {asked}")
            decision = self.parse(who, data)
            current.answers[who] = decision
            self._changed()
            return decision.describe()

    # ------------------------------------------------------------------ the simulation's side

    def asked(self, role: str) -> bool:
        """Whether a person answers for ``role`` (the executive: the facilitator)."""
        return role == "executive" or self.seats[role].taken

    def ask(self, phase: str, day: int, roles: tuple[str, ...], number: int) -> dict:
        """Open round ``number`` to ``roles`` and wait (see the module docstring); returns the
        people's decisions, by role."""
        with self._cond:
            self.rounds = number
            if self._closed_at is not None:
                self.latencies.append(time.monotonic() - self._closed_at)
            deadline = None if self.paused else time.monotonic() + self.round_seconds
            self._left = self.round_seconds
            self.round = current = Round(number, phase, day, roles, deadline)
            self.phase = phase
            self._changed()
            while not self.ended and not self._advance:
                people = [r for r in roles if self.asked(r)]
                if all(r in current.answers for r in people):
                    break
                timeout = None if current.deadline is None else current.deadline - time.monotonic()
                if timeout is not None and timeout <= 0:
                    break
                self._cond.wait(timeout)
            self._advance = False
            current.closed = True
            self._closed_at = time.monotonic()
            self.phase = "running"
            answers = {r: d for r, d in current.answers.items() if self.asked(r)}
            for role, decision in answers.items():
                self.people.append(
                    {"round": number, "day": day, "seat": role, "what": decision.describe()}
                )
            self._changed()
            return answers

    def wait_while_paused(self) -> None:
        with self._cond:
            while self.paused and not self.ended:
                self._cond.wait()

    def _run(self) -> None:
        try:
            self._play()
        except Exception as error:  # the room shows it; the server keeps serving
            with self._cond:
                self.phase, self.ended = "failed", True
                self.error = f"{type(error).__name__}: {error}"
                self.ended_at = time.monotonic()
                self._changed()
            raise
        with self._cond:
            self.ended_at = time.monotonic()

    def _changed(self) -> None:
        self.version += 1
        self._cond.notify_all()

    # ------------------------------------------------------------------ what the pages show

    def state(self, seat: str | None = None, console: bool = False) -> dict:
        """What a page shows: the round, the seats and the game's own view; a seat sees its
        own decision, the console the executive's."""
        with self._cond:
            current = self.round
            left = None
            if current is not None and not current.closed:
                left = (
                    self._left if current.deadline is None else current.deadline - time.monotonic()
                )
            out = {
                "game": self.kind,
                "code": self.code,
                "phase": self.phase,
                "paused": self.paused,
                "ended": self.ended,
                "version": self.version,
                "error": self.error,
                "round": None
                if current is None
                else {
                    "number": current.number,
                    "phase": current.phase,
                    "day": current.day,
                    "open": not current.closed,
                    "seconds_left": None if left is None else round(max(0.0, left), 1),
                    "waiting_for": [
                        r for r in current.waiting_for if self.asked(r) and r not in current.answers
                    ],
                    "answered": sorted(current.answers),
                },
                "seats": [
                    {"role": s.role, "taken": s.taken, "name": s.name} for s in self.seats.values()
                ],
            }
            out |= self.view(seat, console)
            mine = seat if seat is not None else ("executive" if console else None)
            if mine is not None:
                answer = current.answers.get(mine) if current is not None else None
                out["seat"] = seat
                out["submitted"] = None if answer is None else answer.describe()
            return out
