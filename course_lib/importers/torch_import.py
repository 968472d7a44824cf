"""``from_torch(module, input_shape)``: any ``torch.nn.Module`` built of the course's layers, as a ``Network``.

The module is traced symbolically with ``torch.fx`` (its forward code is recorded, never run:
no weights are read, no data flows, nothing is downloaded), leaf modules become course
layers, and the graph between them becomes blocks: a fork whose paths meet again in an add is
a ``Residual``, in a ``torch.cat`` along channels a ``Concat``, in a multiply a ``Gate``. Row
names are the modules' own paths (``layer1.0.conv1``) inside the blocks found.

Unsupported modules or functions raise ValueError naming them and where they sit.
Taught in notebook 10.
"""
from __future__ import annotations

import operator

from .. import layers as L
from .. import tokens as T
from ..analysis import Network, layer_costs
from ._graph import GraphView, structure

__all__ = ["from_torch"]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _has(module, parameter) -> bool:
    # read the parameter dict itself: during tracing torch.fx turns attribute reads into proxies
    return module._parameters.get(parameter) is not None


def _module_layer(module, path, nn, bridge):
    """The course layer for one leaf module, or ValueError naming it."""
    name = path
    kind = type(module)
    if kind is nn.Conv2d:
        if isinstance(module.padding, str) or module.padding_mode != "zeros":
            raise ValueError(f"module {path!r} (Conv2d): padding={module.padding!r}, padding_mode="
                             f"{module.padding_mode!r}; only numeric zero padding is supported")
        return L.Conv2d(module.out_channels, module.kernel_size, module.stride, module.padding, module.dilation,
                        module.groups, _has(module, 'bias'), name=name)
    if kind is nn.ConvTranspose2d:
        return L.ConvTranspose2d(module.out_channels, module.kernel_size, module.stride, module.padding,
                                 module.output_padding, module.groups, _has(module, 'bias'), module.dilation,
                                 name=name)
    if kind in (nn.Linear, nn.modules.linear.NonDynamicallyQuantizableLinear):
        return L.Linear(module.out_features, _has(module, 'bias'), name=name)
    if kind in (nn.MaxPool2d, nn.AvgPool2d):
        if kind is nn.MaxPool2d and _pair(module.dilation) != (1, 1):
            raise ValueError(f"module {path!r} (MaxPool2d): dilation={module.dilation} is not supported")
        layer = L.MaxPool2d if kind is nn.MaxPool2d else L.AvgPool2d
        return layer(_pair(module.kernel_size), _pair(module.stride), _pair(module.padding), module.ceil_mode,
                     name=name)
    if kind is nn.AdaptiveAvgPool2d:
        return L.AdaptiveAvgPool2d(_pair(module.output_size), name=name)
    if kind is nn.BatchNorm2d:
        if not module.affine:
            raise ValueError(f"module {path!r} (BatchNorm2d): affine=False is not supported")
        return L.BatchNorm2d(name=name)
    if kind is nn.LayerNorm:
        if len(module.normalized_shape) != 1 or not module.elementwise_affine:
            raise ValueError(f"module {path!r} (LayerNorm): only LayerNorm(features) with its scale is supported, "
                             f"got normalized_shape={tuple(module.normalized_shape)}")
        return T.LayerNorm(bias=_has(module, 'bias'), name=name)
    if kind is nn.LocalResponseNorm:
        return L.LocalResponseNorm(module.size, module.alpha, module.beta, module.k, name=name)
    if kind is nn.Upsample:
        if module.mode not in ("nearest", "bilinear"):
            raise ValueError(f"module {path!r} (Upsample): mode={module.mode!r}; supported: 'nearest', 'bilinear'")
        size = None if module.size is None else _pair(module.size)
        factor = None if module.scale_factor is None else _pair(module.scale_factor)
        return L.Upsample(size=size, scale_factor=factor, mode=module.mode, name=name)
    if kind is nn.Flatten:
        if (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError(f"module {path!r} (Flatten): only Flatten(1, -1) is supported")
        return L.Flatten(name=name)
    if kind is nn.Embedding:
        return T.Embedding(module.num_embeddings, module.embedding_dim, name=name)
    for simple in ("ReLU", "ReLU6", "SiLU", "GELU", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Dropout"):
        if kind is getattr(nn, simple):
            return getattr(L, simple)(name=name)
    twins = bridge._block_classes()
    if kind is twins["SelfAttention"]:
        return _attention(module.attention, path)
    if kind is nn.MultiheadAttention:
        return _attention(module, path)
    if kind is twins["PatchTokens"]:
        return T.PatchTokens(name=name)
    if kind is twins["ClassToken"]:
        return T.ClassToken(name=name)
    if kind is twins["PositionEmbedding"]:
        return T.PositionEmbedding(module._parameters['table'].shape[1], name=name)
    if kind is twins["SelectToken"]:
        return T.SelectToken(module.index, name=name)
    return None


def _attention(module, path):
    if not module._qkv_same_embed_dim or _has(module, "bias_k"):
        raise ValueError(f"module {path!r} (MultiheadAttention): only self-attention with one embed_dim is supported")
    return T.MultiheadAttention(module.num_heads, _has(module, "in_proj_bias"), name=path)


_IDENTITY_MODULES = ("Identity",)


def _function_layer(node, torch, F):
    """The course layer for a call_function / call_method node, "skip" for a no-op, or None."""
    target, args, kwargs = node.target, node.args, node.kwargs
    name = node.name
    if target in (F.relu, torch.relu) or (node.op == "call_method" and target == "relu"):
        return L.ReLU(name=name)
    if target in (torch.sigmoid, F.sigmoid) or (node.op == "call_method" and target == "sigmoid"):
        return L.Sigmoid(name=name)
    if target in (F.silu,):
        return L.SiLU(name=name)
    if target in (F.gelu,):
        return L.GELU(name=name)
    if target in (F.hardswish,):
        return L.Hardswish(name=name)
    if target in (F.hardsigmoid,):
        return L.Hardsigmoid(name=name)
    if target in (F.relu6,):
        return L.ReLU6(name=name)
    if target in (F.dropout,):
        return "skip"
    if target is F.adaptive_avg_pool2d:
        size = args[1] if len(args) > 1 else kwargs.get("output_size")
        return L.AdaptiveAvgPool2d(_pair(size), name=name)
    if target is torch.flatten or (node.op == "call_method" and target == "flatten"):
        start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
        if start != 1:
            raise ValueError(f"{_where(node)}: flatten(start_dim={start}) would merge the batch; use start_dim=1")
        return L.Flatten(name=name)
    if node.op == "call_method" and target in ("contiguous", "clone", "detach"):
        return "skip"
    if target is operator.getitem and isinstance(args[1], int) and args[1] == 0:
        return "skip"  # nn.MultiheadAttention's (output, weights)[0]
    return None


def _where(node) -> str:
    what = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", repr(node.target))
    return f"{node.op} {what!r} at graph node {node.name!r}"


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
    fx_node = type(node)
    out = []

    def visit(arg):
        if isinstance(arg, fx_node):
            out.append(arg)
        elif isinstance(arg, (tuple, list)):
            for a in arg:
                visit(a)
        elif isinstance(arg, dict):
            for a in arg.values():
                visit(a)
    visit(node.args)
    visit(node.kwargs)
    return out


def from_torch(module, input_shape, name: str | None = None) -> Network:
    """A ``Network`` equivalent to ``module`` for a per-sample ``input_shape`` (``(C, H, W)``, ``(N,)`` or
    ``(tokens, features)``).

    ``module`` is traced with ``torch.fx`` (symbolically: no forward pass, no weights read).
    Supported: the layers of ``course_lib`` as ``torch.nn`` modules (Conv2d, ConvTranspose2d,
    Linear, pools, BatchNorm2d, LayerNorm, LocalResponseNorm, Upsample, the activations,
    Dropout, Flatten, MultiheadAttention as self-attention, Embedding), their functional forms
    (``F.relu``, ``torch.flatten`` ...), and forks that meet again in ``+`` (Residual),
    ``torch.cat`` along channels (Concat) or ``*`` (Gate). Anything else raises ValueError
    naming the module or function and where it sits.
    """
    try:
        import torch
        import torch.fx
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError:  # pragma: no cover - the course runs without torch
        raise ImportError("from_torch needs PyTorch: pip install torch") from None
    from .. import torch_bridge as bridge

    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a per-sample shape such as (3, 224, 224), got {input_shape!r}")

    leaves = {}

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, m, qualname):
            layer = None if type(m).__name__ in _IDENTITY_MODULES else _module_layer(m, qualname, nn, bridge)
            if layer is not None:
                leaves[qualname] = layer
                return True
            if type(m).__name__ in _IDENTITY_MODULES:
                return True
            if not list(m.children()) and list(m.parameters(recurse=False)):
                raise ValueError(f"module {qualname!r} ({type(m).__name__}) is not supported: course_lib has no "
                                 f"layer for it (supported: Conv2d, ConvTranspose2d, Linear, pools, BatchNorm2d, "
                                 f"LayerNorm, LocalResponseNorm, Upsample, activations, MultiheadAttention ...)")
            return super().is_leaf_module(m, qualname)

    try:
        graph = Tracer().trace(module)
    except ValueError:
        raise
    except Exception as error:  # data-dependent Python control flow and the like
        raise ValueError(f"torch.fx cannot trace {type(module).__name__}: {error}") from None
    nodes = list(graph.nodes)
    placeholders = [n for n in nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ValueError(f"{type(module).__name__}.forward takes {len(placeholders)} inputs; from_torch needs exactly one")

    def node_layer(node):
        if node.op == "call_module":
            if node.target in leaves:
                return leaves[node.target]
            submodule = module.get_submodule(node.target)
            if type(submodule).__name__ in _IDENTITY_MODULES:
                return "skip"
            raise ValueError(f"module {node.target!r} ({type(submodule).__name__}) is not supported")
        if node.op in ("call_function", "call_method"):
            layer = _function_layer(node, torch, F)
            if layer is not None:
                return layer
        raise ValueError(f"{_where(node)} is not supported by from_torch")

    def cat_on_channels(node):
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        if dim not in (1, -1):
            raise ValueError(f"{_where(node)}: torch.cat along dim={dim}; only the channel axis (dim=1) is supported")
        return True

    view = GraphView(
        order={n: i for i, n in enumerate(nodes)}, users=lambda n: list(n.users),
        inputs=lambda n: list(dict.fromkeys(_tensor_inputs(n))), is_output=lambda n: n.op == "output",
        layer_of=node_layer, join_kind=lambda n: _join_kind(n, torch), cat_on_channels=cat_on_channels,
        where=_where)
    layers = structure(view, placeholders[0])
    network = Network(name or type(module).__name__, tuple(input_shape), tuple(layers))
    _check_channels(network, module, leaves, nn)
    return network


def _check_channels(network, module, leaves, nn):
    """The module's own in_channels / in_features must be what the course's shape inference gives."""
    expected = {}
    for path in leaves:
        m = module.get_submodule(path)
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            expected[path] = ("in_channels", m.in_channels, 0)
        elif isinstance(m, nn.Linear):
            expected[path] = ("in_features", m.in_features, -1)
        elif isinstance(m, nn.BatchNorm2d):
            expected[path] = ("num_features", m.num_features, 0)
    for row_name, kind, _, in_shape, _ in layer_costs(network):
        # a row is named <blocks>.<module path>: the longest module path that ends the row's name
        matches = [p for p in leaves if row_name == p or row_name.endswith("." + p)]
        path = max(matches, key=len, default=None)
        if path not in expected:
            continue
        what, value, axis = expected[path]
        if in_shape[axis] != value:
            raise ValueError(f"module {path!r} ({kind}) has {what}={value}, but its input here is {in_shape}: "
                             f"is input_shape right?")
