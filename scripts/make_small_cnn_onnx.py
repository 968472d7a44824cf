"""Write course_lib/data/models/small_cnn.onnx: the tiny CNN that notebook 10 reads with ``cl.from_onnx``.

Run from the repository root: ``python scripts/make_small_cnn_onnx.py`` (needs the ``onnx`` package,
not PyTorch). The graph is built node by node with ``onnx.helper``; its weights are zeros (the course
counts shapes, never values), stored so that the file stays a few kilobytes. The same model, written
by hand as a ``cl.Network``, is in tests/test_report.py, which regenerates the graph and compares.

    input 3 x 32 x 32
    conv1 3x3 (16) + ReLU, max-pool 2x2               -> 16 x 16 x 16
    two branches, concatenated (an Inception block):
        1x1 (8) + ReLU  |  1x1 (8) + ReLU, 3x3 (16) + ReLU   -> 24 x 16 x 16
    squeeze-and-excitation gate: global average pool, 1x1 (6) + ReLU, 1x1 (24) + Sigmoid, times the map
    global average pool, flatten, fully connected 24 -> 10
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "course_lib" / "data" / "models" / "small_cnn.onnx"


def build():
    """The ModelProto (opset 13, IR version 8: readable by every onnx release since 1.10)."""
    from onnx import TensorProto, helper

    def weight(name, *dims):
        return helper.make_tensor(name, TensorProto.FLOAT, dims, bytes(4 * math.prod(dims)), raw=True)

    def conv(name, x, w, b, kernel, pads):
        return helper.make_node("Conv", [x, w, b], [name], name=name, kernel_shape=[kernel, kernel],
                                pads=[pads] * 4)

    relu = lambda name, x: helper.make_node("Relu", [x], [name], name=name)  # noqa: E731
    nodes = [
        conv("conv1", "x", "conv1.w", "conv1.b", 3, 1), relu("relu1", "conv1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        conv("branch1", "pool1", "branch1.w", "branch1.b", 1, 0), relu("branch1_relu", "branch1"),
        conv("branch2_reduce", "pool1", "branch2_reduce.w", "branch2_reduce.b", 1, 0),
        relu("branch2_reduce_relu", "branch2_reduce"),
        conv("branch2", "branch2_reduce_relu", "branch2.w", "branch2.b", 3, 1), relu("branch2_relu", "branch2"),
        helper.make_node("Concat", ["branch1_relu", "branch2_relu"], ["cat"], name="cat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["se_pool"], name="se_pool"),
        conv("se_fc1", "se_pool", "se_fc1.w", "se_fc1.b", 1, 0), relu("se_relu", "se_fc1"),
        conv("se_fc2", "se_relu", "se_fc2.w", "se_fc2.b", 1, 0),
        helper.make_node("Sigmoid", ["se_fc2"], ["se_scale"], name="se_scale"),
        helper.make_node("Mul", ["cat", "se_scale"], ["gated"], name="se_mul"),
        helper.make_node("GlobalAveragePool", ["gated"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["y"], name="fc", transB=1),
    ]
    weights = [weight("conv1.w", 16, 3, 3, 3), weight("conv1.b", 16),
               weight("branch1.w", 8, 16, 1, 1), weight("branch1.b", 8),
               weight("branch2_reduce.w", 8, 16, 1, 1), weight("branch2_reduce.b", 8),
               weight("branch2.w", 16, 8, 3, 3), weight("branch2.b", 16),
               weight("se_fc1.w", 6, 24, 1, 1), weight("se_fc1.b", 6),
               weight("se_fc2.w", 24, 6, 1, 1), weight("se_fc2.b", 24),
               weight("fc.w", 10, 24), weight("fc.b", 10)]
    graph = helper.make_graph(nodes, "small_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], weights)
    model = helper.make_model(graph, producer_name="course_lib scripts/make_small_cnn_onnx.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def main(path: Path = OUT) -> Path:
    import onnx

    model = build()
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


if __name__ == "__main__":
    written = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {written} ({written.stat().st_size:,} bytes)")
