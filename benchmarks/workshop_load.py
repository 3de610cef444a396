"""Load of the workshop's play rooms: many rooms played at once, every participant a browser-
like client on 127.0.0.1.

The workshop is started as a user starts it (``oneplan workshop`` in its own process, on
127.0.0.1). ``--rooms`` rooms are created from the console's API; in each, four participants
take the four seats and the facilitator keeps the console, all five following the room on its
event stream as the pages do. Every round each seat submits the decision its form is filled
in with (the agent's), the facilitator rules at the meetings (as the weights would) and
switches the room to S&OP after the first quarter. All rooms play their ``--months`` months
concurrently.

The step latency is what a participant waits: from the submit that completes a round to the
event that shows the next round open — the simulation of the month (the game and the agents'
twin), the stream's delivery and the page's client included. Printed: rounds completed (every
round of every room must complete), the median and 95th percentile of the step latency, and
the wall time.

Usage: ``python benchmarks/workshop_load.py [--rooms 10] [--months 12]``; keeps nothing.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body=None, headers=None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = None if body is None else json.dumps(body)
    connection.request(
        method, path, payload, {"Content-Type": "application/json", **(headers or {})}
    )
    response = connection.getresponse()
    data = json.loads(response.read() or b"{}")
    connection.close()
    if response.status >= 400:
        raise RuntimeError(f"{method} {path}: {response.status} {data}")
    return data


def events(port: int, path: str):
    """The states a room's event stream pushes, as they come."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("GET", path)
    response = connection.getresponse()
    for raw in response:
        line = raw.decode().strip()
        if line.startswith("data: "):
            yield json.loads(line[6:])


class Room:
    """One room's clients and what they saw."""

    def __init__(self, port: int, months: int) -> None:
        self.port = port
        made = request(port, "POST", "/api/play", {"months": months, "round_seconds": 600})
        self.code, self.key = made["room"], made["console"]
        self.completed: dict[tuple[int, str], float] = {}  # round -> the last submit's answer
        self.opened: dict[tuple[int, str], float] = {}  # round -> first seen open
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.tokens = {
            seat: request(port, "POST", f"/api/play/{self.code}/join", {"seat": seat})["token"]
            for seat in ("sales", "operations", "procurement", "finance")
        }

    def seen(self, state: dict) -> tuple[int, str] | None:
        current = state["round"]
        if state["debrief"] is not None:
            self.done.set()
        if current is None or not current["open"]:
            return None
        key = (current["number"], current["phase"])
        with self.lock:
            self.opened.setdefault(key, time.perf_counter())
        return key

    def submitted(self, key: tuple[int, str], state: dict) -> None:
        if state["round"] and not state["round"]["waiting_for"]:
            with self.lock:
                self.completed[key] = time.perf_counter()

    def seat(self, seat: str) -> None:
        token = self.tokens[seat]
        answered = set()
        for state in events(self.port, f"/api/play/{self.code}/events?seat={token}"):
            key = self.seen(state)
            if self.done.is_set():
                return
            if key is None or key in answered or seat not in state["round"]["waiting_for"]:
                continue
            if state.get("brief") is None:
                continue
            answered.add(key)
            answer = request(
                self.port,
                "POST",
                f"/api/play/{self.code}/decide",
                {"round": key[0], "decision": state["brief"]["default"]},
                {"x-seat": token},
            )
            self.submitted(key, answer["state"])

    def console(self) -> None:
        headers = {"x-console": self.key}
        answered, switched = set(), False
        path = f"/api/play/{self.code}/events?console={self.key}"
        request(self.port, "POST", f"/api/play/{self.code}/console/start", {}, headers)
        for state in events(self.port, path):
            key = self.seen(state)
            if self.done.is_set():
                return
            if key is None:
                continue
            if key[0] >= 3 and not switched:
                switched = True
                request(
                    self.port,
                    "POST",
                    f"/api/play/{self.code}/console/switch",
                    {"protocol": "sop"},
                    headers,
                )
            if key[1] == "meeting" and key not in answered:
                answered.add(key)
                rulings = {row["number"]: row["chosen"] for row in state["table"]}
                answer = request(
                    self.port,
                    "POST",
                    f"/api/play/{self.code}/console/rule",
                    {"round": key[0], "decision": {"rulings": rulings}},
                    headers,
                )
                self.submitted(key, answer["state"])

    def latencies(self) -> list[float]:
        rounds = sorted(self.opened)
        return [
            self.opened[after] - self.completed[before]
            for before, after in itertools.pairwise(rounds)
            if before in self.completed
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from experiments.cli import main; main()",
            "workshop",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        for _ in range(300):
            try:
                request(port, "GET", "/api/play/NONE")
            except (ConnectionRefusedError, OSError):
                time.sleep(0.1)
                continue
            except RuntimeError:
                break
        start = time.perf_counter()
        rooms = [Room(port, args.months) for _ in range(args.rooms)]
        threads = []
        for room in rooms:
            threads.append(threading.Thread(target=room.console, daemon=True))
            threads += [
                threading.Thread(target=room.seat, args=(seat,), daemon=True)
                for seat in room.tokens
            ]
        for thread in threads:
            thread.start()
        for room in rooms:
            if not room.done.wait(600):
                raise SystemExit(f"room {room.code} did not finish")
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(10)
    latencies = sorted(x for room in rooms for x in room.latencies())
    rounds = sum(len(room.opened) for room in rooms)
    expected = sum(1 for room in rooms for key in room.opened if key[1] == "deciding")
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[-1]
    print(f"cores: {os.cpu_count()}")
    print(f"{args.rooms} rooms x 5 participants, {args.months} months each, on 127.0.0.1")
    print(f"rounds completed: {rounds} ({expected} of {args.rooms * args.months} months)")
    print(f"step latency: median {statistics.median(latencies) * 1000:.0f} ms, ", end="")
    print(f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms ({len(latencies)} steps)")
    print(f"wall time: {wall:.1f} s")
    if expected != args.rooms * args.months:
        raise SystemExit("not every round completed")


if __name__ == "__main__":
    main()
