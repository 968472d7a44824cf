"""Layers as frozen dataclasses, mirroring ``torch.nn`` argument names (notebooks 01-03).

A layer does not store its input channels or features: like ``torch.nn.LazyConv2d`` it
takes them from the previous layer when a ``Network`` is analyzed. Each layer knows two
things: the shape it outputs for a given input shape, and what it costs (``LayerCost``).
Shapes are ``(C, H, W)`` for a feature map and ``(N,)`` for a vector, per sample.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from ._checks import check_int, check_number, check_pair
from .formulas import conv_output_size, conv_transpose_output_size, pool_output_size

__all__ = [
    "LayerCost", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample", "Linear",
    "ReLU", "ReLU6", "SiLU", "GELU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid",
    "BatchNorm2d", "LocalResponseNorm", "Dropout", "Flatten", "Residual",
]


class LayerCost(NamedTuple):
    """What one layer costs for one sample. Every count is in elements or operations."""
    out_shape: tuple
    params: int = 0          # trainable elements (weights + biases, BatchNorm's scale + shift)
    macs: int = 0            # multiply-accumulates of conv / linear layers only
    bias_adds: int = 0       # one add per output element of a layer with a bias
    activation_ops: int = 0  # one op per element through ReLU
    pool_ops: int = 0        # window elements compared (max) or summed (average)
    pool_inputs: int = 0     # elements a pooling layer reads (what ptflops counts)
    norm_ops: int = 0        # BatchNorm at inference: a multiply and an add per element
    residual_adds: int = 0   # one add per element where a shortcut joins the body
    lrn_ops: int = 0         # local response normalization: (size + 4) ops per element, as Netscope counts
    gate_muls: int = 0       # one multiply per element where a gate scales its input (squeeze-and-excitation)
    smooth_activation_ops: int = 0  # one per element through SiLU, GELU, Sigmoid, Tanh (each needs an exp, erf or tanh)
    hard_activation_ops: int = 0    # one per element through Hardswish, Hardsigmoid (piecewise linear)
    upsample_ops: int = 0    # Upsample: 1 per output element (nearest), 4 (bilinear: four weighted neighbours)
    layernorm_ops: int = 0   # LayerNorm: 5 per element (mean, subtract, variance, normalize, scale + shift)
    softmax_ops: int = 0     # attention: one per score through the softmax (heads x tokens x tokens)
    position_adds: int = 0   # a learned position embedding: one add per element
    bytes_per_param: float | None = None  # storage of one weight when it differs from the network's dtype
                                          # (quantized or sparse layers, notebook 06); None: bytes_per_element


def _numel(shape) -> int:
    return math.prod(shape)


def _check_name(name):
    if name is not None and not (isinstance(name, str) and name):
        raise TypeError(f"name must be a non-empty string or None, got {name!r}")


def _check_bool(argument, value):
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be True or False, got {value!r}")


def _needs_map(layer, in_shape, where):
    if len(in_shape) != 3:
        raise ValueError(
            f"layer {where} ({type(layer).__name__}) needs a (C, H, W) feature map as input, "
            f"but the previous layer gives {in_shape}"
        )


class Layer:
    """Base of every layer: a default name prefix and the cost of an element-wise layer."""
    prefix = "layer"

    @property
    def kind(self) -> str:
        return type(self).__name__

    def cost(self, in_shape: tuple, where: str) -> LayerCost:
        return LayerCost(out_shape=in_shape)


@dataclass(frozen=True)
class Conv2d(Layer):
    """A 2-D convolution; ``in_channels`` comes from the previous layer.

    params = K_h*K_w*(C_in/groups)*C_out + C_out (bias);
    MACs   = H_out*W_out*C_out*(C_in/groups)*K_h*K_w (notebooks 02 and 03).
    """
    out_channels: int
    kernel_size: int | tuple = 3
    stride: int | tuple = 1
    padding: int | tuple = 0
    dilation: int | tuple = 1
    groups: int = 1
    bias: bool = True
    name: str | None = None
    prefix = "conv"

    def __post_init__(self):
        check_int("out_channels", self.out_channels, 1)
        object.__setattr__(self, "kernel_size", check_pair("kernel_size", self.kernel_size, 1))
        object.__setattr__(self, "stride", check_pair("stride", self.stride, 1))
        object.__setattr__(self, "padding", check_pair("padding", self.padding, 0))
        object.__setattr__(self, "dilation", check_pair("dilation", self.dilation, 1))
        check_int("groups", self.groups, 1)
        if self.out_channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide out_channels={self.out_channels}")
        _check_bool("bias", self.bias)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        c_in, h, w = in_shape
        if c_in % self.groups:
            raise ValueError(f"layer {where} (Conv2d): groups={self.groups} does not divide its {c_in} input channels")
        try:
            h_out = conv_output_size(h, self.kernel_size[0], self.stride[0], self.padding[0], self.dilation[0])
            w_out = conv_output_size(w, self.kernel_size[1], self.stride[1], self.padding[1], self.dilation[1])
        except ValueError as error:
            raise ValueError(f"layer {where} (Conv2d) on a {in_shape} input: {error}") from None
        kh, kw = self.kernel_size
        weights_per_output = (c_in // self.groups) * kh * kw
        outputs = self.out_channels * h_out * w_out
        return LayerCost(
            out_shape=(self.out_channels, h_out, w_out),
            params=weights_per_output * self.out_channels + (self.out_channels if self.bias else 0),
            macs=outputs * weights_per_output,
            bias_adds=outputs if self.bias else 0,
        )


@dataclass(frozen=True)
class ConvTranspose2d(Layer):
    """A transposed convolution (U-Net's up-convolution); ``in_channels`` comes from the previous layer.

    Output size per axis: ``(I - 1)*S - 2P + D*(K - 1) + output_padding + 1``
    (``conv_transpose_output_size``). Every input pixel scatters a ``K_h x K_w`` patch into
    each of its group's output channels: params = ``C_in*(C_out/groups)*K_h*K_w + C_out``,
    MACs = ``H_in*W_in*C_in*(C_out/groups)*K_h*K_w`` (what PyTorch's FLOP counter counts / 2).
    """
    out_channels: int
    kernel_size: int | tuple = 2
    stride: int | tuple = 1
    padding: int | tuple = 0
    output_padding: int | tuple = 0
    groups: int = 1
    bias: bool = True
    dilation: int | tuple = 1
    name: str | None = None
    prefix = "upconv"

    def __post_init__(self):
        check_int("out_channels", self.out_channels, 1)
        for argument, minimum in (("kernel_size", 1), ("stride", 1), ("padding", 0), ("output_padding", 0),
                                  ("dilation", 1)):
            object.__setattr__(self, argument, check_pair(argument, getattr(self, argument), minimum))
        check_int("groups", self.groups, 1)
        if self.out_channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide out_channels={self.out_channels}")
        _check_bool("bias", self.bias)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        c_in, h, w = in_shape
        if c_in % self.groups:
            raise ValueError(f"layer {where} (ConvTranspose2d): groups={self.groups} does not divide its {c_in} input channels")
        try:
            h_out, w_out = (conv_transpose_output_size(size, self.kernel_size[a], self.stride[a], self.padding[a],
                                                       self.output_padding[a], self.dilation[a])
                            for a, size in enumerate((h, w)))
        except ValueError as error:
            raise ValueError(f"layer {where} (ConvTranspose2d) on a {in_shape} input: {error}") from None
        kh, kw = self.kernel_size
        weights = c_in * (self.out_channels // self.groups) * kh * kw
        outputs = self.out_channels * h_out * w_out
        return LayerCost(
            out_shape=(self.out_channels, h_out, w_out),
            params=weights + (self.out_channels if self.bias else 0),
            macs=h * w * weights,
            bias_adds=outputs if self.bias else 0,
        )


@dataclass(frozen=True)
class Upsample(Layer):
    """Resize a feature map to ``size`` or by ``scale_factor`` (``torch.nn.Upsample``), no weights.

    Output side ``floor(I * scale_factor)`` (PyTorch's rule) or ``size``. ``upsample_ops``: 1 per
    output element for ``mode="nearest"`` (a copy), 4 for ``"bilinear"`` (four weighted
    neighbours), as fvcore counts them (fvcore/nn/jit_handles.py, ``elementwise_flop_counter``).
    """
    size: int | tuple | None = None
    scale_factor: float | tuple | None = None
    mode: str = "nearest"
    name: str | None = None
    prefix = "up"

    def __post_init__(self):
        if (self.size is None) == (self.scale_factor is None):
            raise ValueError("give exactly one of size and scale_factor, "
                             f"got size={self.size!r}, scale_factor={self.scale_factor!r}")
        if self.size is not None:
            object.__setattr__(self, "size", check_pair("size", self.size, 1))
        else:
            factor = self.scale_factor
            pair = tuple(factor) if isinstance(factor, (tuple, list)) else (factor, factor)
            if len(pair) != 2:
                raise ValueError(f"scale_factor must be a number or an (h, w) pair, got {factor!r}")
            pair = tuple(check_number(f"scale_factor", v, 0, exclusive_minimum=True) for v in pair)
            object.__setattr__(self, "scale_factor", tuple(int(v) if v == int(v) else v for v in pair))
        if self.mode not in ("nearest", "bilinear"):
            raise ValueError(f"mode must be one of 'nearest', 'bilinear'; got {self.mode!r}")
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        c, h, w = in_shape
        if self.size is not None:
            h_out, w_out = self.size
        else:
            h_out, w_out = math.floor(h * self.scale_factor[0]), math.floor(w * self.scale_factor[1])
            if min(h_out, w_out) < 1:
                raise ValueError(f"layer {where} (Upsample): scale_factor={self.scale_factor} shrinks the "
                                 f"{h}x{w} map to {h_out}x{w_out}")
        outputs = c * h_out * w_out
        return LayerCost(out_shape=(c, h_out, w_out), upsample_ops=outputs * (1 if self.mode == "nearest" else 4))


@dataclass(frozen=True)
class Linear(Layer):
    """A fully connected layer (全连接); ``in_features`` comes from the previous layer.

    params = in*out + out (bias); MACs = in*out (notebooks 02 and 03).
    """
    out_features: int
    bias: bool = True
    name: str | None = None
    prefix = "fc"

    def __post_init__(self):
        check_int("out_features", self.out_features, 1)
        _check_bool("bias", self.bias)
        _check_name(self.name)

    def cost(self, in_shape, where):
        if len(in_shape) not in (1, 2):
            raise ValueError(
                f"layer {where} (Linear) needs a flat (N,) input (or (tokens, features)), but the previous layer "
                f"gives {in_shape}; put a Flatten() before it"
            )
        *tokens, n_in = in_shape
        rows = tokens[0] if tokens else 1  # on a token sequence the same weights apply to every token
        return LayerCost(
            out_shape=(*tokens, self.out_features),
            params=n_in * self.out_features + (self.out_features if self.bias else 0),
            macs=rows * n_in * self.out_features,
            bias_adds=rows * self.out_features if self.bias else 0,
        )


@dataclass(frozen=True)
class _Pool2d(Layer):
    kernel_size: int | tuple = 2
    stride: int | tuple | None = None
    padding: int | tuple = 0
    ceil_mode: bool = False
    name: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "kernel_size", check_pair("kernel_size", self.kernel_size, 1))
        stride = self.kernel_size if self.stride is None else check_pair("stride", self.stride, 1)
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "padding", check_pair("padding", self.padding, 0))
        for axis in (0, 1):
            if 2 * self.padding[axis] > self.kernel_size[axis]:
                raise ValueError(
                    f"padding={self.padding[axis]} is more than half the window "
                    f"kernel_size={self.kernel_size[axis]}; padding must be between 0 and {self.kernel_size[axis] // 2}"
                )
        _check_bool("ceil_mode", self.ceil_mode)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        c, h, w = in_shape
        try:
            h_out, w_out = (
                pool_output_size(size, self.kernel_size[a], self.stride[a], self.padding[a], ceil_mode=self.ceil_mode)
                for a, size in enumerate((h, w))
            )
        except ValueError as error:
            raise ValueError(f"layer {where} ({self.kind}) on a {in_shape} input: {error}") from None
        outputs = c * h_out * w_out
        return LayerCost(
            out_shape=(c, h_out, w_out),
            pool_ops=outputs * self.kernel_size[0] * self.kernel_size[1],
            pool_inputs=_numel(in_shape),
        )


@dataclass(frozen=True)
class MaxPool2d(_Pool2d):
    """Max pooling: ``O = floor((I - K + 2P)/S) + 1`` per axis, no weights (notebook 01)."""
    prefix = "pool"


@dataclass(frozen=True)
class AvgPool2d(_Pool2d):
    """Average pooling: same output size as max pooling, sums instead of compares."""
    prefix = "avgpool"


def _adaptive_window_total(in_size: int, out_size: int) -> int:
    # PyTorch's adaptive windows: [floor(i*I/O), ceil((i+1)*I/O)) for each output i.
    return sum(-(-(i + 1) * in_size // out_size) - (i * in_size // out_size) for i in range(out_size))


@dataclass(frozen=True)
class AdaptiveAvgPool2d(Layer):
    """Average pooling to a fixed ``output_size``, whatever the input size (as in torchvision)."""
    output_size: int | tuple = 1
    name: str | None = None
    prefix = "avgpool"

    def __post_init__(self):
        object.__setattr__(self, "output_size", check_pair("output_size", self.output_size, 1))
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        c, h, w = in_shape
        oh, ow = self.output_size
        return LayerCost(
            out_shape=(c, oh, ow),
            pool_ops=c * _adaptive_window_total(h, oh) * _adaptive_window_total(w, ow),
            pool_inputs=_numel(in_shape),
        )


@dataclass(frozen=True)
class ReLU(Layer):
    """max(0, x) element-wise: no weights, no MACs, one op per element."""
    name: str | None = None
    prefix = "relu"

    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        return LayerCost(out_shape=in_shape, activation_ops=_numel(in_shape))


@dataclass(frozen=True)
class ReLU6(ReLU):
    """min(max(0, x), 6), MobileNetV2's activation: counted like ReLU."""


class _Smooth(Layer):
    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        return LayerCost(out_shape=in_shape, smooth_activation_ops=_numel(in_shape))


@dataclass(frozen=True)
class SiLU(_Smooth):
    """x * sigmoid(x) ("swish", EfficientNet's activation): one op per element (``smooth_activation_ops``)."""
    name: str | None = None
    prefix = "silu"


@dataclass(frozen=True)
class GELU(_Smooth):
    """x * Phi(x) (Gaussian error linear unit, ViT's and GPT-2's activation): one op per element."""
    name: str | None = None
    prefix = "gelu"


@dataclass(frozen=True)
class Sigmoid(_Smooth):
    """1 / (1 + exp(-x)): squeeze-and-excitation's gate; one op per element."""
    name: str | None = None
    prefix = "sigmoid"


@dataclass(frozen=True)
class Tanh(_Smooth):
    """tanh(x): one op per element."""
    name: str | None = None
    prefix = "tanh"


class _Hard(Layer):
    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        return LayerCost(out_shape=in_shape, hard_activation_ops=_numel(in_shape))


@dataclass(frozen=True)
class Hardswish(_Hard):
    """x * ReLU6(x + 3) / 6 (MobileNetV3): piecewise linear, one op per element (``hard_activation_ops``)."""
    name: str | None = None
    prefix = "hardswish"


@dataclass(frozen=True)
class Hardsigmoid(_Hard):
    """ReLU6(x + 3) / 6 (MobileNetV3's squeeze-and-excitation gate): one op per element."""
    name: str | None = None
    prefix = "hardsigmoid"


@dataclass(frozen=True)
class BatchNorm2d(Layer):
    """Batch normalization over channels: 2 trainable elements per channel (scale and shift), as PyTorch counts."""
    name: str | None = None
    prefix = "bn"

    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        return LayerCost(out_shape=in_shape, params=2 * in_shape[0], norm_ops=2 * _numel(in_shape))


@dataclass(frozen=True)
class LocalResponseNorm(Layer):
    """Local response normalization across channels (AlexNet, Krizhevsky et al. 2012, section 3.3).

    ``b_c = a_c / (k + alpha/size * sum of a_j^2 over the size channels around c)^beta``,
    with ``torch.nn.LocalResponseNorm``'s arguments and defaults; the AlexNet paper uses
    ``size=5, k=2, alpha=1e-4, beta=0.75``. No trainable weights, 0 MACs (the contract counts
    conv and linear MACs only); its output is a stored activation like any layer's.

    ``lrn_ops`` counts its arithmetic as Netscope does (dgschwend/netscope,
    src/analyzer.coffee, layer type "lrn"), per element: ``size`` multiply-accumulates for
    the sum of squares, 1 add (``k + ...``), 1 power (``^beta``) and 2 divisions (by
    ``size/alpha`` and the final divide): ``(size + 4)`` operations per element.
    Taught in notebook 03 (why counting tools disagree).
    """
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0
    name: str | None = None
    prefix = "lrn"

    def __post_init__(self):
        check_int("size", self.size, 1)
        check_number("alpha", self.alpha, 0)
        check_number("beta", self.beta, 0)
        check_number("k", self.k, 0, exclusive_minimum=True)
        _check_name(self.name)

    def cost(self, in_shape, where):
        _needs_map(self, in_shape, where)
        return LayerCost(out_shape=in_shape, lrn_ops=(self.size + 4) * _numel(in_shape))


@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout: free at inference (the course counts inference cost)."""
    name: str | None = None
    prefix = "drop"

    def __post_init__(self):
        _check_name(self.name)


@dataclass(frozen=True)
class Flatten(Layer):
    """(C, H, W) -> (C*H*W,): reshapes, moves no data in the simple model."""
    name: str | None = None
    prefix = "flatten"

    def __post_init__(self):
        _check_name(self.name)

    def cost(self, in_shape, where):
        return LayerCost(out_shape=(_numel(in_shape),))


def check_layers(argument: str, layers) -> tuple:
    """``layers`` as a tuple of layers, or TypeError naming ``argument`` (a block's body, a branch ...)."""
    if isinstance(layers, Layer) or not isinstance(layers, (tuple, list)):
        raise TypeError(f"{argument} must be a tuple of layers, got {type(layers).__name__}")
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"{argument}[{i}] must be a layer (Conv2d, ReLU, ...), got {layer!r}")
    return tuple(layers)


class Composite(Layer):
    """A layer made of other layers: ``parts`` are ``(name infix, layers)`` pairs that each see the
    block's input; ``join`` combines their output shapes into the cost of one more row (or None).
    ``analyze`` gives one row per inner layer, named ``block.infix.layer``, then one for the join."""
    join_suffix = ""
    join_kind = ""

    @property
    def parts(self) -> tuple:
        raise NotImplementedError

    def join(self, in_shape: tuple, out_shapes: list, where: str) -> LayerCost | None:
        raise NotImplementedError

    def with_parts(self, parts: tuple) -> "Composite":
        """The same block with new layers in its parts (in the order of ``parts``): for transforms such as quantization."""
        raise NotImplementedError


@dataclass(frozen=True)
class Residual(Composite):
    """``out = body(x) + shortcut(x)``; an empty shortcut is the identity (ResNet, MobileNetV2).

    The join costs one add per output element (``residual_adds``), no MACs. The body
    and the shortcut must end in the same shape.
    """
    body: tuple = ()
    shortcut: tuple = ()
    name: str | None = None
    prefix = "res"
    join_suffix = "add"
    join_kind = "Add"

    def __post_init__(self):
        for argument in ("body", "shortcut"):
            object.__setattr__(self, argument, check_layers(argument, getattr(self, argument)))
        if not self.body:
            raise ValueError("body must hold at least one layer")
        _check_name(self.name)

    @property
    def parts(self):
        return (("", self.body), ("shortcut.", self.shortcut))

    def with_parts(self, parts):
        body, shortcut = parts
        return replace(self, body=tuple(body), shortcut=tuple(shortcut))

    def join(self, in_shape, out_shapes, where):
        body_shape, short_shape = out_shapes
        if body_shape != short_shape:
            raise ValueError(
                f"block {where} (Residual): its body outputs {body_shape} but its shortcut outputs "
                f"{short_shape}; they must match to be added"
            )
        return LayerCost(out_shape=body_shape, residual_adds=_numel(body_shape))
