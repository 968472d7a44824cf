"""Bad input gets a clear error naming the parameter and the valid range: never a silently wrong number."""
import pytest
from hypothesis import given, strategies as st

import course_lib as cl


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.conv_output_size(0, 3), ValueError, r"in_size must be >= 1, got 0"),
    (lambda: cl.conv_output_size(10, 0), ValueError, r"kernel_size must be >= 1, got 0"),
    (lambda: cl.conv_output_size(10, 3, stride=0), ValueError, r"stride must be >= 1, got 0"),
    (lambda: cl.conv_output_size(10, 3, stride=-2), ValueError, r"stride must be >= 1, got -2"),
    (lambda: cl.conv_output_size(10, 3, padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (lambda: cl.conv_output_size(10, 3, dilation=0), ValueError, r"dilation must be >= 1"),
    (lambda: cl.conv_output_size(5, 11), ValueError, r"kernel_size=11 is larger than the padded input .* = 5"),
    (lambda: cl.conv_output_size(5, 3, dilation=3), ValueError, r"dilated to 7"),
    (lambda: cl.conv_output_size(10.0, 3), TypeError, r"in_size must be an integer, got 10\.0"),
    (lambda: cl.conv_output_size(True, 3), TypeError, r"in_size must be an integer, got True"),
    (lambda: cl.conv_output_size(10, "3"), TypeError, r"kernel_size must be an integer"),
    (lambda: cl.conv_output_size(10, 3, padding=0.5), TypeError, r"padding must be an integer"),
    (lambda: cl.pool_output_size(10, 2, padding=2), ValueError, r"padding=2 is more than half the window kernel_size=2; padding must be between 0 and 1"),
    (lambda: cl.pool_output_size(2, 3), ValueError, r"kernel_size=3 is larger than the padded input.*ceil_mode=True"),
    (lambda: cl.pool_output_size(1, 4, stride=1, ceil_mode=True), ValueError, r"kernel_size=4 is larger than the padded input"),
    (lambda: cl.pool_output_size(10, 3, stride=0), ValueError, r"stride must be >= 1"),
    (lambda: cl.pool_output_size(10, 3, ceil_mode="yes"), TypeError, r"ceil_mode must be True or False"),
    (lambda: cl.pool_output_size(-4, 2), ValueError, r"in_size must be >= 1, got -4"),
])
def test_formula_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@given(bad=st.one_of(st.floats(allow_nan=True), st.booleans(), st.text(max_size=3), st.none()))
def test_non_integers_are_type_errors(bad):
    with pytest.raises(TypeError, match="must be an integer"):
        cl.conv_output_size(bad, 3)


@given(bad=st.integers(max_value=0))
def test_non_positive_sizes_are_value_errors(bad):
    with pytest.raises(ValueError, match=r"in_size must be >= 1"):
        cl.pool_output_size(bad, 2)


@pytest.mark.parametrize("make, error, message", [
    (lambda: cl.Conv2d(0, 3), ValueError, r"out_channels must be >= 1, got 0"),
    (lambda: cl.Conv2d(64, (3, 3, 3)), ValueError, r"kernel_size must be an int or an \(h, w\) pair"),
    (lambda: cl.Conv2d(64, (3, 0)), ValueError, r"kernel_size\[1\] must be >= 1, got 0"),
    (lambda: cl.Conv2d(64, 3, padding=-1), ValueError, r"padding must be >= 0"),
    (lambda: cl.Conv2d(64, 3, groups=0), ValueError, r"groups must be >= 1"),
    (lambda: cl.Conv2d(64, 3, groups=3), ValueError, r"groups=3 must divide out_channels=64"),
    (lambda: cl.Conv2d(64, 3, bias=1), TypeError, r"bias must be True or False"),
    (lambda: cl.Conv2d(64.0, 3), TypeError, r"out_channels must be an integer"),
    (lambda: cl.Linear(0), ValueError, r"out_features must be >= 1"),
    (lambda: cl.Linear(10, name=""), TypeError, r"name must be a non-empty string"),
    (lambda: cl.MaxPool2d(2, padding=2), ValueError, r"padding=2 is more than half the window"),
    (lambda: cl.MaxPool2d(0), ValueError, r"kernel_size must be >= 1"),
    (lambda: cl.AvgPool2d(3, stride=0), ValueError, r"stride must be >= 1"),
    (lambda: cl.AdaptiveAvgPool2d(0), ValueError, r"output_size must be >= 1"),
    (lambda: cl.LocalResponseNorm(0), ValueError, r"size must be >= 1, got 0"),
    (lambda: cl.LocalResponseNorm(2.5), TypeError, r"size must be an integer"),
    (lambda: cl.LocalResponseNorm(5, alpha=-1), ValueError, r"alpha must be >= 0"),
    (lambda: cl.LocalResponseNorm(5, beta="3/4"), TypeError, r"beta must be a number"),
    (lambda: cl.LocalResponseNorm(5, k=0), ValueError, r"k must be > 0"),
    (lambda: cl.Residual(cl.ReLU()), TypeError, r"body must be a tuple of layers"),
    (lambda: cl.Residual(()), ValueError, r"body must hold at least one layer"),
    (lambda: cl.Residual((cl.ReLU(), "conv")), TypeError, r"body\[1\] must be a layer"),
    (lambda: cl.Network("n", (3, 0, 4), ()), ValueError, r"input_shape\[1\] must be >= 1"),
    (lambda: cl.Network("n", (3, 4, 5, 6), ()), ValueError, r"input_shape must be \(C, H, W\), \(N,\) or \(tokens, features\)"),
    (lambda: cl.Network("n", (3, 8, 8), cl.ReLU()), TypeError, r"layers must be a list or tuple"),
    (lambda: cl.Network("n", (3, 8, 8), [cl.ReLU(), 5]), TypeError, r"layers\[1\] must be a layer"),
])
def test_layer_argument_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


def _net(*layers, shape=(3, 32, 32)):
    return cl.Network("test", shape, layers)


@pytest.mark.parametrize("network, message", [
    (_net(cl.Conv2d(8, 3), cl.Linear(10)), r"layer fc1 \(Linear\) needs a flat \(N,\) input.*\(8, 30, 30\).*Flatten"),
    (_net(cl.Conv2d(8, 3, groups=2)), r"layer conv1 \(Conv2d\): groups=2 does not divide its 3 input channels"),
    (_net(cl.Conv2d(8, 3, stride=2), cl.Conv2d(8, 3, stride=2), cl.Conv2d(8, 3, stride=2), cl.Conv2d(8, 5, name="big")),
     r"layer big \(Conv2d\) on a \(8, 3, 3\) input: kernel_size=5 is larger"),
    (_net(cl.MaxPool2d(2), cl.MaxPool2d(2), cl.MaxPool2d(2), cl.MaxPool2d(2), cl.MaxPool2d(2), cl.MaxPool2d(2)),
     r"layer pool6 \(MaxPool2d\) on a \(3, 1, 1\) input"),
    (_net(cl.Flatten(), cl.Conv2d(4, 1)), r"layer conv1 \(Conv2d\) needs a \(C, H, W\) feature map"),
    (_net(cl.BatchNorm2d(), shape=(10,)), r"layer bn1 \(BatchNorm2d\) needs a \(C, H, W\)"),
    (_net(cl.Residual((cl.Conv2d(8, 3, padding=1),), name="block")),
     r"block block \(Residual\): its body outputs \(8, 32, 32\) but its shortcut outputs \(3, 32, 32\)"),
    (_net(cl.ReLU(name="a"), cl.ReLU(name="a")), r"two layers are named 'a'"),
])
def test_networks_that_do_not_fit_name_the_layer(network, message):
    with pytest.raises(ValueError, match=message):
        cl.analyze(network)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"batch_size": 0}, ValueError, r"batch_size must be >= 1, got 0"),
    ({"batch_size": 2.5}, TypeError, r"batch_size must be an integer"),
    ({"bytes_per_element": 0}, ValueError, r"bytes_per_element must be > 0"),
    ({"bytes_per_element": "fp32"}, TypeError, r"bytes_per_element must be a number"),
])
def test_analyze_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        cl.analyze(cl.zoo.alexnet_original(), **kwargs)


def test_analyze_needs_a_network():
    with pytest.raises(TypeError, match="network must be a Network"):
        cl.analyze([cl.ReLU()])


def test_unknown_device_lists_the_known_names():
    with pytest.raises(ValueError, match=r"unknown device 'GTX 9090'; the known devices are: GTX 580, GTX 1080, .*H200 SXM bf16"):
        cl.get_device("GTX 9090")


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.ridge_point("DDR4-2400 channel"), ValueError, r"no compute peak"),
    (lambda: cl.attainable_flops("GTX 1080", -1), ValueError, r"intensity must be >= 0"),
    (lambda: cl.attainable_flops("GTX 1080", [1, -1]), ValueError, r"intensity must hold numbers >= 0"),
    (lambda: cl.roofline(cl.zoo.alexnet(), "GTX 1080", batch_size=0), ValueError, r"batch_size must be >= 1"),
    (lambda: cl.roofline(cl.zoo.alexnet(), "GTX 1080", bytes_per_element=-4), ValueError, r"bytes_per_element must be > 0"),
    (lambda: cl.Device("x", peak_flops=-1, mem_bandwidth=1), ValueError, r"peak_flops must be > 0"),
    (lambda: cl.Device("x", peak_flops=1, mem_bandwidth=0), ValueError, r"mem_bandwidth must be > 0"),
    (lambda: cl.devices(kind="quantum"), ValueError, r"kind must be one of"),
    (lambda: cl.get_device(42), TypeError, r"name must be a device name"),
])
def test_device_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
