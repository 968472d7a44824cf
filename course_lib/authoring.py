"""Tools for the course's authors: run notebooks and store them executed; write the exercises.

    python -m course_lib.authoring execute notebooks/01_alexnet_shapes.ipynb [...]
    python -m course_lib.authoring exercises            # write exercises/ from solutions/
    python -m course_lib.authoring exercises --check    # exit 1 and list the files that drift

Notebooks are executed in a fresh kernel from their own folder, with widget state
stored (so widgets render on a code host), and without timing metadata (so a re-run
changes nothing but what really changed).

Exercises are generated, never edited by hand: each ``solutions/NN_name.ipynb`` becomes
``exercises/NN_name.ipynb`` with every block from a line ``### BEGIN SOLUTION`` to its
``### END SOLUTION`` (nbgrader's markers, so nbgrader users can take the notebooks as they
are) replaced by ``...  # YOUR CODE HERE`` at the block's indentation (in Markdown cells:
``YOUR ANSWER HERE``). A blank exercise therefore runs without error, and every check says
"Not attempted yet". Outputs and execution counts are cleared; cell ids and metadata are
kept. The output depends only on the solution, byte for byte: running twice changes nothing.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

__all__ = ["execute_notebook", "blank_solution_blocks", "make_exercise", "exercise_text",
           "write_exercises", "exercise_drift", "BEGIN_SOLUTION", "END_SOLUTION"]

BEGIN_SOLUTION = "### BEGIN SOLUTION"   # nbgrader's markers
END_SOLUTION = "### END SOLUTION"
CODE_BLANK = "...  # YOUR CODE HERE"
TEXT_BLANK = "YOUR ANSWER HERE"
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"   # NN_name.ipynb; NN picks the checks module exNN

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


# --- exercises from solutions -------------------------------------------------------------

def blank_solution_blocks(source: str, replacement: str = CODE_BLANK) -> tuple[str, int]:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block of ``source``.

    The block, markers included, becomes one line ``replacement`` indented like the
    BEGIN marker. Returns ``(new_source, number_of_blocks)``. Raises ``ValueError`` for a
    nested, unclosed or unopened block (the message gives the line number, from 1).
    """
    out, inside, blocks, indent = [], False, 0, ""
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            if inside:
                raise ValueError(f"line {number}: {BEGIN_SOLUTION!r} inside another solution block")
            inside, indent = True, line[:len(line) - len(line.lstrip())]
        elif stripped.startswith(END_SOLUTION):
            if not inside:
                raise ValueError(f"line {number}: {END_SOLUTION!r} without a {BEGIN_SOLUTION!r} before it")
            inside, blocks = False, blocks + 1
            ending = line[len(line.rstrip("\r\n")):]          # keep the END line's own newline (or none)
            out.append(f"{indent}{replacement}{ending}")
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"a {BEGIN_SOLUTION!r} block is never closed by {END_SOLUTION!r}")
    return "".join(out), blocks


def make_exercise(solution, name: str = "notebook"):
    """The exercise version of a solution notebook (an nbformat NotebookNode; not modified).

    Returns ``(exercise, number_of_blocks)``. ``name`` only labels error messages.
    """
    exercise = copy.deepcopy(solution)
    exercise.metadata.pop("widgets", None)          # widget state is output: the exercise has none
    total = 0
    for index, cell in enumerate(exercise.cells, start=1):
        replacement = CODE_BLANK if cell.cell_type == "code" else TEXT_BLANK
        try:
            cell.source, blocks = blank_solution_blocks(cell.source, replacement)
        except ValueError as error:
            raise ValueError(f"{name}, cell {index}: {error}") from None
        total += blocks
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if "id" not in cell and (exercise.nbformat, exercise.nbformat_minor) >= (4, 5):
            cell.id = f"cell-{index}"                # deterministic, so the output stays byte-stable
    return exercise, total


def exercise_text(solution_path) -> str:
    """The exact text of the exercise generated from the solution notebook at ``solution_path``."""
    import nbformat

    solution_path = Path(solution_path)
    solution = nbformat.read(solution_path, as_version=4)
    exercise, _ = make_exercise(solution, solution_path.name)
    text = nbformat.writes(exercise)
    return text if text.endswith("\n") else text + "\n"


def _pairs(solutions_dir, exercises_dir):
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    return [(path, exercises_dir / path.name) for path in sorted(solutions_dir.glob(NOTEBOOK_GLOB))]


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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course_lib.authoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks in place, storing their outputs")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    ex = sub.add_parser("exercises", help="write exercises/ from solutions/ (or --check for drift)")
    ex.add_argument("--check", action="store_true", help="write nothing; exit 1 listing the files that drift")
    ex.add_argument("--solutions", type=Path, default=_REPO / "solutions", help="default: the repo's solutions/")
    ex.add_argument("--exercises", type=Path, default=_REPO / "exercises", help="default: the repo's exercises/")
    args = parser.parse_args(argv)
    if args.command == "execute":
        for path in args.notebooks:
            print(f"executing {path} ...", flush=True)
            execute_notebook(path, timeout=args.timeout)
        return 0
    if args.check:
        problems = exercise_drift(args.solutions, args.exercises)
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} exercise file(s) drift: run `python -m course_lib.authoring exercises`")
            return 1
        print(f"exercises are in sync with {len(_pairs(args.solutions, args.exercises))} solution notebook(s)")
        return 0
    try:
        written = write_exercises(args.solutions, args.exercises)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} exercise(s) written, {len(_pairs(args.solutions, args.exercises)) - len(written)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
