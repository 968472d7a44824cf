"""The notebooks' Markdown renders as written: checks on the source text of every lesson, solution and exercise."""
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb"), *ROOT.glob("exercises/*.ipynb")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_table_ends_with_a_blank_line(path):
    # In GitHub-flavoured Markdown (JupyterLab, GitHub) a line right after a table's last row becomes one more
    # row of the table: the paragraph that follows renders inside it.
    runs_on = []
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        runs_on += [(number, line) for row, line in zip(lines, lines[1:])
                    if row.lstrip().startswith("|") and line.strip() and not line.lstrip().startswith("|")]
    assert not runs_on, f"cells whose table runs on into a paragraph (cell, line): {runs_on}"
