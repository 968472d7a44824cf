"""counting.py against independent references: the seeds' hand-worked values, the published
tool totals (COURSE.md section 7), and PyTorch's own parameter counts and FLOP counter."""
import pytest

import course_lib as cl

ALEXNET = cl.zoo.alexnet_original()


# (in_channels, out_channels, kernel, groups, bias) -> params worked by hand from K*K*(C_in/g)*C_out + C_out
@pytest.mark.parametrize("args, expected", [
    ((3, 96, 11, 1, True), 34_944),          # AlexNet conv1 (seeds/001: 34848 + 96 = 34944)
    ((96, 256, 5, 2, True), 307_456),        # conv2 on two GPUs: 5*5*48*256 + 256
    ((96, 256, 5, 1, True), 614_656),        # ... and without groups
    ((384, 384, 3, 2, True), 663_936),       # conv4
    ((64, 64, 3, 1, False), 36_864),         # ResNet 3x3, no bias
    ((32, 32, 3, 32, False), 288),           # depthwise
])
def test_conv_params_by_hand(args, expected):
    assert cl.conv_params(*args) == expected


@pytest.mark.parametrize("h, w, c_in, c_out, k, groups, expected", [
    (55, 55, 3, 96, 11, 1, 105_415_200),     # seeds/001: 55x55x3x11x11x96
    (27, 27, 96, 256, 5, 2, 223_948_800),    # conv2 halved by groups=2 (seeds/001: "/2")
    (27, 27, 96, 256, 5, 1, 447_897_600),
    (13, 13, 256, 384, 3, 1, 149_520_384),
])
def test_conv_macs_by_hand(h, w, c_in, c_out, k, groups, expected):
    assert cl.conv_macs(h, w, c_in, c_out, k, groups) == expected


@pytest.mark.torch
@pytest.mark.parametrize("c_in, c_out, k, groups, bias, size", [
    (3, 96, 11, 1, True, 227), (96, 256, 5, 2, True, 27), (8, 12, 3, 4, False, 9), (6, 6, 1, 6, True, 5),
    (16, 32, 7, 1, False, 15),
])
def test_conv_against_torch(c_in, c_out, k, groups, bias, size):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    conv = torch.nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)
    assert cl.conv_params(c_in, c_out, k, groups, bias) == sum(p.numel() for p in conv.parameters())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = conv(torch.zeros(1, c_in, size, size))
    assert 2 * cl.conv_macs(out.shape[2], out.shape[3], c_in, c_out, k, groups) == counter.get_total_flops()


@pytest.mark.torch
@pytest.mark.parametrize("n_in, n_out, bias", [(9216, 4096, True), (4096, 1000, True), (7, 3, False)])
def test_linear_against_torch(n_in, n_out, bias):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    fc = torch.nn.Linear(n_in, n_out, bias=bias)
    assert cl.linear_params(n_in, n_out, bias) == sum(p.numel() for p in fc.parameters())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        fc(torch.zeros(1, n_in))
    assert cl.flops_from_macs(cl.linear_macs(n_in, n_out)) == counter.get_total_flops()


def test_fc1_macs_from_the_seeds():
    assert cl.linear_macs(6 * 6 * 256, 4096) == 37_748_736   # seeds/001


@pytest.mark.parametrize("macs, flops", [(0, 0), (1, 2), (724_406_816, 1_448_813_632), (2.5, 5.0)])
def test_flops_are_twice_macs(macs, flops):
    assert cl.flops_from_macs(macs) == flops


# Published totals of each tool for AlexNet (2012, 227 input): COURSE.md section 7; with the
# paper's LRN layers back, ptflops 0.7.5 also counts the tensor ops inside them (see PRINTED below).
@pytest.mark.parametrize("tool, expected", [
    ("thop", 724_406_816), ("fvcore", 724_406_816), ("torchinfo", 725_066_088),
    ("ptflops", 727_423_208 + 3 * 477_024 + 492_040), ("FLOPs (2 x MACs)", 2 * 724_406_816),
])
def test_tool_totals_alexnet(tool, expected):
    assert cl.tool_total(ALEXNET, tool) == expected
    parts = cl.tool_parts(ALEXNET, tool)
    assert parts["total"] == sum(v for k, v in parts.items() if k != "total")


def test_published_ptflops_figure_is_alexnet_without_lrn():
    # 727,423,208 (COURSE.md section 7): ptflops on the 2012 AlexNet without its LRN layers
    no_lrn = cl.Network("AlexNet without LRN", ALEXNET.input_shape,
                        tuple(layer for layer in ALEXNET.layers if layer.kind != "LocalResponseNorm"))
    assert cl.tool_total(no_lrn, "ptflops") == 727_423_208
    ops = cl.op_counts(no_lrn).sum(numeric_only=True)
    assert cl.tool_total(no_lrn, "ptflops") == ops["macs"] + ops["bias_adds"] + 2 * (ops["activation_ops"] + ops["pool_inputs"])


def test_resnet50_tools():
    # conv + FC MACs alone are 4,089,184,256 (COURSE.md section 7); thop itself prints 4,133,742,592:
    # it also counts BatchNorm (4 per element) and the adaptive pool
    assert cl.analyze(cl.zoo.resnet50())["macs"].sum() == 4_089_184_256
    assert cl.tool_total(cl.zoo.resnet50(), "thop") == 4_133_742_592
    parts = cl.tool_parts(cl.zoo.resnet50(), "thop")
    assert parts["macs"] == 4_089_184_256
    assert parts["4 x norm elements"] + parts["adaptive pool (window + 1) x outputs"] == 4_133_742_592 - 4_089_184_256


# What the real tools print for each zoo model's PyTorch twin (course_lib.torch_bridge.to_torch, batch 1),
# run by tests/real_tools.py with thop 0.1.1-2209072238, fvcore 0.1.5.post20221221, torchinfo 1.8.0,
# ptflops 0.7.5 and torch 2.13.0 (CPU). tool_total must print the same.
PRINTED = {
    "alexnet_original": {"thop": 724_406_816, "fvcore": 724_406_816, "torchinfo": 725_066_088, "ptflops": 729_346_320},
    "alexnet": {"thop": 714_206_912, "fvcore": 714_197_696, "torchinfo": 714_682_664, "ptflops": 716_441_128},
    "vgg16": {"thop": 15_470_314_496, "fvcore": 15_470_289_408, "torchinfo": 15_483_821_032, "ptflops": 15_523_225_576},
    "resnet18": {"thop": 1_824_033_792, "fvcore": 1_819_065_856, "torchinfo": 1_814_083_944, "ptflops": 1_825_313_768},
    "resnet50": {"thop": 4_133_742_592, "fvcore": 4_111_512_576, "torchinfo": 4_089_238_376, "ptflops": 4_132_436_968},
    "mobilenet_v2": {"thop": 327_550_720, "fvcore": 314_193_216, "torchinfo": 300_809_384, "ptflops": 320_362_728},
    "googlenet": {"thop": 1_511_332_032, "fvcore": 1_504_878_688, "torchinfo": 1_498_391_752, "ptflops": 1_517_133_608},
    "squeezenet1_1": {"thop": 349_321_936, "fvcore": 349_320_936, "torchinfo": 351_741_288, "ptflops": 359_982_728},
    "densenet121": {"thop": 2_897_058_304, "fvcore": 2_865_546_752, "torchinfo": 2_834_246_312, "ptflops": 2_899_943_400},
    "efficientnet_b0": {"thop": 415_145_024, "fvcore": 401_659_392, "torchinfo": 385_867_108, "ptflops": 410_196_896},
    "mobilenet_v3_large": {"thop": 234_838_456, "fvcore": 226_033_824, "torchinfo": 216_621_520, "ptflops": 231_316_416},
    # thop skips nn.MultiheadAttention; fvcore skips Q K^T and softmax V; torchinfo counts each Linear's
    # weights once, not once per token
    "vit_b_16": {"thop": 11_286_254_592, "fvcore": 16_867_412_736, "torchinfo": 173_232_616, "ptflops": 17_606_030_584},
    "unet": {"thop": 867_041_280, "fvcore": 762_380_288, "torchinfo": 859_573_120, "ptflops": 767_885_312},
}


@pytest.mark.parametrize("model, tool", [(m, t) for m in PRINTED for t in PRINTED[m]])
def test_tool_total_equals_what_the_tool_printed(model, tool):
    assert cl.tool_total(cl.zoo.MODELS[model](), tool) == PRINTED[model][tool]


@pytest.mark.torch
@pytest.mark.parametrize("model", ["alexnet_original", "resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0", "unet"])
@pytest.mark.parametrize("tool", ["thop", "fvcore", "torchinfo", "ptflops"])
def test_tool_total_equals_the_live_tool(model, tool):
    pytest.importorskip(tool)
    from real_tools import TOOLS
    network = cl.zoo.MODELS[model]()
    assert cl.tool_total(network, tool) == TOOLS[tool](network)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_tool_totals_table_scales_with_batch(batch_size):
    table = cl.tool_totals(ALEXNET, batch_size).set_index("tool")
    assert table.loc["torchinfo", "total"] == 725_066_088 * batch_size


@pytest.mark.parametrize("tool", list(cl.TOOL_CONVENTIONS))
@pytest.mark.parametrize("model", ["alexnet_original", "vgg16", "resnet18"])
def test_layer_counts_add_up(model, tool):
    net = cl.zoo.MODELS[model]()
    table = cl.layer_counts(net, tool)
    assert table["count"].sum() == cl.tool_total(net, tool)
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["count"] > 0).all()


def test_alexnet_conv_share_and_fc1():
    table = cl.layer_counts(ALEXNET, "thop").set_index("name")
    assert table.loc["conv1", "count"] == 105_415_200
    assert table.loc["fc1", "count"] == 37_748_736
    conv = table.loc[table["kind"] == "Conv2d", "count"].sum()
    assert round(conv / table["count"].sum(), 2) == 0.92    # "conv layers do ~92% of the MACs"


def test_fc_layers_hold_96_percent_of_alexnet_weights():
    table = cl.analyze(ALEXNET)
    fc = table.loc[table["kind"] == "Linear", "params"].sum()
    assert fc == (9216 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert round(fc / table["params"].sum(), 2) == 0.96


@pytest.mark.parametrize("in_shape, out_shape, bias, expected", [
    ((3, 227, 227), (96, 55, 55), False, 154_587 * 290_400),   # seeds/001: 154,587 inputs, 290,400 outputs
    ((3, 227, 227), (96, 55, 55), True, 154_587 * 290_400 + 290_400),
    ((9216,), (4096,), True, 37_752_832),                      # an FC is already an FC
    (10, 2, False, 20),
])
def test_fc_equivalent_params(in_shape, out_shape, bias, expected):
    assert cl.fc_equivalent_params(in_shape, out_shape, bias) == expected


@pytest.mark.torch
@pytest.mark.parametrize("n_in, hidden, bias", [(10, 20, True), (1, 1, True), (300, 128, False)])
def test_rnn_params_against_torch(n_in, hidden, bias):
    torch = pytest.importorskip("torch")
    rnn = torch.nn.RNN(n_in, hidden, bias=bias)
    assert cl.rnn_params(n_in, hidden, bias) == sum(p.numel() for p in rnn.parameters())


@pytest.mark.parametrize("steps", [1, 5, 100])
def test_unrolled_rnn(steps):
    # by hand: 128*(64+128) + 2*128 = 24,832 per step
    assert cl.unrolled_rnn_params(64, 128, steps) == 24_832 * steps


@pytest.mark.parametrize("call, name", [
    (lambda: cl.conv_params(0, 96, 11), "in_channels"),
    (lambda: cl.conv_params(3, 96, 11, groups=2), "groups"),
    (lambda: cl.conv_params(3, 96, 11.0), "kernel_size"),
    (lambda: cl.conv_params(3, 96, 11, bias="yes"), "bias"),
    (lambda: cl.conv_macs(0, 55, 3, 96, 11), "out_height"),
    (lambda: cl.linear_params(9216, -1), "out_features"),
    (lambda: cl.linear_macs(True, 3), "in_features"),
    (lambda: cl.flops_from_macs(-1), "macs"),
    (lambda: cl.flops_from_macs("1"), "macs"),
    (lambda: cl.tool_total(ALEXNET, "deepspeed"), "tool"),
    (lambda: cl.layer_counts(ALEXNET, "thop", batch_size=0), "batch_size"),
    (lambda: cl.fc_equivalent_params((3, 0, 2), (4,)), "in_shape"),
    (lambda: cl.fc_equivalent_params("big", (4,)), "in_shape"),
    (lambda: cl.rnn_params(10, 0), "hidden_size"),
    (lambda: cl.unrolled_rnn_params(10, 20, 0), "steps"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()

