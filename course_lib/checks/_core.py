"""The generic checking machinery, written once (exercise modules ``exNN.py`` are pure content).

A question reads the learner's answer from the notebook's namespace (a variable or a
function the exercise names), compares it with an expected value computed by
``course_lib``, and returns ``Feedback``: correct, incorrect (with the reason written
for the student), or not attempted. ``check()`` shows that feedback as rich text in
Jupyter and plain text elsewhere; ``evaluate(namespace)`` returns it.

Judging is split in two so that a verdict never has to be trusted from the learner's kernel:

- ``report(namespace)`` runs where the answer lives (the notebook's kernel) and returns
  plain data only: the answer as an exact ``int``/``float``/``bool``/``str`` (lists of them
  for a function's outputs), or a marker saying what else it was;
- ``judge(report)`` runs anywhere (the grader runs it in its own process) and compares
  that data with the expected value, after checking the report's shape strictly.

``evaluate(namespace) = judge(report(namespace))``: ``q1.check()`` in a notebook and the
grader (``course_lib.grading``) take the same path. A forged report can at most claim an
answer the learner could have typed.
"""
from __future__ import annotations

import copy
import html
import math
import numbers
import os
import re
import sys
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable

__all__ = ["Feedback", "Question", "NumberQuestion", "FunctionQuestion", "ChoiceQuestion",
           "CORRECT", "INCORRECT", "NOT_ATTEMPTED", "score_table", "show_score",
           "report_answer", "report_calls", "kernel_report", "check_report", "ReportError", "Unreadable"]

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; shows well in Jupyter (markdown/HTML) and in a terminal (str)."""
    status: str
    message: str = ""
    question: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def _title(self):
        return {CORRECT: "Correct", INCORRECT: "Incorrect", NOT_ATTEMPTED: "Not attempted yet"}[self.status]

    def __str__(self):
        head = f"{self.question}: {self._title()}" if self.question else self._title()
        return f"{head}" + (f": {self.message}" if self.message else "")

    def _repr_html_(self):
        colour = {CORRECT: "#1a7f37", INCORRECT: "#cf222e", NOT_ATTEMPTED: "#9a6700"}[self.status]
        label = f"{self.question}: " if self.question else ""
        body = f" {_code_spans(html.escape(self.message))}" if self.message else ""
        return f'<p><span style="color:{colour};font-weight:bold">{label}{self._title()}</span>{body}</p>'


def _code_spans(escaped_text: str) -> str:
    """`name` in a message becomes <code>name</code> in HTML (the plain-text form keeps the backticks)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped_text)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return bool(shell) and type(shell).__name__ == "ZMQInteractiveShell"


def _show(obj):
    if _in_notebook():
        from IPython.display import display
        display(obj)
    else:
        print(obj)


class _Text:
    """Markdown in Jupyter, plain text in a terminal."""
    def __init__(self, title, text):
        self.title, self.text = title, text

    def __str__(self):
        return f"{self.title}: {self.text}"

    def _repr_markdown_(self):
        return f"**{self.title}:** {self.text}"


def _is_blank(value) -> bool:
    return value is None or value is Ellipsis


def _number(value) -> str:
    """A count as 105,415,200; anything else to 6 significant digits, and never shown as a whole number
    when it is not one (307,456.5, not 307,456: the learner must see the fraction that made it wrong)."""
    if float(value).is_integer() and abs(value) < 1e16:
        return f"{int(value):,}"
    whole_digits = len(f"{abs(value):.0f}") if abs(value) < 1e16 else 0
    return f"{value:,.{max(6, whole_digits + 2)}g}"


def _close(a: float, b: float, rel_tol: float, abs_tol: float = 0.0) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


# --- reports: what the kernel says about an answer, as plain data ------------------------------

MAX_TEXT = 10_000        # longest string answer kept as itself (longer: a marker)
MAX_ITEMS = 1_000        # longest list kept
MAX_DEPTH = 4            # deepest nesting of lists kept
MAX_FLOAT_BITS = 1_023   # an int with more bits has no float value (10**400 has 1,329)
_REPR_CHARS = 200        # what a marker or an exception message keeps of the text


class ReportError(ValueError):
    """A report that is not made of the plain values ``report_answer`` / ``report_calls`` produce."""


@dataclass(frozen=True)
class Unreadable:
    """An answer that is not a plain value (a subclass, an object, a huge int, NaN...): never right."""
    type_name: str
    text: str

    def __repr__(self):
        return self.text


def _type_name(value) -> str:
    return value.type_name if isinstance(value, Unreadable) else type(value).__name__


def _safe_text(value) -> str:
    """``repr(value)`` capped, or a placeholder when its ``__repr__`` misbehaves."""
    try:
        text = repr(value)
        if type(text) is not str:
            raise TypeError
    except BaseException:   # a learner's __repr__ may raise anything, SystemExit included
        return f"<{type(value).__name__} object>"
    return text[:_REPR_CHARS] + ("..." if len(text) > _REPR_CHARS else "")


def _marker(type_name: str, text: str) -> dict:
    return {"other": str(type_name)[:100], "text": str(text)[:_REPR_CHARS]}


def _plain(value, depth: int = 0):
    """``value`` as JSON-ready plain data: exact int/float/bool/str/None, lists of them, or a marker.

    Exact types only (``type(x) is int``): a subclass could answer ``float(x)`` or ``x == y``
    however it likes. NumPy scalars become Python ones with ``.item()``; tuples become lists.
    """
    kind = type(value)
    if value is None or value is Ellipsis:
        return None
    if kind is bool or kind is str and len(value) <= MAX_TEXT:
        return value
    if kind is int:
        if value.bit_length() <= MAX_FLOAT_BITS:
            return value
        return _marker("int", f"an integer of {value.bit_length():,} bits (too large for a float)")
    if kind is float:
        return value if math.isfinite(value) else _marker("float", repr(value))
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic) and kind.__module__ == "numpy":
        try:
            item = value.item()
        except Exception:
            item = None
        if type(item) in (bool, int, float, str):
            return _plain(item, depth)
    if kind in (list, tuple) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return [_plain(item, depth + 1) for item in value]
    if kind is str:
        return _marker("str", f"a string of {len(value):,} characters")
    return _marker(kind.__name__, _safe_text(value))


def report_answer(namespace: dict, var: str):
    """The report for a number or choice question: ``{"answer": plain value or marker}``."""
    return {"answer": _plain(namespace.get(var))}


def report_calls(namespace: dict, var: str, cases) -> dict:
    """The report for a function question: its outcome on each case, in order.

    ``{"calls": [{"value": v} or {"raised": "TypeName", "value_error": bool, "text": ...}, ...]}``;
    ``{"answer": ...}`` when ``var`` holds no function. Each call gets its own copy of the arguments.
    """
    function = namespace.get(var)
    if function is None or function is Ellipsis or not callable(function):
        return report_answer(namespace, var)
    calls = []
    for args in cases:
        try:
            calls.append({"value": _plain(function(*copy.deepcopy(tuple(args))))})
        except (Exception, SystemExit) as error:   # the learner's function may even call sys.exit()
            calls.append({"raised": type(error).__name__[:100], "value_error": isinstance(error, ValueError),
                          "text": _safe_text(str(error)) if _safe_str(error) else ""})
    return {"calls": calls}


def _safe_str(error) -> bool:
    try:
        return type(str(error)) is str
    except BaseException:
        return False


def kernel_report(namespace: dict, spec) -> str:
    """What the grader asks a kernel for: JSON text ``{name: report}`` for ``spec`` [(name, kind, var, cases)].

    ``kind`` is "function" (``report_calls`` on ``cases``) or anything else (``report_answer``).
    Runs in the learner's kernel: its result is data for ``Question.judge``, never a verdict.
    """
    reports = {}
    for name, kind, var, cases in spec:
        try:
            reports[name] = report_calls(namespace, var, cases) if kind == "function" else report_answer(namespace, var)
        except Exception as error:   # e.g. a namespace whose lookups raise
            reports[name] = {"answer": _marker(type(error).__name__, "the answer could not be read")}
    import json
    return json.dumps(reports, allow_nan=False)


def _checked_value(value, depth: int = 0):
    """A reported value, checked: exact plain types, finite floats, capped sizes; markers -> Unreadable."""
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is int and value.bit_length() <= MAX_FLOAT_BITS:
        return value
    if kind is float and math.isfinite(value):
        return value
    if kind is str and len(value) <= MAX_TEXT:
        return value
    if kind is list and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return [_checked_value(item, depth + 1) for item in value]
    if (kind is dict and set(value) == {"other", "text"} and type(value["other"]) is str
            and type(value["text"]) is str):
        return Unreadable(value["other"][:100], value["text"][:_REPR_CHARS])
    raise ReportError(f"not a plain value: {kind.__name__}")


def check_report(report) -> dict:
    """``report`` checked strictly (raise ReportError): ``{"answer": value}`` or ``{"calls": [...]}``."""
    if type(report) is not dict or len(report) != 1:
        raise ReportError("a report is a dict with one key, 'answer' or 'calls'")
    if "answer" in report:
        return {"answer": _checked_value(report["answer"])}
    calls = report.get("calls")
    if type(calls) is not list or len(calls) > MAX_ITEMS:
        raise ReportError("'calls' is not a list of outcomes")
    checked = []
    for call in calls:
        if type(call) is dict and set(call) == {"value"}:
            checked.append({"value": _checked_value(call["value"])})
        elif (type(call) is dict and set(call) == {"raised", "value_error", "text"}
              and type(call["raised"]) is str and type(call["value_error"]) is bool and type(call["text"]) is str):
            checked.append({"raised": call["raised"][:100], "value_error": call["value_error"],
                            "text": call["text"][:_REPR_CHARS]})
        else:
            raise ReportError("an outcome is neither a value nor an exception")
    return {"calls": checked}


@dataclass(repr=False)   # the default repr would print the expected answer
class Question:
    """One question: where its answer lives, its points, its hint and its solution text.

    Subclasses implement ``_judge(answer) -> Feedback``. ``example_wrong`` is a known-wrong
    answer the tests feed to the checker (it must fail); ``example_right`` a known-right
    one (it must pass; defaults to the expected value).
    """
    name: str
    var: str
    points: int = 1
    hint_text: str = ""
    solution_text: str = ""
    example_wrong: Any = None
    namespace: dict | None = field(default=None, repr=False)  # None: the notebook's (__main__)

    def __repr__(self):
        # what a learner sees on evaluating `q1` in a cell: how to use it, never the answer
        return (f"<{self.name} ({self.points} point{'s' * (self.points != 1)}): set `{self.var}`, then "
                f"{self.name}.check(); {self.name}.hint() and {self.name}.solution() help>")

    def _namespace(self):
        if self.namespace is not None:
            return self.namespace
        return vars(sys.modules["__main__"])

    def evaluate(self, namespace: dict | None = None) -> Feedback:
        """Judge the answer found under ``self.var`` in ``namespace`` (default: the notebook's)."""
        namespace = self._namespace() if namespace is None else namespace
        return self.judge(self.report(namespace))

    def report(self, namespace: dict) -> dict:
        """The answer under ``self.var`` as plain data (runs in the learner's kernel): see ``report_answer``."""
        return report_answer(namespace, self.var)

    def judge(self, report) -> Feedback:
        """The verdict on a report (runs anywhere: the grader runs it outside the learner's kernel)."""
        try:
            report = check_report(report)
        except ReportError as error:
            return Feedback(INCORRECT, f"the answer could not be read ({error})", self.name)
        if "answer" in report and report["answer"] is None:
            return Feedback(NOT_ATTEMPTED, f"set `{self.var}` and run the cell again", self.name)
        try:
            feedback = self._judge_report(report)
        except Exception as error:  # the checker must never crash on a learner's answer
            feedback = Feedback(INCORRECT, f"checking your answer raised {type(error).__name__}: {error}")
        return Feedback(feedback.status, feedback.message, self.name)

    def _judge_report(self, report: dict) -> Feedback:
        if "answer" not in report:
            return Feedback(INCORRECT, f"`{self.var}` should be a value, not a function")
        return self._judge(report["answer"])

    def score(self, namespace: dict | None = None) -> int:
        return self.points if self.evaluate(namespace).correct else 0

    def check(self):
        """Show whether the answer is right, and why not if it is not."""
        _show(self.evaluate())

    def autograder_test(self):
        """nbgrader's test cell for this question: raise ``AssertionError`` unless the answer is right.

        It raises while nbgrader grades or validates (nbgrader sets ``NBGRADER_EXECUTION``), and when
        ``COURSE_STRICT_TESTS`` is set (the course's own test run of solutions/). Elsewhere, a learner's
        "Run All" on an unfinished notebook is not stopped at the first test cell: the ``check()`` just
        above already showed the feedback. The course's grader never runs these cells.
        """
        feedback = self.evaluate()
        if not feedback.correct and (os.environ.get("NBGRADER_EXECUTION") or os.environ.get("COURSE_STRICT_TESTS")):
            raise AssertionError(str(feedback))

    def hint(self):
        _show(_Text(f"Hint ({self.name})", self.hint_text or "no hint for this one: reread the lesson's section."))

    def solution(self):
        _show(_Text(f"Solution ({self.name})", self.solution_text))

    @property
    def example_right(self):
        raise NotImplementedError

    def _judge(self, answer) -> Feedback:
        raise NotImplementedError


@dataclass(repr=False)   # the default repr would print the expected answer
class NumberQuestion(Question):
    """A numeric answer within ``rel_tol`` of ``expected`` (in ``unit``).

    ``wrong_units`` maps a description to a factor: an answer close to
    ``expected * factor`` gets "this looks like {description}" instead of a bare
    "incorrect", e.g. ``{"bytes, not MB": 1e6, "MACs, not FLOPs": 0.5}``.
    """
    expected: float = 0.0
    unit: str = ""
    rel_tol: float = 1e-3
    wrong_units: dict = field(default_factory=dict)
    mistakes: dict = field(default_factory=dict)  # a known wrong value -> what probably went wrong
    # The precision the question states ("to 1 decimal place", "to 3 significant figures"); when
    # set, it decides the tolerance: any answer that rounds to the expected value at that precision
    # is right (half a unit in the last place either side), and rel_tol is not used.
    decimals: int | None = None
    significant: int | None = None

    def __post_init__(self):
        if self.decimals is not None and self.significant is not None:
            raise ValueError(f"{self.name}: give decimals or significant, not both")

    @property
    def example_right(self):
        return self.expected

    @property
    def precision_text(self) -> str:
        """The precision the question asks for, in words (to quote in the question's text)."""
        if self.decimals is not None:
            return "a whole number" if self.decimals == 0 else \
                f"{self.decimals} decimal place{'s' if self.decimals != 1 else ''}"
        if self.significant is not None:
            return f"{self.significant} significant figure{'s' if self.significant != 1 else ''}"
        return "exactly" if self.rel_tol <= 1e-6 else f"within {self.rel_tol * 100:g}%"

    def _correct_text(self, answer, unit: str) -> str:
        """'27.7 FLOP/byte (to 1 decimal place)': the expected value at the stated precision
        (not the learner's 27.68); an exact count or a bare tolerance echoes the answer."""
        if self.decimals == 0 and float(self.expected).is_integer():
            return f"{_number(self.expected)}{unit}"      # an exact count, as it is
        if self.decimals is not None:
            text = "a whole number" if self.decimals == 0 else f"to {self.precision_text}"
            shown = f"{round(self.expected, self.decimals):,.{max(self.decimals, 0)}f}"
        elif self.significant is not None and self.expected != 0:
            text = f"to {self.precision_text}"
            rounded = round(self.expected, self.significant - 1 - math.floor(math.log10(abs(self.expected))))
            if abs(rounded) >= 1e15:
                shown = f"{rounded:.{self.significant - 1}e}"
            else:   # places from the rounded value: 0.99993 to 3 figures is 1.00, not 1.000
                shown = f"{rounded:,.{max(self.significant - 1 - math.floor(math.log10(abs(rounded))), 0)}f}"
        else:
            return f"{_number(answer)}{unit}"
        return f"{shown}{unit}, {text}" if unit.endswith(")") else f"{shown}{unit} ({text})"

    def _matches(self, answer: float, target: float) -> bool:
        """Whether ``answer`` agrees with ``target`` at the question's precision: it rounds to what ``target``
        rounds to (42.78 and 42.84 both give 42.8), or it lies within half a unit of ``target`` (42.86)."""
        if self.decimals is not None:
            places = self.decimals
        elif self.significant is not None:
            if target == 0:
                return answer == 0
            places = self.significant - 1 - math.floor(math.log10(abs(target)))
        else:
            return _close(answer, target, self.rel_tol)
        if not math.isfinite(answer):
            return False
        half_unit = 0.5 * 10.0 ** -places
        if abs(answer - target) <= half_unit * (1 + 1e-9):   # 1e-9: a rounded answer on the edge passes
            return True
        try:
            return _round_half_up(answer, places) == _round_half_up(target, places)
        except InvalidOperation:     # far too many digits to round there: not the same value anyway
            return False

    def _judge(self, answer):
        if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
            return Feedback(INCORRECT, f"`{self.var}` should be a number, got {_type_name(answer)} {answer!r}")
        unit = f" {self.unit}" if self.unit else ""
        if self._matches(answer, self.expected):
            return Feedback(CORRECT, self._correct_text(answer, unit))
        for description, factor in self.wrong_units.items():
            if self._matches(answer, self.expected * factor):
                return Feedback(INCORRECT, f"{_number(answer)} looks like the answer in {description}: "
                                           f"the question asks for {self.unit.strip('()') or 'a plain number'}.")
        for wrong_value, reason in self.mistakes.items():
            if self._matches(answer, wrong_value):
                return Feedback(INCORRECT, f"{_number(answer)}: {reason}")
        if self.decimals is not None or self.significant is not None:
            closeness = f"does not round to the expected value at {self.precision_text}"
        elif self.rel_tol <= 1e-6:
            closeness = "is not the expected value"
        else:
            closeness = f"is not within {self.rel_tol * 100:g}% of the expected value"
        return Feedback(INCORRECT, f"{_number(answer)}{unit} {closeness}; {self.name}.hint() may help")


def _round_half_up(value: float, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimal places (negative: tens, hundreds...), halves away from zero, as a
    learner rounds by hand (Python's round() would take 2.675 to 2.67: its binary float is just under)."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(repr=False)   # the default repr would print the expected answer
class FunctionQuestion(Question):
    """The learner writes a function; it is called on hidden ``cases`` and compared with ``reference``.

    ``cases`` is a list of argument tuples; ``reference`` the course's own function.
    A case where the reference raises ValueError expects the learner's to raise it too
    (only when ``check_errors`` is true). An exception in the learner's function is
    reported, never raised.
    """
    reference: Callable | None = None
    cases: list = field(default_factory=list)
    rel_tol: float = 1e-9
    check_errors: bool = False

    @property
    def example_right(self):
        return self.reference

    def report(self, namespace: dict) -> dict:
        """The function's outcome on each hidden case (runs in the learner's kernel): see ``report_calls``."""
        return report_calls(namespace, self.var, self.cases)

    def expected_outcomes(self) -> list:
        """(``"value"``, expected) or (``"raises"``, None) for each case, from ``reference``; computed once."""
        if getattr(self, "_expected_cache", None) is None:
            outcomes = []
            for args in self.cases:
                try:
                    outcomes.append(("value", self.reference(*copy.deepcopy(tuple(args)))))
                except ValueError:
                    outcomes.append(("raises", None))
            self._expected_cache = (list(self.cases), outcomes)
        cases, outcomes = self._expected_cache
        if cases != list(self.cases):       # the cases were edited since: compute again
            self._expected_cache = None
            return self.expected_outcomes()
        return outcomes

    def _judge_report(self, report: dict) -> Feedback:
        if "answer" in report:
            return Feedback(INCORRECT, f"`{self.var}` should be a function, got {_type_name(report['answer'])}")
        calls = report["calls"]
        if len(calls) != len(self.cases):
            return Feedback(INCORRECT, f"the report has {len(calls)} outcome(s) for {len(self.cases)} case(s)")
        judged_one = False
        for args, (kind, expected), call in zip(self.cases, self.expected_outcomes(), calls):
            args = tuple(args)
            if kind == "raises":
                if not self.check_errors or call.get("value_error"):
                    continue
                if "raised" in call:
                    return Feedback(INCORRECT, f"{self.var}{args} should raise ValueError (the input is invalid), "
                                               f"but raised {call['raised']}")
                if call["value"] is None:
                    return Feedback(NOT_ATTEMPTED, f"`{self.var}` returns None: write its body")
                return Feedback(INCORRECT, f"{self.var}{args} should raise ValueError (the input is invalid), "
                                           f"but returned {call['value']!r}")
            if "raised" in call:
                message = f": {call['text']}" if call["text"] else ""
                return Feedback(INCORRECT, f"{self.var}{args} raised {call['raised']}{message}")
            got = call["value"]
            if not judged_one and got is None:
                return Feedback(NOT_ATTEMPTED, f"`{self.var}` returns None: write its body")
            judged_one = True
            if not _equal(got, expected, self.rel_tol):
                return Feedback(INCORRECT, f"{self.var}{args} returned {got!r}, expected {expected!r}")
        return Feedback(CORRECT, f"all {len(self.cases)} hidden cases pass")


def _equal(got, expected, rel_tol):
    if isinstance(expected, numbers.Integral) and not isinstance(expected, bool):
        # a count: 55 or 55.0, never 55.000000000001 (a float that only rounds to the count)
        return (isinstance(got, numbers.Real) and not isinstance(got, bool)
                and float(got).is_integer() and int(got) == int(expected))
    if isinstance(expected, numbers.Real) and not isinstance(expected, bool):
        return isinstance(got, numbers.Real) and not isinstance(got, bool) and _close(got, expected, rel_tol, 1e-12)
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_equal(g, e, rel_tol) for g, e in zip(got, expected)))
    # same type first: an object whose __eq__ always says True must not pass
    return isinstance(got, type(expected)) and got == expected


@dataclass(repr=False)   # the default repr would print the expected answer
class ChoiceQuestion(Question):
    """Pick one of ``choices`` (a dict letter -> text); ``explanations`` says why a wrong pick is wrong."""
    expected: str = ""
    choices: dict = field(default_factory=dict)
    explanations: dict = field(default_factory=dict)

    @property
    def example_right(self):
        return self.expected

    def _judge(self, answer):
        # "d", " D ", "(d)" and "d." all name the same option
        letter = answer.strip().strip("().").strip().lower() if isinstance(answer, str) else None
        if letter not in self.choices:
            return Feedback(INCORRECT, f"`{self.var}` should be one of {', '.join(map(repr, self.choices))}, got {answer!r}")
        answer = letter
        if answer == self.expected:
            return Feedback(CORRECT, self.explanations.get(answer, ""))
        return Feedback(INCORRECT, self.explanations.get(answer, f"{answer!r} is not the best choice"))


def score_table(questions, namespace: dict | None = None) -> list[tuple[str, str, int, int]]:
    """(question, status, points earned, points) for each question, judged in ``namespace``."""
    rows = []
    for question in questions:
        feedback = question.evaluate(namespace)
        rows.append((question.name, feedback.status, question.points if feedback.correct else 0, question.points))
    return rows


class _ScoreCard:
    """Each question's status and the total; rich text in Jupyter, plain text elsewhere."""
    def __init__(self, rows):
        self.rows = rows
        self.earned = sum(row[2] for row in rows)
        self.total = sum(row[3] for row in rows)

    def __str__(self):
        lines = [f"{name}: {status} ({earned}/{points})" for name, status, earned, points in self.rows]
        return "\n".join(lines + [f"Total: {self.earned} / {self.total} points"])

    def _repr_markdown_(self):
        lines = ["| question | status | points |", "|---|---|---|"]
        lines += [f"| {name} | {status} | {earned} / {points} |" for name, status, earned, points in self.rows]
        return "\n".join(lines + ["", f"**Total: {self.earned} / {self.total} points**"])


def show_score(questions, namespace: dict | None = None):
    """Show each question's status and the total: the last cell of every exercise notebook.

    This is the learner's own count; the grader judges the answers again, outside the notebook.
    """
    _show(_ScoreCard(score_table(questions, namespace)))
