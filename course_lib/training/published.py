"""The papers' model configs and every published figure notebook 09 checks, beside what the course computes."""
from __future__ import annotations

import pandas as pd

from ..transformer import LLAMA2_7B, TransformerConfig, transformer_param_count
from ._base import DAY_S
from .flops import training_flops_per_example, transformer_training_flops
from .memory import ZERO_STAGES, zero_memory
from .schedule import energy_kwh, mfu_from_device_hours, mfu_from_throughput, tokens_per_parameter, training_time_s

__all__ = ["GPT3_175B", "LLAMA2_13B", "LLAMA2_70B", "PALM_540B_ATTENTION", "published_figures"]

# GPT-3 175B: Brown et al. 2020, Table 2.1 (96 layers, d_model 12,288, 96 heads of 128, context
# 2,048) with GPT-2's vocabulary, learned positions and tied embeddings; its Table D.1 lists
# 174,600 M parameters.
GPT3_175B = TransformerConfig("GPT-3 175B", n_layers=96, d_model=12288, n_heads=96, vocab_size=50257,
                              max_context=2048)
# Llama 2 13B and 70B: Touvron et al. 2023 and the Hugging Face config.json of
# meta-llama/Llama-2-13b-hf (40 layers, 5,120 wide, d_ff 13,824) and Llama-2-70b-hf
# (80 layers, 8,192 wide, 64 query heads, 8 KV heads, d_ff 28,672).
LLAMA2_13B = TransformerConfig("Llama-2-13B", n_layers=40, d_model=5120, n_heads=40, d_ff=13824, vocab_size=32000,
                               max_context=4096, mlp="swiglu", tied_embeddings=False, bias=False, norm="rmsnorm",
                               position="rope")
LLAMA2_70B = TransformerConfig("Llama-2-70B", n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, d_ff=28672,
                               vocab_size=32000, max_context=4096, mlp="swiglu", tied_embeddings=False, bias=False,
                               norm="rmsnorm", position="rope")
# PaLM 540B's attention, for its model-FLOPs formula (Chowdhery et al. 2022, Table 1: 118 layers,
# 48 heads of 256; sequence length 2,048): layers, attention width (heads x head size), context.
PALM_540B_ATTENTION = (118, 48 * 256, 2048)


def published_figures() -> pd.DataFrame:
    """Each published figure notebook 09 checks, its source, and what the course computes for it."""
    from .. import zoo

    alexnet = training_flops_per_example(zoo.alexnet_original())["rule_flops"] * 1.2e6 * 90
    at_peak = training_time_s(alexnet, "GTX 580", 2) / DAY_S
    gpt3 = transformer_training_flops(transformer_param_count(GPT3_175B), 300e9)
    palm = mfu_from_throughput(238.3e3, transformer_training_flops(540.35e9, 1, *PALM_540B_ATTENTION), 6144,
                               "TPU v4")
    llama_kwh = sum(energy_kwh(h, w) for h, w in ((184_320, 400), (368_640, 400), (1_038_336, 350),
                                                   (1_720_320, 400)))
    rows = [
        ("AlexNet: 5-6 days on two GTX 580s (90 epochs, 1.2 M images)", "Krizhevsky et al. 2012, section 5",
         "5-6 days", f"{at_peak:.2f} days at the fp32 peak: {at_peak / 6:.0%}-{at_peak / 5:.0%} utilization"),
        ("GPT-3 175B parameters", "Brown et al. 2020, Table D.1", "174,600 M",
         f"{transformer_param_count(GPT3_175B) / 1e6:,.0f} M"),
        ("GPT-3 training compute", "Brown et al. 2020, Table D.1", "3.14e23 FLOPs", f"{gpt3:.3g} FLOPs (6ND)"),
        ("Llama 2 7B on 2.0 T tokens: A100-80GB GPU-hours", "Touvron et al. 2023, Tables 1 and 2", "184,320",
         f"MFU {mfu_from_device_hours(6 * transformer_param_count(LLAMA2_7B) * 2e12, 184_320, 312e12):.1%}"
         " (6ND at 312 TFLOP/s bf16)"),
        ("Llama 2 70B on 2.0 T tokens: A100-80GB GPU-hours", "Touvron et al. 2023, Tables 1 and 2", "1,720,320",
         f"MFU {mfu_from_device_hours(6 * transformer_param_count(LLAMA2_70B) * 2e12, 1_720_320, 312e12):.1%}"
         " (6ND at 312 TFLOP/s bf16)"),
        ("Llama 2 pretraining emissions: 539 tCO2eq", "Touvron et al. 2023, Table 2", "539.00 t",
         f"{llama_kwh:,.0f} kWh at the table's power per GPU: 539 t means {539e3 / llama_kwh:.4f} kg CO2/kWh"),
        ("PaLM 540B MFU", "Chowdhery et al. 2022, Table 3", "46.2%", f"{palm:.1%}"),
        ("Chinchilla: 70 B parameters, 1.4 T tokens", "Hoffmann et al. 2022", "~20 tokens/parameter",
         f"{tokens_per_parameter(1.4e12, 70e9):.0f}"),
        ("ZeRO: 7.5 B params, 64 GPUs", "Rajbhandari et al. 2020, Figure 1", "120 / 31.4 / 16.6 / 1.9 GB",
         " / ".join(f"{zero_memory(7.5e9, 64, s)['total'] / 1e9:.1f}" for s in ZERO_STAGES) + " GB"),
    ]
    return pd.DataFrame(rows, columns=["figure", "source", "published", "the course computes"])
