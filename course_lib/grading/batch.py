"""The batch: an executor (local threads driving worker processes, or a Dask cluster), time limits,
replacing a worker that dies, and rows written as they finish.

Each notebook is one job: ``run_job`` starts a fresh worker process
(``python -m course_lib.grading.run``) and waits for it with a wall-clock watchdog. A worker
that dies (a notebook killed it) or stops (``SIGSTOP``) is killed with its process group when
the watchdog fires; only its row is marked, and the next job gets a new worker. Jobs go
through a ``concurrent.futures`` executor: a ``ThreadPoolExecutor`` of ``jobs`` threads, or a
Dask cluster's executor (``--dask tcp://host:8786``; ``pip install course_lib[dask]``), whose
workers must see the course at the same paths (a shared install or the same image).

The grader judges every report in its own process (``judge.py``) and adds the row to the
gradebook (``gradebook.py``) as soon as it arrives.
"""
from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from .gradebook import Gradebook, Result, printable, summary
from .judge import NOTEBOOK_NAME, Checks, find_checks, judge_report, kernel_spec
from .run import REPORT_SECONDS, STARTUP_SECONDS
from .sandbox import Limits, Sandbox, choose_sandbox
from .submissions import Submission, code_cells, find_submissions

__all__ = ["grade", "grade_notebook", "run_job", "WATCHDOG_SLACK"]

WATCHDOG_SLACK = 30          # seconds the watchdog adds to a job's own limits before it kills the worker
MAX_WORKER_OUTPUT = 8_000_000
# The worker imports course_lib.grading without course_lib/__init__ (which loads pandas: ~1 s a notebook).
_WORKER_BOOT = ("import sys, types; package = types.ModuleType('course_lib'); package.__path__ = [sys.argv[1]]; "
                "sys.modules['course_lib'] = package; from course_lib.grading.run import main; main()")


@functools.lru_cache(maxsize=None)
def _kernel_argv_cached(kernel: str) -> tuple:
    return tuple(_kernel_argv_uncached(kernel))


def _kernel_argv(kernel: str) -> list[str]:
    return list(_kernel_argv_cached(kernel))


def _kernel_argv_uncached(kernel: str) -> list[str]:
    from jupyter_client.kernelspec import KernelSpecManager

    argv = list(KernelSpecManager().get_kernel_spec(kernel).argv)
    if argv and argv[0] in {"python", f"python{sys.version_info[0]}", "python%i.%i" % sys.version_info[:2]}:
        argv[0] = sys.executable
    return argv


def _library_dir(library) -> str:
    """The ``course_lib`` folder the kernels import (default: the one this grader runs)."""
    folder = Path(library) if library else Path(__file__).resolve().parent.parent
    if not (folder / "__init__.py").is_file() or folder.name != "course_lib":
        raise ValueError(f"library {str(folder)!r} is not a course_lib package folder")
    return str(folder.resolve())


def _stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped (SIGSTOP, or traced): Linux's /proc/PID/stat says T or t."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] in (b"T", b"t")
    except (OSError, IndexError):
        return False


def run_job(job: dict) -> dict:
    """Run one notebook's job in a fresh worker process, under a watchdog; never raises for a bad notebook.

    The watchdog kills the worker's whole process group when its wall clock passes the job's
    limits (startup + timeout + the report's time + WATCHDOG_SLACK), or when the worker has
    been stopped for a second: nothing a notebook does to signals keeps a row from finishing.
    """
    limit = job["startup_seconds"] + job["timeout"] + 2 * REPORT_SECONDS + WATCHDOG_SLACK
    started = time.monotonic()
    with tempfile.TemporaryFile() as job_file:    # a file, not a pipe: nothing to write while we watch
        job_file.write(json.dumps(job).encode())
        job_file.seek(0)
        worker = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT, str(Path(__file__).resolve().parent.parent)],
                                  stdin=job_file, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True)
    out, err, why, stopped_since = None, b"", "", None
    try:
        while True:
            try:
                out, err = worker.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - started > limit:
                why = f"no result after {limit:.0f} s"
                break
            if _stopped(worker.pid):
                stopped_since = stopped_since or time.monotonic()
                if time.monotonic() - stopped_since > 1:
                    why = "the worker was stopped (SIGSTOP)"
                    break
            else:
                stopped_since = None
    finally:
        try:       # the worker, and anything left in its process group (an unsandboxed kernel's children)
            os.killpg(worker.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        worker.wait()
    seconds = time.monotonic() - started
    if out is None:
        problem = "timeout (the watchdog stopped the worker)" if "after" in why else "grader error: the worker stopped"
        return {"reports": [], "problems": [problem], "graded": "after" in why, "detail": why, "seconds": seconds}
    lines = out[-MAX_WORKER_OUTPUT:].decode("utf-8", "replace").strip().splitlines()
    try:
        outcome = json.loads(lines[-1])
        if type(outcome) is not dict:
            raise ValueError
    except (ValueError, IndexError):
        how = f"exit code {worker.returncode}" if worker.returncode >= 0 else f"signal {-worker.returncode}"
        tail = err[-300:].decode("utf-8", "replace").strip().splitlines()
        return {"reports": [], "problems": ["grader error: the worker died"], "graded": False,
                "detail": f"{how}; {tail[-1] if tail else ''}"[:300], "seconds": seconds}
    return outcome


def _row(sub: Submission, checks: Checks) -> tuple[Result, list | None]:
    """The row for one submission, and the cells to run (None when there is nothing to run)."""
    if not sub.name:
        return Result(sub.student, "", score=None, max_score=None, problems=[sub.problem]), None
    number = checks.exercise(sub.name)
    if number is None or number not in checks.available:
        detail = f"no checks module ex{number} in {checks.package}" if number else "name is not NN_name.ipynb"
        return Result(sub.student, sub.name, score=None, max_score=None, problems=["unknown exercise"],
                      detail=detail), None
    if number in checks.load_errors or number not in checks.modules:
        return Result(sub.student, sub.name, problems=[f"checks ex{number} failed to load"],
                      detail=checks.load_errors.get(number, "not loaded"), graded=False), None
    questions = checks.modules[number].QUESTIONS
    result = Result(sub.student, sub.name, points={q.name: 0 for q in questions},
                    max_score=sum(q.points for q in questions))
    if sub.problem:
        result.problems.append(sub.problem)
        result.detail = sub.detail
        return result, None
    try:
        cells = code_cells(sub.data)
    except ValueError as error:
        result.problems.append("invalid notebook")
        result.detail = str(error)[:300]
        return result, None
    return result, cells


def _job(sub: Submission, cells, questions, timeout, kernel, packages, sandbox, limits,
         startup_seconds=STARTUP_SECONDS) -> dict:
    """Everything a worker needs, as plain JSON-ready data (it may travel to a Dask worker)."""
    return {"name": sub.name, "data": sub.data.decode("utf-8", "replace"), "cells": cells,
            "spec": kernel_spec(questions), "timeout": timeout, "startup_seconds": startup_seconds,
            "kernel_argv": _kernel_argv(kernel),
            "packages": packages, "sandbox": asdict(sandbox), "limits": asdict(limits)}


def _finish(result: Result, outcome: dict, questions, sandbox: Sandbox) -> Result:
    """Judge the worker's outcome into ``result`` (points from the question table)."""
    result.problems += [str(p)[:300] for p in outcome.get("problems", [])][:5]
    result.detail = str(outcome.get("detail", ""))[:300]
    result.graded = outcome.get("graded") is True
    result.sandbox = sandbox.label
    result.seconds = float(outcome.get("seconds", 0) or 0)
    reports = outcome.get("reports")
    reports = [text for text in reports if isinstance(text, str)] if isinstance(reports, list) else []
    why = "no answer was reported" + (f" ({result.problem})" if result.problem else "")
    result.verdicts = judge_report(questions, reports, why)
    result.points = {v.name: v.earned for v in result.verdicts}
    result.score = sum(result.points.values())
    return result


def _executor(jobs: int, dask: str | None):
    if not dask:
        return ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade"), None
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--dask needs dask.distributed: pip install 'course_lib[dask]'") from None
    client = Client(dask)
    return client.get_executor(pure=False), client


def grade(submissions, out=None, timeout: float = 60, jobs: int | None = None, checks="course_lib.checks",
          kernel: str = "python3", log=print, sandbox: str | Sandbox = "auto", dask: str | None = None,
          library=None, limits: Limits | None = None, startup_seconds: float = STARTUP_SECONDS) -> list[Result]:
    """Grade every notebook under ``submissions`` (one folder per student); write the gradebook to ``out``.

    Raises ValueError for bad arguments and SandboxUnavailable for ``sandbox="required"``
    without a working bubblewrap; a bad submission never raises (its row says what went wrong).
    ``library`` is the ``course_lib`` folder the kernels import (default: this one; the tests
    give a copy); ``startup_seconds`` is how long a kernel may take to start (not in ``timeout``).
    """
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 86_400):
        raise ValueError(f"timeout must be a number of seconds in (0, 86400], got {timeout!r}")
    rows = find_submissions(submissions)
    if out is not None:
        folder = Path(out).resolve().parent
        if not folder.is_dir():
            raise ValueError(f"--out: folder {str(folder)!r} does not exist")
        if folder == Path(submissions).resolve() or Path(submissions).resolve() in folder.parents:
            raise ValueError("--out must be outside the submissions folder (the grader never writes there)")
    if not isinstance(checks, Checks):     # import only the exercises this batch needs
        numbers = {number for row in rows for number in [NOTEBOOK_NAME.fullmatch(row.name)] if number}
        checks = find_checks(checks, {match.group(1) for match in numbers})
    sandbox = sandbox if isinstance(sandbox, Sandbox) else choose_sandbox(sandbox)
    limits = limits or Limits(cpu_seconds=int(timeout * 2 + STARTUP_SECONDS + 60))
    packages = {"course_lib": _library_dir(library)}
    top = checks.package.split(".")[0]
    if top != "course_lib":
        packages[top] = checks.top_dir
    book = Gradebook(out, checks, sandbox.note) if out is not None else None
    results, work = [], []
    for sub in rows:
        result, cells = _row(sub, checks)
        if cells is None:
            results.append(result)
            if book:
                book.add(result, write=False)
        else:
            questions = checks.modules[checks.exercise(sub.name)].QUESTIONS
            work.append((result, questions, _job(sub, cells, questions, timeout, kernel, packages, sandbox, limits,
                                                  startup_seconds)))
    if book:
        book.write_csv()
        for student in sorted({r.student for r in results}):
            book.write_feedback(student)
    started = time.monotonic()
    if work:
        executor, client = _executor(max(1, jobs or os.cpu_count() or 1), dask)
        try:
            futures = {executor.submit(run_job, job): (result, questions) for result, questions, job in work}
            for done, future in enumerate(as_completed(futures), start=1):
                result, questions = futures[future]
                try:
                    outcome = future.result()
                except Exception as error:       # e.g. a Dask worker lost: this row only
                    outcome = {"problems": ["grader error"], "detail": f"{type(error).__name__}: {error}",
                               "graded": False}
                _finish(result, outcome, questions, sandbox)
                results.append(result)
                if book:
                    book.add(result)
                log(f"[{done}/{len(work)}] {printable(result.student, 80)}/{printable(result.notebook, 80)}: "
                    f"{_score_text(result)}{' (' + printable(result.problem) + ')' if result.problem else ''} "
                    f"in {result.seconds:.1f} s")
        finally:
            if client is None:
                executor.shutdown(wait=True, cancel_futures=True)
            else:
                executor.shutdown(wait=True)
            if client is not None:
                client.close()
    results.sort(key=lambda r: (r.student, r.notebook))
    log(summary(results, time.monotonic() - started, sandbox.note))
    return results


def _score_text(result: Result) -> str:
    if result.max_score is None:
        return "-"
    return f"{result.score:g}/{result.max_score:g}"


def grade_notebook(path, student: str = "", checks: Checks | None = None, timeout: float = 60,
                   kernel: str = "python3", sandbox: str | Sandbox = "auto") -> Result:
    """Grade one notebook file; never raises for a bad submission (the Result says what went wrong)."""
    path = Path(path)
    checks = checks or find_checks()
    sandbox = sandbox if isinstance(sandbox, Sandbox) else choose_sandbox(sandbox)
    try:
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        sub = Submission(student, path.name, data, "" if data is not None else "not a regular file")
    except OSError as error:
        sub = Submission(student, path.name, None, "unreadable file", error.strerror or "")
    result, cells = _row(sub, checks)
    if cells is None:
        return result
    questions = checks.modules[checks.exercise(sub.name)].QUESTIONS
    packages = {"course_lib": _library_dir(None)}
    if checks.package.split(".")[0] != "course_lib":
        packages[checks.package.split(".")[0]] = checks.top_dir
    job = _job(sub, cells, questions, timeout, kernel, packages, sandbox,
               Limits(cpu_seconds=int(timeout * 2 + STARTUP_SECONDS + 60)))
    return _finish(result, run_job(job), questions, sandbox)
