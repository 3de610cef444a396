"""The bounds of every number a config holds, as plain numbers: what the config schema
enforces and what a command line can check without loading the schema."""

# Every number a config holds is bounded, so that no product of them overflows and units stay
# exact to well below one unit (float64 holds integers exactly up to 9e15).
MAX_UNITS = 1e9
"""The most units of anything: on hand, per day, per order, per unit of a product."""
MIN_UNITS = 1e-6
"""The least of a quantity that must be positive (a BOM quantity, a lot): ratios of units
stay below 1e15."""
MAX_MONEY = 1e12
"""The most money: a price, a cost per unit, cash, a budget."""
MIN_PRICE = 1e-6
"""The least a price that must be positive can be."""
MAX_DAYS = 36_500
"""The longest delay or span, in days (a hundred years)."""
MAX_DAY = 1_000_000
"""The latest day (or period) number: the longest horizon."""
MIN_CV = 0.001
"""The least coefficient of variation of a noisy demand (less is no noise: use ``none``)."""
MAX_SEED = 2**63 - 1
"""Seeds fit a 64-bit integer, as they are stored in result tables."""
MAX_CHAIN_DELAY = 10_000
"""The longest lead time or order delay of a chain stage, in periods (its pipeline is held
period by period)."""
