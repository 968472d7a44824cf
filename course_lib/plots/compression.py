"""Figures of notebook 06: reconstruction error against rank, error against saving, and a compression summary.

Each function reads a table that ``course_lib.compression`` computed and draws it.
"""
from __future__ import annotations

import numpy as np

from ._base import new_figure

__all__ = ["svd_error_plot", "tradeoff_plot", "compression_summary_plot", "quantization_levels_plot"]

_COLOURS = {"low rank (SVD)": "#1f77b4", "pruning": "#d62728", "quantization": "#2ca02c",
            "binary / ternary": "#9467bd"}


def _times_axis(ax):
    """A log2 x axis labelled 1x, 2x, 4x ..."""
    from matplotlib.ticker import FuncFormatter
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}x"))


def _check_columns(table, columns, where):
    missing = [c for c in columns if c not in getattr(table, "columns", ())]
    if missing:
        raise ValueError(f"{where} needs a table with columns {columns}; missing {missing}")


def svd_error_plot(curves: dict, width: float = 6.5, height: float = 3.8):
    """Relative error of the truncated SVD against rank, one line per matrix.

    ``curves`` maps a label to a table of ``svd_error_curve`` (columns rank, kept, rel_error).
    """
    if not isinstance(curves, dict) or not curves:
        raise TypeError("curves must be a non-empty dict: label -> svd_error_curve(W) table")
    fig, ax = new_figure(width, height)
    for label, table in curves.items():
        _check_columns(table, ["rank", "rel_error"], "svd_error_plot")
        ax.plot(table["rank"], table["rel_error"], marker="o", label=label)
    from matplotlib.ticker import FuncFormatter
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.set_xlabel("rank r kept (log scale)")
    ax.set_ylabel("relative error ||W - W_r|| / ||W||")
    ax.set_ylim(0, 1.05)
    ax.grid(True, alpha=0.3)
    ax.legend()
    ax.set_title("Truncated SVD: error against rank")
    return fig


def tradeoff_plot(tables: dict, width: float = 10.0, height: float = 4.0):
    """Relative error against compression factor (fp32 bytes / compressed bytes), one panel per matrix.

    ``tables`` maps a label (the matrix) to a ``tradeoff_table``; one curve per technique,
    each point labelled with its setting. Down and to the right is better.
    """
    if not isinstance(tables, dict) or not tables:
        raise TypeError("tables must be a non-empty dict: label -> tradeoff_table(W)")
    fig, axes = new_figure(width, height, ncols=len(tables), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (label, table) in zip(axes, tables.items()):
        _check_columns(table, ["technique", "setting", "ratio", "rel_error"], "tradeoff_plot")
        for technique, rows in table.groupby("technique", sort=False):
            ax.plot(rows["ratio"], rows["rel_error"], marker="o", color=_COLOURS.get(technique), label=technique)
            for row in rows.itertuples():
                short = row.setting.replace(" zeros", "").replace("rank ", "r").replace(" bits", "b")
                ax.annotate(short, (row.ratio, row.rel_error), textcoords="offset points", xytext=(3, 3),
                            fontsize=7, color=_COLOURS.get(technique))
        _times_axis(ax)
        ax.set_xlabel("compression factor (fp32 bytes / bytes stored)")
        ax.set_title(label)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("relative error ||W - W_hat|| / ||W||")
    axes[0].set_ylim(0, 1.05)
    axes[0].legend(loc="upper left", fontsize=8)
    return fig


def compression_summary_plot(summary, width: float = 6.0, height: float = 2.8):
    """Bars of ``original / compressed`` for each row of a ``compression_summary`` (log scale; >1 is a saving)."""
    _check_columns(summary, ["ratio"], "compression_summary_plot")
    fig, ax = new_figure(width, height)
    ratios = summary["ratio"].astype(float)
    labels = list(summary.index)
    colours = ["#2ca02c" if r > 1.0001 else ("#d62728" if r < 0.9999 else "#999999") for r in ratios]
    ax.barh(labels, ratios, color=colours)
    ax.axvline(1, color="black", lw=1)
    _times_axis(ax)
    ax.invert_yaxis()
    for y, r in enumerate(ratios):
        ax.annotate(f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x", (r, y), textcoords="offset points", xytext=(4 if r >= 1 else -4, 0),
                    ha="left" if r >= 1 else "right", va="center", fontsize=8)
    low, high = min(ratios.min(), 0.5), max(ratios.max(), 2)
    ax.set_xlim(low / 1.6, high * 2.5)
    first, last = int(np.floor(np.log2(low / 1.6))), int(np.ceil(np.log2(high * 2.5)))
    stride = max(1, -(-(last - first) // 7))   # at most ~7 labels, so that they never overlap; 1x always one
    ax.set_xticks([2.0 ** k for k in range(first, last + 1) if k % stride == 0])
    ax.set_xlabel("original / compressed (right of 1x: smaller or faster)")
    ax.set_title(f"What compression changes on {summary.attrs.get('device', 'the device')}", fontsize=10)
    return fig


def quantization_levels_plot(W, W_hat, title: str = "", width: float = 6.5, height: float = 3.0):
    """A histogram of the weights W and the levels they were rounded to (the distinct values of W_hat)."""
    W, W_hat = np.asarray(W, dtype=float).ravel(), np.asarray(W_hat, dtype=float).ravel()
    if W.shape != W_hat.shape:
        raise ValueError(f"W_hat must have as many entries as W ({W.size}), got {W_hat.size}")
    fig, ax = new_figure(width, height)
    ax.hist(W, bins=120, color="#bbbbbb", label="weights W")
    levels = np.unique(W_hat)
    for level in levels:
        ax.axvline(level, color="#2ca02c", lw=1, alpha=0.8)
    ax.plot([], [], color="#2ca02c", label=f"{len(levels)} levels of W_hat")
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig
