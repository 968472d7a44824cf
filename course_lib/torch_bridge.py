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
from . import layers as L

__all__ = ["to_torch"]


def to_torch(network: Network, device=None):
    """A ``torch.nn.Sequential`` equivalent to ``network`` (in eval mode), on ``device``."""
    import torch

    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    shapes = iter(row[3] for row in layer_costs(network))  # every layer's input shape, residual bodies included
    with torch.device(device or "cpu"):
        return _sequential(network.layers, shapes).eval()


@cache
def _residual_class():
    """out = body(x) + shortcut(x), as a torch Module (defined on first use: torch loads lazily)."""
    import torch

    class Residual(torch.nn.Module):
        def __init__(self, body, shortcut):
            super().__init__()
            self.body, self.shortcut = body, shortcut

        def forward(self, x):
            return self.body(x) + self.shortcut(x)

    return Residual


def _sequential(layers, shapes):
    import torch.nn as nn

    modules = []
    for layer in layers:
        if isinstance(layer, L.Residual):
            body = _sequential(layer.body, shapes)
            shortcut = _sequential(layer.shortcut, shapes)
            next(shapes)  # the row of the add itself
            modules.append(_residual_class()(body, shortcut))
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
