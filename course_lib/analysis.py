"""A network as a list of layers, and its per-layer cost table (notebooks 01-03).

Collect, then total, then render: ``analyze`` and ``op_counts`` return a pandas
DataFrame with one row per layer; totals are column sums (``df["macs"].sum()``);
formatting and plotting read these tables and never count on their own.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
import math

import pandas as pd

from ._checks import check_int, check_number
from .layers import Composite, Layer

__all__ = ["Network", "analyze", "op_counts", "layer_costs"]


@dataclass(frozen=True)
class Network:
    """A named stack of layers applied to an ``input_shape`` of ``(C, H, W)``, ``(N,)`` or ``(tokens, features)`` per sample."""
    name: str
    input_shape: tuple
    layers: tuple

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        shape = self.input_shape
        if not isinstance(shape, (tuple, list)) or len(shape) not in (1, 2, 3):
            raise ValueError(f"input_shape must be (C, H, W), (N,) or (tokens, features), got {shape!r}")
        shape = tuple(check_int(f"input_shape[{i}]", v, 1) for i, v in enumerate(shape))
        object.__setattr__(self, "input_shape", shape)
        if isinstance(self.layers, Layer) or not isinstance(self.layers, (tuple, list)):
            raise TypeError(f"layers must be a list or tuple of layers, got {type(self.layers).__name__}")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be a layer (Conv2d, ReLU, ...), got {layer!r}")
        object.__setattr__(self, "layers", tuple(self.layers))

    @property
    def output_shape(self) -> tuple:
        rows = layer_costs(self)
        return rows[-1][4].out_shape if rows else self.input_shape


def _walk(layers, in_shape, prefix, block, seen):
    """Yield (name, kind, block, in_shape, cost) for every layer, descending into blocks (Residual, Concat ...).

    Each layer is visited once: the cost is linear in the number of layers, however deep the nesting.
    """
    counters = Counter()
    shape = in_shape
    for layer in layers:
        counters[layer.prefix] += 1
        name = prefix + (layer.name or f"{layer.prefix}{counters[layer.prefix]}")
        if name in seen:
            raise ValueError(f"two layers are named {name!r}; give each layer a unique name")
        seen.add(name)
        if isinstance(layer, Composite):
            outs = []
            for infix, part in layer.parts:
                outs.append((yield from _walk(part, shape, f"{name}.{infix}", name, seen)))
            cost = layer.join(shape, outs, name)
            if cost is None:  # a plain Block: its last layer's output is the block's
                shape = outs[-1]
                continue
            yield f"{name}.{layer.join_suffix}", layer.join_kind, name, shape, cost
        else:
            cost = layer.cost(shape, name)
            if min(cost.out_shape) < 1:
                raise ValueError(f"layer {name} ({layer.kind}) shrinks the map to nothing: {cost.out_shape}")
            yield name, layer.kind, block, shape, cost
        shape = cost.out_shape
    return shape


def layer_costs(network: Network):
    """Every layer's (name, kind, block, in_shape, LayerCost), in order; raises ValueError naming a layer that does not fit."""
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    return list(_walk(network.layers, network.input_shape, "", "", set()))


def _check_batch(batch_size) -> int:
    return check_int("batch_size", batch_size, 1)


ANALYZE_COLUMNS = ["name", "kind", "block", "in_shape", "out_shape", "params", "macs",
                   "activations", "param_bytes", "activation_bytes"]


def analyze(network: Network, batch_size: int = 1, bytes_per_element: float = 4) -> pd.DataFrame:
    """One row per layer: shapes, parameters, MACs and memory (notebooks 01-03).

    - ``params``: trainable elements; ``param_bytes = params * bytes_per_element``.
    - ``macs``: multiply-accumulates of conv and linear layers for one sample
      (FLOPs = 2 x MACs), attention's ``Q K^T`` and ``softmax V`` products included; bias adds,
      activations, pooling, normalizations, softmax and the joins of blocks count 0.
      A layer may store its weights in another width than the network (a quantized or
      pruned layer from ``course_lib.compression``): its ``LayerCost.bytes_per_param`` wins.
    - ``activations``: output elements per sample; ``activation_bytes`` =
      activations * batch_size * bytes_per_element.

    ``bytes_per_element`` is 4 for fp32, 2 for fp16/bf16, 1 for int8, 0.5 for int4,
    0.125 for 1-bit weights. Totals are the column sums.
    """
    batch_size = _check_batch(batch_size)
    bytes_per_element = check_number("bytes_per_element", bytes_per_element, 0, exclusive_minimum=True)
    if bytes_per_element == int(bytes_per_element):
        bytes_per_element = int(bytes_per_element)
    records = []
    for name, kind, block, in_shape, cost in layer_costs(network):
        activations = math.prod(cost.out_shape)
        per_param = bytes_per_element if cost.bytes_per_param is None else cost.bytes_per_param
        records.append((name, kind, block, in_shape, cost.out_shape, cost.params, cost.macs, activations,
                        cost.params * per_param, activations * batch_size * bytes_per_element))
    table = pd.DataFrame.from_records(records, columns=ANALYZE_COLUMNS)
    table.attrs.update(network=network.name, batch_size=batch_size, bytes_per_element=bytes_per_element)
    return table


OP_COLUMNS = ["macs", "bias_adds", "activation_ops", "pool_ops", "pool_inputs", "norm_ops", "residual_adds",
              "lrn_ops", "gate_muls", "smooth_activation_ops", "hard_activation_ops", "upsample_ops",
              "layernorm_ops", "softmax_ops", "position_adds"]


def op_counts(network: Network, batch_size: int = 1) -> pd.DataFrame:
    """The parts that counting tools disagree about, one column each, times ``batch_size`` (notebook 03).

    ``macs`` (conv/linear), ``bias_adds`` (one per output of a layer with bias),
    ``activation_ops`` (one per element through ReLU), ``pool_ops`` (window elements
    compared or summed), ``pool_inputs`` (elements a pooling layer reads),
    ``norm_ops`` (BatchNorm: 2 per element), ``residual_adds`` (one per element joined),
    ``lrn_ops`` (local response normalization: ``size + 4`` per element, as Netscope counts),
    ``gate_muls`` (one multiply per element a gate scales), ``smooth_activation_ops`` (SiLU, GELU,
    Sigmoid, Tanh: one per element), ``hard_activation_ops`` (Hardswish, Hardsigmoid: one per
    element), ``upsample_ops`` (1 per output element nearest, 4 bilinear), ``layernorm_ops`` (5 per
    element), ``softmax_ops`` (one per attention score), ``position_adds`` (one per element).
    Any tool's total is a sum of some of these columns.
    """
    batch_size = _check_batch(batch_size)
    records = [(name, kind) + tuple(getattr(cost, c) * batch_size for c in OP_COLUMNS)
               for name, kind, _, _, cost in layer_costs(network)]
    table = pd.DataFrame.from_records(records, columns=["name", "kind", *OP_COLUMNS])
    table.attrs.update(network=network.name, batch_size=batch_size)
    return table
