"""What every plot shares: a figure made with the object API, and its display in Jupyter."""
from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg", force=False)  # no GUI window: figures are rendered to PNG for Jupyter
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation  # noqa: E402

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_tick_label(value: float, _position=None) -> str:
    """0.01 ... 1000 as plain numbers, other powers of ten as 10¹²; plain text, no mathtext."""
    if value <= 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return f"{value:g}"
    exponent = round(exponent)
    return f"{value:g}" if -2 <= exponent <= 3 else "10" + str(exponent).translate(_SUPERSCRIPTS)


def _minor_log_tick_label(axis):
    def label(value, _position=None):
        low, high = sorted(axis.get_view_interval())
        # minor ticks are labelled only when the axis spans less than a decade (no major tick may show)
        return f"{value:g}" if low > 0 and high / low < 10 else ""
    return label


def plain_log_ticks(fig: Figure) -> None:
    """Label log axes with plain text instead of matplotlib's default mathtext.

    Parsing ``$\\mathdefault{10^{2}}$`` labels costs ~10 ms each: a third of a widget
    update. Formatters a plot chose itself are left alone.
    """
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() != "log":
                continue
            if type(axis.get_major_formatter()) is LogFormatterSciNotation:
                axis.set_major_formatter(FuncFormatter(_log_tick_label))
            if type(axis.get_minor_formatter()) is LogFormatterSciNotation:
                axis.set_minor_formatter(FuncFormatter(_minor_log_tick_label(axis)))


def new_figure(width: float = 7.0, height: float = 4.0, ncols: int = 1, nrows: int = 1, **subplot_kw):
    """A ``Figure`` and its axes, not registered with pyplot (so never shown twice, never leaked)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, **subplot_kw)
    return fig, axes


def figure_png(fig, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (what widgets and notebook cells show), log axes in plain text."""
    plain_log_ticks(fig)
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
