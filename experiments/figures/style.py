"""One look for every figure: colours that stay the same for a protocol from one picture to the
next and that colour-blind readers tell apart (Okabe & Ito's palette), money on its axes in
dollars, titles that state the finding, and pictures written atomically in the format their
file's extension names.

Figures are built with matplotlib's object API (``Figure``, no pyplot state, no backend switch
on import), so they draw without a screen.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.output import atomic_write

__all__ = [
    "BASE",
    "DOLLARS",
    "PERCENT",
    "PLOT_FORMATS",
    "PROTOCOL_COLOURS",
    "SCENARIO",
    "colour_of",
    "plain",
    "save",
    "signed_dollars",
]

PROTOCOL_COLOURS = {
    "silo": "#D55E00",  # vermillion
    "info_sharing": "#E69F00",  # orange
    "consensus_demand": "#CC79A7",  # reddish purple
    "sop": "#0072B2",  # blue
    "ibp": "#009E73",  # bluish green
    "classic": "#666666",
}
"""Each protocol's colour, the same in every figure (Okabe & Ito, colour-blind safe)."""

BASE, SCENARIO = "#0072B2", "#D55E00"  # a run as it is, and with a what-if
_OTHERS = ("#56B4E9", "#F0E442", "#000000", "#999999")


def colour_of(name: str, i: int = 0) -> str:
    """A protocol's colour; anything else gets one of the remaining colours of the palette."""
    return PROTOCOL_COLOURS.get(name, _OTHERS[i % len(_OTHERS)])


def _dollars(x: float, _=None) -> str:
    if abs(x) >= 1e6:
        return f"${x / 1e6:,.2f}M"
    if abs(x) >= 1e4:
        return f"${x / 1e3:,.0f}k"
    return f"${x:,.0f}"


DOLLARS = FuncFormatter(_dollars)
"""An axis in dollars: $2.5M, $480k, $950."""
PERCENT = FuncFormatter(lambda x, _: f"{x:.0f}%")
"""An axis of percentages already scaled to 0–100."""


def signed_dollars(x: float | None) -> str:
    """``+$1.25M``, ``-$98k``, ``n/a``."""
    if x is None:
        return "n/a"
    sign = "+" if x >= 0 else "-"
    return f"{sign}${abs(x) / 1e6:,.2f}M" if abs(x) >= 1e6 else f"{sign}${abs(x) / 1e3:,.0f}k"


def plain(text: str) -> str:
    """``text`` with its dollar signs shown as such (matplotlib reads ``$...$`` as maths)."""
    return text.replace("$", r"\$")


PLOT_FORMATS = (".png", ".svg", ".pdf")
"""The picture formats, by extension (what matplotlib writes with no extra package)."""


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` in the format its extension names, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLOT_FORMATS:
        # Left to itself, matplotlib would add '.png' to the name and write somewhere else.
        raise ValueError(f"a picture is written as {', '.join(PLOT_FORMATS)}, not {suffix!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix[1:], dpi=110)
    atomic_write(path, buffer.getvalue())
    return path
