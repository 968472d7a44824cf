"""Find and read the students' notebooks safely: what counts as a submission, size caps, no links.

SUBMISSIONS holds one folder per student. Each file ``*.ipynb`` directly inside a student's
folder is a submission. Only regular files in real folders are read: a symbolic link (to
another student's notebook, to ``/dev/zero``), a FIFO or a device gets a row saying so and is
never opened; a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked again with
``fstat`` (so swapping it for a link between the listing and the read does not help), and at
most ``MAX_NOTEBOOK_BYTES`` are read. Nothing under SUBMISSIONS is ever written.

Taught by: README, "Exercises and grading".
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Submission", "find_submissions", "code_cells", "MAX_NOTEBOOK_BYTES"]

MAX_NOTEBOOK_BYTES = 20_000_000      # a bigger file is not an exercise notebook
_KINDS = {stat.S_IFLNK: "a symbolic link", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


@dataclass(frozen=True)
class Submission:
    """One (student, notebook file), read; or why it could not be read (``problem``)."""
    student: str
    name: str                    # the file name; "" for a student folder with no notebook
    data: bytes | None = None    # the file's bytes (at most MAX_NOTEBOOK_BYTES)
    problem: str = ""
    detail: str = ""


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _read(dir_fd: int, name: str, cap: int) -> bytes:
    """The bytes of regular file ``name`` in the open folder ``dir_fd``; OSError/ValueError otherwise."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"not a regular file ({_kind(info.st_mode)})")
        if info.st_size > cap:
            raise ValueError(f"larger than {cap:,} bytes")
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise ValueError(f"larger than {cap:,} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _student(folder_fd: int, student: str, cap: int) -> list[Submission]:
    try:
        fd = os.open(student, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder_fd)
    except OSError as error:
        return [Submission(student, "", problem="student folder unreadable", detail=error.strerror or "")]
    try:
        names = sorted(n for n in os.listdir(fd) if n.endswith(".ipynb") and not n.startswith("."))
        rows = []
        for name in names:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                rows.append(Submission(student, name, problem=f"not a regular file ({_kind(info.st_mode)})"))
                continue
            try:
                rows.append(Submission(student, name, _read(fd, name, cap)))
            except ValueError as error:
                problem = "invalid notebook" if "larger" in str(error) else str(error)
                rows.append(Submission(student, name, problem=problem, detail=str(error)))
            except OSError as error:
                rows.append(Submission(student, name, problem="unreadable file", detail=error.strerror or ""))
        return rows or [Submission(student, "", problem="no notebooks submitted")]
    finally:
        os.close(fd)


def find_submissions(folder, cap: int = MAX_NOTEBOOK_BYTES) -> list[Submission]:
    """Every (student, notebook) under ``folder``, read safely, sorted; a row for every student folder.

    A student folder that is a link gets a row and is not entered; files and hidden
    entries at the top level are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"submissions folder {str(folder)!r} does not exist")
    folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        rows = []
        for student in sorted(os.listdir(folder_fd)):
            if student.startswith("."):
                continue
            info = os.stat(student, dir_fd=folder_fd, follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                rows.append(Submission(student, "", problem="student folder is a symbolic link: not graded"))
            elif stat.S_ISDIR(info.st_mode):
                rows += _student(folder_fd, student, cap)
        return rows
    finally:
        os.close(folder_fd)


def code_cells(data: bytes) -> list[tuple[int, str]]:
    """(cell number counting all cells from 1, source) of each code cell to run; ValueError if invalid.

    Outputs are never read. Cells carrying nbgrader's autograder-test metadata
    (``nbgrader.grade`` true and ``nbgrader.solution`` false, e.g. ``assert q1.evaluate().correct``)
    are dropped: they are for nbgrader, and here a wrong answer should read as a wrong
    answer, not as a cell error.
    """
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ValueError(f"not JSON: {type(error).__name__}") from None
    cells = notebook.get("cells") if type(notebook) is dict else None
    if type(cells) is not list:
        raise ValueError("no list of cells")
    run = []
    for number, cell in enumerate(cells, start=1):
        if type(cell) is not dict or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"cell {number} has no known type")
        source = cell.get("source", "")
        if type(source) is list and all(type(line) is str for line in source):
            source = "".join(source)
        if type(source) is not str:
            raise ValueError(f"cell {number} has no text source")
        if cell["cell_type"] != "code":
            continue
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if type(metadata) is dict else None
        if type(nbgrader) is dict and nbgrader.get("grade") is True and nbgrader.get("solution") is False:
            continue
        run.append((number, source))
    return run
