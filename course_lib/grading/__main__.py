"""The grader's command line:

    python -m course_lib.grade SUBMISSIONS [--out grades.csv] [--timeout S] [--jobs N]
        [--checks PACKAGE] [--kernel NAME] [--sandbox {auto,required,off}] [--dask tcp://host:8786]

SUBMISSIONS holds one folder per student, each with any of the exercise notebooks under
their original names (``NN_name.ipynb``; the number picks the checks module ``exNN``).
Each notebook runs in a fresh kernel in a sandbox (bubblewrap), with ``--timeout`` seconds
for all its cells together; the kernel reports the answers and the grader judges them and
gives the points, outside the kernel. It writes the gradebook CSV (one row per (student,
notebook) and per student folder: student, notebook, q1 ... qN, score, max_score, problem,
sandbox) after every finished row, and one Markdown feedback file per student in
``<out>-feedback/``.

Exit code: 0 every row was graded (a student's timeout or cell error is a grade); 1 some
rows could not be graded (grader errors: see the summary); 2 bad arguments, or
``--sandbox required`` without a working bubblewrap; 130 interrupted (the gradebook holds
the rows finished so far).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .batch import grade
from .sandbox import SANDBOX_MODES, SandboxUnavailable


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="a folder holding one folder per student")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"), help="the gradebook (default grades.csv)")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds for all of a notebook's cells together (default 120); "
                             "collecting its answers may take 5 s more")
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: the number of cores)")
    parser.add_argument("--checks", default="course_lib.checks",
                        help="the package holding the exNN check modules: a dotted name or a folder "
                             "(default course_lib.checks)")
    parser.add_argument("--kernel", default="python3", help="the Jupyter kernel to run notebooks in (default python3)")
    parser.add_argument("--sandbox", choices=SANDBOX_MODES, default="auto",
                        help="auto: bubblewrap when it works here, else none (said in the output); "
                             "required: stop when it does not; off: no sandbox (default auto)")
    parser.add_argument("--dask", metavar="ADDRESS", default=None,
                        help="grade on an existing Dask cluster, e.g. tcp://host:8786 (pip install course_lib[dask])")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        results = grade(args.submissions, args.out, timeout=args.timeout, jobs=args.jobs, checks=args.checks,
                        kernel=args.kernel, sandbox=args.sandbox, dask=args.dask)
    except (ValueError, SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: {args.out} holds the rows finished so far", file=sys.stderr)
        return 130
    print(f"wrote {args.out} ({len(results)} row(s)) and {args.out.stem}-feedback/")
    return 0 if all(r.graded for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
