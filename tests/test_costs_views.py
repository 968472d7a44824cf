"""The plots and widgets of notebooks 02 and 03: every control value gives a figure and the numbers a
person works out (published counts, layer-by-layer arithmetic written here); bad input gives a message,
never a traceback."""
import re

import pytest
from matplotlib.figure import Figure

import course_lib as cl
from hand import ALEXNET_MACS, ALEXNET_PARAMS
from course_lib.plots import costs as plots
from course_lib.widgets import costs as views

MODELS = list(cl.zoo.MODELS)


def _bold_count(summary):
    return int(re.search(r"\*\*([\d,]+)\*\*", summary).group(1).replace(",", ""))


def _gigabytes(text):
    """'4.167 GB' or '108.9 MB' -> GB."""
    value, unit = re.search(r"([\d.,]+) (MB|GB|TB) in all", text).groups()
    return float(value.replace(",", "")) * {"MB": 1e-3, "GB": 1, "TB": 1e3}[unit]


# torchvision's model docs give each model's "GFLOPS", which are GMACs (conv + FC multiply-accumulates);
# the 2012 AlexNet is worked layer by layer in tests/hand.py.
PUBLISHED_GMACS = {"alexnet_original": ALEXNET_MACS / 1e9, "alexnet": 0.71, "vgg16": 15.47, "resnet18": 1.81,
                   "resnet50": 4.09, "mobilenet_v2": 0.30, "googlenet": 1.50, "squeezenet1_1": 0.35,
                   "densenet121": 2.83, "efficientnet_b0": 0.39, "mobilenet_v3_large": 0.22, "vit_b_16": 17.56}

# VGG-16 (Simonyan & Zisserman, ICLR 2015; torchvision's layout), by hand: its 13 convs (side, C_in, C_out), 3x3
VGG_CONVS = [(224, 3, 64), (224, 64, 64), (112, 64, 128), (112, 128, 128), (56, 128, 256), (56, 256, 256),
             (56, 256, 256), (28, 256, 512), (28, 512, 512), (28, 512, 512), (14, 512, 512), (14, 512, 512),
             (14, 512, 512)]
VGG_MACS = sum(h * h * co * ci * 9 for h, ci, co in VGG_CONVS) + 25088 * 4096 + 4096 * 4096 + 4096 * 1000
VGG_CONV_OUTPUTS = sum(h * h * co for h, _, co in VGG_CONVS)                   # 13,547,520
VGG_BIAS_ADDS = VGG_CONV_OUTPUTS + 4096 + 4096 + 1000                          # one per output element
VGG_RELU = VGG_CONV_OUTPUTS + 4096 + 4096                                      # after every conv, fc1 and fc2
VGG_POOL_INPUTS = 64 * 224 ** 2 + 128 * 112 ** 2 + 256 * 56 ** 2 + 512 * 28 ** 2 + 512 * 14 ** 2 + 512 * 7 * 7
# VGG-16's AdaptiveAvgPool2d((7, 7)) on a 7x7 map: thop counts (window + 1) per output, 2 x 512 x 7 x 7; fvcore
# one per input element, 512 x 7 x 7 (both as the real tools print for torchvision's VGG-16)
VGG_TOOLS = {"thop": VGG_MACS + 2 * 512 * 7 * 7, "fvcore": VGG_MACS + 512 * 7 * 7, "torchinfo": VGG_MACS + VGG_BIAS_ADDS,
             "ptflops": VGG_MACS + VGG_BIAS_ADDS + 2 * (VGG_RELU + VGG_POOL_INPUTS), "FLOPs (2 x MACs)": 2 * VGG_MACS}

# Elements kept per sample for the backward pass: the input and every conv, BatchNorm, pool, add and FC
# output (ReLU runs in place; Flatten is a view; Dropout is not counted).
VGG_KEPT = (3 * 224 * 224 + VGG_CONV_OUTPUTS + 64 * 112 ** 2 + 128 * 56 ** 2 + 256 * 28 ** 2 + 512 * 14 ** 2
            + 512 * 7 * 7 + 512 * 7 * 7 + 4096 + 4096 + 1000)                  # 15,262,696


def _resnet_kept(stages, bottleneck):
    kept, side = 3 * 224 * 224 + 2 * 64 * 112 * 112 + 64 * 56 * 56, 56       # input, stem conv + bn, max pool
    for width, blocks, stride in zip((64, 128, 256, 512), stages, (1, 2, 2, 2)):
        for block in range(blocks):
            out = side // (stride if block == 0 else 1)
            expansion = 4 if bottleneck else 1
            if bottleneck:   # 1x1 at the input side, 3x3 (stride here), 1x1 to 4 x width; each with a bn
                kept += 2 * width * side * side + 2 * width * out * out + 2 * 4 * width * out * out
            else:            # two 3x3 convs, each with a bn
                kept += 2 * 2 * width * out * out
            if block == 0 and (stride > 1 or bottleneck):
                kept += 2 * expansion * width * out * out                    # downsample conv + bn
            kept += expansion * width * out * out                            # the add
            side = out
    return kept + 512 * (4 if bottleneck else 1) + 1000                      # average pool, fc


KEPT = {"alexnet_original": 3 * 227 * 227 + 96 * 55 * 55 + 96 * 27 * 27 + 256 * 27 * 27 + 256 * 13 * 13
        + 384 * 13 * 13 * 2 + 256 * 13 * 13 + 256 * 6 * 6 + 4096 + 4096 + 1000
        + 96 * 55 * 55 + 256 * 27 * 27,    # the paper's two local response normalizations (section 3.3): 1,413,347
        "alexnet": 3 * 224 * 224 + 64 * 55 * 55 + 64 * 27 * 27 + 192 * 27 * 27 + 192 * 13 * 13
        + 384 * 13 * 13 + 256 * 13 * 13 * 2 + 256 * 6 * 6 * 2 + 4096 + 4096 + 1000,               # 742,248
        "vgg16": VGG_KEPT, "resnet18": _resnet_kept((2, 2, 2, 2), False),                          # 6,072,808
        "resnet50": _resnet_kept((3, 4, 6, 3), True)}                                              # 28,101,608
# torchvision's published parameter counts; the 2012 AlexNet summed in tests/hand.py
PARAMS = {"alexnet_original": ALEXNET_PARAMS, "alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512,
          "resnet50": 25_557_032, "mobilenet_v2": 3_504_872, "googlenet": 6_624_904, "squeezenet1_1": 1_235_496,
          "densenet121": 7_978_856, "efficientnet_b0": 5_288_548, "mobilenet_v3_large": 5_483_032,
          "vit_b_16": 86_567_656,
          # the course's own small U-Net has no published count; its parameters are summed layer by layer
          # in tests/test_zoo.py
          "unet": 1_942_594}
STATES = {"inference": None, "sgd": 0, "momentum": 1, "adam": 2}   # fp32 optimizer values per weight
BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5, "1-bit": 1 / 8}
# NVIDIA's spec pages: 3, 8, 32 and 141 "GB", sold in binary units (nvidia-smi shows a GTX 580's 3,072 MiB)
GPUS = {"GTX 580": 3 * 2 ** 30, "GTX 1080": 8 * 2 ** 30, "V100 SXM2": 32 * 2 ** 30, "H200 SXM": 141 * 2 ** 30}


def _fixed_per_param(dtype, optimizer):
    """Bytes a parameter costs: inference keeps the weight only; training adds its gradient and the fp32
    optimizer values, and in fp16/bf16 (mixed precision) an fp32 master copy too: Adam is 4 + 4 + 8 = 16 B
    in fp32 and 2 + 2 + (4 + 8) = 16 B mixed (Rajbhandari et al., "ZeRO", SC 2020, section 3.1)."""
    size = BYTES[dtype]
    if STATES[optimizer] is None:
        return size
    return size + size + (0 if size == 4 else 4) + 4 * STATES[optimizer]


# Inference keeps no activation for a backward pass: only those alive at once. ResNet-18's peak is bn1,
# which reads conv1's 64 x 112 x 112 output and writes a map of the same size (ReLU then works in place).
INFERENCE_PEAK = {"resnet18": 64 * 112 * 112 + 64 * 112 * 112}                               # 1,605,632
# Weight-only int4 and 1-bit schemes (GPTQ/AWQ-style int4, BWN) keep 16-bit activations; int8 is W8A8.
INFERENCE_ACTIVATION_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 2, "1-bit": 2}


def _needed(model, dtype, batch, optimizer):
    if optimizer == "inference":
        return PARAMS[model] * BYTES[dtype] + INFERENCE_PEAK[model] * batch * INFERENCE_ACTIVATION_BYTES[dtype]
    return PARAMS[model] * _fixed_per_param(dtype, optimizer) + KEPT[model] * batch * BYTES[dtype]


def test_the_hand_counts_cover_the_controls():
    assert set(PUBLISHED_GMACS) | {"unet"} == set(MODELS) == set(PARAMS)
    assert set(BYTES) == set(cl.DTYPE_BYTES) and set(STATES) == set(cl.OPTIMIZER_STATES)


@pytest.mark.parametrize("model", MODELS)
def test_macs_view_every_model_gives_the_published_count(model):
    # FLOPs = 2 x the conv/FC/attention MACs that torchvision's docs publish (as "GFLOPS", really GMACs)
    summary, fig = views.macs_view(model, "FLOPs (2 x MACs)")
    assert isinstance(fig, Figure)
    if model in PUBLISHED_GMACS:
        assert _bold_count(summary) / 2e9 == pytest.approx(PUBLISHED_GMACS[model], abs=0.005)   # 2 decimals
    assert f"{PARAMS[model]:,} parameters" in summary


@pytest.mark.parametrize("tool", cl.TOOL_CONVENTIONS)
def test_macs_view_every_tool_on_vgg16_by_hand(tool):
    summary, _ = views.macs_view("vgg16", tool)
    assert _bold_count(summary) == VGG_TOOLS[tool]


def test_macs_view_alexnet_total():
    summary, _ = views.macs_view("alexnet_original", "ptflops")
    # ptflops 0.7.5 prints 729,346,320 on the 2012 AlexNet with its two LRN layers (727,423,208 without them)
    assert "729,346,320" in summary


# every value of every control, each at least once (the full product is slow and adds nothing)
COMBOS = ([(m, "fp32", "adam") for m in MODELS] + [("resnet18", d, "sgd") for d in cl.TRAINING_DTYPES]
          + [("resnet18", d, "inference") for d in cl.DTYPE_BYTES]
          + [("mobilenet_v2", "bf16", o) for o in cl.OPTIMIZER_STATES if o != "inference"])


@pytest.mark.parametrize("model, dtype, optimizer", COMBOS)
def test_memory_view_every_model_dtype_optimizer(model, dtype, optimizer):
    summary, fig, table = views.memory_view(model, dtype, 32, optimizer)
    assert isinstance(fig, Figure)
    assert list(table["GPU"]) == list(GPUS)   # no " fp32": memory has no precision
    if model not in KEPT:
        # activations are not worked by hand for these models (a smoke test): the optimizer changes only
        # what each of the published parameters costs
        sgd = _gigabytes(views.memory_view(model, dtype, 32, "sgd")[0])
        expected = (_fixed_per_param(dtype, optimizer) - _fixed_per_param(dtype, "sgd")) * PARAMS[model] / 1e9
        assert _gigabytes(summary) - sgd == pytest.approx(expected, abs=2e-3)
        return
    needed = _needed(model, dtype, 32, optimizer)
    assert _gigabytes(summary) == pytest.approx(needed / 1e9, rel=3e-3)     # printed to 3-4 digits
    assert [float(v) for v in table["needed (GB)"]] == pytest.approx([needed / 1e9] * 4, abs=5e-4)
    assert list(table["fits"]) == ["yes" if needed <= c else "no" for c in GPUS.values()]
    assert list(table["memory (sold as GiB)"]) == ["3 GiB = 3.22 GB", "8 GiB = 8.59 GB", "32 GiB = 34.4 GB",
                                                   "141 GiB = 151 GB"]


@pytest.mark.parametrize("batch_size", views.BATCH_SIZES)
def test_memory_view_every_batch(batch_size):
    # VGG-16, fp32, Adam: 4 x 138,357,544 x 4 B = 2.214 GB fixed, 15,262,696 x 4 B = 61.05 MB a sample
    summary, fig, table = views.memory_view("vgg16", "fp32", batch_size, "adam")
    assert f"batch {batch_size}" in summary
    assert _gigabytes(summary) == pytest.approx(_needed("vgg16", "fp32", batch_size, "adam") / 1e9, rel=3e-3)
    largest = [int((c - 138_357_544 * 16) // (VGG_KEPT * 4)) for c in GPUS.values()]   # (3 GiB - 2.214 GB) / 61 MB = 16
    assert [int(v.replace(",", "")) for v in table["largest batch that fits"]] == largest


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
