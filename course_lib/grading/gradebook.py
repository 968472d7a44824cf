"""The gradebook CSV and the per-student feedback files, both safe to open and written atomically.

CSV: one row per (student, notebook) and a row for every student folder; columns
``student, notebook, q1 ... qN, score, max_score, problem, sandbox``. It is rewritten whole
after every finished row, to a temporary file then ``os.replace``d, so a grader killed at any
moment leaves the previous complete gradebook. A text cell that a spreadsheet would read as a
formula (starting with ``= + - @``, tab or carriage return) gets a leading apostrophe, as
OWASP's "CSV Injection" page advises, and every field is capped at ``MAX_FIELD_CHARS``.

Feedback: ``<gradebook name>-feedback/<student>.md`` beside the CSV, each question's verdict
and the message the checks give, for the instructor to hand back.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Result", "Gradebook", "columns", "safe_cell", "printable", "summary", "MAX_FIELD_CHARS"]

MAX_FIELD_CHARS = 1_000          # csv's default field_size_limit is 131,072
FIXED_COLUMNS = ("student", "notebook")
TAIL_COLUMNS = ("score", "max_score", "problem", "sandbox")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Result:
    """The grade of one (student, notebook)."""
    student: str
    notebook: str
    points: dict = field(default_factory=dict)     # question name -> points earned
    verdicts: list = field(default_factory=list)   # judge.Verdict for each question
    score: float | None = 0
    max_score: float | None = 0
    problems: list = field(default_factory=list)
    detail: str = ""                               # more on a problem (in the summary and feedback)
    sandbox: str = ""                              # "bwrap", "none", or "" when no kernel ran
    graded: bool = True                            # False: the grader could not grade it (exit code 1)
    seconds: float = 0.0

    @property
    def problem(self) -> str:
        return "; ".join(self.problems)

    @property
    def status(self) -> dict:
        return {v.name: v.status for v in self.verdicts}


def safe_cell(value) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: capped, and never read as a formula."""
    text = "" if value is None else str(value)
    if len(text) > MAX_FIELD_CHARS:
        text = text[:MAX_FIELD_CHARS - 3] + "..."
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def printable(text, limit: int = 200) -> str:
    """``text`` for a terminal: control characters (escape sequences) shown as escapes, capped."""
    text = str(text)[:limit]
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _number(value):
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 6)


def columns(checks) -> list[str]:
    """student, notebook, q1 ... qN (every question name of every exercise, in order), score, ..., sandbox."""
    names = []
    for number in sorted(checks.questions):
        names += [name for name, _ in checks.questions[number] if name not in names]
    names.sort(key=lambda name: (int(name[1:]) if re.fullmatch(r"q\d+", name) else 10 ** 6, name))
    return [*FIXED_COLUMNS, *names, *TAIL_COLUMNS]


def _atomic_write(path: Path, text: str):
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _file_name(student: str) -> str:
    """A file name for a student folder's name, whatever it holds (two names never collide)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", student)[:60].lstrip(".") or "student"
    return f"{stem}-{hashlib.sha256(student.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}.md"


# Every ASCII punctuation character may be backslash-escaped in CommonMark (spec section 2.4) and then
# stands for itself: a student's answer, exception or folder name can then make no link, image,
# emphasis, heading, HTML or table cell in the feedback file.
_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def _markdown_text(text: str) -> str:
    """Text a student controls, for Markdown: every punctuation character escaped, one line, capped."""
    text = " ".join(str(text)[:MAX_FIELD_CHARS].split())
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


class Gradebook:
    """The CSV at ``out`` and the feedback folder beside it; ``add`` a result, and both are rewritten."""

    def __init__(self, out, checks, sandbox_note: str = ""):
        self.out = Path(out)
        self.header = columns(checks)
        self.results: list[Result] = []
        self.sandbox_note = sandbox_note
        self.feedback_dir = self.out.with_name(self.out.stem + "-feedback")

    def add(self, result: Result, write: bool = True):
        self.results.append(result)
        if write:
            self.write_csv()
            self.write_feedback(result.student)

    def rows(self):
        for r in sorted(self.results, key=lambda r: (r.student, r.notebook)):
            row = {"student": r.student, "notebook": r.notebook, "score": _number(r.score),
                   "max_score": _number(r.max_score), "problem": r.problem, "sandbox": r.sandbox}
            row.update({name: _number(points) for name, points in r.points.items()})
            yield {key: safe_cell(row.get(key, "")) for key in self.header}

    def write_csv(self):
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.header)
        writer.writeheader()
        writer.writerows(self.rows())
        _atomic_write(self.out, text.getvalue())

    def write_feedback(self, student: str):
        self.feedback_dir.mkdir(exist_ok=True)
        mine = sorted((r for r in self.results if r.student == student), key=lambda r: r.notebook)
        lines = [f"# Feedback for {_markdown_text(student)}", ""]
        for r in mine:
            if not r.notebook:
                lines += [f"- {_markdown_text(r.problem)}", ""]
                continue
            score = "not graded" if r.max_score is None else f"{_number(r.score)} / {_number(r.max_score)} points"
            lines += [f"## {_markdown_text(r.notebook)}: {score}", ""]
            if r.problem:
                lines += [f"Problem: {_markdown_text(r.problem)}" +
                          (f" ({_markdown_text(r.detail)})" if r.detail else ""), ""]
            if r.verdicts:
                lines += ["| question | verdict | points | feedback |", "|---|---|---|---|"]
                lines += [f"| {v.name} | {v.status} | {_number(v.earned)} / {_number(v.points)} | "
                          f"{_markdown_text(v.message)} |" for v in r.verdicts]
                lines.append("")
        if self.sandbox_note:
            lines += [f"_Grading: {_markdown_text(self.sandbox_note)}._", ""]
        _atomic_write(self.feedback_dir / _file_name(student), "\n".join(lines))


def summary(results, seconds: float, sandbox_note: str = "") -> str:
    """Students, notebooks, the sandbox, mean score per notebook, and every problem."""
    graded = [r for r in results if r.notebook]
    lines = [f"graded {len(graded)} notebook(s) from {len({r.student for r in results})} student(s) "
             f"in {seconds:.1f} s"]
    if sandbox_note:
        lines.append(f"sandbox: {sandbox_note}")
    by_notebook = {}
    for r in graded:
        if r.max_score:
            by_notebook.setdefault(r.notebook, []).append(r)
    for notebook, rows in sorted(by_notebook.items()):
        mean = sum(r.score for r in rows) / len(rows)
        lines.append(f"  {printable(notebook)}: mean {mean:.2f} / {_number(rows[0].max_score)} over {len(rows)} submission(s)")
    problems = [r for r in results if r.problems]
    lines.append(f"problems: {len(problems)}" + ("" if problems else " (none)"))
    for r in problems:
        where = f"{r.student}/{r.notebook}" if r.notebook else r.student
        lines.append(f"  {printable(where)}: {printable(r.problem, 300)}" +
                     (f" [{printable(r.detail, 300)}]" if r.detail else ""))
    not_graded = [r for r in results if not r.graded]
    if not_graded:
        lines.append(f"NOT GRADED: {len(not_graded)} row(s) (grader errors): exit code 1")
    return "\n".join(lines)
