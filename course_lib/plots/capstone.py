"""Figures for notebook 10 (your model): every compute layer of a network on one device's roofline.

The plot reads ``cl.layer_points`` (lesson 05's simple model: each layer reads its input and weights
once and writes its output once); it never counts on its own. A network has dozens of layers, so
points are not labelled one by one: colour says memory- or compute-bound, size the layer's share of
the MACs, and only the layers with the most MACs are named.
"""
from __future__ import annotations

import math

import numpy as np

from ..devices import attainable_flops, get_device, ridge_point
from ._base import new_figure

__all__ = ["model_roofline_plot"]

_COLOURS = {"memory": "#c44e52", "compute": "#4c72b0"}


def model_roofline_plot(points, device, *, named: int = 3, title: str | None = None, width: float = 7.0,
                        height: float = 4.2):
    """Log-log roofline of ``device`` with each row of ``points`` (``cl.layer_points``) on it.

    Marker area is proportional to the layer's share of the network's MACs; the ``named`` layers
    with the most MACs are labelled.
    """
    device = get_device(device)
    points = points[points["intensity"] > 0]
    ridge = ridge_point(device)
    lo = min(0.1, points["intensity"].min() / 2) if len(points) else 0.1
    hi = max(1000.0, ridge * 4, points["intensity"].max() * 3 if len(points) else 0)
    x = np.logspace(math.log10(lo), math.log10(hi), 200)
    fig, ax = new_figure(width, height)
    ax.plot(x, attainable_flops(device, x) / 1e9, color="black", lw=1.8,
            label=f"{device.name}: peak {device.peak_flops / 1e12:.3g} TFLOP/s, "
                  f"{device.mem_bandwidth / 1e9:,.4g} GB/s, ridge {ridge:.3g} FLOP/byte")
    ax.axvline(ridge, color="grey", lw=0.8, ls=":")
    if len(points):
        sizes = 10 + 600 * points["macs"] / points["macs"].sum()
        for bound, colour in _COLOURS.items():
            rows = points["bound"] == bound
            if rows.any():
                ax.scatter(points.loc[rows, "intensity"], points.loc[rows, "attainable_flops"] / 1e9,
                           s=sizes[rows], color=colour, alpha=0.6, edgecolors="white", linewidths=0.5,
                           label=f"{bound}-bound layers ({int(rows.sum())})", zorder=3)
        # named layers: labels stacked below the roof, in order of intensity, each with a line to its point
        top = points.nlargest(named, "macs").sort_values("intensity")
        for k, (_, row) in enumerate(top.iterrows()):
            ax.annotate(row["name"], (row["intensity"], row["attainable_flops"] / 1e9), textcoords="offset points",
                        xytext=(0, -16 - 11 * k), ha="center", va="top", fontsize=7,
                        arrowprops=dict(arrowstyle="-", color="grey", lw=0.6))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.minorticks_off()
    ax.set_xlim(lo, hi)
    ax.set_ylim(top=device.peak_flops / 1e9 * 3)
    ax.set_xlabel("operational intensity (FLOP/byte)")
    ax.set_ylabel("attainable performance (GFLOP/s)")
    ax.set_title(title or f"{points.attrs.get('network', '')} on {device.name}", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, which="major")
    return fig
