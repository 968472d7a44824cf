"""Exercise 06's questions: each passes its right answer, fails its known-wrong one, and the expected
values agree with hand-worked ones; the stored solution notebook is all correct."""
import math
from pathlib import Path

import nbformat
import numpy as np
import pytest

import course_lib as cl
from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex06

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "06_compression.ipynb"
QUESTIONS = ex06.QUESTIONS
IDS = [q.name for q in QUESTIONS]


# Naming, example_right/example_wrong and blank answers are checked for every exercise
# module in tests/test_checks_core.py; this file checks what is particular to these questions.


def _numpy_rank16_error():
    s = np.linalg.svd(cl.synthetic_weights(**ex06.EXERCISE_W), compute_uv=False)
    return math.sqrt((s[16:] ** 2).sum() / (s ** 2).sum())


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
    ("best_at_16x", "a", CORRECT),
    ("best_at_16x", "A ", CORRECT),
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
    ("rank16_error", 53.6051, "per cent"),
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


def test_stored_solution_is_all_correct_and_has_no_errors():
    notebook = nbformat.read(SOLUTION, as_version=4)
    html = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs or "check()" not in cell.source, f"cell not executed: {cell.source[:60]}"
        for output in cell.outputs:
            assert output.output_type != "error", output
            html.append(output.get("data", {}).get("text/html", ""))
    for q in QUESTIONS:
        assert any(f"{q.name}: Correct" in h for h in html), q.name
    title = notebook.cells[0].source
    assert f"{len(QUESTIONS)} questions, {sum(q.points for q in QUESTIONS)} points" in title
