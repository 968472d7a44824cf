"""Compare reported answers with the expected ones, outside the kernel; points come from the question table.

The grader imports the checks package itself (``course_lib.checks`` or ``--checks``): its
``exNN.QUESTIONS`` are the question table. A kernel only ever sends a report (plain data,
see ``course_lib.checks._core``); each question's ``judge(report)`` runs here, and the points
are ``question.points`` when the verdict is correct, 0 otherwise. Whatever the kernel sends,
the worst it can do is claim an answer the student could have typed.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..checks._core import CORRECT, NOT_ATTEMPTED, FunctionQuestion

__all__ = ["Checks", "Verdict", "find_checks", "kernel_spec", "judge_report", "MAX_REPORT_BYTES"]

NOTEBOOK_NAME = re.compile(r"(\d{2})_.*\.ipynb")
MAX_REPORT_BYTES = 2_000_000     # a longer report is not parsed: every question gets "no answer"


@dataclass(frozen=True)
class Checks:
    """Where the checks live (a package of ``exNN`` modules) and their questions."""
    package: str                 # dotted name, e.g. "course_lib.checks"
    top_dir: str                 # folder of its top-level package
    path_entry: str              # what must be on sys.path to import it
    modules: dict                # "01" -> the imported exNN module
    load_errors: dict            # "01" -> why exNN could not be imported
    available: tuple = ()        # every NN with an exNN.py (imported or not)

    @property
    def questions(self) -> dict:
        """"01" -> [(name, points), ...]: the question table."""
        return {number: [(q.name, q.points) for q in module.QUESTIONS] for number, module in self.modules.items()}

    def exercise(self, file_name: str) -> str | None:
        """The exercise number a file name asks for ("01" for ``01_shapes.ipynb``), or None."""
        match = NOTEBOOK_NAME.fullmatch(file_name)
        return match.group(1) if match else None


@dataclass(frozen=True)
class Verdict:
    """One question's verdict on one notebook."""
    name: str
    status: str          # correct / incorrect / not attempted
    message: str
    earned: float
    points: float


def _forget_other_copies(top: str, root: Path):
    """Drop imported modules of package ``top`` that were loaded from somewhere other than ``root``.

    Two checks folders may hold packages of the same name (two courses, or two terms); an import
    would otherwise return the copy loaded first, with its questions and expected values.
    """
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        where = getattr(sys.modules[name], "__file__", None)
        if where and not Path(where).resolve().is_relative_to(root.resolve()):
            del sys.modules[name]
    importlib.invalidate_caches()


def find_checks(spec: str = "course_lib.checks", numbers=None) -> Checks:
    """Resolve ``spec`` (a dotted package name, or the path of a package folder) and import its exNN modules.

    ``numbers``: import only these exercises (the batch's; importing a module computes its
    expected values, which can take seconds); default all.
    """
    path = Path(spec)
    if path.is_dir():
        path = path.resolve()
        package, path_entry, top_dir = path.name, str(path.parent), str(path)
    else:
        top = spec.split(".")[0]
        found = importlib.util.find_spec(top)
        if found is None or not found.submodule_search_locations:
            raise ValueError(f"checks package {spec!r} not found (give a dotted name or a folder)")
        top_dir = str(Path(list(found.submodule_search_locations)[0]).resolve())
        package, path_entry = spec, str(Path(top_dir).parent)
    package_dir = Path(top_dir, *package.split(".")[1:])
    if not (package_dir / "__init__.py").is_file():
        raise ValueError(f"checks package {spec!r}: no {package_dir / '__init__.py'}")
    if path_entry in sys.path:
        sys.path.remove(path_entry)
    sys.path.insert(0, path_entry)         # first: this folder's package, not another of the same name
    _forget_other_copies(package.split(".")[0], Path(top_dir).parents[len(package.split(".")) - 1])
    modules, errors = {}, {}
    available = tuple(sorted(f.stem[2:] for f in package_dir.glob("ex[0-9][0-9].py")))
    for number in available:
        if numbers is not None and number not in numbers:
            continue
        try:
            module = importlib.import_module(f"{package}.ex{number}")
            for question in module.QUESTIONS:
                kernel_spec([question])            # its hidden cases must travel as plain literals
            modules[number] = module
        except Exception as error:  # a broken checks module marks its rows, it does not stop the batch
            errors[number] = f"{type(error).__name__}: {error}"[:300]
    return Checks(package, top_dir, path_entry, modules, errors, available)


def kernel_spec(questions) -> list:
    """What the kernel is told: [(name, kind, var, cases)], plain literals only (ValueError otherwise)."""
    spec = []
    for q in questions:
        cases = [tuple(args) for args in q.cases] if isinstance(q, FunctionQuestion) else []
        try:
            plain = ast.literal_eval(repr(cases)) == cases
        except (ValueError, SyntaxError, RecursionError):
            plain = False
        if not plain:
            raise ValueError(f"{q.name}: hidden cases must be plain literals (numbers, strings, lists, tuples)")
        spec.append((q.name, "function" if isinstance(q, FunctionQuestion) else "value", q.var, cases))
    return spec


def _reject_constant(name):
    raise ValueError(f"{name} is not a plain number")


def _parse(text) -> tuple[dict, str]:
    try:
        if type(text) is not str or len(text) > MAX_REPORT_BYTES:
            raise ValueError("too long")
        reports = json.loads(text, parse_constant=_reject_constant)
        if type(reports) is not dict:
            raise ValueError("not a dict")
        return reports, ""
    except (ValueError, RecursionError, MemoryError) as error:
        return {}, f"the kernel's report could not be read ({type(error).__name__})"


def judge_report(questions, report_texts, why_none: str = "") -> list[Verdict]:
    """Each question's verdict on the kernel's reports (JSON texts ``{name: report}``; a text or a list).

    Each text is parsed strictly (size cap, no NaN/Infinity, no huge numbers, plain types); a
    question's first report counts; one missing or malformed is "not attempted" or
    "incorrect", never a crash. ``None`` or ``[]``: nothing came (``why_none`` says why).
    """
    if report_texts is None:
        report_texts = []
    elif type(report_texts) is str:
        report_texts = [report_texts]
    reports, problem = {}, ""
    for text in report_texts:
        parsed, why = _parse(text)
        problem = problem or why
        for name, report in parsed.items():
            reports.setdefault(name, report)
    verdicts = []
    for q in questions:
        if q.name not in reports:
            message = problem or why_none or "no answer was reported"
            verdicts.append(Verdict(q.name, NOT_ATTEMPTED, message, 0, q.points))
            continue
        feedback = q.judge(reports[q.name])       # judge() turns a malformed report into "incorrect"
        earned = q.points if feedback.status == CORRECT else 0
        verdicts.append(Verdict(q.name, feedback.status, feedback.message, earned, q.points))
    return verdicts
