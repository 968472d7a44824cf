"""Exercise 09's questions: hand-worked answers pass, known-wrong ones fail and say why."""
from __future__ import annotations

import pytest

from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex09

IDS = [q.name for q in ex09.QUESTIONS]
N_7B = 6_738_415_616          # Llama-2-7B, Hugging Face config (notebook 08)
N_70B = 68_976_648_192        # Llama-2-70B, Hugging Face meta-llama/Llama-2-70b-hf


def test_questions_are_named_in_order_and_state_their_precision():
    assert [q.name for q in ex09.QUESTIONS] == [f"q{i}" for i in range(1, len(ex09.QUESTIONS) + 1)]
    assert 6 <= len(ex09.QUESTIONS) <= 8
    assert sum(q.points for q in ex09.QUESTIONS) == 14
    for q in ex09.QUESTIONS:
        assert q.name in ex09.__all__ and getattr(ex09, q.name) is q
        if hasattr(q, "decimals"):
            assert (q.decimals is None) != (q.significant is None), f"{q.name} states no precision"
    assert "score" in ex09.__all__ and callable(ex09.score)


@pytest.mark.parametrize("question", ex09.QUESTIONS, ids=IDS)
def test_example_wrong_fails_and_blank_is_not_attempted(question):
    assert question.evaluate({question.var: question.example_wrong}).status == INCORRECT
    assert question.evaluate({question.var: None}).status == NOT_ATTEMPTED


# Hand-worked answers, written as a learner would give them at the stated precision.
@pytest.mark.parametrize("question, answer", [
    (ex09.q1, 4_294_967_296),                    # 2 x 128 x 4096 x 4096
    (ex09.q2, 8.09e22),                          # 6 x 6.738e9 x 2e12 = 8.086e22, 3 significant figures
    (ex09.q4, 42.8),                             # 8.277e23 / (1,720,320 x 3600 x 312e12) = 0.4284
    (ex09.q5, 23.58),                            # 2 x 7/8 x 13.477 GB
    (ex09.q6, "d"),
    (ex09.q7, "b"),
    (ex09.q8, 37.4),                             # 26 + 14 x 13 / 16 = 37.375 GB
])
def test_hand_worked_answers_pass(question, answer):
    assert question.evaluate({question.var: answer}).status == CORRECT


@pytest.mark.parametrize("question, answer", [
    (ex09.q1, 4_294_967_295),
    (ex09.q2, 8.08e22),          # one unit off in the third figure
    (ex09.q4, 42.9),
    (ex09.q5, 23.60),
    (ex09.q8, 37.3),
])
def test_off_by_one_unit_at_the_stated_precision_fails(question, answer):
    assert question.evaluate({question.var: answer}).status == INCORRECT


@pytest.mark.parametrize("question, answer, words", [
    (ex09.q1, 128 * 4096 * 4096, "two"),                                   # the forward pass's size
    (ex09.q2, 2 * N_7B * 2e12, "forward pass alone"),                      # 2ND
    (ex09.q2, 6 * 7e9 * 2e12, "6,738,415,616"),                            # the name, not the count
    (ex09.q4, 0.428, "fraction"),
    (ex09.q4, 14.3, "2ND"),
    (ex09.q4, 21.4, "sparsity"),                                           # 624 TFLOP/s
    (ex09.q5, 13.48, "2 (n-1)/n"),                                         # the gradients once
    (ex09.q5, 47.17, "fp32"),
    (ex09.q8, 61.8, "stage 1"),                                            # 52 + 9.75
    (ex09.q8, 13.0, "stage 3"),
    (ex09.q8, 208.0, "data parallelism"),
    (ex09.q6, "a", "4,096"),
])
def test_natural_mistakes_say_why(question, answer, words):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and words in feedback.message, feedback.message


def test_function_question_hand_cases():
    def learner(total_flops, n_devices, peak_flops, mfu):
        return total_flops / (n_devices * peak_flops * mfu) / 86400
    assert ex09.q3.evaluate({"days_to_train": learner}).status == CORRECT
    # AlexNet: 4.69e17 FLOPs on two GTX 580s at 31% -> 5.54 days
    assert learner(4.69e17, 2, 1.581e12, 0.31) == pytest.approx(5.538, abs=1e-3)
    assert ex09.q3.evaluate({"days_to_train": lambda *a: learner(*a) * 24}).status == INCORRECT   # hours
    assert ex09.q3.evaluate({"days_to_train": lambda *a: None}).status == NOT_ATTEMPTED


def test_passage_and_plot_facts_by_hand():
    assert "2.8e22" in ex09.PASSAGE and "89,744 s" in ex09.PASSAGE      # 2.8e22 / (1000 x 312e12)
    # q6: at 8,192 tokens per GPU compute is 6 x N x 8192 / (312e12 x 0.4) = 2.65 s; the slowest all-reduce,
    # PCIe 3.0's 2 x 7/8 x 2N / 15.75e9 = 1.497 s, is shorter: no link bounds the step
    compute = 6 * N_7B * 8192 / (312e12 * 0.4)
    assert compute == pytest.approx(2.65, abs=0.01) and 2 * 7 / 8 * 2 * N_7B / 15.75e9 < compute
    assert ex09.Q6_TOKENS == 8192 and ex09._BOUND == []
