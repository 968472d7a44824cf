"""Figures for notebook 09 (training cost): days against the number of devices; one step's time split.

Each reads a table that ``course_lib.training`` computed; none counts on its own.
"""
from __future__ import annotations

from ._base import new_figure

__all__ = ["scaling_plot", "step_time_plot"]


def scaling_plot(table, highlight: int | None = None, width: float = 6.5, height: float = 3.6):
    """Days to train against the number of devices (from ``cl.scaling_table``): the all-reduce overlapped with
    the compute (a step takes the longer of the two) vs one after the other (their sum)."""
    fig, ax = new_figure(width, height)
    n = table["n_devices"]
    ax.plot(n, table["days"], marker="o", color="#1f77b4", label="all-reduce overlaps compute (the longer of the two)")
    ax.plot(n, table["days_serial"], marker="s", color="#d62728", linestyle="--",
            label="compute + all-reduce, one after the other")
    if highlight is not None and highlight in set(n):
        row = table[n == highlight].iloc[0]
        ax.scatter([highlight], [row["days"]], s=120, facecolors="none", edgecolors="black", zorder=4)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("number of devices (data parallel)")
    ax.set_ylabel("days to train")
    attrs = table.attrs
    ax.set_title(f"{attrs.get('device', '')}, MFU {attrs.get('mfu', 0):.0%}, all-reduce over {attrs.get('link', '')}",
                 fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def step_time_plot(steps, width: float = 6.5, height: float = 2.8):
    """One training step per row of ``steps`` (a DataFrame indexed by label, with ``compute_s`` and
    ``communication_s`` from ``cl.data_parallel_step``): two bars each, in milliseconds."""
    fig, ax = new_figure(width, height)
    labels = list(steps.index)
    y = range(len(labels))
    ax.barh([i + 0.2 for i in y], steps["compute_s"] * 1e3, height=0.4, color="#1f77b4", label="compute")
    ax.barh([i - 0.2 for i in y], steps["communication_s"] * 1e3, height=0.4, color="#d62728",
            label="ring all-reduce of the gradients")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("time of one step (ms)")
    # above the axes, so that it never hides a bar
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.grid(True, axis="x", alpha=0.3)
    return fig
