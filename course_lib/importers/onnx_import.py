"""``from_onnx(path_or_model)``: an ONNX graph as a ``Network`` (notebook 10).

Needs the ``onnx`` package (``pip install course_lib[onnx]``), imported only when called. The
graph's operators become course layers, its forks and joins blocks (``importers/_graph.py``):

Conv, ConvTranspose, Gemm, MatMul (+ Add of a bias), MaxPool, AveragePool, GlobalAveragePool,
Relu, Clip(0, 6) (ReLU6), Sigmoid, Tanh, HardSwish, HardSigmoid, Gelu, ``x * Sigmoid(x)``
(SiLU), BatchNormalization, LayerNormalization, LRN, Resize (nearest, linear), Flatten and a
Reshape to ``(batch, -1)``, Dropout and Identity (free), Concat along channels, Add, Mul.
Anything else raises ValueError naming the node and its op type. Weights are never needed:
only their shapes (initializers) and the operators' attributes are read.
"""
from __future__ import annotations

from .. import layers as L
from .. import tokens as T
from ..analysis import Network
from ._graph import GraphView, structure

__all__ = ["from_onnx"]


class _Node:
    """One operator (or the graph input), with its tensor inputs as nodes; eq by identity.

    ``name`` is the node's name in the file (for error messages), ``row`` its row name (``_row_name``)."""
    __slots__ = ("name", "row", "op", "inputs", "constants", "attrs", "users", "index")

    def __init__(self, name, op, inputs, constants, attrs, index):
        self.name, self.op, self.inputs, self.constants, self.attrs, self.index = (
            name, op, inputs, constants, attrs, index)
        self.row = _row_name(name)
        self.users = []


def _row_name(node_name: str) -> str:
    """A row name from an ONNX node name: torch.onnx writes module scopes as paths
    (``/layer1/layer1.0/conv1/Conv``), the course's rows use dots (``layer1.layer1.0.conv1.Conv``)."""
    return node_name.lstrip("/").replace("/", ".") or node_name


def _where(node) -> str:
    return f"ONNX node {node.name!r} ({node.op})"


def _pads(node, pads):
    if not pads:
        return (0, 0)
    top, left, bottom, right = pads
    if (top, left) != (bottom, right):
        raise ValueError(f"{_where(node)}: asymmetric pads {list(pads)} are not supported")
    return (top, left)


def _layer(node):
    op, a, c = node.op, node.attrs, node.constants
    name = node.row
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError(f"{_where(node)}: auto_pad={a['auto_pad']!r} is not supported; export with explicit pads")
    if op == "Conv":
        weight = c[1]
        return L.Conv2d(weight[0], tuple(weight[2:]), tuple(a.get("strides", (1, 1))), _pads(node, a.get("pads")),
                        tuple(a.get("dilations", (1, 1))), a.get("group", 1), 2 in c,
                        name=name)
    if op == "ConvTranspose":
        weight = c[1]
        group = a.get("group", 1)
        return L.ConvTranspose2d(weight[1] * group, tuple(weight[2:]), tuple(a.get("strides", (1, 1))),
                                 _pads(node, a.get("pads")), tuple(a.get("output_padding", (0, 0))), group,
                                 2 in c, tuple(a.get("dilations", (1, 1))), name=name)
    if op == "Gemm":
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
            raise ValueError(f"{_where(node)}: only Gemm with alpha = beta = 1 and no transA is a Linear layer")
        weight = c[1]
        return L.Linear(weight[0] if a.get("transB", 0) else weight[1], 2 in c, name=name)
    if op == "MatMul":
        if c.get(1) is None or len(c[1]) != 2:
            raise ValueError(f"{_where(node)}: only a MatMul by a weight matrix (a Linear layer) is supported")
        return L.Linear(c[1][1], bool(a.get("_bias")), name=name)
    if op in ("MaxPool", "AveragePool"):
        if tuple(a.get("dilations", (1, 1))) != (1, 1):
            raise ValueError(f"{_where(node)}: dilated pooling is not supported")
        layer = L.MaxPool2d if op == "MaxPool" else L.AvgPool2d
        kernel = tuple(a["kernel_shape"])
        return layer(kernel, tuple(a.get("strides", (1, 1))), _pads(node, a.get("pads")), bool(a.get("ceil_mode", 0)),
                     name=name)
    if op == "GlobalAveragePool":
        return L.AdaptiveAvgPool2d(1, name=name)
    simple = {"Relu": L.ReLU, "Sigmoid": L.Sigmoid, "Tanh": L.Tanh, "HardSwish": L.Hardswish,
              "HardSigmoid": L.Hardsigmoid, "Gelu": L.GELU, "_SiLU": L.SiLU, "BatchNormalization": L.BatchNorm2d}
    if op in simple:
        return simple[op](name=name)
    if op == "Clip":
        low, high = a.get("_min"), a.get("_max")
        if (low, high) != (0.0, 6.0):
            raise ValueError(f"{_where(node)}: only Clip(0, 6) (ReLU6) is supported, got min={low}, max={high}")
        return L.ReLU6(name=name)
    if op == "LayerNormalization":
        if a.get("axis", -1) != -1:
            raise ValueError(f"{_where(node)}: only LayerNormalization over the last axis is supported")
        return T.LayerNorm(bias=2 in c, name=name)
    if op == "LRN":
        return L.LocalResponseNorm(a["size"], a.get("alpha", 1e-4), a.get("beta", 0.75), a.get("bias", 1.0), name=name)
    if op == "Resize":
        mode = a.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode not in ("nearest", "linear"):
            raise ValueError(f"{_where(node)}: Resize mode {mode!r}; supported: nearest, linear")
        scales, sizes = a.get("_scales"), a.get("_sizes")
        kind = "nearest" if mode == "nearest" else "bilinear"
        if sizes is not None and len(sizes) == 4:
            return L.Upsample(size=(int(sizes[2]), int(sizes[3])), mode=kind, name=name)
        if scales is not None and len(scales) == 4:
            return L.Upsample(scale_factor=(float(scales[2]), float(scales[3])), mode=kind, name=name)
        raise ValueError(f"{_where(node)}: Resize needs constant scales or sizes")
    if op == "Flatten":
        if a.get("axis", 1) != 1:
            raise ValueError(f"{_where(node)}: only Flatten(axis=1) is supported")
        return L.Flatten(name=name)
    if op == "Reshape":
        shape = a.get("_shape")
        if shape is None or len(shape) != 2 or shape[1] != -1:
            raise ValueError(f"{_where(node)}: only a Reshape to (batch, -1) (a flatten) is supported, got {shape}")
        return L.Flatten(name=name)
    if op in ("Dropout", "Identity", "_BiasAdd"):
        return "skip"
    raise ValueError(f"{_where(node)} is not supported: course_lib has no layer for op type {op!r}")


def from_onnx(path_or_model, input_shape=None, name: str | None = None) -> Network:
    """A ``Network`` from an ONNX file path or a loaded ``onnx.ModelProto``.

    ``input_shape`` (per sample, without the batch axis) defaults to the graph input's fixed
    dimensions. Raises ValueError naming the node and op type of anything unsupported.
    Rows are named after the nodes, with torch.onnx's scope paths written with dots
    (``/0/Conv`` -> ``0.Conv``). The network is named ``name``, else the graph's name, else
    (for torch.onnx's generic ``main_graph``) the file's stem.
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:  # pragma: no cover - onnx is an optional extra
        raise ImportError("from_onnx needs the onnx package: pip install onnx (or course_lib[onnx])") from None
    import os

    stem = None
    if isinstance(path_or_model, (str, os.PathLike)):
        model = onnx.load(os.fspath(path_or_model), load_external_data=False)
        stem = os.path.splitext(os.path.basename(os.fspath(path_or_model)))[0]
    elif isinstance(path_or_model, onnx.ModelProto):
        model = path_or_model
    else:
        raise TypeError(f"path_or_model must be a file path or an onnx.ModelProto, got {type(path_or_model).__name__}")
    graph = model.graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    values = {}   # small constant tensors read for attributes (Clip bounds, Resize scales, Reshape shape)
    for init in graph.initializer:
        if len(init.dims) <= 1 and (not init.dims or init.dims[0] <= 8):
            values[init.name] = numpy_helper.to_array(init)
    inputs = [i for i in graph.input if i.name not in shapes]
    if len(inputs) != 1:
        raise ValueError(f"the ONNX graph has {len(inputs)} inputs; from_onnx needs exactly one")
    if input_shape is None:
        dims = [d.dim_value if d.HasField("dim_value") else None for d in inputs[0].type.tensor_type.shape.dim][1:]
        if not dims or None in dims:
            raise ValueError(f"the ONNX input {inputs[0].name!r} has no fixed shape {dims}; pass input_shape")
        input_shape = tuple(dims)

    start = _Node(inputs[0].name, "input", [], {}, {}, -1)
    producer = {inputs[0].name: start}
    nodes = []
    for index, proto in enumerate(graph.node):
        if proto.op_type == "Constant":
            values[proto.output[0]] = numpy_helper.to_array(proto.attribute[0].t)
            shapes[proto.output[0]] = tuple(values[proto.output[0]].shape)
            continue
        if proto.input and all(v in shapes or v in values or not v for v in proto.input):
            # an operator on constants only (exporters copy weights through Identity): a constant too
            shapes[proto.output[0]] = shapes.get(proto.input[0])
            if proto.input[0] in values:
                values[proto.output[0]] = values[proto.input[0]]
            continue
        attrs = {attr.name: onnx.helper.get_attribute_value(attr) for attr in proto.attribute}
        tensors, constants = [], {}
        for position, value in enumerate(proto.input):
            if value in producer:
                tensors.append(producer[value])
            elif value in shapes or value in values:
                constants[position] = shapes.get(value)
                if value in values:
                    attrs.setdefault(f"_const{position}", values[value])
            elif value:
                raise ValueError(f"ONNX node {proto.name!r} ({proto.op_type}) reads {value!r}, which nothing produces")
        node = _Node(proto.name or f"{proto.op_type}_{index}", proto.op_type, list(dict.fromkeys(tensors)),
                     constants, attrs, index)
        _read_constant_attributes(node)
        for t in node.inputs:
            t.users.append(node)
        producer[proto.output[0]] = node
        nodes.append(node)
    outputs = [producer[o.name] for o in graph.output if o.name in producer]
    if len(outputs) != 1:
        raise ValueError(f"the ONNX graph has {len(graph.output)} outputs; from_onnx needs exactly one")
    end = _Node("output", "output", [outputs[0]], {}, {}, len(graph.node))
    outputs[0].users.append(end)
    _fuse(nodes)
    order = {start: -1, end: len(graph.node), **{n: n.index for n in nodes}}

    def join_kind(node):
        if node.op in ("Add", "Mul") and len(node.inputs) == 2:
            return node.op.lower()
        if node.op == "Concat":
            return "cat"
        return None

    def cat_on_channels(node):
        if node.attrs.get("axis") not in (1, -3):
            raise ValueError(f"{_where(node)}: Concat along axis {node.attrs.get('axis')}; only channels (axis 1)")
        return True

    view = GraphView(order=order, users=lambda n: n.users, inputs=lambda n: n.inputs,
                     is_output=lambda n: n is end, layer_of=_layer, join_kind=join_kind,
                     cat_on_channels=cat_on_channels, where=_where, name_of=lambda n: n.row)
    layers = structure(view, start)
    graph_name = graph.name if graph.name != "main_graph" or stem is None else stem
    return Network(name or graph_name or stem or "ONNX model", tuple(input_shape), layers)


def _read_constant_attributes(node):
    a = node.attrs
    if node.op == "Clip":
        low, high = a.pop("_const1", a.get("min")), a.pop("_const2", a.get("max"))
        a["_min"] = None if low is None else float(low)
        a["_max"] = None if high is None else float(high)
    elif node.op == "Resize":
        scales, sizes = a.get("_const2"), a.get("_const3")
        a["_scales"] = None if scales is None or scales.size == 0 else list(scales.reshape(-1))
        a["_sizes"] = None if sizes is None or sizes.size == 0 else list(sizes.reshape(-1))
    elif node.op == "Reshape":
        shape = a.get("_const1")
        a["_shape"] = None if shape is None else [int(v) for v in shape.reshape(-1)]


def _fuse(nodes):
    """Rewrite two exporter idioms in place: MatMul + Add(bias) -> one Linear; x * Sigmoid(x) -> SiLU."""
    for node in nodes:
        if node.op == "Add" and len(node.inputs) == 1 and node.inputs[0].op == "MatMul" \
                and len(node.inputs[0].users) == 1:
            node.inputs[0].attrs["_bias"] = True
            node.op = "_BiasAdd"
        if node.op == "Mul" and len(node.inputs) == 2:
            x, s = node.inputs
            if s.op != "Sigmoid":
                x, s = s, x
            if s.op == "Sigmoid" and s.inputs == [x] and s.users == [node]:
                # x * sigmoid(x): one SiLU layer reading x
                x.users.remove(s)
                node.inputs = [x]
                node.op = "_SiLU"
                s.op = "_dead"
