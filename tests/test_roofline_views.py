"""Plots and widgets of notebooks 04 and 05: every control value gives a figure and the numbers a person
works out (tests/hand.py: AlexNet layer by layer, the chips' datasheet figures), or a message, never a traceback."""
import re

import pytest

from hand import DATASHEETS, intensity, memory_bound

pytest.importorskip("ipywidgets")

import course_lib as cl  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from course_lib.plots import roofline as plots  # noqa: E402
from course_lib.widgets import roofline as views  # noqa: E402

VIEWS = [views.bandwidth_view, views.roofline_view]
DTYPE_BYTES = {"fp64": 8, "fp32": 4, "fp16/bf16": 2, "int8/fp8": 1}   # IEEE 754 widths; the names say the rest


def _number(pattern, text):
    return float(re.search(pattern, text).group(1).replace(",", ""))


def _memory_bound_listed(text):
    """The layers the roofline view lists as memory bound, with the intensity it prints for each."""
    listed = text.split("Memory bound")[1].split("**Mixed")[0]
    return {name: float(value) for name, value in re.findall(r"(conv\d|fc\d) \(([\d.,]+)\)", listed)}


def _short_of_bandwidth(text):
    """'**k of 8**' and the layers named after it in the bandwidth view."""
    k, n = map(int, re.search(r"\*\*(\d+) of (\d+)\*\*", text).groups())
    names = re.findall(r"\b(conv\d|fc\d)\b", text.split("than the device has")[1].split("The largest")[0])
    return k, n, names


def test_every_device_is_in_the_hand_table():
    assert set(views.compute_device_names()) == set(DATASHEETS)


@pytest.mark.parametrize("device", views.compute_device_names())
def test_roofline_view_every_device(device):
    # batch 1, fp32: memory bound are the layers whose intensity is below peak / bandwidth
    peak, bandwidth = DATASHEETS[device]
    fig, text = views.roofline_view(device=device, dtype="fp32", batch=1)
    assert isinstance(fig, Figure)
    assert _number(r"ridge point ([\d.,]+) (?:FLOP|ops)/byte", text) == pytest.approx(peak / bandwidth, rel=5e-3)
    listed = _memory_bound_listed(text)
    assert list(listed) == memory_bound(peak, bandwidth)
    for name, shown in listed.items():
        assert shown == pytest.approx(intensity(name), rel=5e-3)


@pytest.mark.parametrize("device", views.compute_device_names())
def test_bandwidth_view_every_device(device):
    # a layer needs more bandwidth than the chip has exactly when its intensity is below the ridge
    peak, bandwidth = DATASHEETS[device]
    fig, text = views.bandwidth_view(device=device, dtype="fp32", batch=1)
    assert isinstance(fig, Figure)
    assert _number(r"memory ([\d.,]+) GB/s", text) == pytest.approx(bandwidth / 1e9, rel=5e-4)
    k, n, names = _short_of_bandwidth(text)
    assert (k, n, names) == (len(memory_bound(peak, bandwidth)), 8, memory_bound(peak, bandwidth))


def test_bandwidth_view_on_the_120_tflops_example_by_hand():
    # fc3 needs (4,096 + 4,097,000 + 1,000) x 4 B in 2 x 4,096,000 / 120e12 s = 16,408,384 B / 68.27 ns
    # = 240,357 GB/s, the largest need; conv2 (2,256,256 B in 3.73 us = 604 GB/s) is the only layer under 900 GB/s.
    _, text = views.bandwidth_view("120 TFLOP/s example", "fp32", 1)
    assert _number(r"largest need is ([\d.,]+) GB/s", text) == pytest.approx(16_408_384 / (2 * 4_096_000 / 120e12) / 1e9,
                                                                            rel=5e-6)
    assert "(fc3)" in text and _short_of_bandwidth(text)[2] == ["conv1", "conv3", "conv4", "conv5", "fc1", "fc2", "fc3"]


@pytest.mark.parametrize("dtype", list(views.DTYPE_CHOICES))
def test_roofline_view_every_dtype(dtype):
    # V100 tensor cores (125 TFLOP/s, 900 GB/s: ridge 138.9) at batch 16: fewer bytes an element, higher intensity
    fig, text = views.roofline_view(device="V100 SXM2 fp16 tensor", dtype=dtype, batch=16)
    assert isinstance(fig, Figure)
    assert ("Mixed assumption" in text) == (dtype != "fp16/bf16")
    listed = _memory_bound_listed(text)
    assert list(listed) == memory_bound(125e12, 900e9, 16, DTYPE_BYTES[dtype])
    for name, shown in listed.items():
        assert shown == pytest.approx(intensity(name, 16, DTYPE_BYTES[dtype]), rel=5e-3)


@pytest.mark.parametrize("dtype", list(views.DTYPE_CHOICES))
def test_bandwidth_view_every_dtype(dtype):
    fig, text = views.bandwidth_view(device="V100 SXM2 fp16 tensor", dtype=dtype, batch=16)
    assert isinstance(fig, Figure)
    assert ("Mixed assumption" in text) == (dtype != "fp16/bf16")
    assert _short_of_bandwidth(text)[2] == memory_bound(125e12, 900e9, 16, DTYPE_BYTES[dtype])


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("batch", [views.BATCH_CHOICES[0], 32, 56, 57, views.BATCH_CHOICES[-1]])
def test_every_batch(view, batch):   # the slider's ends, and both sides of fc1's crossing (56 is not a choice)
    # GTX 1080, fp32: fc1's intensity 2 B 9216 4096 / (4 (9216 B + 37,752,832 + 4096 B)) passes the ridge
    # (27.7) at batch 57; the conv layers are compute bound at every batch
    fig, text = view(device="GTX 1080", dtype="fp32", batch=batch)
    assert isinstance(fig, Figure)
    expected = memory_bound(8.873e12, 320e9, batch)
    if view is views.roofline_view:
        assert list(_memory_bound_listed(text)) == expected
    else:
        assert _short_of_bandwidth(text)[2] == expected
    assert ("fc1" in expected) == (batch < 57)


def test_roofline_view_lists_memory_bound_layers():
    _, text = views.roofline_view("GTX 1080", "fp32", 1)
    # fc1 0.4998, fc2 0.4996, fc3 8,192,000 / 16,408,384 = 0.4993 FLOP/byte, printed to 3 significant digits
    assert _memory_bound_listed(text) == {"fc1": 0.5, "fc2": 0.5, "fc3": 0.499}
    _, text = views.roofline_view("GTX 1080", "fp32", 1024)
    assert text.split("Memory bound")[1].count("fc") == 0


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("kwargs, parameter", [
    ({"device": "DDR4-2400 channel"}, "no compute peak"), ({"device": "nope"}, "unknown device"),
    ({"dtype": "fp12"}, "dtype"), ({"batch": 0}, "batch")])
def test_bad_values_raise_value_error(view, kwargs, parameter):
    with pytest.raises(ValueError, match=parameter):
        view(**kwargs)


def test_bad_type_raises_type_error():
    with pytest.raises(TypeError, match="batch"):
        views.roofline_view(batch=2.5)


@pytest.mark.parametrize("name", ["bandwidth", "roofline"])
def test_explorers_build_and_update(name, monkeypatch):
    # the explorer calls its view with the controls' values on every change; the view's text then
    # carries the numbers worked out above
    seen = []
    real = getattr(views, f"{name}_view")

    def spy(**values):
        seen.append(values)
        return real(**values)

    monkeypatch.setattr(views, f"{name}_view", spy)
    app = getattr(views, f"{name}_explorer")()
    controls = [w for row in app.children[1:-1] for w in row.children]
    assert {c.description for c in controls} == {"device", "dtype", "batch"}
    {c.description: c for c in controls}["batch"].value = 64
    assert seen[-1]["batch"] == 64
    _, text = real(**seen[-1])
    if name == "roofline":     # GTX 1080, fp32, batch 64: fc1 31.3, fc2 31.0, fc3 29.6 FLOP/byte, all past 27.7
        assert list(_memory_bound_listed(text)) == memory_bound(8.873e12, 320e9, 64) == []
    else:                      # the 120 TFLOP/s example at batch 64: still 7 of 8 short of 900 GB/s
        assert _short_of_bandwidth(text)[2] == memory_bound(120e12, 900e9, 64)


def test_plots_have_units_on_axes():
    table = cl.roofline(cl.zoo.alexnet_original(), "120 TFLOP/s example")
    figures = [plots.bandwidth_pressure_plot(table, ["DDR4-2400 channel"]),
               plots.memory_wall_plot(cl.memory_wall()),
               plots.roofline_plot(["GTX 1080", "TPU v1"], cl.kernel_costs(64))]
    labels = [(f.axes[0].get_xlabel(), f.axes[0].get_ylabel()) for f in figures]
    assert "GB/s" in labels[0][1]
    assert "(x)" in labels[1][1]
    assert labels[2] == ("operational intensity (FLOP/byte)", "attainable performance (GFLOP/s)")


def test_roofline_plot_accepts_a_measured_device():
    me = cl.Device("mine", 1e11, 2e10)
    fig = plots.roofline_plot([me, "GTX 1080"], cl.kernel_costs(1024))
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_roofline_view_names_its_traffic_model():
    # notebook 05 counts activations through memory; on TPU v1 the view points to notebook 07's weight-only model
    assert "input, weights and output" in cl.widgets.roofline_view("GTX 1080")[1]
    assert "notebook 07" in cl.widgets.roofline_view("TPU v1", "int8/fp8")[1]
    assert "notebook 07" not in cl.widgets.roofline_view("GTX 1080")[1]
