"""Exercise 03, compute: content only (the checking machinery is ``_core``).

Every expected value is computed with course_lib; the notebook is solutions/03_compute.ipynb.
Each question states its precision: counts exactly, the share to 1 decimal place.
"""
from __future__ import annotations

from .. import zoo
from ..analysis import op_counts
from ..counting import conv_macs as _conv_macs
from ..counting import fc_equivalent_params, flops_from_macs, layer_counts, linear_macs, tool_parts, tool_total
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

_ALEXNET = zoo.alexnet_original()

q1 = NumberQuestion(
    name="q1", var="conv2_macs", points=2, unit="MACs", rel_tol=0,   # exactly
    expected=_conv_macs(27, 27, 96, 256, 5, groups=2),
    # groups=2 halves the MACs, so "forgot groups" and "gave FLOPs" are the same wrong number
    mistakes={_conv_macs(27, 27, 96, 256, 5): "twice the answer: either conv2 without groups=2 (each filter sees "
                                              "only the 48 channels on its own GPU), or FLOPs where the question "
                                              "asks for MACs (FLOPs = 2 x MACs)",
              2 * _conv_macs(27, 27, 96, 256, 5): "FLOPs and no groups: two mistakes, each a factor of 2"},
    wrong_units={"millions of MACs (give the exact count)": 1e-6},
    hint_text="H_out*W_out*C_out*(C_in/groups)*K*K with a 27x27 output, C_in=96, C_out=256, K=5, groups=2.",
    solution_text="`27*27*256*(96//2)*5*5` = 223,948,800 MACs.",
    example_wrong=_conv_macs(27, 27, 96, 256, 5),
)


def _wrong_conv_macs(out_height, out_width, in_channels, out_channels, kernel_size, groups=1):
    return out_height * out_width * out_channels * in_channels * kernel_size * kernel_size   # ignores groups


q2 = FunctionQuestion(
    name="q2", var="conv_mac_count", points=3,
    reference=lambda out_height, out_width, in_channels, out_channels, kernel_size, groups=1:
        _conv_macs(out_height, out_width, in_channels, out_channels, kernel_size, groups),
    cases=[(55, 55, 3, 96, 11, 1), (27, 27, 96, 256, 5, 2), (13, 13, 384, 384, 3, 2), (112, 112, 32, 32, 3, 32),
           (7, 7, 512, 2048, 1, 1), (1, 1, 1, 1, 1, 1), (14, 9, 12, 24, 3, 4)],
    hint_text="Every output element (H_out*W_out*C_out of them) needs one MAC per weight of its filter: "
              "(C_in/groups)*K*K.",
    solution_text="`return out_height * out_width * out_channels * (in_channels // groups) * kernel_size * kernel_size`",
    example_wrong=_wrong_conv_macs,
)

_fc2 = linear_macs(4096, 4096)
q3 = NumberQuestion(
    name="q3", var="fc2_flops", points=2, unit="FLOPs", rel_tol=0, expected=flops_from_macs(_fc2),   # exactly
    wrong_units={"MACs, not FLOPs (a FLOP count is 2 x MACs)": 0.5,
                 "GFLOPs (give the exact count of FLOPs)": 1e-9, "MFLOPs (give the exact count of FLOPs)": 1e-6},
    mistakes={2 * (_fc2 + 4096): "that includes the bias (2 x fc2's 16,781,312 parameters); the question leaves the "
                                 "bias out: 2 x 4096 x 4096.",
              2 * _fc2 + 4096: "that adds the 4,096 bias adds; the question leaves the bias out: 2 x 4096 x 4096."},
    hint_text="FC2 maps 4096 inputs to 4096 outputs: in*out MACs, and each MAC is a multiply and an add.",
    solution_text="`2 * 4096 * 4096` = 33,554,432 FLOPs.",
    example_wrong=_fc2,
)

_counts = layer_counts(_ALEXNET, "thop")
_conv_share = float(_counts.loc[_counts["kind"] == "Conv2d", "count"].sum() / _counts["count"].sum())
# to 1 decimal place, as asked: the lesson prints 91.9%; its recap's "about 92%" gets a message
q4 = NumberQuestion(
    name="q4", var="conv_share_percent", points=2, unit="%", decimals=1, expected=100 * _conv_share,
    wrong_units={"a fraction, not a percentage": 0.01},
    mistakes={100 * (1 - _conv_share): "that is the share of the fully connected layers",
              round(100 * _conv_share): "that is the recap's 'about 92%', rounded to a whole percent; the question "
                                        "asks for 1 decimal place"},
    hint_text="Sum the conv rows of `cl.layer_counts(cl.zoo.alexnet_original())` and divide by the total.",
    solution_text=f"`t = cl.layer_counts(cl.zoo.alexnet_original()); 100 * t['count'][t.kind == 'Conv2d'].sum() "
                  f"/ t['count'].sum()` = {100 * _conv_share:.1f} %.",
    example_wrong=100 * (1 - _conv_share),
)

_ops = op_counts(_ALEXNET).sum(numeric_only=True)
_pt = tool_parts(_ALEXNET, "ptflops")
q5 = NumberQuestion(
    name="q5", var="ptflops_total", points=2, unit="ops", rel_tol=0,
    # ptflops' count of the conv, FC, ReLU and pooling layers; ptflops 0.7.5 prints 1,923,112 more for the
    # 2012 AlexNet, the tensor ops it finds inside the two LRN layers (lesson 03 shows both)
    expected=int(_ops["macs"] + _ops["bias_adds"] + 2 * (_ops["activation_ops"] + _ops["pool_inputs"])),
    mistakes={
        tool_total(_ALEXNET, "ptflops"): "that is all ptflops 0.7.5 prints, with the tensor ops it counts inside "
                                         "the two LRN layers; the question leaves LRN out",
        int(_ops["macs"] + _ops["bias_adds"] + _ops["activation_ops"] + _ops["pool_inputs"]):
            "that is ptflops with count_functional=False; by default it counts the ReLU and pooling "
            "elements twice",
        tool_total(_ALEXNET, "torchinfo"): "that is torchinfo's total: add the ReLU and pooling elements (twice)",
        tool_total(_ALEXNET, "thop"): "that is MACs only (thop, fvcore): add bias, ReLU and pooling",
        int(_ops["macs"] + _ops["bias_adds"] + 2 * (_ops["activation_ops"] + _ops["pool_ops"])):
            "ptflops counts the elements a pooling layer reads (pool_inputs), not its window elements",
        int(_ops["macs"] + _ops["bias_adds"] + 2 * (_ops["activation_ops"] + _ops["pool_inputs"]) + _ops["lrn_ops"]):
            "lrn_ops is Netscope's count of LRN's arithmetic; the question leaves LRN out",
    },
    hint_text="Section 5 of the lesson lists what ptflops adds to the MACs, and which of its parts it counts "
              "twice; sum each column of `cl.op_counts(...)` over the layers first.",
    solution_text="`o = cl.op_counts(cl.zoo.alexnet_original()).sum(numeric_only=True); "
                  "o.macs + o.bias_adds + 2 * (o.activation_ops + o.pool_inputs)` = 727,423,208.",
    example_wrong=tool_total(_ALEXNET, "torchinfo"),
)

_fc_weights = fc_equivalent_params((3, 227, 227), (96, 55, 55), bias=False)
q6 = NumberQuestion(
    name="q6", var="conv1_as_fc_weights", points=2, unit="weights", rel_tol=0, expected=_fc_weights,   # exactly
    mistakes={fc_equivalent_params((3, 227, 227), (96, 55, 55), bias=True): "the question asks for weights "
                                                                            "only, without biases",
              34_944: "that is conv1 with its shared kernels; without sharing every output has its own weights"},
    wrong_units={"billions of weights (give the exact count)": 1e-9},
    hint_text="Every one of conv1's 55*55*96 outputs would need a weight for each of the 227*227*3 inputs.",
    solution_text="`cl.fc_equivalent_params((3, 227, 227), (96, 55, 55), bias=False)` = 154,587 x 290,400 "
                  "= 44,892,064,800: over a million times conv1's 34,944.",
    example_wrong=34_944,
)

# q7 reads the per-layer bar chart of AlexNet's MACs.
_names = ("conv1", "conv2", "conv3", "fc1")
_top = _counts.loc[_counts["count"].idxmax(), "name"]
_letters = "abcd"
q7 = ChoiceQuestion(
    name="q7", var="busiest_layer", points=1,
    choices=dict(zip(_letters, _names)), expected=_letters[_names.index(_top)],
    explanations={letter: (f"{name} has the longest bar" if name == _top else
                           "conv1 has the biggest kernel (11x11), but only 3 input channels" if name == "conv1" else
                           "fc1 holds the most weights, but uses each one once per image" if name == "fc1" else
                           f"{name}'s bar is shorter than {_top}'s")
                  for letter, name in zip(_letters, _names)},
    hint_text="The longest bar; its label gives its share of the total.",
    solution_text=f"{_top}: {_counts['share'].max():.1%} of the MACs.",
    example_wrong="d",
)

q8 = ChoiceQuestion(
    name="q8", var="mistake_in_passage", points=2,
    choices={
        "a": "fvcore's 'flops' count each multiply-accumulate once: AlexNet does about 1.45 GFLOPs, so ~12 µs.",
        "b": "The time should be divided by the batch size.",
        "c": "The bias adds (0.66 M) make the real number much larger than 0.72 G.",
        "d": "Nothing is wrong.",
    },
    expected="a",
    explanations={
        "a": "fvcore (issue #69) and ptflops (issue #40) report MACs under the name 'flops'",
        "b": "the passage is about one image; a batch takes longer, not shorter",
        "c": "0.66 M is under 0.1 % of 724 M: not the big mistake here",
        "d": "compare what fvcore calls a flop with what a 120 TFLOP/s peak counts",
    },
    hint_text="What does fvcore call a 'flop'? What does a chip's peak FLOP/s count?",
    solution_text="(a): the peak counts a multiply and an add as 2 FLOPs, so use 2 x 724,406,816 FLOPs.",
    example_wrong="d",
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total: the last cell of the exercise notebook."""
    show_score(QUESTIONS)
