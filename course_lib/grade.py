"""The grader: run every student's exercise notebooks in fresh kernels and write a gradebook CSV.

    python -m course_lib.grade SUBMISSIONS --out grades.csv [--timeout S] [--jobs N] [--checks PACKAGE]

SUBMISSIONS holds one folder per student, each with any of the exercise notebooks under
their original names (``NN_name.ipynb``; the number picks the checks module ``exNN``).
For each (student, notebook) the grader

1. copies the notebook to a temporary folder (the submission is only ever read),
2. runs its code cells in a fresh kernel, with ``--timeout`` seconds for the whole
   notebook; a cell error does not stop the run, but the first one is recorded,
3. loads the checks again from their source files under a new module name (so a notebook
   that patched ``course_lib.checks`` or ``Question.check`` cannot change its grade) and
   judges each question of ``QUESTIONS`` against the kernel's variables (``--timeout``
   seconds more for this step),
4. reads the verdicts only from lines that start with a random nonce made for that
   notebook: neither the notebook's stored outputs nor anything it prints can fake a score.

One CSV row per (student, notebook): ``student``, ``notebook``, ``q1`` ... ``qN`` (points
earned; empty where that exercise has no such question), ``score``, ``max_score``,
``problem`` (empty, or: invalid notebook, unknown exercise, timeout, kernel died,
cell error in cell N, counting all cells from 1). A bad submission gets its row and never
stops the batch; the exit code is 0 whenever the batch ran.

Limits, said plainly: the student's code runs with the grader's user rights and in the
same kernel as the checks, so this defends against accidents and casual cheating, not a
determined attacker (run untrusted batches in a container).
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import importlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

__all__ = ["grade", "grade_notebook", "find_checks", "Result", "main"]

NOTEBOOK_NAME = re.compile(r"(\d{2})_.*\.ipynb")
MAX_NOTEBOOK_BYTES = 20_000_000      # a bigger file is not an exercise notebook
MAX_CHECK_OUTPUT_CHARS = 1_000_000   # what we keep of the checking cells' output (the rest is dropped)
FIXED_COLUMNS = ("student", "notebook")
TAIL_COLUMNS = ("score", "max_score", "problem")


# --- the checks: which package, which exercises, which questions ---------------------------

@dataclass(frozen=True)
class Checks:
    """Where the checks live: a package holding ``exNN`` modules (default ``course_lib.checks``)."""
    package: str                 # dotted name, e.g. "course_lib.checks"
    top_dir: str                 # folder of its top-level package
    path_entry: str              # what must be on sys.path / PYTHONPATH to import it
    questions: dict              # "01" -> [(name, points), ...]
    load_errors: dict            # "01" -> why exNN could not be imported


def find_checks(spec: str = "course_lib.checks") -> Checks:
    """Resolve ``spec`` (a dotted package name, or the path of a package folder) and list its questions."""
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
    if path_entry not in sys.path:
        sys.path.insert(0, path_entry)
    questions, errors = {}, {}
    for module_file in sorted(package_dir.glob("ex[0-9][0-9].py")):
        number = module_file.stem[2:]
        try:
            module = importlib.import_module(f"{package}.ex{number}")
            questions[number] = [(q.name, q.points) for q in module.QUESTIONS]
        except Exception as error:  # a broken checks module marks its rows, it does not stop the batch
            errors[number] = f"{type(error).__name__}: {error}"
    return Checks(package, top_dir, path_entry, questions, errors)


# --- one notebook --------------------------------------------------------------------------

@dataclass
class Result:
    """The grade of one (student, notebook)."""
    student: str
    notebook: str
    points: dict = field(default_factory=dict)     # question name -> points earned
    status: dict = field(default_factory=dict)     # question name -> correct / incorrect / not attempted / error
    score: float | None = 0
    max_score: float | None = 0
    problems: list = field(default_factory=list)
    detail: str = ""                               # e.g. why a notebook is invalid (not in the CSV)
    seconds: float = 0.0

    @property
    def problem(self) -> str:
        return "; ".join(self.problems)


# Runs in the kernel, inside exec() with its own globals: it binds no name in the notebook's namespace.
_LOAD_CHECKS = r'''
import importlib, importlib.util, json, os, sys
for _name in list(sys.modules):   # forget the notebook's copies: absolute imports load fresh source too
    if _name in (TOP, "course_lib") or _name.startswith((TOP + ".", "course_lib.")):
        del sys.modules[_name]
_alias = "_course_grade_" + NONCE
_spec = importlib.util.spec_from_file_location(_alias, os.path.join(TOP_DIR, "__init__.py"),
                                               submodule_search_locations=[TOP_DIR])
_package = importlib.util.module_from_spec(_spec)
sys.modules[_alias] = _package
_spec.loader.exec_module(_package)
_checks = importlib.import_module(".".join([_alias] + REST + ["ex" + NUMBER]))
sys.modules["_course_grade_checks_" + NONCE] = _checks
print(NONCE, json.dumps({"questions": [[q.name, q.points] for q in _checks.QUESTIONS]}), flush=True)
'''

_JUDGE = r'''
import json, sys
from IPython import get_ipython
_checks = sys.modules["_course_grade_checks_" + NONCE]
for _q in _checks.QUESTIONS:
    if _q.name == NAME:
        break
else:
    raise LookupError(NAME + " is not in QUESTIONS")
try:
    _fb = _q.evaluate(get_ipython().user_ns)
    _status, _message = str(_fb.status), str(_fb.message)[:300]
except BaseException as _error:   # even SystemExit from a learner's function is a wrong answer, not a crash
    _status, _message = "error", f"{type(_error).__name__}: {_error}"[:300]
print(NONCE, json.dumps({"name": _q.name, "status": _status, "message": _message,
                         "earned": _q.points if _status == "correct" else 0}), flush=True)
'''


def _kernel_code(template: str, **values) -> str:
    """One statement that runs ``template`` with ``values`` bound, in a throwaway namespace."""
    return f"exec({template!r}, {values!r})"


def _client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """Keeps none of the notebook's outputs (they may be huge and are never trusted);
        keeps the checking cells' printed text, capped; times the notebook as a whole."""
        deadline = None
        first_checking_cell = 10 ** 9

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.checking_text, self.checking_chars, self.cell_errors, self.checking_errors = [], 0, [], []
            self.output_pollers = set()
            self.timeout_func = lambda cell: max(0.01, self.deadline - time.monotonic())
            self.on_cell_executed = self._record_error

        async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
            # Remember the task that reads a cell's output: after a timeout nbclient leaves it running,
            # and it would swallow the next cells' output (ours) while it waits for its own.
            task = asyncio.current_task()
            self.output_pollers.add(task)
            try:
                return await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
            finally:
                self.output_pollers.discard(task)

        async def stop_stale_pollers(self):
            tasks = [task for task in self.output_pollers if not task.done()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        def output(self, outs, msg, display_id, cell_index):
            if cell_index >= self.first_checking_cell and msg["msg_type"] == "stream":
                text = msg["content"].get("text", "")
                if self.checking_chars + len(text) <= MAX_CHECK_OUTPUT_CHARS:
                    self.checking_chars += len(text)
                    self.checking_text.append(text)
            return None

        def handle_comm_msg(self, outs, msg, cell_index):   # widgets: nothing to store
            return None

        def _record_error(self, cell, cell_index, execute_reply):
            content = (execute_reply or {}).get("content", {})
            if content.get("status") != "error":
                return
            if cell_index < self.first_checking_cell:
                self.cell_errors.append((cell_index, content.get("ename", "error")))
            else:
                self.checking_errors.append(f"{content.get('ename')}: {content.get('evalue')}"[:300])

    return GradingClient


def _read_notebook(path: Path):
    """The notebook's cells with their outputs dropped, or raise ValueError: invalid notebook."""
    import nbformat

    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"larger than {MAX_NOTEBOOK_BYTES:,} bytes")
    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
        for cell in cells:
            if cell["cell_type"] not in ("code", "markdown", "raw") or not isinstance(cell["source"], str):
                raise ValueError("a cell without a known type and a text source")
    except ValueError:
        raise
    except Exception as error:
        raise ValueError(f"{type(error).__name__}: {error}") from None
    for cell in cells:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None   # never read, never trusted
    notebook.metadata = nbformat.from_dict({})
    return notebook


async def _run(notebook, workdir: str, checks: Checks, number: str, timeout: float, kernel: str,
               result: Result):
    """Run the notebook's cells, then the checking cells, in one fresh kernel; fill ``result``."""
    import nbformat
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    # nbclient leaves a poll task pending when a kernel dies or times out: not worth a traceback
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
    nonce = secrets.token_hex(16)                  # made here, after the notebook was read: it cannot know it
    n_cells = len(notebook.cells)
    package = checks.package.split(".")
    notebook.cells.append(nbformat.v4.new_code_cell(_kernel_code(
        _LOAD_CHECKS, NONCE=nonce, TOP=package[0], TOP_DIR=checks.top_dir, REST=package[1:], NUMBER=number)))
    for name in result.points:
        notebook.cells.append(nbformat.v4.new_code_cell(_kernel_code(_JUDGE, NONCE=nonce, NAME=name)))

    env = dict(os.environ)
    library_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([checks.path_entry, library_root] +
                                        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    client = _client_class()(notebook, kernel_name=kernel, allow_errors=True, record_timing=False,
                             store_widget_state=False, shutdown_kernel="immediate", startup_timeout=60,
                             iopub_timeout=10, resources={"metadata": {"path": workdir}})
    client.first_checking_cell = n_cells
    client.reset_execution_trackers()
    problems = []
    async with client.async_setup_kernel(env=env, cwd=workdir,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        client.deadline = time.monotonic() + timeout
        try:
            for index in range(n_cells):
                if time.monotonic() >= client.deadline:
                    raise CellTimeoutError("the notebook's time limit ran out")
                await client.async_execute_cell(notebook.cells[index], index)
        except CellTimeoutError:
            problems.append("timeout")
            await client.stop_stale_pollers()
            await _interrupt(client)             # then grade what it computed before its time ran out
        except DeadKernelError:
            problems.append("kernel died")
        if client.cell_errors:
            index, name = client.cell_errors[0]
            problems.insert(0, f"cell error in cell {index + 1} ({name})")
        result.problems.extend(problems)
        if "kernel died" in problems:
            return
        client.deadline = time.monotonic() + timeout
        try:
            for index in range(n_cells, len(notebook.cells)):
                await client.async_execute_cell(notebook.cells[index], index)
        except CellTimeoutError:
            result.problems.append("timeout while checking the answers")
        except DeadKernelError:
            result.problems.append("kernel died while checking the answers")
        finally:
            _collect(client, nonce, result)
        missing = [name for name in result.points if name not in result.status]
        if client.checking_errors:
            result.problems.append("the checks failed in the kernel")
            result.detail = client.checking_errors[0]
        elif missing and not any("while checking" in problem for problem in result.problems):
            result.problems.append("no verdict for " + ", ".join(missing))   # e.g. sys.stdout redirected


async def _interrupt(client):
    """Interrupt a kernel stuck in a cell (an endless loop), without waiting on it for long."""
    try:
        interrupted = client.km.interrupt_kernel()
        if asyncio.iscoroutine(interrupted):
            await asyncio.wait_for(interrupted, 5)
    except Exception:
        pass


def _collect(client, nonce: str, result: Result):
    """Read the verdicts: only lines that start with this notebook's nonce count."""
    for line in "".join(client.checking_text).splitlines():
        if not line.startswith(nonce + " "):
            continue
        try:
            record = json.loads(line[len(nonce) + 1:])
        except ValueError:
            continue
        name = record.get("name")
        if name in result.points:
            result.points[name] = record.get("earned", 0)
            result.status[name] = record.get("status", "")


def grade_notebook(path, student: str = "", checks: Checks | None = None, timeout: float = 60,
                   kernel: str = "python3") -> Result:
    """Grade one notebook file; never raises for a bad submission (the Result says what went wrong)."""
    started = time.monotonic()
    path = Path(path)
    checks = checks or find_checks()
    result = Result(student, path.name)
    match = NOTEBOOK_NAME.fullmatch(path.name)
    number = match.group(1) if match else None
    if number is None or (number not in checks.questions and number not in checks.load_errors):
        result.score = result.max_score = None
        result.problems.append("unknown exercise")
        result.detail = f"no checks module ex{number} in {checks.package}" if number else "name is not NN_name.ipynb"
        return result
    if number in checks.load_errors:
        result.problems.append(f"checks ex{number} failed to load")
        result.detail = checks.load_errors[number]
        return result
    result.points = {name: 0 for name, _ in checks.questions[number]}
    result.max_score = sum(points for _, points in checks.questions[number])
    try:
        with tempfile.TemporaryDirectory(prefix="course-grade-", ignore_cleanup_errors=True) as workdir:
            copy = Path(workdir) / path.name
            try:
                shutil.copyfile(path, copy)      # the submission itself is only read, once
                notebook = _read_notebook(copy)
            except (ValueError, OSError) as error:
                result.problems.append("invalid notebook")
                result.detail = str(error)[:300]
                return result
            for attempt in (1, 2):
                try:
                    asyncio.run(_run(notebook, workdir, checks, number, timeout, kernel, result))
                    break
                except Exception as error:       # e.g. the kernel would not start: this row only
                    if attempt == 1 and not result.problems and not result.status:
                        notebook = _read_notebook(copy)        # nothing ran yet: try once more
                        continue
                    result.problems.append("grader error")
                    result.detail = f"{type(error).__name__}: {error}"[:300]
    finally:
        result.score = sum(result.points.values()) if result.max_score is not None else None
        result.seconds = time.monotonic() - started
    return result


# --- a batch ---------------------------------------------------------------------------------

def _submissions(folder: Path):
    """(student, path) for every notebook file in every student folder, sorted; plus students with none."""
    jobs, empty = [], []
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p for p in student.iterdir() if p.suffix == ".ipynb" and not p.name.startswith("."))
        jobs += [(student.name, path) for path in files]
        if not files:
            empty.append(student.name)
    return jobs, empty


def grade(submissions, out=None, timeout: float = 60, jobs: int | None = None, checks="course_lib.checks",
          kernel: str = "python3", log=print) -> list[Result]:
    """Grade every notebook under ``submissions`` (one folder per student); write the CSV to ``out``."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise ValueError(f"submissions folder {str(submissions)!r} does not exist")
    checks = checks if isinstance(checks, Checks) else find_checks(checks)
    work, empty = _submissions(submissions)
    results = [Result(student, "", score=None, max_score=None, problems=["no notebooks submitted"])
               for student in empty]
    jobs = max(1, jobs or os.cpu_count() or 1)
    started = time.monotonic()
    if work:
        context = get_context("spawn")           # a clean worker: no inherited kernels, threads or loops
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=context) as pool:
            futures = {pool.submit(grade_notebook, path, student, checks, timeout, kernel): (student, path)
                       for student, path in work}
            for done, future in enumerate(as_completed(futures), start=1):
                student, path = futures[future]
                try:
                    result = future.result()
                except Exception as error:       # a worker that died: this row only
                    result = Result(student, path.name, score=0, max_score=None, problems=["grader error"],
                                    detail=f"{type(error).__name__}: {error}")
                results.append(result)
                log(f"[{done}/{len(work)}] {student}/{path.name}: {_score_text(result)}"
                    f"{' (' + result.problem + ')' if result.problem else ''} in {result.seconds:.1f} s")
    results.sort(key=lambda r: (r.student, r.notebook))
    if out is not None:
        write_csv(results, out, checks)
    log(summary(results, time.monotonic() - started))
    return results


def _score_text(result: Result) -> str:
    return "-" if result.max_score is None else f"{_number(result.score)}/{_number(result.max_score)}"


def _number(value):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def columns(checks: Checks) -> list[str]:
    """student, notebook, q1 ... qN (every question name of every exercise, in order), score, max_score, problem."""
    names = []
    for number in sorted(checks.questions):
        names += [name for name, _ in checks.questions[number] if name not in names]
    names.sort(key=lambda name: (int(name[1:]) if re.fullmatch(r"q\d+", name) else 10 ** 6, name))
    return [*FIXED_COLUMNS, *names, *TAIL_COLUMNS]


def write_csv(results, out, checks: Checks):
    header = columns(checks)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for r in results:
            row = {"student": r.student, "notebook": r.notebook, "score": _number(r.score),
                   "max_score": _number(r.max_score), "problem": r.problem}
            row.update({name: _number(points) for name, points in r.points.items()})
            writer.writerow(row)


def summary(results, seconds: float) -> str:
    """Students, notebooks, mean score per notebook, and every problem."""
    graded = [r for r in results if r.notebook]
    lines = [f"graded {len(graded)} notebook(s) from {len({r.student for r in results})} student(s) "
             f"in {seconds:.1f} s"]
    by_notebook = {}
    for r in graded:
        if r.max_score:
            by_notebook.setdefault(r.notebook, []).append(r)
    for notebook, rows in sorted(by_notebook.items()):
        mean = sum(r.score for r in rows) / len(rows)
        lines.append(f"  {notebook}: mean {mean:.2f} / {_number(rows[0].max_score)} over {len(rows)} submission(s)")
    problems = [r for r in results if r.problems]
    lines.append(f"problems: {len(problems)}" + ("" if problems else " (none)"))
    for r in problems:
        where = f"{r.student}/{r.notebook}" if r.notebook else r.student
        lines.append(f"  {where}: {r.problem}" + (f" [{r.detail}]" if r.detail else ""))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course_lib.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="a folder holding one folder per student")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the gradebook (default grades.csv)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds for a notebook's cells, and as many again to check its answers (default 120)")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: the number of cores)")
    parser.add_argument("--checks", default="course_lib.checks",
                        help="the package holding the exNN check modules: a dotted name or a folder "
                             "(default course_lib.checks)")
    parser.add_argument("--kernel", default="python3", help="the Jupyter kernel to run notebooks in (default python3)")
    args = parser.parse_args(argv)
    try:
        results = grade(args.submissions, args.out, timeout=args.timeout, jobs=args.jobs, checks=args.checks,
                        kernel=args.kernel)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({len(results)} row(s))")
    return 0


if __name__ == "__main__":
    # Run the module's functions under their importable name, so worker processes can find them.
    from course_lib.grade import main as _main
    sys.exit(_main())
