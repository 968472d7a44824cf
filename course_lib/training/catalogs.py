"""Catalogs notebook 09 reads, each figure with its source (CSV files in ``course_lib/data``).

``interconnects.csv``: links between chips, GB/s in each direction; ``board_power.csv``: watts
per catalog device (datasheet maxima, not measured draw); ``training_devices.csv``: chips
notebook 09 needs that ``devices.csv`` does not hold (a CPU of 2012).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from ..devices import Device, _none_if_nan, get_device

__all__ = ["interconnects", "get_interconnect", "board_power", "board_power_watts", "training_device"]


def _read_csv(name: str) -> pd.DataFrame:
    with resources.files("course_lib").joinpath(f"data/{name}").open(encoding="utf-8") as f:
        return pd.read_csv(f, keep_default_na=False, na_values={"peak_flops": [""], "memory_bytes": [""]})


@lru_cache(maxsize=1)
def _interconnects() -> pd.DataFrame:
    return _read_csv("interconnects.csv")


def interconnects() -> pd.DataFrame:
    """Links between chips (PCIe, NVLink, InfiniBand): GB/s in each direction, source and note."""
    return _interconnects().copy()


def get_interconnect(name: str) -> float:
    """Bytes/s in each direction of the catalog link ``name`` (case does not matter)."""
    if not isinstance(name, str):
        raise TypeError(f"link must be a link name (a string) or bytes/s (a number), got {name!r}")
    table = _interconnects()
    match = table[table["name"].str.lower() == name.strip().lower()]
    if match.empty:
        raise ValueError(f"unknown link {name!r}; the known links are: {', '.join(table['name'])}")
    return float(match["GBps_per_direction"].iloc[0]) * 1e9


@lru_cache(maxsize=1)
def _board_power() -> pd.DataFrame:
    return _read_csv("board_power.csv")


def board_power() -> pd.DataFrame:
    """Board power (W) of catalog devices, with its source: datasheet maxima, not measured draw."""
    return _board_power().copy()


def board_power_watts(device) -> float:
    """The board power in watts of ``device`` (a name from ``board_power()`` or a Device)."""
    name = device.name if isinstance(device, Device) else device
    if not isinstance(name, str):
        raise TypeError(f"device must be a device name (a string), got {device!r}")
    table = _board_power()
    match = table[table["name"].str.lower() == name.strip().lower()]
    if match.empty:
        raise ValueError(f"no board power for {name!r}; the devices with one are: {', '.join(table['name'])}")
    return float(match["watts"].iloc[0])


@lru_cache(maxsize=1)
def _extra_devices() -> dict:
    return {row["name"].lower(): Device(name=row["name"], peak_flops=_none_if_nan(row["peak_flops"]),
                                        mem_bandwidth=float(row["mem_bandwidth"]),
                                        memory_bytes=_none_if_nan(row["memory_bytes"]),
                                        precision=row["precision"], source=row["source"])
            for _, row in _read_csv("training_devices.csv").iterrows()}


def training_device(name) -> Device:
    """A device from the catalog (``cl.get_device``) or from ``data/training_devices.csv`` (the CPU of 2012)."""
    if isinstance(name, str) and name.strip().lower() in _extra_devices():
        return _extra_devices()[name.strip().lower()]
    return get_device(name)


