"""exercises/ is generated from solutions/ (course_lib.authoring): nbgrader cells, no drift, a blank runs.

The generator itself is tested on small notebooks made here, with a one-question checks
package made here too; the course's own notebooks are collected from solutions/ (the tests
skip while there are none). tests/test_nbgrader.py runs the result through nbgrader itself.
"""
import importlib
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib import authoring, grade
from course_lib.authoring import (add_nbgrader_cells, blank_solution_blocks, exercise_text, is_autograder_test,
                                  make_exercise, nbgrader_checksum, nbgrader_text)
from course_lib.checks._core import NumberQuestion

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
    # as nbgrader's ClearSolutions: a marker anywhere in its line, the stub at that line's indent
    ("x = 1  ### BEGIN SOLUTION\ny = 2\n### END SOLUTION", "...  # YOUR CODE HERE"),
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


FAKE_CHECKS = """
from course_lib.checks._core import NumberQuestion
q1 = NumberQuestion(name="q1", var="side", points=2, expected=55)
q2 = NumberQuestion(name="q2", var="depth", points=3, expected=96)
QUESTIONS = [q1, q2]
"""


@pytest.fixture
def fake_checks(tmp_path, monkeypatch):
    """A checks package ``fake_course_checks`` whose ex01 has q1 (2 points) and q2 (3 points)."""
    package = tmp_path / "checks_root" / "fake_course_checks"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_CHECKS)
    monkeypatch.syspath_prepend(str(package.parent))
    yield "fake_course_checks"
    for name in [name for name in sys.modules if name.startswith("fake_course_checks")]:
        del sys.modules[name]


def _code_solution():
    """Two questions answered in code, one cell checking both at the end: q1 in one cell, q2 in another."""
    cells = [new_markdown_cell("# Exercise 01"), new_code_cell("import course_lib as cl"),
             new_markdown_cell("**q1 (2 points).**"),
             new_code_cell("side = None\n### BEGIN SOLUTION\nside = 55\n### END SOLUTION\nq1.check()\n# q1.hint()"),
             new_markdown_cell("**q2 (3 points).**"),
             new_code_cell("depth = None\n### BEGIN SOLUTION\ndepth = 96\n### END SOLUTION\nq2.check()")]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                              "display_name": "Python 3"}})


QUESTIONS_01 = {"q1": 2, "q2": 3}


@pytest.fixture
def course(tmp_path, fake_checks):
    """A tiny solutions/ + exercises/ pair, generated once (nbgrader cells first)."""
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(_code_solution(), solutions / "01_fake.ipynb")
    assert authoring.main(["exercises", "--solutions", str(solutions), "--exercises", str(exercises),
                           "--checks", fake_checks]) == 0
    return solutions, exercises, fake_checks


# --- nbgrader cells ------------------------------------------------------------------------------

def _meta(cell):
    return cell.metadata.get("nbgrader")


def test_nbgrader_cells_mark_answers_add_tests_and_lock_the_rest():
    solution = _code_solution()
    before = nbformat.writes(solution)
    notebook = add_nbgrader_cells(solution, QUESTIONS_01, "01_fake.ipynb")
    assert nbformat.writes(solution) == before, "the solution must not be modified"
    kinds = [(cell.cell_type, _meta(cell)["grade_id"]) for cell in notebook.cells]
    ids = [cell.id for cell in solution.cells]
    assert kinds == [("markdown", f"cell-{ids[0]}"), ("code", f"cell-{ids[1]}"), ("markdown", f"cell-{ids[2]}"),
                     ("code", "q1"), ("code", "test_q1"), ("markdown", f"cell-{ids[4]}"),
                     ("code", "q2"), ("code", "test_q2")]
    schema = {"schema_version": 3, "task": False}
    assert _meta(notebook.cells[0]) == {"grade": False, "solution": False, "locked": True,
                                        "grade_id": f"cell-{ids[0]}", **schema}
    assert _meta(notebook.cells[3]) == {"grade": False, "solution": True, "locked": False, "grade_id": "q1", **schema}
    assert _meta(notebook.cells[4]) == {"grade": True, "solution": False, "locked": True, "grade_id": "test_q1",
                                        "points": 2, **schema}
    assert _meta(notebook.cells[7])["points"] == 3
    assert notebook.cells[3].source == solution.cells[3].source, "the answer cell's code is the author's"
    assert [is_autograder_test(cell) for cell in notebook.cells] == [False] * 4 + [True] + [False] * 2 + [True]
    nbformat.validate(notebook)


def test_nbgrader_cells_are_idempotent_and_follow_the_question_table():
    once = add_nbgrader_cells(_code_solution(), QUESTIONS_01)
    assert nbformat.writes(add_nbgrader_cells(once, QUESTIONS_01)) == nbformat.writes(once)
    repointed = add_nbgrader_cells(once, {"q1": 4, "q2": 3})             # q1 now worth 4 points
    tests = [cell for cell in repointed.cells if is_autograder_test(cell)]
    assert [(_meta(c)["grade_id"], _meta(c)["points"]) for c in tests] == [("test_q1", 4), ("test_q2", 3)]
    assert "(q1, 4 points)" in tests[0].source and len(repointed.cells) == len(once.cells)


@pytest.mark.parametrize("answer, passes", [(None, False), (54, False), ("55", False), (55, True)])
@pytest.mark.parametrize("where", ["NBGRADER_EXECUTION", "COURSE_STRICT_TESTS"])
def test_the_autograder_test_fails_unless_the_answer_is_right(answer, passes, where, monkeypatch):
    """Under nbgrader (or the course's strict test run) the test cell raises for a blank or wrong answer,
    so nbgrader gives 0 points, and never for a right one."""
    monkeypatch.delenv("COURSE_STRICT_TESTS", raising=False)
    monkeypatch.setenv(where, "autograde" if where == "NBGRADER_EXECUTION" else "1")
    notebook = add_nbgrader_cells(_code_solution(), QUESTIONS_01)
    test_source = next(cell.source for cell in notebook.cells if is_autograder_test(cell))
    namespace = {"side": answer}
    q1 = NumberQuestion(name="q1", var="side", points=2, expected=55, namespace=namespace)
    if passes:
        exec(test_source, {"q1": q1})
    else:
        with pytest.raises(AssertionError, match="q1: (Incorrect|Not attempted yet)"):
            exec(test_source, {"q1": q1})


def test_outside_nbgrader_the_test_cell_does_not_stop_run_all(monkeypatch):
    """A learner's "Run All" on an unfinished notebook runs on past a blank answer's test cell."""
    for variable in ("NBGRADER_EXECUTION", "COURSE_STRICT_TESTS"):
        monkeypatch.delenv(variable, raising=False)
    notebook = add_nbgrader_cells(_code_solution(), QUESTIONS_01)
    test_source = next(cell.source for cell in notebook.cells if is_autograder_test(cell))
    q1 = NumberQuestion(name="q1", var="side", points=2, expected=55, namespace={"side": None})
    exec(test_source, {"q1": q1})   # no AssertionError


@pytest.mark.parametrize("edit, message", [
    (lambda nb: setattr(nb.cells[5], "source", nb.cells[5].source.replace("q2.check()", "")), "no cell calls q2.check"),
    (lambda nb: nb.cells.append(new_markdown_cell("### BEGIN SOLUTION\nwhy\n### END SOLUTION")), "markdown cell"),
    (lambda nb: setattr(nb.cells[3], "source", "### BEGIN SOLUTION\nside = 55\nq1.check()"), "cell 4: .*never closed"),
])
def test_nbgrader_cells_refuse_what_nbgrader_could_not_grade(edit, message):
    notebook = _code_solution()
    edit(notebook)
    with pytest.raises(ValueError, match=message):
        add_nbgrader_cells(notebook, QUESTIONS_01, "01_fake.ipynb")


def test_exercise_locks_and_checksums_as_nbgrader_does():
    exercise, _ = make_exercise(add_nbgrader_cells(_code_solution(), QUESTIONS_01))
    readonly, answer, test = exercise.cells[0], exercise.cells[3], exercise.cells[4]
    assert (answer.metadata["deletable"], "editable" in answer.metadata) == (False, False)
    assert (test.metadata["deletable"], test.metadata["editable"]) == (False, False)
    assert (readonly.metadata["deletable"], readonly.metadata["editable"]) == (False, False)
    assert answer.source == "side = None\n...  # YOUR CODE HERE\nq1.check()\n# q1.hint()"
    assert [_meta(c)["cell_type"] for c in (readonly, answer, test)] == ["markdown", "code", "code"]
    assert len({_meta(c)["checksum"] for c in exercise.cells}) == len(exercise.cells)


def test_checksum_is_nbgraders():
    """The same md5 as nbgrader's own compute_checksum (which autograde uses to spot an edited test)."""
    utils = pytest.importorskip("nbgrader.utils", reason="nbgrader is not installed (the nbgrader extra)")
    exercise, _ = make_exercise(add_nbgrader_cells(_code_solution(), QUESTIONS_01))
    for cell in exercise.cells:
        assert nbgrader_checksum(cell) == utils.compute_checksum(cell) == _meta(cell)["checksum"]


def test_generation_is_byte_stable(course):
    solutions, exercises, checks = course
    solution, first = (solutions / "01_fake.ipynb").read_bytes(), (exercises / "01_fake.ipynb").read_bytes()
    assert b'"grade_id": "test_q1"' in solution, "the exercises command adds the nbgrader cells first"
    assert authoring.write_nbgrader(solutions, checks) == []              # nothing to rewrite
    assert authoring.write_exercises(solutions, exercises) == []
    assert (solutions / "01_fake.ipynb").read_bytes() == solution
    assert (exercises / "01_fake.ipynb").read_bytes() == first
    assert exercise_text(solutions / "01_fake.ipynb").encode() == first


def test_check_flag_lists_drift(course, capsys):
    solutions, exercises, checks = course
    args = ["exercises", "--check", "--solutions", str(solutions), "--exercises", str(exercises), "--checks", checks]
    assert authoring.main(args) == 0
    solution = solutions / "01_fake.ipynb"
    solution.write_text(solution.read_text().replace('"points": 2', '"points": 1'))   # a hand edit of a test cell
    capsys.readouterr()
    assert authoring.main(args) == 1
    assert "01_fake.ipynb: its nbgrader cells are not up to date" in capsys.readouterr().out
    assert authoring.main(["nbgrader", "--solutions", str(solutions), "--checks", checks]) == 0
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
def test_solution_nbgrader_cells_are_up_to_date(solution):
    assert solution.read_text(encoding="utf-8") == nbgrader_text(solution), \
        f"{solution.name}: run `python -m course_lib.authoring exercises` (its nbgrader cells are stale)"


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
    """Every exercise as generated, graded once in fresh kernels (two at a time).

    Without its autograder-test cells: they fail on a blank (nbgrader's zero points), and the
    course's grader leaves them out anyway (it judges the answers itself); what is tested here
    is that the answer cells of a blank run clean and say "not attempted".
    """
    if not SOLUTIONS:
        pytest.skip("no solutions yet")
    student = tmp_path_factory.mktemp("blank") / "submissions" / "blank"
    student.mkdir(parents=True)
    for solution in SOLUTIONS:
        exercise = nbformat.reads(exercise_text(solution), as_version=4)
        exercise.cells = [cell for cell in exercise.cells if not is_autograder_test(cell)]
        nbformat.write(exercise, student / solution.name)
    results = grade.grade(student.parent, None, timeout=120, jobs=2, log=lambda *args: None)
    return {r.notebook: r for r in results}


@pytest.mark.parametrize("solution", SOLUTIONS or NONE_YET, ids=_name)
def test_blank_exercise_runs_and_says_not_attempted(blank_batch, solution):
    result = blank_batch[solution.name]
    assert result.problem == "", (result.problem, result.detail)
    assert result.status and set(result.status.values()) == {"not attempted"}, result.status
    assert result.score == 0


def _flat(text):
    return " ".join(text.split())


@pytest.mark.parametrize("solution", SOLUTIONS or NONE_YET, ids=_name)
def test_choice_texts_are_the_ones_the_notebook_shows(solution):
    """A choice question's options are written twice, in the notebook and in its checks module; a
    learner reads the first, the grader's feedback quotes the second, so they must not drift."""
    from course_lib.checks._core import ChoiceQuestion
    checks = importlib.import_module(f"course_lib.checks.ex{solution.name[:2]}")
    cells = nbformat.read(solution, as_version=4).cells
    markdown = _flat(" ".join(cell.source for cell in cells if cell.cell_type == "markdown"))
    # Options with numbers the checks compute are printed by a cell instead (never typed twice).
    printed = {name for name in (q.name for q in checks.QUESTIONS)
               if any(cell.cell_type == "code" and f"{name}.choices.items()" in cell.source for cell in cells)}
    missing = [(question.name, letter) for question in checks.QUESTIONS
               if isinstance(question, ChoiceQuestion) and question.name not in printed
               for letter, text in question.choices.items() if _flat(text) not in markdown]
    assert not missing, f"{solution.name}: options not shown as the checks word them: {missing}"
