"""Widgets of notebooks 02 and 03: the memory of a model on four GPUs, and its MACs layer by layer.

Each widget is ``build_app(view, controls)``; the views are plain functions that tests call.
"""
from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets

from .. import zoo
from ..analysis import analyze
from ..counting import TOOL_CONVENTIONS, layer_counts, tool_total
from ..memory import DTYPE_BYTES, FIT_DEVICES, OPTIMIZER_STATES, fits, training_memory
from ..plots.costs import layer_share_plot, memory_breakdown_plot
from ._base import build_app

__all__ = ["memory_view", "memory_explorer", "macs_view", "macs_explorer"]

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


@lru_cache(maxsize=None)
def _model(name: str):
    if name not in zoo.MODELS:
        raise ValueError(f"model must be one of {', '.join(zoo.MODELS)}; got {name!r}")
    return zoo.MODELS[name]()


def memory_view(model: str = "alexnet_original", dtype: str = "fp32", batch_size: int = 32,
                optimizer: str = "adam"):
    """Markdown summary, the breakdown-and-fit figure, and the fit table for one configuration."""
    network = _model(model)
    parts = training_memory(network, batch_size, dtype, optimizer)
    table = fits(network, batch_size, dtype, optimizer)
    fig = memory_breakdown_plot(parts, table)
    fitting = [d for d, f in zip(table["device"], table["fits"]) if f]
    summary = (f"**{network.name}**, {dtype}, batch {batch_size}, {optimizer}: "
               f"{parts['total'] / 1e9:,.3f} GB in all "
               f"(weights {parts['weights'] / 1e9:,.3f} GB, activations {parts['activations'] / 1e9:,.3f} GB). "
               + (f"Fits on: {', '.join(fitting)}." if fitting else "Fits on none of the four GPUs."))
    shown = table[["device", "fits", "max_batch_size"]].assign(
        capacity_GB=table["capacity_bytes"] / 1e9, needed_GB=table["needed_bytes"] / 1e9)
    return summary, fig, shown


def memory_explorer():
    """Model, dtype, batch size and optimizer -> the memory breakdown and whether it fits each GPU."""
    controls = {
        "model": widgets.Dropdown(options=list(zoo.MODELS), value="alexnet_original", description="model"),
        "dtype": widgets.Dropdown(options=list(DTYPE_BYTES), value="fp32", description="dtype"),
        "batch_size": widgets.SelectionSlider(options=BATCH_SIZES, value=32, description="batch"),
        "optimizer": widgets.Dropdown(options=list(OPTIMIZER_STATES), value="adam", description="optimizer"),
    }
    return build_app(memory_view, controls, title="How much memory, and does it fit?")


def macs_view(model: str = "alexnet_original", tool: str = "thop"):
    """The per-layer bar chart under ``tool``'s convention and a Markdown line with the total."""
    network = _model(model)
    table = layer_counts(network, tool)
    unit = "FLOPs" if tool.startswith("FLOPs") else "ops" if tool == "ptflops" else "MACs"
    fig = layer_share_plot(table, unit=unit, width=6.5)
    conv_share = table.loc[table["kind"] == "Conv2d", "count"].sum() / table["count"].sum()
    params = int(analyze(network)["params"].sum())
    summary = (f"**{network.name}** by {tool}'s convention: **{tool_total(network, tool):,}** "
               f"({conv_share:.1%} in conv layers; {params:,} parameters).")
    return summary, fig


def macs_explorer():
    """Pick a zoo model and a counting convention -> per-layer bars and the total."""
    controls = {
        "model": widgets.Dropdown(options=list(zoo.MODELS), value="alexnet_original", description="model"),
        "tool": widgets.Dropdown(options=list(TOOL_CONVENTIONS), value="thop", description="convention"),
    }
    return build_app(macs_view, controls, title="Operations per layer")
