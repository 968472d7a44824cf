"""Targeted feedback of exercises 01-04 for answers fresh readers gave (issue 10, second round).

Expected answers are worked by hand here, not read from the check modules.
"""
import pytest

from course_lib.checks import ex01, ex02, ex03, ex04
from course_lib.checks._core import INCORRECT


@pytest.mark.parametrize("question, answer, words", [
    # (224 - 11)/4 + 1 = 54.25 -> 54: the paper's input, not this question's 227
    (ex01.q1, 54, "this question's input is 227"),
    # (224 - 11 + 2P)/4 + 1 = 55 gives P = 1.5 exactly, but padding is whole pixels
    (ex01.q6, 1.5, "padding is whole pixels"),
    # ResNet-50, batch 32, fp32, Adam: 4.0059 GB = 4,005,918,336 bytes = 3.73 GiB
    (ex02.q6, round(4_005_918_336 / 2 ** 30, 2), "GiB"),
    # fc2 with its bias counted as MACs: 2 x (4096 x 4096 + 4096) = 33,562,624
    (ex03.q3, 33_562_624, "bias"),
    # conv1 needs 1,092.7 GB/s; 56 channels x 19.2 = 1,075.2 GB/s is not enough
    (ex04.q4, 56, "fewest whole channels"),
])
def test_named_mistakes(question, answer, words):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and words in feedback.message


def test_ex03_q8_choice_uses_one_spelling_of_microseconds():
    assert "µs" in ex03.q8.choices["a"] and " us" not in ex03.q8.choices["a"]
