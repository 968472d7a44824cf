"""How a kernel is started and confined: bubblewrap on Linux, and the fallback where there is none.

With bubblewrap (``bwrap``, Debian package ``bubblewrap``) each notebook's kernel gets

- its own PID, network (none: only loopback), IPC and UTS namespaces; ``--die-with-parent``
  and a PID namespace mean that everything it starts dies with it, detached daemons included;
- a read-only view of only what it needs: ``/usr`` (and the ``/bin``, ``/lib`` links), a few
  files of ``/etc``, the Python installation and its virtual environment, the ``course_lib``
  package and the checks package (each bound alone, under ``/opt/course``); never the
  submissions folder, the gradebook's folder, ``/work`` or ``/root`` as a whole;
- a private ``/tmp`` (a tmpfs of ``Limits.tmp_bytes``) holding the notebook's copy
  (``/tmp/work``, its working folder) and a private HOME / IPYTHONDIR / TMPDIR /
  JUPYTER_RUNTIME_DIR / MPLCONFIGDIR; a clean environment (no JPY_PARENT_PID, so ipykernel's
  parent poller does not kill a kernel whose parent it cannot see);
- only the folder of its ZMQ ``ipc`` sockets shared with the grader (same path inside and out);
- resource limits set by ``_confine.py`` before the kernel starts: address space, file size,
  CPU time, processes, open files.

When the grader runs as root, the kernel runs as a user id of its own (a random id above
1,000,000 that no account uses), so RLIMIT_NPROC counts only this sandbox's processes and
the kernel owns no file outside its tmpfs. (RLIMIT_NPROC does not bind root, and counts
every process of the real user id: under a shared id it would count the grader's too.) As an
ordinary user, bwrap maps the user into a user namespace instead; the process limit then
counts that user's other processes too, so it is raised by the number they already run.

``--sandbox off`` (or ``auto`` without a working bwrap, e.g. on macOS or Windows) runs the
kernel as a plain child process with the same limits where the OS has them: the gradebook
and the summary say that grading ran without a sandbox.

Taught by: README, "Exercises and grading".
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sandbox", "Limits", "SandboxUnavailable", "choose_sandbox", "kernel_command", "SANDBOX_MODES"]

SANDBOX_MODES = ("auto", "required", "off")
INSIDE_COURSE = "/opt/course"            # where course_lib and the checks package appear in the sandbox
INSIDE_WORK = "/tmp/work"                # the notebook's working folder (its copy only)
INSIDE_HOME = "/tmp/home"
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "fonts", "mime.types",
        "nsswitch.conf")
_CONFINE = Path(__file__).with_name("_confine.py")
BWRAP_FALLBACK = "/usr/bin/bwrap"        # Debian's bubblewrap, when it is not on PATH


class SandboxUnavailable(RuntimeError):
    """``--sandbox required`` and no working bubblewrap."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel (applied with setrlimit before it starts)."""
    memory_bytes: int = 4 * 2 ** 30     # RLIMIT_AS: address space (NumPy + pandas + matplotlib use ~1.5 GB)
    file_bytes: int = 64 * 2 ** 20      # RLIMIT_FSIZE: largest file it may write
    processes: int = 64                 # RLIMIT_NPROC: processes and threads (ipykernel uses ~8)
    open_files: int = 1024              # RLIMIT_NOFILE
    tmp_bytes: int = 128 * 2 ** 20      # size of its private /tmp (a tmpfs, in memory)
    cpu_seconds: int = 600              # RLIMIT_CPU: a backstop; the wall-clock watchdog acts first


@dataclass(frozen=True)
class Sandbox:
    """How kernels are started: ``kind`` "bwrap" or "none", and a sentence for the summary."""
    kind: str
    bwrap: str | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """The gradebook's ``sandbox`` column."""
        return "bwrap" if self.kind == "bwrap" else "none"


def _namespaces(as_root: bool) -> list[str]:
    shared = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
              "--die-with-parent", "--new-session"]
    if as_root:   # root keeps the real ids (and drops to its own uid in _confine.py); caps: only those two
        return shared + ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    return ["--unshare-user"] + shared


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in _ETC:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return args


def choose_sandbox(mode: str = "auto", bwrap: str | None = None) -> Sandbox:
    """The sandbox for ``--sandbox mode``; ``required`` raises SandboxUnavailable when bwrap does not work."""
    if mode not in SANDBOX_MODES:
        raise ValueError(f"sandbox must be one of {', '.join(SANDBOX_MODES)}, got {mode!r}")
    if mode == "off":
        return Sandbox("none", note="graded WITHOUT a sandbox (--sandbox off): notebooks ran with the grader's rights")
    bwrap = bwrap or shutil.which("bwrap") or (BWRAP_FALLBACK if os.path.exists(BWRAP_FALLBACK) else None)
    reason = None
    if not sys.platform.startswith("linux"):
        reason = f"bubblewrap needs Linux (this is {sys.platform})"
    elif bwrap is None:
        reason = "bwrap not found (install the bubblewrap package: apt-get install bubblewrap)"
    else:
        probe = [bwrap, *_namespaces(os.geteuid() == 0), *_system_binds(), "--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", "1000000", "--tmpfs", "/tmp", "--", "/usr/bin/env", "true"]
        try:
            done = subprocess.run(probe, capture_output=True, timeout=30)
            if done.returncode != 0:
                reason = f"bwrap does not work here: {done.stderr.decode(errors='replace').strip()[:200]}"
        except (OSError, subprocess.TimeoutExpired) as error:
            reason = f"bwrap does not work here: {error}"
    if reason is None:
        return Sandbox("bwrap", bwrap, note=f"each notebook ran in a bubblewrap sandbox ({bwrap})")
    if mode == "required":
        raise SandboxUnavailable(f"--sandbox required: {reason}")
    return Sandbox("none", note=f"graded WITHOUT a sandbox: {reason}")


def _limit_args(limits: Limits, extra_processes: int = 0) -> list[str]:
    pairs = {"as": limits.memory_bytes, "fsize": limits.file_bytes, "nproc": limits.processes + extra_processes,
             "nofile": limits.open_files, "cpu": limits.cpu_seconds, "core": 0}
    args = []
    for name, value in pairs.items():
        args += ["--limit", f"{name}={int(value)}"]
    return args


def _own_processes() -> int:
    """How many processes (threads included) the current user runs: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                pass
    return count


def _with_parents(made: set, option: str, source: str, dest: str) -> list[str]:
    """``option source dest``, after creating dest's missing parents as 0755 folders.

    (bwrap makes missing parents 0700 and root-owned: the kernel's own user could not pass them.)
    """
    args = []
    for parent in reversed(Path(dest).parents):
        parent = str(parent)
        if parent != "/" and parent not in made:
            made.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    made.add(dest)
    return args + [option, source, dest]


def _python_roots(executable: str) -> list[str]:
    roots = [sys.prefix, sys.base_prefix, str(Path(executable).resolve().parent.parent)]
    kept = []
    for root in sorted(set(map(os.path.realpath, roots)) | set(roots)):
        if root != "/usr" and not root.startswith("/usr/") and os.path.isdir(root):
            kept.append(root)
    return kept


def kernel_command(sandbox: Sandbox, kernel_argv: list[str], *, scratch: str, notebook_copy: str,
                   ipc_dir: str, packages: dict, limits: Limits, uid: int | None = None):
    """(argv, env, cwd) that start ``kernel_argv`` confined; ``packages`` maps a top-level name to its folder.

    ``scratch`` is a private host folder for this notebook (only used without a sandbox: the
    working folder and HOME live there); ``ipc_dir`` holds the connection file and sockets.
    """
    threads = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if sandbox.kind != "bwrap":
        work, home = os.path.join(scratch, "work"), os.path.join(scratch, "home")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("JPY_", "JUPYTER_", "IPYTHON", "MPL", "PYTHON", "COV"))}
        parents = sorted({str(Path(folder).parent) for folder in packages.values()})
        env.update(threads, HOME=home, IPYTHONDIR=f"{home}/.ipython", TMPDIR=work, MPLCONFIGDIR=f"{home}/.mpl",
                   JUPYTER_RUNTIME_DIR=f"{home}/runtime", JUPYTER_CONFIG_DIR=f"{home}/.jupyter",
                   JUPYTER_DATA_DIR=f"{home}/.local/share/jupyter", PYTHONPATH=os.pathsep.join(parents))
        confine = [sys.executable, "-S", "-E", str(_CONFINE), *_limit_args(limits, _own_processes()), "--"]
        return confine + kernel_argv, env, work
    as_root = os.geteuid() == 0
    args = [sandbox.bwrap, *_namespaces(as_root), *_system_binds()]
    # bwrap mounts in order: the private /tmp first, so that a Python or a course that lives under
    # /tmp (a clone in /tmp/x, as CI may make) is bound on top of it rather than hidden by it
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    made = {"/usr", "/tmp"}
    for root in _python_roots(kernel_argv[0]):
        args += _with_parents(made, "--ro-bind", root, root)
    for name, folder in sorted(packages.items()):
        args += _with_parents(made, "--ro-bind", folder, f"{INSIDE_COURSE}/{name}")
    args += ["--perms", "0777", "--dir", INSIDE_WORK, "--perms", "0777", "--dir", INSIDE_HOME,
             "--ro-bind", notebook_copy, f"{INSIDE_WORK}/{os.path.basename(notebook_copy)}"]
    args += _with_parents(made, "--bind", ipc_dir, ipc_dir)
    args += ["--chdir", INSIDE_WORK, "--hostname", "sandbox", "--clearenv"]
    env = dict(threads, HOME=INSIDE_HOME, USER="student", LOGNAME="student", LANG="C.UTF-8", TMPDIR="/tmp",
               IPYTHONDIR=f"{INSIDE_HOME}/.ipython", MPLCONFIGDIR=f"{INSIDE_HOME}/.mpl",
               JUPYTER_RUNTIME_DIR=f"{INSIDE_HOME}/runtime", JUPYTER_CONFIG_DIR=f"{INSIDE_HOME}/.jupyter",
               JUPYTER_DATA_DIR=f"{INSIDE_HOME}/.local/share/jupyter", XDG_CACHE_HOME=f"{INSIDE_HOME}/.cache",
               PATH=f"{os.path.dirname(kernel_argv[0])}:/usr/local/bin:/usr/bin:/bin",
               PYTHONPATH=INSIDE_COURSE, PYTHONDONTWRITEBYTECODE="1")
    for key, value in env.items():
        args += ["--setenv", key, value]
    confine = [sys.executable, "-S", "-E", f"{INSIDE_COURSE}/course_lib/grading/_confine.py"]
    if as_root:
        confine += ["--uid", str(uid)]
    confine += _limit_args(limits, 0 if as_root else _own_processes())
    return args + ["--", *confine, "--", *kernel_argv], {}, "/"
