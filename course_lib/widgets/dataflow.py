"""Notebook 07's widget: on-chip buffer, fused layers and dtype -> DRAM traffic and energy, layer by layer vs fused."""
from __future__ import annotations

import ipywidgets as widgets

from ..dataflow import conv_stack, fusion_comparison
from ..plots.dataflow import fusion_comparison_plot
from ..zoo import vgg16
from ._base import build_app

__all__ = ["fusion_view", "fusion_explorer", "FUSION_DTYPES"]

FUSION_DTYPES = ("fp32", "fp16", "int8")
_MAX_FUSED = 10  # VGG-16's conv1_1 ... pool3: enough to see the halo grow and the weights outgrow the buffer


def fusion_view(buffer_kib: float = 512, fused_layers: int = 6, dtype: str = "fp32", network=None):
    """Markdown summary and a figure: the first ``fused_layers`` conv/pool layers of ``network`` (VGG-16 by default)
    fused in a ``buffer_kib`` KiB buffer vs run layer by layer."""
    network = vgg16() if network is None else network
    table = fusion_comparison(network, buffer_kib * 1024, fused_layers, dtype)
    plan = table.attrs["plan"]
    by_layer, fused = table.loc["layer by layer"], table.loc["fused"]
    names = f"{plan.layers[0]} ... {plan.layers[-1]}" if len(plan.layers) > 1 else plan.layers[0]
    if not plan.fits:
        text = (f"**{names}** in {buffer_kib:,.0f} KiB ({dtype}): not even a 1x1 output tile fits with its halo; "
                f"layer by layer moves {by_layer['total_bytes'] / 1e6:,.2f} MB. Make the buffer larger.")
    else:
        where = "kept on chip" if plan.weights_on_chip else "streamed again for every tile"
        text = (f"**{names}** in {buffer_kib:,.0f} KiB ({dtype}): {plan.tiles:,} tile{'s' if plan.tiles > 1 else ''} of {plan.tile}x{plan.tile} "
                f"output pixels, weights {where}, {plan.extra_macs / max(by_layer['macs'], 1):.1%} extra MACs for halos. "
                f"DRAM traffic {by_layer['total_bytes'] / 1e6:,.2f} MB layer by layer vs "
                f"{fused['total_bytes'] / 1e6:,.2f} MB fused; energy {by_layer['total_J'] * 1e3:,.2f} vs "
                f"{fused['total_J'] * 1e3:,.2f} mJ per image.")
    return text, fusion_comparison_plot(table)


def fusion_explorer(network=None):
    """Sliders for the buffer (1 KiB to 64 MiB, log scale) and the number of fused layers, a dtype menu."""
    network = vgg16() if network is None else network
    depth = min(_MAX_FUSED, len(conv_stack(network)))
    controls = {
        "buffer_kib": widgets.FloatLogSlider(value=512, base=2, min=0, max=16, step=0.5, description="buffer KiB",
                                             readout_format=",.0f", continuous_update=False),
        "fused_layers": widgets.IntSlider(value=min(6, depth), min=1, max=depth, description="fused layers",
                                          continuous_update=False),
        "dtype": widgets.Dropdown(options=FUSION_DTYPES, value="fp32", description="dtype"),
    }
    return build_app(lambda **values: fusion_view(network=network, **values), controls,
                     title=f"{network.name}: fuse the first layers of the conv stack")
