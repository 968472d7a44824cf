"""Exercise 07's questions: each passes its right answer, fails its known-wrong one; the stored solution is all correct."""
from pathlib import Path

import nbformat
import pytest

from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex07

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "07_accelerators.ipynb"
QUESTIONS = ex07.QUESTIONS
IDS = [q.name for q in QUESTIONS]


# Naming, example_right/example_wrong and blank answers are checked for every exercise
# module in tests/test_checks_core.py; this file checks what is particular to these questions.


@pytest.mark.parametrize("var, answer, expected", [
    ("tpu_peak_ops", 2 * 65_536 * 700e6, CORRECT),          # Jouppi et al.: 65,536 MACs at 700 MHz
    ("tpu_peak_ops", 92e12, CORRECT),                       # the paper's rounded "92 TOPS" (0.27% off) is accepted
    ("tpu_peak_ops", 2 * 65_536 * 1e9, INCORRECT),          # a 1 GHz clock
    ("batch_needed", 1353, CORRECT),                        # ceil(92e12 / 34e9 / 2)
    ("batch_needed", 1352, INCORRECT),
    ("dram_vs_mac", 640 / (3.7 + 0.9), CORRECT),            # Horowitz / Han et al.: 139
    ("dram_vs_mac", 140, CORRECT),                          # the lesson's "~140x" is within 1%
    ("dram_vs_mac", 142, INCORRECT),
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


def test_functions_checked_on_hidden_cases():
    q4, q5 = ex07.q4, ex07.q5

    def input_side(out_tile, layers):     # written independently of course_lib
        for kernel, stride in reversed(layers):
            out_tile = (out_tile - 1) * stride + kernel
        return out_tile

    def layer_energy_pj(macs, dram_words):
        return macs * 4.6 + dram_words * 640

    assert q4.evaluate({"input_side": input_side}).status == CORRECT
    assert q5.evaluate({"layer_energy_pj": layer_energy_pj}).status == CORRECT
    assert q5.evaluate({"layer_energy_pj": lambda m, w: m * 4.6 + w * 160}).status == INCORRECT  # per byte, not per word
    assert q4.evaluate({"input_side": lambda t, layers: None}).status == NOT_ATTEMPTED


def test_solution_notebook_is_stored_executed_and_all_correct():
    notebook = nbformat.read(SOLUTION, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    verdicts = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(verdicts) == len(QUESTIONS) and all("Correct" in v and "Incorrect" not in v for v in verdicts)
    text = "\n".join(c.source for c in code)
    assert text.count("### BEGIN SOLUTION") == text.count("### END SOLUTION") == len(QUESTIONS)
    assert "from course_lib.checks.ex07 import *" in code[0].source
