"""The names of who decides, as plain strings: what the config schema accepts for
``protocol`` and what a command line can offer without loading the schema."""

from typing import Literal, get_args

ProtocolName = Literal["classic", "silo", "info_sharing", "consensus_demand", "sop", "ibp"]
PROTOCOL_NAMES: tuple[str, ...] = get_args(ProtocolName)
"""Who decides: ``classic`` textbook policies, or a rung of the ladder played by the functions."""
