"""The grader (course_lib/grading): its parts one by one, the course's own solutions, and Dask.

The hostile-submission suite (every attack of issue 8, with honest and blank students in one
sandboxed batch) is tests/test_grader_hostile.py. Here: reading submissions, the notebook's
cells, judging reports, the gradebook's safety and atomic writes, the command line's exit
codes, the sandbox choice, the course's solutions scoring full marks, and a Dask LocalCluster.
"""
import re
import csv
import io
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib import grade
from course_lib.checks import FunctionQuestion, NumberQuestion
from course_lib.grading import choose_sandbox, find_checks, gradebook, sandbox as sandbox_module
from course_lib.grading.judge import judge_report, kernel_spec
from course_lib.grading.submissions import MAX_NOTEBOOK_BYTES, code_cells, find_submissions

ROOT = Path(__file__).resolve().parent.parent

FAKE_EX01 = '''
from course_lib.checks import NumberQuestion
QUESTIONS = [NumberQuestion("q1", "answer", points=3, expected=42, example_wrong=41)]
q1, = QUESTIONS
__all__ = ["q1"]
'''


# --- submissions: only regular files in real folders ----------------------------------------------

def test_find_submissions_reads_only_regular_files(tmp_path):
    folder = tmp_path / "subs"
    (folder / "ann").mkdir(parents=True)
    (folder / "ann" / "01_a.ipynb").write_text("{}")
    (folder / "ann" / ".hidden.ipynb").write_text("{}")
    (folder / "ann" / "notes.txt").write_text("not a notebook")
    (folder / "bob").mkdir()
    (folder / "bob" / "01_a.ipynb").symlink_to(folder / "ann" / "01_a.ipynb")
    (folder / "bob" / "02_b.ipynb").symlink_to("/dev/zero")
    os.mkfifo(folder / "bob" / "03_c.ipynb")
    (folder / "bob" / "04_d.ipynb").mkdir()
    (folder / "cat").mkdir()
    (folder / "dan").symlink_to(folder / "ann")
    (folder / "README.md").write_text("instructor's notes: not a student")
    (folder / "eve").mkdir()
    big = folder / "eve" / "01_a.ipynb"
    big.write_bytes(b"")
    os.truncate(big, MAX_NOTEBOOK_BYTES + 1)
    rows = {(s.student, s.name): s for s in find_submissions(folder)}
    assert set(rows) == {("ann", "01_a.ipynb"), ("bob", "01_a.ipynb"), ("bob", "02_b.ipynb"), ("bob", "03_c.ipynb"),
                         ("bob", "04_d.ipynb"), ("cat", ""), ("dan", ""), ("eve", "01_a.ipynb")}
    assert rows[("ann", "01_a.ipynb")].data == b"{}" and not rows[("ann", "01_a.ipynb")].problem
    assert rows[("bob", "01_a.ipynb")].problem == "not a regular file (a symbolic link)"
    assert rows[("bob", "02_b.ipynb")].problem == "not a regular file (a symbolic link)"
    assert rows[("bob", "03_c.ipynb")].problem == "not a regular file (a FIFO)"
    assert rows[("bob", "04_d.ipynb")].problem == "not a regular file (a folder)"
    assert rows[("cat", "")].problem == "no notebooks submitted"
    assert rows[("dan", "")].problem == "student folder is a symbolic link: not graded"
    assert rows[("eve", "01_a.ipynb")].problem == "invalid notebook" and rows[("eve", "01_a.ipynb")].data is None


def test_code_cells_drops_nbgrader_tests_and_counts_every_cell():
    notebook = new_notebook(cells=[new_markdown_cell("# title"), new_code_cell("x = 1"),
                                   new_code_cell("assert q1.evaluate().correct"), new_code_cell("y = 2")])
    notebook.cells[2].metadata["nbgrader"] = {"grade": True, "solution": False, "points": 1, "grade_id": "t1"}
    notebook.cells[1].metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "s1"}
    assert code_cells(nbformat.writes(notebook).encode()) == [(2, "x = 1"), (4, "y = 2")]


@pytest.mark.parametrize("data", [b"this is {not json", b'{"cells": "none"}', b"[1, 2]", b'{"cells": [{"cell_type": 1}]}',
                                  b'{"cells": [{"cell_type": "code", "source": 5}]}', b"\xff\xfe", b"[" * 100_000])
def test_invalid_notebooks_raise_valueerror(data):
    with pytest.raises(ValueError):
        code_cells(data)


# --- judging: points from the question table, strict parsing ------------------------------------------

QUESTIONS = [NumberQuestion("q1", "side", points=2, expected=55),
             FunctionQuestion("q2", "double", points=3, reference=lambda x: 2 * x, cases=[(1,), (5,)])]


def test_judge_report_gives_the_tables_points():
    report = json.dumps({"q1": {"answer": 55}, "q2": {"calls": [{"value": 2}, {"value": 10}]}})
    verdicts = judge_report(QUESTIONS, report)
    assert [(v.name, v.status, v.earned, v.points) for v in verdicts] == [("q1", "correct", 2, 2), ("q2", "correct", 3, 3)]


@pytest.mark.parametrize("report", [
    '{"q1": {"answer": 55, "earned": 1000}, "q2": {"calls": [{"value": 2}]}}',     # extra key; too few calls
    '{"q1": {"answer": NaN}, "q2": {"calls": [{"value": 2}, {"value": Infinity}]}}',  # not plain JSON numbers
    '{"q1": {"answer": ' + "9" * 400 + '}, "q2": {"answer": "def double"}}',          # no float value; not a function
    '{"q1": {"answer": {"other": "Sneaky", "text": "55", "points": 2}}, "q2": 7}',    # a forged marker; not a report
])
def test_forged_or_malformed_reports_score_nothing(report):
    verdicts = judge_report(QUESTIONS, report)
    assert [v.earned for v in verdicts] == [0, 0] and all(v.status != "correct" for v in verdicts)


@pytest.mark.parametrize("report", [None, "", "not json", "[1, 2]", "{" * 100_000, '"' + "x" * 3_000_000 + '"'])
def test_no_readable_report_means_no_answer_never_a_crash(report):
    verdicts = judge_report(QUESTIONS, report, "no answer was reported (timeout)")
    assert [(v.status, v.earned) for v in verdicts] == [("not attempted", 0)] * 2


def test_kernel_spec_is_plain_literals():
    assert kernel_spec(QUESTIONS) == [("q1", "value", "side", []), ("q2", "function", "double", [(1,), (5,)])]
    with pytest.raises(ValueError, match="plain literals"):
        kernel_spec([FunctionQuestion("q1", "f", reference=len, cases=[(object(),)])])


# --- the gradebook ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
                                          ("\tx", "'\tx"), ("\rx", "'\rx"), ("alice", "alice"), (4, "4"), (None, "")])
def test_safe_cell_neutralises_formulas(value, shown):
    assert gradebook.safe_cell(value) == shown


def test_safe_cell_caps_long_fields():
    assert len(gradebook.safe_cell("E" * 1_000_000)) == gradebook.MAX_FIELD_CHARS


def test_gradebook_write_is_atomic(tmp_path, monkeypatch):
    checks = find_checks(str(_fake_checks(tmp_path)))
    book = gradebook.Gradebook(tmp_path / "grades.csv", checks)
    book.add(gradebook.Result("ann", "01_a.ipynb", points={"q1": 3}, score=3, max_score=3))
    before = (tmp_path / "grades.csv").read_text()

    def crash(*args):
        raise OSError("disk full")
    monkeypatch.setattr(gradebook.os, "replace", crash)
    with pytest.raises(OSError):
        book.add(gradebook.Result("bob", "01_a.ipynb", points={"q1": 0}, score=0, max_score=3))
    assert (tmp_path / "grades.csv").read_text() == before            # the last complete gradebook stays
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".grades.csv")]
    rows = list(csv.DictReader(io.StringIO(before)))
    assert rows == [{"student": "ann", "notebook": "01_a.ipynb", "q1": "3", "score": "3", "max_score": "3",
                     "problem": "", "sandbox": ""}]


# --- the command line, and the sandbox choice -------------------------------------------------------

def _fake_checks(folder):
    package = folder / "fakechecks"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_EX01)
    return package


def test_missing_submissions_folder_is_a_usage_error(tmp_path, capsys):
    assert grade.main([str(tmp_path / "nope"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_gradebook_inside_the_submissions_folder_is_refused(tmp_path, capsys):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    assert grade.main([str(tmp_path / "subs"), "--out", str(tmp_path / "subs" / "ann" / "g.csv")]) == 2
    assert "outside the submissions folder" in capsys.readouterr().err
    assert grade.main([str(tmp_path / "subs"), "--out", str(tmp_path / "nope" / "g.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_sandbox_required_without_bwrap_fails_clearly(tmp_path, capsys, monkeypatch):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox_module, "BWRAP_FALLBACK", str(tmp_path / "no-bwrap"))
    assert grade.main([str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv"), "--sandbox", "required"]) == 2
    err = capsys.readouterr().err
    assert "--sandbox required" in err and "apt-get install bubblewrap" in err
    assert not (tmp_path / "g.csv").exists()


def test_auto_without_bwrap_says_so():
    chosen = choose_sandbox("auto", bwrap="/nonexistent/bwrap")
    assert chosen.kind == "none" and chosen.label == "none" and "WITHOUT a sandbox" in chosen.note
    with pytest.raises(ValueError, match="auto, required, off"):
        choose_sandbox("sometimes")


def test_broken_checks_module_marks_its_rows_only(tmp_path):
    package = tmp_path / "brokenchecks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_EX01)
    (package / "ex03.py").write_text("raise RuntimeError('a bug in the checks')")
    checks = grade.find_checks(str(package))
    assert checks.package == "brokenchecks" and checks.questions == {"01": [("q1", 3)]}
    assert "a bug in the checks" in checks.load_errors["03"]
    notebook = tmp_path / "03_x.ipynb"
    notebook.write_text(nbformat.writes(new_notebook()))
    result = grade.grade_notebook(notebook, "s", checks, timeout=5)   # no kernel is started for it
    assert result.problem == "checks ex03 failed to load" and "a bug" in result.detail and not result.graded


# --- the course's own solutions score full marks ------------------------------------------------------

SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def solutions_batch(tmp_path_factory):
    if not SOLUTIONS:
        pytest.skip("no solutions/NN_*.ipynb yet")
    submissions = tmp_path_factory.mktemp("solutions") / "submissions"
    (submissions / "teacher").mkdir(parents=True)
    for path in SOLUTIONS:
        shutil.copyfile(path, submissions / "teacher" / path.name)
    results = grade.grade(submissions, None, timeout=120, jobs=2, log=lambda *a: None)
    return {r.notebook: r for r in results}


@pytest.mark.parametrize("solution", SOLUTIONS or [pytest.param(None, marks=pytest.mark.skip("no solutions yet"))],
                         ids=lambda p: getattr(p, "name", str(p)))
def test_solution_scores_full_marks(solutions_batch, solution):
    result = solutions_batch[solution.name]
    assert result.problem == "", (result.problem, result.detail)
    assert result.max_score and result.score == result.max_score, result.status


# --- a Dask cluster -----------------------------------------------------------------------------------

def test_grades_on_a_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed "
                                                            "(pip install 'course_lib[dask]')")
    package = _fake_checks(tmp_path)
    submissions = tmp_path / "subs"
    for student, source in (("ann", "answer = 6 * 7"), ("bob", "answer = 41")):
        (submissions / student).mkdir(parents=True)
        (submissions / student / "01_a.ipynb").write_text(nbformat.writes(new_notebook(cells=[new_code_cell(source)])))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        results = grade.grade(submissions, tmp_path / "g.csv", timeout=30, checks=str(package),
                              dask=cluster.scheduler_address, log=lambda *a: None)
    assert [(r.student, r.score, r.max_score, r.problem) for r in results] == [("ann", 3, 3, ""), ("bob", 0, 3, "")]


def test_summary_shows_control_characters_as_escapes():
    result = grade.Result("\x1b]0;pwned\x07evil", "01_a.ipynb", problems=["cell error in cell 3 (\x1b[2J)"])
    text = grade.summary([result], 1.0)
    assert "\x1b" not in text and "\\x1b]0;pwned\\x07evil/01_a.ipynb" in text


# --- the sandbox's plan: what the kernel may see ------------------------------------------------------

@pytest.mark.parametrize("as_root", [True, False])
def test_bwrap_command_shows_only_what_the_kernel_needs(tmp_path, monkeypatch, as_root):
    monkeypatch.setattr(sandbox_module.os, "geteuid", lambda: 0 if as_root else 1000)
    monkeypatch.setattr(sandbox_module, "_own_processes", lambda: 10)
    chosen = sandbox_module.Sandbox("bwrap", "/usr/bin/bwrap")
    scratch = tmp_path / "scratch"
    (scratch / "work").mkdir(parents=True)
    copy = scratch / "work" / "01_a.ipynb"
    copy.write_text("{}")
    argv, env, cwd = sandbox_module.kernel_command(
        chosen, ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", str(scratch / "i" / "k.json")],
        scratch=str(scratch), notebook_copy=str(copy), ipc_dir=str(scratch / "i"),
        packages={"course_lib": str(ROOT / "course_lib"), "fakechecks": str(tmp_path / "fakechecks")},
        limits=sandbox_module.Limits(), uid=1_234_567 if as_root else None)
    assert argv[0] == "/usr/bin/bwrap" and env == {}
    for flag in ("--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    assert ("--unshare-user" in argv) is not as_root
    binds = {(argv[i], argv[i + 1], argv[i + 2]) for i in range(len(argv) - 2) if argv[i] in ("--bind", "--ro-bind")}
    writable = {dest for option, _, dest in binds if option == "--bind"}
    assert writable == {str(scratch / "i")}                                  # only the sockets' folder
    sources = {source for _, source, _ in binds}
    for forbidden in ("/", "/work", "/root", "/tmp", "/home", str(tmp_path), str(ROOT)):
        assert forbidden not in sources, forbidden
    assert ("--ro-bind", str(ROOT / "course_lib"), "/opt/course/course_lib") in binds
    assert ("--ro-bind", str(copy), "/tmp/work/01_a.ipynb") in binds
    tail = argv[argv.index("--") + 1:]
    assert tail[3].endswith("_confine.py") and ("--uid" in tail) is as_root
    assert "nproc=64" in tail if as_root else "nproc=74" in tail            # root: its own uid; else +10 already running
    setenv = {argv[i + 1]: argv[i + 2] for i in range(len(argv) - 2) if argv[i] == "--setenv"}
    assert "JPY_PARENT_PID" not in setenv and setenv["HOME"] == "/tmp/home" and setenv["PYTHONPATH"] == "/opt/course"


def test_the_private_tmp_is_mounted_before_the_python_and_course_binds():
    """bwrap mounts in order: a venv or a course under /tmp (a clone in /tmp/x) must be bound on top of the
    sandbox's private /tmp, not hidden under it (CI found every kernel failing to start from /tmp)."""
    from course_lib.grading import sandbox as sb

    box = sb.Sandbox(kind="bwrap", bwrap="/usr/bin/bwrap")
    argv, _, _ = sb.kernel_command(box, ["/tmp/clone/.venv/bin/python", "-m", "ipykernel_launcher"],
                                   scratch="/tmp/s", notebook_copy="/tmp/s/01_x.ipynb", ipc_dir="/tmp/s/ipc",
                                   packages={"course_lib": "/tmp/clone/course_lib"}, limits=sb.Limits(), uid=12345)
    tmpfs = argv.index("--tmpfs")
    binds = [i for i, arg in enumerate(argv) if arg == "--ro-bind" and argv[i + 1].startswith("/tmp/clone")]
    assert binds and all(i > tmpfs for i in binds)


@pytest.mark.parametrize("payload", [
    "[Click to request a regrade](https://evil.example/phish) ![t](https://evil.example/pixel.png)",
    "[login to see your grade](https://evil.example/login) **bold** _it_",
    "# A heading <b>html</b> <img src=x> a | table | break\nsecond line",
    "<https://evil.example/autolink> `code` ~~strike~~",
])
def test_student_text_makes_no_markup_in_the_feedback_file(payload):
    """Answers, exception texts and folder names are the student's: in the feedback file they stay text
    (a red team put links and tracking pixels there). Rendered by mistune, JupyterLab's Markdown parser."""
    import mistune
    from course_lib.grading.gradebook import _markdown_text

    html = mistune.html(f"Problem: {_markdown_text(payload)}")
    assert not re.search(r"<(a|img|em|strong|h\d|b|code|del|table)\b", html), html
    assert html.count("<p>") == 1   # one paragraph: no line break or heading escapes it


def test_two_checks_folders_with_one_package_name_are_not_confused(tmp_path):
    """A checks package is loaded from the folder named, not from an earlier import of the same name
    (the hostile suite and this file both build a `fakechecks`: CI graded one with the other's questions)."""
    from course_lib.grading.judge import find_checks

    tables = {}
    for term, points in (("a", 3), ("b", 5)):
        package = tmp_path / term / "samename"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "ex01.py").write_text(
            "from course_lib.checks._core import NumberQuestion\n"
            f"q1 = NumberQuestion(name='q1', var='x', points={points}, expected=1)\nQUESTIONS = [q1]\n")
        checks = find_checks(str(package))
        tables[term] = [q.points for q in checks.modules["01"].QUESTIONS]
    assert tables == {"a": [3], "b": [5]}
