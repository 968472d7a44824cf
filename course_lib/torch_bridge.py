"""Build the PyTorch twin of a course ``Network``, to check course_lib against PyTorch's own counts.

    from course_lib.torch_bridge import to_torch
    model = to_torch(cl.zoo.resnet50())           # a torch.nn.Sequential
    sum(p.numel() for p in model.parameters())    # 25,557,032, as cl.analyze says

Needs PyTorch (optional for the course: nothing else imports this module). Input
channels and features come from course_lib's own shape inference, as ``analyze`` does.
Pass ``device="meta"`` to get shapes and counts without allocating any weights.
"""
from __future__ import annotations

from functools import cache

from .analysis import Network, layer_costs
from . import blocks as B
from . import layers as L
from . import tokens as T

__all__ = ["to_torch"]


def to_torch(network: Network, device=None):
    """A ``torch.nn.Sequential`` equivalent to ``network`` (in eval mode), on ``device``."""
    import torch

    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    shapes = iter(row[3] for row in layer_costs(network))  # every row's input shape, inside blocks too
    with torch.device(device or "cpu"):
        return _sequential(network.layers, shapes).eval()


@cache
def _block_classes():
    """torch twins of the course's blocks (defined on first use: torch loads lazily)."""
    import torch

    class Residual(torch.nn.Module):
        """out = body(x) + shortcut(x)"""
        def __init__(self, body, shortcut):
            super().__init__()
            self.body, self.shortcut = body, shortcut

        def forward(self, x):
            return self.body(x) + self.shortcut(x)

    class Concat(torch.nn.Module):
        """torch.cat([x (if keep_input), branch1(x), branch2(x) ...], channel axis)"""
        def __init__(self, branches, keep_input, dim):
            super().__init__()
            self.branches, self.keep_input, self.dim = torch.nn.ModuleList(branches), keep_input, dim

        def forward(self, x):
            return torch.cat(([x] if self.keep_input else []) + [branch(x) for branch in self.branches], self.dim)

    class Gate(torch.nn.Module):
        """out = x * body(x)"""
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):
            return x * self.body(x)

    class SelfAttention(torch.nn.Module):
        """torch.nn.MultiheadAttention on (batch, tokens, features), queries = keys = values = x."""
        def __init__(self, embed_dim, num_heads, bias):
            super().__init__()
            self.attention = torch.nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True)

        def forward(self, x):
            return self.attention(x, x, x, need_weights=False)[0]

    class PatchTokens(torch.nn.Module):
        """(batch, C, H, W) -> (batch, H*W, C)"""
        def forward(self, x):
            return x.flatten(2).transpose(1, 2)

    class ClassToken(torch.nn.Module):
        """prepend one learned token"""
        def __init__(self, features):
            super().__init__()
            self.token = torch.nn.Parameter(torch.zeros(1, 1, features))

        def forward(self, x):
            return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)

    class PositionEmbedding(torch.nn.Module):
        """add a learned (positions, features) table"""
        def __init__(self, positions, features):
            super().__init__()
            self.table = torch.nn.Parameter(torch.zeros(1, positions, features))

        def forward(self, x):
            return x + self.table[:, :x.shape[1]]

    class SelectToken(torch.nn.Module):
        """(batch, tokens, features) -> (batch, features)"""
        def __init__(self, index):
            super().__init__()
            self.index = index

        def forward(self, x):
            return x[:, self.index]

    return {"Residual": Residual, "Concat": Concat, "Gate": Gate, "SelfAttention": SelfAttention,
            "PatchTokens": PatchTokens, "ClassToken": ClassToken, "PositionEmbedding": PositionEmbedding,
            "SelectToken": SelectToken}


def _sequential(layers, shapes):
    import torch.nn as nn

    modules = []
    for layer in layers:
        if isinstance(layer, L.Composite):
            parts = []
            for _, part in layer.parts:
                parts.append(_sequential(part, shapes))
            if isinstance(layer, B.Block):
                modules.append(parts[0])
                continue
            in_shape = next(shapes)  # the row of the join itself
            classes = _block_classes()
            if isinstance(layer, L.Residual):
                modules.append(classes["Residual"](*parts))
            elif isinstance(layer, B.Concat):
                modules.append(classes["Concat"](parts, layer.keep_input, 1 + B.concat_axis(in_shape)))
            elif isinstance(layer, B.Gate):
                modules.append(classes["Gate"](parts[0]))
            else:
                raise TypeError(f"no PyTorch twin for {type(layer).__name__}")
            continue
        shape = next(shapes)
        modules.append(_module(layer, shape, nn))
    return nn.Sequential(*modules)


def _module(layer, shape, nn):
    classes = _block_classes()
    if isinstance(layer, L.ConvTranspose2d):
        return nn.ConvTranspose2d(shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                                  layer.output_padding, layer.groups, layer.bias, layer.dilation)
    if isinstance(layer, L.Upsample):
        return nn.Upsample(size=layer.size, scale_factor=layer.scale_factor, mode=layer.mode)
    for name in ("SiLU", "GELU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid"):
        if type(layer) is getattr(L, name):
            return getattr(nn, name)()
    if isinstance(layer, T.LayerNorm):
        return nn.LayerNorm(shape[-1], bias=layer.bias)
    if isinstance(layer, T.MultiheadAttention):
        return classes["SelfAttention"](shape[-1], layer.num_heads, layer.bias)
    if isinstance(layer, T.Embedding):
        return nn.Embedding(layer.num_embeddings, layer.embedding_dim)
    if isinstance(layer, T.PatchTokens):
        return classes["PatchTokens"]()
    if isinstance(layer, T.ClassToken):
        return classes["ClassToken"](shape[-1])
    if isinstance(layer, T.PositionEmbedding):
        return classes["PositionEmbedding"](layer.num_positions or shape[0], shape[-1])
    if isinstance(layer, T.SelectToken):
        return classes["SelectToken"](layer.index)
    if isinstance(layer, L.Conv2d):
        return nn.Conv2d(shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                         layer.dilation, layer.groups, layer.bias)
    if isinstance(layer, L.Linear):
        return nn.Linear(shape[-1], layer.out_features, layer.bias)
    if isinstance(layer, L.MaxPool2d):
        return nn.MaxPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    if isinstance(layer, L.AvgPool2d):
        return nn.AvgPool2d(layer.kernel_size, layer.stride, layer.padding, ceil_mode=layer.ceil_mode)
    if isinstance(layer, L.AdaptiveAvgPool2d):
        return nn.AdaptiveAvgPool2d(layer.output_size)
    if isinstance(layer, L.ReLU6):
        return nn.ReLU6()
    if isinstance(layer, L.ReLU):
        return nn.ReLU()
    if isinstance(layer, L.BatchNorm2d):
        return nn.BatchNorm2d(shape[0])
    if isinstance(layer, L.LocalResponseNorm):
        return nn.LocalResponseNorm(layer.size, layer.alpha, layer.beta, layer.k)
    if isinstance(layer, L.Dropout):
        return nn.Dropout()
    if isinstance(layer, L.Flatten):
        return nn.Flatten()
    raise TypeError(f"no PyTorch twin for {type(layer).__name__}")
