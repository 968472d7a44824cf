"""How long a widget update takes: the view plus rendering its figure to PNG, as ``build_app`` does.

For every widget builder in ``course_lib.widgets`` (found as ``tests/test_widget_sweep.py``
finds them), each control is stepped through its range (a slider: min, max and values
between; a dropdown: every option) and each update that changes a value is timed. One
update is what a learner waits for after moving a control: ``control.value = v`` runs the
view, renders its figure(s) to PNG and hands the result to ``display`` (stubbed here, so
no kernel is needed). The goal, from COURSE.md section 6: median under 100 ms.

    python benchmarks/widget_updates.py            # every widget
    python benchmarks/widget_updates.py roofline   # the widgets whose name contains "roofline"

Not a test: timings depend on the machine and its load (printed at the end; the CPU-time
column is less sensitive to other processes). The first update of each widget (cold
caches) is shown apart and left out of the median and the worst.
"""
from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

GOAL_MS = 100.0
REPO = Path(__file__).resolve().parents[1]


def _sweep_helpers():
    """The widget walk shared with the sweep test (tests/test_widget_sweep.py)."""
    spec = importlib.util.spec_from_file_location("_widget_sweep", REPO / "tests" / "test_widget_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(builder, sweep) -> dict:
    """Build the widget, then time every value-changing update over each control's range."""
    times, cpu, first = [], [], None
    with sweep.recording():
        start = time.perf_counter()
        app = builder()
        build_ms = (time.perf_counter() - start) * 1000
        controls = sweep.find_controls(app)

        def timed(control, value):
            nonlocal first
            before = control.value
            start, start_cpu = time.perf_counter(), time.process_time()
            control.value = value
            elapsed = (time.perf_counter() - start) * 1000
            elapsed_cpu = (time.process_time() - start_cpu) * 1000
            if control.value != before:
                if first is None:
                    first = elapsed
                else:
                    times.append(elapsed)
                    cpu.append(elapsed_cpu)

        for _label, control in controls:
            original = control.value
            for value in sweep.sweep_values(control):
                timed(control, value)
            timed(control, original)
    return {"controls": len(controls), "build_ms": build_ms, "first_ms": first, "times": times, "cpu": cpu}


def main(argv: list[str]) -> int:
    sweep = _sweep_helpers()
    builders = sweep.widget_builders()
    if argv:
        builders = {n: f for n, f in builders.items() if any(a in n for a in argv)}
    rows = []
    for name, builder in sorted(builders.items()):
        result = measure(builder, sweep)
        times, cpu = result["times"], result["cpu"]
        nan = float("nan")
        rows.append((name, result["controls"], len(times), result["build_ms"], result["first_ms"],
                     statistics.median(times) if times else nan, max(times) if times else nan,
                     statistics.median(cpu) if cpu else nan))

    header = ("widget", "controls", "updates", "build ms", "first ms", "median ms", "worst ms",
              "median CPU ms", "median < 100 ms")
    lines = [header] + [
        (name, str(n_controls), str(n), f"{build:.0f}", "-" if first is None else f"{first:.0f}",
         f"{median:.1f}", f"{worst:.1f}", f"{median_cpu:.1f}", "yes" if median < GOAL_MS else "NO")
        for name, n_controls, n, build, first, median, worst, median_cpu in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for k, line in enumerate(lines):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    missed = [r[0] for r in rows if not r[5] < GOAL_MS]
    print(f"\n{len(rows)} widgets; goal: median update (wall clock) under {GOAL_MS:.0f} ms: "
          + ("met by all" if not missed else f"missed by {', '.join(missed)}"))
    try:
        load = os.getloadavg()
        print(f"load average during the run: {load[0]:.2f} on {os.cpu_count()} CPUs"
              + ("  (a loaded machine: wall-clock times are inflated; compare the CPU column)"
                 if load[0] > (os.cpu_count() or 1) else ""))
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
