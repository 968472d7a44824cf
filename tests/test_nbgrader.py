"""The exercises work in nbgrader for real (issue 11): a whole nbgrader course, built in a temp folder.

From solutions/, as instructors/README.md tells an instructor: ``nbgrader generate_assignment``
(its release must equal exercises/ cell for cell), three students submit (solved, blank,
half-solved), ``nbgrader autograde`` and ``nbgrader export``; the course's own grader
(``python -m course_lib.grade``) grades the same notebooks, and the two gradebooks must give
every student the same score per notebook, which must also be the score worked out here from
the question table (all the points, none, the first half's).

Two assignments, not eight, to stay fast (autograde runs each notebook in a fresh kernel, one at
a time): 01 has all three kinds of question (number, function, choice) and a widget whose stored
state nbgrader copies into its release; 03 has a plain notebook and other point values.
Needs nbgrader (the ``nbgrader`` extra: ``pip install -e '.[nbgrader]'``), which needs Python 3.11.
Run with ``-s`` to see both gradebooks side by side.
"""
import csv
import numbers
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info < (3, 11):
    pytest.skip("nbgrader 0.9.6 needs Python >= 3.11", allow_module_level=True)
pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -e '.[nbgrader]'")

import nbformat  # noqa: E402

from course_lib import authoring  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ["01_alexnet_shapes", "03_compute"]   # see the module docstring for why these two
STUDENTS = ["blank", "half", "solved"]


def _questions(assignment):
    import importlib
    return importlib.import_module(f"course_lib.checks.ex{assignment[:2]}").QUESTIONS


def _half(assignment):
    """The half-solved student: the first half of the questions right, the next one wrong, the rest blank."""
    questions = _questions(assignment)
    right = [q.name for q in questions[:len(questions) // 2]]
    wrong = questions[len(questions) // 2]
    assert isinstance(wrong.example_wrong, (numbers.Real, str)), "pick a question with a plain wrong answer"
    return right, wrong


def _expected_score(assignment, student):
    """Worked out from the question table alone, independently of both graders."""
    questions = _questions(assignment)
    right = {"solved": [q.name for q in questions], "blank": [], "half": _half(assignment)[0]}[student]
    return sum(q.points for q in questions if q.name in right)


def _without_markers(source):
    return "\n".join(line for line in source.split("\n")
                     if authoring.BEGIN_SOLUTION not in line and authoring.END_SOLUTION not in line)


def _submission(release, solution, assignment, student):
    """What ``student`` hands in: the released notebook with some answers written in (as a student would)."""
    notebook = nbformat.from_dict(release)
    answers = {cell.id: cell.source for cell in solution.cells}
    if student == "blank":
        return notebook
    right, wrong = _half(assignment) if student == "half" else ([q.name for q in _questions(assignment)], None)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        if grade_id in right:
            cell.source = _without_markers(answers[cell.id])
        elif wrong is not None and grade_id == wrong.name:
            value = float(wrong.example_wrong) if isinstance(wrong.example_wrong, numbers.Real) else wrong.example_wrong
            cell.source = cell.source.replace(authoring.CODE_BLANK, f"{wrong.var} = {value!r}")
    return notebook


def _nbgrader(course, *args):
    """Run an nbgrader command in the course folder, as an instructor would (its alembic must be on PATH)."""
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               JUPYTER_CONFIG_DIR=str(course / ".jupyter"))   # no user config: only the course's nbgrader_config.py
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The nbgrader course, run through generate, submit, autograde and export; and the course's grader."""
    course = tmp_path_factory.mktemp("nbgrader-course")
    shutil.copyfile(ROOT / "instructors" / "nbgrader_config.py", course / "nbgrader_config.py")
    submissions = course / "for-course-grader"        # the same notebooks, laid out for python -m course_lib.grade
    for assignment in ASSIGNMENTS:
        source = course / "source" / assignment
        source.mkdir(parents=True)
        shutil.copyfile(ROOT / "solutions" / f"{assignment}.ipynb", source / f"{assignment}.ipynb")
        _nbgrader(course, "generate_assignment", assignment)
        release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        solution = nbformat.read(source / f"{assignment}.ipynb", as_version=4)
        for student in STUDENTS:
            notebook = _submission(release, solution, assignment, student)
            for folder in (course / "submitted" / student / assignment, submissions / student):
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(notebook, folder / f"{assignment}.ipynb")
    for assignment in ASSIGNMENTS:
        _nbgrader(course, "autograde", assignment, "--create")
    _nbgrader(course, "export", "--to", str(course / "nbgrader-grades.csv"))
    done = subprocess.run([sys.executable, "-m", "course_lib.grade", str(submissions),
                           "--out", str(course / "course-grades.csv"), "--jobs", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return course


def _nbgrader_book(course):
    with open(course / "nbgrader-grades.csv", newline="") as handle:
        return {(row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(handle)}


def _course_book(course):
    with open(course / "course-grades.csv", newline="") as handle:
        return {(row["student"], row["notebook"].removesuffix(".ipynb")): (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(handle)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_equals_the_exercise_cell_for_cell(course, assignment):
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    exercise = nbformat.read(ROOT / "exercises" / f"{assignment}.ipynb", as_version=4)
    assert len(release.cells) == len(exercise.cells), "run `python -m course_lib.authoring exercises`"
    for index, (released, ours) in enumerate(zip(release.cells, exercise.cells), start=1):
        assert released == ours, f"cell {index} differs:\n{released}\n!=\n{ours}"
    # nbgrader copies the solution's stored widget state (a view of the widgets, no answer) into its
    # release; the course's generator drops it, as it drops every output. The rest is the same.
    release.metadata.pop("widgets", None)
    assert release.metadata == exercise.metadata


def test_both_gradebooks_agree_with_the_worked_out_scores(course):
    nbgrader_book, course_book = _nbgrader_book(course), _course_book(course)
    expected = {(student, assignment): (float(_expected_score(assignment, student)),
                                        float(sum(q.points for q in _questions(assignment))))
                for student in STUDENTS for assignment in ASSIGNMENTS}
    lines = [f"{'student':8} {'notebook':20} {'nbgrader':>10} {'course grader':>14} {'worked out':>11}"]
    for key in sorted(expected):
        row = [f"{points:g}/{total:g}" for points, total in
               (nbgrader_book.get(key, (-1, -1)), course_book.get(key, (-1, -1)), expected[key])]
        lines.append(f"{key[0]:8} {key[1]:20} {row[0]:>10} {row[1]:>14} {row[2]:>11}")
    print("\n" + "\n".join(lines))
    assert nbgrader_book == expected
    assert course_book == expected


def test_a_blank_answer_is_not_attempted_not_an_error(course):
    """Autograded blank notebook: the answers run (no NotImplementedError); each test cell fails its assert."""
    for assignment in ASSIGNMENTS:
        graded = nbformat.read(course / "autograded" / "blank" / assignment / f"{assignment}.ipynb", as_version=4)
        errors = {cell.metadata["nbgrader"]["grade_id"]: [o.ename for o in cell.outputs if o.output_type == "error"]
                  for cell in graded.cells if cell.cell_type == "code"}
        tests = {f"test_{q.name}" for q in _questions(assignment)}
        assert {name: found for name, found in errors.items() if found} == {name: ["AssertionError"] for name in tests}
