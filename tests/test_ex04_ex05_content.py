"""Exercises 04 and 05: every question passes an answer worked out by hand in this file and fails its
known-wrong one; the solution notebooks run and every answer in them is correct."""
import math
import re
from pathlib import Path

import nbformat
import pytest

from answers import assert_independent_answer, run_solution
from course_lib.checks import ex04, ex05
from course_lib.checks._core import CORRECT, INCORRECT, NOT_ATTEMPTED, ChoiceQuestion, NumberQuestion

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"04_time_and_bandwidth": ex04, "05_roofline": ex05}
QUESTIONS = [(stem, q) for stem, module in MODULES.items() for q in module.QUESTIONS]
IDS = [f"{stem[:2]}-{q.name}" for stem, q in QUESTIONS]


# The chip of "深度学习的最大短板原来是它!" (Huashang Daily, 4 Nov 2019): "V100的120TFLOPs" (NVIDIA's 2017
# launch figure for the V100's fp16 tensor cores), here with the
# V100's 900 GB/s HBM2 (NVIDIA V100 datasheet). AlexNet (2012) conv1 at its peak:
PEAK, HBM2 = 120e12, 900e9
CONV1_S = 2 * (55 * 55 * 96 * 3 * 11 * 11) / PEAK          # 2 x 105,415,200 / 120e12 = 1.7569 us
# GTX 1080: 2,560 CUDA cores x 1,733 MHz boost x 2 FLOP = 8.873 TFLOP/s; 320 GB/s GDDR5X (NVIDIA's spec page)
GTX_PEAK, GTX_BW = 2560 * 1733e6 * 2, 320e9
GTX_RIDGE = GTX_PEAK / GTX_BW                               # 27.728 FLOP/byte


def _keep_up_gbps(elements, bytes_per_element, macs, peak_flops):
    return elements * bytes_per_element / (2 * macs / peak_flops) / 1e9


def _attainable(peak_flops, bandwidth, intensity):
    return min(peak_flops, bandwidth * intensity)


def _matmul_intensity(n, bytes_per_element):
    return 2 * n ** 3 / (3 * n * n * bytes_per_element)     # 2n^3 FLOPs; A, B read and C written


def _intensity(flops, *elements, bytes_per_element=4):
    return flops / (sum(elements) * bytes_per_element)


# AlexNet's eight conv and FC layers on a GTX 1080 (fp32, batch 1): FLOPs over (input + params + output) x 4 B
LAYER_INTENSITY = {
    "conv1": _intensity(2 * 105_415_200, 3 * 227 * 227, 34_944, 96 * 55 * 55),     # 109.8
    "conv2": _intensity(2 * 223_948_800, 96 * 27 * 27, 307_456, 256 * 27 * 27),    # 198.5
    "conv3": _intensity(2 * 149_520_384, 256 * 13 * 13, 885_120, 384 * 13 * 13),   # 75.3
    "conv4": _intensity(2 * 112_140_288, 384 * 13 * 13, 663_936, 384 * 13 * 13),   # 70.6
    "conv5": _intensity(2 * 74_760_192, 384 * 13 * 13, 442_624, 256 * 13 * 13),    # 67.9
    "fc1": _intensity(2 * 9216 * 4096, 9216, 9216 * 4096 + 4096, 4096),            # 0.50
    "fc2": _intensity(2 * 4096 * 4096, 4096, 4096 * 4096 + 4096, 4096),            # 0.50
    "fc3": _intensity(2 * 4096 * 1000, 4096, 4096 * 1000 + 1000, 1000),            # 0.50
}
MEMORY_BOUND = sorted(name for name, oi in LAYER_INTENSITY.items() if oi < GTX_RIDGE)


def _fc1_intensity(batch):   # weights and biases read once, input and output once per image
    return 2 * batch * 9216 * 4096 / (4 * (9216 * batch + 9216 * 4096 + 4096 + 4096 * batch))


HAND_WORKED = [
    (ex04.q1, 2 * (27 * 27 * 256 * 48 * 5 * 5) / PEAK * 1e6, 1e-9),    # conv2, groups=2: 3.7325 us
    (ex04.q2, _keep_up_gbps, None),
    (ex04.q3, 55 * 55 * 96 * 2 / CONV1_S / 1e9, 1e-9),                  # 580,800 B / 1.7569 us = 330.6 GB/s
    (ex04.q4, math.ceil((3 * 227 * 227 + 34_944 + 55 * 55 * 96) * 4 / CONV1_S / 19.2e9), 0),
                                # 1,919,724 B / 1.7569 us = 1,092.7 GB/s over DDR4-2400's 2400 MT/s x 8 B = 56.9 -> 57
    (ex04.q5, 34_944 * 4 / CONV1_S / 1e9, 1e-9),                        # 79.56 GB/s, not the 79.34 of "深度学习的最大短板原来是它!" (Huashang Daily, 4 Nov 2019)
    (ex04.q6, "b", None),       # NVIDIA V100 datasheet: fp32 15.7 TFLOP/s, tensor (fp16) 125 TFLOP/s
    (ex04.q7, (55 * 55 * 96 + 27 * 27 * 96) * 4 / HBM2 * 1e6, 1e-9),    # 1,441,536 B / 900 GB/s = 1.6017 us
    (ex04.q8, "c", None),       # GTX 580 (2010) 1.581 TFLOP/s, 192.4 GB/s -> H200 (2023) 67 TFLOP/s fp32,
                                # 4.8 TB/s (NVIDIA spec page, H200 datasheet): compute x42, bandwidth x25
    (ex05.q1, GTX_RIDGE, 1e-5),    # 8.87296e12 / 320e9; the catalog takes the spec page's rounded 8.873 TFLOPS
    (ex05.q2, _attainable, None),
    (ex05.q3, _matmul_intensity, None),
    (ex05.q4, 2 * 4096 ** 2 / ((4096 ** 2 + 2 * 4096) * 2), 1e-9),     # 4096 / 4098 = 0.99951 FLOP/byte
    (ex05.q5, "b", None),       # MEMORY_BOUND: fc1, fc2, fc3 (about 0.5), every conv above 67
    (ex05.q6, next(b for b in range(1, 1000) if _fc1_intensity(b) >= GTX_RIDGE), 0),   # 57
    (ex05.q7, "b", None),       # Williams, Waterman, Patterson, "Roofline", CACM 52(4) 2009: the Xeon E5345's
                                # ridge 6.7 uses its sustained (measured) bandwidth, not the FSB's pin rate
    (ex05.q8, _attainable(GTX_PEAK, GTX_BW, 2 / (2 * 4)) / 1e9, 1e-9),  # dot product: 2 FLOPs per two fp32
                                # elements read, OI 1/4: min(8,873, 320 x 0.25) = 80 GFLOP/s
]


@pytest.mark.parametrize("question, answer, rel", HAND_WORKED, ids=lambda v: getattr(v, "name", ""))
def test_hand_worked_answer_passes(question, answer, rel):
    assert_independent_answer(question, answer, rel)


def test_every_question_has_a_hand_worked_answer():
    assert {id(q) for q, _, _ in HAND_WORKED} == {id(q) for _, q in QUESTIONS}


def test_hand_worked_reasons_of_the_choice_questions():
    assert MEMORY_BOUND == ["fc1", "fc2", "fc3"]
    assert min(LAYER_INTENSITY[f"conv{i}"] for i in range(1, 6)) > 67 > GTX_RIDGE
    assert 67e12 / 1.581e12 > 4.8e12 / 192.4e9           # compute grew 42x, bandwidth 25x


@pytest.mark.parametrize("function, case, expected", [
    (ex04.q2.reference, (154_587, 4, 105_415_200, 120e12), 351.95),   # conv1's input: the same article's 351.9 GB/s
    (ex04.q2.reference, (290_400, 4, 105_415_200, 120e12), 661.16),   # conv1's output: the article's 661.16
    (ex04.q2.reference, (1_000, 1, 500, 1e12), 1000.0),               # 1,000 B in 1 ns = 1e12 B/s
    (ex04.q2.reference, (0, 4, 10, 1e9), 0.0),
    (ex05.q2.reference, (8.873e12, 320e9, 0.25), 80e9),               # 320e9 x 0.25
    (ex05.q2.reference, (75e9, 10e9, 100.0), 75e9),                   # flat roof
    (ex05.q3.reference, (1024, 4), 2048 / 12),                        # 2n/(3b) = 170.67
    (ex05.q3.reference, (6, 4), 1.0),                                 # 12 / 12
])
def test_function_references_on_hand_worked_cases(function, case, expected):
    assert function(*case) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("stem, question", QUESTIONS, ids=IDS)
def test_example_wrong_fails(stem, question):
    assert question.example_wrong is not None
    assert question.evaluate({question.var: question.example_wrong}).status == INCORRECT


@pytest.mark.parametrize("stem, question", QUESTIONS, ids=IDS)
def test_blank_is_not_attempted(stem, question):
    assert question.evaluate({question.var: None}).status == NOT_ATTEMPTED
    assert question.evaluate({}).status == NOT_ATTEMPTED


@pytest.mark.parametrize("stem, question", QUESTIONS, ids=IDS)
def test_every_question_is_complete(stem, question):
    assert question.points >= 1 and question.hint_text and question.solution_text


@pytest.mark.parametrize("stem, module", MODULES.items())
def test_names_and_exports(stem, module):
    names = [q.name for q in module.QUESTIONS]
    assert names == [f"q{i}" for i in range(1, len(names) + 1)] and 6 <= len(names) <= 8
    assert all(getattr(module, n) is q for n, q in zip(names, module.QUESTIONS))
    assert set(names) <= set(module.__all__)
    kinds = {type(q).__name__ for q in module.QUESTIONS}
    assert kinds == {"NumberQuestion", "FunctionQuestion", "ChoiceQuestion"}


@pytest.mark.parametrize("question, answer, phrase", [
    (ex04.q1, ex04.q1.expected * 1e-3, "milliseconds"),
    (ex04.q1, ex04.q1.expected / 2, "MACs"),
    (ex04.q3, ex04.q3.expected * 1e9, "bytes/s"),
    (ex04.q5, 79.34, "article"),
    (ex04.q7, 290_400 / 120e12 * 1e6, "2.42 ns"),
    (ex05.q1, 28, "rounded"),
    (ex05.q8, ex05.q8.expected * 1e9, "FLOP/s, not GFLOP/s"),
])
def test_wrong_units_and_seed_mistakes_are_named(question, answer, phrase):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and phrase in feedback.message


@pytest.mark.parametrize("stem", MODULES)
def test_solution_notebook_runs_and_every_answer_is_correct(stem):
    path = ROOT / "solutions" / f"{stem}.ipynb"
    module = MODULES[stem]
    namespace = run_solution(path)
    for q in module.QUESTIONS:
        assert q.evaluate(namespace).status == CORRECT, (q.name, q.evaluate(namespace))


@pytest.mark.parametrize("stem", MODULES)
def test_solution_notebook_states_the_points_and_marks_every_answer(stem):
    notebook = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    module = MODULES[stem]
    title = notebook.cells[0].source
    total = sum(q.points for q in module.QUESTIONS)
    assert re.search(rf"\b{len(module.QUESTIONS)} questions, {total} points", title)
    sources = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert sources.count("### BEGIN SOLUTION") == sources.count("### END SOLUTION") == len(module.QUESTIONS)
    for q in module.QUESTIONS:
        assert f"{q.name}.check()" in sources
        points = f"**{q.name} ({q.points} point"
        assert any(points in c.source for c in notebook.cells if c.cell_type == "markdown")
