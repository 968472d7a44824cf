"""Exercise 06's questions: each passes an answer worked out in this file (by hand, or with NumPy
written here) and fails its known-wrong one; the solution notebook runs and every answer is correct."""
import math
from pathlib import Path

import nbformat
import numpy as np
import pytest

import course_lib as cl
from answers import assert_independent_answer, run_solution
from hand import alexnet_time_s
from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex06

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "06_compression.ipynb"
QUESTIONS = ex06.QUESTIONS
IDS = [q.name for q in QUESTIONS]


# Naming, example_wrong and blank answers are checked for every exercise module in
# tests/test_checks_core.py (example_right there too, only as a smoke test: it is the expected value
# fed back); this file gives each question an independent answer and checks what is particular to it.


def _numpy_rank16_error():
    s = np.linalg.svd(cl.synthetic_weights(**ex06.EXERCISE_W), compute_uv=False)
    return math.sqrt((s[16:] ** 2).sum() / (s ** 2).sum())


# The exercise's matrix is built with singular values s_k = k^-0.5, k = 1..64; by Eckart-Young the
# rank-16 relative error is sqrt(sum_{k=17..64} 1/k / sum_{k=1..64} 1/k) = 0.536051 (53.6051 in per cent).
RANK16_ERROR = math.sqrt(sum(1 / k for k in range(17, 65)) / sum(1 / k for k in range(1, 65)))


def _bwn_error(values):
    """XNOR-Net's BWN (Rastegari et al., ECCV 2016): alpha = mean|w|, w_hat = alpha * sign(w), sign(0) = +1."""
    w = np.asarray(values, dtype=float)
    w_hat = np.abs(w).mean() * np.where(w >= 0, 1.0, -1.0)
    return float(np.linalg.norm(w - w_hat) / np.linalg.norm(w))


# q8: AlexNet (2012) layer by layer on a GTX 1080 (8.873e12 FLOP/s, 320e9 B/s), activations in fp32,
# weights 4 bytes before and 1 byte after (tests/hand.py writes the layers out)
INT8_SPEEDUP = alexnet_time_s(8.873e12, 320e9, weight_bytes=4) / alexnet_time_s(8.873e12, 320e9, weight_bytes=1)


def _magnitude_pruning_error(W, sparsity):
    kept = np.abs(W) >= np.quantile(np.abs(W), sparsity)
    return float(np.linalg.norm(W * ~kept) / np.linalg.norm(W))


def _uniform_error(W, bits):   # symmetric uniform levels -(2^(b-1)-1) ... 2^(b-1)-1, scale max|w|
    step = np.abs(W).max() / (2 ** (bits - 1) - 1)
    return float(np.linalg.norm(W - np.round(W / step) * step) / np.linalg.norm(W))


def _ternary_error(W):          # TWN (Li et al. 2016): threshold 0.7 mean|w|, alpha = mean of the kept |w|
    big = np.abs(W) > 0.7 * np.abs(W).mean()
    alpha = np.abs(W[big]).mean()
    return float(np.linalg.norm(W - alpha * np.sign(W) * big) / np.linalg.norm(W))


HAND_WORKED = [
    (ex06.q1, 128 * (9216 + 4096), 1e-12),      # two thin matrices, 9216 x 128 and 128 x 4096: 1,703,936
    (ex06.q2, RANK16_ERROR, 1e-6),
    (ex06.q3, _bwn_error, None),
    (ex06.q4, 1 - 1 / 3, 1e-12),                # sparse int8: 1 B value + 2 B index = 3 B a kept weight,
                                                # dense 1 B: equal at density 1/3, sparsity 2/3
    (ex06.q5, 384 * 96 + 9 * 96 * 64 + 64 * 256 + 256, 1e-12),   # 36,864 + 55,296 + 16,384 + 256 = 108,800
    (ex06.q6, "d", None),                       # test_ternary_is_best_near_16x below
    (ex06.q7, "b", None),                       # Han et al., "Learning both Weights and Connections for
                                                # Efficient Neural Networks", NIPS 2015: connections, not nodes
    (ex06.q8, INT8_SPEEDUP, 1e-9),              # 2.535: fc layers 4x faster, conv layers unchanged
]


@pytest.mark.parametrize("question, answer, rel", HAND_WORKED, ids=lambda v: getattr(v, "name", ""))
def test_hand_worked_answer_passes(question, answer, rel):
    assert_independent_answer(question, answer, rel)


def test_every_question_has_a_hand_worked_answer():
    assert [q for q, _, _ in HAND_WORKED] == QUESTIONS


def test_ternary_is_best_near_16x():
    """q6: on PLOT_W's 256 x 512 matrix (s_k = k^-0.5), between 10x and 25x smaller than dense fp32."""
    m, n = 256, 512
    assert ex06.PLOT_W["decay"] == 0.5
    spectrum = [k ** -1.0 for k in range(1, 257)]          # s_k^2 for s_k = k^-0.5
    # rank r stores r (m + n) fp32 numbers: rank 8 is 21.3x, rank 16 is 10.7x smaller than m n
    low_rank = {r: math.sqrt(sum(spectrum[r:]) / sum(spectrum)) for r in (8, 16) if 10 < m * n / (r * (m + n)) < 25}
    assert set(low_rank) == {8, 16} and min(low_rank.values()) > 0.6     # a slow spectrum: little to cut
    W = cl.synthetic_weights(**ex06.PLOT_W)
    others = {
        "pruning 95% (each kept fp32 value + a 16-bit index: 13.3x)": _magnitude_pruning_error(W, 0.95),
        "uniform 3 bits (10.7x)": _uniform_error(W, 3),
        "uniform 2 bits (16x)": _uniform_error(W, 2),
        **{f"rank {r}": e for r, e in low_rank.items()},
    }
    ternary = _ternary_error(W)                              # 16x: 2 bits a weight
    assert ternary < min(others.values()) - 0.05, (ternary, others)   # clearly lowest: readable on the plot


@pytest.mark.parametrize("var, answer, expected", [
    ("fc1_rank128_weights", 128 * (9216 + 4096), CORRECT),               # 1,703,936 by hand
    ("fc1_rank128_weights", 1_703_936 + 4096, INCORRECT),                # with the biases
    ("rank16_error", _numpy_rank16_error(), CORRECT),                     # NumPy's SVD, Eckart-Young
    ("rank16_error", math.sqrt(sum(k ** -1.0 for k in range(17, 65)) / sum(k ** -1.0 for k in range(1, 65))),
     CORRECT),                                                            # the built spectrum s_k = k^-0.5
    ("int8_break_even_sparsity", 2 / 3, CORRECT),                         # 3 bytes sparse vs 1 dense
    ("int8_break_even_sparsity", 66.67, INCORRECT),                       # per cent
    ("tucker_params", 384 * 96 + 9 * 96 * 64 + 64 * 256 + 256, CORRECT),  # 108,800 by hand
    ("tucker_params", 384 * 96 + 9 * 96 * 64 + 64 * 256, INCORRECT),
    ("best_at_16x", "d", CORRECT),
    ("best_at_16x", "D ", CORRECT),
    ("seed_pruning_mistake", "b", CORRECT),
    ("int8_speedup", 1.0, INCORRECT),
])
def test_answers_against_hand_worked_values(var, answer, expected):
    question = next(q for q in QUESTIONS if q.var == var)
    assert question.evaluate({var: answer}).status == expected


@pytest.mark.parametrize("var, answer, phrase", [
    ("fc1_rank128_weights", 9216 * 4096, "dense fc1"),
    ("int8_break_even_sparsity", 1 / 3, "break-even density"),
    ("tucker_params", 9 * 96 * 64 + 256, "core alone"),
    ("int8_speedup", 4.0, "ratio of the weight bytes"),
    ("rank16_error", 100 * RANK16_ERROR, "per cent"),         # 53.6051: the fraction 0.536051 in per cent
])
def test_known_mistakes_get_a_reason(var, answer, phrase):
    question = next(q for q in QUESTIONS if q.var == var)
    feedback = question.evaluate({var: answer})
    assert feedback.status == INCORRECT and phrase in feedback.message


def test_int8_speedup_from_the_parts():
    """Only the FC layers are memory bound at batch 1 on a GTX 1080; their time falls as their bytes do."""
    net = cl.zoo.alexnet_original()
    before = cl.roofline(net, "GTX 1080")
    after = cl.roofline(cl.quantize(net, 8), "GTX 1080")
    device = cl.get_device("GTX 1080")
    fc1_in, fc1_weights, fc1_out = 9216 * 4, (9216 * 4096 + 4096) * 1, 4096 * 4   # bytes, int8 weights
    fc1 = after.set_index("name").loc["fc1", "time_s"]
    assert fc1 == pytest.approx((fc1_in + fc1_weights + fc1_out) / device.mem_bandwidth)
    speedup = before["time_s"].sum() / after["time_s"].sum()
    assert ex06.q8.evaluate({"int8_speedup": speedup}).correct
    assert 1 < speedup < 4


def test_bwn_function_cases_by_hand():
    # [0.5, -1.5, 2.0, 0.0]: alpha = 1, w_hat = [1, -1, 1, 1]; error = sqrt(0.25+0.25+1+1)/sqrt(6.5)
    assert ex06.q3.reference([0.5, -1.5, 2.0, 0.0]) == pytest.approx(math.sqrt(2.5 / 6.5))
    assert ex06.q3.reference([1.0, 1.0, 1.0]) == 0.0


def test_solution_notebook_runs_and_every_answer_is_correct():
    namespace = run_solution(SOLUTION)
    for q in QUESTIONS:
        assert q.evaluate(namespace).status == CORRECT, (q.name, q.evaluate(namespace))


def test_solution_notebook_states_the_points():
    notebook = nbformat.read(SOLUTION, as_version=4)
    title = notebook.cells[0].source
    assert f"{len(QUESTIONS)} questions, {sum(q.points for q in QUESTIONS)} points" in title
