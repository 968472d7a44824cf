"""course_lib: the arithmetic of neural-network cost, as small pure functions.

``import course_lib as cl`` gives every public name (``cl.analyze``, ``cl.Conv2d``,
``cl.zoo.resnet50()``, ``cl.roofline`` ...). It stays light: matplotlib and
ipywidgets load only when ``cl.plots`` or ``cl.widgets`` is first used.
"""
from __future__ import annotations

import importlib

from .formulas import conv_output_size, conv_transpose_output_size, pool_output_size
from .layers import (GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Flatten,
                     Hardsigmoid, Hardswish, LayerCost, Linear, LocalResponseNorm, MaxPool2d, ReLU, ReLU6, Residual,
                     Sigmoid, SiLU, Tanh, Upsample)
from .blocks import Block, Concat, Gate
from .tokens import (ClassToken, Embedding, LayerNorm, MultiheadAttention, PatchTokens, PositionEmbedding,
                     SelectToken, decoder_network, transformer_encoder_layer)
from .analysis import Network, analyze, op_counts
from .devices import Device, attainable_flops, devices, get_device, ridge_point
from .roofline import layer_time, roofline
from .units import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .intensity import *  # noqa: F401,F403
from .compression import *  # noqa: F401,F403
from .dataflow import *  # noqa: F401,F403
from .energy import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .training import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
from .importers import from_onnx, from_torch
from . import zoo

__version__ = "0.1.0"

# Submodules that pull in heavy libraries (matplotlib, ipywidgets) load on first use.
_LAZY_SUBMODULES = {"plots", "widgets", "checks", "grade", "measure", "authoring"}


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")
