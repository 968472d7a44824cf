"""The geometry, plots and widgets of notebooks 00-01 (course_lib/plots/shapes.py, course_lib/widgets/shapes.py).

Which input pixels an output pixel sees is checked against PyTorch's autograd (the gradient
of one output pixel of an all-ones convolution is 1 exactly on its window) and against a
brute-force enumeration; the views are called across the whole range of every control.
"""
import itertools
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import course_lib as cl
from course_lib.plots.shapes import conv_window_plot, coverage, shape_walk_plot, window_span
from course_lib.widgets import shapes as views

CASES = [(8, 3, 2, 1), (8, 3, 2, 0), (7, 3, 3, 2), (227 - 200, 11, 4, 0), (13, 3, 1, 1), (32, 3, 6, 0),
         (5, 5, 1, 0), (1, 1, 1, 0), (10, 4, 3, 2), (6, 1, 2, 0)]


def _brute_force_windows(in_size, kernel, stride, padding):
    """Slide the window by hand over the padded positions -padding .. in_size + padding - 1."""
    spans, start = [], -padding
    while start + kernel - 1 <= in_size + padding - 1:
        spans.append((start, start + kernel - 1))
        start += stride
    return spans


@pytest.mark.parametrize("in_size, kernel, stride, padding", CASES)
def test_window_span_matches_brute_force(in_size, kernel, stride, padding):
    spans = _brute_force_windows(in_size, kernel, stride, padding)
    assert cl.conv_output_size(in_size, kernel, stride, padding) == len(spans)
    assert [window_span(in_size, kernel, stride, padding, o) for o in range(len(spans))] == spans


@pytest.mark.torch
@pytest.mark.parametrize("in_size, kernel, stride, padding", CASES)
def test_window_and_coverage_match_torch_autograd(in_size, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    conv = torch.nn.Conv2d(1, 1, kernel, stride, padding, bias=False)
    torch.nn.init.ones_(conv.weight)
    x = torch.ones(1, 1, in_size, in_size, requires_grad=True)
    y = conv(x)
    out_size = y.shape[-1]
    assert out_size == cl.conv_output_size(in_size, kernel, stride, padding)
    # one output pixel (the last row, the middle column): its gradient marks the input pixels it sees
    row, col = out_size - 1, out_size // 2
    y[0, 0, row, col].backward(retain_graph=True)
    seen = torch.nonzero(x.grad[0, 0])
    r0, r1 = window_span(in_size, kernel, stride, padding, row)
    c0, c1 = window_span(in_size, kernel, stride, padding, col)
    assert (seen[:, 0].min().item(), seen[:, 0].max().item()) == (max(r0, 0), min(r1, in_size - 1))
    assert (seen[:, 1].min().item(), seen[:, 1].max().item()) == (max(c0, 0), min(c1, in_size - 1))
    # every output pixel: the gradient of the sum counts the windows that see each pixel (rows x columns)
    x.grad = None
    y.sum().backward()
    per_axis = coverage(in_size, kernel, stride, padding)[padding:padding + in_size]
    np.testing.assert_allclose(x.grad[0, 0].numpy(), np.outer(per_axis, per_axis))


def test_window_span_rejects_a_pixel_outside_the_output():
    with pytest.raises(ValueError, match=r"out_index must be between 0 and 2, got 3"):
        window_span(8, 3, 2, 0, 3)


# --- the explorer's view across the whole range of every control --------------------------------
# The text (cheap) on the whole grid of I, K, S, P; the full view (text + figure) at the ends and
# the middle of every control's range.
GRID = [(I, K, S, P) for I in range(1, views.MAX_SIZE + 1) for K in range(1, views.MAX_KERNEL + 1)
        for S in range(1, views.MAX_STRIDE + 1) for P in range(views.MAX_PADDING + 1)]


@pytest.mark.parametrize("in_size", range(1, views.MAX_SIZE + 1))
def test_conv_explorer_text_on_the_whole_grid(in_size):
    for I, K, S, P in (g for g in GRID if g[0] == in_size):
        if K > I + 2 * P:
            with pytest.raises(ValueError, match="kernel_size"):
                views.conv_explorer_text(I, K, S, P, 0, 0)
            continue
        out = (I - K + 2 * P) // S + 1   # floor, as PyTorch
        for pixel in (0, out - 1, views.MAX_SIZE - 1):
            text, row, col = views.conv_explorer_text(I, K, S, P, pixel, 0)
            assert f"({I} - {K} + 2\\*{P})/{S} + 1 = {(I - K + 2 * P) / S + 1:.4g}" in text
            assert f"O = {out}**" in text
            assert row == min(pixel, out - 1) and col == 0
            r0, r1 = window_span(I, K, S, P, row)
            assert f"Output pixel ({row}, 0) sees input rows {r0}..{r1}" in text


DEFAULTS = dict(in_size=8, kernel_size=3, stride=2, padding=1, out_row=0, out_col=1)
ENDS = {
    "in_size": (3, 17, views.MAX_SIZE),   # 1 and 2 are below the default kernel: tested below
    "kernel_size": (1, 5, 10),            # 11 > 8 + 2: tested below
    "stride": (1, 3, views.MAX_STRIDE),
    "padding": (0, 2, views.MAX_PADDING),
    "out_row": (0, 3, views.MAX_SIZE - 1),
    "out_col": (0, 3, views.MAX_SIZE - 1),
}
SWEEP = [(key, value) for key, values in ENDS.items() for value in values]


@pytest.mark.parametrize("key, value", SWEEP, ids=[f"{k}={v}" for k, v in SWEEP])
def test_conv_explorer_view_across_every_control(key, value):
    args = {**DEFAULTS, key: value}
    text, fig = views.conv_explorer_view(**args)
    assert isinstance(fig, Figure)
    assert text == views.conv_explorer_text(**args)[0]
    I, K, S, P = args["in_size"], args["kernel_size"], args["stride"], args["padding"]
    out = (I - K + 2 * P) // S + 1
    assert f"O = {out}**" in text
    row = min(args["out_row"], out - 1)                          # the slider is clipped to the output
    assert f"sees input rows {row * S - P}..{row * S - P + K - 1}" in text


@pytest.mark.parametrize("I, K, S, P, shown", [
    (227, 11, 4, 0, "O = (I - K + 2P)/S + 1 = (227 - 11 + 2\\*0)/4 + 1 = 55**"),   # AlexNet's conv1
    (224, 11, 4, 2, "= 55.25**"),                                              # torchvision's conv1: 55.25 -> 55
    (224, 11, 4, 0, "= 54.25**"),                                              # the paper's 224 does not tile
    (8, 3, 2, 1, "= 4.5**"),
    (13, 3, 1, 1, "= 13**"),                                                   # 3x3, padding 1 keeps the size
])
def test_conv_explorer_text_states_hand_worked_sizes(I, K, S, P, shown):
    text = views.conv_explorer_text(I, K, S, P, 0, 0)[0]
    assert shown in text
    assert f"O = {(I - K + 2 * P) // S + 1}**" in text


@pytest.mark.parametrize("args", [(1, 1, 1, 0, 0, 0), (32, 11, 1, 5, 31, 31), (32, 1, 6, 0, 31, 0), (2, 11, 6, 5, 0, 31)])
def test_conv_explorer_view_at_the_corners(args):
    text, fig = views.conv_explorer_view(*args)
    assert isinstance(fig, Figure)
    I, K, S, P = args[:4]
    assert f"O = {(I - K + 2 * P) // S + 1}**" in text


@pytest.mark.parametrize("I, K, P", [(1, 3, 0), (2, 3, 0), (8, 11, 1), (3, 11, 2), (1, 11, 4)])
def test_conv_explorer_impossible_combination_raises_a_message(I, K, P):
    with pytest.raises(ValueError, match=rf"kernel_size={K} is larger than the padded input .* = {I + 2 * P}"):
        views.conv_explorer_view(I, K, 1, P, 0, 0)


def test_conv_explorer_view_counts_padding_and_unseen_pixels():
    text, _ = views.conv_explorer_view(8, 3, 2, 1, 0, 0)
    assert "rows -1..1" in text and "5 of them padding zeros" in text  # a 3x3 window in a corner: 9 - 2*2
    text, _ = views.conv_explorer_view(8, 3, 2, 0, 2, 2)
    assert "3.5" in text and "the last 1 input row and 1 column are never seen" in text
    text, _ = views.conv_explorer_view(32, 3, 6, 0, 0, 0)
    assert "skips 3 pixels" in text


def test_conv_explorer_widget_builds_and_fits_its_pixel_sliders():
    app = views.conv_explorer(in_size=8, kernel_size=3, stride=2, padding=1)
    sliders = {child.description: child for row in app.children[1:-1] for child in row.children}
    assert sliders["output row"].max == cl.conv_output_size(8, 3, 2, 1) - 1
    sliders["I (input)"].value = 20
    assert sliders["output row"].max == sliders["output col"].max == cl.conv_output_size(20, 3, 2, 1) - 1
    sliders["I (input)"].value = 1  # (1 - 3 + 2*1)/2 + 1 = 1: a single output pixel
    assert sliders["output row"].max == 0
    sliders["K (kernel)"].value = 11  # 11 > 1 + 2*1 is impossible: the sliders keep their range, the view says why
    assert sliders["output row"].max == 0


# --- plots --------------------------------------------------------------------------------------
def test_conv_window_plot_marks_window_padding_and_unseen():
    fig = conv_window_plot(8, 3, 2, 0, 2, 1)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "never seen by any window" in labels
    fig = conv_window_plot(8, 3, 2, 1, 0, 0)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "padding (zeros)" in labels and "never seen by any window" not in labels


def test_shape_walk_plot_labels_every_alexnet_shape():
    fig = shape_walk_plot(cl.analyze(cl.zoo.alexnet_original()))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["227x227\nx3", "55x55\nx96", "27x27\nx96", "27x27\nx256", "13x13\nx256", "13x13\nx384",
                     "13x13\nx384", "13x13\nx256", "6x6\nx256", "4096", "4096", "1000"]


# --- notebook 00's widgets ----------------------------------------------------------------------
# SI prefixes are powers of 10, IEC binary prefixes powers of 2^10 (IEC 80000-13)
UNIT_BYTES = {"B": 1, "kB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
              "KiB": 2 ** 10, "MiB": 2 ** 20, "GiB": 2 ** 30, "TiB": 2 ** 40}


def test_the_converter_offers_every_unit():
    assert list(cl.BYTE_UNITS) == list(UNIT_BYTES)


@pytest.mark.parametrize("unit", list(UNIT_BYTES))
@pytest.mark.parametrize("value", [0, 1, 1.5, 1e12])
def test_unit_converter_view(value, unit):
    text, table = views.unit_converter_view(value, unit)
    assert isinstance(table, pd.DataFrame) and list(table["unit"]) == list(UNIT_BYTES)
    assert f"{value:g} {unit}" in text
    shown = float(re.search(r"= ([\d,.]+) bytes?\b", text).group(1).replace(",", ""))
    assert shown == pytest.approx(value * UNIT_BYTES[unit], rel=1e-9)   # 1.5 B is 1.5 bytes, not rounded to 2
    rows = table.set_index("unit")
    for other, size in UNIT_BYTES.items():
        assert int(rows.loc[other, "bytes per unit"].replace(",", "")) == size
        assert float(rows.loc[other, "value"].replace(",", "")) == pytest.approx(value * UNIT_BYTES[unit] / size,
                                                                                 rel=1e-5)


def test_unit_converter_view_hand_worked():
    text, table = views.unit_converter_view(1, "GiB")
    assert "1,073,741,824 bytes" in text and "1.074 GB" in text
    assert table.set_index("unit").loc["MiB", "value"] == "1,024"


def test_unit_converter_view_keeps_a_fraction_of_a_byte():
    # half a byte is 0.5 bytes, not "0 bytes"; 1.5 KiB = 1,536 bytes exactly stays an integer
    assert views.unit_converter_view(0.5, "B")[0].startswith("0.5 B = 0.5 bytes = ")
    assert views.unit_converter_view(1.5, "KiB")[0].startswith("1.5 KiB = 1,536 bytes = ")


@pytest.mark.parametrize("value, unit", [(-1, "MB"), (1, "Mb")])
def test_unit_converter_view_bad_input(value, unit):
    with pytest.raises(ValueError):
        views.unit_converter_view(value, unit)


@pytest.mark.parametrize("search", ["", "stride", "步长", "zzz", "  "])
def test_glossary_view(search):
    result = views.glossary_view(search)
    if search == "zzz":
        assert isinstance(result, str) and "No term" in result
    else:
        assert isinstance(result.data, pd.DataFrame) and len(result.data) >= 1   # a Styler: full meanings
        assert result.data["meaning"].iloc[0] in result.to_html()


def test_widgets_build():
    for make in (views.unit_converter, views.glossary_filter):
        assert make().children


def test_shape_walk_plot_writes_every_decade_alike_and_names_the_input_bar():
    fig = shape_walk_plot(cl.analyze(cl.zoo.alexnet_original()))
    fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    shown = [t.get_text() for t, v in zip(ax.get_yticklabels(), ax.get_yticks()) if low <= v <= high]
    assert shown == ["1,000", "10,000", "100,000", "1,000,000"]   # 500 .. 4 x 618,483 on the axis
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "input"
