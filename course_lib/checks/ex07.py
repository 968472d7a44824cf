"""Exercise 07 (accelerators and data movement): content only; the machinery is ``checks._core``.

Expected values are computed with ``course_lib`` (``dataflow``, ``energy``, the device catalog).
"""
from __future__ import annotations

import math

from ..dataflow import batch_for_peak, input_tile_side, systolic_peak
from ..devices import get_device, ridge_point
from ..energy import dram_read_ratio, mac_energy, op_energy
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

_PEAK = systolic_peak(256, 256, 700e6)
_RIDGE = ridge_point("TPU v1")

q1 = NumberQuestion(
    name="q1", var="tpu_peak_ops", points=1,
    expected=_PEAK, unit="ops/s", significant=2,  # 9.2e13: the paper's 92 TOPS and 9.175e13 both round to it
    wrong_units={"MACs per second, not ops per second (a MAC is a multiply and an add: 2 ops)": 0.5,
                 "TOPS, not ops per second": 1e-12},
    hint_text="Every cell of the 256 x 256 array does one MAC per cycle; a MAC is 2 operations; 700 MHz is 700e6 cycles a second.",
    solution_text="`tpu_peak_ops = 2 * 256 * 256 * 700e6` = 9.175e13 ops/s, the paper's '92 TOPS' "
                  "(`cl.systolic_peak(256, 256, 700e6)`).",
    example_wrong=256 * 256 * 700e6,
)

_BATCH = batch_for_peak("TPU v1", 1)
_BANDWIDTH = get_device("TPU v1").mem_bandwidth
_BATCH_Q1_PEAK = math.ceil(_PEAK / _BANDWIDTH / 2)   # 1,350: q1's 91.75 TOPS instead of the catalog's 92
q2 = NumberQuestion(
    name="q2", var="batch_needed", points=2,
    expected=_BATCH, unit="inputs", rel_tol=1e-9,   # exactly: a whole batch
    mistakes={_BATCH_Q1_PEAK:
              f"that uses the array's own peak from q1 ({_PEAK / 1e12:.2f} TOPS, a ridge of {_PEAK / _BANDWIDTH:,.0f} "
              f"ops/byte); the question asks for the catalog's rounded {get_device('TPU v1').peak_flops / 1e12:g} TOPS "
              f"(ridge {_RIDGE:,.0f}), which needs {_BATCH - _BATCH_Q1_PEAK} more inputs.",
              round(_RIDGE): "that is the ridge point in ops per byte; each int8 weight byte gives 2 ops per input "
                             "of the batch, so the batch is half of it",
              _BATCH + 1: "one too many: take the smallest whole batch whose intensity reaches the ridge",
              _BATCH - 1: "one too few: at that batch the intensity is still below the ridge; round up, not down",
              round(_PEAK / _BANDWIDTH / 2): "that is the lesson's bandwidth shortfall at batch 1 with the array's own "
                                             "peak (1,349x); the question asks for the smallest whole batch at the "
                                             "catalog's rounded peak, and a batch must reach the ridge: round up",
              _RIDGE / 2: "a batch is a whole number of inputs: round up to the first batch that reaches the ridge.",
              2048: "that is the first batch the lesson's table shows compute bound, but the table only lists powers "
                    "of two: the smallest batch lies between 1,024 and 2,048"},
    hint_text="FC intensity on a weight-stationary array = 2 x batch / bytes_per_weight ops per weight byte. "
              "Set it equal to the ridge point of the catalog's 'TPU v1' (`cl.ridge_point`) and round up.",
    solution_text="ridge = 92e12 / 34e9 = 2,706 ops/byte; 2 x batch / 1 >= 2,706 gives batch >= 1,353 "
                  "(`cl.batch_for_peak('TPU v1')`).",
    example_wrong=round(_RIDGE),
)

q3 = NumberQuestion(
    name="q3", var="dram_vs_mac", points=1,
    expected=dram_read_ratio("fp32"), unit="MACs per DRAM read", significant=2,  # 140: the lesson's 139 and "about 140"
    mistakes={op_energy("DRAM read (32-bit)") / op_energy("fp32 mult"): "you compared with the multiply only; "
              "a MAC is a multiply and an add",
              op_energy("DRAM read (32-bit)") / op_energy("fp32 add"): "you compared with the add only; "
              "a MAC is a multiply and an add",
              op_energy("DRAM read (32-bit)") / op_energy("int32 add"): "that is the ratio to a 32-bit integer add, "
              "Han et al.'s 'relative cost' column, not to an fp32 MAC"},
    hint_text="One fp32 MAC = fp32 mult + fp32 add in the 45 nm table; divide a 32-bit DRAM read by it.",
    solution_text="640 / (3.7 + 0.9) = 139: one DRAM read costs as much as about 140 fp32 MACs "
                  "(`cl.dram_read_ratio('fp32')`).",
    example_wrong=640 / 3.7,
)


def _halo_ignoring_stride(out_tile, layers):
    return out_tile + sum(kernel - 1 for kernel, _ in layers)


q4 = FunctionQuestion(
    name="q4", var="input_side", points=2,
    reference=input_tile_side,
    cases=[(8, [(3, 1)]), (8, [(3, 1)] * 6), (1, []), (1, [(11, 4)]), (4, [(3, 1), (2, 2)]),
           (5, [(3, 2), (3, 1), (2, 2)]), (13, [(3, 1), (3, 1), (2, 2), (3, 1)]), (2, [(7, 2), (3, 2)])],
    hint_text="Walk the layers from the last to the first: a layer with kernel k and stride s turns t output "
              "pixels into (t - 1) * s + k input pixels.",
    solution_text="```python\ndef input_side(out_tile, layers):\n    side = out_tile\n"
                  "    for kernel, stride in reversed(layers):\n        side = (side - 1) * stride + kernel\n"
                  "    return side\n```",
    example_wrong=_halo_ignoring_stride,
)


def _energy_reference(macs, dram_words):
    # rounded to 1e-6 pJ (far inside rel_tol=1e-6 for every case) so feedback prints 4.6, not 4.6000000000000005
    return round(macs * mac_energy("fp32") + dram_words * op_energy("DRAM read (32-bit)"), 6)


def _energy_mult_only(macs, dram_words):
    return macs * op_energy("fp32 mult") + dram_words * op_energy("DRAM read (32-bit)")


q5 = FunctionQuestion(
    name="q5", var="layer_energy_pj", points=2,
    reference=_energy_reference, rel_tol=1e-6,
    cases=[(1, 0), (0, 1), (0, 0), (10, 10), (105_415_200, 154_587 + 34_944 + 290_400),
           (37_748_736, 37_752_832 + 9_216 + 4_096), (724_406_816, 0)],
    hint_text="In picojoules: MACs x (fp32 mult + fp32 add) + 32-bit DRAM words x 640 pJ. "
              "`cl.mac_energy('fp32')` and `cl.op_energy('DRAM read (32-bit)')` give the two prices.",
    solution_text="```python\ndef layer_energy_pj(macs, dram_words):\n    return macs * (3.7 + 0.9) + dram_words * 640\n```",
    example_wrong=_energy_mult_only,
)

q6 = ChoiceQuestion(
    name="q6", var="steep_drop", points=1,
    expected="b",
    choices={"a": "the halo disappears: from there on, one tile covers the whole image",
             "b": "the six layers' weights now fit beside the tiles, so they are read once instead of once per tile",
             "c": "the intermediate feature maps now fit on chip in full",
             "d": "DRAM bandwidth grows with the buffer size"},
    explanations={"a": "Not there: the tiles are still small just after the drop (see the `tile` column of the curve); "
                       "the halo shrinks slowly as the buffer grows further.",
                  "b": "Yes: just left of the drop the open markers mean weights streamed per tile; to the right the "
                       "filled markers mean weights kept on chip, and the drop comes just past the weights' size (the tiles need room too).",
                  "c": "The full maps are many MB, far beyond the buffer at the drop; only tiles live on chip.",
                  "d": "The model never changes DRAM; it counts bytes, and bandwidth does not enter the curve."},
    hint_text="Look at the markers on either side of the drop (open: weights streamed, filled: kept on chip) "
              "and at the dotted line.",
    solution_text="b: the drop is where the weights fit beside the tiles; before it they are re-read for every tile.",
    example_wrong="c",
)

q7 = ChoiceQuestion(
    name="q7", var="date_claim", points=2,
    expected="c",
    choices={"a": "Nothing: each tile still computes exactly the output it computed before, at no extra cost.",
             "b": "More DRAM traffic: it must move more bytes than processing layer by layer.",
             "c": "A different function near tile borders (each tile is padded as if it were a whole image), "
                  "so accuracy must be checked or the network retrained.",
             "d": "It then works only for fully connected layers, whose outputs have no borders."},
    explanations={"a": "B1 really does depend on A2 and A3 through the 3x3 windows at its border: cutting the "
                       "dependency changes those outputs.",
                  "c": "Yes: the lesson's exact schedules are layer by layer and fusion that recomputes the halo or "
                       "keeps it on chip; dropping the halo changes the network, which is the price of moving the least.",
                  "b": "No: without halos it moves the least of all (input once, output once).",
                  "d": "Tiling with halos is about convolutions' spatial windows; FC layers have no tiles in space."},
    hint_text="A 3x3 conv output pixel at the border of tile B1 needs input pixels from the neighbouring tiles. "
              "What happens to that pixel if the neighbours are not available?",
    solution_text="c: without the neighbours' pixels the border outputs are computed from padding instead, "
                  "so the network is changed; the exact way pays for a halo in traffic or recomputation.",
    example_wrong="a",
)

q8 = ChoiceQuestion(
    name="q8", var="cambricon_mistake", points=1,
    expected="b",
    choices={"a": "452 GOP/s is impossible for a chip of that time.",
             "b": "'485Mw' should be 485 mW (milliwatts).",
             "c": "GOP/s should be GFLOP/s: the chip computes in floating point.",
             "d": "Power (功耗) should be given in joules."},
    explanations={"a": "452 GOP/s is the figure Chen et al. reported for DianNao (ASPLOS 2014), the first "
                       "Cambricon design: plausible for a dedicated array.",
                  "b": "Yes: 0.485 W for 452 GOP/s is about 930 GOP/s per watt, about 1 pJ per operation, the "
                       "same order of magnitude as the 45 nm table's 16-bit operations (DianNao, the first chip of "
                       "the Cambricon team, was laid out in a 65 nm process, Chen et al., ASPLOS 2014); read as "
                       "written, 485 megawatts would be a power station, a billion times more.",
                  "c": "DianNao computes in 16-bit fixed point, so 'operations' is the right word.",
                  "d": "Power is energy per second, in watts; energy per operation would be in joules."},
    hint_text="Check the unit's letters: in SI, m is milli and M is mega, and w is not a unit at all.",
    solution_text="b: 485 mW. 0.485 W / 452e9 op/s is about 1.1 pJ per operation.",
    example_wrong="d",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total (the last cell of the exercise notebook)."""
    show_score(QUESTIONS)
