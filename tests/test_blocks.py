"""Branches and gates (course_lib/blocks.py): shapes, costs and names worked by hand, errors that name
the block and both shapes, and PyTorch's own counts on the twin (where torch is installed)."""
import pytest

import course_lib as cl


def _basic(out, kernel, **kw):
    return (cl.Conv2d(out, kernel, bias=False, **kw), cl.BatchNorm2d(), cl.ReLU())


def inception3a():
    # GoogLeNet's inception (3a) (Szegedy et al. 2014, table 1): 64 | 96 -> 128 | 16 -> 32 | pool -> 32
    return cl.Concat((
        _basic(64, 1),
        (*_basic(96, 1), *_basic(128, 3, padding=1)),
        (*_basic(16, 1), *_basic(32, 3, padding=1)),
        (cl.MaxPool2d(3, 1, padding=1, ceil_mode=True), *_basic(32, 1)),
    ), name="inception3a")


def test_inception_concatenates_channels():
    table = cl.analyze(cl.Network("inc", (192, 28, 28), (inception3a(),)))
    join = table.iloc[-1]
    assert (join["name"], join["kind"], join["out_shape"]) == ("inception3a.concat", "Concat", (256, 28, 28))
    assert join["macs"] == 0 and join["params"] == 0
    assert join["activations"] == 256 * 28 * 28
    names = table["name"].tolist()
    assert "inception3a.branch2.conv1" in names and "inception3a.branch2.conv2" in names
    assert "inception3a.branch4.pool1" in names
    assert set(table["block"]) == {"inception3a"}
    # by hand: 1x1 convs 192*(64+96+16+32), 3x3 convs 9*(96*128 + 16*32), BatchNorm 2 per channel
    convs = 192 * (64 + 96 + 16 + 32) + 9 * (96 * 128 + 16 * 32)
    assert table["params"].sum() == convs + 2 * (64 + 96 + 128 + 16 + 32 + 32)
    assert table["macs"].sum() == 28 * 28 * convs


def test_dense_connection_keeps_its_input():
    # DenseNet-121's first dense layer: 64 channels in, growth rate 32, bottleneck 4 x 32
    layer = cl.Concat(((cl.BatchNorm2d(name="norm1"), cl.ReLU(name="relu1"), cl.Conv2d(128, 1, bias=False, name="conv1"),
                        cl.BatchNorm2d(name="norm2"), cl.ReLU(name="relu2"),
                        cl.Conv2d(32, 3, padding=1, bias=False, name="conv2")),), keep_input=True, name="denselayer1")
    table = cl.analyze(cl.Network("dense", (64, 56, 56), (layer,)))
    assert table["name"].tolist() == ["denselayer1.norm1", "denselayer1.relu1", "denselayer1.conv1",
                                      "denselayer1.norm2", "denselayer1.relu2", "denselayer1.conv2",
                                      "denselayer1.concat"]
    assert table.iloc[-1]["out_shape"] == (96, 56, 56)
    assert table["params"].sum() == 2 * 64 + 64 * 128 + 2 * 128 + 9 * 128 * 32


def test_gate_scales_every_channel():
    # squeeze-and-excitation on a 16x8x8 map, squeezed to 4: pool, fc1, ReLU, fc2 (1x1 convs as torchvision)
    gate = cl.Gate((cl.AdaptiveAvgPool2d(1), cl.Conv2d(4, 1, name="fc1"), cl.ReLU(), cl.Conv2d(16, 1, name="fc2")),
                   name="se")
    table = cl.analyze(cl.Network("se", (16, 8, 8), (gate,)))
    assert table["name"].tolist() == ["se.avgpool1", "se.fc1", "se.relu1", "se.fc2", "se.mul"]
    assert table.iloc[-1]["out_shape"] == (16, 8, 8)
    assert table["params"].sum() == (16 * 4 + 4) + (4 * 16 + 16)
    assert table["macs"].sum() == 16 * 4 + 4 * 16
    ops = cl.op_counts(cl.Network("se", (16, 8, 8), (gate,)))
    assert ops["gate_muls"].sum() == 16 * 8 * 8
    assert ops["macs"].sum() == 128


def test_block_names_a_group_without_a_join_row():
    net = cl.Network("b", (3, 8, 8), (cl.Block(_basic(4, 3, padding=1), name="stem"), cl.Block((cl.ReLU(),))))
    assert cl.analyze(net)["name"].tolist() == ["stem.conv1", "stem.bn1", "stem.relu1", "block2.relu1"]  # counters count named layers too


def test_nested_blocks_and_vectors():
    net = cl.Network("v", (10,), (cl.Concat(((cl.Linear(3),), (cl.Residual((cl.Linear(10),)), cl.Linear(2)))),))
    table = cl.analyze(net)
    assert net.output_shape == (5,)
    assert "cat1.branch2.res1.fc1" in table["name"].tolist()


@pytest.mark.parametrize("block, message", [
    (cl.Concat(((cl.Conv2d(8, 1),), (cl.Conv2d(8, 3, stride=2),)), name="fire"),
     r"block fire \(Concat\): branch1 gives \(8, 32, 32\) but branch2 gives \(8, 15, 15\)"),
    (cl.Concat(((cl.MaxPool2d(2),),), keep_input=True, name="skip"),
     r"block skip \(Concat\): its input gives \(3, 32, 32\) but its branch gives \(3, 16, 16\)"),
    (cl.Concat(((cl.Flatten(),), (cl.ReLU(),))), r"block cat1 \(Concat\): branch1 gives \(3072,\) but branch2 gives \(3, 32, 32\)"),
    (cl.Gate((cl.AdaptiveAvgPool2d(1), cl.Conv2d(4, 1)), name="se"),
     r"block se \(Gate\): its body outputs \(4, 1, 1\), which cannot scale its input \(3, 32, 32\)"),
    (cl.Gate((cl.Flatten(),)), r"block gate1 \(Gate\): its body outputs \(3072,\)"),
])
def test_joins_that_do_not_fit_name_the_block_and_both_shapes(block, message):
    with pytest.raises(ValueError, match=message):
        cl.analyze(cl.Network("bad", (3, 32, 32), (block,)))


@pytest.mark.parametrize("make, error, message", [
    (lambda: cl.Concat((cl.ReLU(),)), TypeError, r"branches must be a tuple of branches"),
    (lambda: cl.Concat(((cl.ReLU(),),)), ValueError, r"at least two things to stack"),
    (lambda: cl.Concat(((cl.ReLU(),), ("conv",))), TypeError, r"branches\[1\]\[0\] must be a layer"),
    (lambda: cl.Concat(((), ()), keep_input=1), TypeError, r"keep_input must be True or False"),
    (lambda: cl.Gate(()), ValueError, r"body must hold at least one layer"),
    (lambda: cl.Gate(cl.ReLU()), TypeError, r"body must be a tuple of layers"),
    (lambda: cl.Block([]), ValueError, r"layers must hold at least one layer"),
    (lambda: cl.Block((cl.ReLU(),), name=""), TypeError, r"name must be a non-empty string"),
])
def test_block_argument_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_blocks_are_hashable_frozen_dataclasses():
    block = inception3a()
    assert hash(block) == hash(inception3a())
    with pytest.raises(AttributeError):
        block.name = "other"


@pytest.mark.torch
def test_blocks_against_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    from course_lib.torch_bridge import to_torch
    se = cl.Gate((cl.AdaptiveAvgPool2d(1), cl.Conv2d(8, 1), cl.ReLU(), cl.Conv2d(256, 1)), name="se")
    dense = cl.Concat(((cl.BatchNorm2d(), cl.Conv2d(16, 3, padding=1)),), keep_input=True)
    net = cl.Network("mixed", (192, 28, 28), (inception3a(), se, dense, cl.Block((cl.Conv2d(8, 1), cl.ReLU()))))
    module = to_torch(net, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module(torch.zeros(1, 192, 28, 28, device="meta"))
    table = cl.analyze(net)
    assert tuple(out.shape[1:]) == net.output_shape == (8, 28, 28)
    assert table["params"].sum() == sum(p.numel() for p in module.parameters())
    assert table["macs"].sum() == counter.get_total_flops() // 2


@pytest.mark.parametrize("model", ["googlenet", "densenet121", "efficientnet_b0", "squeezenet1_1"])
def test_compression_reaches_layers_inside_blocks(model):
    # every conv and FC layer, however deep in Concat / Gate / Block, stores 1-byte weights after 8-bit quantization
    table = cl.analyze(cl.quantize(cl.zoo.MODELS[model](), 8))
    weights = table[table["kind"].str.startswith(("Quantized", "Conv2d", "Linear"))]
    assert len(weights) > 10
    assert (weights["param_bytes"] == weights["params"]).all()
    net = cl.zoo.MODELS[model]()
    assert cl.nonzero_macs(cl.prune(net, 0.5)) < cl.analyze(net)["macs"].sum() * 0.55
