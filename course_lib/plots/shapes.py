"""Pictures of shape arithmetic (notebook 01): a convolution window sliding over a padded
input, and a network's output size layer by layer.

``window_span`` and ``coverage`` are the two pieces of geometry the drawing needs (which
input pixels one output pixel sees, and how many windows see each input pixel); they are
pure functions of integers, built on ``course_lib.conv_output_size``.
"""
from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator

from .._checks import check_int
from ..formulas import conv_output_size
from ._base import new_figure

__all__ = ["window_span", "coverage", "conv_window_plot", "shape_walk_plot"]


def window_span(in_size, kernel_size, stride=1, padding=0, out_index=0) -> tuple[int, int]:
    """The first and last input index (inclusive) that output pixel ``out_index`` sees along one axis.

    ``first = out_index*S - P``, ``last = first + K - 1``; an index below 0 or above
    ``in_size - 1`` is a padding zero. Raises ValueError if ``out_index`` is not an output.
    """
    out_size = conv_output_size(in_size, kernel_size, stride, padding)
    out_index = check_int("out_index", out_index, 0, out_size - 1)
    first = out_index * stride - padding
    return first, first + kernel_size - 1


def coverage(in_size, kernel_size, stride=1, padding=0) -> np.ndarray:
    """How many windows see each position of the padded input (length ``in_size + 2*padding``,
    index 0 = the first padding position). A real pixel with 0 is never seen: PyTorch's
    floor rounding dropped the window that would have reached it."""
    out_size = conv_output_size(in_size, kernel_size, stride, padding)
    counts = np.zeros(in_size + 2 * padding, dtype=int)
    for o in range(out_size):
        counts[o * stride: o * stride + kernel_size] += 1
    return counts


# cell categories of the input drawing
_INPUT, _PADDING, _UNSEEN, _WINDOW, _WINDOW_PAD = range(5)
_COLOURS = ["#ffffff", "#d0d0d0", "#f4a582", "#92c5de", "#4f7fa8"]


def conv_window_plot(in_size, kernel_size, stride=1, padding=0, out_row=0, out_col=0):
    """The padded input (left) and the output (right) of a square convolution; the window of
    output pixel ``(out_row, out_col)`` is drawn on the input, the next window along the row
    dashed. Padding zeros are grey; input pixels no window reaches (the floor dropped the last window,
    or the stride is larger than the kernel) are orange."""
    out_size = conv_output_size(in_size, kernel_size, stride, padding)
    (r0, r1) = window_span(in_size, kernel_size, stride, padding, out_row)
    (c0, c1) = window_span(in_size, kernel_size, stride, padding, out_col)
    side = in_size + 2 * padding

    seen = coverage(in_size, kernel_size, stride, padding) > 0
    grid = np.full((side, side), _INPUT)
    is_pad = np.zeros(side, dtype=bool)
    is_pad[:padding] = is_pad[side - padding:] = True
    pad2d = is_pad[:, None] | is_pad[None, :]
    grid[pad2d] = _PADDING
    grid[~pad2d & ~(seen[:, None] & seen[None, :])] = _UNSEEN
    rows = slice(r0 + padding, r1 + padding + 1)
    cols = slice(c0 + padding, c1 + padding + 1)
    grid[rows, cols] = np.where(pad2d[rows, cols], _WINDOW_PAD, _WINDOW)

    fig, (ax_in, ax_out) = new_figure(7.2, 4.0, ncols=2, gridspec_kw={"width_ratios": [side, max(out_size, side * 0.45)]})
    # fixed margins instead of constrained layout: the widget redraws this on every slider move,
    # and the layout solver would take most of the 100 ms budget
    fig.set_layout_engine(None)  # None, not "none": with no engine at all savefig draws the figure once
    in_width = 0.86 * side / (side + max(out_size, side * 0.45))
    ax_in.set_position([0.07, 0.24, in_width - 0.04, 0.68])
    ax_out.set_position([0.07 + in_width + 0.04, 0.24, 0.86 - in_width - 0.04, 0.68])
    extent = (-padding - 0.5, in_size + padding - 0.5, in_size + padding - 0.5, -padding - 0.5)
    ax_in.imshow(grid, cmap=ListedColormap(_COLOURS), vmin=0, vmax=len(_COLOURS) - 1, extent=extent,
                 interpolation="nearest")
    _grid_lines(ax_in, -padding - 0.5, in_size + padding - 0.5, side)
    # the real input's border, so padding reads as outside it
    ax_in.add_patch(Rectangle((-0.5, -0.5), in_size, in_size, fill=False, lw=1.6, ec="black"))
    ax_in.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), kernel_size, kernel_size, fill=False, lw=2.6, ec="#08306b"))
    if out_col + 1 < out_size:  # the next position of the window: the stride made visible
        ax_in.add_patch(Rectangle((c0 + stride - 0.5, r0 - 0.5), kernel_size, kernel_size, fill=False,
                                  lw=1.6, ec="#08306b", ls="--"))
    ax_in.set_title(f"input {in_size}x{in_size}, padding {padding}: window {kernel_size}x{kernel_size}, stride {stride}",
                    fontsize=9, y=1.0)  # y given: matplotlib skips measuring the tick labels to place it
    ax_in.set_xlabel("input column (padding: < 0 and >= I)", fontsize=8)
    ax_in.set_ylabel("input row", fontsize=8)

    out_grid = np.zeros((out_size, out_size), dtype=int)
    out_grid[out_row, out_col] = 1
    ax_out.imshow(out_grid, cmap=ListedColormap(["#ffffff", "#08306b"]), vmin=0, vmax=1,
                  extent=(-0.5, out_size - 0.5, out_size - 0.5, -0.5), interpolation="nearest")
    _grid_lines(ax_out, -0.5, out_size - 0.5, out_size)
    ax_out.add_patch(Rectangle((-0.5, -0.5), out_size, out_size, fill=False, lw=1.6, ec="black"))
    ax_out.set_title(f"output {out_size}x{out_size}: pixel (row {out_row}, col {out_col})", fontsize=9, y=1.0)
    # no axis labels here: the title names the pixel by row and column (fewer texts, faster redraws)
    # ticks where the learner looks: the window's first and last row/column (the text's numbers),
    # the input's edges and the chosen output pixel; few tick labels also keep a redraw fast
    # (a small drawing gets a tick on every row and column: there, counting cells is the slow part)
    edges = (0, in_size - 1)
    every = range(-padding, in_size + padding) if side <= _EVERY_TICK else None
    ax_in.set_xticks(every or _key_ticks(c0, (c1, *edges), side))
    ax_in.set_yticks(every or _key_ticks(r0, (r1, *edges), side))
    every_out = range(out_size) if out_size <= _EVERY_TICK else None
    ax_out.set_xticks(every_out or _key_ticks(out_col, (0, out_size - 1), out_size))
    ax_out.set_yticks(every_out or _key_ticks(out_row, (0, out_size - 1), out_size))
    for ax in (ax_in, ax_out):
        ax.tick_params(labelsize=7)

    # a legend entry only for what the drawing shows (fewer words to read, and to draw on every update)
    labels = {_INPUT: "input pixel", _PADDING: "padding (zeros)", _WINDOW: "seen by the chosen output pixel",
              _WINDOW_PAD: "padding inside the window", _UNSEEN: "never seen by any window"}
    legend = [Patch(fc=_COLOURS[kind], ec="0.5", label=label) for kind, label in labels.items() if (grid == kind).any()]
    fig.legend(handles=legend, loc="lower center", ncols=3, fontsize=8, frameon=False)
    return fig


_EVERY_TICK = 16   # up to this many cells an axis labels every one of them


def _grid_lines(ax, low, high, n):
    edges = np.linspace(low, high, n + 1)
    ax.vlines(edges, low, high, colors="0.75", lw=0.5)
    ax.hlines(edges, low, high, colors="0.75", lw=0.5)
    ax.set_xlim(low, high)
    ax.set_ylim(high, low)  # row 0 at the top, as in an image


def _key_ticks(first, others, cells):
    """Tick positions: ``first``, then each of ``others`` that is far enough (in an axis of
    ``cells`` cells) from the ticks already chosen for two labels not to run together."""
    gap = max(2, -(-cells // 16))
    ticks = [first]
    for t in others:
        if all(abs(t - chosen) >= gap for chosen in ticks):
            ticks.append(t)
    return sorted(ticks)


def shape_walk_plot(table, kinds=("Conv2d", "MaxPool2d", "Linear")):
    """Output elements per sample of each layer of ``kinds`` in an ``analyze`` table, as bars on a
    log scale, each labelled with its shape (H x W x C, or N for a vector); the input first."""
    first = table.iloc[0]
    rows = table[table["kind"].isin(kinds)]
    names = ["input"] + list(rows["name"])
    shapes = [first["in_shape"]] + list(rows["out_shape"])
    elements = [int(np.prod(s)) for s in shapes]
    fig, ax = new_figure(8.4, 3.8)
    colours = ["#bbbbbb"] + [{"Conv2d": "#2166ac", "MaxPool2d": "#92c5de", "Linear": "#b2182b"}.get(k, "#666666")
                             for k in rows["kind"]]
    bars = ax.bar(names, elements, color=colours)
    for bar, shape in zip(bars, shapes):
        ax.annotate(_shape_text(shape), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(min(elements) / 2, max(elements) * 4)
    # every decade written the same way (matplotlib would print "1000" next to 10^4 .. 10^6)
    ax.yaxis.set_major_locator(LogLocator(base=10))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_ylabel("elements per image (log scale)", fontsize=9)   # the input, then each output
    ax.set_xlabel("layer", fontsize=9)
    ax.set_title(f"{table.attrs.get('network', 'network')}: the shape after each layer", fontsize=10)
    ax.tick_params(labelsize=8)
    ax.legend(handles=[Patch(color="#bbbbbb", label="input"), Patch(color="#2166ac", label="convolution"), Patch(color="#92c5de", label="max pooling"),
                       Patch(color="#b2182b", label="fully connected")], fontsize=8, frameon=False)
    return fig


def _shape_text(shape) -> str:
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}\nx{c}"  # two lines, so neighbouring labels do not run together
    return f"{shape[0]}"
