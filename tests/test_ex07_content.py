"""Exercise 07's questions: each passes an answer worked out in this file and fails its known-wrong one;
the solution notebook runs and every answer in it is correct."""
import math
from pathlib import Path

import nbformat
import pytest

import course_lib as cl
from answers import assert_independent_answer, run_solution
from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex07

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "07_accelerators.ipynb"
QUESTIONS = ex07.QUESTIONS
IDS = [q.name for q in QUESTIONS]


# Naming, example_wrong and blank answers are checked for every exercise module in
# tests/test_checks_core.py (example_right there too, only as a smoke test: it is the expected value
# fed back); this file gives each question an independent answer and checks what is particular to it.


def _input_side(out_tile, layers):     # written independently of course_lib
    for kernel, stride in reversed(layers):
        out_tile = (out_tile - 1) * stride + kernel
    return out_tile


def _layer_energy_pj(macs, dram_words):
    return macs * (3.7 + 0.9) + dram_words * 640   # fp32 mult + fp32 add; a 32-bit DRAM read


# VGG-16's first six layers (conv1_1, conv1_2, pool1, conv2_1, conv2_2, pool2) in int8: their weights
# and biases, 1 byte each, against one 64 x 224 x 224 map (Simonyan & Zisserman, ICLR 2015).
VGG6_WEIGHT_BYTES = (9 * 3 * 64 + 64) + (9 * 64 * 64 + 64) + (9 * 64 * 128 + 128) + (9 * 128 * 128 + 128)  # 260,160
VGG_MAP_BYTES = 64 * 224 * 224                                                                              # 3,211,264

HAND_WORKED = [
    (ex07.q1, 2 * 256 * 256 * 700e6, 1e-12),     # Jouppi et al., ISCA 2017: 65,536 MACs at 700 MHz, "92 TOPS"
    (ex07.q2, math.ceil(92e12 / 34e9 / 2), 0),   # ridge 92 TOPS / 34 GB/s = 2,706 ops per weight byte; an int8
                                                 # weight gives 2 ops per input of the batch: 1,353
    (ex07.q3, 640 / (3.7 + 0.9), 1e-12),         # Horowitz, ISSCC 2014 (45 nm): DRAM read 640 pJ, fp32 mult
                                                 # 3.7 pJ + add 0.9 pJ: 139
    (ex07.q4, _input_side, None),
    (ex07.q5, _layer_energy_pj, None),
    (ex07.q6, "b", None),                        # test_the_drop_is_where_the_weights_fit below
    (ex07.q7, "c", None),                        # without the neighbours' pixels a tile's border is computed
                                                 # from padding: a different function, not a free saving
    (ex07.q8, "b", None),                        # Chen et al., DianNao, ASPLOS 2014: 452 GOP/s at 485 mW
]


@pytest.mark.parametrize("question, answer, rel", HAND_WORKED, ids=lambda v: getattr(v, "name", ""))
def test_hand_worked_answer_passes(question, answer, rel):
    assert_independent_answer(question, answer, rel)


def test_every_question_has_a_hand_worked_answer():
    assert [q for q, _, _ in HAND_WORKED] == QUESTIONS


@pytest.mark.parametrize("function, case, expected", [
    (ex07.q4.reference, (8, [(3, 1)]), 10),                      # (8 - 1) x 1 + 3
    (ex07.q4.reference, (8, [(3, 1)] * 6), 20),                  # six 3x3 layers add a 2-pixel halo each
    (ex07.q4.reference, (1, [(11, 4)]), 11),
    (ex07.q4.reference, (2, [(7, 2), (3, 2)]), 15),              # (2 - 1) x 2 + 3 = 5, then (5 - 1) x 2 + 7
    (ex07.q5.reference, (105_415_200, 154_587 + 34_944 + 290_400), 105_415_200 * 4.6 + 479_931 * 640),
    (ex07.q5.reference, (724_406_816, 0), 724_406_816 * 4.6),
])
def test_function_references_on_hand_worked_cases(function, case, expected):
    assert function(*case) == pytest.approx(expected, rel=1e-9)


def test_the_drop_is_where_the_weights_fit():
    """q6: the fused curve's steepest step is where 260,160 B of int8 weights fit beside the tiles, far
    below one 3.2 MB feature map (so not 'the maps fit', answer c)."""
    buffers = [1024 * 2 ** (k / 2) for k in range(0, 31)]
    curve = cl.traffic_curve(cl.zoo.vgg16(), buffers, layers=6, bytes_per_element=1).dropna(subset=["fused_bytes"])
    ratios = curve["fused_bytes"].shift(1) / curve["fused_bytes"]
    step = ratios.idxmax()
    assert ratios[step] > 10
    assert curve.loc[step, "buffer_bytes"] > VGG6_WEIGHT_BYTES > curve["buffer_bytes"].shift(1)[step] / 2
    assert curve.loc[step, "buffer_bytes"] < VGG_MAP_BYTES / 4


@pytest.mark.parametrize("var, answer, expected", [
    ("tpu_peak_ops", 2 * 65_536 * 700e6, CORRECT),          # Jouppi et al.: 65,536 MACs at 700 MHz
    ("tpu_peak_ops", 92e12, CORRECT),                       # the paper's rounded "92 TOPS" (0.27% off) is accepted
    ("tpu_peak_ops", 2 * 65_536 * 1e9, INCORRECT),          # a 1 GHz clock
    ("batch_needed", 1353, CORRECT),                        # ceil(92e12 / 34e9 / 2)
    ("batch_needed", 1352, INCORRECT),
    ("dram_vs_mac", 640 / (3.7 + 0.9), CORRECT),            # Horowitz / Han et al.: 139
    ("dram_vs_mac", 140, CORRECT),                          # the lesson's "~140x" is within 1%
    ("dram_vs_mac", 142, CORRECT),                          # stated to 2 significant figures: within 5 of 139.1 passes
    ("dram_vs_mac", 146, INCORRECT),
    ("dram_vs_mac", 6400, INCORRECT),                       # relative to an int add
])
def test_numbers_against_hand_worked_values(var, answer, expected):
    question = next(q for q in QUESTIONS if q.var == var)
    assert question.evaluate({var: answer}).status == expected


@pytest.mark.parametrize("var, answer, phrase", [
    ("tpu_peak_ops", 65_536 * 700e6, "MACs per second"),
    ("tpu_peak_ops", 91.75, "TOPS"),
    ("batch_needed", 2706, "ridge point"),
    ("dram_vs_mac", 640 / 3.7, "multiply only"),
])
def test_likely_mistakes_get_a_specific_message(var, answer, phrase):
    question = next(q for q in QUESTIONS if q.var == var)
    assert phrase in question.evaluate({var: answer}).message


def test_solution_notebook_runs_and_every_answer_is_correct():
    namespace = run_solution(SOLUTION)
    for q in QUESTIONS:
        assert q.evaluate(namespace).status == CORRECT, (q.name, q.evaluate(namespace))


def test_solution_notebook_marks_every_answer():
    code = [c for c in nbformat.read(SOLUTION, as_version=4).cells if c.cell_type == "code"]
    text = "\n".join(c.source for c in code)
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") == len(QUESTIONS)
    assert "from course_lib.checks.ex07 import *" in code[0].source


def test_wrong_functions_fail():
    assert ex07.q5.evaluate({"layer_energy_pj": lambda m, w: m * 4.6 + w * 160}).status == INCORRECT  # per byte
    assert ex07.q4.evaluate({"input_side": lambda t, layers: None}).status == NOT_ATTEMPTED
