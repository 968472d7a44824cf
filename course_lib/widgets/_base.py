"""One way to build every lesson widget: controls + a plain view function + an output area.

A *view* is a plain function of the controls' values that returns what to show: a
matplotlib Figure, a pandas DataFrame, a string (Markdown), or a tuple of these. It
computes with ``course_lib`` and may raise ValueError/TypeError on a bad combination;
``build_app`` then shows the message in the widget instead of a traceback.
"""
from __future__ import annotations

import html

import ipywidgets as widgets
from IPython.display import HTML, Image, Markdown, display
from matplotlib.figure import Figure

from ..plots._base import figure_png

__all__ = ["build_app", "render", "error_box"]


def error_box(error: Exception) -> HTML:
    """The message a widget shows for a bad combination of controls."""
    return HTML(f'<div style="border-left:4px solid #cf222e;padding:4px 8px;background:#fff5f5">'
                f'<b>Not possible:</b> {html.escape(str(error))}</div>')


def _figure_png_reusing_layout(fig: Figure, layouts: dict | None) -> bytes:
    """Render ``fig``; a widget's later figures of the same shape reuse its first layout.

    Every update of a widget draws a new figure, and constrained layout costs about as much
    as the drawing itself. Between two updates the axes barely move, so the first figure of
    each shape (size and number of axes) is laid out by the engine, its axes positions are
    remembered, and later figures of that shape are put in the same place without it.
    """
    if layouts is None:
        return figure_png(fig)
    key = (tuple(fig.get_size_inches()), len(fig.axes))
    positions = layouts.get(key)
    if positions is None:
        png = figure_png(fig)
        layouts[key] = [ax.get_position() for ax in fig.axes]
        return png
    # None, not "none": "none" leaves a placeholder engine, and savefig pre-draws any figure
    # that has an engine; with no engine at all the figure is drawn once.
    fig.set_layout_engine(None)
    for ax, position in zip(fig.axes, positions):
        ax.set_position(position)
    return figure_png(fig)


def render(result, layouts: dict | None = None) -> None:
    """Display a view's result in the current output (a Figure as PNG, a table, Markdown).

    ``layouts``: a widget's memory of its figures' layouts (see ``_figure_png_reusing_layout``).
    """
    items = result if isinstance(result, tuple) else (result,)
    for item in items:
        if item is None:
            continue
        if isinstance(item, Figure):
            display(Image(data=_figure_png_reusing_layout(item, layouts), format="png"))
        elif isinstance(item, str):
            display(Markdown(item))
        else:  # DataFrames, Stylers, HTML: IPython knows how to show them
            display(item)


def build_app(view, controls: dict, *, columns: int = 2, title: str | None = None) -> widgets.VBox:
    """Controls laid out in a grid above an output that ``view(**values)`` fills on every change.

    Uses ``ipywidgets.interactive_output``: one observer on all controls, the output
    cleared and redrawn on each change. ValueError/TypeError from the view shows as a
    message, never a traceback.
    """
    layouts = {}

    def update(**values):
        try:
            result = view(**values)
        except (ValueError, TypeError) as error:
            display(error_box(error))
            return
        render(result, layouts)

    output = widgets.interactive_output(update, controls)
    boxes = list(controls.values())
    rows = [widgets.HBox(boxes[i:i + columns]) for i in range(0, len(boxes), columns)]
    header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
    return widgets.VBox([*header, *rows, output])
