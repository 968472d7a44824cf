"""The run's own rules (conftest.py): a skip for a missing dependency listed in COURSE_REQUIRE
fails; every run ends by counting the skipped checks and saying why."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import missing_requirement, required_dependencies

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("reason, required, expected", [
    ("could not import 'torch': No module named 'torch'", ["torch"], "torch"),          # pytest.importorskip
    ("could not import 'torchvision': No module named 'torchvision'", ["torch"], None),  # another package
    ("browser test skipped: Chromium not found (/usr/bin/chromium)", ["torch", "chromium"], "chromium"),
    ("the playwright Python package is not importable (pip install playwright)", ["playwright"], "playwright"),
    ("bubblewrap (bwrap) not found: grading unsandboxed", ["bwrap"], "bwrap"),
    ("could not import 'onnx': No module named 'onnx'", ["torch"], None),                # not required
    ("no solutions/NN_*.ipynb yet", ["torch", "chromium"], None),                        # not a dependency
    ("torch: only with float64", ["torch"], None),                                       # names it, not missing
    ("could not import 'torch'", [], None),                                              # a laptop: nothing required
])
def test_which_skips_count_as_a_missing_requirement(reason, required, expected):
    assert missing_requirement(reason, required) == expected


def test_course_require_is_a_comma_or_space_list():
    assert required_dependencies("torch, chromium bwrap,,") == ["torch", "chromium", "bwrap"]
    assert required_dependencies("") == []


def _run(tmp_path, require, ci):
    """pytest on three small tests, with this project's conftest.py, COURSE_REQUIRE and CI as given."""
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    (tmp_path / "test_it.py").write_text(textwrap.dedent("""
        import pytest
        from hypothesis import settings

        def test_needs_a_package():
            pytest.importorskip("no_such_package_for_course_tests")

        @pytest.mark.skip(reason="not written yet")
        def test_other():
            pass

        def test_runs_with_the_profile():
            print("deadline", settings().deadline, "derandomize", settings().derandomize)
    """))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE", "PYTEST_ADDOPTS")}
    env.update(COURSE_REQUIRE=require, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")   # no plugins: a quick start
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_in_ci_a_required_dependency_that_is_missing_fails_the_run(tmp_path):
    result = _run(tmp_path, "torch,no_such_package_for_course_tests", ci=True)
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed, 1 skipped" in result.stdout
    assert "COURSE_REQUIRE lists 'no_such_package_for_course_tests'" in result.stdout
    # CI=true: the derandomized Hypothesis profile, no per-example deadline
    assert "hypothesis profile: ci" in result.stdout and "deadline None derandomize True" in result.stdout


def test_on_a_laptop_it_skips_and_the_summary_says_why(tmp_path):
    result = _run(tmp_path, "", ci=False)
    assert result.returncode == 0, result.stdout
    assert "skipped checks: 2 tests, because:" in result.stdout
    assert "1 x not written yet" in result.stdout
    assert "1 x could not import 'no_such_package_for_course_tests'" in result.stdout
    assert "hypothesis profile: dev" in result.stdout and "deadline None" in result.stdout
