"""The calls of a forward traced by ``torch.fx`` (functions, tensor methods, joins), read as course
layers for ``from_torch`` (notebook 10).

``F.relu(x)``, ``x.mean((2, 3))``, ``x.view(x.size(0), -1)`` ... become the layer their ``torch.nn``
twin gives (``ReLU``; ``AdaptiveAvgPool2d(1)`` and ``Flatten``; ``Flatten``). Reads of a tensor's
shape (``x.size(0)``, ``x.shape[0]``) are facts about the shape, not data flow: they never fork
the graph. Anything else is None here, and ``from_torch`` names it in a ValueError.
"""
from __future__ import annotations

import math
import operator

from .. import blocks as B
from .. import layers as L


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


_FLATTENS = ("x.view(x.size(0), -1), x.reshape(x.shape[0], -1), x.view(-1, features), torch.flatten(x, 1), "
             "x.flatten(1), or x.squeeze() / x.squeeze((2, 3)) / x.squeeze(-1).squeeze(-1) of a (C, 1, 1) map")


def _is_node(value) -> bool:
    return type(value).__name__ == "Node" and hasattr(value, "op")


def _is_shape_read(node) -> bool:
    """``x.size(...)``, ``x.shape``, ``x.dim()`` and items of them: facts about a tensor's shape, not its data."""
    if node.op == "call_method" and node.target in ("size", "dim"):
        return True
    if node.op == "call_function" and node.target is getattr and node.args[1:2] in (("shape",), ("ndim",)):
        return True
    return (node.op == "call_function" and node.target is operator.getitem and _is_node(node.args[0])
            and _is_shape_read(node.args[0]))


def _is_batch(value) -> bool:
    """``x.size(0)``, ``x.shape[0]`` or ``x.size()[0]``: the batch size, read from a tensor."""
    if not _is_node(value):
        return False
    if value.op == "call_method" and value.target == "size":
        return (value.args[1] if len(value.args) > 1 else value.kwargs.get("dim")) == 0
    return (value.op == "call_function" and value.target is operator.getitem and _is_node(value.args[0])
            and _is_shape_read(value.args[0]) and value.args[1] == 0)


def _arguments(node, names, defaults):
    """The call's arguments after its input tensor, by name, whether given by position or keyword."""
    values = dict(defaults)
    values.update(zip(names, node.args[1:]))
    values.update(node.kwargs)
    return values


def _call_text(node) -> str:
    def show(value):
        if _is_node(value):
            return "x.size(0)" if _is_batch(value) else value.name
        if isinstance(value, (tuple, list)):
            return "(" + ", ".join(show(v) for v in value) + ")"
        return repr(value)
    what = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", repr(node.target))
    arguments = [show(a) for a in node.args[1:]] + [f"{k}={show(v)}" for k, v in node.kwargs.items()]
    return f"{what}({', '.join(['x'] + arguments)})"


def _squeeze_dims(node):
    """The dims of a ``squeeze`` call as a tuple (``()`` for all), or None for any other node."""
    if node.op not in ("call_method", "call_function") or getattr(node.target, "__name__", node.target) != "squeeze":
        return None
    dims = node.args[1:] or ((node.kwargs["dim"],) if "dim" in node.kwargs else ())
    return tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else tuple(dims)


def _spatial(dims) -> bool:
    """True for the height and width axes of an (N, C, H, W) tensor: (2, 3), [-2, -1] ..."""
    return (isinstance(dims, (tuple, list)) and len(dims) == 2 and all(isinstance(d, int) for d in dims)
            and sorted(d % 4 for d in dims) == [2, 3])


def _squeezed(in_shape):
    if len(in_shape) != 3 or in_shape[1:] != (1, 1):
        return f"it squeezes a {in_shape} input, which is not a (C, 1, 1) map from a global pool"
    return None


def _features(count):
    def check(in_shape):
        if math.prod(in_shape) != count:
            return f"it asks for {count} features per sample, but its input {in_shape} holds {math.prod(in_shape)}"
        return None
    return check


def _function_layer(node, torch, F, name, checks):
    """The course layer for a call_function / call_method node, "skip" for a no-op, or None.

    ``checks[name]`` receives a function of the layer's input shape that returns what is wrong, if
    anything, for calls whose meaning depends on a shape only known after the whole model is read."""
    target, args, kwargs = node.target, node.args, node.kwargs
    method = target if node.op == "call_method" else None
    if target in (F.relu, torch.relu, F.relu_, torch.relu_) or method in ("relu", "relu_"):
        return L.ReLU(name=name)
    if target in (torch.sigmoid, F.sigmoid) or method in ("sigmoid", "sigmoid_"):
        return L.Sigmoid(name=name)
    if target in (torch.tanh, F.tanh) or method in ("tanh", "tanh_"):
        return L.Tanh(name=name)
    one_to_one = {F.silu: L.SiLU, F.gelu: L.GELU, F.hardswish: L.Hardswish, F.hardsigmoid: L.Hardsigmoid,
                  F.relu6: L.ReLU6}           # functions that are exactly one course layer
    if method is None and target in one_to_one:
        return one_to_one[target](name=name)
    if target is F.dropout:
        return "skip"
    if target is F.adaptive_avg_pool2d:
        size = args[1] if len(args) > 1 else kwargs.get("output_size")
        return L.AdaptiveAvgPool2d(_pair(size), name=name)
    from_shape = [v for v in (*args[1:], *kwargs.values())
                  if _is_node(v) or (isinstance(v, (tuple, list)) and any(map(_is_node, v)))]
    if target in (F.max_pool2d, torch.max_pool2d, F.avg_pool2d) and from_shape:
        raise ValueError(f"{_where(node)}: {_call_text(node)}: a window read from the input's shape is not supported; "
                         f"for a global pool write F.adaptive_avg_pool2d(x, 1) or x.mean((2, 3))")
    if target in (F.max_pool2d, torch.max_pool2d):
        a = _arguments(node, ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
                       {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False})
        if _pair(a["dilation"]) != (1, 1) or a["return_indices"]:
            raise ValueError(f"{_where(node)}: {_call_text(node)}: dilation and return_indices are not supported")
        stride = None if a["stride"] in (None, (), []) else _pair(a["stride"])
        return L.MaxPool2d(_pair(a["kernel_size"]), stride, _pair(a["padding"]), bool(a["ceil_mode"]), name=name)
    if target is F.avg_pool2d:
        a = _arguments(node, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
                       {"stride": None, "padding": 0, "ceil_mode": False})
        stride = None if a["stride"] in (None, (), []) else _pair(a["stride"])
        return L.AvgPool2d(_pair(a["kernel_size"]), stride, _pair(a["padding"]), bool(a["ceil_mode"]), name=name)
    if target is torch.mean or method == "mean":
        a = _arguments(node, ("dim", "keepdim"), {"dim": None, "keepdim": False})
        if not _spatial(a["dim"]) or a.get("dtype") is not None:
            raise ValueError(f"{_where(node)}: {_call_text(node)} is not supported; the mean from_torch reads is the "
                             f"global average pool x.mean((2, 3)) of an (N, C, H, W) map (keepdim=True or not)")
        if a["keepdim"]:
            return L.AdaptiveAvgPool2d((1, 1), name=name)
        # the same rows as nn.AdaptiveAvgPool2d(1) then nn.Flatten(), inside a block named after the call
        return B.Block((L.AdaptiveAvgPool2d((1, 1), name="pool"), L.Flatten(name="flatten")), name=name)
    if target is torch.flatten or method == "flatten":
        a = _arguments(node, ("start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
        if a["start_dim"] != 1 or a["end_dim"] != -1:
            raise ValueError(f"{_where(node)}: {_call_text(node)} would merge the batch or keep axes; "
                             f"a flatten from_torch reads is one of {_FLATTENS}")
        return L.Flatten(name=name)
    if method in ("view", "reshape") or target is torch.reshape:
        shape = args[1:] if method else args[1:2]
        if not shape:
            shape = (kwargs.get("shape", kwargs.get("size")),)
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if len(shape) == 2 and _is_batch(shape[0]) and shape[1] == -1:
            return L.Flatten(name=name)
        if len(shape) == 2 and (shape[0] == -1 or _is_batch(shape[0])) and isinstance(shape[1], int) \
                and shape[1] > 0:
            checks[name] = _features(shape[1])
            return L.Flatten(name=name)
        raise ValueError(f"{_where(node)}: {_call_text(node)} is not supported; from_torch reads a view or reshape "
                         f"only as a flatten to (batch, features): {_FLATTENS}")
    if target is torch.squeeze or method == "squeeze":
        dims = _squeeze_dims(node)
        if not dims or _spatial(dims):
            checks[name] = _squeezed
            return L.Flatten(name=name)
        # x.squeeze(-1).squeeze(-1), x.squeeze(3).squeeze(2) ...: the first is free, the second flattens
        (users,) = (list(node.users),) if len(node.users) == 1 else ([],)
        if dims in ((2,), (3,), (-1,), (-2,)) and users and _squeeze_dims(users[0]) in ((2,), (-1,)):
            return "skip"
        if dims in ((2,), (-1,)) and _is_node(args[0]) and len(args[0].users) == 1 \
                and _squeeze_dims(args[0]) in ((2,), (3,), (-1,), (-2,)):
            checks[name] = _squeezed
            return L.Flatten(name=name)
        raise ValueError(f"{_where(node)}: {_call_text(node)} is not supported; a squeeze from_torch reads is "
                         f"x.squeeze(), x.squeeze((2, 3)) or x.squeeze(-1).squeeze(-1) of a (C, 1, 1) map, "
                         f"read as a flatten")
    if method in ("contiguous", "clone", "detach"):
        return "skip"
    if target is operator.getitem and isinstance(args[1], int) and args[1] == 0:
        return "skip"  # nn.MultiheadAttention's (output, weights)[0]
    return None


def _module_path(node) -> str:
    """The path of the module whose forward made ``node`` ("" for the model's own forward)."""
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return ""
    path = list(stack.values())[-1]
    return path[0] if isinstance(path, tuple) else str(path)


def _where(node) -> str:
    what = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", repr(node.target))
    stack = node.meta.get("nn_module_stack")
    if node.op == "call_module" or not stack:
        inside = "" if node.op == "call_module" else " (in the model's own forward)"
    else:
        path, kind = list(stack.values())[-1]
        inside = f" (in the forward of module {path!r}, a {getattr(kind, '__name__', kind)})"
    return f"{node.op} {what!r} at graph node {node.name!r}{inside}"


def _join_kind(node, torch):
    if node.op == "call_function":
        if node.target in (operator.add, operator.iadd, torch.add):
            return "add"
        if node.target in (operator.mul, operator.imul, torch.mul):
            return "mul"
        if node.target is torch.cat:
            return "cat"
    if node.op == "call_method" and node.target in ("add", "add_", "mul", "mul_"):
        return node.target.rstrip("_")
    return None


def _tensor_inputs(node):
    out = []

    def visit(arg):
        if _is_node(arg):
            if not _is_shape_read(arg):
                out.append(arg)
        elif isinstance(arg, (tuple, list)):
            for a in arg:
                visit(a)
        elif isinstance(arg, dict):
            for a in arg.values():
                visit(a)
    visit(node.args)
    visit(node.kwargs)
    return list(dict.fromkeys(out))


def _short(node) -> str:
    if isinstance(node.target, str):
        return node.target
    return getattr(node.target, "__name__", node.name).rstrip("_") or node.name
