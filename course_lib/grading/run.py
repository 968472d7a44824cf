"""Run one notebook in its own (sandboxed) kernel and collect the answers it reports.

This runs in a worker process of its own (``python -m course_lib.grading.run`` reads one
job as JSON on stdin and writes the outcome as JSON on stdout), so a notebook that kills or
stops its parent takes down this one row only; ``batch.py`` watches the worker's wall clock.

The worker talks to the kernel with jupyter_client over ZMQ ``ipc`` sockets in a folder
shared with the sandbox. It sends the code cells one by one (the notebook's stored outputs
are never read) with one deadline for the whole notebook (``timeout`` seconds from the
first cell: the limit does not restart at each cell). Then it asks for the answers with
``user_expressions`` requests that call ``course_lib.checks._core.kernel_report`` in the
kernel (one for the value questions, one per function question): plain data, no verdicts. When the cells run out of time, the kernel is interrupted
and the answers computed so far are asked for, with ``REPORT_SECONDS`` more.
It never reads the notebook's printed output.
"""
from __future__ import annotations

import ast
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

__all__ = ["run_notebook", "REPORT_SECONDS", "STARTUP_SECONDS", "MAX_REPORT_CHARS"]

REPORT_SECONDS = 5           # to interrupt a notebook that ran out of time and collect its answers
STARTUP_SECONDS = 60         # for the kernel to start (not counted in the notebook's time limit)
MAX_REPORT_CHARS = 2_000_000  # a longer report is not read
MAX_NAME_CHARS = 100         # of an exception's name, in the problem column
MAX_MESSAGE_BYTES = 64 * 2 ** 20   # a kernel that sends a bigger ZMQ message is disconnected (then: timeout)


class _KernelDied(Exception):
    pass


def _reply(client, msg_id: str, deadline: float, process):
    """The shell reply to ``msg_id``, or None when ``deadline`` passes; _KernelDied when the kernel exits."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            message = client.get_shell_msg(timeout=min(0.25, remaining))
        except queue.Empty:
            if process.poll() is not None:
                raise _KernelDied from None
            continue
        if message.get("parent_header", {}).get("msg_id") == msg_id:
            return message


def _interrupt(client):
    """Ask ipykernel to interrupt itself (over the control channel: a signal to bwrap would not reach it)."""
    try:
        client.control_channel.send(client.session.msg("interrupt_request", {}))
    except Exception:
        pass


def _report_expression(spec) -> str:
    return ("__import__('course_lib.checks._core', fromlist=['kernel_report'])"
            f".kernel_report(get_ipython().user_ns, {spec!r})")


def _decode_report(reply) -> tuple[str | None, str]:
    """The kernel's report (JSON text) from a user_expressions reply, or (None, why not)."""
    content = (reply or {}).get("content", {})
    result = content.get("user_expressions", {}) if isinstance(content.get("user_expressions"), dict) else {}
    result = result.get("report")
    if not isinstance(result, dict) or result.get("status") != "ok":
        name = str(result.get("ename", "no reply"))[:MAX_NAME_CHARS] if isinstance(result, dict) else "no reply"
        return None, f"the answers could not be collected ({name})"
    text = result.get("data", {}).get("text/plain") if isinstance(result.get("data"), dict) else None
    if not isinstance(text, str) or len(text) > MAX_REPORT_CHARS:
        return None, "the kernel's report was too long or not text"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None, "the kernel's report was not readable"
    if type(value) is not str:
        return None, "the kernel's report was not readable"
    return value, ""


def run_notebook(job: dict) -> dict:
    """Run ``job`` (see batch._job); return {"reports": [JSON text, ...], "problems": [...], "detail": str, ...}."""
    import zmq
    from jupyter_client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file

    from .sandbox import Limits, Sandbox, kernel_command

    started = time.monotonic()
    sandbox = Sandbox(**job["sandbox"])
    limits = Limits(**job["limits"])
    as_root = os.geteuid() == 0
    uid = 1_000_000 + secrets.randbelow(1_000_000_000) if sandbox.kind == "bwrap" and as_root else None
    scratch = tempfile.mkdtemp(prefix="cg-")
    problems, detail, reports, process, client, context = [], "", [], None, None, None
    try:
        ipc = os.path.join(scratch, "i")
        os.mkdir(ipc, 0o700)
        for sub in ("work", "home"):
            os.mkdir(os.path.join(scratch, sub), 0o700)
        copy = os.path.join(scratch, "work", job["name"])
        with open(copy, "wb") as handle:
            handle.write(job["data"].encode("utf-8"))
        connection_file = os.path.join(ipc, "k.json")
        write_connection_file(connection_file, transport="ipc", ip=os.path.join(ipc, "k"))
        kernel_argv = [part.replace("{connection_file}", connection_file) for part in job["kernel_argv"]]
        kernel_argv += ["--HistoryManager.enabled=False"]
        if uid is not None:
            for path in (ipc, connection_file):
                os.chown(path, uid, uid)
        argv, env, cwd = kernel_command(sandbox, kernel_argv, scratch=scratch, notebook_copy=copy, ipc_dir=ipc,
                                        packages=job["packages"], limits=limits, uid=uid)
        stderr = open(os.path.join(scratch, "stderr"), "wb")
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=stderr, start_new_session=sandbox.kind == "bwrap")
        stderr.close()
        context = zmq.Context()
        context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)    # every socket of this client
        client = BlockingKernelClient(connection_file=connection_file, context=context)
        client.load_connection_file()
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=True)
        try:
            ready = _reply(client, client.kernel_info(), time.monotonic() + job.get("startup_seconds", STARTUP_SECONDS),
                           process)
        except _KernelDied:
            ready = None
        if ready is None:
            with open(os.path.join(scratch, "stderr"), "rb") as handle:
                tail = handle.read()[-400:].decode("utf-8", "replace").strip().splitlines()
            return {"reports": [], "problems": ["kernel did not start"], "detail": (tail or [""])[-1][:300],
                    "graded": False, "seconds": time.monotonic() - started}
        if uid is not None:      # the sockets exist: from now on the kernel cannot add, swap or remove any
            os.chown(ipc, 0, 0)
            os.chmod(ipc, 0o711)
        deadline = time.monotonic() + job["timeout"]
        first_error, timed_out = None, False
        try:
            for number, source in job["cells"]:
                msg_id = client.execute(source, silent=False, store_history=True, allow_stdin=False,
                                        stop_on_error=False)
                reply = _reply(client, msg_id, deadline, process)
                if reply is None:
                    timed_out = True
                    break
                content = reply.get("content", {})
                if content.get("status") == "error" and first_error is None:
                    name = str(content.get("ename", "error"))
                    name = name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "..."
                    first_error = f"cell error in cell {number} ({name})"
            if first_error:
                problems.append(first_error)
            report_deadline = max(deadline, time.monotonic()) + REPORT_SECONDS
            if timed_out:
                problems.append("timeout")
                _interrupt(client)
                if _reply(client, msg_id, report_deadline, process) is None:
                    detail = "the notebook did not stop when interrupted"
                    return {"reports": [], "problems": problems, "detail": detail, "graded": True,
                            "seconds": time.monotonic() - started}
            # the value questions in one request, then each function question in its own: a learner's
            # function that never returns costs its own question, not the others
            groups = [[item for item in job["spec"] if item[1] != "function"]]
            groups += [[item] for item in job["spec"] if item[1] == "function"]
            for group in [g for g in groups if g]:
                msg_id = client.execute("", silent=True, store_history=False, allow_stdin=False,
                                        user_expressions={"report": _report_expression(group)})
                reply = _reply(client, msg_id, max(report_deadline, time.monotonic() + 2), process)
                if reply is None:
                    problems.append(f"no answer for {', '.join(item[0] for item in group)}: the report timed out")
                    _interrupt(client)
                    if _reply(client, msg_id, time.monotonic() + 2, process) is None:
                        break
                    continue
                text, why = _decode_report(reply)
                if text is None:
                    problems.append(why)
                else:
                    reports.append(text)
        except _KernelDied:
            problems.append("kernel died")
        return {"reports": reports, "problems": problems, "detail": detail, "graded": True,
                "seconds": time.monotonic() - started}
    finally:
        if client is not None:
            client.stop_channels()
        if context is not None:
            context.destroy(linger=0)
        if process is not None:
            _kill(process, sandbox.kind == "bwrap")
        shutil.rmtree(scratch, ignore_errors=True)


def _kill(process, own_group: bool):
    """Kill the kernel and everything it started (bwrap: the whole PID namespace dies with bwrap)."""
    try:
        if own_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(5)
    except Exception:
        pass


def main():
    job = json.loads(sys.stdin.buffer.read())
    outcome = run_notebook(job)
    sys.stdout.write(json.dumps(outcome) + "\n")
    sys.stdout.flush()
    os._exit(0)      # done: no interpreter teardown that could wait on a socket (ZMQ's linger)


if __name__ == "__main__":
    main()
