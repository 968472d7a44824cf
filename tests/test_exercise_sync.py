"""exercises/ is generated from solutions/ (course_lib.authoring): no drift, and a blank exercise runs.

The generator itself is tested on small notebooks made here; the course's own notebooks
are collected from solutions/ (the tests skip while there are none).
"""
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib import authoring, grade
from course_lib.authoring import blank_solution_blocks, exercise_text, make_exercise

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
NONE_YET = [pytest.param(None, marks=pytest.mark.skip(reason="no solutions/NN_*.ipynb yet"))]


def _name(path):
    return getattr(path, "name", str(path))


# --- the generator -------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("x = None\n### BEGIN SOLUTION\nx = 55\n### END SOLUTION\nq1.check()",
     "x = None\n...  # YOUR CODE HERE\nq1.check()"),
    ("def f(a):\n    ### BEGIN SOLUTION\n    b = a * 2\n    return b\n    ### END SOLUTION\nq2.check()",
     "def f(a):\n    ...  # YOUR CODE HERE\nq2.check()"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "...  # YOUR CODE HERE"),
    ("a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3\n  ### BEGIN SOLUTION\n  d = 4\n  ### END SOLUTION\n",
     "a = 1\n...  # YOUR CODE HERE\nc = 3\n  ...  # YOUR CODE HERE\n"),
    ("no markers here\n", "no markers here\n"),
])
def test_blank_solution_blocks(source, expected):
    assert blank_solution_blocks(source)[0] == expected


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "line 2"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
])
def test_unbalanced_markers_are_an_error(source, message):
    with pytest.raises(ValueError, match=message):
        blank_solution_blocks(source)


def _solution():
    code = new_code_cell("side = None\n### BEGIN SOLUTION\nside = 55\n### END SOLUTION\nq1.check()",
                         metadata={"tags": ["keep-me"]}, execution_count=3,
                         outputs=[new_output("stream", name="stdout", text="q1: Correct\n")])
    text = new_markdown_cell("Why 227?\n\n### BEGIN SOLUTION\nBecause (227 - 11)/4 + 1 = 55.\n### END SOLUTION\n")
    notebook = new_notebook(cells=[new_markdown_cell("# Exercise 01"), new_code_cell("import course_lib as cl"),
                                   code, text], metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                         "display_name": "Python 3"}})
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return notebook


def test_exercise_blanks_answers_and_clears_outputs():
    solution = _solution()
    before = nbformat.writes(solution)
    exercise, blocks = make_exercise(solution)
    assert blocks == 2
    assert nbformat.writes(solution) == before, "the solution must not be modified"
    code, text = exercise.cells[2], exercise.cells[3]
    assert code.source == "side = None\n...  # YOUR CODE HERE\nq1.check()"
    assert code.outputs == [] and code.execution_count is None
    assert text.source == "Why 227?\n\nYOUR ANSWER HERE\n"
    assert [c.id for c in exercise.cells] == [c.id for c in solution.cells]
    assert code.metadata == {"tags": ["keep-me"]}
    assert "widgets" not in exercise.metadata and exercise.metadata.kernelspec.name == "python3"
    nbformat.validate(exercise)


@pytest.fixture
def course(tmp_path):
    """A tiny solutions/ + exercises/ pair, generated once."""
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(_solution(), solutions / "01_fake.ipynb")
    assert authoring.main(["exercises", "--solutions", str(solutions), "--exercises", str(exercises)]) == 0
    return solutions, exercises


def test_generation_is_byte_stable(course):
    solutions, exercises = course
    first = (exercises / "01_fake.ipynb").read_bytes()
    assert authoring.write_exercises(solutions, exercises) == []          # nothing to rewrite
    assert (exercises / "01_fake.ipynb").read_bytes() == first
    assert exercise_text(solutions / "01_fake.ipynb").encode() == first


def test_check_flag_lists_drift(course, capsys):
    solutions, exercises = course
    args = ["exercises", "--check", "--solutions", str(solutions), "--exercises", str(exercises)]
    assert authoring.main(args) == 0
    target = exercises / "01_fake.ipynb"
    target.write_text(target.read_text().replace("YOUR CODE HERE", "side = 55"))   # a hand edit
    shutil.copyfile(target, exercises / "02_stale.ipynb")                          # no solution for it
    capsys.readouterr()
    assert authoring.main(args) == 1
    out = capsys.readouterr().out
    assert "01_fake.ipynb: differs" in out and "02_stale.ipynb: no solution" in out
    target.unlink()
    assert authoring.main(args) == 1 and "01_fake.ipynb: missing" in capsys.readouterr().out


# --- the course's own exercises ----------------------------------------------------------------

@pytest.mark.parametrize("solution", SOLUTIONS or NONE_YET, ids=_name)
def test_exercise_is_in_sync_with_its_solution(solution):
    exercise = ROOT / "exercises" / solution.name
    assert exercise.exists(), f"run `python -m course_lib.authoring exercises` to create {exercise.name}"
    assert exercise.read_text(encoding="utf-8") == exercise_text(solution), \
        f"{exercise.name} drifted from its solution: run `python -m course_lib.authoring exercises`"


@pytest.mark.parametrize("solution", SOLUTIONS or NONE_YET, ids=_name)
def test_solution_has_a_marked_block(solution):
    _, blocks = make_exercise(nbformat.read(solution, as_version=4), solution.name)
    assert blocks >= 1


def test_no_stray_exercises():
    solutions = {p.name for p in SOLUTIONS}
    stray = [p.name for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb") if p.name not in solutions]
    assert not stray, f"exercises without a solution: {stray}"


@pytest.fixture(scope="module")
def blank_batch(tmp_path_factory):
    """Every exercise as generated, graded once in fresh kernels (two at a time)."""
    if not SOLUTIONS:
        pytest.skip("no solutions yet")
    student = tmp_path_factory.mktemp("blank") / "submissions" / "blank"
    student.mkdir(parents=True)
    for solution in SOLUTIONS:
        (student / solution.name).write_text(exercise_text(solution), encoding="utf-8")
    results = grade.grade(student.parent, None, timeout=120, jobs=2, log=lambda *args: None)
    return {r.notebook: r for r in results}


@pytest.mark.parametrize("solution", SOLUTIONS or NONE_YET, ids=_name)
def test_blank_exercise_runs_and_says_not_attempted(blank_batch, solution):
    result = blank_batch[solution.name]
    assert result.problem == "", (result.problem, result.detail)
    assert result.status and set(result.status.values()) == {"not attempted"}, result.status
    assert result.score == 0
