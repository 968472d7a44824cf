"""Widgets of notebooks 00 and 01: the convolution explorer, a memory-unit converter and
a glossary filter. Each ``*_view`` is a plain function of the controls' values; the
widget functions only lay out controls around it (``build_app``).
"""
from __future__ import annotations

import ipywidgets as widgets

from ..formulas import conv_output_size
from ..plots.shapes import conv_window_plot, window_span
from ..units import BYTE_UNITS, convert_bytes, format_bytes, glossary, unit_table
from ._base import build_app

__all__ = ["conv_explorer_view", "conv_explorer_text", "conv_explorer", "unit_converter_view", "unit_converter",
           "glossary_view", "glossary_filter"]

# Slider ranges of the explorer: big enough for AlexNet's conv1 kernel (11) and stride (4),
# small enough that every pixel of the drawing stays visible.
MAX_SIZE, MAX_KERNEL, MAX_STRIDE, MAX_PADDING = 32, 11, 6, 5


def conv_explorer_view(in_size=8, kernel_size=3, stride=2, padding=1, out_row=0, out_col=1):
    """The formula with the numbers filled in, which input pixels output pixel ``(out_row, out_col)``
    sees, and the drawing. An output pixel beyond the output is moved to its last row/column
    (the sliders lag one step behind a change of size). Raises ValueError if the kernel does
    not fit in the padded input."""
    text, out_row, out_col = conv_explorer_text(in_size, kernel_size, stride, padding, out_row, out_col)
    return text, conv_window_plot(in_size, kernel_size, stride, padding, out_row, out_col)


def conv_explorer_text(in_size=8, kernel_size=3, stride=2, padding=1, out_row=0, out_col=1):
    """The explorer's Markdown, and the output pixel it describes (moved inside the output if needed)."""
    out_size = conv_output_size(in_size, kernel_size, stride, padding)
    span = in_size - kernel_size + 2 * padding
    value = span / stride + 1
    text = [f"**O = (I - K + 2P)/S + 1 = ({in_size} - {kernel_size} + 2\\*{padding})/{stride} + 1 = {value:.4g}**"]
    if span % stride:
        last_seen = (out_size - 1) * stride - padding + kernel_size - 1  # last input index of the last window
        dropped = max(0, in_size - 1 - last_seen)
        left_out = (f"the last {_plural(dropped, 'input row')} and {_plural(dropped, 'column')} are never seen "
                    f"(orange)" if dropped else "only padding zeros are left out")
        text.append(f"not a whole number: PyTorch rounds down to **O = {out_size}**; the window that would "
                    f"start at row/column {out_size * stride - padding} does not fit, so {left_out}.")
    else:
        text.append(f"a whole number, nothing to round: **O = {out_size}**, an output of "
                    f"{out_size}x{out_size} per kernel.")
    if stride > kernel_size:
        text.append(f"The stride ({stride}) is larger than the kernel ({kernel_size}): the window skips "
                    f"{_plural(stride - kernel_size, 'pixel')} between steps, and those are never seen (orange).")
    moved = out_row >= out_size or out_col >= out_size
    out_row, out_col = min(out_row, out_size - 1), min(out_col, out_size - 1)
    r0, r1 = window_span(in_size, kernel_size, stride, padding, out_row)
    c0, c1 = window_span(in_size, kernel_size, stride, padding, out_col)
    real_rows = min(r1, in_size - 1) - max(r0, 0) + 1
    real_cols = min(c1, in_size - 1) - max(c0, 0) + 1
    zeros = kernel_size * kernel_size - real_rows * real_cols
    text.append(f"Output pixel ({out_row}, {out_col}) sees input rows {r0}..{r1} "
                f"(first = row x S - P = {out_row}x{stride} - {padding} = {r0}; last = first + K - 1) and columns "
                f"{c0}..{c1} ({out_col}x{stride} - {padding} = {c0}): {kernel_size}x{kernel_size} = "
                f"{_plural(kernel_size * kernel_size, 'pixel')}, {zeros} of them padding zeros."
                + (" (Moved to the last output pixel.)" if moved else ""))
    return "  \n".join(text), out_row, out_col


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def conv_explorer(in_size=8, kernel_size=3, stride=2, padding=1, out_row=0, out_col=1):
    """Sliders for I, K, S, P and the output pixel; shows the formula and the sliding window (notebook 01)."""
    def slider(value, low, high, description):
        return widgets.IntSlider(value=value, min=low, max=high, description=description, continuous_update=False,
                                 style={"description_width": "90px"})

    controls = {
        "in_size": slider(in_size, 1, MAX_SIZE, "I (input)"),
        "kernel_size": slider(kernel_size, 1, MAX_KERNEL, "K (kernel)"),
        "stride": slider(stride, 1, MAX_STRIDE, "S (stride)"),
        "padding": slider(padding, 0, MAX_PADDING, "P (padding)"),
        "out_row": slider(out_row, 0, MAX_SIZE - 1, "output row"),
        "out_col": slider(out_col, 0, MAX_SIZE - 1, "output col"),
    }

    def fit_pixel_sliders(_change=None):
        try:
            out_size = conv_output_size(*(controls[k].value for k in ("in_size", "kernel_size", "stride", "padding")))
        except ValueError:
            return  # the view shows the message
        for key in ("out_row", "out_col"):
            controls[key].max = out_size - 1

    for key in ("in_size", "kernel_size", "stride", "padding"):
        controls[key].observe(fit_pixel_sliders, names="value")
    fit_pixel_sliders()
    return build_app(conv_explorer_view, controls, columns=2, title="Convolution explorer")


def _amount(value):
    """Six significant digits (at least two decimals), with thousands separators and never an exponent for
    an amount of 1 or more: 1,073,741.82, not 1.07374e+06."""
    if value == int(value):
        return f"{value:,.0f}"
    if abs(value) < 1:
        return f"{value:.6g}"
    decimals = max(2, 6 - len(str(int(abs(value)))))
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def unit_converter_view(value=1.0, unit="GiB"):
    """``value`` ``unit`` in every unit of memory (SI and binary prefixes), notebook 00."""
    n_bytes = convert_bytes(value, unit, "B")
    table = unit_table(value, unit)
    table["value"] = [_amount(v) for v in table["value"]]
    table["bytes per unit"] = [f"{v:,}" for v in table["bytes per unit"]]
    # a whole byte count prints as an integer; a fraction of a byte keeps its digits (0.5 B is not "0 bytes")
    count = f"{n_bytes:,.0f}" if n_bytes == int(n_bytes) else f"{n_bytes:,.6g}"
    summary = (f"{value:g} {unit} = {count} {'byte' if n_bytes == 1 else 'bytes'} = **{format_bytes(n_bytes)}** (SI) = "
               f"**{format_bytes(n_bytes, binary=True)}** (binary)")
    return summary, table


def unit_converter(value=1.0, unit="GiB"):
    """A number and a unit -> the same amount in every other unit (notebook 00)."""
    controls = {
        "value": widgets.BoundedFloatText(value=value, min=0, max=1e15, description="amount"),
        "unit": widgets.Dropdown(options=list(BYTE_UNITS), value=unit, description="unit"),
    }
    return build_app(unit_converter_view, controls, title="Memory units: SI (MB = 10^6 B) vs binary (MiB = 2^20 B)")


def glossary_view(search=""):
    """Glossary rows that contain ``search`` (English or 中文), notebook 00, as a Styler: a
    DataFrame would cut each meaning at 50 characters."""
    table = glossary(search)
    if table.empty:
        return f"No term contains {search!r}. Try a shorter word, or one in the other language."
    return table.style.hide(axis="index")


def glossary_filter(search=""):
    """A search box over the glossary, English / 中文 (notebook 00)."""
    controls = {"search": widgets.Text(value=search, description="search", placeholder="e.g. stride or 步长")}
    return build_app(glossary_view, controls, title="Glossary / 术语表")
