"""The grader's entry point: ``python -m course_lib.grade SUBMISSIONS --out grades.csv ...``.

The grader itself is the package ``course_lib.grading`` (submissions, sandbox, run, judge,
batch, gradebook); this module keeps the historical name and re-exports its API.
"""
from __future__ import annotations

import sys

from .grading import Checks, Result, SandboxUnavailable, find_checks, grade, grade_notebook, summary
from .grading.__main__ import main

__all__ = ["grade", "grade_notebook", "find_checks", "Checks", "Result", "summary", "SandboxUnavailable", "main"]

if __name__ == "__main__":
    # Run under the importable name, so that worker processes find the same functions.
    from course_lib.grade import main as _main
    sys.exit(_main())
