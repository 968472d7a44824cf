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
    # COURSE.md section 7's 727,423,208, plus what ptflops 0.7.5 counts inside the paper's two LRN layers
    assert "729,346,320" in summary


# every value of every control, each at least once (the full product is slow and adds nothing)
COMBOS = ([(m, "fp32", "adam") for m in MODELS] + [("resnet18", d, "sgd") for d in cl.DTYPE_BYTES]
          + [("mobilenet_v2", "bf16", o) for o in cl.OPTIMIZER_STATES])


@pytest.mark.parametrize("model, dtype, optimizer", COMBOS)
def test_memory_view_every_model_dtype_optimizer(model, dtype, optimizer):
    summary, fig, table = views.memory_view(model, dtype, 32, optimizer)
    assert isinstance(fig, Figure)
    needed = cl.training_memory(cl.zoo.MODELS[model](), 32, dtype, optimizer)["total"]
    assert list(table["needed (GB)"]) == [f"{needed / 1e9:,.3f}"] * 4
    assert list(table["fits"]) == ["yes" if needed <= c else "no" for c in (3e9, 8e9, 32e9, 141e9)]
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
