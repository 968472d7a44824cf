"""Time, bandwidth pressure and the roofline of every layer (notebooks 04 and 05).

The simple model, stated wherever it is used: each layer reads its input and its
weights from memory once and writes its output once; nothing stays in a cache, nothing
is fused. Flatten and Dropout move nothing (at inference they are a view and a no-op).
A layer's time is the larger of its compute time and its memory time.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import check_int, check_number
from .analysis import analyze
from .devices import _compute_device

__all__ = ["roofline", "layer_time"]

_MOVES_NOTHING = {"Flatten", "Dropout"}


def layer_time(macs: float, peak_flops: float) -> float:
    """``t = 2 * MACs / peak`` in seconds: the time a layer takes if compute were the only limit (notebook 04)."""
    macs = check_number("macs", macs, 0)
    peak_flops = check_number("peak_flops", peak_flops, 0, exclusive_minimum=True)
    return 2 * macs / peak_flops


def roofline(network, device, batch_size: int = 1, bytes_per_element: float = 4) -> pd.DataFrame:
    """Per-layer FLOPs, bytes, intensity, bound, time and needed bandwidth on ``device``.

    Adds to ``analyze``'s columns:
    - ``flops`` = 2 x MACs x batch; ``bytes_read`` = (input elements x batch + params) x
      bytes_per_element, where a join reads its operands (a concat: the stacked branches; a residual
      add: two maps of the output's shape; a gate's multiply: the map and a scale per channel);
      ``bytes_written`` = output elements x batch x bytes_per_element;
    - ``intensity`` = flops / (bytes_read + bytes_written), FLOP per byte;
    - ``time_compute_s`` = flops / peak; ``time_memory_s`` = bytes / bandwidth;
      ``time_s`` = the larger; ``bound`` = "compute" or "memory";
    - ``input_GBps``, ``weight_GBps``, ``output_GBps``: the bandwidth (GB/s, 10^9 B/s)
      each stream would need for the layer to run at the compute peak (NaN for a layer
      with no FLOPs, which never keeps compute busy).
    ``device`` is a ``Device`` or a catalog name.
    """
    device = _compute_device(device)
    batch_size = check_int("batch_size", batch_size, 1)
    bytes_per_element = check_number("bytes_per_element", bytes_per_element, 0, exclusive_minimum=True)
    table = analyze(network, batch_size, bytes_per_element)

    moves = ~table["kind"].isin(_MOVES_NOTHING)
    input_elements = table["in_shape"].map(np.prod).astype("int64")
    # A join's row records the block's input, but a join reads its operands: a concat the branches it stacks
    # (as many elements as it writes), a residual add its two operands of the output's shape, a gate's
    # multiply the map and one scale per channel.
    out_elements = table["activations"].astype("int64")
    channels = table["out_shape"].map(lambda shape: shape[0] if len(shape) else 1).astype("int64")
    input_elements = input_elements.mask(table["kind"] == "Concat", out_elements)
    input_elements = input_elements.mask(table["kind"] == "Add", 2 * out_elements)
    input_elements = input_elements.mask(table["kind"] == "Mul", out_elements + channels)
    input_elements = input_elements * batch_size
    input_bytes = input_elements * bytes_per_element * moves
    weight_bytes = table["param_bytes"]
    output_bytes = table["activations"] * batch_size * bytes_per_element * moves

    table["flops"] = 2 * table["macs"] * batch_size
    table["bytes_read"] = input_bytes + weight_bytes
    table["bytes_written"] = output_bytes
    moved = table["bytes_read"] + table["bytes_written"]
    table["intensity"] = (table["flops"] / moved.where(moved > 0)).fillna(0.0)
    table["time_compute_s"] = table["flops"] / device.peak_flops
    table["time_memory_s"] = moved / device.mem_bandwidth
    table["time_s"] = table[["time_compute_s", "time_memory_s"]].max(axis=1)
    table["bound"] = np.where(table["time_compute_s"] >= table["time_memory_s"], "compute", "memory")
    busy = table["time_compute_s"].where(table["time_compute_s"] > 0)
    table["input_GBps"] = input_bytes / busy / 1e9
    table["weight_GBps"] = weight_bytes / busy / 1e9
    table["output_GBps"] = output_bytes / busy / 1e9
    table.attrs.update(device=device.name, peak_flops=device.peak_flops, mem_bandwidth=device.mem_bandwidth)
    return table
