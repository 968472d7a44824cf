"""Every command the README shows is one the tests run or check, read from the README itself.

- ``make lab`` (the first block): the README's own command, run as typed plus the two
  variables the Makefile documents for this (``NO_BROWSER=1``, and ``VENV=`` the already
  set-up environment, so nothing is reinstalled). The test waits until the server answers,
  reads its port and token back from the server's runtime file, opens the welcome notebook
  through the REST API, checks the URL is printed plainly, and stops the server also when a
  test fails (a fixture finalizer ending the whole process group). It runs as whoever runs the
  tests (root in CI), without a display, and with the default port 8888 held by the test,
  so JupyterLab must move to another port by itself. ``test_browser.py`` drives the same launch.
- ``make test``: what CI runs (``.ci/run`` ends with it).
- The plain-pip block: not run here. Building a venv from scratch takes 100 s or more even
  with a warm pip cache (``make setup`` took 107 s on an idle 2-core machine), over this
  suite's ~60 s budget for it. Instead, each command of the block must be exactly a
  command ``make lab`` and ``make test`` run on a fresh clone (``make -n -B``), in the same
  order, with ``.venv/bin/`` standing for the activated venv; the two options ``make lab``
  adds only on some machines (``--allow-root``, ``--no-browser``) are named in the
  README's prose instead. So the block and the Makefile cannot drift apart, and the
  Makefile's commands are the ones the launch test runs.
- The conda block: conda's channels cannot be reached from CI; ``test_packaging.py`` checks
  that environment.yml parses, names the same dependencies and floors as pyproject.toml,
  and that the block's commands use that file and environment name and are the pip route's.
- The grading command: ``test_grader.py`` runs the grader with these options; here, its
  ``--help`` must list every option the README uses.
- The benchmarks: measurements run by hand (minutes each, and speed is never asserted by a
  timed test); here, each script the README names must exist and compile.
"""
from __future__ import annotations

import errno
import json
import os
import platform
import py_compile
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from readme_support import (
    REPO, LabServer, make_commands, normalised_make_commands, readme_blocks, readme_lab_command,
)

WELCOME = "notebooks/00_welcome.ipynb"
# jupyter_server's default port (jupyter_server.DEFAULT_JUPYTER_SERVER_PORT) when JUPYTER_PORT
# is unset, which the launch ensures
try:
    from jupyter_server import DEFAULT_JUPYTER_SERVER_PORT as DEFAULT_PORT
except ImportError:  # older jupyter_server: the documented default
    DEFAULT_PORT = 8888


@contextmanager
def default_port_taken():
    """Hold 127.0.0.1:8888 (JupyterLab's first choice) while the server starts; if another
    program already holds it, it is taken all the same."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # as servers do (JupyterLab too): a closed connection still in TIME_WAIT does not block the
    # bind, so EADDRINUSE below means a live listener holds the port
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        try:
            sock.bind(("127.0.0.1", DEFAULT_PORT))
            sock.listen(1)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
        yield
    finally:
        sock.close()


@pytest.fixture(scope="module")
def make_lab(tmp_path_factory, request):
    if shutil.which("make") is None:
        pytest.skip("make is not installed: the README's first route needs it")
    server = LabServer(tmp_path_factory.mktemp("make-lab"))
    request.addfinalizer(server.stop)  # also when start() or a test fails
    with default_port_taken():
        server.start()
    if server.note:
        print(server.note)
    return server


def _blocks(heading_part: str, lead_part: str = "") -> list:
    found = [b for b in readme_blocks() if heading_part in b.heading and lead_part in b.lead]
    assert found, f"README.md has no command block under '{heading_part}' {lead_part!r}"
    return found


# ---------------------------------------------------------------- make lab, run for real -----

def test_the_launch_is_the_readmes_first_command(make_lab):
    first = readme_blocks()[0]
    assert first.commands == ("make lab", "make test"), first.commands
    assert make_lab.command[:1] == ["make"] and make_lab.command[-3:] == [
        "lab", "NO_BROWSER=1", f"VENV={make_lab.venv}"], make_lab.command
    assert readme_lab_command() == ["make", "lab"]


def test_make_lab_serves_the_welcome_notebook(make_lab):
    status, model = make_lab.get_json(f"api/contents/{WELCOME}", content="1")
    assert status == 200
    assert model["type"] == "notebook" and model["path"] == WELCOME
    # the same notebook as in the checkout, read through the server
    stored = json.loads((REPO / WELCOME).read_text(encoding="utf-8"))
    assert len(model["content"]["cells"]) == len(stored["cells"]) > 0
    assert model["content"]["cells"][0]["source"] == "".join(stored["cells"][0]["source"])
    # the server's root is the course folder, so the exercises the lessons point to are in
    # the same file browser (not only notebooks/)
    status, listing = make_lab.get_json("api/contents")
    assert {"notebooks", "exercises"} <= {item["name"] for item in listing["content"]}


def test_make_lab_prints_its_url_with_the_token(make_lab):
    url = f"http://127.0.0.1:{make_lab.port}/lab/tree/{WELCOME}?token={make_lab.token}"
    log = make_lab.log(tail=10**6)
    assert "Or copy and paste one of these URLs" in log
    assert url in log.split(), f"{url} is not printed on a line of its own:\n{make_lab.log()}"
    with urllib.request.urlopen(url, timeout=30) as reply:  # what a learner pastes opens JupyterLab
        assert reply.status == 200
        assert b"JupyterLab" in reply.read()


def test_make_lab_needs_the_token(make_lab):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{make_lab.base_url}/api/contents/{WELCOME}", timeout=30)
    assert refused.value.code == 403


def test_make_lab_moved_off_the_taken_default_port(make_lab):
    assert make_lab.port != DEFAULT_PORT
    # the test read the port back from the server, which also says it was launched by make
    assert make_lab.info["root_dir"] == str(make_lab.workdir)


def test_make_lab_ran_without_a_display_and_as_this_user(make_lab):
    log = make_lab.log(tail=10**6)
    assert "Running as root is not recommended" not in log
    assert "No web browser found" not in log  # NO_BROWSER=1: it did not try


def _processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (Linux /proc)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc (Linux)")
def test_stop_ends_make_jupyterlab_and_its_kernels(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed: the README's first route needs it")
    server = LabServer(tmp_path)
    try:
        server.start()
        request = urllib.request.Request(server.api_url("api/kernels"), data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            kernel_id = json.load(reply)["id"]
        # the kernel runs with its connection file from the private runtime folder
        deadline = time.monotonic() + 30
        while not _processes_mentioning(f"kernel-{kernel_id}") and time.monotonic() < deadline:
            time.sleep(0.2)
        alive = {"make": [server.process.pid], "jupyterlab": [int(server.info["pid"])],
                 "kernel": _processes_mentioning(f"kernel-{kernel_id}")}
        assert all(alive.values()), alive
    finally:
        server.stop()
    deadline = time.monotonic() + 15  # an orphaned kernel notices its parent is gone within ~1 s
    left = alive
    while time.monotonic() < deadline:
        left = {name: [pid for pid in pids if _is_running(pid)] for name, pids in alive.items()}
        if not any(left.values()):
            break
        time.sleep(0.2)
    assert not any(left.values()), f"still running after stop(): {left}"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.api_url("api/status"), timeout=5)


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status waits to be read


# ---------------------------------------------------------------- make lab's options ---------

def _lab_command(env: dict, *variables: str) -> list[str]:
    commands = make_commands("lab", *variables, env=env, always=False)
    return next(c for c in commands if c[0].endswith("/jupyter"))


def _as_nobody() -> list[str] | None:
    """A prefix that runs a command as user 'nobody' (setpriv), when this process is root."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.mark.parametrize("env, variables, no_browser", [
    ({}, (), True),                                  # Linux without a display: never a text browser
    ({"DISPLAY": ":0"}, (), False),                  # a desktop: opens the browser
    ({"WAYLAND_DISPLAY": "wayland-0"}, (), False),
    ({"DISPLAY": ":0"}, ("NO_BROWSER=1",), True),    # asked not to
    ({"DISPLAY": ":0"}, ("NO_BROWSER=0",), False),
])
def test_make_lab_opens_a_browser_only_where_there_is_a_display(env, variables, no_browser):
    if platform.system() != "Linux" and not env:
        pytest.skip("the no-display rule is Linux's (macOS opens a browser without DISPLAY)")
    command = _lab_command(env, *variables)
    assert ("--no-browser" in command) == no_browser, command
    assert f"--LabApp.default_url=/lab/tree/{WELCOME}" in command


def test_make_lab_allows_root_only_for_root():
    assert ("--allow-root" in _lab_command({})) == (os.geteuid() == 0)
    nobody = _as_nobody()
    if nobody is not None:  # root running the tests: check the other side too
        out = subprocess.run([*nobody, "make", "-n", "lab"], cwd=REPO, capture_output=True, text=True,
                             timeout=30)
        if out.returncode == 0:
            jupyter = [shlex.split(line) for line in out.stdout.splitlines() if "/jupyter " in line][0]
            assert "--allow-root" not in jupyter, jupyter
        else:  # nobody cannot read this checkout (a private home): say so, the root side stands
            print(f"make -n lab as nobody failed: {out.stderr.strip()}")


# ---------------------------------------------------------------- the other blocks -----------

def test_plain_pip_block_is_what_make_runs():
    (block,) = _blocks("Without make", "plain pip")
    readme = block.argvs()
    assert readme[1][:1] == ["source"] and readme[1][1] == ".venv/bin/activate", readme[1]
    readme = [readme[0]] + readme[2:]
    assert readme == normalised_make_commands()


def test_readme_prose_names_the_conditional_lab_options():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    without_make = text[text.index("## Without make"):text.index("## The lessons")]
    for option in ("--allow-root", "--no-browser"):
        assert f"`{option}`" in without_make, f"README's 'Without make' must say when to add {option}"


def test_make_test_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"(?m)^\s*make test\s*$", ci), ".ci/run must run the README's `make test` as is"


def test_system_packages_ci_installs_are_named_in_the_readme():
    ci = (REPO / ".ci" / "run").read_text()
    installed = set()
    for line in re.findall(r"apt-get install[^\n|&;)]*", ci):
        installed |= {w for w in shlex.split(line)[2:] if not w.startswith("-") and not w.startswith(">")}
    text = (REPO / "README.md").read_text(encoding="utf-8")
    named = set(shlex.split(re.search(r"`apt-get install ([^`]+)`", text).group(1)))
    assert "chromium" in installed and "chromium" in named
    assert installed <= named, f"CI installs {sorted(installed - named)}, which the README does not name"
    assert "bubblewrap" in named


def test_grading_command_uses_options_the_grader_accepts():
    (block,) = _blocks("grading")
    (argv,) = block.argvs()
    assert argv[:3] == [".venv/bin/python", "-m", "course_lib.grade"], argv
    usage = subprocess.run([sys.executable, "-m", "course_lib.grade", "--help"], capture_output=True,
                           text=True, timeout=60, check=True).stdout
    options = [a for a in argv[3:] if a.startswith("--")]
    assert options == ["--out", "--timeout"], options
    for option in options:
        assert f"[{option} " in usage, f"`python -m course_lib.grade --help` does not list {option}"


def test_benchmark_scripts_exist_and_compile(tmp_path):
    (block,) = _blocks("benchmarks")
    assert block.argvs(), "README's benchmark block is empty"
    for argv in block.argvs():
        assert argv[0] == ".venv/bin/python" and argv[1].startswith("benchmarks/"), argv
        py_compile.compile(str(REPO / argv[1]), cfile=str(tmp_path / "x.pyc"), doraise=True)


def test_every_readme_block_is_checked():
    """A new block in the README fails here until a test covers it."""
    covered = {
        "Two commands": lambda b: b.commands == ("make lab", "make test"),
        "conda": lambda b: b.commands[0] == "conda env create -f environment.yml",  # test_packaging.py
        "plain pip": lambda b: True,                                                # test_plain_pip_block_...
        "grading": lambda b: all("course_lib.grade" in c for c in b.commands),
        "benchmarks": lambda b: all(c.startswith(".venv/bin/python benchmarks/") for c in b.commands),
    }
    unchecked = []
    for block in readme_blocks():
        keys = [k for k in covered if k in block.heading or k in block.lead]
        if len(keys) != 1 or not covered[keys[0]](block):
            unchecked.append(f"{block.heading} / {block.lead[:40]!r}: {block.commands}")
    assert not unchecked, "README blocks no test checks:\n" + "\n".join(unchecked)
    assert len(readme_blocks()) == len(covered)
