"""course_lib.report (notebook 10): every figure against arithmetic written out here, from the layer shapes.

The shipped small_cnn.onnx is regenerated and read back, and compared with the same model written by
hand as a Network; GoogLeNet's and EfficientNet-B0's blocks are worked from torchvision's layer shapes;
times and memory-bound layers come from tests/hand.py's AlexNet (no course_lib in the arithmetic).
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

import course_lib as cl
from tests import hand

GIB = 2 ** 30
ROOT = Path(__file__).resolve().parents[1]
GTX_1080 = hand.DATASHEETS["GTX 1080"]


def small_cnn_by_hand():
    """scripts/make_small_cnn_onnx.py's model, written as a Network."""
    return cl.Network("small CNN by hand", (3, 32, 32), (
        cl.Conv2d(16, 3, padding=1, name="conv1"), cl.ReLU(), cl.MaxPool2d(2, 2),
        cl.Concat(((cl.Conv2d(8, 1), cl.ReLU()),
                   (cl.Conv2d(8, 1), cl.ReLU(), cl.Conv2d(16, 3, padding=1), cl.ReLU())), name="cat"),
        cl.Gate((cl.AdaptiveAvgPool2d(1), cl.Conv2d(6, 1), cl.ReLU(), cl.Conv2d(24, 1), cl.Sigmoid()), name="se"),
        cl.AdaptiveAvgPool2d(1), cl.Flatten(), cl.Linear(10),
    ))


# By hand: conv1 3*9*16 + 16; branch1 16*8 + 8; reduce 16*8 + 8; 3x3 8*9*16 + 16; SE 24*6 + 6, 6*24 + 24; fc 24*10 + 10
SMALL_PARAMS = 448 + 136 + 136 + 1168 + 150 + 168 + 250                       # 2,456
# MACs: conv1 32*32 * 16*27; at 16x16: 8*16, 8*16, 16*72; SE 24*6 + 6*24; fc 24*10
SMALL_MACS = 1024 * 432 + 256 * (128 + 128 + 1152) + 144 + 144 + 240          # 803,344
# elements kept for training: the input and every new tensor (ReLU in place, Flatten a view):
# 3x32x32, conv1 16x32x32, pool 16x16x16, branch1 8x16x16, reduce 8x16x16, 3x3 16x16x16,
# concat 24x16x16, SE pool 24, fc1 6, fc2 24, sigmoid 24, multiply 24x16x16, pool 24, fc 10
SMALL_KEPT = 3072 + 16384 + 4096 + 2048 + 2048 + 4096 + 6144 + 24 + 6 + 24 + 24 + 6144 + 24 + 10
# live at once in inference: the largest is the max-pool, reading 16x32x32 and writing 16x16x16
SMALL_LIVE_PEAK = 16384 + 4096


@pytest.fixture(scope="module")
def small_onnx(tmp_path_factory):
    pytest.importorskip("onnx")
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_small_cnn_onnx", ROOT / "scripts" / "make_small_cnn_onnx.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = script.main(tmp_path_factory.mktemp("onnx") / "small_cnn.onnx")
    return path


def test_shipped_onnx_is_small_and_equals_the_script(small_onnx):
    shipped = cl.small_cnn_path()
    assert shipped.is_file() and shipped.stat().st_size < 100_000
    assert shipped.read_bytes() == small_onnx.read_bytes(), "re-run scripts/make_small_cnn_onnx.py"


def test_onnx_model_analyzes_like_the_hand_written_network(small_onnx):
    mine, by_hand = cl.analyze(cl.from_onnx(small_onnx)), cl.analyze(small_cnn_by_hand())
    assert mine["kind"].tolist() == by_hand["kind"].tolist()
    for column in ("out_shape", "params", "macs", "activations"):
        assert mine[column].tolist() == by_hand[column].tolist(), column
    assert mine["params"].sum() == SMALL_PARAMS and mine["macs"].sum() == SMALL_MACS
    assert cl.activation_elements(cl.from_onnx(small_onnx)) == SMALL_KEPT


def test_model_or_fallback_reads_the_shipped_file():
    pytest.importorskip("onnx")
    network, message = cl.model_or_fallback(lambda: cl.from_onnx(cl.small_cnn_path()), cl.zoo.googlenet(), "mine")
    assert network.name == "small_cnn" and "2,456 parameters" in message and "803,344 MACs" in message


def test_model_or_fallback_carries_on_when_a_package_is_missing():
    def load():
        raise ImportError("from_onnx needs the onnx package: pip install onnx")
    network, message = cl.model_or_fallback(load, cl.zoo.googlenet(), "small_cnn.onnx")
    assert network.name == "GoogLeNet"
    assert message == ("small_cnn.onnx: from_onnx needs the onnx package: pip install onnx. "
                       "Carrying on with GoogLeNet.")


def test_model_or_fallback_names_a_missing_module():
    def load():
        import course_lib_no_such_package  # noqa: F401
    network, message = cl.model_or_fallback(load, cl.zoo.googlenet(), "a PyTorch module")
    assert network.name == "GoogLeNet"
    assert message == ("a PyTorch module: the course_lib_no_such_package package is not installed "
                       "(pip install course_lib_no_such_package). Carrying on with GoogLeNet.")


@pytest.mark.parametrize("blocked", ["onnx", "torch"])
def test_notebook_10_carries_on_without_the_optional_packages(blocked, monkeypatch, capsys):
    """The notebook's ONNX and PyTorch cells, run as if onnx or torch were not installed."""
    import sys

    import nbformat

    monkeypatch.setitem(sys.modules, blocked, None)          # ``import onnx`` now raises ModuleNotFoundError
    for name in [m for m in sys.modules if m.startswith(blocked + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    notebook = nbformat.read(ROOT / "notebooks" / "10_your_model.ipynb", as_version=4)
    cells = [c.source for c in notebook.cells if c.cell_type == "code" and "model_or_fallback" in c.source]
    assert len(cells) == 2 and all(c.startswith("# NBVAL_IGNORE_OUTPUT") for c in cells)
    namespace = {"cl": cl, "model": cl.zoo.googlenet()}
    for source in cells:
        exec(source, namespace)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    missing = [line for line in lines if "Carrying on with GoogLeNet." in line]
    assert len(missing) == 1 and blocked in missing[0]
    fallback = namespace["mine"] if blocked == "onnx" else namespace["from_pytorch"]
    assert fallback.name == "GoogLeNet"


def test_model_or_fallback_does_not_hide_an_unsupported_layer():
    def load():
        raise ValueError("ONNX node 'x' (Sin) is not supported")
    with pytest.raises(ValueError, match="Sin"):
        cl.model_or_fallback(load, cl.zoo.googlenet(), "mine")


def test_top_layers_of_alexnet():
    top = cl.top_layers(cl.zoo.alexnet_original(), "macs", 3)
    by_hand = sorted(((m, n) for n, (_, _, _, m) in hand.ALEXNET_LAYERS.items()), reverse=True)[:3]
    assert top["name"].tolist() == [n for _, n in by_hand]            # conv2, conv3, conv4
    assert top["macs"].tolist() == [m for m, _ in by_hand]
    assert top["share"].tolist() == pytest.approx([m / hand.ALEXNET_MACS for m, _ in by_hand], rel=1e-12)
    params = cl.top_layers(cl.zoo.alexnet_original(), "params", 1)
    assert params["name"].tolist() == ["fc1"] and params["params"][0] == 9216 * 4096 + 4096


def test_inception3a_branches_by_hand():
    # GoogLeNet's inception3a on a 192 x 28 x 28 input; every conv has no bias and a BatchNorm (2 per channel)
    table = cl.branch_costs(cl.zoo.googlenet(), "inception3a")
    pixels = 28 * 28
    params = [192 * 64 + 2 * 64,
              192 * 96 + 2 * 96 + 96 * 128 * 9 + 2 * 128,
              192 * 16 + 2 * 16 + 16 * 32 * 9 + 2 * 32,                 # torchvision's "5x5" branch is 3x3
              192 * 32 + 2 * 32]                                          # max-pool, then 1x1
    macs = [pixels * 192 * 64, pixels * (192 * 96 + 96 * 128 * 9), pixels * (192 * 16 + 16 * 32 * 9),
            pixels * 192 * 32]
    assert table["branch"].tolist() == ["branch1", "branch2", "branch3", "branch4"]
    assert table["params"].tolist() == params
    assert table["macs"].tolist() == macs
    assert table["out_channels"].tolist() == [64, 128, 32, 32]
    assert table["macs_of_block"].tolist() == pytest.approx([m / sum(macs) for m in macs], rel=1e-12)
    assert table.attrs["out_shape"] == (256, 28, 28)


def test_densenet_layer_keeps_its_input():
    # denselayer1 of DenseNet-121: 64 input channels at 56x56; BN(64), 1x1 to 128, BN(128), 3x3 to 32
    table = cl.branch_costs(cl.zoo.densenet121(), "features.denseblock1.denselayer1")
    assert table["branch"].tolist() == ["input", "branch1"]
    assert table["out_channels"].tolist() == [64, 32]
    assert table["params"].tolist() == [0, 2 * 64 + 64 * 128 + 2 * 128 + 128 * 32 * 9]
    assert table["macs"].tolist() == [0, 56 * 56 * (64 * 128 + 128 * 32 * 9)]


def test_efficientnet_gate_against_its_block_by_hand():
    # features.2.0 of EfficientNet-B0: 16 -> 96 (1x1, 112x112), depthwise 3x3 stride 2 (56x56),
    # SE 96 -> 4 -> 96 (1x1 convs with bias), 1x1 96 -> 24; BatchNorm after each conv but the SE's
    device = cl.Device("test chip", 1e12, 1e11)
    row = cl.gate_costs(cl.zoo.efficientnet_b0(), device).set_index("gate").loc["features.2.0.block.2"]
    gate_params = 96 * 4 + 4 + 4 * 96 + 96
    gate_macs = 96 * 4 + 4 * 96
    assert row["params"] == gate_params and row["macs"] == gate_macs
    assert row["block_params"] == 16 * 96 + 2 * 96 + 96 * 9 + 2 * 96 + gate_params + 96 * 24 + 2 * 24
    assert row["block_macs"] == 112 * 112 * 96 * 16 + 56 * 56 * 96 * 9 + gate_macs + 56 * 56 * 24 * 96
    # bytes (fp32): pool reads the 96x56x56 map; fc1, SiLU, fc2, sigmoid move vectors and the SE weights;
    # the multiply reads the map and the 96 scales, and writes the map again
    fmap = 96 * 56 * 56
    elements = (fmap + 96) + (96 + 388 + 4) + (4 + 4) + (4 + 480 + 96) + (96 + 96) + (fmap + 96 + fmap)
    assert row["bytes"] == 4 * elements
    # every gate layer is memory-bound on this chip (ridge 10 FLOP/byte): time = bytes / bandwidth
    assert row["time_s"] == pytest.approx(4 * elements / 1e11, rel=1e-12)
    assert row["macs_of_block"] == pytest.approx(gate_macs / row["block_macs"], rel=1e-12)
    assert row["macs_of_block"] < 1e-4 and row["bytes_of_block"] > 0.05          # tiny arithmetic, real traffic


def test_memory_by_batch_of_the_small_cnn():
    table = cl.memory_by_batch(small_cnn_by_hand(), (1, 32), "fp32").set_index("batch_size")
    for batch in (1, 32):
        assert table.loc[batch, "weights"] == 4 * SMALL_PARAMS
        assert table.loc[batch, "inference"] == 4 * SMALL_PARAMS + 4 * SMALL_LIVE_PEAK * batch
        # Adam in fp32: weights, gradients and two moments, 16 bytes a parameter, plus every kept activation
        assert table.loc[batch, "training_adam"] == 16 * SMALL_PARAMS + 4 * SMALL_KEPT * batch
    int8 = cl.memory_by_batch(small_cnn_by_hand(), (8,), "int8").iloc[0]
    assert int8["inference"] == SMALL_PARAMS + SMALL_LIVE_PEAK * 8 and math.isnan(int8["training_adam"])


def test_largest_batches_on_a_gtx_1080():
    capacity = 8 * GIB                                                  # NVIDIA: 8 GB GDDR5X (GiB)
    got = cl.largest_batches(small_cnn_by_hand(), "GTX 1080", "fp32")
    assert got == {"inference": (capacity - 4 * SMALL_PARAMS) // (4 * SMALL_LIVE_PEAK),
                   "training_adam": (capacity - 16 * SMALL_PARAMS) // (4 * SMALL_KEPT)}
    assert cl.largest_batches(small_cnn_by_hand(), "GTX 1080", "int8")["training_adam"] is None


@pytest.mark.parametrize("batch", [1, 128])
def test_roofline_summary_of_alexnet(batch):
    peak, bandwidth = GTX_1080
    summary = cl.roofline_summary(cl.zoo.alexnet_original(), cl.Device("GTX 1080 by hand", peak, bandwidth), batch)
    assert summary["layers"] == len(hand.ALEXNET_LAYERS) + 3              # + flatten and two dropouts (move nothing)
    assert summary["compute_layers"] == len(hand.COMPUTE_LAYERS)
    assert summary["memory_bound_compute_layers"] == len(hand.memory_bound(peak, bandwidth, batch))
    assert summary["time_s"] == pytest.approx(hand.alexnet_time_s(peak, bandwidth, batch), rel=1e-12)
    assert summary["time_per_sample_s"] == pytest.approx(hand.alexnet_time_s(peak, bandwidth, batch) / batch, rel=1e-12)
    assert summary["compute_time_s"] == pytest.approx(2 * hand.ALEXNET_MACS * batch / peak, rel=1e-12)
    assert summary["peak_share"] == pytest.approx(summary["compute_time_s"] / summary["time_s"], rel=1e-12)


def test_compression_whatif_of_alexnet():
    peak, bandwidth = GTX_1080
    table = cl.compression_whatif(cl.zoo.alexnet_original(), cl.Device("GTX 1080 by hand", peak, bandwidth))
    weights = hand.ALEXNET_PARAMS - hand.ALEXNET_BIASES
    assert table["weight_bytes"].tolist() == [
        4 * hand.ALEXNET_PARAMS, 2 * hand.ALEXNET_PARAMS, hand.ALEXNET_PARAMS, hand.ALEXNET_PARAMS,
        weights // 2 * (4 + 2) + 4 * hand.ALEXNET_BIASES]                 # half the weights, each + a 16-bit index
    times = [hand.alexnet_time_s(peak, bandwidth), hand.alexnet_time_s(peak, bandwidth, 1, 2, 2),
             hand.alexnet_time_s(peak, bandwidth, 1, 4, 1), hand.alexnet_time_s(peak, bandwidth, 1, 1, 1)]
    assert table["time_s"].tolist()[:4] == pytest.approx(times, rel=1e-12)
    assert table["speedup"].tolist()[:4] == pytest.approx([times[0] / t for t in times], rel=1e-12)
    assert table["nonzero_macs"].tolist() == [hand.ALEXNET_MACS] * 4 + [hand.ALEXNET_MACS // 2]


@pytest.mark.parametrize("call, error, words", [
    (lambda: cl.top_layers(cl.zoo.googlenet(), "flops"), ValueError, "column"),
    (lambda: cl.top_layers(cl.zoo.googlenet(), "macs", 0), ValueError, "n must be >= 1"),
    (lambda: cl.top_layers("googlenet"), TypeError, "network must be a Network"),
    (lambda: cl.branch_costs(cl.zoo.googlenet(), "inception9z"), ValueError, "inception3a"),
    (lambda: cl.branch_costs(cl.zoo.resnet18(), "layer1.0"), ValueError, "it has none"),
    (lambda: cl.gate_costs(cl.zoo.googlenet(), "GTX 1080"), ValueError, "no gates"),
    (lambda: cl.memory_by_batch(cl.zoo.googlenet(), (1,), "fp8"), ValueError, "dtype"),
    (lambda: cl.memory_by_batch(cl.zoo.googlenet(), 8), TypeError, "batch_sizes"),
    (lambda: cl.largest_batches(cl.zoo.googlenet(), "Xeon E5345 (seeds)"), ValueError, "memory capacity"),
    (lambda: cl.roofline_summary(cl.zoo.googlenet(), "DDR4-2400 channel"), ValueError, "DDR4"),
    (lambda: cl.compression_whatif(cl.zoo.googlenet(), "GTX 1080", 0), ValueError, "batch_size"),
])
def test_bad_input_names_the_parameter(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_import_stays_light():
    import subprocess
    import sys
    code = ("import sys, course_lib as cl; cl.small_cnn_path(); "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets', 'onnx', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("make_model, concatenates", [(small_cnn_by_hand, True), (cl.zoo.resnet18, False)],
                         ids=["small_cnn", "resnet18"])
def test_notebook_10_code_runs_on_your_own_model(make_model, concatenates, capsys):
    """Section 1 says: put ``model = mine`` (or any zoo model) and run the cells again. Every code cell after it
    must work on a network that is not GoogLeNet, plots and widget aside: the shipped ONNX model (written by
    hand above, one concatenating block) and ResNet-18 (residual adds, no concatenation)."""
    import nbformat

    notebook = nbformat.read(ROOT / "notebooks" / "10_your_model.ipynb", as_version=4)
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    start = next(i for i, s in enumerate(sources) if "model_or_fallback" in s and "tiny_torch_cnn" in s) + 1
    namespace = {"cl": cl, "device": cl.get_device("GTX 1080"), "model": make_model()}
    for source in sources[start:]:
        if "cl.plots." in source or "cl.widgets." in source:
            continue
        exec(source.replace("# NBVAL_CHECK_OUTPUT", ""), namespace)
    out = capsys.readouterr().out
    assert "GoogLeNet" not in out.split("\n")[0] and "torchvision publishes" not in out
    assert "x less" not in out    # inception3a's hand-typed shapes are not compared with another network's
    if concatenates:
        assert "the 1 concatenating block:" in out
    else:
        assert "has no block that concatenates branches" in out
