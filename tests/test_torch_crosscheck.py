"""Cross-check against PyTorch's own counts, where torch is installed (skipped otherwise).

Each course network is rebuilt in torch.nn by ``course_lib.torch_bridge``; torch then counts the
parameters (``numel``) and FLOPs (``torch.utils.flop_counter``, which counts 2 per MAC)
and reports the shape of every layer's output. Everything lives on torch's "meta"
device: shapes and counts without allocating or computing a single weight.
"""
import pytest
from hypothesis import given, settings, strategies as st

import course_lib as cl
from course_lib.torch_bridge import to_torch

torch = pytest.importorskip("torch")
nn = torch.nn
pytestmark = pytest.mark.torch


@pytest.fixture(scope="module", params=list(cl.zoo.MODELS))
def model_pair(request):
    network = cl.zoo.MODELS[request.param]()
    module = to_torch(network, device="meta")
    with torch.no_grad():
        out_shape = tuple(module(torch.zeros(1, *network.input_shape, device="meta")).shape[1:])
    return network, module, out_shape


def test_params_match_torch(model_pair):
    network, module, _ = model_pair
    assert cl.analyze(network)["params"].sum() == sum(p.numel() for p in module.parameters())


def test_macs_match_torch_flop_counter(model_pair):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    network, module, _ = model_pair
    counter = FlopCounterMode(display=False)
    # attention: the math backend does Q K^T and softmax V as matrix products the counter sees
    # (the fused CPU kernels are not counted); on the meta device MultiheadAttention's fused path is off
    with counter, torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
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
