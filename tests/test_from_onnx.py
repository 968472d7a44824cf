"""cl.from_onnx: ONNX graphs built here with onnx.helper (no torch needed), errors that name the node
and op type, and (where torch is installed) every zoo model exported by torch.onnx and read back."""
import pytest

import course_lib as cl

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402


def _init(name, *dims):
    return helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * int(__import__("math").prod(dims)))


def _model(nodes, initializers, in_shape=(1, 3, 8, 8), out_shape=None):
    graph = helper.make_graph(
        nodes, "small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
        initializers)
    return helper.make_model(graph)


def test_chain_with_residual_and_concat():
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        # residual: r1 + bn(conv(r1))
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c2", "s", "bb", "m", "v"], ["n2"], name="bn2"),
        helper.make_node("Add", ["n2", "r1"], ["a"], name="add"),
        # two branches concatenated along channels
        helper.make_node("Conv", ["a", "w3"], ["c3"], name="left", kernel_shape=[1, 1]),
        helper.make_node("MaxPool", ["a"], ["p"], name="pool", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]),
        helper.make_node("Concat", ["c3", "p"], ["cat"], name="cat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc", transB=1),
    ]
    inits = [_init("w1", 8, 3, 3, 3), _init("b1", 8), _init("w2", 8, 8, 3, 3), _init("s", 8), _init("bb", 8),
             _init("m", 8), _init("v", 8), _init("w3", 4, 8, 1, 1), _init("wf", 10, 12), _init("bf", 10)]
    network = cl.from_onnx(_model(nodes, inits, out_shape=[1, 10]))
    table = cl.analyze(network)
    assert network.input_shape == (3, 8, 8) and network.output_shape == (10,)
    assert table["kind"].tolist() == ["Conv2d", "ReLU", "Conv2d", "BatchNorm2d", "Add", "Conv2d", "MaxPool2d",
                                      "Concat", "AdaptiveAvgPool2d", "Flatten", "Linear"]
    # by hand: 27*8 + 8, 72*8, 2*8, 8*4, 12*10 + 10
    assert table["params"].sum() == 224 + 576 + 16 + 32 + 130
    assert table["macs"].sum() == 64 * (27 * 8) + 64 * (72 * 8) + 64 * (8 * 4) + 120


@pytest.mark.parametrize("node, inits, message", [
    (helper.make_node("Sin", ["x"], ["y"], name="mystery"), [], r"ONNX node 'mystery' \(Sin\) is not supported"),
    (helper.make_node("Conv", ["x", "w"], ["y"], name="lopsided", kernel_shape=[3, 3], pads=[0, 0, 1, 1]),
     [_init("w", 4, 3, 3, 3)], r"ONNX node 'lopsided' \(Conv\): asymmetric pads"),
    (helper.make_node("Conv", ["x", "w"], ["y"], name="auto", kernel_shape=[3, 3], auto_pad="SAME_UPPER"),
     [_init("w", 4, 3, 3, 3)], r"ONNX node 'auto' \(Conv\): auto_pad"),
])
def test_unsupported_nodes_are_named(node, inits, message):
    with pytest.raises(ValueError, match=message):
        cl.from_onnx(_model([node], inits))


def test_symbolic_input_needs_input_shape():
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="r")], [], in_shape=["N", 3, "H", "W"])
    with pytest.raises(ValueError, match="has no fixed shape .* pass input_shape"):
        cl.from_onnx(model)
    assert cl.from_onnx(model, input_shape=(3, 5, 5)).output_shape == (3, 5, 5)


def test_bad_argument():
    with pytest.raises(TypeError, match="path_or_model must be a file path or an onnx.ModelProto"):
        cl.from_onnx(42)


def _export(network):
    torch = pytest.importorskip("torch")
    import io
    import warnings
    from course_lib.torch_bridge import to_torch
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # no constant folding: BatchNorm stays a node instead of being folded into the conv before it
        torch.onnx.export(to_torch(network), torch.zeros(1, *network.input_shape), buffer, dynamo=False,
                          opset_version=17, do_constant_folding=False)
    return onnx.load_from_string(buffer.getvalue())


ROUND_TRIP = [m for m in cl.zoo.MODELS if m not in ("alexnet_original", "vit_b_16")]


@pytest.mark.torch
@pytest.mark.parametrize("model", ROUND_TRIP)
def test_zoo_round_trip_through_onnx(model, tmp_path):
    network = cl.zoo.MODELS[model]()
    path = tmp_path / f"{model}.onnx"
    onnx.save(_export(network), str(path))
    ours = cl.analyze(network)
    ours = ours[ours["kind"] != "Dropout"].reset_index(drop=True)   # the exporter drops inference no-ops
    theirs = cl.analyze(cl.from_onnx(path))
    columns = ["in_shape", "out_shape", "params", "macs", "activations"]
    assert ours[columns].equals(theirs[columns])


@pytest.mark.torch
@pytest.mark.parametrize("model, node", [("alexnet_original", r"\(Div\)"), ("vit_b_16", r"\(Reshape\)")])
def test_decomposed_layers_are_named(model, node):
    # torch.onnx writes LRN and attention as many small ops: from_onnx names the first it cannot read
    with pytest.raises(ValueError, match=r"ONNX node '.*' " + node):
        cl.from_onnx(_export(cl.zoo.MODELS[model]()))


@pytest.mark.torch
def test_torch_export_names_rows_after_modules_and_network_after_file(tmp_path):
    # torch.onnx names the graph "main_graph" and each node by its module scope, "/0/Conv"
    torch = pytest.importorskip("torch")
    import warnings
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 6 * 6, 2))
    path = tmp_path / "my_net.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, torch.zeros(1, 3, 8, 8), str(path), dynamo=False, opset_version=17)
    assert onnx.load(str(path)).graph.name == "main_graph"
    network = cl.from_onnx(path)
    assert network.name == "my_net"
    assert cl.analyze(network)["name"].tolist() == ["0.Conv", "1.Relu", "2.Flatten", "3.Gemm"]
    assert cl.from_onnx(onnx.load(str(path))).name == "main_graph"   # no file, no stem to use
    assert cl.from_onnx(path, name="mine").name == "mine"
