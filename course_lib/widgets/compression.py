"""The widget of notebook 06: low rank, pruning and quantization on AlexNet -> params, MACs, bytes, time.

``compression_view`` is a plain function (tests call it across every control);
``compression_explorer`` wraps it with ``build_app``.
"""
from __future__ import annotations

from functools import lru_cache

import ipywidgets as widgets


from .. import zoo
from ..compression import compress, compression_summary, format_summary
from ..devices import devices, get_device
from ..plots.compression import compression_summary_plot
from ._base import build_app

__all__ = ["compression_view", "compression_explorer", "FC_RANKS", "BITS", "PRUNING"]

FC_RANKS = ("off", 1024, 512, 256, 128, 64, 32, 16, 8)   # rank of every FC layer that it shrinks
BITS = (32, 16, 8, 4, 2, 1)                               # weight width; 32 = fp32, unchanged
PRUNING = ("unstructured", "structured (channels)")
BATCH_SIZES = (1, 8, 64, 256)


@lru_cache(maxsize=1)
def _alexnet():
    return zoo.alexnet_original()


def _chips():
    table = devices()
    return list(table.loc[table["peak_flops"].notna(), "name"])


@lru_cache(maxsize=256)
def _compressed(fc_rank, sparsity, structured, bits):
    return compress(_alexnet(), fc_rank=None if fc_rank == "off" else fc_rank, sparsity=sparsity,
                    structured=structured, bits=bits)


def compression_view(fc_rank="off", sparsity: float = 0.0, pruning: str = "unstructured", bits: int = 32,
                     device: str = "GTX 1080", batch_size: int = 1):
    """AlexNet (2012) compressed as asked, compared with the original on ``device``: a table and a figure.

    Activations stay fp32 (4 bytes) whatever ``bits`` is; only weights are compressed.
    """
    if fc_rank not in FC_RANKS:
        raise ValueError(f"fc_rank must be one of {', '.join(map(str, FC_RANKS))}; got {fc_rank!r}")
    if pruning not in PRUNING + ("structured",):           # "structured": the short name, as cl.prune says it
        raise ValueError(f"pruning must be one of {', '.join(PRUNING)} (or 'structured'); got {pruning!r}")
    sparsity = round(float(sparsity), 4)
    compressed = _compressed(fc_rank, sparsity, pruning != "unstructured", bits)
    summary = compression_summary(_alexnet(), compressed, device, batch_size)
    shown = format_summary(summary)
    text = (f"**{compressed.name}** on **{device}**, batch {batch_size} (activations fp32; each layer "
            f"reads its input and weights once and writes its output once): predicted time "
            f"{summary.loc['predicted time (s)', 'compressed'] * 1e3:.3f} ms instead of "
            f"{summary.loc['predicted time (s)', 'original'] * 1e3:.3f} ms.")
    precision = get_device(device).precision
    if precision not in ("fp32", "fp64", ""):
        # Both times use the chip's one catalog peak, quoted for a narrower format than the fp32 original's.
        text += (f" The {device}'s catalog peak is for {precision} and both times assume it, so the fp32 "
                 f"original's time is a what-if: "
                 + ("the TPU v1 has no fp32 units." if device == "TPU v1" else "fp32 math runs slower there."))
    return text, compression_summary_plot(summary), shown


def compression_explorer():
    """FC rank, sparsity, pruning kind, weight bits, device and batch -> what AlexNet costs."""
    controls = {
        "fc_rank": widgets.SelectionSlider(options=FC_RANKS, value="off", description="FC rank"),
        "sparsity": widgets.FloatSlider(value=0.0, min=0.0, max=0.95, step=0.05, description="sparsity"),
        "pruning": widgets.Dropdown(options=PRUNING, value="unstructured", description="pruning"),
        "bits": widgets.Dropdown(options=BITS, value=32, description="weight bits"),
        "device": widgets.Dropdown(options=_chips(), value="GTX 1080", description="device"),
        "batch_size": widgets.SelectionSlider(options=BATCH_SIZES, value=1, description="batch"),
    }
    return build_app(compression_view, controls, title="Compress AlexNet and see what it costs")
