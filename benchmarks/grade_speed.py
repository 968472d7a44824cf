"""How long does grading a class take, and what does the sandbox cost a notebook?

    python benchmarks/grade_speed.py [--n 100] [--jobs 2] [--notebook solutions/01_alexnet_shapes.ipynb]
                                     [--modes auto,off]

Copies one exercise notebook (default: the solution of exercise 01, so every question is
answered and judged) into ``--n`` student folders and grades them with ``--jobs`` notebooks
at once, once per sandbox mode (``auto``: bubblewrap where it works; ``off``: none), in a
fresh process each time (``python -m course_lib.grade``), imports included. Prints each run's
wall time and notebooks per minute, then the per-notebook cost of the sandbox:
(sandboxed wall time - unsandboxed wall time) x jobs / n, i.e. the extra time one notebook
occupies one of the ``--jobs`` slots.
Goal (COURSE.md section 6): 100 submissions on 2 cores in under 2 minutes, sandboxed.
Every run must grade every notebook to full marks, or the benchmark says so and fails.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(folder: Path, mode: str, jobs: int, timeout: float) -> tuple[float, list[dict], str]:
    out = folder / f"grades-{mode}.csv"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "course_lib.grade", str(folder / "submissions"), "--out", str(out),
                           "--jobs", str(jobs), "--timeout", str(timeout), "--sandbox", mode],
                          capture_output=True, text=True, cwd=folder)
    seconds = time.perf_counter() - started
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    summary = done.stdout[done.stdout.find("graded "):].strip()
    if done.returncode != 0:
        summary += f"\n(exit code {done.returncode}) {done.stderr[-500:]}"
    return seconds, rows, summary


def kernel_round_trips(repeats: int) -> dict:
    """Median seconds to start a kernel, run one trivial cell and collect its report, per sandbox kind."""
    import statistics
    from dataclasses import asdict

    from course_lib.grading import Limits, choose_sandbox
    from course_lib.grading.batch import _kernel_argv, _library_dir, run_job

    medians = {}
    for mode in ("auto", "off"):
        sandbox = choose_sandbox(mode)
        job = {"name": "01_x.ipynb", "data": "{}", "cells": [[1, "x = 1"]], "spec": [["q1", "value", "x", []]],
               "timeout": 30, "startup_seconds": 60, "kernel_argv": _kernel_argv("python3"),
               "packages": {"course_lib": _library_dir(None)}, "sandbox": asdict(sandbox), "limits": asdict(Limits())}
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            outcome = run_job(job)
            assert outcome["reports"] == ['{"q1": {"answer": 1}}'], outcome
            times.append(time.perf_counter() - started)
        medians[sandbox.label] = statistics.median(times)
    return medians


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at once (default 2)")
    parser.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "01_alexnet_shapes.ipynb")
    parser.add_argument("--modes", default="auto,off", help="sandbox modes to time (default auto,off)")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--round-trips", type=int, default=5,
                        help="also time this many bare kernel round trips per sandbox kind, one at a time (default 5)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="grade-speed-"))
    try:
        for i in range(args.n):
            student = folder / "submissions" / f"student{i:03d}"
            student.mkdir(parents=True)
            shutil.copyfile(args.notebook, student / args.notebook.name)
        print(f"{args.n} copies of {args.notebook.name}, {args.jobs} at a time, on {os.cpu_count()} core(s); "
              f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        times, ok = {}, True
        for mode in args.modes.split(","):
            seconds, rows, summary = run(folder, mode, args.jobs, args.timeout)
            full = sum(1 for r in rows if r["notebook"] and r["score"] == r["max_score"] and not r["problem"])
            sandbox = {r["sandbox"] for r in rows}
            times[mode] = seconds
            ok &= full == args.n
            print(f"--sandbox {mode}: {seconds:6.1f} s for {args.n} notebooks ({60 * args.n / seconds:.0f} a minute), "
                  f"{full}/{args.n} at full marks, sandbox column {sorted(sandbox)}")
            print("   " + summary.splitlines()[0] + (" | " + summary.splitlines()[1] if len(summary.splitlines()) > 1 else ""))
            problems = sorted({r["problem"] for r in rows if r["problem"]})
            if problems:
                print(f"   problems: {'; '.join(problems[:3])}")
        if "auto" in times and "off" in times:
            extra = (times["auto"] - times["off"]) * args.jobs / args.n
            print(f"sandbox cost: {extra:+.2f} s per notebook ({times['auto'] / times['off']:.2f}x the unsandboxed run)")
        if args.round_trips:
            trips = kernel_round_trips(args.round_trips)
            print("one kernel, started, one cell run, its report collected, killed (median of "
                  f"{args.round_trips}, one at a time): " + ", ".join(f"{k} {v:.2f} s" for k, v in trips.items()))
            if "bwrap" in trips and "none" in trips:
                print(f"   the sandbox's own cost: {trips['bwrap'] - trips['none']:+.2f} s per notebook")
        if "auto" in times:
            verdict = "meets" if times["auto"] < 120 or args.n != 100 else "MISSES"
            print(f"goal: 100 sandboxed notebooks under 120 s on 2 cores: {verdict} ({times['auto']:.1f} s)")
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
              "(a loaded shared machine makes every figure slower)")
        return 0 if ok else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
