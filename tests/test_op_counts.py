"""op_counts (course_lib/analysis.py, course_lib/layers.py): each column against counts worked by hand.

Every expected value below is the arithmetic written out, never a number read back from the
library. The columns are the parts that counting tools disagree about (notebook 03):
``pool_ops`` is the window elements a pooling layer compares (max) or sums (average), one
window of K_h*K_w elements per output element; ``norm_ops`` is BatchNorm's multiply and add,
2 per element; ``pool_inputs`` the elements a pooling layer reads.
"""
import pytest

import course_lib as cl

# A small map-to-vector network with one of each kind of layer, on a (4, 8, 8) input:
#   conv  : 6 kernels 3x3, padding 1      -> (6, 8, 8)    (8 - 3 + 2)/1 + 1 = 8
#   bn    : BatchNorm over 6 channels      -> (6, 8, 8)
#   relu                                   -> (6, 8, 8)
#   maxp  : 2x2 window, stride 2           -> (6, 4, 4)    (8 - 2)/2 + 1 = 4
#   avgp  : 3x3 window, stride 1           -> (6, 2, 2)    (4 - 3)/1 + 1 = 2
#   gap   : adaptive average to 1x1        -> (6, 1, 1)
#   flat                                   -> (6,)
#   fc    : 6 -> 5, with bias              -> (5,)
NET = cl.Network("small", (4, 8, 8), (
    cl.Conv2d(6, 3, padding=1, name="conv"),
    cl.BatchNorm2d(name="bn"),
    cl.ReLU(name="relu"),
    cl.MaxPool2d(2, 2, name="maxp"),
    cl.AvgPool2d(3, 1, name="avgp"),
    cl.AdaptiveAvgPool2d(1, name="gap"),
    cl.Flatten(name="flat"),
    cl.Linear(5, name="fc"),
))

HAND = {  # layer -> {column: count}; columns not listed are 0
    "conv": {"macs": 6 * 8 * 8 * 4 * 3 * 3,          # 3,456 outputs x 36 weights each = 13,824
             "bias_adds": 6 * 8 * 8},                 # one add per output element = 384
    "bn": {"norm_ops": 2 * 6 * 8 * 8},                # a multiply and an add per element = 768
    "relu": {"activation_ops": 6 * 8 * 8},            # 384
    "maxp": {"pool_ops": 6 * 4 * 4 * 2 * 2,           # 96 outputs, each the max of a 2x2 window = 384
             "pool_inputs": 6 * 8 * 8},               # it reads its whole 6x8x8 input = 384
    "avgp": {"pool_ops": 6 * 2 * 2 * 3 * 3,           # 24 outputs, each the sum of a 3x3 window = 216
             "pool_inputs": 6 * 4 * 4},               # 96
    "gap": {"pool_ops": 6 * 2 * 2,                    # one window of all 2x2 elements per channel = 24
            "pool_inputs": 6 * 2 * 2},                # 24
    "flat": {},
    "fc": {"macs": 6 * 5, "bias_adds": 5},            # in x out = 30
}
COLUMNS = ["macs", "bias_adds", "activation_ops", "pool_ops", "pool_inputs", "norm_ops", "residual_adds"]


@pytest.fixture(scope="module")
def counts():
    return cl.op_counts(NET).set_index("name")


def test_one_row_per_layer_in_order(counts):
    assert list(counts.index) == list(HAND)
    assert set(COLUMNS) <= set(counts.columns)


@pytest.mark.parametrize("layer", list(HAND))
@pytest.mark.parametrize("column", COLUMNS)
def test_each_count_is_the_hand_worked_one(counts, layer, column):
    assert counts.loc[layer, column] == HAND[layer].get(column, 0)


def test_pool_ops_count_the_window_not_just_the_outputs(counts):
    # Dropping the window size would give the outputs alone: 96 for maxp, 24 for avgp.
    assert counts.loc["maxp", "pool_ops"] == 4 * (6 * 4 * 4)       # 2x2 = 4 elements per output
    assert counts.loc["avgp", "pool_ops"] == 9 * (6 * 2 * 2)       # 3x3 = 9 elements per output


def test_norm_ops_are_two_per_element(counts):
    # Halving would give one op per element, 384.
    assert counts.loc["bn", "norm_ops"] == 768


def test_alexnet_pool_ops_by_hand():
    # AlexNet (2012): three 3x3 max pools, stride 2, on 55x55x96, 27x27x256 and 13x13x256 maps;
    # outputs 27x27x96, 13x13x256 and 6x6x256, each output the max of 9 elements.
    ops = cl.op_counts(cl.zoo.alexnet_original()).set_index("name")
    assert ops.loc["pool1", "pool_ops"] == 27 * 27 * 96 * 9      # 629,856
    assert ops.loc["pool2", "pool_ops"] == 13 * 13 * 256 * 9     # 389,376
    assert ops.loc["pool3", "pool_ops"] == 6 * 6 * 256 * 9       # 82,944
    assert ops.loc["pool1", "pool_inputs"] == 55 * 55 * 96       # 290,400


def test_rectangular_window_and_ceil_mode():
    # (3, 7, 10) input, window (2, 3), stride (2, 3), ceil_mode: rows ceil((7-2)/2)+1 = 4,
    # columns ceil((10-3)/3)+1 = 4 (each last window starts inside the input); 3*4*4 = 48 outputs x 6.
    net = cl.Network("rect", (3, 7, 10), (cl.MaxPool2d((2, 3), (2, 3), ceil_mode=True, name="p"),))
    assert cl.op_counts(net).set_index("name").loc["p", "pool_ops"] == 3 * 4 * 4 * 2 * 3


def test_residual_adds_one_per_joined_element():
    # out = conv(x) + x on a (4, 5, 5) map: 4*5*5 = 100 adds; the conv keeps the shape (3x3, padding 1).
    net = cl.Network("res", (4, 5, 5), (cl.Residual((cl.Conv2d(4, 3, padding=1),)),))
    ops = cl.op_counts(net)
    assert ops["residual_adds"].sum() == 4 * 5 * 5
    assert ops["macs"].sum() == 4 * 5 * 5 * 4 * 3 * 3


@pytest.mark.parametrize("batch", [1, 3, 32])
def test_every_column_scales_with_the_batch(batch):
    counts = cl.op_counts(NET, batch).set_index("name")
    for layer, parts in HAND.items():
        for column in COLUMNS:
            assert counts.loc[layer, column] == batch * parts.get(column, 0), (layer, column)


def test_bn_norm_ops_in_resnet18_by_hand():
    # torchvision's ResNet-18 at 224: the stem's BatchNorm sits on a 64x112x112 map.
    ops = cl.op_counts(cl.zoo.resnet18())
    first_bn = ops[ops["kind"] == "BatchNorm2d"].iloc[0]
    assert first_bn["norm_ops"] == 2 * 64 * 112 * 112          # 1,605,632
