"""Cross-check against PyTorch's own counts, where torch is installed (skipped otherwise).

Each course network is rebuilt in torch.nn by a small converter; torch then counts the
parameters (``numel``) and FLOPs (``torch.utils.flop_counter``, which counts 2 per MAC)
and reports the shape of every layer's output. Everything lives on torch's "meta"
device: shapes and counts without allocating or computing a single weight.
"""
import pytest
from hypothesis import given, settings, strategies as st

import course_lib as cl

torch = pytest.importorskip("torch")
nn = torch.nn
pytestmark = pytest.mark.torch


class _Residual(nn.Module):
    def __init__(self, body, shortcut):
        super().__init__()
        self.body, self.shortcut = body, shortcut

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


def _to_torch(layers, shape):
    """torch.nn modules for course layers, inferring input channels as course_lib does."""
    modules = []
    for layer in layers:
        if isinstance(layer, cl.Conv2d):
            module = nn.Conv2d(shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                               layer.dilation, layer.groups, layer.bias)
        elif isinstance(layer, cl.Linear):
            module = nn.Linear(shape[0], layer.out_features, layer.bias)
        elif isinstance(layer, cl.MaxPool2d):
            module = nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
        elif isinstance(layer, cl.AvgPool2d):
            module = nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
        elif isinstance(layer, cl.AdaptiveAvgPool2d):
            module = nn.AdaptiveAvgPool2d(layer.output_size)
        elif isinstance(layer, cl.ReLU6):
            module = nn.ReLU6()
        elif isinstance(layer, cl.ReLU):
            module = nn.ReLU()
        elif isinstance(layer, cl.BatchNorm2d):
            module = nn.BatchNorm2d(shape[0])
        elif isinstance(layer, cl.Dropout):
            module = nn.Dropout()
        elif isinstance(layer, cl.Flatten):
            module = nn.Flatten()
        elif isinstance(layer, cl.Residual):
            body, _ = _to_torch(layer.body, shape)
            shortcut, _ = _to_torch(layer.shortcut, shape)
            module = _Residual(body, shortcut)
        else:
            raise AssertionError(f"no torch twin for {layer!r}")
        modules.append(module)
        with torch.no_grad():  # torch works on a batch: run one sample through to learn the next shape
            shape = tuple(module.eval()(torch.zeros(1, *shape, device="meta")).shape[1:])
    return nn.Sequential(*modules), shape


@pytest.fixture(scope="module", params=list(cl.zoo.MODELS))
def model_pair(request):
    network = cl.zoo.MODELS[request.param]()
    with torch.device("meta"):
        module, out_shape = _to_torch(network.layers, network.input_shape)
    return network, module.eval(), out_shape


def test_params_match_torch(model_pair):
    network, module, _ = model_pair
    assert cl.analyze(network)["params"].sum() == sum(p.numel() for p in module.parameters())


def test_macs_match_torch_flop_counter(model_pair):
    from torch.utils.flop_counter import FlopCounterMode
    network, module, _ = model_pair
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(torch.zeros(1, *network.input_shape, device="meta"))
    assert cl.analyze(network)["macs"].sum() == counter.get_total_flops() // 2


def test_output_shape_matches_torch(model_pair):
    network, _, out_shape = model_pair
    assert network.output_shape == out_shape


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 3),
       dilation=st.integers(1, 3))
def test_conv_output_size_matches_torch(size, kernel, stride, padding, dilation):
    conv = nn.Conv2d(1, 1, kernel, stride, padding, dilation)
    try:
        torch_size = conv(torch.zeros(1, 1, size, size)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            cl.conv_output_size(size, kernel, stride, padding, dilation)
        return
    assert cl.conv_output_size(size, kernel, stride, padding, dilation) == torch_size


@settings(max_examples=80, deadline=None)
@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4), padding=st.integers(0, 3),
       ceil_mode=st.booleans())
def test_pool_output_size_matches_torch(size, kernel, stride, padding, ceil_mode):
    try:
        pool = nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
        torch_size = pool(torch.zeros(1, 1, size, size)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            cl.pool_output_size(size, kernel, stride, padding, ceil_mode=ceil_mode)
        return
    if torch_size < 1:  # torch may return an empty map where course_lib refuses
        with pytest.raises(ValueError):
            cl.pool_output_size(size, kernel, stride, padding, ceil_mode=ceil_mode)
        return
    assert cl.pool_output_size(size, kernel, stride, padding, ceil_mode=ceil_mode) == torch_size
