"""Instant feedback for the exercise notebooks: ``from course_lib.checks.ex01 import *`` binds q1, q2, ...

The machinery lives in ``_core``; each ``exNN`` module is content only: a list
``QUESTIONS`` of questions whose expected values are computed with ``course_lib``.
"""
from ._core import (CORRECT, INCORRECT, NOT_ATTEMPTED, ChoiceQuestion, Feedback, FunctionQuestion,
                    NumberQuestion, Question, score_table, show_score)

__all__ = ["Feedback", "Question", "NumberQuestion", "FunctionQuestion", "ChoiceQuestion",
           "CORRECT", "INCORRECT", "NOT_ATTEMPTED", "score_table", "show_score"]
