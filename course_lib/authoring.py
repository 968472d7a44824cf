"""Tools for the course's authors: run notebooks and store them executed, deterministically.

    python -m course_lib.authoring execute notebooks/01_alexnet_shapes.ipynb [...]

Notebooks are executed in a fresh kernel from their own folder, with widget state
stored (so widgets render on a code host), and without timing metadata (so a re-run
changes nothing but what really changed).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["execute_notebook"]


def execute_notebook(path, timeout: int = 120, kernel_name: str = "python3"):
    """Execute the notebook at ``path`` top to bottom in a fresh kernel and write it back with outputs."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    if not _has_widgets(notebook):
        notebook.metadata.pop("widgets", None)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return notebook


def _has_widgets(notebook) -> bool:
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return bool(state.get("state"))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m course_lib.authoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks in place, storing their outputs")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        print(f"executing {path} ...", flush=True)
        execute_notebook(path, timeout=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
