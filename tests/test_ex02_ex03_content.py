"""Exercises 02 and 03: every question passes an answer worked out by hand in this file and fails
its known-wrong one; wrong units and known mistakes get their explanation."""
import re

import pytest

from answers import assert_independent_answer
from course_lib.checks import ex02, ex03
from course_lib.checks._core import ChoiceQuestion, FunctionQuestion, NumberQuestion

QUESTIONS = [(m.__name__.rsplit(".", 1)[1], q) for m in (ex02, ex03) for q in m.QUESTIONS]
IDS = [f"{m}-{q.name}" for m, q in QUESTIONS]

# The 2012 AlexNet (Krizhevsky, Sutskever, Hinton, NIPS 2012; 227x227 input, groups=2 on conv2/4/5),
# layer by layer, worked by hand: parameters K*K*(C_in/groups)*C_out + C_out, in*out + out.
ALEXNET_PARAMS = {
    "conv1": 11 * 11 * 3 * 96 + 96,             # 34,944
    "conv2": 5 * 5 * 48 * 256 + 256,            # 307,456
    "conv3": 3 * 3 * 256 * 384 + 384,           # 885,120
    "conv4": 3 * 3 * 192 * 384 + 384,           # 663,936
    "conv5": 3 * 3 * 192 * 256 + 256,           # 442,624
    "fc1": 9216 * 4096 + 4096,                  # 37,752,832
    "fc2": 4096 * 4096 + 4096,                  # 16,781,312
    "fc3": 4096 * 1000 + 1000,                  # 4,097,000
}
ALEXNET_TOTAL = sum(ALEXNET_PARAMS.values())     # 60,965,224 (the paper: "60 million parameters")
FC_PARAMS = ALEXNET_PARAMS["fc1"] + ALEXNET_PARAMS["fc2"] + ALEXNET_PARAMS["fc3"]   # 58,631,144
# MACs: H_out*W_out*C_out*(C_in/groups)*K*K, and in*out
ALEXNET_MACS = {
    "conv1": 55 * 55 * 96 * 3 * 11 * 11,        # 105,415,200
    "conv2": 27 * 27 * 256 * 48 * 5 * 5,        # 223,948,800
    "conv3": 13 * 13 * 384 * 256 * 3 * 3,       # 149,520,384
    "conv4": 13 * 13 * 384 * 192 * 3 * 3,       # 112,140,288
    "conv5": 13 * 13 * 256 * 192 * 3 * 3,       # 74,760,192
    "fc1": 9216 * 4096, "fc2": 4096 * 4096, "fc3": 4096 * 1000,
}
MACS_TOTAL = sum(ALEXNET_MACS.values())          # 724,406,816: what thop and fvcore print
CONV_MACS = sum(v for k, v in ALEXNET_MACS.items() if k.startswith("conv"))   # 665,784,864
BIAS_ADDS = 55 * 55 * 96 + 27 * 27 * 256 + 2 * 13 * 13 * 384 + 13 * 13 * 256 + 4096 + 4096 + 1000   # 659,272
RELU_ELEMENTS = 55 * 55 * 96 + 27 * 27 * 256 + 2 * 13 * 13 * 384 + 13 * 13 * 256 + 4096 + 4096     # 658,272
POOL_INPUTS = 55 * 55 * 96 + 27 * 27 * 256 + 13 * 13 * 256   # 520,288: the maps pool1, pool2, pool3 read


def _resnet50_kept_elements():
    """Elements a ResNet-50 (torchvision, stride on the 3x3 conv) keeps per 224x224 sample for the
    backward pass: the input and every conv, BatchNorm, pool, add and FC output (ReLU runs in place)."""
    kept = 3 * 224 * 224 + 2 * 64 * 112 * 112 + 64 * 56 * 56       # input, stem conv + bn, max pool
    side = 56
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for block in range(blocks):
            out = side // (stride if block == 0 else 1)
            kept += 2 * width * side * side                          # 1x1 conv + bn
            kept += 2 * width * out * out                            # 3x3 conv + bn
            kept += 2 * 4 * width * out * out                        # 1x1 conv + bn
            kept += (2 * 4 * width * out * out if block == 0 else 0)  # downsample conv + bn
            kept += 4 * width * out * out                            # the add
            side = out
    return kept + 2048 + 1000                                        # average pool, fc: 28,101,608


def _conv_param_count(in_channels, out_channels, kernel_size, groups=1):
    return kernel_size ** 2 * (in_channels // groups) * out_channels + out_channels


def _conv_mac_count(out_height, out_width, in_channels, out_channels, kernel_size, groups=1):
    return out_height * out_width * out_channels * (in_channels // groups) * kernel_size ** 2


# GTX 1080 ("8 GB", sold as 8 GiB = 8,589,934,592 B) training AlexNet in fp32 with Adam: weights, gradients
# and 2 Adam states are 4 x 60,965,224 x 4 B = 975,443,584 B; a sample keeps 1,413,347 elements (the 154,587
# input + every conv, LRN, pool and FC output, ReLU in place), 5,653,388 B: 7,614,491,008 / 5,653,388 = 1,346.9.
KEPT_PER_SAMPLE = 3 * 227 * 227 + 55 * 55 * 96 * 2 + 27 * 27 * 96 + 27 * 27 * 256 * 2 + 13 * 13 * 256 \
    + 2 * 13 * 13 * 384 + 13 * 13 * 256 + 6 * 6 * 256 + 4096 + 4096 + 1000
LARGEST_BATCH = (8 * 2 ** 30 - 4 * ALEXNET_TOTAL * 4) // (KEPT_PER_SAMPLE * 4)

HAND_WORKED = [
    (ex02.q1, 5 * 5 * 48 * 256 + 256, 1e-12),                               # 307,456
    (ex02.q2, _conv_param_count, None),
    (ex02.q3, ALEXNET_TOTAL * 4 / 1e6, 1e-12),                              # 243.860896 MB
    (ex02.q4, 100 * FC_PARAMS / ALEXNET_TOTAL, 1e-9),                       # 96.17 %
    (ex02.q5, 138_357_544 * 0.5 / 1e6, 1e-12),   # VGG16's params as torchvision publishes them; int4 = 0.5 B
    (ex02.q6, (25_557_032 * 4 * 4 + _resnet50_kept_elements() * 32 * 4) / 1e9, 1e-12),   # ResNet-50 (torchvision's
                                                 # 25,557,032 params): 4 copies of the weights + 32 samples, 4.006 GB
    (ex02.q7, "d", None),                        # LARGEST_BATCH = 1,346: the first power of two over it is 2048
    (ex02.q8, "b", None),                        # the paper: conv2/4/5 "are connected only to those kernel maps
                                                 # in the previous layer which reside on the same GPU"
    (ex03.q1, ALEXNET_MACS["conv2"], 1e-12),     # 223,948,800
    (ex03.q2, _conv_mac_count, None),
    (ex03.q3, 2 * 4096 * 4096, 1e-12),           # 33,554,432 FLOPs: a MAC is a multiply and an add
    (ex03.q4, 100 * CONV_MACS / MACS_TOTAL, 1e-9),                          # 91.9 %
    (ex03.q5, MACS_TOTAL + BIAS_ADDS + 2 * RELU_ELEMENTS + 2 * POOL_INPUTS, 1e-12),   # 727,423,208
    (ex03.q6, (227 * 227 * 3) * (55 * 55 * 96), 1e-12),                     # 154,587 x 290,400 = 44,892,064,800
    (ex03.q7, "b", None),                        # conv2's 223,948,800 MACs beat conv1 105.4 M, conv3 149.5 M, fc1 37.7 M
    (ex03.q8, "a", None),                        # fvcore counts one "flop" per multiply-add (fvcore issue #69):
                                                 # 2 x 724,406,816 = 1.45 GFLOPs at 120 TFLOP/s is ~12 us
]


@pytest.mark.parametrize("q, answer, rel", HAND_WORKED, ids=lambda v: getattr(v, "name", ""))
def test_hand_worked_answer_passes(q, answer, rel):
    assert_independent_answer(q, answer, rel)


def test_every_question_has_a_hand_worked_answer():
    assert {id(q) for q, _, _ in HAND_WORKED} == {id(q) for _, q in QUESTIONS}


def test_the_hand_worked_sums_are_the_published_totals():
    # AlexNet: thop and fvcore print 724,406,816; torchinfo's Mult-Adds add the bias adds: 725,066,088
    assert ALEXNET_TOTAL == 60_965_224 and MACS_TOTAL == 724_406_816
    assert MACS_TOTAL + BIAS_ADDS == 725_066_088
    assert LARGEST_BATCH == 1346 and 1024 < LARGEST_BATCH < 2048


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_example_wrong_fails(module, q):
    feedback = q.evaluate({q.var: q.example_wrong})
    assert feedback.status == "incorrect", feedback


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_blank_is_not_attempted(module, q):
    assert q.evaluate({q.var: None}).status == "not attempted"
    assert q.evaluate({}).status == "not attempted"


@pytest.mark.parametrize("module, q", QUESTIONS, ids=IDS)
def test_content_is_complete(module, q):
    assert q.points >= 1 and q.hint_text and q.solution_text
    assert q.example_wrong is not None


@pytest.mark.parametrize("module", [ex02, ex03])
def test_names_and_kinds(module):
    names = [q.name for q in module.QUESTIONS]
    assert names == [f"q{i}" for i in range(1, len(names) + 1)] and 6 <= len(names) <= 8
    assert all(getattr(module, n) is q for n, q in zip(names, module.QUESTIONS))
    assert set(module.__all__) >= set(names)
    kinds = {type(q) for q in module.QUESTIONS}
    assert kinds == {NumberQuestion, FunctionQuestion, ChoiceQuestion}
    assert len({q.var for q in module.QUESTIONS}) == len(names)


@pytest.mark.parametrize("q, answer, words", [
    (ex02.q3, 243_860_896, "bytes"),          # bytes, not MB
    (ex02.q3, 243.860896 * 8, "megabits"),
    (ex02.q4, 58_631_144 / 60_965_224, "fraction"),   # FC params / all params = 0.9617, a fraction not a %
    (ex02.q6, ex02.q6.expected * 1e9, "bytes"),
    (ex03.q3, 16_777_216, "MACs"),            # MACs, not FLOPs
    (ex03.q1, 447_897_600, "groups"),
    (ex03.q5, 725_066_088, "torchinfo"),
    (ex03.q5, 724_406_816, "MACs only"),
])
def test_wrong_units_and_known_mistakes_say_why(q, answer, words):
    feedback = q.evaluate({q.var: answer})
    assert feedback.status == "incorrect" and words in feedback.message


@pytest.mark.parametrize("q, cases", [
    (ex02.q2, [((3, 96, 11, 1), 11 * 11 * 3 * 96 + 96),              # 34,944
               ((96, 256, 5, 2), 5 * 5 * 48 * 256 + 256),            # 307,456
               ((32, 32, 3, 32), 3 * 3 * 1 * 32 + 32),               # depthwise: one input channel a filter
               ((12, 24, 7, 3), 7 * 7 * 4 * 24 + 24)]),
    (ex03.q2, [((55, 55, 3, 96, 11, 1), 55 * 55 * 96 * 3 * 121),     # 105,415,200
               ((27, 27, 96, 256, 5, 2), 27 * 27 * 256 * 48 * 25),   # 223,948,800
               ((112, 112, 32, 32, 3, 32), 112 * 112 * 32 * 1 * 9),  # depthwise: 3,612,672
               ((14, 9, 12, 24, 3, 4), 14 * 9 * 24 * 3 * 9)]),
])
def test_function_references_on_hand_worked_cases(q, cases):
    for args, expected in cases:
        assert q.reference(*args) == expected


def test_function_questions_report_a_crash_as_incorrect():
    def broken(*args):
        raise ZeroDivisionError("oops")
    for q in (ex02.q2, ex03.q2):
        assert q.evaluate({q.var: broken}).status == "incorrect"


def test_plot_questions_point_at_the_plot():
    assert ex02.q7.choices[ex02.q7.expected] == "batch 2048"   # LARGEST_BATCH = 1,346 (8 GiB, with the LRN layers)
    assert ex03.q7.choices[ex03.q7.expected] == "conv2"        # 223,948,800 of 724,406,816 MACs
    assert re.search(f"{LARGEST_BATCH:,}", ex02.q7.solution_text)
