"""Widgets of notebooks 02 and 03: the memory of a model on four GPUs, and its MACs layer by layer.

Each widget is ``build_app(view, controls)``; the views are plain functions that tests call.
"""
from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets
import pandas as pd

from .. import zoo
from ..analysis import analyze
from ..counting import TOOL_CONVENTIONS, layer_counts, tool_parts, tool_total
from ..memory import ACTIVATION_DTYPE, DTYPE_BYTES, FIT_DEVICES, OPTIMIZER_STATES, TRAINING_DTYPES, fits, training_memory
from ..plots.costs import capacity_label, gpu_label, layer_share_plot, memory_breakdown_plot
from ..units import format_bytes
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
    fitting = [gpu_label(d) for d, f in zip(table["device"], table["fits"]) if f]
    breakdown = " + ".join(f"{name.replace('_', ' ')} {format_bytes(size)}"
                           for name, size in parts.items() if name != "total" and size > 0)
    summary = (f"**{network.name}**, {dtype}, batch {batch_size}, {optimizer}: "
               f"{format_bytes(parts['total'])} in all "
               f"({breakdown}). "
               + (f"Fits on: {', '.join(fitting)}." if fitting else "Fits on none of the four GPUs.")
               + (" Mixed precision: the optimizer state holds the fp32 master copy of the weights and fp32 "
                  "optimizer values (4 bytes each), so only the weights, gradients and activations are 2 bytes."
                  if dtype in ("fp16", "bf16") and optimizer != "inference" else "")
               + (f" Inference: the activations are the largest set alive at one time (a layer's input and output), "
                  f"stored as {ACTIVATION_DTYPE[dtype]}"
                  + (" (int4 and 1-bit schemes quantize the weights only)" if ACTIVATION_DTYPE[dtype] != dtype else "")
                  + "." if optimizer == "inference" else ""))
    shown = pd.DataFrame({"GPU": [gpu_label(d) for d in table["device"]],
                          "memory (sold as GiB)": [capacity_label(c) for c in table["capacity_bytes"]],
                          "needed (GB)": [f"{n / 1e9:,.3f}" for n in table["needed_bytes"]],
                          "fits": ["yes" if f else "no" for f in table["fits"]],
                          "largest batch that fits": [f"{b:,}" for b in table["max_batch_size"]]})
    return summary, fig, shown


def _dtype_options(optimizer: str) -> list[str]:
    """Training is offered in fp32 and fp16/bf16 mixed precision only; int8, int4 and 1-bit are for inference."""
    return list(DTYPE_BYTES) if optimizer == "inference" else list(TRAINING_DTYPES)


def memory_explorer():
    """Model, dtype, batch size and optimizer -> the memory breakdown and whether it fits each GPU.

    The dtype menu follows the optimizer (an observer): int8, int4 and 1-bit appear for inference only.
    """
    optimizer = widgets.Dropdown(options=list(OPTIMIZER_STATES), value="adam", description="optimizer")
    dtype = widgets.Dropdown(options=_dtype_options("adam"), value="fp32", description="dtype")

    def follow_optimizer(change):
        options = _dtype_options(change["new"])
        keep = dtype.value if dtype.value in options else "fp32"
        with dtype.hold_trait_notifications():
            dtype.options = options
            dtype.value = keep

    optimizer.observe(follow_optimizer, names="value")
    controls = {
        "model": widgets.Dropdown(options=list(zoo.MODELS), value="alexnet_original", description="model"),
        "dtype": dtype,
        "batch_size": widgets.SelectionSlider(options=BATCH_SIZES, value=32, description="batch"),
        "optimizer": optimizer,
    }
    return build_app(memory_view, controls, title="How much memory, and does it fit?")


@lru_cache(maxsize=None)
def _counts(model: str, tool: str):
    """The per-layer counts of one (model, convention): the learner often comes back to one."""
    return layer_counts(_model(model), tool)


@lru_cache(maxsize=None)
def _model_facts(model: str):
    """(parameters, the parts each tool adds up) of a zoo model."""
    network = _model(model)
    parts = {tool: [p for p in tool_parts(network, tool) if p != "total"] for tool in TOOL_CONVENTIONS}
    return int(analyze(network)["params"].sum()), parts


def _convention_words(tool: str, parts: list) -> str:
    if tool.startswith("FLOPs"):
        return "in true FLOPs (2 x MACs)"
    return f"as {tool} counts it ({' + '.join(p.replace('_', ' ') for p in parts)})"


def macs_view(model: str = "alexnet_original", tool: str = "thop"):
    """The per-layer bar chart under ``tool``'s convention and a Markdown line with the total."""
    network = _model(model)
    table = _counts(model, tool)
    params, parts = _model_facts(model)
    # "MACs" only when the tool adds up MACs alone on this model: thop's ResNet-50 total includes BatchNorm
    unit = "FLOPs" if tool.startswith("FLOPs") else "MACs" if parts[tool] == ["macs"] else "ops"
    fig = layer_share_plot(table, unit=unit, width=6.5)
    conv_share = table.loc[table["kind"] == "Conv2d", "count"].sum() / table["count"].sum()
    # the total follows the real tool's own per-layer rules (course_lib/tool_rules.py), BatchNorm and all
    summary = (f"**{network.name}** {_convention_words(tool, parts[tool])}: **{tool_total(network, tool):,}** {unit} "
               f"({'over 99.9%' if conv_share > 0.999 else f'{conv_share:.1%}'} in conv layers; {params:,} parameters).")
    return summary, fig


def macs_explorer():
    """Pick a zoo model and a counting convention -> per-layer bars and the total."""
    controls = {
        "model": widgets.Dropdown(options=list(zoo.MODELS), value="alexnet_original", description="model"),
        "tool": widgets.Dropdown(options=list(TOOL_CONVENTIONS), value="thop", description="convention"),
    }
    return build_app(macs_view, controls, title="Operations per layer")
