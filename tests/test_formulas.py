"""Output-size formulas against hand-worked values (the AlexNet paper and a blog post that works them by hand) and closed forms."""
import math

import pytest
from hypothesis import given, strategies as st

import course_lib as cl


@pytest.mark.parametrize("args, expected", [
    # AlexNet conv1, as "大數據、AI和存儲芯片的未來" (SSDFans, 2019) works it: "(227-11+2X0)/4+1=55"
    ((227, 11, 4, 0), 55),
    # torchvision's AlexNet conv1: (224 - 11 + 2*2)/4 + 1 = 55.25 -> 55 (floor)
    ((224, 11, 4, 2), 55),
    # the AlexNet paper's 224 without padding: 54.25 -> 54
    ((224, 11, 4, 0), 54),
    # a 3x3 "same" conv keeps the size: (13 - 3 + 2)/1 + 1 = 13
    ((13, 3, 1, 1), 13),
    # conv2 of AlexNet: (27 - 5 + 4)/1 + 1 = 27
    ((27, 5, 1, 2), 27),
    # ResNet's stem: (224 - 7 + 6)/2 + 1 = 112.5 -> 112
    ((224, 7, 2, 3), 112),
])
def test_conv_output_size_hand_worked(args, expected):
    assert cl.conv_output_size(*args) == expected


def test_dilation_widens_the_kernel():
    # a 3x3 kernel with dilation 2 spans 5 pixels: (10 - 5)/1 + 1 = 6
    assert cl.conv_output_size(10, 3, dilation=2) == 6


@pytest.mark.parametrize("args, kwargs, expected", [
    ((55, 3, 2), {}, 27),    # AlexNet pool1: (55 - 3)/2 + 1 = 27
    ((27, 3, 2), {}, 13),    # pool2
    ((13, 3, 2), {}, 6),     # pool5
    ((112, 3, 2, 1), {}, 56),  # ResNet's maxpool with padding 1
    ((7, 2), {}, 3),         # stride defaults to the kernel: floor(5/2) + 1 = 3
    ((7, 2), {"ceil_mode": True}, 4),  # ceil(5/2) + 1 = 4, the last window starts at 6 < 7
    # ceil mode drops a last window that would start in the right padding:
    # I=5, K=2, S=2, P=1: ceil((5+2-2)/2) + 1 = 4, but window 3 starts at 6 >= 5 + 1 -> 3
    ((5, 2, 2, 1), {"ceil_mode": True}, 3),
    # ceil mode keeps a partial window wider than a 1-pixel input, as torch.nn.MaxPool2d does
    ((1, 2, 2), {"ceil_mode": True}, 1),
])
def test_pool_output_size_hand_worked(args, kwargs, expected):
    assert cl.pool_output_size(*args, **kwargs) == expected


def test_strict_shows_the_224_puzzle_arithmetic():
    with pytest.raises(ValueError, match=r"\(224 - 11 \+ 2\*0\)/4 \+ 1 = 54\.25"):
        cl.conv_output_size(224, 11, 4, strict=True)
    assert cl.conv_output_size(227, 11, 4, strict=True) == 55


def test_strict_pool():
    with pytest.raises(ValueError, match=r"\(8 - 3 \+ 2\*0\)/2 \+ 1 = 3\.5"):
        cl.pool_output_size(8, 3, 2, strict=True)
    assert cl.pool_output_size(55, 3, 2, strict=True) == 27


@given(in_size=st.integers(1, 300), kernel=st.integers(1, 15), stride=st.integers(1, 8),
       padding=st.integers(0, 7), dilation=st.integers(1, 4))
def test_conv_matches_closed_form(in_size, kernel, stride, padding, dilation):
    span = in_size + 2 * padding - dilation * (kernel - 1) - 1
    if span < 0:
        with pytest.raises(ValueError, match="larger than the padded input"):
            cl.conv_output_size(in_size, kernel, stride, padding, dilation)
    else:
        expected = math.floor(span / stride) + 1
        assert cl.conv_output_size(in_size, kernel, stride, padding, dilation) == expected
        # the output's last window ends inside the padded input, one more would not
        last_start = (expected - 1) * stride
        assert last_start + dilation * (kernel - 1) < in_size + 2 * padding
        assert last_start + stride + dilation * (kernel - 1) >= in_size + 2 * padding


@given(in_size=st.integers(1, 300), kernel=st.integers(1, 12), stride=st.integers(1, 8),
       padding=st.integers(0, 6), ceil_mode=st.booleans())
def test_pool_matches_windows_counted_one_by_one(in_size, kernel, stride, padding, ceil_mode):
    """Count windows directly. Floor mode keeps a window that fits in the padded input; ceil mode
    also keeps a partial last window, unless it starts in the right padding (PyTorch's rule)."""
    padded = in_size + 2 * padding
    starts = range(0, padded, stride)
    if ceil_mode:
        count = sum(1 for s in starts if s < padded - kernel + stride and s < in_size + padding)
    else:
        count = sum(1 for s in starts if s + kernel <= padded)
    if 2 * padding > kernel or count == 0:
        with pytest.raises(ValueError):
            cl.pool_output_size(in_size, kernel, stride, padding, ceil_mode=ceil_mode)
        return
    assert cl.pool_output_size(in_size, kernel, stride, padding, ceil_mode=ceil_mode) == count


@pytest.mark.parametrize("args, expected", [
    # U-Net's 2x2 up-convolution, stride 2, doubles the side: (28 - 1)*2 - 0 + 1*(2 - 1) + 0 + 1 = 56
    ((28, 2, 2), 56),
    # a 3x3, stride 2, padding 1 transposed conv gives 2I - 1, output_padding 1 restores 2I: (7-1)*2 - 2 + 2 + 1 + 1 = 14
    ((7, 3, 2, 1, 1), 14),
    ((7, 3, 2, 1, 0), 13),
    # stride 1 undoes a 'valid' conv: (5 - 1) + (3 - 1) + 1 = 7
    ((5, 3), 7),
    # dilation 2 spreads the kernel: (4 - 1)*1 + 2*(3 - 1) + 1 = 8
    ((4, 3, 1, 0, 0, 2), 8),
])
def test_conv_transpose_output_size_hand_worked(args, expected):
    assert cl.conv_transpose_output_size(*args) == expected


@pytest.mark.parametrize("args, error, message", [
    ((7, 3, 2, 1, 2), ValueError, r"output_padding=2 must be smaller than either stride=2 or dilation=1"),
    ((7, 3, 1, 0, 1), ValueError, r"output_padding=1 must be smaller than either stride=1 or dilation=1"),
    ((1, 1, 1, 1), ValueError, r"the output would be empty: \(1 - 1\)\*1 - 2\*1 .* = -1"),
    ((0, 2), ValueError, r"in_size must be >= 1, got 0"),
    ((4, 2, 0), ValueError, r"stride must be >= 1"),
    ((4, 2, 1, -1), ValueError, r"padding must be >= 0"),
    ((4, 2.0), TypeError, r"kernel_size must be an integer"),
    ((4, 2, 2, 0, True), TypeError, r"output_padding must be an integer"),
])
def test_conv_transpose_output_size_errors(args, error, message):
    with pytest.raises(error, match=message):
        cl.conv_transpose_output_size(*args)
