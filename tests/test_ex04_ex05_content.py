"""Exercises 04 and 05: every question passes its right answer and fails its known-wrong one."""
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.checks import ex04, ex05
from course_lib.checks._core import CORRECT, INCORRECT, NOT_ATTEMPTED, ChoiceQuestion, NumberQuestion

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"04_time_and_bandwidth": ex04, "05_roofline": ex05}
QUESTIONS = [(stem, q) for stem, module in MODULES.items() for q in module.QUESTIONS]
IDS = [f"{stem[:2]}-{q.name}" for stem, q in QUESTIONS]


@pytest.mark.parametrize("stem, question", QUESTIONS, ids=IDS)
def test_right_answer_passes(stem, question):
    assert question.evaluate({question.var: question.example_right}).status == CORRECT


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
    (ex04.q5, 79.34, "seed"),
    (ex04.q7, 290_400 / 120e12 * 1e6, "2.42 ns"),
    (ex05.q1, 28, "rounded"),
    (ex05.q8, ex05.q8.expected * 1e9, "FLOP/s, not GFLOP/s"),
])
def test_wrong_units_and_seed_mistakes_are_named(question, answer, phrase):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and phrase in feedback.message


# Independent references for the expected values (hand-worked from the seeds and datasheets).
@pytest.mark.parametrize("question, expected, rel", [
    (ex04.q1, 2 * 27 * 27 * 256 * 48 * 25 / 120e12 * 1e6, 1e-9),   # conv2: groups=2 -> 48 input channels
    (ex04.q3, 290_400 * 2 / (2 * 105_415_200 / 120e12) / 1e9, 1e-9),
    (ex04.q4, 57, 0),                                                # (351.95 + 79.56 + 661.16) / 19.2 = 56.9
    (ex04.q5, 79.6, 1e-3),
    (ex04.q7, (290_400 + 27 * 27 * 96) * 4 / 900e9 * 1e6, 1e-9),
    (ex05.q1, 8.873e12 / 320e9, 1e-9),
    (ex05.q4, 2 * 4096 ** 2 / ((4096 ** 2 + 2 * 4096) * 2), 1e-9),
    (ex05.q8, 320 / 4, 1e-9),
])
def test_expected_values_against_hand_work(question, expected, rel):
    assert question.expected == pytest.approx(expected, rel=rel)


def test_fc1_batch_against_the_closed_form():
    # fc1 at batch B: 2 B 9216 4096 FLOPs over 4 (9216 B + 9216 x 4096 + 4096 + 4096 B) bytes >= ridge
    ridge = 8.873e12 / 320e9
    batch = next(b for b in range(1, 1000)
                 if 2 * b * 9216 * 4096 / (4 * (9216 * b + 9216 * 4096 + 4096 + 4096 * b)) >= ridge)
    assert ex05.q6.expected == batch


@pytest.mark.parametrize("stem", MODULES)
def test_solution_notebook_is_stored_executed_and_all_correct(stem):
    notebook = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    module = MODULES[stem]
    title = notebook.cells[0].source
    total = sum(q.points for q in module.QUESTIONS)
    assert re.search(rf"\b{len(module.QUESTIONS)} questions, {total} points", title)
    verdicts = [o["data"]["text/html"] for c in notebook.cells if c.cell_type == "code"
                for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert len(verdicts) == len(module.QUESTIONS)
    assert all("Correct" in v and "Incorrect" not in v for v in verdicts)
    sources = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert sources.count("### BEGIN SOLUTION") == sources.count("### END SOLUTION") == len(module.QUESTIONS)
    for q in module.QUESTIONS:
        assert f"{q.name}.check()" in sources
        points = f"**{q.name} ({q.points} point"
        assert any(points in c.source for c in notebook.cells if c.cell_type == "markdown")
