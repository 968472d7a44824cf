"""The grader (course_lib/grade.py): good, blank and broken submissions, each gets its row.

One batch runs once for the whole module (a module-scoped fixture) on a tiny fake checks
package, so that every kind of bad submission is tested whatever the course's exercises
are; a second batch grades the course's own solutions (skipped while there are none).
Only the endless loop waits for the time limit.
"""
import contextlib
import csv
import hashlib
import io
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib import grade
from course_lib.authoring import make_exercise

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 15   # seconds; only the endless loop waits for it

FAKE_EX01 = '''
from course_lib.checks import ChoiceQuestion, FunctionQuestion, NumberQuestion
QUESTIONS = [
    NumberQuestion("q1", "side", points=2, expected=55, unit="pixels", example_wrong=54),
    FunctionQuestion("q2", "double", reference=lambda x: 2 * x, cases=[(1,), (5,)], example_wrong=abs),
    ChoiceQuestion("q3", "pick", expected="b", choices={"a": "no", "b": "yes"}, example_wrong="a"),
]
q1, q2, q3 = QUESTIONS
__all__ = ["q1", "q2", "q3"]
'''
FAKE_EX02 = '''
from course_lib.checks import NumberQuestion
QUESTIONS = [NumberQuestion("q1", "answer", points=3, expected=42, example_wrong=41)]
q1, = QUESTIONS
__all__ = ["q1"]
'''


def _solution():
    return new_notebook(cells=[
        new_markdown_cell("# Fake exercise 01 (4 points)"),
        new_code_cell("import course_lib as cl\nfrom fakechecks.ex01 import *"),
        new_code_cell("side = None\n### BEGIN SOLUTION\nside = (227 - 11) // 4 + 1\n### END SOLUTION\nq1.check()"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\nq2.check()"),
        new_code_cell("pick = None\n### BEGIN SOLUTION\npick = 'b'\n### END SOLUTION\nq3.check()"),
    ])


def _with(cells_at, *, drop=(), reverse=False):
    notebook = _solution()
    cells = [c for i, c in enumerate(notebook.cells) if i not in drop]
    for index, source in cells_at:
        cells.insert(len(cells) if index is None else index, new_code_cell(source))
    notebook.cells = cells[::-1] if reverse else cells
    return nbformat.writes(notebook)


CHEAT = '''
import json, sys
import course_lib.checks._core as core
core.Question.evaluate = lambda self, namespace=None: core.Feedback("correct", "", self.name)
core.Question.score = lambda self, namespace=None: self.points
for name in ("q1", "q2", "q3"):
    print("0" * 32, json.dumps({"name": name, "status": "correct", "earned": 9}))
q1.check()
'''

def _cheater():
    """A blank exercise that patches the checks and prints fake verdicts: it must still score 0."""
    exercise = make_exercise(_solution())[0]
    exercise.cells[1].source += "\n" + CHEAT
    return nbformat.writes(exercise)


# student, file name, file content, expected problem (start of it), score, max_score
CASES = [
    ("good", "01_fake.ipynb", nbformat.writes(_solution()), "", "4", "4"),
    ("good", "02_other.ipynb", nbformat.writes(new_notebook(cells=[new_code_cell("answer = 6 * 7")])), "", "3", "3"),
    ("blank", "01_fake.ipynb", nbformat.writes(make_exercise(_solution())[0]), "", "0", "4"),
    ("wrong", "01_fake.ipynb", _with([(None, "side, pick = 54, 'a'\ndef double(x):\n    return x / 0")]), "", "0", "4"),
    ("not_json", "01_fake.ipynb", "this is {not json", "invalid notebook", "0", "4"),
    ("not_a_notebook", "01_fake.ipynb", '{"cells": "none", "hello": [1, 2]}', "invalid notebook", "0", "4"),
    # answers first (no slow import before them), then a loop: graded on what it computed in time;
    # "_" sorts first, so its wait overlaps the other notebooks
    ("_endless_loop", "01_fake.ipynb", nbformat.writes(new_notebook(cells=[
        new_code_cell("side, pick = 55, 'b'\ndef double(x):\n    return 2 * x"), new_code_cell("while True:\n    pass")])),
     "timeout", "4", "4"),
    ("kernel_exit", "01_fake.ipynb", _with([(2, "import os\nos._exit(1)")]), "kernel died", "0", "4"),
    ("exception", "01_fake.ipynb", _with([(3, "1 / 0")]), "cell error in cell 4 (ZeroDivisionError)", "4", "4"),
    ("deleted_setup", "01_fake.ipynb", _with([], drop={1}), "cell error in cell 2 (NameError)", "4", "4"),
    ("reordered", "01_fake.ipynb", _with([], reverse=True), "cell error in cell 1 (NameError)", "4", "4"),
    ("huge_output", "01_fake.ipynb", _with([(None, "print('x' * 20_000_000)\nfor i in range(20_000): print(i)")]),
     "", "4", "4"),
    ("cheater", "01_fake.ipynb", _cheater(), "", "0", "4"),
    ("unknown", "99_no_such_exercise.ipynb", nbformat.writes(_solution()), "unknown exercise", "", ""),
    ("unknown", "homework.ipynb", nbformat.writes(_solution()), "unknown exercise", "", ""),
]


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("grader")
    package = root / "fakechecks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_EX01)
    (package / "ex02.py").write_text(FAKE_EX02)
    submissions = root / "submissions"
    for student, name, content, *_ in CASES:
        (submissions / student).mkdir(parents=True, exist_ok=True)
        (submissions / student / name).write_text(content, encoding="utf-8")
    (submissions / "nobody").mkdir()                                  # a student who handed in nothing
    (submissions / "good" / ".ipynb_checkpoints").mkdir()             # ignored
    (submissions / "good" / ".ipynb_checkpoints" / "01_fake-checkpoint.ipynb").write_text("{}")
    before = _digest(submissions)
    out = root / "grades.csv"
    log = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(log):
        code = grade.main([str(submissions), "--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "2",
                           "--checks", str(package)])
    seconds = time.monotonic() - started
    print(log.getvalue())                  # shown by pytest when a test fails
    with open(out, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    return dict(code=code, rows={(r["student"], r["notebook"]): r for r in rows}, header=reader.fieldnames,
                before=before, after=_digest(submissions), log=log.getvalue(), seconds=seconds, n_rows=len(rows))


def test_batch_ran_and_exit_code_is_zero(batch):
    assert batch["code"] == 0


def test_submission_folder_is_unchanged(batch):
    assert batch["after"] == batch["before"]


def test_csv_columns(batch):
    assert batch["header"] == ["student", "notebook", "q1", "q2", "q3", "score", "max_score", "problem"]


def test_one_row_per_student_and_notebook(batch):
    expected = {(student, name) for student, name, *_ in CASES} | {("nobody", "")}
    assert set(batch["rows"]) == expected and batch["n_rows"] == len(expected)
    assert batch["rows"][("nobody", "")]["problem"] == "no notebooks submitted"


@pytest.mark.parametrize("student, name, problem, score, max_score",
                         [pytest.param(s, n, p, sc, m, id=f"{s}/{n}") for s, n, _, p, sc, m in CASES])
def test_row(batch, student, name, problem, score, max_score):
    row = batch["rows"][(student, name)]
    assert row["problem"].startswith(problem) and (problem or not row["problem"]), row
    assert (row["score"], row["max_score"]) == (score, max_score), row


def test_points_per_question(batch):
    rows = batch["rows"]
    assert [rows[("good", "01_fake.ipynb")][q] for q in ("q1", "q2", "q3")] == ["2", "1", "1"]
    assert [rows[("good", "02_other.ipynb")][q] for q in ("q1", "q2", "q3")] == ["3", "", ""]
    assert [rows[("wrong", "01_fake.ipynb")][q] for q in ("q1", "q2", "q3")] == ["0", "0", "0"]
    assert [rows[("unknown", "homework.ipynb")][q] for q in ("q1", "q2", "q3")] == ["", "", ""]


def test_progress_and_summary(batch):
    log = batch["log"]
    notebooks = len(CASES)
    assert all(f"[{i}/{notebooks}]" in log for i in range(1, notebooks + 1))
    assert f"graded {notebooks} notebook(s) from " in log
    assert "01_fake.ipynb: mean" in log and "02_other.ipynb: mean 3.00 / 3" in log
    assert "_endless_loop/01_fake.ipynb: timeout" in log


def test_broken_checks_module_marks_its_rows_only(tmp_path):
    package = tmp_path / "brokenchecks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_EX02.replace("fakechecks", "brokenchecks"))
    (package / "ex03.py").write_text("raise RuntimeError('a bug in the checks')")
    checks = grade.find_checks(str(package))
    assert checks.package == "brokenchecks" and checks.questions == {"01": [("q1", 3)]}
    assert "a bug in the checks" in checks.load_errors["03"]
    notebook = tmp_path / "03_x.ipynb"
    notebook.write_text(nbformat.writes(new_notebook()))
    result = grade.grade_notebook(notebook, "s", checks, timeout=5)   # no kernel is started for it
    assert result.problem == "checks ex03 failed to load" and "a bug" in result.detail


def test_missing_submissions_folder_is_a_usage_error(tmp_path, capsys):
    assert grade.main([str(tmp_path / "nope"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- the course's own solutions score full marks -------------------------------------------------

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def solutions_batch(tmp_path_factory):
    if not SOLUTIONS:
        pytest.skip("no solutions/NN_*.ipynb yet")
    submissions = tmp_path_factory.mktemp("solutions") / "submissions"
    (submissions / "teacher").mkdir(parents=True)
    for path in SOLUTIONS:
        shutil.copyfile(path, submissions / "teacher" / path.name)
    results = grade.grade(submissions, None, timeout=120, jobs=2, log=lambda *a: None)
    return {r.notebook: r for r in results}


@pytest.mark.parametrize("solution", SOLUTIONS or [pytest.param(None, marks=pytest.mark.skip("no solutions yet"))],
                         ids=lambda p: getattr(p, "name", str(p)))
def test_solution_scores_full_marks(solutions_batch, solution):
    result = solutions_batch[solution.name]
    assert result.problem == "", (result.problem, result.detail)
    assert result.max_score and result.score == result.max_score, result.status
