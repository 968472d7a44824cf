"""Widget of notebook 10: pick a model, a device, a number format and a batch; get the course's report.

``model_report_view`` is the plain function the widget calls; tests call it for every choice.
The model is a zoo name, or ``"your model"`` when the explorer was given a Network.
"""
from __future__ import annotations

from functools import lru_cache, partial

import ipywidgets as widgets

from .._checks import check_choice, check_int
from ..analysis import Network, analyze
from ..devices import get_device, ridge_point
from ..intensity import layer_points
from ..memory import DTYPE_BYTES
from ..report import largest_batches, memory_by_batch, roofline_summary, top_layers
from ..units import format_bytes
from ..zoo import MODELS
from ._base import build_app
from .roofline import compute_device_names

__all__ = ["model_report_view", "model_report_explorer", "REPORT_DTYPES", "REPORT_BATCHES", "YOUR_MODEL"]

REPORT_DTYPES = ("fp32", "fp16", "int8")       # weights and activations stored in this format
REPORT_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
YOUR_MODEL = "your model"
# The precision each catalog peak is quoted in, as bytes per element (to flag a mixed assumption).
_PEAK_BYTES = {"fp64": 8, "fp32": 4, "tf32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1}


@lru_cache(maxsize=16)
def _zoo(name: str) -> Network:
    return MODELS[name]()


@lru_cache(maxsize=64)
def _report(network: Network, device_name: str, dtype: str, batch: int):
    device = get_device(device_name)
    size = DTYPE_BYTES[dtype]
    points = layer_points(network, device, batch, size)
    return points, roofline_summary(network, device, batch, size), memory_by_batch(network, (batch,), dtype).iloc[0]


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:,.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:,.1f} µs"


def _memory_line(network, device, dtype, batch, memory) -> str:
    training = ("cannot train in int8 (an inference format)" if memory["training_adam"] != memory["training_adam"]
                else f"training with Adam {format_bytes(memory['training_adam'])}")
    line = (f"**Memory at batch {batch:,}** ({dtype}): inference {format_bytes(memory['inference'])} "
            f"(weights {format_bytes(memory['weights'])} + the peak of live activations), {training}.")
    if device.memory_bytes is None:
        return line + f" The catalog gives no memory capacity for {device.name}."
    fit = largest_batches(network, device, dtype)
    line += (f" In {device.name}'s {device.memory_bytes / 2 ** 30:,.0f} GiB the largest batch is "
             f"{fit['inference']:,} for inference")
    return line + (f", {fit['training_adam']:,} for training." if fit["training_adam"] is not None else ".")


def model_report_view(model="googlenet", device="GTX 1080", dtype="fp32", batch=1, own: Network | None = None):
    """Markdown summary (totals, memory, time), the top layers by MACs, and the roofline plot."""
    from ..plots.capstone import model_roofline_plot

    if model == YOUR_MODEL:
        if own is None:
            raise ValueError("no model of your own was given: call cl.widgets.model_report_explorer(your_network)")
        network = own
    else:
        network = _zoo(check_choice("model", model, tuple(MODELS)))
    dtype = check_choice("dtype", dtype, REPORT_DTYPES)
    batch = check_int("batch", batch, 1)
    chip = get_device(device)
    if chip.peak_flops is None:
        raise ValueError(f"{chip.name} has no compute peak (a memory or a link): pick a chip")
    points, summary, memory = _report(network, chip.name, dtype, batch)
    table = analyze(network)
    lines = [
        f"**{network.name}**: {len(table)} layers, {int(table['params'].sum()):,} parameters, "
        f"{int(table['macs'].sum()):,} MACs per sample.",
        "",
        _memory_line(network, chip, dtype, batch, memory),
        "",
        f"**On {chip.name}** (ridge {ridge_point(chip):.3g} FLOP/byte; each layer reads its input and weights and "
        f"writes its output through DRAM once): {summary['memory_bound_compute_layers']} of "
        f"{summary['compute_layers']} conv/linear layers are memory-bound, and {summary['memory_bound_layers']} "
        f"layers of all kinds. Lower bound per sample: **{_time(summary['time_per_sample_s'])}** at the datasheet "
        f"figures, {summary['peak_share']:.0%} of the peak on average; real kernels reach less.",
    ]
    native = _PEAK_BYTES.get(chip.precision)
    if native is not None and native != DTYPE_BYTES[dtype]:
        lines += ["", f"**Mixed assumption:** {chip.name}'s peak is quoted for {chip.precision}, the bytes are "
                      f"counted as {dtype}."]
    top = top_layers(network, "macs", 5)
    top["share"] = top["share"].map("{:.1%}".format)
    top["macs"] = top["macs"].map("{:,}".format)
    return "\n".join(lines), top, model_roofline_plot(points, chip, width=6.5, height=3.8)


def model_report_explorer(network: Network | None = None):
    """Model, device, number format and batch -> the report of notebook 10.

    Pass a Network (``cl.from_onnx(...)``, ``cl.from_torch(...)`` or one built by hand) to add it
    to the model list as "your model".
    """
    if network is not None and not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    names = ([YOUR_MODEL] if network is not None else []) + list(MODELS)
    controls = {
        "model": widgets.Dropdown(options=names, value=YOUR_MODEL if network is not None else "googlenet",
                                  description="model"),
        "device": widgets.Dropdown(options=compute_device_names(), value="GTX 1080", description="device"),
        "dtype": widgets.Dropdown(options=REPORT_DTYPES, value="fp32", description="format"),
        "batch": widgets.SelectionSlider(options=REPORT_BATCHES, value=1, description="batch"),
    }
    return build_app(partial(model_report_view, own=network), controls, title="What does your model cost?")
