"""Plots and widgets of notebooks 04 and 05: every control value gives a figure or a message, never a traceback."""
import pytest

pytest.importorskip("ipywidgets")

import course_lib as cl  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from course_lib.plots import roofline as plots  # noqa: E402
from course_lib.widgets import roofline as views  # noqa: E402

VIEWS = [views.bandwidth_view, views.roofline_view]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("device", views.compute_device_names())
def test_every_device(view, device):
    fig, text = view(device=device, dtype="fp32", batch=1)
    assert isinstance(fig, Figure) and device in text


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("dtype", list(views.DTYPE_CHOICES))
def test_every_dtype(view, dtype):
    fig, text = view(device="V100 SXM2 fp16 tensor", dtype=dtype, batch=16)
    assert isinstance(fig, Figure)
    assert ("Mixed assumption" in text) == (dtype != "fp16/bf16")


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("batch", [views.BATCH_CHOICES[0], 32, views.BATCH_CHOICES[-1]])
def test_every_batch(view, batch):
    fig, _ = view(device="GTX 1080", dtype="fp32", batch=batch)
    assert isinstance(fig, Figure)


def test_roofline_view_lists_memory_bound_layers():
    _, text = views.roofline_view("GTX 1080", "fp32", 1)
    assert "fc1" in text and "conv1" not in text.split("Memory bound")[1]
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


@pytest.mark.parametrize("explorer", [views.bandwidth_explorer, views.roofline_explorer])
def test_explorers_build_and_update(explorer):
    app = explorer()
    controls = [w for row in app.children[1:-1] for w in row.children]
    assert {c.description for c in controls} == {"device", "dtype", "batch"}
    batch = next(c for c in controls if c.description == "batch")
    batch.value = 64  # the callback runs; a failure would be shown, not raised


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
