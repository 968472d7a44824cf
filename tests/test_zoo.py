"""The zoo and analyze() against published figures: torchvision's parameter counts, the seeds'
hand-worked AlexNet numbers, and the counting tools' published totals (COURSE.md section 7)."""
import pytest

import course_lib as cl

# torchvision's published parameter counts (torchvision.models documentation, "num_params" of each
# weight enum's IMAGENET1K_V1 meta: pytorch.org/vision/stable/models.html)
PUBLISHED_PARAMS = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "mobilenet_v2": 3_504_872,
    "googlenet": 6_624_904,
    "squeezenet1_1": 1_235_496,
    "densenet121": 7_978_856,
    "efficientnet_b0": 5_288_548,
    "mobilenet_v3_large": 5_483_032,
    "vit_b_16": 86_567_656,
}

# torchvision's published "_ops" (the docs' "GFLOPS" column, in fact GMACs of conv, linear and
# attention products at 224x224), three decimals, same source: GoogLeNet_Weights.IMAGENET1K_V1
# "_ops": 1.498, SqueezeNet1_1 0.349, DenseNet121 2.834, EfficientNet_B0 0.386,
# MobileNet_V3_Large 0.217, ViT_B_16 17.564; and the older models' 0.714, 15.47, 1.814, 4.089, 0.301.
PUBLISHED_GMACS = {
    "alexnet": 0.714,
    "vgg16": 15.470,
    "resnet18": 1.814,
    "resnet50": 4.089,
    "mobilenet_v2": 0.301,
    "googlenet": 1.498,
    "squeezenet1_1": 0.349,
    "densenet121": 2.834,
    "efficientnet_b0": 0.386,
    "mobilenet_v3_large": 0.217,
    "vit_b_16": 17.564,
}


@pytest.fixture(scope="module")
def alexnet_table():
    return cl.analyze(cl.zoo.alexnet_original())


@pytest.mark.parametrize("model, expected", PUBLISHED_PARAMS.items())
def test_parameter_counts_match_torchvision(model, expected):
    assert cl.analyze(cl.zoo.MODELS[model]())["params"].sum() == expected


@pytest.mark.parametrize("model, expected", PUBLISHED_GMACS.items())
def test_macs_match_torchvision_published_gflops(model, expected):
    # torchvision's "GFLOPS" are GMACs: ResNet-50's "4.09" is conv + FC multiply-accumulates
    assert round(cl.analyze(cl.zoo.MODELS[model]())["macs"].sum() / 1e9, 3) == expected


def test_branching_models_show_their_blocks():
    names = set(cl.analyze(cl.zoo.googlenet())["name"])
    assert {"inception3a.branch2.1.conv", "inception3a.branch4.0", "inception3a.concat", "fc"} <= names
    assert "features.3.expand.concat" in set(cl.analyze(cl.zoo.squeezenet1_1())["name"])
    dense = cl.analyze(cl.zoo.densenet121()).set_index("name")
    assert dense.loc["features.denseblock1.denselayer6.concat", "out_shape"] == (64 + 6 * 32, 56, 56)
    assert dense.loc["features.denseblock4.denselayer16.concat", "out_shape"] == (1024, 7, 7)
    effnet = cl.analyze(cl.zoo.efficientnet_b0()).set_index("name")
    # the first MBConv's gate: 32 channels squeezed to 8 (in_channels // 4), one multiply per element
    assert effnet.loc["features.1.0.block.1.fc1", "params"] == 32 * 8 + 8
    assert effnet.loc["features.1.0.block.1.mul", "out_shape"] == (32, 112, 112)
    v3 = cl.analyze(cl.zoo.mobilenet_v3_large()).set_index("name")
    assert v3.loc["features.4.block.2.fc1", "out_shape"] == (24, 1, 1)   # _make_divisible(72 // 4) = 24
    vit = cl.analyze(cl.zoo.vit_b_16()).set_index("name")
    assert vit.loc["class_token", "out_shape"] == (197, 768)
    assert vit.loc["encoder.layers.encoder_layer_0.attention.self_attention", "params"] == 4 * 768 * 768 + 4 * 768


def test_unet_by_hand():
    # depth 4, 16 base channels, 3 -> 2 classes on 128x128: double convs (no bias) + BatchNorm at 16..256
    # channels, 2x2 up-convolutions halving the channels, a 1x1 output conv
    def double(c_in, c):
        return 9 * c_in * c + 9 * c * c + 4 * c
    params = (double(3, 16) + double(16, 32) + double(32, 64) + double(64, 128) + double(128, 256)
              + sum(4 * 2 * c * c + c + double(2 * c, c) for c in (16, 32, 64, 128)) + (16 * 2 + 2))
    table = cl.analyze(cl.zoo.unet())
    assert table["params"].sum() == params
    assert table.iloc[-1]["out_shape"] == (2, 128, 128)
    assert table.set_index("name").loc["skip0.skip1.skip2.skip3.concat", "out_shape"] == (256, 16, 16)


def test_alexnet_original_params_and_macs(alexnet_table):
    # the 2-GPU paper network: hand-summed in COURSE.md and by thop/fvcore
    assert alexnet_table["params"].sum() == 60_965_224
    assert alexnet_table["macs"].sum() == 724_406_816


def test_alexnet_walk_227_to_1000(alexnet_table):
    shapes = alexnet_table.loc[alexnet_table["kind"].isin(["Conv2d", "MaxPool2d", "Linear"]), "out_shape"].tolist()
    assert shapes == [(96, 55, 55), (96, 27, 27), (256, 27, 27), (256, 13, 13), (384, 13, 13), (384, 13, 13),
                      (256, 13, 13), (256, 6, 6), (4096,), (4096,), (1000,)]


def test_alexnet_seed_values(alexnet_table):
    rows = alexnet_table.set_index("name")
    # seeds/001: 55x55x3x11x11x96 = 105,415,200 MACs; conv1 holds 11*11*3*96 + 96 weights
    assert rows.loc["conv1", "macs"] == 55 * 55 * 3 * 11 * 11 * 96 == 105_415_200
    assert rows.loc["conv1", "params"] == 34_944
    # seeds/000: conv1 outputs 290,400 elements (once misprinted 290,440)
    assert rows.loc["conv1", "activations"] == 290_400
    assert rows.loc["fc1", "macs"] == 9216 * 4096 == 37_748_736
    # 243.9 MB of fp32 weights
    assert round(alexnet_table["param_bytes"].sum() / 1e6, 1) == 243.9


def test_alexnet_lrn_layers_from_the_paper(alexnet_table):
    # Krizhevsky et al. 2012, section 3.3: LRN after the ReLU of conv1 and conv2, before pooling,
    # size 5, k=2, alpha=1e-4, beta=0.75
    names = alexnet_table["name"].tolist()
    assert names[names.index("conv1"):names.index("pool1") + 1] == ["conv1", "relu1", "lrn1", "pool1"]
    assert names[names.index("conv2"):names.index("pool2") + 1] == ["conv2", "relu2", "lrn2", "pool2"]
    lrn = alexnet_table[alexnet_table["kind"] == "LocalResponseNorm"].set_index("name")
    assert lrn["out_shape"].tolist() == [(96, 55, 55), (256, 27, 27)]
    assert lrn["params"].sum() == 0 and lrn["macs"].sum() == 0
    # stored activations per image grow by 96*55*55 + 256*27*27 = 290,400 + 186,624
    assert lrn["activations"].tolist() == [290_400, 186_624]
    assert lrn["activations"].sum() == 477_024
    layers = [layer for layer in cl.zoo.alexnet_original().layers if layer.kind == "LocalResponseNorm"]
    assert [(lr.size, lr.k, lr.alpha, lr.beta) for lr in layers] == [(5, 2.0, 1e-4, 0.75)] * 2


def test_lrn_ops_as_netscope_counts():
    # Netscope (dgschwend/netscope, src/analyzer.coffee, "lrn"): per element, size MACCs for the
    # sum of squares + 1 add + 1 exp + 2 div; AlexNet's lrn1 with size 5: 9 ops x 290,400
    ops = cl.op_counts(cl.zoo.alexnet_original()).set_index("name")
    assert ops.loc["lrn1", "lrn_ops"] == 9 * 290_400 == 2_613_600
    assert ops.loc["lrn2", "lrn_ops"] == 9 * 186_624
    assert ops["lrn_ops"].sum() == 9 * 477_024
    small = cl.op_counts(cl.Network("lrn", (4, 2, 3), (cl.LocalResponseNorm(3),)))
    assert small.loc[0, "lrn_ops"] == (3 + 4) * 24
    assert small.loc[0, "macs"] == 0


def test_groups_halve_the_split_layers(alexnet_table):
    rows = alexnet_table.set_index("name")
    # conv2 sees 48 of the 96 channels: 27*27*256*48*25
    assert rows.loc["conv2", "macs"] == 27 * 27 * 256 * 48 * 25
    assert rows.loc["conv4", "params"] == 3 * 3 * 192 * 384 + 384


def test_resnet50_conv_and_fc_macs():
    assert cl.analyze(cl.zoo.resnet50())["macs"].sum() == 4_089_184_256


@pytest.mark.parametrize("columns, expected", [
    (["macs"], 724_406_816),                        # thop, fvcore
    (["macs", "bias_adds"], 725_066_088),           # torchinfo
])
def test_counting_tools_totals_are_sums_of_columns(columns, expected):
    ops = cl.op_counts(cl.zoo.alexnet_original())
    assert ops[columns].to_numpy().sum() == expected


def test_ptflops_total():
    # ptflops: bias + ReLU elements + pooling inputs, the last two counted twice (COURSE.md)
    ops = cl.op_counts(cl.zoo.alexnet_original()).sum(numeric_only=True)
    assert ops["macs"] + ops["bias_adds"] + 2 * (ops["activation_ops"] + ops["pool_inputs"]) == 727_423_208


@pytest.mark.parametrize("model", cl.zoo.MODELS)
def test_default_names_are_unique_and_columns_present(model):
    table = cl.analyze(cl.zoo.MODELS[model]())
    assert table["name"].is_unique
    for column in ["name", "kind", "out_shape", "params", "macs", "activations", "param_bytes", "activation_bytes"]:
        assert column in table


def test_default_names_follow_the_contract():
    table = cl.analyze(cl.zoo.alexnet_original())
    assert table["name"].tolist()[:4] == ["conv1", "relu1", "lrn1", "pool1"]
    assert "fc1" in set(table["name"]) and "fc3" in set(table["name"])


def test_residual_blocks_are_visible_in_names():
    names = cl.analyze(cl.zoo.resnet18())["name"].tolist()
    assert "layer1.0.conv1" in names
    assert "layer2.0.shortcut.conv" in names and "layer2.0.add" in names


def test_bytes_scale_with_batch_and_dtype():
    one = cl.analyze(cl.zoo.alexnet_original())
    eight_half = cl.analyze(cl.zoo.alexnet_original(), batch_size=8, bytes_per_element=2)
    assert (eight_half["activation_bytes"] == one["activation_bytes"] * 8 / 2).all()
    assert (eight_half["param_bytes"] == one["param_bytes"] / 2).all()
    # activations are per sample and do not depend on the batch
    assert (eight_half["activations"] == one["activations"]).all()


def test_batchnorm_counts_two_params_per_channel():
    table = cl.analyze(cl.Network("bn", (16, 8, 8), (cl.BatchNorm2d(),)))
    assert table.loc[0, "params"] == 32


def test_output_shape_property():
    assert cl.zoo.vgg16().output_shape == (1000,)
    assert cl.Network("empty", (3, 4, 4), ()).output_shape == (3, 4, 4)
