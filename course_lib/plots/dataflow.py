"""Figures of notebook 07: energy per operation, DRAM traffic vs on-chip buffer, fused vs layer by layer, TPU v1 vs batch.

Each function reads a table that ``course_lib.energy`` or ``course_lib.dataflow`` computed.
"""
from __future__ import annotations

import numpy as np

from ._base import new_figure

__all__ = ["energy_bar_plot", "traffic_curve_plot", "fusion_comparison_plot", "fc_batch_plot"]

_MEMORY, _COMPUTE, _FUSED, _LAYERWISE = "#cf222e", "#0969da", "#1a7f37", "#6e7781"


def energy_bar_plot(table, width: float = 7.0, height: float = 3.6):
    """Horizontal bars of ``energy_table()`` on a log scale: arithmetic in blue, memory accesses in red."""
    fig, ax = new_figure(width, height)
    table = table.sort_values("energy_pJ")
    memory = table["operation"].str.contains("read")
    colours = np.where(memory, _MEMORY, _COMPUTE)
    y = np.arange(len(table))
    ax.barh(y, table["energy_pJ"], color=colours)
    ax.set_yticks(y, table["operation"])
    ax.set_xscale("log")
    ax.set_xlim(0.01, 5000)
    for yi, value in zip(y, table["energy_pJ"]):
        ax.text(value * 1.15, yi, f"{value:g} pJ", va="center", fontsize=8)
    ax.set_xlabel("energy per operation (pJ, log scale)")
    ax.set_title("45 nm energy per operation (Horowitz, ISSCC 2014; Han et al., NIPS 2015)", fontsize=10)
    ax.grid(axis="x", which="major", alpha=0.3)
    return fig


def traffic_curve_plot(curve, width: float = 7.0, height: float = 4.0):
    """DRAM traffic (MB) vs on-chip buffer (KiB), log-log, from ``traffic_curve``: layer by layer vs fused."""
    fig, ax = new_figure(width, height)
    kib = curve["buffer_bytes"] / 1024
    ax.plot(kib, curve["layerwise_bytes"] / 1e6, "--", color=_LAYERWISE, label="layer by layer (maps go to DRAM)")
    on_chip = curve["weights_on_chip"].to_numpy()
    fused = (curve["fused_bytes"] / 1e6).to_numpy()
    ax.plot(kib, fused, "-", color=_FUSED, label="fused and tiled")
    ax.plot(kib[on_chip], fused[on_chip], "o", color=_FUSED, ms=4, label="fused, weights kept on chip")
    ax.plot(kib[~on_chip], fused[~on_chip], "o", mfc="white", color=_FUSED, ms=4,
            label="fused, weights streamed per tile")
    no_fit = ~curve["fits"].to_numpy()
    if no_fit.any():
        # the band reaches the first buffer where a tile fits, so it meets the first plotted plan (no gap)
        end = kib[~no_fit].min() if (~no_fit).any() else kib.max()
        ax.axvspan(kib.min(), end, color="#eeeeee", zorder=0, label="no tile fits")
    weight_bytes = curve.attrs.get("weight_bytes")
    if weight_bytes:
        ax.axvline(weight_bytes / 1024, color="#9a6700", lw=1, ls=":")
        ax.text(weight_bytes / 1024, 0.02, " all weights", color="#9a6700", fontsize=8,
                transform=ax.get_xaxis_transform(), va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter
    plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")   # 1,000 and 10,000, not 10^4
    ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)
    ax.set_xlabel("on-chip buffer (KiB, log scale)")
    ax.set_ylabel("DRAM traffic per image (MB, log scale)")
    layers = curve.attrs.get("layers", [])
    if layers:
        ax.set_title(f"{curve.attrs.get('network', '')}: {layers[0]} ... {layers[-1]} "
                     f"({len(layers)} layers, {curve.attrs.get('bytes_per_element', 0):g} B per element)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(which="major", alpha=0.3)
    return fig


def fusion_comparison_plot(table, width: float = 7.5, height: float = 3.2):
    """Two panels from ``fusion_comparison``: DRAM traffic by part (MB) and energy (mJ), layer by layer vs fused."""
    fig, (left, right) = new_figure(width, height, ncols=2)
    parts = [("input", "#8c959f"), ("intermediate maps", _MEMORY), ("weights", "#9a6700"), ("output", "#57606a")]
    y = np.arange(len(table))
    start = np.zeros(len(table))
    for part, colour in parts:
        values = (table[part] / 1e6).fillna(0).to_numpy()
        left.barh(y, values, left=start, color=colour, label=part)
        start += values
    left.set_yticks(y, table.index)
    left.invert_yaxis()
    left.set_xlabel("DRAM traffic per image (MB)")
    left.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    no_fit = table["total_bytes"].isna().to_numpy()   # a schedule with no tile: its message, not a "0.0" bar
    for yi, total, skip in zip(y, start, no_fit):
        if not skip:
            left.text(total, yi, f" {total:,.1f}", va="center", fontsize=8)
    left.set_xlim(0, max(start.max(), 1e-9) * 1.25)
    start = np.zeros(len(table))
    for part, colour, label in [("compute_J", _COMPUTE, "MACs"), ("dram_J", _MEMORY, "DRAM")]:
        values = (table[part] * 1e3).fillna(0).to_numpy()
        right.barh(y, values, left=start, color=colour, label=label)
        start += values
    right.set_yticks(y, [""] * len(y))
    right.invert_yaxis()
    right.set_xlabel("energy per image (mJ, 45 nm)")
    right.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    for yi, total, skip in zip(y, start, no_fit):
        if not skip:
            right.text(total, yi, f" {total:,.2f}", va="center", fontsize=8)
    right.set_xlim(0, max(start.max(), 1e-9) * 1.25)
    if table["total_bytes"].isna().any():
        for axis in (left, right):
            axis.text(0.02, 1, "fused: no tile fits", transform=axis.get_yaxis_transform(), va="center",
                      fontsize=8, color=_MEMORY)
    return fig


def fc_batch_plot(table, width: float = 6.5, height: float = 3.6):
    """Attainable ops/s of an FC layer vs batch size, from ``fc_batch_table``: a weight-stationary array needs batch."""
    fig, ax = new_figure(width, height)
    peak = table.attrs["peak_flops"]
    ax.plot(table["batch"], table["attainable"] / 1e12, "o-", color=_COMPUTE, label="attainable (roofline)")
    ax.axhline(peak / 1e12, color=_LAYERWISE, ls="--", lw=1, label=f"peak {peak / 1e12:g} TOPS")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size (inputs sharing each weight load)")
    ax.set_ylabel("attainable TOPS (log scale)")
    ax.set_title(f"An FC layer on {table.attrs['device']}: int8 weights from "
                 f"{table.attrs['mem_bandwidth'] / 1e9:g} GB/s memory", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(which="major", alpha=0.3)
    return fig
