"""Exercise 08's questions: each passes its right answer and fails its known-wrong one."""
from __future__ import annotations

import pytest

from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex08

IDS = [q.name for q in ex08.QUESTIONS]


def test_questions_are_named_in_order_and_exported():
    assert [q.name for q in ex08.QUESTIONS] == [f"q{i}" for i in range(1, len(ex08.QUESTIONS) + 1)]
    assert 6 <= len(ex08.QUESTIONS) <= 8
    for q in ex08.QUESTIONS:
        assert q.name in ex08.__all__ and getattr(ex08, q.name) is q
        assert q.points >= 1 and q.hint_text and q.solution_text and q.example_wrong is not None


@pytest.mark.parametrize("question", ex08.QUESTIONS, ids=IDS)
def test_right_answer_passes(question):
    assert question.evaluate({question.var: question.example_right}).status == CORRECT


@pytest.mark.parametrize("question", ex08.QUESTIONS, ids=IDS)
def test_example_wrong_fails(question):
    assert question.evaluate({question.var: question.example_wrong}).status == INCORRECT


@pytest.mark.parametrize("question", ex08.QUESTIONS, ids=IDS)
def test_blank_is_not_attempted(question):
    assert question.evaluate({question.var: None}).status == NOT_ATTEMPTED


# Hand-worked answers, independent of the code that computes the expected values.
@pytest.mark.parametrize("question, answer", [
    (ex08.q1, 7_087_872),                       # 2*768 + 768*2304+2304 + 768*768+768 + 2*768 + 768*3072+3072 + 3072*768+768
    (ex08.q2, 2 * 32 * 32 * 128 * 2 * 4096 * 8 / 1e9),   # 17.18 GB
    (ex08.q4, 1.0),                             # ~1 FLOP per byte
    (ex08.q5, ((6_738_415_616 - 32000 * 4096) * 2 + 2 ** 31) / 4.8e12 * 1e3),  # ~3.2 ms
    (ex08.q6, "b"),
    (ex08.q7, "c"),
    (ex08.q8, 59),                              # floor((141e9 - 2*6,738,415,616) / 2^31)
])
def test_hand_worked_answers_pass(question, answer):
    assert question.evaluate({question.var: answer}).status == CORRECT


@pytest.mark.parametrize("question, answer, words", [
    (ex08.q2, 16.0, "GiB"),
    (ex08.q2, 17.179869184e9, "bytes"),
    (ex08.q2, 2 * 32 * 32 * 128 * 2 * 4096 * 8 / 1e9 / 2, "keys"),
    (ex08.q5, 3.2e-3, "seconds"),
    (ex08.q8, 65, "weights"),
    (ex08.q1, 12 * 768 ** 2, "bias"),
])
def test_wrong_units_and_mistakes_say_why(question, answer, words):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and words in feedback.message


def test_function_question_hand_cases():
    def learner(n_layers, n_kv_heads, head_dim, bytes_per_element):
        return 2 * n_layers * n_kv_heads * head_dim * bytes_per_element
    assert ex08.q3.evaluate({"kv_bytes_per_token": learner}).status == CORRECT
    assert ex08.q3.evaluate({"kv_bytes_per_token": lambda *a: None}).status == NOT_ATTEMPTED
    assert ex08.q3.evaluate({"kv_bytes_per_token": 524288}).status == INCORRECT
