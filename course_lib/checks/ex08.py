"""Exercise 08 (transformers: params, KV cache, prefill vs decode): content only.

Every expected value is computed with ``course_lib``; the checking machinery is ``_core``.
"""
from __future__ import annotations

import math

import course_lib as cl

from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

H200 = "H200 SXM bf16"
_GB = 1e9  # SI gigabyte: the course counts bytes in GB = 10^9 (GPU capacities are sold in GiB: the catalog's memory_bytes)
_GPT2 = cl.transformer_params(cl.GPT2_SMALL)
_BLOCK = int(_GPT2.loc[_GPT2["copies"] == cl.GPT2_SMALL.n_layers, "each"].sum())
_KV_Q2 = cl.kv_cache_bytes(cl.LLAMA2_7B, 2048, 6, "bf16")   # 6 sequences of 2,048 tokens: exactly 6 GiB
_DECODE = cl.inference_step(cl.LLAMA2_7B, H200, "decode", 4096, 1, "bf16")
_DECODE_L3 = cl.inference_step(cl.LLAMA3_8B, H200, "decode", 4096, 1, "bf16")   # grouped-query attention
_MAX_BATCH = cl.kv_max_batch_size(cl.LLAMA2_7B, H200, 4096, "bf16")
_WEIGHTS = cl.transformer_param_count(cl.LLAMA2_7B) * 2      # all weights stored (the memory question)
_READ = cl.weight_bytes_read(cl.LLAMA2_7B, "bf16")            # weights a step reads: all but the looked-up token table
_DEVICE = cl.get_device(H200)
_KV_4096 = cl.kv_cache_bytes(cl.LLAMA2_7B, 4096, 1, "bf16")   # the cache a decode step at 4096 tokens reads

q1 = NumberQuestion(
    name="q1", var="block_params", points=1, expected=_BLOCK, unit="parameters", rel_tol=1e-9,   # exactly
    hint_text="One block = LayerNorm + c_attn (768 -> 3x768) + c_proj (768 -> 768) + LayerNorm + "
              "c_fc (768 -> 3072) + c_proj (3072 -> 768). Every Linear has a bias; a LayerNorm has a scale and a shift.",
    solution_text=f"2*768 + (768*2304 + 2304) + (768*768 + 768) + 2*768 + (768*3072 + 3072) + (3072*768 + 768) "
                  f"= {_BLOCK:,}. The matrices alone are 12 d^2 = {12 * 768 ** 2:,}.",
    mistakes={12 * 768 ** 2: "that is 12 d^2, the weight matrices only: add the biases and the two LayerNorms "
                             "(scale and shift each).",
              _BLOCK - 4 * 768: "that leaves out the two LayerNorms: each has a scale and a shift of 768."},
    example_wrong=12 * 768 ** 2,
)

q2 = NumberQuestion(
    name="q2", var="kv_cache_gb", points=2, expected=_KV_Q2 / _GB, unit="GB", significant=3,  # 6.44
    wrong_units={"GiB (2^30 bytes), not GB (10^9 bytes)": _GB / 2 ** 30, "bytes, not GB": _GB},
    mistakes={_KV_Q2 / _GB / 2: "that is the keys alone (or the values alone): the cache keeps both, "
                                "the factor 2 in 2 x layers x kv_heads x head_dim x bytes.",
              _KV_Q2 / 2 ** 31: "that is the keys alone, in GiB: the cache keeps keys and values, and a GB is 10^9 bytes.",
              _KV_Q2 / _GB / 6: "that is one sequence: the question serves 6 of them.",
              _KV_Q2 / _GB * 2: "that is 4 bytes per element (fp32): the question says bf16, 2 bytes.",
              cl.kv_cache_bytes(cl.LLAMA2_7B, 4096, 6, "bf16") / _GB: "that is 4,096 tokens per sequence: the "
                                                                     "question's sequences hold 2,048."},
    hint_text="Per token: 2 (K and V) x n_layers x n_kv_heads x head_dim x bytes per element; "
              "then x context x batch. Llama-2-7B: 32 layers, 32 KV heads of 128. GB = 10^9 bytes.",
    solution_text=f"2 x 32 x 32 x 128 x 2 B = 524,288 B per token; x 2,048 tokens x 6 sequences = {_KV_Q2:,.0f} B "
                  f"= {_KV_Q2 / _GB:.2f} GB (exactly 6 GiB).",
    example_wrong=6.0,
)


def _kv_reference(n_layers, n_kv_heads, head_dim, bytes_per_element):
    config = cl.TransformerConfig("exercise", n_layers=n_layers, d_model=n_kv_heads * head_dim, n_heads=n_kv_heads,
                                  n_kv_heads=n_kv_heads)
    return cl.kv_cache_bytes_per_token(config, bytes_per_element)


def _kv_without_values(n_layers, n_kv_heads, head_dim, bytes_per_element):
    return n_layers * n_kv_heads * head_dim * bytes_per_element


q3 = FunctionQuestion(
    name="q3", var="kv_bytes_per_token", points=2, reference=_kv_reference,
    cases=[(32, 32, 128, 2), (32, 8, 128, 2), (12, 12, 64, 4), (80, 8, 128, 1), (1, 1, 1, 0.5), (40, 40, 128, 2)],
    hint_text="Each layer stores a key and a value vector per KV head, each head_dim elements long.",
    solution_text="return 2 * n_layers * n_kv_heads * head_dim * bytes_per_element",
    example_wrong=_kv_without_values,
)

q4 = NumberQuestion(
    name="q4", var="decode_intensity", points=1, expected=_DECODE_L3["intensity"], unit="FLOP/byte", significant=3,
    mistakes={_DECODE["intensity"]: "that is Llama-2-7B's intensity (lesson 08): there each cached element feeds one "
                                    "multiply-accumulate. Llama-3-8B's 8 key/value heads serve 32 query heads, so "
                                    "each cached element feeds 4.",
              2.0: "2 FLOPs per weight, yes, but each bf16 weight is 2 bytes read from memory.",
              _DECODE_L3["flops"] / (2 * cl.transformer_param_count(cl.LLAMA3_8B) + _DECODE_L3["kv_read_bytes"]
                                     + _DECODE_L3["kv_write_bytes"]):
                  "that divides by every weight stored, the token embedding table too; a decode step only looks up "
                  "one row of that table, so the lesson leaves it out of the bytes read.",
              (_DECODE_L3["flops"] - 4 * cl.LLAMA3_8B.n_layers * cl.LLAMA3_8B.n_heads * cl.LLAMA3_8B.head_dim * 4096)
              / _DECODE_L3["bytes"]:
                  "you counted the cache's bytes but not the attention FLOPs that read them: the scores and the "
                  "weighted sum of values, for each of the 32 query heads."},
    hint_text="FLOPs: 2 per matrix weight (the looked-up token table and the norm scales do no MACs), "
              "plus attention: each of the "
              "32 query heads does a multiply-accumulate with every cached key and value of its group. Bytes: the "
              "weights read and the cache. cl.inference_step does the whole count.",
    solution_text=f"FLOPs = {_DECODE_L3['flops']:.4g}, bytes = {_DECODE_L3['bytes']:.4g}: intensity "
                  f"{_DECODE_L3['intensity']:.3f}. Above Llama-2-7B's 1.000, because each cached element serves 4 "
                  f"query heads; still far left of the ridge ({_DECODE_L3['ridge']:.0f}).",
    example_wrong=_DECODE["intensity"],
)

# q5 times q4's step: Llama-3-8B, batch 1, 4,096 tokens of cache, on the H200
_L3_STORED = 2 * cl.transformer_param_count(cl.LLAMA3_8B)          # every weight stored, bf16
_L3_READ = cl.weight_bytes_read(cl.LLAMA3_8B, "bf16")               # all but the looked-up token table
_L3_KV = _DECODE_L3["kv_read_bytes"] + _DECODE_L3["kv_write_bytes"]
_ALL_WEIGHTS_MS = (_L3_STORED + _L3_KV) / _DEVICE.mem_bandwidth * 1e3

q5 = NumberQuestion(
    name="q5", var="decode_ms", points=1, expected=_DECODE_L3["time_s"] * 1e3, unit="ms", significant=3,
    wrong_units={"seconds, not ms": 1e-3, "microseconds, not ms": 1e3},
    mistakes={_DECODE_L3["time_compute_s"] * 1e3: "that is FLOPs / peak, the compute time; this step is memory "
                                                   "bound, so its time is bytes / bandwidth.",
              _L3_READ / _DEVICE.mem_bandwidth * 1e3: "that is the weights alone: the step also reads the "
                                                      f"4,096-token KV cache ({_L3_KV / _GB:.2f} GB).",
              _DECODE["time_s"] * 1e3: "that is Llama-2-7B's step (the lesson's 3.20 ms), or q4's step rounded to "
                                       "only 2 figures: q5 asks for Llama-3-8B's, to 3 significant figures.",
              **dict.fromkeys(
                  # the value, and the value cut (not rounded) to 3 figures, as it is often written
                  (_ALL_WEIGHTS_MS, math.floor(_ALL_WEIGHTS_MS * 100) / 100),
                  "that counts every weight stored, the token embedding table too; a decode step only looks up "
                  f"one row of that table ({(_L3_STORED - _L3_READ) / _GB:.2f} GB in all), so the lesson and the "
                  "question leave it out.")},
    hint_text="time = max(FLOPs / peak, bytes / bandwidth), with q4's FLOPs and bytes. Which one is larger here?",
    solution_text=f"bytes / bandwidth = {_DECODE_L3['bytes']:.4g} B / 4.8e12 B/s = {_DECODE_L3['time_s'] * 1e3:.3f} ms "
                  f"(compute alone would take {_DECODE_L3['time_compute_s'] * 1e3:.4f} ms).",
    example_wrong=_DECODE_L3["time_compute_s"] * 1e3,
)

q6 = ChoiceQuestion(
    name="q6", var="plot_answer", points=1, expected="b",
    choices={"a": "Raising the batch to 512 moves decode at 4,096 tokens past the ridge.",
             "b": "Decode at 4,096 tokens stays left of the ridge even at batch 512.",
             "c": "Prefill of a 4,096-token prompt is memory bound.",
             "d": "Decode at batch 1 attains about the same TFLOP/s as prefill."},
    explanations={"a": "Look again: the b=512 point is still left of the dotted ridge line. Each sequence brings "
                       "its own KV cache, so the bytes grow with the batch as well as the FLOPs.",
                  "b": "Right: the weights are shared by the batch, the KV cache is not, so intensity levels off "
                       "(cl.decode_intensity_limit) below the ridge. (And batch 512 would not even fit in memory.)",
                  "c": "The prefill point sits on the flat part of the roof, right of the ridge: compute bound.",
                  "d": "The decode b=1 point is about three orders of magnitude lower on the y axis."},
    hint_text="Find the dotted vertical line (the ridge). Points left of it are memory bound.",
    solution_text="b: decode at 4096 tokens levels off at an intensity below the ridge, however large the batch.",
    example_wrong="a",
)

_PASSAGE_FLOPS = 2 * cl.transformer_param_count(cl.LLAMA2_7B)
_PASSAGE_TIME = _PASSAGE_FLOPS / _DEVICE.peak_flops

q7 = ChoiceQuestion(
    name="q7", var="mistake", points=2, expected="c",
    choices={"a": "2 FLOPs per parameter is wrong: a multiply-accumulate is 1 FLOP.",
             "b": f"The peak is wrong: the H200's bf16 figure is {2 * _DEVICE.peak_flops / 1e12:,.0f} TFLOP/s.",
             "c": f"Decode at batch 1 is memory bound: each token reads at least the {_READ / _GB:.1f} GB of bf16 "
                  f"weights (the KV cache adds more), at least {_READ / _DEVICE.mem_bandwidth * 1e3:.2f} ms at "
                  f"{_DEVICE.mem_bandwidth / 1e12:.1f} TB/s, so at most ~{_DEVICE.mem_bandwidth / _READ:,.0f} tokens/s.",
             "d": "Nothing: the passage is right."},
    explanations={"a": "A MAC is a multiply and an add: 2 FLOPs. That part of the passage is fine.",
                  "b": "That figure is 'with sparsity'; the dense bf16 peak is the one the passage uses.",
                  "c": "Right: at ~1 FLOP per byte the step sits far left of the ridge, so its time is bytes / bandwidth.",
                  "d": "Compare the step's intensity with the H200's ridge."},
    hint_text="Compute the step's operational intensity and compare it with the ridge, about 206 FLOP/byte.",
    solution_text="c: the passage times a memory-bound step as if it were compute bound.",
    example_wrong="d",
)
# The passage the question quotes, with its numbers computed above:
PASSAGE = (f"At batch size 1, a 7B model on an H200 is compute bound: a token needs 2 x 6.74 billion = "
           f"{_PASSAGE_FLOPS / 1e9:.1f} GFLOP, and at {_DEVICE.peak_flops / 1e12:.1f} TFLOP/s that is "
           f"{_PASSAGE_TIME * 1e6:.0f} µs, so the GPU generates about {1 / _PASSAGE_TIME:,.0f} tokens per second.")

_KV_SEQ = cl.kv_cache_bytes(cl.LLAMA2_7B, 4096)               # one 4,096-token sequence's cache, 2 GiB
_FREE_RATIO = (_DEVICE.memory_bytes - _WEIGHTS) / _KV_SEQ     # 64.22 with the catalog's 141 GiB

q8 = NumberQuestion(
    name="q8", var="max_batch", points=1, expected=_MAX_BATCH, unit="sequences", rel_tol=1e-9,   # exactly
    mistakes={int(_DEVICE.memory_bytes // _KV_SEQ):
              f"that fills all {_DEVICE.memory_bytes / 2 ** 30:.0f} GiB with KV cache: the weights need room too.",
              int((141e9 - _WEIGHTS) // _KV_SEQ):
              "that reads the H200's '141 GB' as 141 x 10^9 bytes; the course reads it as 141 GiB = "
              "141 x 2^30 bytes (lessons 00 and 08 show why).",
              _MAX_BATCH - 1: "that is the answer for the ~143,771 MiB nvidia-smi shows usable (lesson 08 computes it), "
                              "a better real-world bound; this question asks for the datasheet capacity, 141 GiB.",
              _MAX_BATCH + 1: f"the division gives {_FREE_RATIO:.2f}: round down, a {_MAX_BATCH + 1}th sequence "
                              f"does not fit beside the weights."},
    hint_text="Free memory = 141 GiB (141 x 2^30 bytes) - the bf16 weights; divide by one sequence's KV cache "
              "and round down.",
    solution_text=f"(141 x 2^30 - {_WEIGHTS:,}) B / {_KV_SEQ:,.0f} B = ({_DEVICE.memory_bytes:,.0f} - {_WEIGHTS:,}) "
                  f"/ {_KV_SEQ:,.0f} = {_FREE_RATIO:.2f}, so {_MAX_BATCH} sequences.",
    example_wrong=int(_DEVICE.memory_bytes // _KV_SEQ),
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total (the last cell of the exercise notebook)."""
    show_score(QUESTIONS)
