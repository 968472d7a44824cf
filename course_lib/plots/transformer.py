"""Figures for notebook 08 (transformers): MACs per token against context, memory to serve, the roofline.

Each reads a table that ``course_lib.transformer`` computed; none counts on its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..devices import attainable_flops, get_device, ridge_point
from ._base import new_figure
from .costs import capacity_label

__all__ = ["macs_context_plot", "kv_memory_plot", "transformer_roofline_plot"]

_PHASE_COLOURS = {"prefill": "#1f77b4", "decode": "#d62728"}


def macs_context_plot(table, width: float = 7.0, height: float = 3.8):
    """Per-token forward MACs against context (from ``cl.macs_vs_context``): matrices vs attention."""
    fig, ax = new_figure(width, height)
    x = table["context"]
    ax.plot(x, table["matrix_macs"] / 1e9, label="matrices (~ the weights: the 2N rule)", color="#1f77b4")
    ax.plot(x, table["attention_macs"] / 1e9, label="attention scores + values", color="#d62728")
    ax.plot(x, table["macs"] / 1e9, label="total", color="black", linestyle="--")
    crossover = table.attrs.get("crossover")
    if crossover is not None and x.min() <= crossover <= x.max():
        ax.axvline(crossover, color="grey", linestyle=":", linewidth=1)
        ax.annotate(f"attention = matrices\nat {crossover:,.0f} tokens", (crossover, ax.get_ylim()[1] * 0.9),
                    xytext=(-6, 0), textcoords="offset points", ha="right", va="top", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("context: keys each token attends to (tokens, log scale)")
    ax.set_ylabel("forward MACs per token (G)")
    ax.set_title(f"{table.attrs.get('model', '')}: where '2N FLOPs per token' breaks", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return fig


def kv_memory_plot(table, device=None, width: float = 7.0, height: float = 3.8):
    """Weights + KV cache (GB, 10^9 B) against batch size (from ``cl.inference_memory``), with the device's memory.

    Each bar is labelled with its total and its KV-cache part (GB), so that the short bars read as well as the
    tall ones. The memory line is the catalog's ``memory_bytes`` (GPU capacities are sold in binary units: the H200's
    "141GB" are 141 GiB = 151.4 GB), labelled both ways by ``capacity_label``.
    """
    fig, ax = new_figure(width, height)
    labels = [str(b) for b in table["batch_size"]]
    weights, kv = table["weight_bytes"] / 1e9, table["kv_bytes"] / 1e9
    ax.bar(labels, weights, color="#7f7f7f", label="weights")
    ax.bar(labels, kv, bottom=weights, color="#ff7f0e",
           label=f"KV cache ({table.attrs.get('context', '?')} tokens each)")
    for label, w, k in zip(labels, weights, kv):
        ax.annotate(f"{w + k:.1f}\n(KV {k:.1f})", (label, w + k), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7)
    if device is not None:
        dev = get_device(device)
        if dev.memory_bytes:
            ax.axhline(dev.memory_bytes / 1e9, color="#d62728", linestyle="--", linewidth=1.2)
            ax.text(-0.4, dev.memory_bytes / 1e9, f"{dev.name} memory: {capacity_label(dev.memory_bytes)}",
                    va="bottom", ha="left", color="#d62728", fontsize=8)
            ax.set_ylim(0, max(float(table["total_bytes"].max()) / 1e9, dev.memory_bytes / 1e9) * 1.35)
    ax.set_xlabel("batch size (sequences served at once)")
    ax.set_ylabel("memory (GB): total above each bar")
    ax.set_title(f"{table.attrs.get('model', '')} in {table.attrs.get('dtype', '')}: memory to serve", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    return fig


def transformer_roofline_plot(table, device=None, width: float = 7.0, height: float = 4.2, annotate: bool = True):
    """Inference steps (rows of ``cl.inference_sweep``) on the roofline of ``device`` (default: the table's).

    A step whose weights and KV cache do not fit in the device's memory (``fits`` False) is drawn
    hollow and labelled "does not fit": the roofline can place it, the chip cannot run it.
    """
    dev = get_device(device if device is not None else table["device"].iloc[0])
    table = table.reset_index(drop=True)   # concatenated sweeps repeat their row labels
    fig, ax = new_figure(width, height)
    lo = min(0.1, float(table["intensity"].min()) / 3)
    hi = max(1e5, float(table["intensity"].max()) * 3)
    x = np.logspace(np.log10(lo), np.log10(hi), 200)
    roof = attainable_flops(dev, x)
    ax.plot(x, roof / 1e12, color="black", linewidth=1.5)
    ridge = ridge_point(dev)
    ax.axvline(ridge, color="grey", linestyle=":", linewidth=1)
    # low right of the ridge line, below the roof: no point is ever drawn there (points sit on the roof)
    ax.text(ridge * 1.1, dev.peak_flops / 1e12 * 0.002, f"ridge {ridge:.0f} FLOP/B", fontsize=8, color="grey")
    # high in the empty upper left, clear of the labels of decode points that sit on the slanted roof
    ax.text(lo * 1.3, dev.peak_flops / 1e12 / 4, "memory bound\n(left of the ridge)", fontsize=8, color="grey",
            va="top")
    ax.text(hi / 1.5, dev.peak_flops / 1e12 / 6, "compute bound", fontsize=8, color="grey", ha="right")
    too_big = table["fits"].eq(False) if "fits" in table else pd.Series(False, index=table.index)
    for phase, rows in table.groupby("phase", sort=False):
        colour = _PHASE_COLOURS.get(phase, "#2ca02c")
        fit_rows, big_rows = rows[~too_big[rows.index]], rows[too_big[rows.index]]
        if len(fit_rows):
            ax.scatter(fit_rows["intensity"], fit_rows["flops"] / fit_rows["time_s"] / 1e12, s=36, zorder=3,
                       color=colour, label=phase)
        if len(big_rows):
            ax.scatter(big_rows["intensity"], big_rows["flops"] / big_rows["time_s"] / 1e12, s=36, zorder=3,
                       facecolors="none", edgecolors=colour, label=f"{phase}: does not fit in memory")
        if annotate:
            for i, (_, row) in enumerate(rows.sort_values("intensity").iterrows()):
                below = i % 2 == 0  # alternate below-right / above-left so that close points stay readable
                below = below and row["intensity"] < hi / 30   # near the right edge: label to the left
                # keep the phase in the label and lift prefill labels: near the ridge a prefill and a decode
                # point of the same T can sit side by side ("prefill T=128" vs "decode T=128 b=256")
                text = row["label"] + (" (does not fit)" if too_big[row.name] else "")
                lift = 6 if phase == "prefill" else 0
                ax.annotate(text, (row["intensity"], row["flops"] / row["time_s"] / 1e12),
                            xytext=(5, -10 + lift) if below else (-5, 5 + lift), ha="left" if below else "right",
                            textcoords="offset points", fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))   # not 10^4
    ax.minorticks_off()  # fewer tick labels to lay out: the widget redraws faster
    ax.set_ylim(dev.mem_bandwidth * lo / 1e12 / 2, dev.peak_flops / 1e12 * 2.5)
    ax.set_xlabel("operational intensity (FLOP / byte moved); labels: T context tokens, b batch")
    ax.set_ylabel("attainable TFLOP/s")
    ax.set_title(f"{table['model'].iloc[0]} on {dev.name}: prefill vs decode", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="major", alpha=0.3)
    return fig
