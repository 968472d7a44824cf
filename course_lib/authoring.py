"""Tools for the course's authors: run notebooks and store them executed; write the exercises.

    python -m course_lib.authoring execute notebooks/01_alexnet_shapes.ipynb [...]
    python -m course_lib.authoring exercises            # nbgrader cells in solutions/, then exercises/
    python -m course_lib.authoring exercises --execute  # the same, re-executing the solutions it changed
    python -m course_lib.authoring exercises --check    # write nothing; exit 1 and list what drifts
    python -m course_lib.authoring nbgrader [--check]   # only the first step: solutions/' nbgrader cells

Notebooks are executed in a fresh kernel from their own folder, with widget state
stored (so widgets render on a code host), and without timing metadata (so a re-run
changes nothing but what really changed).

Exercises are generated, never edited by hand, in two steps that ``exercises`` runs in turn:

1. **nbgrader cells** (``solutions/`` in place). Every code cell with a ``### BEGIN SOLUTION``
   block becomes an nbgrader solution cell (``grade_id`` = the question its ``qN.check()``
   checks); after the cell that checks ``qN`` comes a locked, graded autograder-test cell
   (``grade_id`` ``test_qN``, the question's ``points`` from ``course_lib.checks.exNN``) that
   fails while the answer is not right; every other cell is locked read-only. The step owns
   the ``nbgrader`` metadata of every cell and every grade-only cell: it rewrites them from
   the cells' content, so running it twice changes nothing, and an author never edits them.
2. **the exercise** (``exercises/NN_name.ipynb``): what ``nbgrader generate_assignment``
   releases with ``instructors/nbgrader_config.py``, cell for cell (tests/test_nbgrader.py).
   Every block from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` becomes
   ``...  # YOUR CODE HERE`` at the block's indentation (``YOUR ANSWER HERE`` in Markdown),
   so a blank exercise runs, every check says "Not attempted yet" and every autograder test
   fails (zero points, never a NotImplementedError); outputs are cleared; cells are locked
   and checksummed as nbgrader's LockCells and ComputeChecksums do. The output depends only
   on the solution, byte for byte.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import importlib
import re
import sys
from pathlib import Path

__all__ = ["execute_notebook", "blank_solution_blocks", "make_exercise", "exercise_text",
           "write_exercises", "exercise_drift", "question_table", "add_nbgrader_cells", "nbgrader_text",
           "write_nbgrader", "nbgrader_drift", "is_autograder_test", "nbgrader_checksum",
           "BEGIN_SOLUTION", "END_SOLUTION", "CODE_BLANK", "TEXT_BLANK"]

BEGIN_SOLUTION = "### BEGIN SOLUTION"   # nbgrader's markers (instructors/nbgrader_config.py names them too)
END_SOLUTION = "### END SOLUTION"
CODE_BLANK = "...  # YOUR CODE HERE"     # = ClearSolutions.code_stub["python"] in instructors/nbgrader_config.py
TEXT_BLANK = "YOUR ANSWER HERE"          # = nbgrader's default ClearSolutions.text_stub
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"   # NN_name.ipynb; NN picks the checks module exNN
NBGRADER_SCHEMA = 3                    # nbgrader's cell metadata schema (nbgrader 0.9: nbgraderformat/v3.json)
TEST_ID_PREFIX = "test_"               # an autograder-test cell's grade_id (and cell id): test_q1

_REPO = Path(__file__).resolve().parent.parent


def execute_notebook(path, timeout: int = 120, kernel_name: str = "python3"):
    """Execute the notebook at ``path`` top to bottom in a fresh kernel and write it back with outputs."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    if not _has_widgets(notebook):
        notebook.metadata.pop("widgets", None)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return notebook


def _has_widgets(notebook) -> bool:
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return bool(state.get("state"))


# --- solution blocks ---------------------------------------------------------------------------

def blank_solution_blocks(source: str, replacement: str = CODE_BLANK) -> tuple[str, int]:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block of ``source``.

    The block, from the line holding the BEGIN marker to the line holding the END marker,
    becomes ``replacement`` indented like the BEGIN line: nbgrader's ClearSolutions, line for
    line (lines split at "\n", a marker anywhere in its line). Returns ``(new_source,
    number_of_blocks)``. Raises ``ValueError`` for a nested, unclosed or unopened block (the
    message gives the line number, from 1), where nbgrader would fail or blank silently.
    """
    out, inside, blocks = [], False, 0
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN_SOLUTION in line:
            if inside:
                raise ValueError(f"line {number}: {BEGIN_SOLUTION!r} inside another solution block")
            inside, blocks = True, blocks + 1
            indent = re.match(r"\s*", line).group(0)
            out += [indent + stub for stub in replacement.split("\n")]
        elif END_SOLUTION in line:
            if not inside:
                raise ValueError(f"line {number}: {END_SOLUTION!r} without a {BEGIN_SOLUTION!r} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a {BEGIN_SOLUTION!r} block is never closed by {END_SOLUTION!r}")
    return "\n".join(out), blocks


# --- step 1: nbgrader cells in the solutions ------------------------------------------------------

def question_table(notebook_name, checks: str = "course_lib.checks") -> dict:
    """``{question name: points}`` of the checks module ``<checks>.exNN`` for the notebook ``NN_name.ipynb``."""
    name = Path(notebook_name).name
    match = re.fullmatch(r"(\d{2})_.*\.ipynb", name)
    if match is None:
        raise ValueError(f"notebook name {name!r} is not NN_name.ipynb (NN picks the checks module exNN)")
    module_name = f"{checks}.ex{match.group(1)}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ValueError(f"{name}: cannot import its checks module {module_name} ({error})") from None
    return {question.name: question.points for question in module.QUESTIONS}


def is_autograder_test(cell) -> bool:
    """Whether ``cell`` is an autograder-test cell: graded by nbgrader and not a solution.

    The step below writes these; the course's own grader leaves them out (it judges the
    answers itself), so their points never count twice.
    """
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _nbgrader_meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    """A cell's ``nbgrader`` metadata, schema 3 (what nbgrader's Create Assignment toolbar writes)."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": NBGRADER_SCHEMA,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _test_source(name: str, points) -> str:
    unit = "point" if points == 1 else "points"
    return (f"# For grading ({name}, {points} {unit}): leave this cell as it is. When your instructor grades,\n"
            f"# it checks {name} again; while you work it prints nothing (the cell above gives your feedback).\n"
            f"{name}.autograder_test()")


def _checked_questions(source: str, names) -> list[str]:
    """The questions whose ``.check()`` the cell calls (comment lines do not count), in table order."""
    code = "\n".join(line for line in source.split("\n") if not line.lstrip().startswith("#"))
    return [name for name in names if re.search(rf"(?<![\w.]){re.escape(name)}\.check\(", code)]


def _test_cell(name: str, points, old, with_id: bool):
    """The autograder-test cell of question ``name``; ``old`` (the cell it replaces) keeps its outputs if unchanged."""
    import nbformat

    grade_id, source = TEST_ID_PREFIX + name, _test_source(name, points)
    if old is not None and old.source == source:
        cell = old                                  # so a re-executed solution keeps its outputs
    else:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = old.get("id", grade_id) if old is not None else grade_id    # deterministic: byte-stable
    if not with_id:
        cell.pop("id", None)
    cell.metadata["nbgrader"] = _nbgrader_meta(grade_id, grade=True, locked=True, points=points)
    return cell


def add_nbgrader_cells(solution, questions: dict, name: str = "notebook"):
    """The solution notebook with nbgrader's metadata and autograder tests (a copy; ``solution`` is not modified).

    ``questions`` is ``{name: points}`` (``question_table``). A code cell with a solution block
    is a solution cell (``grade_id`` = the question whose ``.check()`` it calls; ``answer_<cell
    id>`` if it checks none); after the first cell calling ``qN.check()`` comes the test cell
    ``test_qN`` worth the question's points; every other cell is read-only (locked). Existing
    test cells are replaced, so the result depends only on the other cells: idempotent.
    Raises ``ValueError`` (naming the notebook and cell) for a solution block outside a code
    cell, unbalanced markers, or a question no cell checks (nbgrader could not grade it).
    """
    notebook = copy.deepcopy(solution)
    with_id = (notebook.nbformat, notebook.nbformat_minor) >= (4, 5)
    old_tests = {cell.metadata["nbgrader"].get("grade_id"): cell for cell in notebook.cells if is_autograder_test(cell)}
    cells, tested = [], []
    for index, cell in enumerate((c for c in notebook.cells if not is_autograder_test(c)), start=1):
        try:
            _, blocks = blank_solution_blocks(cell.source)
        except ValueError as error:
            raise ValueError(f"{name}, cell {index}: {error}") from None
        if blocks and cell.cell_type != "code":
            raise ValueError(f"{name}, cell {index}: a solution block in a {cell.cell_type} cell; nbgrader grades "
                             "written answers by hand and the course's checks cannot: ask for it in a code cell")
        checked = [q for q in _checked_questions(cell.source, questions) if q not in tested] \
            if cell.cell_type == "code" else []
        cell_id = cell.get("id", str(index))
        if blocks:
            cell.metadata["nbgrader"] = _nbgrader_meta("_".join(checked) or f"answer_{cell_id}", solution=True)
        else:
            cell.metadata["nbgrader"] = _nbgrader_meta(f"cell-{cell_id}", locked=True)
        cells.append(cell)
        for question in checked:
            cells.append(_test_cell(question, questions[question], old_tests.get(TEST_ID_PREFIX + question), with_id))
            tested.append(question)
    missing = [q for q in questions if q not in tested]
    if missing:
        raise ValueError(f"{name}: no cell calls {', '.join(q + '.check()' for q in missing)}, so nbgrader would "
                         "not grade it and its scores would differ from the course's grader")
    notebook.cells = cells
    return notebook


def _text(notebook) -> str:
    import nbformat

    nbformat.validate(notebook)
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def nbgrader_text(solution_path, checks: str = "course_lib.checks") -> str:
    """The exact text of the solution notebook at ``solution_path`` with its nbgrader cells up to date."""
    import nbformat

    solution_path = Path(solution_path)
    notebook = nbformat.read(solution_path, as_version=4)
    return _text(add_nbgrader_cells(notebook, question_table(solution_path, checks), solution_path.name))


def _solutions(solutions_dir):
    return sorted(Path(solutions_dir).glob(NOTEBOOK_GLOB))


def write_nbgrader(solutions_dir=_REPO / "solutions", checks: str = "course_lib.checks") -> list[Path]:
    """Bring every solution notebook's nbgrader cells up to date, in place; return the paths rewritten."""
    written = []
    for path in _solutions(solutions_dir):
        data = nbgrader_text(path, checks).encode("utf-8")
        if path.read_bytes() != data:
            path.write_bytes(data)
            written.append(path)
    return written


def nbgrader_drift(solutions_dir=_REPO / "solutions", checks: str = "course_lib.checks") -> list[str]:
    """The solution notebooks whose nbgrader cells are not up to date (empty: none)."""
    problems = []
    for path in _solutions(solutions_dir):
        try:
            data = nbgrader_text(path, checks).encode("utf-8")
        except Exception as error:                  # a broken solution is drift too, not a crash
            problems.append(f"{path}: cannot add its nbgrader cells: {error}")
            continue
        if path.read_bytes() != data:
            problems.append(f"{path}: its nbgrader cells are not up to date")
    return problems


# --- step 2: exercises from solutions -------------------------------------------------------------

def nbgrader_checksum(cell) -> str:
    """nbgrader's checksum of a cell (``nbgrader.utils.compute_checksum``, 0.9): an md5 of its
    source, type, grade / solution / locked flags, grade_id and (graded cells) points.
    ``nbgrader autograde`` compares it with the source's to tell an edited test cell."""
    meta = cell.metadata["nbgrader"]
    solution, grade = bool(meta.get("solution", False)), bool(meta.get("grade", False))
    locked = False if solution else True if grade else bool(meta.get("locked", False))   # nbgrader's is_locked
    parts = [cell.source, cell.cell_type, str(grade), str(solution), str(locked), meta["grade_id"]]
    if grade:
        parts.append(str(float(meta["points"])))
    return hashlib.md5("".join(parts).encode("utf-8")).hexdigest()


def make_exercise(solution, name: str = "notebook"):
    """The exercise version of a solution notebook (an nbformat NotebookNode; not modified).

    What ``nbgrader generate_assignment`` does to a cell, in its order: LockCells (a solution
    cell is not deletable; a test or read-only cell neither deletable nor editable),
    ClearSolutions (the blocks, or a whole solution cell without markers, blanked), ClearOutput,
    ComputeChecksums. A cell without nbgrader metadata only loses its blocks and outputs.
    Returns ``(exercise, number_of_blocks)``. ``name`` only labels error messages.
    """
    exercise = copy.deepcopy(solution)
    exercise.metadata.pop("widgets", None)          # widget state is output: the exercise has none
    exercise.metadata.pop("celltoolbar", None)      # as nbgrader's ClearSolutions
    total = 0
    for index, cell in enumerate(exercise.cells, start=1):
        meta = cell.metadata.get("nbgrader", {})
        is_solution, is_grade = bool(meta.get("solution", False)), bool(meta.get("grade", False))
        is_locked = not is_solution and (is_grade or bool(meta.get("locked", False)))
        if is_solution:
            cell.metadata["deletable"] = False
        elif is_locked:
            cell.metadata["deletable"] = cell.metadata["editable"] = False
        replacement = CODE_BLANK if cell.cell_type == "code" else TEXT_BLANK
        try:
            cell.source, blocks = blank_solution_blocks(cell.source, replacement)
        except ValueError as error:
            raise ValueError(f"{name}, cell {index}: {error}") from None
        if is_solution and not blocks:
            cell.source = replacement
        total += blocks
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("collapsed", "scrolled"):    # as nbconvert's ClearOutputPreprocessor
                cell.metadata.pop(key, None)
        if is_solution or is_grade or is_locked:
            meta["checksum"], meta["cell_type"] = nbgrader_checksum(cell), cell.cell_type
        if "id" not in cell and (exercise.nbformat, exercise.nbformat_minor) >= (4, 5):
            cell.id = f"cell-{index}"                # deterministic, so the output stays byte-stable
    return exercise, total


def exercise_text(solution_path) -> str:
    """The exact text of the exercise generated from the solution notebook at ``solution_path``."""
    import nbformat

    solution_path = Path(solution_path)
    solution = nbformat.read(solution_path, as_version=4)
    exercise, _ = make_exercise(solution, solution_path.name)
    return _text(exercise)


def _pairs(solutions_dir, exercises_dir):
    return [(path, Path(exercises_dir) / path.name) for path in _solutions(solutions_dir)]


def write_exercises(solutions_dir=_REPO / "solutions", exercises_dir=_REPO / "exercises") -> list[Path]:
    """Write every exercise that is missing or differs; return the paths written."""
    written = []
    Path(exercises_dir).mkdir(parents=True, exist_ok=True)
    for solution, exercise in _pairs(solutions_dir, exercises_dir):
        data = exercise_text(solution).encode("utf-8")
        if not exercise.exists() or exercise.read_bytes() != data:
            exercise.write_bytes(data)
            written.append(exercise)
    return written


def exercise_drift(solutions_dir=_REPO / "solutions", exercises_dir=_REPO / "exercises") -> list[str]:
    """What differs between ``exercises/`` and what the solutions generate (empty: no drift)."""
    problems = []
    pairs = _pairs(solutions_dir, exercises_dir)
    for solution, exercise in pairs:
        try:
            data = exercise_text(solution).encode("utf-8")
        except Exception as error:                  # a broken solution is drift too, not a crash
            problems.append(f"{solution}: cannot generate its exercise: {error}")
            continue
        if not exercise.exists():
            problems.append(f"{exercise}: missing")
        elif exercise.read_bytes() != data:
            problems.append(f"{exercise}: differs from what {solution} generates")
    expected = {exercise.name for _, exercise in pairs}
    for stray in sorted(Path(exercises_dir).glob(NOTEBOOK_GLOB)):
        if stray.name not in expected:
            problems.append(f"{stray}: no solution notebook generates it")
    return problems


# --- command line ---------------------------------------------------------------------------------

def _report_drift(problems, what: str) -> int:
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} file(s) drift: run `python -m course_lib.authoring {what}`")
        return 1
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course_lib.authoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks in place, storing their outputs")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    for command, text in (("exercises", "nbgrader cells in solutions/, then exercises/ from them"),
                          ("nbgrader", "only the nbgrader cells of solutions/ (in place)")):
        ex = sub.add_parser(command, help=f"write {text} (or --check for drift)")
        ex.add_argument("--check", action="store_true", help="write nothing; exit 1 listing the files that drift")
        ex.add_argument("--solutions", type=Path, default=_REPO / "solutions", help="default: the repo's solutions/")
        ex.add_argument("--checks", default="course_lib.checks",
                        help="the package of the exNN question tables (default course_lib.checks)")
        if command == "exercises":
            ex.add_argument("--exercises", type=Path, default=_REPO / "exercises",
                            help="default: the repo's exercises/")
        ex.add_argument("--execute", action="store_true",
                        help="re-execute (store with outputs) each solution whose nbgrader cells changed")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for path in args.notebooks:
            print(f"executing {path} ...", flush=True)
            execute_notebook(path, timeout=args.timeout)
        return 0
    count = len(_solutions(args.solutions))
    if args.check:
        problems = nbgrader_drift(args.solutions, args.checks)
        if args.command == "exercises":
            problems += exercise_drift(args.solutions, args.exercises)
        if _report_drift(problems, args.command):
            return 1
        print(f"{args.command} in sync with {count} solution notebook(s)")
        return 0
    try:
        written = write_nbgrader(args.solutions, args.checks)
        for path in written:
            print(f"wrote {path}")
        print(f"nbgrader cells: {len(written)} solution(s) updated, {count - len(written)} unchanged")
        for path in written if args.execute else []:
            print(f"executing {path} ...", flush=True)
            execute_notebook(path)
        if args.command == "exercises":
            written = write_exercises(args.solutions, args.exercises)
            for path in written:
                print(f"wrote {path}")
            print(f"{len(written)} exercise(s) written, {count - len(written)} unchanged")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
