"""The checking machinery (course_lib/checks/_core.py), and every exercise's checks built on it."""
import importlib
import pkgutil
import re

import pytest

import course_lib.checks as checks
from course_lib.checks import (CORRECT, INCORRECT, NOT_ATTEMPTED, ChoiceQuestion, Feedback, FunctionQuestion,
                               NumberQuestion)


# --- NumberQuestion ---------------------------------------------------------------------------

@pytest.fixture
def bytes_question():
    return NumberQuestion("q1", "weight_mb", points=2, expected=243.86, unit="MB", rel_tol=1e-3,
                          wrong_units={"bytes, not MB": 1e6, "MiB, not MB": 1 / 1.048576},
                          mistakes={60.97: "that is the parameter count in millions, not megabytes"},
                          example_wrong=60.97)


@pytest.mark.parametrize("answer", [243.86, 243.86 * (1 + 0.9e-3), 243.86 * (1 - 0.9e-3), 243.86 + 0.0])
def test_number_within_tolerance_passes(bytes_question, answer):
    assert bytes_question.evaluate({"weight_mb": answer}).status == CORRECT
    assert bytes_question.score({"weight_mb": answer}) == 2


@pytest.mark.parametrize("answer", [243.86 * 1.0011, 243.86 * 0.9989, 0, -243.86, 1e30])
def test_number_outside_tolerance_fails(bytes_question, answer):
    feedback = bytes_question.evaluate({"weight_mb": answer})
    assert feedback.status == INCORRECT
    assert bytes_question.score({"weight_mb": answer}) == 0


def test_wrong_units_message_names_the_unit(bytes_question):
    feedback = bytes_question.evaluate({"weight_mb": 243.86e6})
    assert feedback.status == INCORRECT
    assert "bytes, not MB" in feedback.message and "MB" in feedback.message


def test_mistakes_message(bytes_question):
    feedback = bytes_question.evaluate({"weight_mb": 60.97})
    assert feedback.status == INCORRECT
    assert "parameter count" in feedback.message


@pytest.mark.parametrize("answer", ["243.86", True, [243.86], {"mb": 243.86}])
def test_number_of_the_wrong_type_is_incorrect_not_a_crash(bytes_question, answer):
    feedback = bytes_question.evaluate({"weight_mb": answer})
    assert feedback.status == INCORRECT
    assert "number" in feedback.message


@pytest.mark.parametrize("namespace", [{}, {"weight_mb": None}, {"weight_mb": ...}, {"other": 243.86}])
def test_number_blank_is_not_attempted(bytes_question, namespace):
    feedback = bytes_question.evaluate(namespace)
    assert feedback.status == NOT_ATTEMPTED
    assert "weight_mb" in feedback.message
    assert bytes_question.score(namespace) == 0


def test_numpy_numbers_are_numbers(bytes_question):
    np = pytest.importorskip("numpy")
    assert bytes_question.evaluate({"weight_mb": np.float64(243.86)}).correct


# --- FunctionQuestion ---------------------------------------------------------------------------

def _conv(size, kernel, stride=1, padding=0):
    if kernel > size + 2 * padding:
        raise ValueError("kernel larger than the padded input")
    return (size - kernel + 2 * padding) // stride + 1


@pytest.fixture
def function_question():
    return FunctionQuestion("q2", "conv_out", reference=_conv,
                            cases=[(227, 11, 4, 0), (27, 5, 1, 2), (13, 3, 1, 1), (7, 9, 1, 0)],
                            example_wrong=lambda s, k, st=1, p=0: (s - k) // st + 1)  # forgets the padding


def test_function_right_on_every_hidden_case_passes(function_question):
    feedback = function_question.evaluate({"conv_out": _conv})
    assert feedback.status == CORRECT
    assert "hidden cases pass" in feedback.message   # the ValueError case is skipped without check_errors


def test_function_wrong_on_a_later_hidden_case_fails(function_question):
    def right_only_for_conv1(size, kernel, stride=1, padding=0):
        return 55
    feedback = function_question.evaluate({"conv_out": right_only_for_conv1})
    assert feedback.status == INCORRECT
    assert "(27, 5, 1, 2)" in feedback.message and "expected 27" in feedback.message


def test_function_example_wrong_fails(function_question):
    feedback = function_question.evaluate({"conv_out": function_question.example_wrong})
    assert feedback.status == INCORRECT and "(27, 5, 1, 2)" in feedback.message


def test_exception_in_learners_function_is_reported_not_raised(function_question):
    def broken(size, kernel, stride=1, padding=0):
        return size / 0
    feedback = function_question.evaluate({"conv_out": broken})
    assert feedback.status == INCORRECT
    assert "ZeroDivisionError" in feedback.message


def test_function_returning_none_is_not_attempted(function_question):
    def blank(size, kernel, stride=1, padding=0):
        ...  # YOUR CODE HERE
    assert function_question.evaluate({"conv_out": blank}).status == NOT_ATTEMPTED


def test_not_a_function_is_incorrect(function_question):
    feedback = function_question.evaluate({"conv_out": 55})
    assert feedback.status == INCORRECT and "function" in feedback.message


def test_check_errors_wants_the_valueerror():
    question = FunctionQuestion("q1", "f", reference=_conv, cases=[(227, 11, 4, 0), (7, 9, 1, 0)], check_errors=True)
    assert question.evaluate({"f": _conv}).correct
    silent = lambda size, kernel, stride=1, padding=0: max(0, (size - kernel + 2 * padding) // stride + 1)
    feedback = question.evaluate({"f": silent})
    assert feedback.status == INCORRECT and "ValueError" in feedback.message


def test_blank_function_is_not_attempted_even_when_the_first_case_is_an_error_case():
    question = FunctionQuestion("q1", "f", reference=_conv, cases=[(7, 9, 1, 0), (227, 11, 4, 0)], check_errors=True)
    def blank(size, kernel, stride=1, padding=0):
        ...
    assert question.evaluate({"f": blank}).status == NOT_ATTEMPTED


class _AgreesWithEverything:
    def __eq__(self, other):
        return True


def test_an_object_equal_to_everything_does_not_pass():
    question = FunctionQuestion("q1", "name", reference=lambda layer: f"conv{layer}", cases=[(1,), (2,)])
    feedback = question.evaluate({"name": lambda layer: _AgreesWithEverything()})
    assert feedback.status == INCORRECT


def test_tuple_answers_compare_elementwise():
    question = FunctionQuestion("q1", "shape", reference=lambda c: (c, 13, 13), cases=[(256,), (384,)])
    assert question.evaluate({"shape": lambda c: [c, 13, 13]}).correct
    assert not question.evaluate({"shape": lambda c: (c, 13)}).correct
    assert not question.evaluate({"shape": lambda c: (c, 13, 14)}).correct


# --- ChoiceQuestion -----------------------------------------------------------------------------

@pytest.fixture
def choice_question():
    return ChoiceQuestion("q3", "bound", expected="b", choices={"a": "compute", "b": "memory"},
                          explanations={"a": "FC layers at batch 1 read each weight once per MAC",
                                        "b": "an FC layer at batch 1 has an intensity of about 0.5"},
                          example_wrong="a")


@pytest.mark.parametrize("answer", ["b", "B", " b "])
def test_choice_right(choice_question, answer):
    feedback = choice_question.evaluate({"bound": answer})
    assert feedback.correct and "intensity" in feedback.message


def test_choice_wrong_explains(choice_question):
    feedback = choice_question.evaluate({"bound": "a"})
    assert feedback.status == INCORRECT and "once per MAC" in feedback.message


@pytest.mark.parametrize("answer", ["c", "memory", 2])
def test_choice_not_a_choice(choice_question, answer):
    feedback = choice_question.evaluate({"bound": answer})
    assert feedback.status == INCORRECT and "'a'" in feedback.message


# --- Feedback and what check() shows -------------------------------------------------------------

@pytest.mark.parametrize("status, title", [(CORRECT, "Correct"), (INCORRECT, "Incorrect"),
                                           (NOT_ATTEMPTED, "Not attempted yet")])
def test_feedback_renders_html_and_text(status, title):
    feedback = Feedback(status, "x < 2 & y", "q4")
    assert str(feedback) == f"q4: {title}: x < 2 & y"
    html = feedback._repr_html_()
    assert f"q4: {title}" in html and "x &lt; 2 &amp; y" in html and "<p>" in html


def test_check_prints_plain_text_outside_jupyter(capsys, bytes_question):
    bytes_question.namespace = {"weight_mb": 243.86e6}
    bytes_question.check()
    out = capsys.readouterr().out
    assert out.startswith("q1: Incorrect: ") and "bytes, not MB" in out and "<" not in out
    bytes_question.namespace = {"weight_mb": 243.86}
    bytes_question.check()
    assert capsys.readouterr().out.startswith("q1: Correct")


def test_hint_and_solution_print_plain_text(capsys):
    question = NumberQuestion("q1", "x", expected=1, hint_text="read section 2", solution_text="`x = 1`")
    question.hint()
    question.solution()
    out = capsys.readouterr().out
    assert "Hint (q1): read section 2" in out and "Solution (q1): `x = 1`" in out


def test_checker_bug_is_reported_not_raised():
    class Broken(NumberQuestion):
        def _judge(self, answer):
            raise RuntimeError("oops")
    feedback = Broken("q1", "x", expected=1).evaluate({"x": 1})
    assert feedback.status == INCORRECT and "RuntimeError" in feedback.message


# --- every exercise's checks, generically ------------------------------------------------------

EXERCISE_MODULES = sorted(name for _, name, _ in pkgutil.iter_modules(checks.__path__) if re.fullmatch(r"ex\d\d", name))


def _questions():
    params = []
    for name in EXERCISE_MODULES:
        module = importlib.import_module(f"course_lib.checks.{name}")
        params += [pytest.param(q, id=f"{name}.{q.name}") for q in module.QUESTIONS]
    return params or [pytest.param(None, marks=pytest.mark.skip(reason="no course_lib/checks/exNN.py yet"))]


QUESTIONS = _questions()


@pytest.mark.parametrize("module_name", EXERCISE_MODULES or
                         [pytest.param(None, marks=pytest.mark.skip(reason="no course_lib/checks/exNN.py yet"))])
def test_exercise_module_names_questions_in_order(module_name):
    module = importlib.import_module(f"course_lib.checks.{module_name}")
    names = [q.name for q in module.QUESTIONS]
    assert names, "an exercise module needs at least one question"
    assert names == [f"q{i}" for i in range(1, len(names) + 1)]
    for q in module.QUESTIONS:
        assert q.name in module.__all__ and getattr(module, q.name) is q
    assert len({q.var for q in module.QUESTIONS}) == len(names), "two questions read the same variable"


@pytest.mark.parametrize("question", QUESTIONS)
def test_example_right_passes(question):
    feedback = question.evaluate({question.var: question.example_right})
    assert feedback.status == CORRECT, str(feedback)


@pytest.mark.parametrize("question", QUESTIONS)
def test_example_wrong_fails(question):
    assert question.example_wrong is not None, f"{question.name} needs an example_wrong"
    feedback = question.evaluate({question.var: question.example_wrong})
    assert feedback.status == INCORRECT, str(feedback)
    assert feedback.message, "a wrong answer deserves a reason"


@pytest.mark.parametrize("question", QUESTIONS)
def test_empty_namespace_is_not_attempted(question):
    assert question.evaluate({}).status == NOT_ATTEMPTED


@pytest.mark.parametrize("question", QUESTIONS)
def test_points_hint_and_solution(question):
    assert isinstance(question.points, int) and question.points > 0
    assert question.hint_text.strip() and question.solution_text.strip()


# --- a stated precision decides the tolerance ---------------------------------------------------

@pytest.mark.parametrize("answer, status", [
    (91.9, "correct"),      # 91.94 to 1 decimal place
    (91.94, "correct"),
    (91.99, "correct"),     # 0.05 from 91.94: still rounds within half a unit
    (92.0, "incorrect"),    # 0.06 away: "92.0" is a different 1-decimal answer
    (91.8, "incorrect"),
    (91.86, "correct"),     # 0.08 away, but it rounds to 91.9 as 91.94 does: "any answer that rounds to it"
    (91.85, "correct"),     # rounds half up to 91.9 (a hand's rounding, not the float's 91.8499...)
    (91.84, "incorrect"),   # rounds to 91.8
    (1e30, "incorrect"),    # too many digits to round at one decimal: not the value, and no crash
])
def test_decimals_accept_what_rounds_to_the_expected_value(answer, status):
    question = NumberQuestion(name="q", var="x", expected=91.94, decimals=1)
    assert question.evaluate({"x": answer}).status == status


@pytest.mark.parametrize("answer, status", [(1400, "correct"), (1350, "correct"), (1300, "incorrect"),
                                            (1449, "correct"),     # rounds to 1,400 too (a reader's 42.78 case)
                                            (1450, "incorrect")])  # rounds half up to 1,500
def test_significant_figures_set_the_tolerance(answer, status):
    # 1,357.7 to 2 significant figures is 1,400; half a unit in that place is 50
    question = NumberQuestion(name="q", var="x", expected=1357.7, significant=2)
    assert question.evaluate({"x": answer}).status == status


def test_decimals_and_significant_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        NumberQuestion(name="q", var="x", expected=1.0, decimals=1, significant=2)


def test_score_table_counts_points_of_correct_answers_only():
    from course_lib.checks import score_table
    questions = [NumberQuestion(name="q1", var="a", expected=2, points=2),
                 NumberQuestion(name="q2", var="b", expected=3, points=1)]
    rows = score_table(questions, {"a": 2, "b": 4})
    assert [(name, earned, points) for name, _, earned, points in rows] == [("q1", 2, 2), ("q2", 0, 1)]


# --- report (in the kernel) and judge (anywhere): evaluate = judge(report) ---------------------------

from course_lib.checks._core import ReportError, check_report, kernel_report  # noqa: E402


class _Sneaky(int):
    """An int whose float() and == say whatever the checker wants to hear."""
    def __float__(self):
        return 243.86

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("answer, reported", [
    (55, 55), (2.5, 2.5), (True, True), ("b", "b"), (None, None), (..., None), ((1, (2, 3)), [1, [2, 3]]),
    (10 ** 400, {"other": "int", "text": "an integer of 1,329 bits (too large for a float)"}),
    (float("nan"), {"other": "float", "text": "nan"}), (float("-inf"), {"other": "float", "text": "-inf"}),
    (_Sneaky(1), {"other": "_Sneaky", "text": "1"}), ({"a": 1}, {"other": "dict", "text": "{'a': 1}"}),
])
def test_report_is_plain_data(answer, reported):
    assert NumberQuestion("q1", "x", expected=1).report({"x": answer}) == {"answer": reported}


def test_report_of_numpy_scalars_is_python_numbers():
    np = pytest.importorskip("numpy")
    report = NumberQuestion("q1", "x", expected=1).report({"x": np.int64(7)})
    assert report == {"answer": 7} and type(report["answer"]) is int


@pytest.mark.parametrize("answer", [_Sneaky(1), 10 ** 400, float("nan")])
def test_subclasses_and_unrepresentable_numbers_are_incorrect(bytes_question, answer):
    feedback = bytes_question.evaluate({"weight_mb": answer})
    assert feedback.status == INCORRECT and "should be a number" in feedback.message


def test_function_report_lists_each_cases_outcome(function_question):
    def half_right(size, kernel, stride=1, padding=0):
        if padding:
            raise ZeroDivisionError("no padding here")
        return (size - kernel) // stride + 1
    report = function_question.report({"conv_out": half_right})
    # (227 - 11) // 4 + 1 = 55; the second case has padding 2; (13 - 3) // 1 + 1 = 11 ... padding 1;
    # (7 - 9) // 1 + 1 = -1 for the too-large kernel
    assert report == {"calls": [{"value": 55},
                                {"raised": "ZeroDivisionError", "value_error": False, "text": "'no padding here'"},
                                {"raised": "ZeroDivisionError", "value_error": False, "text": "'no padding here'"},
                                {"value": -1}]}
    assert function_question.judge(report).status == INCORRECT


def test_function_cannot_change_the_hidden_cases():
    question = FunctionQuestion("q1", "f", reference=len, cases=[([1, 2, 3],)])
    def greedy(values):
        values.clear()
        return 3
    assert question.evaluate({"f": greedy}).correct
    assert question.cases == [([1, 2, 3],)]


@pytest.mark.parametrize("report", [
    {"answer": 243.86, "earned": 2}, {"answer": [243.86] * 2000}, {"answer": {"other": "x"}}, {"calls": "all"},
    {"answer": float("nan")}, {"answer": _Sneaky(1)}, {"answer": 10 ** 400}, [243.86], "correct", None,
    {"calls": [{"value": 1, "status": "correct"}]}, {"answer": [[[[[[1]]]]]]},
])
def test_check_report_rejects_anything_but_plain_data(report):
    with pytest.raises(ReportError):
        check_report(report)


def test_judge_of_a_forged_report_is_never_a_crash_nor_correct(bytes_question):
    for report in ({"answer": 243.86, "earned": 2}, "correct", None, {"status": "correct"}):
        feedback = bytes_question.judge(report)
        assert feedback.status == INCORRECT and "could not be read" in feedback.message
    assert bytes_question.judge({"calls": [{"value": 243.86}]}).status == INCORRECT   # a function's report


def test_judge_of_a_plain_report_gives_the_same_verdict_as_evaluate(bytes_question):
    assert bytes_question.judge({"answer": 243.86}).correct
    assert bytes_question.judge({"answer": 243.86e6}) == bytes_question.evaluate({"weight_mb": 243.86e6})


def test_kernel_report_is_json_text_for_the_spec():
    import json
    text = kernel_report({"side": 55, "f": lambda x: 2 * x}, [("q1", "value", "side", []),
                                                             ("q2", "function", "f", [(1,), (5,)])])
    assert json.loads(text) == {"q1": {"answer": 55}, "q2": {"calls": [{"value": 2}, {"value": 10}]}}


@pytest.mark.parametrize("returned, status", [(55, "correct"), (55.0, "correct"), (55 + 1e-12, "incorrect"),
                                              (54.9999999999, "incorrect")])
def test_a_count_returned_by_a_function_must_be_whole(returned, status):
    """Where the reference returns an int, an answer that is only within a tolerance of it is wrong."""
    question = FunctionQuestion(name="q", var="f", reference=lambda: 55, cases=[()])
    assert question.evaluate({"f": lambda: returned}).status == status


# A correct answer is echoed as the expected value at the question's precision, not as typed.
@pytest.mark.parametrize("fields, answer, message", [
    (dict(expected=27.7186, unit="FLOP/byte", decimals=1), 27.68, "27.7 FLOP/byte (to 1 decimal place)"),
    (dict(expected=1234.5678, unit="MB", decimals=2), 1234.571, "1,234.57 MB (to 2 decimal places)"),
    (dict(expected=96.1715, unit="%", decimals=0), 96.4, "96 % (a whole number)"),
    (dict(expected=6.0, unit="images", decimals=0), 6.4, "6 images"),
    (dict(expected=0.0123456, unit="s", significant=3), 0.01236, "0.0123 s (to 3 significant figures)"),
    (dict(expected=61_100_840.0, significant=2), 6.1e7, "61,000,000 (to 2 significant figures)"),
    (dict(expected=105_415_200, unit="MACs", rel_tol=1e-9), 105_415_200, "105,415,200 MACs"),
    (dict(expected=4_294_967_296, unit="MACs", decimals=0), 4_294_967_296, "4,294,967,296 MACs"),
    (dict(expected=0.999931, significant=3), 0.99993, "1.00 (to 3 significant figures)"),
    (dict(expected=8.0861e22, unit="FLOPs", significant=3), 8.09e22, "8.09e+22 FLOPs (to 3 significant figures)"),
    (dict(expected=0.536051, unit="(a fraction)", significant=3), 0.536, "0.536 (a fraction), to 3 significant figures"),
])
def test_correct_number_echoes_the_expected_value_at_the_stated_precision(fields, answer, message):
    question = NumberQuestion(name="q1", var="x", **fields)
    feedback = question.evaluate({"x": answer})
    assert feedback.status == CORRECT and feedback.message == message
