"""Exercise 10 (what does your model cost?): content only.

The lesson worked GoogLeNet and EfficientNet-B0's gates; the exercise asks the same questions of
SqueezeNet 1.1 (fire modules: a squeeze conv, then two expand branches concatenated) and of
MobileNetV3-Large's squeeze-and-excitation gates. Every expected value is computed with
``course_lib``; the checking machinery is ``_core``. Each number question states its precision.
"""
from __future__ import annotations

import course_lib as cl

from ._core import ChoiceQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "FIRE", "score"]

_MB = 1e6
SQUEEZENET = cl.zoo.squeezenet1_1()
FIRE = "features.3"                    # the first fire module, on a 64 x 55 x 55 input

# q1: parameters of one fire module (squeeze 1x1 to 16, expand 1x1 to 64 and 3x3 to 64, all with biases)
_TABLE = cl.analyze(SQUEEZENET)
_FIRE_ROWS = _TABLE[_TABLE["name"].str.startswith(FIRE + ".")]
_FIRE_PARAMS = int(_FIRE_ROWS["params"].sum())
_BIASES = 16 + 64 + 64

q1 = NumberQuestion(
    name="q1", var="fire_params", points=1, expected=_FIRE_PARAMS, unit="parameters", decimals=0,
    mistakes={_FIRE_PARAMS - _BIASES: "that leaves out the biases: each conv of the fire module has one per output "
                                      "channel (16 + 64 + 64).",
              int(_FIRE_ROWS.loc[_FIRE_ROWS["name"].str.contains("expand"), "params"].sum()):
                  "that is the two expand branches only: the squeeze conv is part of the fire module too.",
              _FIRE_PARAMS - 16 * 64 * 8: "the expand3x3 conv has a 3 x 3 kernel: 16 x 64 x 9 weights, not 16 x 64."},
    hint_text="A conv has K x K x C_in x C_out weights and C_out biases. The squeeze conv sees the 64 input channels; "
              "both expand convs see the squeeze's 16.",
    solution_text=f"squeeze 64 x 16 + 16 = 1,040; expand1x1 16 x 64 + 64 = 1,088; expand3x3 9 x 16 x 64 + 64 = 9,280; "
                  f"in all {_FIRE_PARAMS:,}.",
    example_wrong=_FIRE_PARAMS - _BIASES,
)

# q2: the 3x3 branch's share of the MACs of the fire module's expand block (the Concat)
_BRANCHES = cl.branch_costs(SQUEEZENET, f"{FIRE}.expand")
_SHARE3 = float(_BRANCHES.loc[1, "macs_of_block"]) * 100
_FIRE_MACS = int(_FIRE_ROWS["macs"].sum())

q2 = NumberQuestion(
    name="q2", var="expand3x3_macs_percent", points=1, expected=_SHARE3, unit="%", decimals=1,
    wrong_units={"a fraction, not a percentage": 0.01},
    mistakes={round(float(_BRANCHES.loc[1, "params_of_block"]) * 100, 1):
                  "that is its share of the parameters (biases included): the question asks for the MACs.",
              round(float(_BRANCHES.loc[0, "macs_of_block"]) * 100, 1): "that is the 1x1 branch's share.",
              round(_BRANCHES.loc[1, "macs"] / _FIRE_MACS * 100, 1):
                  "that divides by the whole fire module, squeeze included: the question asks about the expand "
                  "block, the two branches that are concatenated."},
    hint_text=f"cl.branch_costs(cl.zoo.squeezenet1_1(), '{FIRE}.expand'); or by hand: both branches see the same "
              "16 x 55 x 55 map and make 64 channels, one with a 1x1 kernel, the other with a 3x3.",
    solution_text=f"55 x 55 x 64 x 16 x 9 / (55 x 55 x 64 x 16 x (1 + 9)) = 9/10 = {_SHARE3:.1f}%.",
    example_wrong=round(100 - _SHARE3, 1),
)

# q3: MobileNetV3-Large's squeeze-and-excitation gates: their share of the parameters
_MNV3 = cl.zoo.mobilenet_v3_large()
_GATES = cl.gate_costs(_MNV3, "GTX 1080")
_MNV3_TABLE = cl.analyze(_MNV3)
_SE_PARAMS = float(_GATES["params"].sum() / _MNV3_TABLE["params"].sum() * 100)

q3 = NumberQuestion(
    name="q3", var="se_params_percent", points=2, expected=_SE_PARAMS, unit="%", decimals=1,
    wrong_units={"a fraction, not a percentage": 0.01},
    mistakes={round(float(_GATES["macs"].sum() / _MNV3_TABLE["macs"].sum() * 100), 1):
                  "that is the gates' share of the MACs: the question asks for the parameters.",
              round(float(_GATES["params"].sum() / _GATES["block_params"].sum() * 100), 1):
                  "that divides by the parameters of the blocks the gates sit in: the question asks for the whole "
                  "network's."},
    hint_text="cl.gate_costs(cl.zoo.mobilenet_v3_large(), device) has one row per gate (any device: parameters do "
              "not depend on it); add up its params and divide by the network's (cl.analyze(...)['params'].sum()).",
    solution_text=f"{int(_GATES['params'].sum()):,} of {int(_MNV3_TABLE['params'].sum()):,} parameters = "
                  f"{_SE_PARAMS:.1f}%: the gates of the last blocks (960 channels squeezed to 240 and back) are large.",
    example_wrong=round(float(_GATES["macs"].sum() / _MNV3_TABLE["macs"].sum() * 100), 1),
)

# q4: SqueezeNet's inference activation memory at batch 64, fp32 (the peak of live activations)
_INFER = cl.memory_by_batch(SQUEEZENET, (64,), "fp32").iloc[0]
_PEAK_MB = _INFER["inference_activations"] / _MB

q4 = NumberQuestion(
    name="q4", var="inference_activations_mb", points=2, expected=_PEAK_MB, unit="MB", decimals=1,
    wrong_units={"bytes, not MB": _MB, "MiB, not MB": _MB / 2 ** 20},
    mistakes={round(cl.activation_memory(SQUEEZENET, 64, "fp32") / _MB, 1):
                  "that keeps every activation, as training does: inference keeps only those alive at one time.",
              round(_INFER["inference"] / _MB, 1): "that includes the weights: the question asks for the activations.",
              round(_PEAK_MB / 64, 1): "that is one image: the batch holds 64."},
    hint_text="cl.memory_by_batch(cl.zoo.squeezenet1_1(), (64,), 'fp32'), column inference_activations. By hand: the "
              "peak is at the first max-pool, which reads conv1's 64 x 111 x 111 map and writes 64 x 55 x 55.",
    solution_text=f"(64 x 111 x 111 + 64 x 55 x 55) x 64 images x 4 bytes = {_PEAK_MB:.1f} MB.",
    example_wrong=round(_PEAK_MB / 64, 1),
)

# q5: the largest batch that trains SqueezeNet with Adam in fp32 on a GTX 1080 (8 GiB)
_MAX_TRAIN = cl.largest_batches(SQUEEZENET, "GTX 1080", "fp32")["training_adam"]
_PARAMS = int(_TABLE["params"].sum())
_KEPT = cl.activation_elements(SQUEEZENET)

q5 = NumberQuestion(
    name="q5", var="max_training_batch", points=2, expected=_MAX_TRAIN, unit="images", decimals=0,
    mistakes={cl.largest_batches(SQUEEZENET, "GTX 1080", "fp32")["inference"]:
                  "that is the largest inference batch: training keeps every activation for the backward pass.",
              int((8e9 - 16 * _PARAMS) // (4 * _KEPT)): "that takes 8 GB as 8 x 10^9 bytes: GPU memory is sold in "
                                                        "GiB, 8 x 2^30 bytes.",
              int((8 * 2 ** 30 - 16 * _PARAMS) // (2 * _KEPT)):
                  "that stores the activations in 2 bytes: the question trains in fp32, 4 bytes an element."},
    hint_text="cl.largest_batches(cl.zoo.squeezenet1_1(), 'GTX 1080', 'fp32'). By hand: (8 x 2^30 - 16 bytes x "
              "parameters) // (4 bytes x activation elements kept per image: cl.activation_elements, the input and "
              "every layer output that is a new tensor, lesson 10 section 4).",
    solution_text=f"(8 x 2^30 - 16 x {_PARAMS:,}) // (4 x {_KEPT:,}) = {_MAX_TRAIN:,} images.",
    example_wrong=cl.largest_batches(SQUEEZENET, "GTX 1080", "fp32")["inference"],
)

# q6: memory-bound conv layers of SqueezeNet on the V100 (fp32) at batch 1
_V100 = "V100 SXM2 fp32"
_SLOW = cl.roofline_summary(SQUEEZENET, _V100, 1)["memory_bound_compute_layers"]
_V100_ROWS = cl.roofline(SQUEEZENET, _V100, 1)
_CLOSEST = _V100_ROWS[(_V100_ROWS["macs"] > 0) & (_V100_ROWS["bound"] == "memory")].nlargest(1, "intensity").iloc[0]

q6 = NumberQuestion(
    name="q6", var="memory_bound_convs", points=2, expected=_SLOW, unit="layers", decimals=0,
    mistakes={cl.roofline_summary(SQUEEZENET, "GTX 1080", 1)["memory_bound_compute_layers"]:
                  "that is on the GTX 1080 (ridge 27.7): the V100's ridge is 15.7 TFLOP/s / 900 GB/s = 17.4.",
              cl.roofline_summary(SQUEEZENET, _V100, 1)["memory_bound_layers"]:
                  "that counts every layer (ReLU, pooling, the concatenations): the question asks for the convs."},
    hint_text="cl.roofline_summary(cl.zoo.squeezenet1_1(), 'V100 SXM2 fp32', 1). A conv is memory-bound when its "
              "intensity, 2 x MACs / (input + weights + output bytes), is below the ridge, peak / bandwidth.",
    solution_text=f"{_SLOW} of the 26 convs: every squeeze and expand1x1 conv up to features.10, and features.0; "
                  f"{_CLOSEST['name']} ({_CLOSEST['intensity']:.1f} FLOP/byte, against a ridge of 17.4) only just.",
    example_wrong=cl.roofline_summary(SQUEEZENET, "GTX 1080", 1)["memory_bound_compute_layers"],
)

# q7: int8 weights and activations (W8A8): predicted speed-up of SqueezeNet on the GTX 1080 at batch 1
_WHATIF = cl.compression_whatif(SQUEEZENET, "GTX 1080", 1)
_W8A8 = float(_WHATIF.loc["int8 weights and activations", "speedup"])

q7 = NumberQuestion(
    name="q7", var="w8a8_speedup", points=2, expected=_W8A8, unit="x", decimals=2,
    mistakes={round(float(_WHATIF.loc["int8 weights, fp32 activations", "speedup"]), 2):
                  "that is int8 weights only: the question quantizes the activations too.",
              4.0: "that is the ratio of the bytes: only the memory-bound layers get faster; the compute-bound ones "
                   "keep their time at the (unchanged) peak.",
              round(float(_WHATIF.loc["fp16 weights and activations", "speedup"]), 2):
                  "that is fp16 (2 bytes): int8 is 1 byte."},
    hint_text="cl.compression_whatif(cl.zoo.squeezenet1_1(), 'GTX 1080', 1), column speedup: the fp32 time over the "
              "time with every weight and activation in 1 byte, each layer at max(compute, memory) time.",
    solution_text=f"{_W8A8:.2f}x: the memory-bound layers take a quarter of their time, the compute-bound ones "
                  f"do not change.",
    example_wrong=4.0,
)

# q8: EfficientNet-B0 against GoogLeNet on the GTX 1080 at batch 1
_T = {name: cl.roofline_summary(cl.zoo.MODELS[name](), "GTX 1080", 1)["time_s"] * 1e6
      for name in ("googlenet", "efficientnet_b0")}

q8 = ChoiceQuestion(
    name="q8", var="faster_model", points=1, expected="c",
    choices={"a": "EfficientNet-B0, about 4 x faster: it does about a quarter of GoogLeNet's MACs.",
             "b": "EfficientNet-B0, but by less than 2 x: some of its layers are memory-bound.",
             "c": "GoogLeNet, by a few percent: EfficientNet-B0 moves more bytes, and bytes set its time.",
             "d": "Neither: both run at the GTX 1080's peak."},
    explanations={"a": "Time is not MACs / peak here: count the bytes each layer moves (cl.roofline_summary).",
                  "b": "Compare the two times of cl.roofline_summary: GoogLeNet's is the smaller. EfficientNet-B0's "
                       "depthwise convs, gates and activations move more bytes, and bytes, not MACs, set its time.",
                  "c": "Right: depthwise convs, SE gates, BatchNorm and SiLU on large maps do few MACs per byte, "
                       "so EfficientNet-B0 is memory-bound almost everywhere.",
                  "d": "Neither averages the peak: look at peak_share in cl.roofline_summary."},
    hint_text="cl.roofline_summary(cl.zoo.efficientnet_b0(), 'GTX 1080', 1)['time_per_sample_s'], and the same for "
              "GoogLeNet.",
    solution_text=(f"c: GoogLeNet {_T['googlenet']:.0f} us, EfficientNet-B0 {_T['efficientnet_b0']:.0f} us per image "
                   f"under lesson 05's model, though GoogLeNet does about 4 x the MACs."),
    example_wrong="a",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total points: the last cell of the exercise."""
    show_score(QUESTIONS)
