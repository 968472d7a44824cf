"""Figures of notebooks 04 and 05: bandwidth pressure per layer, the memory wall, the roofline.

Each function reads a table that ``course_lib`` computed (``cl.roofline``,
``cl.layer_points``, ``cl.memory_wall``, ``cl.kernel_costs``) and returns a Figure.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.collections import PolyCollection

from ..devices import attainable_flops, get_device, ridge_point
from ._base import new_figure

__all__ = ["bandwidth_pressure_plot", "memory_wall_plot", "roofline_plot"]

_STREAMS = (("input_GBps", "read input", "#4c72b0"), ("weight_GBps", "read weights", "#dd8452"),
            ("output_GBps", "write output", "#55a868"))
_LINE_STYLES = ("-", "--", ":", "-.")


def bandwidth_pressure_plot(table, memories=(), *, title=None, width=8.0, height=4.2):
    """Per layer, the GB/s each stream needs to keep up with compute (log scale), their total (black tick:
    what memory must deliver, to compare with the lines), and the device's bandwidth as a line.

    ``table`` is ``cl.roofline(...)``; rows without FLOPs are left out (they never keep
    compute busy). ``memories`` adds more horizontal lines: catalog names or Devices.
    """
    rows = table[table["flops"] > 0]
    fig, ax = new_figure(width, height)
    x = np.arange(len(rows))
    lines = [(f"{table.attrs['device']}: {table.attrs['mem_bandwidth'] / 1e9:,.0f} GB/s", table.attrs["mem_bandwidth"])]
    lines += [(f"{d.name}: {d.mem_bandwidth / 1e9:,.1f} GB/s", d.mem_bandwidth) for d in map(get_device, memories)]
    needs = rows[[c for c, _, _ in _STREAMS]].to_numpy(dtype=float)
    top = max(float(needs.max()), max(b for _, b in lines) / 1e9)
    bottom = min(float(needs.min()), min(b for _, b in lines) / 1e9) / 2
    ax.set_yscale("log")
    # One polygon collection per stream, not one Rectangle per bar: the same picture, half the build time.
    bar, handles = 0.27, []
    for i, (column, label, colour) in enumerate(_STREAMS):
        left = x + (i - 1.5) * bar
        handles.append(PolyCollection(
            [((l, bottom), (l, v), (l + bar, v), (l + bar, bottom)) for l, v in zip(left, needs[:, i])],
            facecolors=colour, edgecolors="none", label=label))
        ax.add_collection(handles[-1])
    # What memory must deliver is the sum of the three streams: a black tick over each layer's bars.
    total = needs.sum(axis=1)
    top = max(top, float(total.max()))
    handles.append(ax.scatter(x, total, marker="_", s=500, linewidths=2.2, color="black", zorder=3,
                              label="total: input + weights + output"))
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.minorticks_off()
    ax.set_xticks(x, rows["name"])
    ax.set_ylabel("bandwidth needed to keep up (GB/s)")
    for k, (label, bandwidth) in enumerate(lines):
        handles.insert(k, ax.axhline(bandwidth / 1e9, color="#c44e52" if k == 0 else "0.35", lw=1.6 if k == 0 else 1.1,
                                     ls=_LINE_STYLES[k % len(_LINE_STYLES)], label=label))
    ax.set_title(title or f"{table.attrs.get('network', '')}, batch {table.attrs.get('batch_size', 1)}, "
                          f"{table.attrs.get('bytes_per_element', 4):g} B/element, at the peak of {table.attrs['device']}",
                 fontsize=10)
    ax.legend(handles=handles, fontsize=8, loc="upper left", ncols=2, framealpha=0.9)  # memory lines first
    ax.set_xlabel("layer (a layer keeps up only if its total, the black tick, is under the memory's line)",
                  fontsize=8.5)
    ax.grid(axis="y", which="major", alpha=0.3)
    ax.set_ylim(bottom, top * 30)  # room for the legend above the tallest bar
    return fig


def memory_wall_plot(table, *, width=9.0, height=3.8):
    """The memory wall from ``cl.memory_wall()``, like compared with like, in two panels.

    Left: growth of the fp32 peak and of memory bandwidth since the first chip (both from the
    same chips). Right: the ridge point (peak / bandwidth, FLOP per byte) of each chip, for its
    fp32 peak and for its dense 16-bit tensor-core peak (from the V100 on).
    """
    fig, (ax, right) = new_figure(width, height, ncols=2)
    for column, label, colour, marker in (("fp32_growth", "peak, fp32", "#dd8452", "o"),
                                          ("bandwidth_growth", "memory bandwidth", "#4c72b0", "^")):
        ax.plot(table["year"], table[column], marker=marker, color=colour, label=label)
    for _, row in table.iterrows():
        ax.annotate(row["chip"], (row["year"], row["bandwidth_growth"]), textcoords="offset points",
                    xytext=(0, -13), ha="center", fontsize=8, color="#4c72b0")
    ax.set_yscale("log")
    ax.minorticks_off()
    ax.set_ylim(bottom=0.5)
    ax.set_xlabel("year announced")
    ax.set_ylabel(f"growth since the {table['chip'].iloc[0]} (x)")
    ax.set_title("fp32 peak vs bandwidth (datasheet figures)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="major")

    x = np.arange(len(table))
    tensor = table["tensor16_ridge"].to_numpy(dtype=float)
    right.bar(x - 0.2, table["fp32_ridge"], width=0.4, color="#dd8452", label="fp32 peak")
    right.bar(x + 0.2, np.nan_to_num(tensor), width=0.4, color="#c44e52", label="16-bit tensor peak (dense)")
    for xi, value in zip(x, tensor):
        if math.isnan(value):
            right.text(xi + 0.2, 1.1, "none", ha="center", fontsize=7, color="0.4", rotation=90)
    right.set_yscale("log")
    right.minorticks_off()
    right.set_ylim(1, 1000)
    right.set_xticks(x, table["chip"], fontsize=8)
    right.set_ylabel("ridge point (FLOP/byte)")
    right.set_title("ridge = peak / bandwidth", fontsize=10)
    right.legend(fontsize=8, loc="upper left")
    right.grid(axis="y", alpha=0.3, which="major")
    return fig


def _plain(value):
    """3 significant digits without scientific notation: 8.22, 27.7, 412, 2,706, 1,979."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def counts_operations(precision) -> bool:
    """Whether a peak quoted for ``precision`` counts integer operations (int8: TOPS), not FLOPs."""
    return str(precision).startswith("int")


def _rate(flops, precision=None):
    """A peak in TFLOP/s or GFLOP/s; an integer peak (int8) in TOPS or GOPS: its operations are not FLOPs."""
    if counts_operations(precision):
        return f"{_plain(flops / 1e12)} TOPS" if flops >= 1e12 else f"{_plain(flops / 1e9)} GOPS"
    return f"{_plain(flops / 1e12)} TFLOP/s" if flops >= 1e12 else f"{_plain(flops / 1e9)} GFLOP/s"


def _clusters(points, on_roof, roof_gap=0.06, slope_gap=0.2):
    """Group points whose log10 intensities are within a gap of a neighbour, so their labels do not overlap.

    On the flat roof labels hang down, rotated: ``roof_gap`` decades keep them apart. On the
    slope they sit beside their point, one line of text each: neighbours closer than
    ``slope_gap`` decades share one label. ``on_roof(intensity)`` says where a point sits; a group never
    spans the ridge, so one label never names a compute-bound and a memory-bound layer together.
    """
    order = points.sort_values("intensity")
    groups, last = [], None
    for _, row in order.iterrows():
        x = math.log10(row["intensity"])
        same_side = last is not None and on_roof(row["intensity"]) == on_roof(10 ** last)
        gap = roof_gap if same_side and on_roof(row["intensity"]) else slope_gap
        if same_side and x - last < gap:
            groups[-1].append(row)
        else:
            groups.append([row])
        last = x
    return groups


def roofline_plot(devices, points=None, *, x_range=None, title=None, width=7.5, height=4.6):
    """Log-log roofline of one or more devices; ``points`` (a table with ``name`` and ``intensity``) sit on the first one's roof.

    ``devices`` is a Device, a catalog name, or a list of them. ``points`` is usually
    ``cl.layer_points(...)`` or ``cl.kernel_costs(...)``; rows with zero intensity are left out.
    Each roof is drawn with its ridge point marked.
    """
    devices = [get_device(d) for d in (devices if isinstance(devices, (list, tuple)) else [devices])]
    if points is not None:
        points = points[points["intensity"] > 0]
    ridges = [ridge_point(d) for d in devices]
    lo, hi = x_range or (
        min([0.1] + ([points["intensity"].min() / 2] if points is not None and len(points) else [])),
        max([1000.0, max(ridges) * 4] + ([points["intensity"].max() * 3] if points is not None and len(points) else [])))
    x = np.logspace(math.log10(lo), math.log10(hi), 200)
    fig, ax = new_figure(width, height)
    colours = ("#c44e52", "#4c72b0", "#55a868", "#8172b2", "#937860")
    for k, (device, ridge) in enumerate(zip(devices, ridges)):
        colour = colours[k % len(colours)]
        ax.plot(x, attainable_flops(device, x) / 1e9, color=colour, lw=2,
                label=f"{device.name} ({_rate(device.peak_flops, device.precision)}, "
                      f"{device.mem_bandwidth / 1e9:,.4g} GB/s, ridge {_plain(ridge)})")
        ax.plot([ridge], [device.peak_flops / 1e9], "o", color=colour, ms=5)
    if points is not None and len(points):
        first = devices[0]
        for group in _clusters(points, lambda v: v >= ridges[0]):
            group = sorted(group, key=lambda row: row.name)  # network order within a cluster
            xs = [row["intensity"] for row in group]
            ys = [attainable_flops(first, v) / 1e9 for v in xs]
            # beside other roofs, a point takes the colour of the roof it sits on (the first)
            ax.plot(xs, ys, "o", color=colours[0] if len(devices) > 1 else "black", ms=6, zorder=3)
            label = ", ".join(str(row["name"]) for row in group)
            x_mid = math.sqrt(min(xs) * max(xs))
            if min(ys) >= first.peak_flops / 1e9 * 0.999:  # on the flat roof: label hangs below, rotated
                ax.annotate(label, (x_mid, min(ys)), textcoords="offset points", xytext=(0, -7),
                            rotation=90, ha="center", va="top", fontsize=8)
            elif max(xs) > ridges[0] / 10:  # on the slope near the ridge: above and to the left, clear of
                # the labels that hang from the roof just right of it
                ax.annotate(label, (x_mid, max(ys)), textcoords="offset points", xytext=(-6, 4),
                            ha="right", va="bottom", fontsize=8)
            else:  # on the slope: label below and to the right, where the plot is empty
                ax.annotate(label, (x_mid, min(ys)), textcoords="offset points", xytext=(7, -4),
                            ha="left", va="top", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.minorticks_off()  # decades only: easier to read, and faster to draw
    ax.set_xlim(lo, hi)
    top = max(d.peak_flops for d in devices) / 1e9
    ax.set_ylim(top=top * 2.5)
    if all(counts_operations(d.precision) for d in devices):
        ax.set_xlabel("operational intensity (operations/byte)")
        ax.set_ylabel("attainable performance (GOP/s)")
    else:
        ax.set_xlabel("operational intensity (FLOP/byte)")
        ax.set_ylabel("attainable performance (GFLOP/s)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, which="major")
    return fig
