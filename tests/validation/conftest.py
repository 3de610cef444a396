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

    def spread_at_most(
        self, label: str, sd: float, samples: Sequence[float], confidence: float = CONFIDENCE
    ) -> float:
        """The replications spread no more than independent draws of standard deviation ``sd``
        would (the chi-square bound on their sample standard deviation); returns the spread."""
        x = np.asarray(samples, dtype=float)
        n = len(x)
        spread = float(x.std(ddof=1))
        bound = sd * sqrt(float(stats.chi2.ppf(confidence, n - 1)) / (n - 1))
        line = (
            f"{label}: standard deviation {spread:.4f} over {n} replications, at most "
            f"{bound:.4f} ({confidence:.0%} chi-square bound for draws of sd {sd:.4f})"
        )
        print(f"\n{line}")
        assert spread <= bound, line
        return spread

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
