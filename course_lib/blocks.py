"""Blocks that branch and join: concatenation and gates, beside ``Residual`` (notebooks 03 and 10).

Every block is a frozen dataclass holding tuples of layers; ``analyze`` gives one row per
inner layer, named ``block.branch2.conv1``, then one row for the join itself:

- ``Block(layers)``: a named group, run in order (``torch.nn.Sequential``); no join row.
- ``Concat(branches)``: every branch sees the block's input; their outputs are stacked
  along channels (GoogLeNet's Inception, SqueezeNet's fire expand). ``keep_input=True``
  stacks the input itself first: DenseNet's dense connections, U-Net's skips. The
  ``.concat`` row moves data but does no arithmetic: 0 ops in every column.
- ``Gate(body)``: ``out = x * body(x)``, the body's output broadcast over the input
  (squeeze-and-excitation: pool, two 1x1 convs, a sigmoid give one scale per channel).
  The ``.mul`` row costs one multiply per output element (``gate_muls``), no MACs: the
  contract's MACs are those of conv and linear layers.

Joins whose shapes do not fit raise ValueError naming the block and both shapes.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .layers import Composite, LayerCost, _check_bool, _check_name, _numel, check_layers

__all__ = ["Block", "Concat", "Gate", "concat_axis"]


def concat_axis(shape: tuple) -> int:
    """The channel axis of a per-sample shape: 0 for ``(C, H, W)`` and ``(N,)``, 1 (features) for ``(tokens, features)``."""
    return 1 if len(shape) == 2 else 0


@dataclass(frozen=True)
class Block(Composite):
    """Layers run in order under one name (``torch.nn.Sequential``): rows ``name.conv1``, ``name.relu1`` ..."""
    layers: tuple = ()
    name: str | None = None
    prefix = "block"

    def __post_init__(self):
        object.__setattr__(self, "layers", check_layers("layers", self.layers))
        if not self.layers:
            raise ValueError("layers must hold at least one layer")
        _check_name(self.name)

    @property
    def parts(self):
        return (("", self.layers),)

    def with_parts(self, parts):
        (layers,) = parts
        return replace(self, layers=tuple(layers))

    def join(self, in_shape, out_shapes, where):
        return None


@dataclass(frozen=True)
class Concat(Composite):
    """Branches on the same input, their outputs concatenated along channels.

    ``Concat(((Conv2d(64, 1),), (Conv2d(96, 1), Conv2d(128, 3, padding=1))))`` outputs 64 + 128
    channels; every branch must keep the height and width (for token sequences, the number of
    tokens). ``keep_input=True`` puts the block's input first in the stack (DenseNet, U-Net).
    Inner rows are named ``name.branch1.conv1`` ... (no ``branchN`` infix with a single branch).
    """
    branches: tuple = ()
    keep_input: bool = False
    name: str | None = None
    prefix = "cat"
    join_suffix = "concat"
    join_kind = "Concat"

    def __post_init__(self):
        branches = self.branches
        if not isinstance(branches, (tuple, list)) or not all(isinstance(b, (tuple, list)) for b in branches):
            raise TypeError("branches must be a tuple of branches, each a tuple of layers, "
                            f"e.g. ((Conv2d(64, 1),), (Conv2d(96, 1), ReLU())); got {branches!r}"[:300])
        branches = tuple(check_layers(f"branches[{i}]", b) for i, b in enumerate(branches))
        _check_bool("keep_input", self.keep_input)
        if len(branches) + self.keep_input < 2:
            raise ValueError("a Concat needs at least two things to stack: two branches, or one with keep_input=True")
        object.__setattr__(self, "branches", branches)
        _check_name(self.name)

    @property
    def parts(self):
        if len(self.branches) == 1:
            return (("", self.branches[0]),)
        return tuple((f"branch{i}.", branch) for i, branch in enumerate(self.branches, start=1))

    def with_parts(self, parts):
        return replace(self, branches=tuple(tuple(branch) for branch in parts))

    def join(self, in_shape, out_shapes, where):
        shapes = ([in_shape] if self.keep_input else []) + list(out_shapes)
        labels = (["its input"] if self.keep_input else []) + [
            f"branch{i}" if len(self.branches) > 1 else "its branch" for i in range(1, len(out_shapes) + 1)]
        first = shapes[0]
        axis = concat_axis(first)
        for label, shape in zip(labels[1:], shapes[1:]):
            if len(shape) != len(first) or any(a != b for i, (a, b) in enumerate(zip(shape, first)) if i != axis):
                raise ValueError(
                    f"block {where} (Concat): {labels[0]} gives {first} but {label} gives {shape}; "
                    f"only the {'features' if len(first) == 2 else 'channels'} may differ to be concatenated"
                )
        out = list(first)
        out[axis] = sum(shape[axis] for shape in shapes)
        return LayerCost(out_shape=tuple(out))


@dataclass(frozen=True)
class Gate(Composite):
    """``out = x * body(x)``: the body's output scales the input (squeeze-and-excitation, Hu et al. 2018).

    The body may end in a smaller shape whose axes are 1 where it broadcasts, e.g. ``(C, 1, 1)``
    per-channel scales on a ``(C, H, W)`` map. The ``.mul`` row: one multiply per output element.
    """
    body: tuple = ()
    name: str | None = None
    prefix = "gate"
    join_suffix = "mul"
    join_kind = "Mul"

    def __post_init__(self):
        object.__setattr__(self, "body", check_layers("body", self.body))
        if not self.body:
            raise ValueError("body must hold at least one layer")
        _check_name(self.name)

    @property
    def parts(self):
        return (("", self.body),)

    def with_parts(self, parts):
        (body,) = parts
        return replace(self, body=tuple(body))

    def join(self, in_shape, out_shapes, where):
        (scale,) = out_shapes
        if len(scale) != len(in_shape) or any(s not in (1, x) for s, x in zip(scale, in_shape)):
            raise ValueError(
                f"block {where} (Gate): its body outputs {scale}, which cannot scale its input {in_shape}; "
                f"each axis must equal the input's or be 1"
            )
        return LayerCost(out_shape=in_shape, gate_muls=_numel(in_shape))
