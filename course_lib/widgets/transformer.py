"""Widget of notebook 08: a transformer served on a chip, prefill vs decode.

``transformer_view`` is the plain function the widget calls; tests call it directly.
"""
from __future__ import annotations

import ipywidgets as widgets

from ..devices import devices, get_device
from ..transformer import TRANSFORMER_DTYPES, TRANSFORMER_PRESETS, get_transformer, inference_sweep, kv_cache_bytes, \
    kv_max_batch_size, transformer_param_count
from ._base import build_app

__all__ = ["transformer_view", "transformer_explorer", "TRANSFORMER_CONTEXTS", "TRANSFORMER_BATCHES",
           "transformer_devices"]

TRANSFORMER_CONTEXTS = tuple(2 ** k for k in range(7, 16))   # 128 ... 32,768 tokens
TRANSFORMER_BATCHES = tuple(2 ** k for k in range(0, 10))    # 1 ... 512 sequences


def transformer_devices() -> list[str]:
    """Catalog chips with a compute peak and a memory capacity (GPUs and ASICs)."""
    table = devices()
    table = table[table["kind"].isin(["gpu", "asic"]) & table["peak_flops"].notna() & table["memory_bytes"].notna()]
    return list(table["name"])


def _time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:,.2f} s"
    return f"{seconds * 1e3:,.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:,.2f} µs"


def transformer_view(model="Llama-2-7B", context=4096, batch_size=1, dtype="bf16", device="H200 SXM bf16"):
    """Params, KV cache, prefill and decode on ``device``: a Markdown summary and the roofline with both steps."""
    from ..plots.costs import capacity_label
    from ..plots.transformer import transformer_roofline_plot

    config = get_transformer(model)
    if context > config.max_context:   # the explorer lowers the slider first; a direct call gets the reason
        raise ValueError(f"context={context} is longer than {config.name} was trained for; "
                         f"pick a context between 1 and {config.max_context} tokens")
    table = inference_sweep(config, device, contexts=(context,), batch_sizes=(batch_size,), dtype=dtype)
    width = TRANSFORMER_DTYPES[dtype] if isinstance(dtype, str) else dtype
    params = transformer_param_count(config)
    kv = kv_cache_bytes(config, context, batch_size, dtype)
    dev_memory = table["device"].iloc[0]
    capacity = capacity_label(get_device(device).memory_bytes)
    fits = kv_max_batch_size(config, device, context, dtype)
    if fits == 0:   # not even the weights and one sequence's cache fit
        verdict = f"**does not fit**: not even one sequence fits in {dev_memory}'s {capacity}"
    else:
        verdict = (f"{'fits' if batch_size <= fits else '**does not fit** (hollow points)'}: "
                   f"at most {fits:,} sequences in {dev_memory}'s {capacity}")
    read = table["weight_bytes"].iloc[0]
    lookups = [name for name, only_looked_up in (("token embedding table", not config.tied_embeddings),
                                                  ("position table", config.position == "learned")) if only_looked_up]
    lines = [
        f"**{config.name}**: {params:,} parameters = {params * width / 1e9:,.2f} GB of weights stored in {dtype}; "
        f"KV cache of {batch_size} x {context:,} tokens = {kv / 1e9:,.2f} GB ({verdict}).",
        "",
        f"A step reads {read / 1e9:,.2f} GB of weights: all but the {' and '.join(lookups)}, of which a step "
        f"looks up only a few rows. Times use the datasheet's peak and bandwidth: bounds a real kernel does not reach.",
        "",
        "| step | tokens | intensity (FLOP/B) | bound | time of the step | time per token |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for _, row in table.iterrows():
        lines.append(f"| {row['phase']} | {row['tokens']:,} | {row['intensity']:,.1f} | {row['bound']} | "
                     f"{_time(row['time_s'])} | {_time(row['time_per_token_s'])} |")
    lines.append(f"\nRidge of {dev_memory}: {table['ridge'].iloc[0]:,.0f} FLOP/B.")
    return "\n".join(lines), transformer_roofline_plot(table, width=6.0, height=3.4)


def transformer_explorer():
    """Model, context, batch size, dtype and device -> params, KV cache, prefill and decode time, bound."""
    controls = {
        "model": widgets.Dropdown(options=list(TRANSFORMER_PRESETS), value="Llama-2-7B", description="model"),
        "context": widgets.SelectionSlider(options=TRANSFORMER_CONTEXTS, value=4096, description="context"),
        "batch_size": widgets.SelectionSlider(options=TRANSFORMER_BATCHES, value=1, description="batch"),
        "dtype": widgets.Dropdown(options=list(TRANSFORMER_DTYPES), value="bf16", description="dtype"),
        "device": widgets.Dropdown(options=transformer_devices(), value="H200 SXM bf16", description="device"),
    }
    model, context = controls["model"], controls["context"]

    def fit_context(change):   # GPT-2 was trained on 1,024 tokens: the slider offers no longer context
        longest = get_transformer(change["new"]).max_context
        allowed = tuple(c for c in TRANSFORMER_CONTEXTS if c <= longest)
        value = min(context.value, allowed[-1])
        if context.options != allowed:
            context.options = allowed      # (resets the value to the first option)
        context.value = value

    model.observe(fit_context, names="value")
    fit_context({"new": model.value})
    return build_app(transformer_view, controls, title="A transformer served on a chip: prefill vs decode")
