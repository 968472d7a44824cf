"""Argument checking shared by every module: one place that writes the error messages.

Every public function checks its arguments before it computes, so that bad input gives
an error naming the parameter, the value and the valid range, never a wrong number.
"""
from __future__ import annotations

import numbers
import math


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise: TypeError if it is not an integer, ValueError if out of range."""
    # bool is an int subclass in Python; True as a kernel size is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    _check_range(name, value, minimum, maximum)
    return value


def check_number(name: str, value, minimum: float | None = None, maximum: float | None = None,
                 *, exclusive_minimum: bool = False) -> float:
    """Return ``value`` as a float, or raise: TypeError if it is not a real number, ValueError if out of range or NaN."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got NaN")
    if exclusive_minimum and minimum is not None and value <= minimum:
        raise ValueError(f"{name} must be > {minimum:g}, got {value:g}")
    _check_range(name, value, minimum, maximum)
    return value


def _check_range(name, value, minimum, maximum):
    if minimum is not None and maximum is not None and not (minimum <= value <= maximum):
        raise ValueError(f"{name} must be between {minimum} and {maximum}, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")


def check_pair(name: str, value, minimum: int) -> tuple[int, int]:
    """An int or an (h, w) pair of ints, as torch.nn accepts for kernel_size, stride, padding."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
        return (check_int(f"{name}[0]", value[0], minimum), check_int(f"{name}[1]", value[1], minimum))
    v = check_int(name, value, minimum)
    return (v, v)


def check_choice(name: str, value, choices) -> object:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
