"""What every validation test shares: confidence intervals over replications, and one printed
line per check saying what the source expects, what the simulator gave, and how close it must be.

Run ``pytest tests/validation -s`` to see the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import sqrt

import numpy as np
import pytest
from scipy import stats

CONFIDENCE = 0.99


class Check:
    """Compares simulated numbers with published ones, prints the comparison, then asserts."""

    def replications(
        self, label: str, expected: float, samples: Sequence[float], confidence: float = CONFIDENCE
    ) -> float:
        """The published value lies in the Student-t confidence interval of the mean of
        independent replications; returns that mean."""
        x = np.asarray(samples, dtype=float)
        n = len(x)
        half_width = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / sqrt(n))
        basis = f"{confidence:.0%} CI over {n} replications"
        return self.close(label, expected, float(x.mean()), half_width, basis)

    def close(
        self, label: str, expected: float, simulated: float, tolerance: float, basis: str
    ) -> float:
        """The published value lies within ``tolerance`` of the simulated one; returns it."""
        line = (
            f"{label}: expected {expected:.4f}, "
            f"simulated {simulated:.4f} ± {tolerance:.4f} ({basis})"
        )
        print(f"\n{line}")
        assert abs(simulated - expected) <= tolerance, line
        return simulated


@pytest.fixture
def check() -> Check:
    return Check()
