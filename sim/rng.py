"""Named random streams derived from one root seed.

Every random draw in oneplan comes from a stream named after its source ("demand",
"lead_time/asia_chips", ...). A stream's seed depends only on the root seed and the name,
never on the order in which streams are created or on Python's salted ``hash()``, so two runs
with the same root seed draw the same numbers in any process. Exogenous streams (what the
world does to the company) and decision streams (what the company does) live in separate
namespaces, so changing a policy never changes the demand a run sees.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

import numpy as np

__all__ = ["StreamKind", "Streams"]


class StreamKind(StrEnum):
    """The two namespaces of random streams."""

    EXOGENOUS = "exogenous"
    DECISION = "decision"


def _name_key(kind: StreamKind, name: str) -> list[int]:
    """A stable list of 32-bit words identifying ``kind/name`` (SHA-256, not ``hash()``)."""
    digest = hashlib.sha256(f"{kind.value}/{name}".encode()).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


class Streams:
    """Factory of independent ``numpy.random.Generator`` objects keyed by name.

    >>> streams = Streams(42)
    >>> a = streams.exogenous("demand").normal()
    >>> a == Streams(42).exogenous("demand").normal()
    True
    """

    def __init__(self, root_seed: int) -> None:
        if root_seed < 0:
            raise ValueError(f"root seed must be >= 0, got {root_seed}")
        self.root_seed = int(root_seed)
        self._cache: dict[tuple[StreamKind, str], np.random.Generator] = {}

    def _stream(self, kind: StreamKind, name: str) -> np.random.Generator:
        key = (kind, name)
        generator = self._cache.get(key)
        if generator is None:
            sequence = np.random.SeedSequence(
                entropy=self.root_seed, spawn_key=_name_key(kind, name)
            )
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._cache[key] = generator
        return generator

    def exogenous(self, name: str) -> np.random.Generator:
        """The stream for something the world does: demand, lead times, failures."""
        return self._stream(StreamKind.EXOGENOUS, name)

    def decision(self, name: str) -> np.random.Generator:
        """The stream for something a decision maker does (random tie-breaks, play)."""
        return self._stream(StreamKind.DECISION, name)


def replication_seeds(root_seed: int, count: int) -> list[int]:
    """Seeds for ``count`` replications, spawned from ``root_seed`` (stable and independent)."""
    children = np.random.SeedSequence(root_seed).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]
