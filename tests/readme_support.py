"""The README's commands, read from the README and run the way a learner types them.

- ``readme_blocks()``: every fenced ``bash`` block of README.md, with the heading it sits under
  and its commands (comments and continuation lines handled), so that tests check what the
  README shows, not a copy of it.
- ``make_commands(...)``: what ``make`` would run for some targets (``make -n``), as argv lists.
- ``LabServer``: the README's ``make lab`` (plus ``NO_BROWSER=1`` and ``VENV=`` this test
  environment) on a copy of what ``make lab`` reads (the Makefile, pyproject.toml and
  notebooks/), in its own process group, with private Jupyter runtime, config, settings and
  workspace folders, so the repository and the user's Jupyter state are never written. The
  test never picks a port: it reads the port and token back from the server's runtime file
  (``jpserver-<pid>.json``), as ``jupyter server list`` does. ``stop()`` ends the whole process
  group (make and JupyterLab; the kernels are shut down through the API first, and ipykernel
  exits by itself when its parent dies).

Used by ``test_readme_commands.py`` and by the browser test, so that what CI proves is what
a learner types.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

# What `make lab` reads, and the exercises its file browser shows beside the lessons: copied
# (with their modification times, so make sees the venv stamp exactly as in the checkout)
# into the folder the server runs in.
LAB_FILES = ("Makefile", "pyproject.toml")
LAB_FOLDERS = ("exercises",)  # notebooks/ comes from LabServer(notebooks=...)

# The environment of a learner's fresh shell has none of these: they would change which port
# JupyterLab tries first, whether it retries, or what a nested make does.
_NOT_INHERITED = ("JUPYTER_PORT", "JUPYTER_PORT_RETRIES", "JUPYTER_TOKEN", "JUPYTER_CONFIG_PATH",
                  "DISPLAY", "WAYLAND_DISPLAY", "BROWSER",
                  "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "GNUMAKEFLAGS")


# ---------------------------------------------------------------- the README's blocks -------

@dataclass(frozen=True)
class Block:
    heading: str      # the nearest heading above the block, without its '#'s
    lead: str         # the paragraph just above the block (e.g. "**With conda** ...")
    commands: tuple   # each command as one string, comments removed

    def argvs(self) -> list[list[str]]:
        return [shlex.split(command) for command in self.commands]


def _commands(body: str) -> tuple:
    commands, pending = [], ""
    for line in body.splitlines():
        line = pending + line
        pending = ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        # drop a trailing comment (shlex knows quoting, so '#' inside quotes stays)
        words = shlex.split(line, comments=True)
        if words:
            commands.append(shlex.join(words))
    return tuple(commands)


def readme_blocks(text: str | None = None) -> list[Block]:
    """Every fenced ``bash`` / ``sh`` / ``shell`` block of the README, in order."""
    text = README.read_text(encoding="utf-8") if text is None else text
    blocks, heading, paragraph, after_blank = [], "", [], True
    lines = iter(text.splitlines())
    for line in lines:
        fence = re.match(r"^```\s*(\w*)\s*$", line)
        if fence:
            body = []
            for inner in lines:
                if inner.startswith("```"):
                    break
                body.append(inner)
            if fence.group(1) in ("bash", "sh", "shell", "console"):
                blocks.append(Block(heading, " ".join(paragraph), _commands("\n".join(body))))
            paragraph, after_blank = [], True
        elif line.startswith("#"):
            heading, paragraph, after_blank = line.lstrip("#").strip(), [], True
        elif not line.strip():
            after_blank = True
        else:
            if after_blank:
                paragraph = []
            paragraph.append(line.strip())
            after_blank = False
    return blocks


def readme_lab_command() -> list[str]:
    """The first ``make lab`` command of the README, as argv (``["make", "lab"]`` today)."""
    for block in readme_blocks():
        for argv in block.argvs():
            if argv[:1] == ["make"] and "lab" in argv[1:]:
                return argv
    raise AssertionError("README.md shows no `make lab` command")


# ---------------------------------------------------------------- make, dry-run ---------------

def make_commands(*targets: str, cwd: Path = REPO, env: dict | None = None,
                  always: bool = True) -> list[list[str]]:
    """What ``make -n [-B] TARGETS`` would run, one argv per command (``-B``: as on a fresh clone)."""
    argv = ["make", "-n", *(["-B"] if always else []), *targets]
    out = subprocess.run(argv, cwd=cwd, env=clean_env(env), capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return [shlex.split(line) for line in out.splitlines() if line.strip()]


def normalised_make_commands() -> list[list[str]]:
    """``make -n -B setup lab test`` on a fresh clone, as typed by a learner whose .venv is active.

    ``.venv/bin/`` is dropped (the activated venv puts it first on PATH), and so are make's own
    bookkeeping (``touch`` of its stamp file, an ``echo``) and the two options ``make lab``
    adds only on some machines (``--allow-root`` as root, ``--no-browser`` without a display),
    which the README's prose names instead.
    """
    commands = []
    for argv in make_commands("setup", "lab", "test", "VENV=.venv", "PYTHON=python3", env={}):
        if argv[0] in ("echo", "touch"):
            continue
        argv = [argv[0].removeprefix(".venv/bin/"), *argv[1:]]
        commands.append([a for a in argv if a not in ("--allow-root", "--no-browser")])
    return commands


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update(extra or {})
    return env


# ---------------------------------------------------------------- make lab, for real ---------

def _get(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.status, reply.read()


class LabServer:
    """``make lab NO_BROWSER=1 VENV=<this environment>``, run in ``workdir`` (a copy of what it reads).

    ``config`` is written to the private ``JUPYTER_CONFIG_DIR`` as ``jupyter_server_config.json``;
    ``settings`` ({plugin id: values}) to the private ``JUPYTERLAB_SETTINGS_DIR``. Neither changes
    the command: it is the README's, with the two variables its Makefile documents.
    """

    def __init__(self, state_dir: Path, *, notebooks: Path = REPO / "notebooks",
                 config: dict | None = None, settings: dict | None = None,
                 venv: Path | None = None):
        self.state_dir = Path(state_dir)
        self.workdir = self.state_dir / "course"
        self.notebooks = Path(notebooks)
        # a server left behind by a crashed test run shuts itself down after 10 idle minutes
        self.config = {"ServerApp": {"shutdown_no_activity_timeout": 600}}
        for section, values in (config or {}).items():
            self.config[section] = {**self.config.get(section, {}), **values}
        self.settings = settings or {}
        self.venv = Path(venv or sys.prefix)
        self.log_path = self.state_dir / "make-lab.log"
        self.runtime_dir = self.state_dir / "runtime"
        self.command: list[str] = []
        self.note = ""               # set when make could not be run exactly as typed
        self.process: subprocess.Popen | None = None
        self.info: dict = {}         # the server's runtime file (port, token, root_dir, pid ...)
        self._log = None

    # -- the facts read back from the server
    @property
    def port(self) -> int:
        return int(self.info["port"])

    @property
    def token(self) -> str:
        return self.info["token"]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.info.get('base_url', '/').rstrip('/')}"

    def api_url(self, path: str, **query: str) -> str:
        query = {**query, "token": self.token}
        return f"{self.base_url}/{path.lstrip('/')}?" + "&".join(f"{k}={v}" for k, v in query.items())

    def log(self, tail: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    # -- start
    def _prepare(self) -> dict:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in LAB_FILES:
            shutil.copy2(REPO / name, self.workdir / name)
        skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        shutil.copytree(self.notebooks, self.workdir / "notebooks", dirs_exist_ok=True, ignore=skip)
        for name in LAB_FOLDERS:
            shutil.copytree(REPO / name, self.workdir / name, dirs_exist_ok=True, ignore=skip)
        config_dir = self.state_dir / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / "jupyter_server_config.json").write_text(json.dumps(self.config))
        settings_dir = self.state_dir / "settings"
        for plugin_id, values in self.settings.items():
            package, plugin = plugin_id.split(":")
            path = settings_dir / package / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return clean_env({
            "JUPYTER_RUNTIME_DIR": str(self.runtime_dir),
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state_dir / "workspaces"),
            "MPLBACKEND": "Agg",
        })

    def _command(self, env: dict) -> list[str]:
        command = readme_lab_command() + ["NO_BROWSER=1", f"VENV={self.venv}"]
        if not (self.venv / "bin" / "jupyter").exists():
            raise RuntimeError(f"{self.venv}/bin/jupyter does not exist: run the tests from the "
                               "course's environment (make setup, or the README's pip or conda route)")
        stamp = self.venv / ".installed"
        up_to_date = subprocess.run(["make", "-q", f"VENV={self.venv}", str(stamp)], cwd=self.workdir,
                                    env=env, capture_output=True, timeout=30).returncode == 0
        if not up_to_date:
            # The environment was not made by `make setup` (the pip or conda route), or
            # pyproject.toml is newer than it: make would reinstall into it, from this throw-away
            # copy. `-o` tells make to take the venv as it is, and only that.
            command[1:1] = ["-o", str(stamp)]
            self.note = (f"{stamp} is missing or older than pyproject.toml: ran make with -o {stamp} "
                         "(the environment is used as it is, not reinstalled)")
        return command

    def start(self, timeout: float = 120.0) -> "LabServer":
        env = self._prepare()
        self.command = self._command(env)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command, cwd=self.workdir, env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"`{shlex.join(self.command)}` exited with code "
                                   f"{self.process.returncode}:\n{self.log()}")
            if not self.info:
                self.info = self._runtime_info()
            if self.info:
                try:
                    if _get(self.api_url("api/status"), timeout=2)[0] == 200:
                        return self
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
            time.sleep(0.25)
        raise RuntimeError(f"`{shlex.join(self.command)}` did not answer within {timeout:.0f} s:\n{self.log()}")

    def _runtime_info(self) -> dict:
        for path in sorted(self.runtime_dir.glob("jpserver-*.json")):
            try:
                info = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # being written
            if {"port", "token"} <= info.keys():
                return info
        return {}

    # -- use
    def get_json(self, path: str, **query: str):
        status, body = _get(self.api_url(path, **query), timeout=30)
        return status, json.loads(body)

    def shutdown_kernels(self) -> None:
        """Delete every session and kernel, so one notebook's kernel does not outlive its test."""
        for listing, item in (("api/sessions", "api/sessions/{id}"), ("api/kernels", "api/kernels/{id}")):
            try:
                for entry in self.get_json(listing)[1]:
                    request = urllib.request.Request(self.api_url(item.format(id=entry["id"])), method="DELETE")
                    urllib.request.urlopen(request, timeout=10).close()
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError, KeyError):
                pass

    # -- stop
    def stop(self) -> None:
        """Shut down the kernels, then end the process group: SIGTERM, and SIGKILL after 10 s."""
        if self.process is not None:
            if self.process.poll() is None and self.info:
                self.shutdown_kernels()
            group = self.process.pid  # start_new_session: make leads its own group
            _signal_group(group, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while _signal_group(group, 0) and time.monotonic() < deadline:
                self.process.poll()  # reap make, so that only JupyterLab keeps the group alive
                time.sleep(0.1)
            _signal_group(group, signal.SIGKILL)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


def _signal_group(group: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when the group has no process left."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
