"""Exercises 02 and 03: every question passes its right answer and fails its known-wrong one,
and the expected values are the independently checked figures (COURSE.md, the seeds)."""
import re

import pytest

from course_lib.checks import ex02, ex03
from course_lib.checks._core import ChoiceQuestion, FunctionQuestion, NumberQuestion

QUESTIONS = [(m.__name__.rsplit(".", 1)[1], q) for m in (ex02, ex03) for q in m.QUESTIONS]
IDS = [f"{m}-{q.name}" for m, q in QUESTIONS]


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_right_answer_passes(module, q):
    assert q.evaluate({q.var: q.example_right}).correct


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_example_wrong_fails(module, q):
    feedback = q.evaluate({q.var: q.example_wrong})
    assert feedback.status == "incorrect", feedback


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_blank_is_not_attempted(module, q):
    assert q.evaluate({q.var: None}).status == "not attempted"
    assert q.evaluate({}).status == "not attempted"


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_content_is_complete(module, q):
    assert q.points >= 1 and q.hint_text and q.solution_text
    assert q.example_wrong is not None


@pytest.mark.parametrize("module", [ex02, ex03])
def test_names_and_kinds(module):
    names = [q.name for q in module.QUESTIONS]
    assert names == [f"q{i}" for i in range(1, len(names) + 1)] and 6 <= len(names) <= 8
    assert all(getattr(module, n) is q for n, q in zip(names, module.QUESTIONS))
    assert set(module.__all__) >= set(names)
    kinds = {type(q) for q in module.QUESTIONS}
    assert kinds == {NumberQuestion, FunctionQuestion, ChoiceQuestion}
    assert len({q.var for q in module.QUESTIONS}) == len(names)


# The checked figures (COURSE.md section 2 and 7, seeds/001), typed here by hand.
@pytest.mark.parametrize("q, expected", [
    (ex02.q1, 5 * 5 * 48 * 256 + 256),
    (ex02.q3, 243.860896),
    (ex02.q5, 138_357_544 * 0.5 / 1e6),
    (ex03.q1, 27 * 27 * 256 * 48 * 25),
    (ex03.q3, 2 * 4096 * 4096),
    (ex03.q5, 729_346_320),   # ptflops 0.7.5 on the 2012 AlexNet with its LRN layers (727,423,208 without)
    (ex03.q6, 154_587 * 290_400),
])
def test_expected_values_match_the_checked_figures(q, expected):
    assert q.expected == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("q, low, high", [(ex02.q4, 95.5, 96.5), (ex03.q4, 91.5, 92.5)])
def test_shares_are_about_96_and_92_percent(q, low, high):
    assert low < q.expected < high


@pytest.mark.parametrize("q, answer, words", [
    (ex02.q3, 243_860_896, "bytes"),          # bytes, not MB
    (ex02.q3, 243.860896 * 8, "megabits"),
    (ex02.q4, 0.9617, "fraction"),
    (ex02.q6, ex02.q6.expected * 1e9, "bytes"),
    (ex03.q3, 16_777_216, "MACs"),            # MACs, not FLOPs
    (ex03.q1, 447_897_600, "groups"),
    (ex03.q5, 725_066_088, "torchinfo"),
    (ex03.q5, 724_406_816, "MACs only"),
])
def test_wrong_units_and_known_mistakes_say_why(q, answer, words):
    feedback = q.evaluate({q.var: answer})
    assert feedback.status == "incorrect" and words in feedback.message


@pytest.mark.parametrize("q, cases", [
    (ex02.q2, [((3, 96, 11, 1), 34_944), ((96, 256, 5, 2), 307_456)]),
    (ex03.q2, [((55, 55, 3, 96, 11, 1), 105_415_200), ((27, 27, 96, 256, 5, 2), 223_948_800)]),
])
def test_function_references_give_the_seeds_values(q, cases):
    for args, expected in cases:
        assert q.reference(*args) == expected


def test_function_questions_report_a_crash_as_incorrect():
    def broken(*args):
        raise ZeroDivisionError("oops")
    for q in (ex02.q2, ex03.q2):
        assert q.evaluate({q.var: broken}).status == "incorrect"


def test_plot_questions_point_at_the_plot():
    # GTX 1080: largest batch 1,242 (AlexNet with its LRN layers, fp32, Adam): (8e9 - 4 x 243,860,896) bytes
    # / (1,413,347 elements x 4 bytes) per image
    assert ex02.q7.choices[ex02.q7.expected] == "batch 2048"
    assert ex03.q7.choices[ex03.q7.expected] == "conv2"        # 223,948,800 of 724,406,816 MACs
    assert re.search(r"1,242", ex02.q7.solution_text)
