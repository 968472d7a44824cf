"""Machines: compute peak and memory bandwidth, from a catalog with a source for every figure (notebooks 02, 04, 05).

The catalog is ``data/devices.csv`` inside the package: one row per chip and precision
(a chip has one roof per precision), plus memories and links that have a bandwidth but
no compute peak. Units as vendors use them: bandwidth is SI (GB/s = 10^9 bytes/s), but
GPU memory capacity is sold in binary units, so an "8 GB" card holds 8 GiB = 8 x 2^30 bytes
(``nvidia-smi`` shows 8,192 MiB) and ``memory_bytes`` stores it so (notebooks 00 and 02).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
import math

import numpy as np
import pandas as pd

from ._checks import check_number

__all__ = ["Device", "devices", "get_device", "ridge_point", "attainable_flops"]


@dataclass(frozen=True)
class Device:
    """A chip (or a memory) as the roofline sees it."""
    name: str
    peak_flops: float | None         # FLOP/s (op/s for integer precisions); None for a memory or link
    mem_bandwidth: float             # bytes/s from memory
    memory_bytes: float | None = None  # capacity in bytes (GPU 'GB' are GiB: 2^30 bytes)
    precision: str = "fp32"          # the precision the peak is quoted in
    source: str = ""                 # where the figures are stated

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        if self.peak_flops is not None:
            check_number("peak_flops", self.peak_flops, 0, exclusive_minimum=True)
        check_number("mem_bandwidth", self.mem_bandwidth, 0, exclusive_minimum=True)
        if self.memory_bytes is not None:
            check_number("memory_bytes", self.memory_bytes, 0, exclusive_minimum=True)


def _none_if_nan(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@lru_cache(maxsize=1)
def _catalog() -> pd.DataFrame:
    with resources.files("course_lib").joinpath("data/devices.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f, keep_default_na=False, na_values={"peak_flops": [""], "memory_bytes": [""]})


def devices(kind: str | None = None) -> pd.DataFrame:
    """The device catalog with each figure's source, and the ridge point (FLOP/byte) of every chip.

    ``kind`` filters rows: "gpu", "asic", "edge", "cpu", "memory" or "link".
    """
    table = _catalog().copy()
    table["ridge_point"] = table["peak_flops"] / table["mem_bandwidth"]
    if kind is not None:
        kinds = sorted(table["kind"].unique())
        if kind not in kinds:
            raise ValueError(f"kind must be one of {', '.join(kinds)}; got {kind!r}")
        table = table[table["kind"] == kind].reset_index(drop=True)
    return table


def get_device(name: str) -> Device:
    """The catalog's device called ``name`` (case does not matter); ValueError lists the known names."""
    if isinstance(name, Device):
        return name
    if not isinstance(name, str):
        raise TypeError(f"name must be a device name (a string), got {name!r}")
    device = _devices_by_name().get(name.strip().lower())
    if device is None:
        raise ValueError(f"unknown device {name!r}; the known devices are: {', '.join(_catalog()['name'])}")
    return device


@lru_cache(maxsize=1)
def _devices_by_name() -> dict:
    """Every catalog row as a (frozen, shareable) Device, by lower-case name."""
    return {row["name"].lower(): Device(name=row["name"], peak_flops=_none_if_nan(row["peak_flops"]),
                                        mem_bandwidth=float(row["mem_bandwidth"]),
                                        memory_bytes=_none_if_nan(row["memory_bytes"]),
                                        precision=row["precision"] or "", source=row["source"])
            for _, row in _catalog().iterrows()}


def _compute_device(device) -> Device:
    device = get_device(device)
    if device.peak_flops is None:
        raise ValueError(f"device {device.name!r} is a memory or link with no compute peak; pick a chip")
    return device


def ridge_point(device) -> float:
    """``peak_flops / mem_bandwidth`` in FLOP/byte: the smallest intensity that reaches the peak (notebook 05)."""
    device = _compute_device(device)
    return device.peak_flops / device.mem_bandwidth


def attainable_flops(device, intensity):
    """The roofline: ``min(peak, bandwidth x intensity)`` in FLOP/s, for an intensity in FLOP/byte (notebook 05).

    ``intensity`` may be a number or a NumPy array of numbers >= 0.
    """
    device = _compute_device(device)
    if isinstance(intensity, (np.ndarray, list, tuple, pd.Series)):
        values = np.asarray(intensity, dtype=float)
        if np.isnan(values).any() or (values < 0).any():
            raise ValueError("intensity must hold numbers >= 0 (FLOP per byte)")
        return np.minimum(device.peak_flops, device.mem_bandwidth * values)
    intensity = check_number("intensity", intensity, 0)
    return min(device.peak_flops, device.mem_bandwidth * intensity)
