"""Output-size formulas for convolution and pooling (notebook 01).

Both follow PyTorch's rounding, so that a shape computed here is the shape
``torch.nn.Conv2d`` / ``torch.nn.MaxPool2d`` would produce; ``strict=True`` instead
refuses a window that does not tile its input and shows the arithmetic, which is how
notebook 01 teaches the 224-vs-227 puzzle of the AlexNet paper.
"""
from __future__ import annotations

from ._checks import check_int

__all__ = ["conv_output_size", "conv_transpose_output_size", "pool_output_size"]


def _fraction(numerator: int, stride: int) -> str:
    value = numerator / stride + 1
    return f"{value:.6g}"


def conv_output_size(in_size, kernel_size, stride=1, padding=0, dilation=1, *, strict=False) -> int:
    """Output length of a convolution along one axis.

    ``O = floor((I - D*(K-1) - 1 + 2P) / S) + 1``, which for ``D = 1`` is the familiar
    ``O = (I - K + 2P)/S + 1``. Sizes in elements (pixels). Taught in notebook 01.

    Raises ValueError if the (dilated) kernel is larger than the padded input, or, with
    ``strict=True``, if the window does not tile the input exactly.
    """
    in_size = check_int("in_size", in_size, 1)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    stride = check_int("stride", stride, 1)
    padding = check_int("padding", padding, 0)
    dilation = check_int("dilation", dilation, 1)

    effective_kernel = dilation * (kernel_size - 1) + 1
    padded = in_size + 2 * padding
    if effective_kernel > padded:
        kernel_text = f"kernel_size={kernel_size}" + (f" (dilated to {effective_kernel})" if dilation > 1 else "")
        raise ValueError(
            f"{kernel_text} is larger than the padded input in_size + 2*padding = "
            f"{in_size} + 2*{padding} = {padded}; kernel_size must be <= {padded}"
        )
    span = padded - effective_kernel
    if strict and span % stride:
        k = f"{effective_kernel}" if dilation == 1 else f"{effective_kernel} (dilated kernel)"
        raise ValueError(
            f"the window does not tile the input: ({in_size} - {k} + 2*{padding})/{stride} + 1 = "
            f"{_fraction(span, stride)}, not a whole number"
        )
    return span // stride + 1


def conv_transpose_output_size(in_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1) -> int:
    """Output length of a transposed convolution ("deconvolution", U-Net's up-convolution) along one axis.

    ``O = (I - 1)*S - 2P + D*(K - 1) + output_padding + 1``, PyTorch's rule for
    ``torch.nn.ConvTranspose2d``: the inverse of the conv rule, where ``output_padding``
    picks one of the ``S`` input sizes that a strided conv maps to the same output.
    Sizes in elements (pixels). Taught in notebook 10.

    Raises ValueError (as PyTorch does) if ``output_padding`` is not smaller than the stride
    or the dilation, or if the output would be empty.
    """
    in_size = check_int("in_size", in_size, 1)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    stride = check_int("stride", stride, 1)
    padding = check_int("padding", padding, 0)
    output_padding = check_int("output_padding", output_padding, 0)
    dilation = check_int("dilation", dilation, 1)
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(
            f"output_padding={output_padding} must be smaller than either stride={stride} or "
            f"dilation={dilation}; output_padding must be between 0 and {max(stride, dilation) - 1}"
        )
    out = (in_size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if out < 1:
        raise ValueError(
            f"the output would be empty: ({in_size} - 1)*{stride} - 2*{padding} + {dilation}*({kernel_size} - 1) "
            f"+ {output_padding} + 1 = {out}; padding must be at most "
            f"{((in_size - 1) * stride + dilation * (kernel_size - 1) + output_padding) // 2}"
        )
    return out


def pool_output_size(in_size, kernel_size, stride=None, padding=0, *, ceil_mode=False, strict=False) -> int:
    """Output length of a max or average pooling along one axis.

    ``O = floor((I - K + 2P) / S) + 1`` (``ceil`` with ``ceil_mode=True``); the stride
    defaults to the kernel size, as in ``torch.nn.MaxPool2d``. In ceil mode PyTorch drops
    a last window that would start in the right padding, and so does this function.
    Taught in notebook 01.

    Raises ValueError if the padding is more than half the window (PyTorch's rule), the
    output would be empty (a window larger than the padded input, outside ceil mode), or,
    with ``strict=True``, the window does not tile the input exactly.
    """
    in_size = check_int("in_size", in_size, 1)
    kernel_size = check_int("kernel_size", kernel_size, 1)
    stride = kernel_size if stride is None else check_int("stride", stride, 1)
    padding = check_int("padding", padding, 0)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    if 2 * padding > kernel_size:
        raise ValueError(
            f"padding={padding} is more than half the window kernel_size={kernel_size}; "
            f"padding must be between 0 and {kernel_size // 2}"
        )
    padded = in_size + 2 * padding
    span = padded - kernel_size
    if strict and (span < 0 or span % stride):
        raise ValueError(
            f"the window does not tile the input: ({in_size} - {kernel_size} + 2*{padding})/{stride} + 1 = "
            f"{_fraction(span, stride)}, not a whole number"
        )
    # PyTorch's integer form: floor((I + 2P - K + (S - 1 if ceil)) / S) + 1, so ceil mode
    # keeps a partial last window, even one wider than the whole (small) input.
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= in_size + padding:
        out -= 1  # the last window must start inside the input or its left padding
    if out < 1:
        raise ValueError(
            f"kernel_size={kernel_size} is larger than the padded input in_size + 2*padding = "
            f"{in_size} + 2*{padding} = {padded}; kernel_size must be <= {padded}"
            + ("" if ceil_mode else " (or use ceil_mode=True for a partial window)")
        )
    return out
