"""What every part of ``course_lib.training`` shares: argument checks and the length of a day."""
from __future__ import annotations

from .._checks import check_number
from ..analysis import Network

DAY_S = 86_400   # seconds in a day


def _positive(name, value):
    return check_number(name, value, 0, exclusive_minimum=True)


def _network(network) -> Network:
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (e.g. cl.zoo.alexnet()), got {type(network).__name__}")
    return network


