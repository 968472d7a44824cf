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

    return {"Residual": Residual, "Concat": Concat, "Gate": Gate}


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
    if isinstance(layer, L.Conv2d):
        return nn.Conv2d(shape[0], layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
                         layer.dilation, layer.groups, layer.bias)
    if isinstance(layer, L.Linear):
        return nn.Linear(shape[0], layer.out_features, layer.bias)
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
