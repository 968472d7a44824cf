"""What every plot shares: a figure made with the object API, and its display in Jupyter."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg", force=False)  # no GUI window: figures are rendered to PNG for Jupyter
from matplotlib.figure import Figure  # noqa: E402


def new_figure(width: float = 7.0, height: float = 4.0, ncols: int = 1, nrows: int = 1, **subplot_kw):
    """A ``Figure`` and its axes, not registered with pyplot (so never shown twice, never leaked)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def figure_png(fig, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (what widgets put in their output)."""
    buffer = io.BytesIO()
    # no timestamp or software tag in the PNG: stored notebooks stay byte-stable
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def register_notebook_display():
    """Let a cell that ends with a Figure show it as PNG, whatever matplotlib backend is active."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: figure_png(fig))
