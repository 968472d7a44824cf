"""Widget of notebook 09: what a training run costs (days, GPU-hours, kWh) and what bounds a step.

``training_view`` is the plain function the widget calls; tests call it directly.
"""
from __future__ import annotations

import ipywidgets as widgets

from ..training import (TRAINING_MODELS, board_power, interconnects, scaling_table, training_device, training_model,
                        training_run, zero_memory)
from ._base import build_app

__all__ = ["training_view", "training_explorer", "TRAINING_DATA_SIZES", "TRAINING_DEVICE_COUNTS",
           "TRAINING_BATCHES", "training_devices"]

# Examples seen in all (images x epochs, or tokens): 10^6 ... 10^13 at 1, 2, 3 and 5 per decade, so that
# AlexNet's ~1e8 images, GPT-3's 3e11 tokens and Llama 2's 2e12 tokens are on the slider.
TRAINING_DATA_SIZES = tuple(float(f"{m}e{e}") for e in range(6, 14) for m in (1, 2, 3, 5))[:-3]
TRAINING_DEVICE_COUNTS = tuple(2 ** k for k in range(0, 13))       # 1 ... 4,096
TRAINING_BATCHES = tuple(2 ** k for k in range(0, 13))             # 1 ... 4,096 examples per device per step
# Gradients travel in the precision the device computes in (fp32: 4 bytes; bf16, fp16, fp8 training: 2).
_GRADIENT_BYTES = {"fp32": 4, "tf32": 4, "fp64": 8}


def training_devices() -> list[str]:
    """Devices with a compute peak and a sourced board power (the ones energy can be computed for)."""
    return [name for name in board_power()["name"] if training_device(name).peak_flops is not None]


def _days(days: float) -> str:
    if days >= 365:
        return f"{days / 365:,.1f} years"
    if days >= 1:
        return f"{days:,.1f} days"
    return f"{days * 24:,.1f} hours" if days * 24 >= 1 else f"{days * 1440:,.1f} minutes"


def _seconds(s: float) -> str:
    return f"{s:,.2f} s" if s >= 1 else f"{s * 1e3:,.1f} ms"


def training_view(model="alexnet_original", examples=1e8, device="GTX 580", n_devices=2, mfu=0.3,
                  link="PCIe 3.0 x16", batch_per_device=64):
    """Markdown summary of the run and the days-vs-devices plot."""
    from ..plots.training import scaling_plot

    spec = training_model(model)
    dev = training_device(device)
    grad_bytes = _GRADIENT_BYTES.get(dev.precision, 2)
    run = training_run(spec["flops_per_example"], examples, spec["params"], device, n_devices, mfu, link,
                       batch_per_device, grad_bytes)
    states = zero_memory(spec["params"])["total"]
    kwh = "no sourced board power" if run["kwh"] is None else f"{run['kwh']:,.0f} kWh"
    fit = ""
    if dev.memory_bytes and states > dev.memory_bytes:
        fit = (f"\n\n**Does not fit:** mixed-precision Adam keeps 16 bytes per parameter = {states / 1e9:,.1f} GB "
               f"of model states per device, more than the {dev.memory_bytes / 2 ** 30:,.0f} GiB "
               f"({dev.memory_bytes / 1e9:,.1f} GB) each {dev.name} holds: "
               f"shard them (ZeRO) or the model itself.")
    lines = [
        f"**{model}**: {spec['params']:,} parameters, {spec['flops_per_example']:.3g} training FLOPs per "
        f"{spec['example']}; {examples:.3g} {spec['example']}s = **{run['total_flops']:.3g} FLOPs**.",
        "",
        f"On {n_devices:,} x {dev.name} at {mfu:.0%} MFU: **{_days(run['days'])}** "
        f"({run['device_hours']:,.0f} device-hours, {kwh} at board power), if each step's all-reduce "
        f"overlaps its compute (a step takes the longer of the two).",
        "",
        f"One step ({batch_per_device:,} {spec['example']}s per device): compute {_seconds(run['step_compute_s'])}, "
        f"ring all-reduce of {run['step_gradient_bytes'] / 1e9:,.3g} GB of {dev.precision} gradients over {link}: "
        f"{_seconds(run['step_communication_s'])}. **{run['step_bound'].capitalize()} bounds the step**"
        + (f"; if the two do not overlap the run takes {_days(run['days_serial'])}, with free communication "
           f"{_days(run['days_compute'])}." if n_devices > 1 else "."),
    ]
    counts = sorted({1, 8, 64, 512, 4096, n_devices})
    counts = [n for n in counts if n * batch_per_device <= examples]
    table = scaling_table(spec["flops_per_example"], examples, spec["params"], device, counts, mfu, link,
                          batch_per_device, grad_bytes)
    return "\n".join(lines) + fit, scaling_plot(table, highlight=n_devices, width=6.0, height=3.2)


def training_explorer():
    """Model, data, device, number of devices, MFU, link and batch -> days, device-hours, kWh and the bound.

    Choosing a model sets the batch per device to a realistic one for it (``training_model``):
    64 images for a CNN, one sequence of its context for a transformer.
    """
    controls = {
        "model": widgets.Dropdown(options=list(TRAINING_MODELS), value="alexnet_original", description="model"),
        "examples": widgets.SelectionSlider(options=[(f"{v:.0e}", v) for v in TRAINING_DATA_SIZES], value=1e8,
                                            description="images/tokens"),
        "device": widgets.Dropdown(options=training_devices(), value="GTX 580", description="device"),
        "n_devices": widgets.SelectionSlider(options=TRAINING_DEVICE_COUNTS, value=2, description="devices"),
        "mfu": widgets.FloatSlider(value=0.3, min=0.05, max=1.0, step=0.05, description="MFU"),
        "link": widgets.Dropdown(options=list(interconnects()["name"]), value="PCIe 3.0 x16", description="link"),
        "batch_per_device": widgets.SelectionSlider(options=TRAINING_BATCHES, value=64, description="batch/device"),
    }

    def batch_for_model(change):
        controls["batch_per_device"].value = training_model(change["new"])["batch_per_device"]

    controls["model"].observe(batch_for_model, names="value")
    return build_app(training_view, controls, title="What a training run costs")
