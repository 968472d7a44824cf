"""Widgets of notebooks 04 and 05: bandwidth pressure per layer, and AlexNet on a device's roofline.

Each view is a plain function of the controls' values (tests call it across every
option); the explorers wrap it with ``build_app``. Both use the simple model: each
layer reads its input and weights from memory once and writes its output once.
"""
from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets

from .._checks import check_choice, check_int
from ..devices import devices, get_device, ridge_point
from ..intensity import layer_points
from ..plots.roofline import _plain, _rate, bandwidth_pressure_plot, counts_operations, roofline_plot
from ..roofline import roofline
from ..zoo import alexnet_original
from ._base import build_app

__all__ = ["bandwidth_view", "bandwidth_explorer", "roofline_view", "roofline_explorer",
           "DTYPE_CHOICES", "BATCH_CHOICES", "compute_device_names"]

# Bytes per element of each storage type (IEEE 754 widths; bf16 and fp8 as their names say).
DTYPE_CHOICES = {"fp64": 8, "fp32": 4, "fp16/bf16": 2, "int8/fp8": 1}
_PRECISION_BYTES = {"fp64": 8, "fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1}
BATCH_CHOICES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def compute_device_names() -> list[str]:
    """The catalog rows that have a compute peak (the chips, not the memories or links)."""
    table = devices()
    return list(table.loc[table["peak_flops"].notna(), "name"])


def _inputs(device, dtype, batch):
    device = get_device(device)
    bytes_per_element = DTYPE_CHOICES[check_choice("dtype", dtype, list(DTYPE_CHOICES))]
    return device, bytes_per_element, check_int("batch", batch, 1)


def _mixed_note(device, dtype, bytes_per_element, drawn="roof"):
    """The warning when the peak's precision and the counted element width differ. ``drawn`` names
    what the peak sets in the view: the roof (lesson 05) or the bandwidth bars (lesson 04)."""
    native = _PRECISION_BYTES.get(device.precision)
    if native is None or native == bytes_per_element:
        return ""
    note = (f"\n\n**Mixed assumption:** the peak of {device.name} is quoted for {device.precision} "
            f"({native} B per element) but the bytes are counted as {dtype} ({bytes_per_element:g} B). ")
    if bytes_per_element > native:
        # Lesson 04's case: a narrow-precision peak with wide data overstates what the chip does.
        too_high = {"roof": "the roof is too high for this data, as in lesson 04's \"120 TFLOP/s\" with 4-byte "
                            "elements",
                    "bars": "the bars are too high for this data: at this width the chip computes at a lower "
                            "peak and needs less bandwidth"}[drawn]
        return note + f"The chip reaches this peak only with the narrower numbers, so {too_high}."
    stays = "The roof stays" if drawn == "roof" else "The bars stay"
    return note + (f"{stays} at the {device.precision} peak: this row says nothing about how fast "
                   f"the chip computes in {dtype}. Pick a row quoted for {dtype}, if the catalog has one.")


# The tables depend only on (device, bytes per element, batch): a learner going back to a
# setting gets it from here instead of recounting AlexNet (the views never modify them).
@lru_cache(maxsize=64)
def _roofline_table(device, bytes_per_element, batch):
    return roofline(alexnet_original(), device, batch, bytes_per_element)


@lru_cache(maxsize=64)
def _layer_points(device, bytes_per_element, batch):
    return layer_points(alexnet_original(), device, batch, bytes_per_element)


def _peak(device):
    """'8.87 TFLOP/s (fp32)', '74.7 GFLOP/s (fp64)', '92 TOPS (int8)': the peak, in the precision it is quoted for."""
    return f"{_rate(device.peak_flops, device.precision)} ({device.precision})"


def bandwidth_view(device="120 TFLOP/s example", dtype="fp32", batch=1):
    """AlexNet's per-layer needed bandwidth at ``device``'s peak vs the bandwidth it has (notebook 04)."""
    device, bytes_per_element, batch = _inputs(device, dtype, batch)
    table = _roofline_table(device, bytes_per_element, batch)
    fig = bandwidth_pressure_plot(table, width=7.5, height=3.8)
    busy = table[table["flops"] > 0]
    needed = busy["input_GBps"] + busy["weight_GBps"] + busy["output_GBps"]
    short = busy.loc[needed > device.mem_bandwidth / 1e9, "name"]
    text = (f"{device.name}: peak {_peak(device)}, memory {device.mem_bandwidth / 1e9:,.4g} GB/s. "
            f"At batch {batch} in {dtype}, **{len(short)} of {len(busy)}** compute layers would need more "
            f"bandwidth (input + weights + output) than the device has"
            + (f": {', '.join(short)}." if len(short) else ".")
            + f" The largest need is {_plain(needed.max())} GB/s ({busy.loc[needed.idxmax(), 'name']})."
            + _mixed_note(device, dtype, bytes_per_element, drawn="bars"))
    return fig, text


def roofline_view(device="GTX 1080", dtype="fp32", batch=1):
    """Every AlexNet conv and FC layer placed on ``device``'s roofline (notebook 05)."""
    device, bytes_per_element, batch = _inputs(device, dtype, batch)
    points = _layer_points(device, bytes_per_element, batch)
    ridge = ridge_point(device)
    fig = roofline_plot([device], points, width=7.2, height=4.0,
                        title=f"AlexNet (2012), batch {batch}, {dtype} on {device.name}")
    memory = points.loc[points["bound"] == "memory", "name"]
    per_byte = "ops/byte" if counts_operations(device.precision) else "FLOP/byte"
    text = (f"{device.name}: peak {_peak(device)}, ridge point {_plain(ridge)} {per_byte}. "
            "Memory bound (intensity below the ridge): "
            + (", ".join(f"{n} ({_plain(i)})" for n, i in zip(memory, points.loc[memory.index, "intensity"]))
               if len(memory) else "none")
            + ". Bytes counted: each layer's input, weights and output, all through memory."
            + _traffic_note(device) + _mixed_note(device, dtype, bytes_per_element))
    return fig, text


def _traffic_note(device):
    if not device.name.startswith("TPU v1"):
        return ""
    return ("\n\n**Traffic model:** the real TPU v1 keeps activations in its 24 MiB on-chip buffer and reads only "
            "weights from the 34 GB/s memory; counting weight bytes only, conv1 is past the ridge at batch 1 "
            "(notebook 07).")


def _controls(default_device):
    return {
        "device": widgets.Dropdown(options=compute_device_names(), value=default_device, description="device"),
        "dtype": widgets.Dropdown(options=list(DTYPE_CHOICES), value="fp32", description="dtype"),
        "batch": widgets.SelectionSlider(options=BATCH_CHOICES, value=1, description="batch"),
    }


def bandwidth_explorer():
    """Device, dtype and batch -> the bandwidth each AlexNet layer needs vs the device's (notebook 04)."""
    return build_app(bandwidth_view, _controls("120 TFLOP/s example"), columns=3,
                     title="Bandwidth needed to keep up with compute, per layer")


def roofline_explorer():
    """Device, dtype and batch -> AlexNet's layers on the device's roofline (notebook 05)."""
    return build_app(roofline_view, _controls("GTX 1080"), columns=3, title="AlexNet on a roofline")
