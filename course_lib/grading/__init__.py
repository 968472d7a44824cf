"""The grader, as a small package whose file names are its steps, in the order data flows:

- ``submissions``: find and read the students' notebooks safely;
- ``sandbox``: how a kernel is started and confined (bubblewrap), or the fallback;
- ``run``: run one notebook in its kernel and collect the answers it reports;
- ``judge``: compare reported answers with the expected ones, outside the kernel;
- ``batch``: the executor (local or Dask), time limits, workers that die;
- ``gradebook``: the CSV and the feedback files;
- ``__main__``: the command line (``python -m course_lib.grade`` is the same).
"""
from .batch import grade, grade_notebook
from .gradebook import Result, summary
from .judge import Checks, find_checks
from .sandbox import Limits, Sandbox, SandboxUnavailable, choose_sandbox

__all__ = ["grade", "grade_notebook", "find_checks", "Checks", "Result", "summary", "Limits", "Sandbox",
           "SandboxUnavailable", "choose_sandbox", "main"]


def main(argv=None):
    from .__main__ import main as _main
    return _main(argv)
