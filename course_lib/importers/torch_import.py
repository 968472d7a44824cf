"""``from_torch(module, input_shape)``: any ``torch.nn.Module`` built of the course's layers, as a ``Network``.

The module is traced symbolically with ``torch.fx`` (its forward code is recorded, never run:
no weights are read, no data flows, nothing is downloaded), leaf modules become course
layers, and the graph between them becomes blocks: a fork whose paths meet again in an add is
a ``Residual``, in a ``torch.cat`` along channels a ``Concat``, in a multiply a ``Gate``.

Names follow the modules: a block is named after the module whose ``forward`` holds its join
(a ``torch.cat`` in module ``inc1`` gives block ``inc1``, rows ``inc1.branch1.conv`` ...; when one
module holds several joins, each is ``module.<fx node name>``, e.g. ``inc1.cat_1``). A row is its
module's path inside its block; a function call is named after the module it is called in
(``layer1.0.relu``); a module called twice (one ``nn.ReLU`` reused) gives ``res.relu`` and
``res.relu#2``.

Unsupported modules or functions raise ValueError naming them and where they sit.
Taught in notebook 10.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .. import blocks as B
from .. import layers as L
from .. import tokens as T
from ..analysis import Network, layer_costs
from ..layers import Composite
from ._graph import GraphView, structure
from ._torch_calls import (_function_layer, _is_shape_read, _join_kind, _module_path, _pair, _short,
                           _tensor_inputs, _where)

__all__ = ["from_torch"]


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


def _describe(path, module) -> str:
    kind = type(module)
    kind = f"nn.{kind.__name__}" if kind.__module__.startswith("torch.nn") else kind.__name__
    return f"module {path!r} ({kind})" if path else f"the model itself ({kind})"


_TWO_D = {"Conv1d": "Conv2d", "Conv3d": "Conv2d", "ConvTranspose1d": "ConvTranspose2d",
          "ConvTranspose3d": "ConvTranspose2d", "BatchNorm1d": "BatchNorm2d", "BatchNorm3d": "BatchNorm2d",
          "MaxPool1d": "MaxPool2d", "MaxPool3d": "MaxPool2d", "AvgPool1d": "AvgPool2d", "AvgPool3d": "AvgPool2d",
          "AdaptiveAvgPool1d": "AdaptiveAvgPool2d", "AdaptiveAvgPool3d": "AdaptiveAvgPool2d"}


def _unsupported(path, module, nn) -> str:
    """Why ``module`` (at ``path``) cannot be imported, for a ValueError."""
    what = _describe(path, module)
    name = type(module).__name__
    if isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
        return (f"{what} is not supported: a recurrent layer loops over its time steps (Python control flow on "
                f"the input's length, which torch.fx cannot trace), and course_lib has no recurrent layer")
    if name in _TWO_D:
        return (f"{what} is not supported: the course's layers are 2-D, for (C, H, W) feature maps "
                f"(nn.{_TWO_D[name]} is the one it has)")
    return (f"{what} is not supported: course_lib has no layer for it (supported: Conv2d, ConvTranspose2d, "
            f"Linear, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, LayerNorm, LocalResponseNorm, Upsample, "
            f"ReLU, ReLU6, SiLU, GELU, Sigmoid, Tanh, Hardswish, Hardsigmoid, Dropout, Flatten, Identity, "
            f"MultiheadAttention, Embedding)")


def _attention(module, path):
    if not module._qkv_same_embed_dim or _has(module, "bias_k"):
        raise ValueError(f"module {path!r} (MultiheadAttention): only self-attention with one embed_dim is supported")
    return T.MultiheadAttention(module.num_heads, _has(module, "in_proj_bias"), name=path)


_IDENTITY_MODULES = ("Identity",)

def from_torch(module, input_shape, name: str | None = None) -> Network:
    """A ``Network`` equivalent to ``module`` for a per-sample ``input_shape`` (``(C, H, W)``, ``(N,)`` or
    ``(tokens, features)``).

    ``module`` is traced with ``torch.fx`` (symbolically: no forward pass, no weights read). Supported:

    - modules: ``nn.Conv2d``, ``ConvTranspose2d``, ``Linear``, ``MaxPool2d``, ``AvgPool2d``,
      ``AdaptiveAvgPool2d``, ``BatchNorm2d``, ``LayerNorm``, ``LocalResponseNorm``, ``Upsample``, ``ReLU``,
      ``ReLU6``, ``SiLU``, ``GELU``, ``Sigmoid``, ``Tanh``, ``Hardswish``, ``Hardsigmoid``, ``Dropout``,
      ``Flatten``, ``Identity``, ``MultiheadAttention`` (as self-attention), ``Embedding``;
    - functions: ``F.relu``/``torch.relu``/``x.relu()``, ``F.relu6``, ``F.silu``, ``F.gelu``,
      ``torch.sigmoid``/``x.sigmoid()``, ``torch.tanh``, ``F.hardswish``, ``F.hardsigmoid``, ``F.dropout``,
      ``F.max_pool2d``, ``F.avg_pool2d``, ``F.adaptive_avg_pool2d``, ``x.mean((2, 3))`` (a global average
      pool, then a flatten unless ``keepdim=True``), and as a flatten ``torch.flatten(x, 1)``,
      ``x.flatten(1)``, ``x.view(x.size(0), -1)``, ``x.reshape(x.shape[0], -1)``, ``x.view(-1, features)``,
      ``x.squeeze()``, ``x.squeeze((2, 3))`` or ``x.squeeze(-1).squeeze(-1)`` of a ``(C, 1, 1)`` map;
    - forks that meet again in ``+`` (Residual), ``torch.cat`` along channels (Concat) or ``*`` (Gate).

    Anything else raises ValueError naming the module or function and where it sits in the model.
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

    network_name = name or type(module).__name__
    whole = _module_layer(module, type(module).__name__.lower(), nn, bridge)
    if whole is not None:  # the model is one layer (nn.Conv2d ...): torch.fx would trace into its forward
        return Network(network_name, tuple(input_shape), (whole,))
    if isinstance(module, (nn.RNNBase, nn.RNNCellBase)) or (
            not list(module.children()) and list(module.parameters(recurse=False))):
        raise ValueError(_unsupported("", module, nn))

    leaves = {}

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, m, qualname):
            if type(m).__name__ in _IDENTITY_MODULES:
                return True
            layer = _module_layer(m, qualname, nn, bridge)
            if layer is not None:
                leaves[qualname] = layer
                return True
            if isinstance(m, (nn.RNNBase, nn.RNNCellBase)) or (
                    not list(m.children()) and list(m.parameters(recurse=False))):
                raise ValueError(_unsupported(qualname, m, nn))
            return super().is_leaf_module(m, qualname)

        def call_module(self, m, forward, args, kwargs):
            try:
                return super().call_module(m, forward, args, kwargs)
            except torch.fx.proxy.TraceError as error:  # a ValueError, but one that names no module
                raise ValueError(_untraceable(self.path_of_module(m), m, error)) from None

    try:
        graph = Tracer().trace(module)
    except torch.fx.proxy.TraceError as error:
        raise ValueError(_untraceable("", module, error)) from None
    except ValueError:
        raise
    except Exception as error:  # data-dependent Python control flow and the like
        raise ValueError(f"torch.fx cannot trace {type(module).__name__}: {error}") from None
    nodes = list(graph.nodes)
    placeholders = [n for n in nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ValueError(f"{type(module).__name__}.forward takes {len(placeholders)} inputs; "
                         "from_torch needs exactly one")

    row_names, block_paths = _row_names(nodes, torch)
    checks = {}   # row name -> function of its input shape: what is wrong, or None
    made = {}

    def node_layer(node):
        if node not in made:
            made[node] = _node_layer(node)
        return made[node]

    def _node_layer(node):
        row = row_names.get(node)
        if node.op == "call_module":
            if node.target in leaves:
                m = module.get_submodule(node.target)
                for kinds, what, value, axis in (((nn.Conv2d, nn.ConvTranspose2d), "in_channels", "in_channels", 0),
                                                 ((nn.Linear,), "in_features", "in_features", -1),
                                                 ((nn.BatchNorm2d,), "num_features", "num_features", 0)):
                    if isinstance(m, kinds):
                        checks[row] = _channels(what, getattr(m, value), axis)
                return replace(leaves[node.target], name=row)
            submodule = module.get_submodule(node.target)
            if type(submodule).__name__ in _IDENTITY_MODULES:
                return "skip"
            raise ValueError(_unsupported(node.target, submodule, nn))
        if node.op in ("call_function", "call_method"):
            layer = _function_layer(node, torch, F, row, checks)
            if layer is not None:
                return layer
        raise ValueError(f"{_where(node)} is not supported by from_torch (see help(cl.from_torch) for what is)")

    def cat_on_channels(node):
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        if dim not in (1, -1):
            raise ValueError(f"{_where(node)}: torch.cat along dim={dim}; only the channel axis (dim=1) is supported")
        return True

    view = GraphView(
        order={n: i for i, n in enumerate(nodes)},
        users=lambda n: [u for u in n.users if not _is_shape_read(u)],
        inputs=_tensor_inputs, is_output=lambda n: n.op == "output",
        layer_of=node_layer, join_kind=lambda n: _join_kind(n, torch), cat_on_channels=cat_on_channels,
        where=_where, name_of=row_names.__getitem__)
    layers = structure(view, placeholders[0])
    originals = []
    network = Network(network_name, tuple(input_shape), _relative_names(layers, "", block_paths, originals))
    for (row, kind, _, in_shape, _), original in zip(layer_costs(network), originals):
        problem = checks[original](in_shape) if original in checks else None
        if problem:
            raise ValueError(f"row {row!r} ({kind}): {problem}: is input_shape right?")
    return network


def _row_names(nodes, torch):
    """Full names of the calls and joins, in graph order, and each join's module path.

    A module call is named by the module's path, a function call by the path of the module whose
    forward calls it and the function (``layer1.0.relu``); the n-th call of one name is ``name#n``.
    A join takes the path of its module (``inc1``), or ``path.<fx node name>`` when that module
    holds several joins or is the model itself."""
    names, block_paths, counts = {}, {}, Counter()
    joins = Counter(_module_path(n) for n in nodes if _join_kind(n, torch))
    for node in nodes:
        if node.op not in ("call_module", "call_function", "call_method") or _is_shape_read(node):
            continue
        path = _module_path(node)
        if _join_kind(node, torch):
            label = path if path and joins[path] == 1 else ".".join(filter(None, (path, node.name)))
            block_paths[label] = path
            names[node] = label
            continue
        base = node.target if node.op == "call_module" else ".".join(filter(None, (path, _short(node))))
        counts[base] += 1
        names[node] = base if counts[base] == 1 else f"{base}#{counts[base]}"
    return names, block_paths


def _channels(what, value, axis):
    def check(in_shape):
        if in_shape[axis] != value:
            return f"the module has {what}={value}, but its input here is {in_shape}"
        return None
    return check


def _untraceable(path, module, error) -> str:
    import torch.nn as nn
    if isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
        return _unsupported(path, module, nn)
    return (f"{_describe(path, module)}: torch.fx cannot trace its forward ({error}): Python control flow "
            f"(if, for, while) on the values or sizes of tensors cannot be recorded symbolically")


def _relative_names(layers, scope, block_paths, originals, branch=None):
    """The layers with each name relative to its block's module (``layer1.0.conv1`` -> ``conv1`` in block
    ``layer1.0``), so that rows read ``layer1.0.conv1`` rather than ``layer1.0.layer1.0.conv1``; inside a
    Concat's ``branchK``, a leading ``branchK.`` is dropped too. ``originals`` receives each row's full name,
    in the order of ``layer_costs`` (None for a join row)."""
    out = []
    for layer in layers:
        new = layer.name
        if scope and new.startswith(scope + "."):
            new = new[len(scope) + 1:]
        if branch is not None and new.startswith(f"branch{branch}."):
            new = new[len(f"branch{branch}."):]
        if isinstance(layer, Composite):
            path = block_paths.get(layer.name, layer.name)
            many = isinstance(layer, B.Concat) and len(layer.branches) > 1
            parts = [_relative_names(part, path, block_paths, originals, k if many else None)
                     for k, (_, part) in enumerate(layer.parts, start=1)]
            layer = layer.with_parts(tuple(parts))
            if layer.join_suffix:
                originals.append(None)
        else:
            originals.append(layer.name)
        out.append(replace(layer, name=new))
    return tuple(out)
