"""From a dataflow graph (torch.fx or ONNX) to nested course blocks: shared by both importers.

The graph runs from one input to one output. A value used once flows through a chain of
layers; a value used several times forks, and its branches must meet again in one join:
``+`` (a ``Residual``: the longer branch is the body), ``*`` with the fork's value itself
(a ``Gate``) or a concatenation along channels (a ``Concat``; the fork's value first means
``keep_input=True``). The join is the first node, in graph order, reached from every
branch. Each node is visited once per branch it lies on: nested blocks cost linear time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .. import blocks as B
from .. import layers as L


@dataclass
class GraphView:
    """What the structuring needs to know about a graph, as functions of its nodes."""
    order: dict                  # node -> position in a topological order
    users: Callable              # node -> nodes that read its value
    inputs: Callable             # node -> distinct nodes whose values it reads, in argument order
    is_output: Callable          # node -> True for the graph's output
    layer_of: Callable           # node -> a course Layer, "skip" (no cost, e.g. Identity), or raise ValueError
    join_kind: Callable          # node -> "add", "mul", "cat" or None
    cat_on_channels: Callable    # cat node -> True if it concatenates along channels
    where: Callable              # node -> "op 'X' at node 'y'" for error messages
    name_of: Callable = lambda node: node.name   # join node -> the name of the block it closes


def structure(view: GraphView, start) -> tuple:
    """The layers (with blocks) from the value of ``start`` to the graph's output."""
    reach_cache = {}

    def reachable(node):
        if node not in reach_cache:
            seen, stack = set(), [node]
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen.add(current)
                    stack.extend(view.users(current))
            reach_cache[node] = frozenset(seen)
        return reach_cache[node]

    def chain(current, stop):
        layers = []
        while True:
            users = view.users(current)
            if not users:
                raise ValueError(f"graph node {view.where(current)} leads nowhere")
            if len(users) == 1 and (users[0] is stop or view.is_output(users[0])):
                return layers, current
            if len(users) == 1 and view.join_kind(users[0]) is None:
                (node,) = users
                layer = view.layer_of(node)  # first: an unsupported op is named as such
                if len(view.inputs(node)) != 1:
                    raise ValueError(f"{view.where(node)} combines several tensors in a way the importer cannot express")
                if layer != "skip":
                    layers.append(layer)
                current = node
                continue
            join = min(set.intersection(*(set(reachable(u)) for u in users)), key=view.order.__getitem__)
            if join is stop or view.is_output(join):
                raise ValueError(f"{view.where(current)} forks into branches that do not meet again inside their "
                                 "block (only nested forks and joins can be imported)")
            kind = view.join_kind(join)
            if kind is None:
                raise ValueError(f"{view.where(join)}: branches meet here, but only add, multiply and concatenate "
                                 "join branches")
            branches = []
            for value in view.inputs(join):
                if value is current:
                    branches.append(None)  # the fork's own value: an identity branch
                    continue
                starts = [u for u in users if value in reachable(u)]
                if len(starts) != 1 or len(view.inputs(starts[0])) != 1:
                    raise ValueError(f"{view.where(join)}: a branch the importer cannot follow")
                first = view.layer_of(starts[0])
                rest, end = chain(starts[0], join)
                if end is not value:
                    raise ValueError(f"{view.where(join)}: a branch the importer cannot follow")
                branches.append(tuple(([first] if first != "skip" else []) + rest))
            layers.append(_join(view, kind, join, branches))
            current = join

    layers, _ = chain(start, None)
    return tuple(layers)


def _join(view, kind, join, branches):
    name = view.name_of(join)
    if kind == "add":
        if len(branches) != 2:
            raise ValueError(f"{view.where(join)}: an add of {len(branches)} values")
        body, shortcut = branches
        if body is None or (shortcut is not None and len(shortcut) > len(body)):
            body, shortcut = shortcut, body
        if not body:
            raise ValueError(f"{view.where(join)}: x + x is not a residual block")
        return L.Residual(body, shortcut or (), name=name)
    if kind == "mul":
        if len(branches) != 2 or None not in branches:
            raise ValueError(f"{view.where(join)}: only x * gate(x) is supported as a multiply")
        body = branches[0] if branches[1] is None else branches[1]
        return B.Gate(body, name=name)
    if not view.cat_on_channels(join):
        raise ValueError(f"{view.where(join)}: only a concatenation along channels (dim=1) is supported")
    if None in branches[1:]:
        raise ValueError(f"{view.where(join)}: the block's input must come first in the concatenation")
    return B.Concat(tuple(b for b in branches if b is not None), keep_input=branches[0] is None, name=name)
