"""The plots and widgets of notebooks 02 and 03: every control value gives a figure and
numbers that agree with course_lib; bad input gives a message, never a traceback."""
import pytest
from matplotlib.figure import Figure

import course_lib as cl
from course_lib.plots import costs as plots
from course_lib.widgets import costs as views

MODELS = list(cl.zoo.MODELS)


@pytest.mark.parametrize("model, tool", [(m, "thop") for m in MODELS] + [("vgg16", t) for t in cl.TOOL_CONVENTIONS])
def test_macs_view_every_model_and_tool(model, tool):
    summary, fig = views.macs_view(model, tool)
    assert isinstance(fig, Figure)
    assert f"{cl.tool_total(cl.zoo.MODELS[model](), tool):,}" in summary


def test_macs_view_alexnet_total():
    summary, _ = views.macs_view("alexnet_original", "ptflops")
    assert "727,423,208" in summary   # COURSE.md section 7


# every value of every control, each at least once (the full product is slow and adds nothing)
COMBOS = ([(m, "fp32", "adam") for m in MODELS] + [("resnet18", d, "sgd") for d in cl.TRAINING_DTYPES]
          + [("resnet18", d, "inference") for d in cl.DTYPE_BYTES]
          + [("mobilenet_v2", "bf16", o) for o in cl.OPTIMIZER_STATES])
GIB = 2 ** 30


@pytest.mark.parametrize("model, dtype, optimizer", COMBOS)
def test_memory_view_every_model_dtype_optimizer(model, dtype, optimizer):
    summary, fig, table = views.memory_view(model, dtype, 32, optimizer)
    assert isinstance(fig, Figure)
    needed = cl.training_memory(cl.zoo.MODELS[model](), 32, dtype, optimizer)["total"]
    assert list(table["needed (GB)"]) == [f"{needed / 1e9:,.3f}"] * 4
    # GPU memory is sold in binary units: "3 GB" is 3 GiB (nvidia-smi: 3,072 MiB), "141 GB" is 141 GiB
    assert list(table["fits"]) == ["yes" if needed <= c else "no" for c in (3 * GIB, 8 * GIB, 32 * GIB, 141 * GIB)]
    assert list(table["memory (sold as GiB)"]) == ["3 GiB = 3.22 GB", "8 GiB = 8.59 GB", "32 GiB = 34.4 GB",
                                                   "141 GiB = 151 GB"]
    assert list(table["GPU"]) == ["GTX 580", "GTX 1080", "V100 SXM2", "H200 SXM"]   # no " fp32": memory has no precision


@pytest.mark.parametrize("batch_size", views.BATCH_SIZES)
def test_memory_view_every_batch(batch_size):
    summary, fig, table = views.memory_view("vgg16", "fp32", batch_size, "adam")
    assert f"batch {batch_size}" in summary


@pytest.mark.parametrize("call", [
    lambda: views.memory_view("gpt5"), lambda: views.memory_view(dtype="fp64"),
    lambda: views.memory_view(batch_size=0), lambda: views.memory_view(optimizer="lion"),
    lambda: views.macs_view("gpt5"), lambda: views.macs_view(tool="deepspeed"),
])
def test_views_raise_value_error_on_bad_input(call):
    with pytest.raises(ValueError):
        call()


def test_memory_view_says_what_mixed_precision_keeps_in_fp32():
    summary, _, _ = views.memory_view("alexnet_original", "bf16", 32, "adam")
    assert "fp32 master copy" in summary
    assert "master" not in views.memory_view("alexnet_original", "fp32", 32, "adam")[0]


@pytest.mark.parametrize("dtype", ["int8", "int4", "1-bit"])
def test_memory_view_refuses_training_in_narrow_integer_formats(dtype):
    with pytest.raises(ValueError, match="inference only"):
        views.memory_view("alexnet_original", dtype, 32, "adam")


def test_memory_explorer_offers_narrow_formats_for_inference_only():
    app = views.memory_explorer()
    dropdowns = {w.description: w for row in app.children[1:-1] for w in row.children}
    dtype, optimizer = dropdowns["dtype"], dropdowns["optimizer"]
    assert list(dtype.options) == ["fp32", "fp16", "bf16"]
    optimizer.value = "inference"
    assert "int8" in dtype.options and "1-bit" in dtype.options
    dtype.value = "int4"
    optimizer.value = "momentum"
    assert list(dtype.options) == ["fp32", "fp16", "bf16"] and dtype.value == "fp32"


def test_widgets_build_and_show_errors_as_messages():
    for app in (views.memory_explorer(), views.macs_explorer()):
        assert app.children    # header, controls and output
    from course_lib.widgets._base import error_box
    assert "Not possible" in error_box(ValueError("x")).data


def test_layer_share_plot_labels_shares():
    fig = plots.layer_share_plot(cl.layer_counts(cl.zoo.alexnet_original()))
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert "30.9%" in texts     # conv2: 223,948,800 / 724,406,816
    fig = plots.layer_share_plot(cl.analyze(cl.zoo.alexnet_original()), value="params", unit="parameters")
    assert "61.9%" in [t.get_text().strip() for t in fig.axes[0].texts]   # fc1: 37,752,832 / 60,965,224


def test_many_layers_plot_and_memory_plots():
    assert isinstance(plots.layer_share_plot(cl.layer_counts(cl.zoo.resnet50())), Figure)
    net = cl.zoo.alexnet_original()
    fig = plots.memory_vs_batch_plot(cl.memory_vs_batch(net, [1, 8, 64]), cl.fits(net))
    assert len(fig.axes[0].lines) == 1 + 4     # total + four device lines
    assert isinstance(plots.memory_breakdown_plot(cl.training_memory(net)), Figure)


@pytest.mark.parametrize("call", [
    lambda: plots.layer_share_plot(cl.analyze(cl.zoo.alexnet()), value="nonsense"),
    lambda: plots.layer_share_plot(cl.analyze(cl.zoo.alexnet()), value="bias_adds"),
    lambda: plots.memory_vs_batch_plot(cl.analyze(cl.zoo.alexnet())),
    lambda: plots.memory_breakdown_plot({"weights": 1}),
])
def test_plots_reject_the_wrong_table(call):
    with pytest.raises(ValueError):
        call()


def test_memory_vs_batch_plot_labels_every_batch_and_marks_the_computed_points():
    net = cl.zoo.alexnet_original()
    batches = [2 ** i for i in range(13)]
    fig = plots.memory_vs_batch_plot(cl.memory_vs_batch(net, batches), cl.fits(net))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(b) for b in batches]   # 2048 too
    assert ax.lines[0].get_marker() == "o"


@pytest.mark.parametrize("share, label_x", [(0.91, 100), (0.50, 50), (1.5, 150)])
def test_breakdown_plot_keeps_a_share_label_off_the_100_percent_line(share, label_x):
    import pandas as pd
    parts = {"weights": 1, "gradients": 0, "optimizer_state": 0, "activations": 0}
    table = pd.DataFrame({"device": ["GTX 580"], "used_share": [share], "fits": [share <= 1]})
    fig = plots.memory_breakdown_plot(parts, table)
    (text,) = fig.axes[1].texts
    assert text.get_position()[0] == pytest.approx(label_x)
    assert fig.axes[1].get_title() == "does it fit? (over 100% = does not fit)"



def test_memory_view_says_how_inference_stores_activations():
    summary, _, _ = views.memory_view("vgg16", "1-bit", 4096, "inference")
    assert "stored as fp16" in summary and "weights only" in summary
    # VGG-16's peak: conv1_2 reads and writes 64x224x224 = 3,211,264 elements; 2 bytes each, batch 4096
    assert cl.training_memory(cl.zoo.vgg16(), 4096, "1-bit", "inference")["activations"] == 3_211_264 * 2 * 4096 * 2
    assert "stored as int8" in views.memory_view("vgg16", "int8", 1, "inference")[0]
