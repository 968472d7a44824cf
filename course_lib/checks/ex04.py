"""Exercise 04 (time and bandwidth pressure): content only. Expected values are computed with course_lib.

Each question states its precision (counts exactly; times and bandwidths to the significant figures it
names, as the lesson prints them); answers the lesson or its source article printed get their own message.
"""
from __future__ import annotations

import math

from .. import bandwidth_to_keep_up, get_device, layer_time, memory_wall, roofline, zoo
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

_NET = zoo.alexnet_original()
_CHIP = get_device("120 TFLOP/s example")
_FP32 = roofline(_NET, _CHIP, 1, 4).set_index("name")
_FP16 = roofline(_NET, _CHIP, 1, 2).set_index("name")
_DDR4 = get_device("DDR4-2400 channel")

_conv2_us = layer_time(_FP32.loc["conv2", "macs"], _CHIP.peak_flops) * 1e6
q1 = NumberQuestion(
    name="q1", var="conv2_time_us", points=2,
    expected=_conv2_us, unit="microseconds", significant=3,
    wrong_units={"seconds, not microseconds": 1e-6, "milliseconds, not microseconds": 1e-3,
                 "nanoseconds, not microseconds": 1e3},
    mistakes={_conv2_us * 2: "this is conv2 without its 2-GPU split (groups=2 halves its MACs).",
              _conv2_us / 2: "that is half the time: either each MAC counted as one FLOP (a MAC is a multiply and "
                             "an add, t = 2 x MACs / peak), or conv2's MACs halved again for groups=2, which "
                             "cl.analyze has already done.",
              round(_conv2_us, 1): "that is rounded to 2 significant figures; the question asks for 3."},
    hint_text="t = 2 x MACs / peak. Take conv2's MACs from cl.analyze(cl.zoo.alexnet_original()): they already "
              "count the groups=2 split.",
    solution_text=f"conv2 does {_FP32.loc['conv2', 'macs']:,} MACs; 2 x that / 120e12 = {_conv2_us:.4f} us.",
    example_wrong=_conv2_us * 1e-6,
)

q2 = FunctionQuestion(
    name="q2", var="keep_up_gbps", points=2,
    reference=lambda elements, bytes_per_element, macs, peak_flops:
        bandwidth_to_keep_up(elements * bytes_per_element, macs, peak_flops) / 1e9,
    cases=[(154_587, 4, 105_415_200, 120e12), (34_944, 4, 105_415_200, 120e12), (290_400, 2, 105_415_200, 125e12),
           (1_000, 1, 500, 1e12), (37_752_832, 4, 37_748_736, 15.7e12), (0, 4, 10, 1e9)],
    rel_tol=1e-6,
    hint_text="First the time at peak, t = 2 x macs / peak_flops; then bytes = elements x bytes_per_element; "
              "the answer is bytes / t, divided by 1e9 for GB/s.",
    solution_text="def keep_up_gbps(elements, bytes_per_element, macs, peak_flops):\n"
                  "    t = 2 * macs / peak_flops\n    return elements * bytes_per_element / t / 1e9",
    example_wrong=lambda elements, bytes_per_element, macs, peak_flops:
        elements * bytes_per_element / (macs / peak_flops) / 1e9,  # forgets that a MAC is two FLOPs
)

_out16 = _FP16.loc["conv1", "output_GBps"]
q3 = NumberQuestion(
    name="q3", var="conv1_output_fp16_gbps", points=1,
    expected=_out16, unit="GB/s", significant=4,
    wrong_units={"bytes/s, not GB/s": 1e9,
                 "billions of elements per second, not bytes (each fp16 element is 2 bytes)": 0.5},
    mistakes={_out16 * 2: "that is the fp32 figure (4 bytes an element); fp16 is 2 bytes.",
              roofline(_NET, "V100 SXM2 fp16 tensor", 1, 2).set_index("name").loc["conv1", "output_GBps"]:
                  "that is the lesson's fp16 row at 125 TFLOP/s (the V100's datasheet peak); this question keeps "
                  "the 120 TFLOP/s chip, so the time is the lesson's 1.757 us."},
    hint_text="Same time as in the lesson (1.757 us), but each output element is 2 bytes in fp16.",
    solution_text=f"290,400 elements x 2 B / 1.757 us = {_out16:.2f} GB/s: half the fp32 figure.",
    example_wrong=_out16 * 2,
)

_conv1_need = _FP32.loc["conv1", ["input_GBps", "weight_GBps", "output_GBps"]].sum()
_channels = math.ceil(_conv1_need * 1e9 / _DDR4.mem_bandwidth)
q4 = NumberQuestion(
    name="q4", var="ddr4_channels", points=1,
    expected=_channels, unit="channels", rel_tol=0,  # exactly: 57; 56.91 (not rounded up) is a named mistake
    mistakes={_conv1_need * 1e9 / _DDR4.mem_bandwidth: "round up: a fraction of a channel does not exist.",
              round(_conv1_need * 1e9 / _DDR4.mem_bandwidth, 1): "that is the lesson's 56.9 x: round up, a fraction "
                                                                  "of a channel does not exist.",
              _channels - 1: f"{_channels - 1} channels give {(_channels - 1) * _DDR4.mem_bandwidth / 1e9:,.1f} GB/s, "
                             f"less than conv1's {_conv1_need:,.1f} GB/s: that rounds down; the fewest whole channels "
                             "that suffice round up.",
              math.ceil(_FP32.loc["conv1", "input_GBps"] * 1e9 / _DDR4.mem_bandwidth):
                  "that feeds only the input stream; add the weights and the output."},
    hint_text="Add conv1's three streams (input, weights, output; fp32, 120 TFLOP/s) and divide by 19.2 GB/s; round up.",
    solution_text=f"{_conv1_need:.1f} GB/s / 19.2 GB/s = {_conv1_need * 1e9 / _DDR4.mem_bandwidth:.2f}, "
                  f"so {_channels} channels.",
    example_wrong=_channels - 1,
)

_weights = _FP32.loc["conv1", "weight_GBps"]
q5 = NumberQuestion(
    name="q5", var="conv1_weight_gbps", points=2,
    expected=_weights, unit="GB/s", significant=4,   # 79.56, as the lesson prints it
    wrong_units={"bytes/s, not GB/s": 1e9, "elements, not fp32 bytes": 0.25},
    mistakes={79.34: "that is the article's figure: recompute 34,944 x 4 B / 1.757 us.",
              34_944 * 4 / 1.75e-6 / 1e9: "you used the rounded 1.75 us; use the exact 2 x MACs / peak.",
              round(_weights, 1): "that is rounded to 3 significant figures; the question asks for 4."},
    hint_text="The article says 79.34 GB/s. Recompute: conv1's 34,944 parameters x 4 B, over t = 2 x MACs / 120 TFLOP/s.",
    solution_text=f"139,776 B / 1.7569 us = {_weights:.2f} GB/s, not 79.34.",
    example_wrong=79.34,
)

q6 = ChoiceQuestion(
    name="q6", var="mixed_assumption", points=2, expected="b",
    choices={"a": "Nothing is wrong: 120 TFLOP/s is the V100's fp32 peak, so 4-byte elements match it.",
             "b": "120 TFLOP/s is the V100's fp16 tensor-core peak (125 on SXM2); fp32 data (4 B) would run at "
                  "its 15.7 TFLOP/s fp32 peak. The article mixes the two precisions.",
             "c": "The element width does not matter: bandwidth depends only on the number of elements.",
             "d": "120 TFLOP/s counts MACs, so the time should be 105,415,200 / 120e12."},
    explanations={"a": "The V100's fp32 peak is 15.7 TFLOP/s (datasheet); 120 (NVIDIA's 2017 launch figure) or 125 "
                       "(the SXM2 datasheet) is the fp16 tensor-core peak.",
                  "b": "Right: pick fp16 (125 TFLOP/s, 2 B) or fp32 (15.7 TFLOP/s, 4 B), not one of each.",
                  "c": "Bytes = elements x bytes per element: fp16 halves every stream.",
                  "d": "Peaks are quoted in FLOP/s, and a MAC is 2 FLOPs: t = 2 x MACs / peak."},
    hint_text="Look up the V100's peaks in cl.devices(): which precision is 120-125 TFLOP/s quoted in?",
    solution_text="b: 'V100 SXM2 fp32' is 15.7 TFLOP/s and 'V100 SXM2 fp16 tensor' 125 TFLOP/s in cl.devices().",
    example_wrong="a",
)

_pool_us = _FP32.loc["pool1", "time_memory_s"] * 1e6
q7 = NumberQuestion(
    name="q7", var="pool1_time_us", points=2,
    expected=_pool_us, unit="microseconds", significant=3,   # 1.60, as the lesson prints it
    wrong_units={"seconds, not microseconds": 1e-6, "nanoseconds, not microseconds": 1e3},
    mistakes={290_400 / _CHIP.peak_flops * 1e6: "that is the article's 2.42 ns: a comparison counted as a FLOP at "
                                                 "peak. Pooling is limited by memory: bytes / bandwidth.",
              290_400 / _CHIP.peak_flops * 1e9: "that is the article's 2.42 ns (in nanoseconds, not microseconds): "
                                                 "a comparison counted as a FLOP at peak. Pooling is limited by "
                                                 "memory: bytes / bandwidth.",
              290_400 * 4 / _CHIP.mem_bandwidth * 1e6: "add the bytes pool1 writes (27 x 27 x 96 elements)."},
    hint_text="Simple model: pool1 reads its 55x55x96 input and writes its 27x27x96 output (fp32) at 900 GB/s.",
    solution_text=f"(290,400 + 69,984) x 4 B / 900 GB/s = {_pool_us:.3f} us, "
                  f"{_pool_us / (290_400 / _CHIP.peak_flops * 1e6):,.0f} x the article's 2.42 ns.",
    example_wrong=290_400 / _CHIP.peak_flops * 1e6,
)

_wall = memory_wall().iloc[-1]
q8 = ChoiceQuestion(
    name="q8", var="memory_wall", points=1, expected="c",
    choices={"a": "Bandwidth grew faster than compute, so ridge points fell.",
             "b": "Both grew at the same rate, so ridge points stayed put.",
             "c": "Compute peaks grew faster than bandwidth overall, so the intensity needed to reach the peak "
                  "rose, most of all with the tensor cores.",
             "d": "Neither changed much since the GTX 580."},
    explanations={"a": "Look again at the left panel: bandwidth grew least. (The fp32 ridge did fall from the "
                       "GTX 1080 to the A100, but not over the whole span, and the tensor-core ridges are far higher.)",
                  "b": "The growth columns differ: compute grew faster.",
                  "d": "Everything grew, by an order of magnitude or more: look at the growth columns.",
                  "c": f"Right: from the GTX 580 to the H200 the fp32 peak grew {_wall['fp32_growth']:.0f} x and "
                       f"bandwidth {_wall['bandwidth_growth']:.0f} x (cl.memory_wall()); from the V100 on, the "
                       f"16-bit tensor-core peak grew {_wall['tensor16_growth']:.1f} x against bandwidth's "
                       f"{_wall['bandwidth_growth_tensor16']:.1f} x, and its ridge sits at "
                       f"{_wall['tensor16_ridge']:,.0f} FLOP/byte on the H200."},
    hint_text="Left panel: which line rose faster? Right panel: how do the ridge points of 2010 compare with "
              "those of 2023, in fp32 and with the tensor cores?",
    solution_text="c: see cl.memory_wall() and cl.plots.memory_wall_plot.",
    example_wrong="a",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total: the last cell of the exercise notebook."""
    show_score(QUESTIONS)
