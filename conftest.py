"""Settings for every test run, the notebooks' kernels included (they inherit this environment).

- BLAS threads: pytest-xdist already runs two workers on two cores; letting each NumPy call
  also spawn a BLAS thread per core oversubscribes the machine (an SVD in notebook 06 ran 20x
  slower).
- Hypothesis: the "ci" profile (derandomized, no per-example deadline) is loaded when ``CI=true``
  (CI services and ``.ci/run`` set it), so a CI run is reproducible and a slow shared machine does
  not fail a property on time; elsewhere the "dev" profile (random, no deadline).
  ``HYPOTHESIS_PROFILE=ci`` picks a profile by hand.
- Required optional dependencies: ``COURSE_REQUIRE=torch,chromium,...`` (``.ci/run`` sets it)
  turns a skip whose reason is one of those being missing into a failure, so CI cannot go green
  by skipping what it was asked to run. On a learner's laptop nothing is required and such
  checks skip, saying why.
- Every run ends with a line counting the skipped checks and their reasons.
"""
from __future__ import annotations

import os
import re
from collections import Counter

import pytest

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
# The solutions' nbgrader test cells (`q1.autograder_test()`) raise on a wrong answer here, as they do
# under nbgrader, so nbval catches a solution that no longer answers its question.
os.environ.setdefault("COURSE_STRICT_TESTS", "1")
# Headless matplotlib in tests and in the nbval kernels.
os.environ.setdefault("MPLBACKEND", "Agg")

try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # hypothesis is in the test extra; without it its tests fail to import, loudly
    _hypothesis_settings = None
    HYPOTHESIS_PROFILE = "(hypothesis not installed)"
else:
    _hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    _hypothesis_settings.register_profile("dev", deadline=None)
    HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
        "ci" if os.environ.get("CI", "").lower() == "true" else "dev")
    _hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


# --- required optional dependencies -------------------------------------------------------------
# A name in COURSE_REQUIRE matches a skip reason that names it (as a word) and says it is absent.
_ALIASES = {"bwrap": ("bwrap", "bubblewrap"), "bubblewrap": ("bwrap", "bubblewrap")}
_ABSENT = re.compile(r"could not import|no module named|not (?:found|installed|importable|available|on path)"
                     r"|missing|unavailable|cannot be (?:found|imported|used)", re.IGNORECASE)


def required_dependencies(value: str | None = None) -> list[str]:
    """The names in ``COURSE_REQUIRE`` (comma or space separated), lower case."""
    value = os.environ.get("COURSE_REQUIRE", "") if value is None else value
    return [name.strip().lower() for name in re.split(r"[,\s]+", value) if name.strip()]


def missing_requirement(reason: str, required: list[str]) -> str | None:
    """The required name a skip ``reason`` says is missing, or None."""
    if not required or not _ABSENT.search(reason):
        return None
    for name in required:
        for word in _ALIASES.get(name, (name,)):
            if re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", reason, re.IGNORECASE):
                return name
    return None


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, (tuple, list)) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ")


def _fail_if_required(report):
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    name = missing_requirement(reason, required_dependencies())
    if name:
        report.outcome = "failed"
        report.longrepr = (f"COURSE_REQUIRE lists {name!r}, so this check must run, but it was skipped: {reason}\n"
                           f"(install {name}, or leave it out of COURSE_REQUIRE to let it skip)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_if_required(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    # a module-level importorskip skips the whole file at collection
    outcome = yield
    _fail_if_required(outcome.get_result())


def pytest_report_header(config):
    required = required_dependencies()
    return [f"COURSE_REQUIRE: {', '.join(required) or '(nothing: missing optional dependencies skip)'}; "
            f"hypothesis profile: {HYPOTHESIS_PROFILE}"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reports = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    reasons = Counter(_skip_reason(r) for r in reports)
    if not reasons:
        terminalreporter.write_line("skipped checks: none")
        return
    files = sum(1 for r in reports if getattr(r, "when", None) == "collect")   # a whole file skipped
    tests = len(reports) - files
    what = ", ".join(part for part in (f"{tests} test{'s' * (tests != 1)}" if tests else "",
                                       f"{files} whole file{'s' * (files != 1)}" if files else "") if part)
    terminalreporter.write_line(f"skipped checks: {what}, because:")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"  {count} x {reason}")
