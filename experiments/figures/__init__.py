"""The figures: each a function usable from Python and behind a CLI option, in one style
(:mod:`experiments.figures.style`), each writing a picture (PNG, SVG or PDF, by the file's
extension) and returning its path."""

from experiments.figures.attribution import plot_attribution
from experiments.figures.chain import plot_chain_orders
from experiments.figures.company import plot_company_run
from experiments.figures.ladder import plot_ladder
from experiments.figures.plan import plot_plan_in_dollars
from experiments.figures.style import PLOT_FORMATS
from experiments.figures.whatif import plot_whatif

__all__ = [
    "PLOT_FORMATS",
    "plot_attribution",
    "plot_chain_orders",
    "plot_company_run",
    "plot_ladder",
    "plot_plan_in_dollars",
    "plot_whatif",
]
