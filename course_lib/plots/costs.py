"""Figures of notebooks 02 and 03: per-layer shares, memory against batch size, does it fit.

Each function reads a table that ``course_lib`` computed (``layer_counts``, ``analyze``,
``memory_vs_batch``, ``training_memory``, ``fits``) and returns a Figure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..devices import get_device
from ._base import new_figure

__all__ = ["layer_share_plot", "memory_vs_batch_plot", "memory_breakdown_plot", "capacity_label"]

_PARTS = ("weights", "gradients", "optimizer_state", "activations")
_PART_COLOURS = {"weights": "#4c72b0", "gradients": "#dd8452", "optimizer_state": "#937860", "activations": "#55a868"}
_KIND_COLOURS = {"Conv2d": "#4c72b0", "Linear": "#dd8452"}


def _check_columns(table, columns, where):
    missing = [c for c in columns if c not in getattr(table, "columns", ())]
    if missing:
        raise ValueError(f"{where} needs a table with columns {', '.join(columns)}; missing {', '.join(missing)}")


def layer_share_plot(table, value: str = "count", unit: str = "MACs", title: str | None = None,
                     width: float = 7.0):
    """One bar per layer (conv blue, FC orange) of ``table[value]``, labelled with its share of the total.

    ``table`` is ``layer_counts(...)`` or ``analyze(...)`` (then ``value="params"`` or ``"macs"``);
    rows with 0 are left out. With more than 30 layers the bars are drawn without labels.
    """
    _check_columns(table, ["name", "kind", value], "layer_share_plot")
    rows = table[table[value] > 0]
    if rows.empty:
        raise ValueError(f"no layer has a {value} above 0")
    values = rows[value].to_numpy(dtype=float)
    shares = values / values.sum()
    colours = [_KIND_COLOURS.get(k, "#8c8c8c") for k in rows["kind"]]
    scale, word = _scale(values.max())
    many = len(rows) > 30
    fig, ax = new_figure(width, 4.2 if many else max(2.5, 0.32 * len(rows) + 1.2))
    if many:
        ax.bar(np.arange(1, len(rows) + 1), values / scale, color=colours, width=0.9)
        ax.set_xlabel(f"layer (1 to {len(rows)}, in order)")
        ax.set_ylabel(_axis_label(unit, word))
        ax.set_xlim(0, len(rows) + 1)
        ax.set_ylim(0, values.max() / scale * 1.25)  # room for the legend above the tallest bar
    else:
        y = np.arange(len(rows))[::-1]
        ax.barh(y, values / scale, color=colours)
        ax.set_yticks(y, rows["name"])
        ax.set_xlabel(_axis_label(unit, word))
        for yi, v, s in zip(y, values / scale, shares):
            ax.text(v, yi, f" {s:.1%}" if s >= 0.001 else " <0.1%", va="center", fontsize=8)
        ax.set_xlim(0, values.max() / scale * 1.18)
    kinds = [k for k in _KIND_COLOURS if k in set(rows["kind"])]
    handles = [_patch(_KIND_COLOURS[k], {"Conv2d": "conv", "Linear": "fully connected"}[k]) for k in kinds]
    others = sorted(set(rows["kind"]) - set(_KIND_COLOURS))
    if others:  # ReLU, pooling ... under a convention that counts them (ptflops)
        handles.append(_patch("#8c8c8c", "other: " + ", ".join(others)))
    ax.legend(handles=handles, loc="lower right" if not many else "upper center", ncols=1 if not many else 3,
              fontsize=8)
    ax.set_title(title or f"{unit} per layer ({_fmt(values.sum(), unit)} in all)", fontsize=10)
    return fig


def memory_vs_batch_plot(table, capacities=None, title: str | None = None):
    """Training memory against batch size (log-log), stacked by part, with device capacities as lines.

    ``table`` is ``memory_vs_batch(...)``; ``capacities`` is a list of catalog names (``cl.FIT_DEVICES``),
    a table with ``device`` and ``capacity_bytes`` columns (``fits(...)``), or ``None``.
    """
    _check_columns(table, ["batch_size", *_PARTS, "total"], "memory_vs_batch_plot")
    fig, ax = new_figure(8.0, 4.2)
    batch = table["batch_size"].to_numpy(dtype=float)
    bottom = np.zeros(len(batch))
    for part in _PARTS:
        top = bottom + table[part].to_numpy(dtype=float) / 1e9
        if (top > bottom).any():
            ax.fill_between(batch, bottom, top, color=_PART_COLOURS[part], alpha=0.8, label=part.replace("_", " "),
                            linewidth=0)
        bottom = top
    # markers: the total is computed at these batch sizes only (the lines between them are drawn, not computed)
    ax.plot(batch, table["total"] / 1e9, color="black", linewidth=1.2, marker="o", markersize=3, label="total")
    if capacities is not None and not hasattr(capacities, "columns"):     # catalog names: look their memory up
        names = list(capacities)
        capacities = pd.DataFrame({"device": names, "capacity_bytes": [get_device(n).memory_bytes for n in names]})
    if capacities is not None:
        _check_columns(capacities, ["device", "capacity_bytes"], "memory_vs_batch_plot (capacities)")
        for name, cap in zip(capacities["device"], capacities["capacity_bytes"]):
            ax.axhline(cap / 1e9, color="#cf222e", linestyle="--", linewidth=1)
            ax.text(batch[0], cap / 1e9 * 1.06, f"{gpu_label(name)}: {capacity_label(cap)}", color="#cf222e",
                    fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xticks(batch, [f"{b:g}" for b in batch], fontsize=8 if len(batch) <= 10 else 7)   # every computed batch
    ax.minorticks_off()
    ax.set_yscale("log")
    ax.set_ylim(bottom=max(1e-3, table["weights"].min() / 1e9 * 0.5))
    ax.set_xlabel("batch size (samples)")
    ax.set_ylabel("memory (GB, log scale)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    meta = table.attrs
    ax.set_title(title or f"{meta.get('network', '')}: training memory, {meta.get('dtype', '')}, "
                          f"{meta.get('optimizer', '')}", fontsize=10)
    return fig


def memory_breakdown_plot(parts: dict, fit_table=None, title: str | None = None):
    """Left: the parts of ``training_memory`` as one stacked bar (GB; MB under 1 GB). Right: the share of
    each GPU's memory it fills (green: fits, red: does not)."""
    missing = [p for p in _PARTS if p not in parts]
    if missing:
        raise ValueError(f"parts must hold {', '.join(_PARTS)}; missing {', '.join(missing)}")
    ncols = 1 if fit_table is None else 2
    fig, axes = new_figure(7.6 if ncols == 2 else 4.0, 3.0, ncols=ncols,
                           **({"gridspec_kw": {"width_ratios": [1, 1.3]}} if ncols == 2 else {}))
    ax = axes[0] if ncols == 2 else axes
    total = sum(parts[p] for p in _PARTS)
    factor, unit = (1e9, "GB") if total >= 1e9 else (1e6, "MB")  # 0.00215 GB reads better as 2.15 MB
    left = 0.0
    for part in _PARTS:
        size = parts[part] / factor
        if size > 0:
            ax.bar(0, size, width=0.6, bottom=left, color=_PART_COLOURS[part],
                   label=f"{part.replace('_', ' ')}: {size:.3g} {unit}")
        left += size
    # no axis: the legend gives each part's size and the title the total (and each tick label
    # costs ~2 ms of a widget's redraw)
    ax.set_axis_off()
    ax.set_xlim(-0.4, 2.0)
    # y given: matplotlib does not measure the tick labels to place the title (a widget redraws this)
    ax.set_title(f"needed: {left:.3g} {unit}", fontsize=10, y=1.0)
    # right of the bar (it ends at x = 0.3 of 2.4), never over it
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.31, 1.0), reverse=True, frameon=False)
    if fit_table is not None:
        _check_columns(fit_table, ["device", "used_share", "fits"], "memory_breakdown_plot (fit_table)")
        ax2 = axes[1]
        y = np.arange(len(fit_table))[::-1]
        share = fit_table["used_share"].to_numpy(dtype=float) * 100
        colours = ["#1a7f37" if f else "#cf222e" for f in fit_table["fits"]]
        ax2.barh(y, np.minimum(share, 300), color=colours)
        names = [gpu_label(d) for d in fit_table["device"]]
        ax2.set_yticks(y, [f"{d}\n{capacity_label(c)}" for d, c in zip(names, fit_table["capacity_bytes"])]
                       if "capacity_bytes" in fit_table else names)
        ax2.axvline(100, color="black", linewidth=1)
        for yi, s in zip(y, share):
            # a label starting just short of the 100% line would sit on it: start such labels after the line
            x = 100 if 85 <= s < 100 else min(s, 300)
            ax2.text(x, yi, f" {s:,.0f}%" if s >= 100 else f" {s:.2g}%", va="center", fontsize=8)
        right = max(130, min(share.max(), 300) * 1.25)
        ax2.set_xlim(0, right)
        ax2.set_xticks([0, 100] if right < 200 else [0, 100, 200, 300])
        ax2.set_xlabel("% of the GPU's memory" + (" (bars stop at 300)" if share.max() > 300 else ""))
        ax2.set_title("does it fit? (over 100% = does not fit)", fontsize=10, y=1.0)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def capacity_label(capacity_bytes: float) -> str:
    """A GPU's memory as it is sold and as bytes: ``'3 GiB = 3.22 GB'`` (GPU "GB" are binary GiB; the
    course's GB are 10^9 bytes, so the two numbers differ by 7.4%)."""
    gib = capacity_bytes / 2 ** 30
    if gib == round(gib):
        return f"{gib:g} GiB = {capacity_bytes / 1e9:.3g} GB"
    return f"{capacity_bytes / 1e9:.3g} GB"


def gpu_label(device_name: str) -> str:
    """A catalog name as a memory plot shows it: the precision suffix (" fp32") says nothing about memory."""
    return device_name.removesuffix(" fp32")


def _patch(colour, label):
    from matplotlib.patches import Patch
    return Patch(color=colour, label=label)


_SCALES = ((1e9, "billions", "G"), (1e6, "millions", "M"), (1e3, "thousands", "k"))


def _scale(value):
    """(factor, word) to show ``value`` as a few digits: 724,406,816 -> (1e6, "millions")."""
    for factor, word, _ in _SCALES:
        if value >= factor:
            return factor, word
    return 1.0, ""


def _axis_label(unit, word):
    return f"{unit} ({word})" if word else unit


def _fmt(value, unit):
    for factor, _, prefix in _SCALES:
        if value >= factor:
            return f"{value / factor:,.4g} {prefix} {unit}"
    return f"{value:,.4g} {unit}"
