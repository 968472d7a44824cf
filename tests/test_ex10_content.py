"""Exercise 10's questions: every answer re-derived by hand from the layer shapes, wrong ones fail and say why.

SqueezeNet 1.1 (Iandola et al. 2016; torchvision's layout) is written out below layer by layer, with no
course_lib in the arithmetic; the roofline times use lesson 05's model (each layer reads its input and
weights once and writes its output once; Flatten and Dropout move nothing) and the chips' datasheet
figures typed in tests/hand.py.
"""
from __future__ import annotations

import pytest

from course_lib.checks import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.checks import ex10
from tests import hand
from tests.answers import assert_independent_answer

IDS = [q.name for q in ex10.QUESTIONS]
GIB = 2 ** 30


def _squeezenet_by_hand():
    """(name, kind, input elements, output elements, params, MACs, held) per layer, per image.

    ``held``: elements a block keeps alive for later layers (its input, from its second layer on),
    for the peak of live activations in inference.
    """
    rows = []
    # features.0: conv 3 -> 64, 3x3, stride 2, no padding: (224 - 3) // 2 + 1 = 111
    rows.append(("features.0", "Conv2d", 3 * 224 * 224, 64 * 111 * 111, 3 * 9 * 64 + 64, 111 * 111 * 64 * 27, 0))
    rows.append(("features.1", "ReLU", 64 * 111 * 111, 64 * 111 * 111, 0, 0, 0))
    # max-pool 3, stride 2, ceil mode: (111 - 3) / 2 + 1 = 55
    rows.append(("features.2", "MaxPool2d", 64 * 111 * 111, 64 * 55 * 55, 0, 0, 0))

    def fire(name, c_in, squeeze, expand, side):
        hw = side * side
        rows.append((f"{name}.squeeze", "Conv2d", c_in * hw, squeeze * hw, c_in * squeeze + squeeze,
                     hw * c_in * squeeze, 0))
        rows.append((f"{name}.squeeze_activation", "ReLU", squeeze * hw, squeeze * hw, 0, 0, c_in * hw))
        rows.append((f"{name}.expand.branch1.expand1x1", "Conv2d", squeeze * hw, expand * hw,
                     squeeze * expand + expand, hw * squeeze * expand, 0))
        rows.append((f"{name}.expand.branch1.expand1x1_activation", "ReLU", expand * hw, expand * hw, 0, 0,
                     squeeze * hw))
        rows.append((f"{name}.expand.branch2.expand3x3", "Conv2d", squeeze * hw, expand * hw,
                     9 * squeeze * expand + expand, hw * squeeze * expand * 9, squeeze * hw))
        rows.append((f"{name}.expand.branch2.expand3x3_activation", "ReLU", expand * hw, expand * hw, 0, 0,
                     squeeze * hw))
        # the join row: its input is the block's (the squeeze output), its output the two branches stacked
        rows.append((f"{name}.expand.concat", "Concat", squeeze * hw, 2 * expand * hw, 0, 0, squeeze * hw))

    fire("features.3", 64, 16, 64, 55)
    fire("features.4", 128, 16, 64, 55)
    rows.append(("features.5", "MaxPool2d", 128 * 55 * 55, 128 * 27 * 27, 0, 0, 0))   # (55 - 3) / 2 + 1 = 27
    fire("features.6", 128, 32, 128, 27)
    fire("features.7", 256, 32, 128, 27)
    rows.append(("features.8", "MaxPool2d", 256 * 27 * 27, 256 * 13 * 13, 0, 0, 0))   # (27 - 3) / 2 + 1 = 13
    fire("features.9", 256, 48, 192, 13)
    fire("features.10", 384, 48, 192, 13)
    fire("features.11", 384, 64, 256, 13)
    fire("features.12", 512, 64, 256, 13)
    rows.append(("classifier.0", "Dropout", 512 * 169, 512 * 169, 0, 0, 0))
    rows.append(("classifier.1", "Conv2d", 512 * 169, 1000 * 169, 512 * 1000 + 1000, 169 * 512 * 1000, 0))
    rows.append(("classifier.2", "ReLU", 1000 * 169, 1000 * 169, 0, 0, 0))
    rows.append(("classifier.3", "AdaptiveAvgPool2d", 1000 * 169, 1000, 0, 0, 0))
    rows.append(("flatten", "Flatten", 1000, 1000, 0, 0, 0))
    return rows


SQUEEZENET = _squeezenet_by_hand()
PARAMS = sum(r[4] for r in SQUEEZENET)
IN_PLACE = {"ReLU", "Flatten", "Dropout"}                  # no new tensor (in place, a view, a no-op)
KEPT = 3 * 224 * 224 + sum(r[3] for r in SQUEEZENET if r[1] not in IN_PLACE)
LIVE_PEAK = max(r[2] + (0 if r[1] in IN_PLACE else r[3]) + r[6] for r in SQUEEZENET)


def _time(peak, bandwidth, bytes_per_element=4, batch=1):
    """Lesson 05's model: each layer takes max(2 MACs x batch / peak, bytes moved / bandwidth); a concat reads
    the two branches it stacks (as many elements as it writes), not the block's input."""
    total = 0.0
    for _, kind, inputs, outputs, params, macs, _ in SQUEEZENET:
        reads = outputs if kind == "Concat" else inputs
        moved = 0 if kind in ("Flatten", "Dropout") else ((reads + outputs) * batch + params) * bytes_per_element
        total += max(2 * macs * batch / peak, moved / bandwidth)
    return total


def _memory_bound_convs(peak, bandwidth):
    return [name for name, kind, inputs, outputs, params, macs, _ in SQUEEZENET
            if macs and 2 * macs / ((inputs + outputs + params) * 4) < peak / bandwidth]


def test_hand_model_is_squeezenet():
    # torchvision's published figures for squeezenet1_1: 1,235,496 parameters, 0.35 GFLOPS (GMACs)
    assert PARAMS == 1_235_496
    assert round(sum(r[5] for r in SQUEEZENET) / 1e9, 2) == 0.35
    assert LIVE_PEAK == 64 * 111 * 111 + 64 * 55 * 55      # the first max-pool reads conv1's map, writes its own


def test_questions_are_named_in_order_and_state_their_precision():
    assert [q.name for q in ex10.QUESTIONS] == [f"q{i}" for i in range(1, len(ex10.QUESTIONS) + 1)]
    assert 6 <= len(ex10.QUESTIONS) <= 8
    assert sum(q.points for q in ex10.QUESTIONS) == 13
    for q in ex10.QUESTIONS:
        assert q.name in ex10.__all__ and getattr(ex10, q.name) is q
        if hasattr(q, "decimals"):
            assert (q.decimals is None) != (q.significant is None), f"{q.name} states no precision"
    assert "score" in ex10.__all__ and callable(ex10.score)


@pytest.mark.parametrize("question", ex10.QUESTIONS, ids=IDS)
def test_example_wrong_fails_and_blank_is_not_attempted(question):
    assert question.evaluate({question.var: question.example_wrong}).status == INCORRECT
    assert question.evaluate({question.var: None}).status == NOT_ATTEMPTED


# MobileNetV3-Large's SE gates (torchvision's config; squeeze = make_divisible(expanded / 4, 8)):
# expanded 72 -> 24, 120 -> 32 (two blocks), 480 -> 120, 672 -> 168 (two), 960 -> 240 (two);
# each gate: expanded x squeeze + squeeze (fc1) + squeeze x expanded + expanded (fc2)
SE_PARAMS = sum(n * (2 * e * s + s + e) for e, s, n in ((72, 24, 1), (120, 32, 2), (480, 120, 1), (672, 168, 2),
                                                        (960, 240, 2)))
MNV3_PARAMS = 5_483_032                  # torchvision's published mobilenet_v3_large num_params

PEAK, BANDWIDTH = hand.DATASHEETS["GTX 1080"]
V100_PEAK, V100_BANDWIDTH = hand.DATASHEETS["V100 SXM2 fp32"]


@pytest.mark.parametrize("question, answer", [
    (ex10.q1, (64 * 16 + 16) + (16 * 64 + 64) + (9 * 16 * 64 + 64)),                     # 11,408
    (ex10.q2, 100 * (55 * 55 * 64 * 16 * 9) / (55 * 55 * 64 * 16 * (1 + 9))),             # 90.0
    (ex10.q3, 100 * SE_PARAMS / MNV3_PARAMS),                                              # 1,512,280: 27.6%
    (ex10.q4, LIVE_PEAK * 64 * 4 / 1e6),                                                   # 251.4 MB
    (ex10.q5, (8 * GIB - 16 * PARAMS) // (4 * KEPT)),                                      # 473
    (ex10.q6, len(_memory_bound_convs(V100_PEAK, V100_BANDWIDTH))),                        # 13
    (ex10.q7, _time(PEAK, BANDWIDTH, 4) / _time(PEAK, BANDWIDTH, 1)),                      # 2.07
])
def test_expected_values_worked_by_hand(question, answer):
    assert_independent_answer(question, answer)


@pytest.mark.parametrize("question, answer", [
    (ex10.q1, 11_408), (ex10.q2, 90.0), (ex10.q3, 27.6), (ex10.q4, 251.4), (ex10.q5, 473), (ex10.q6, 13),
    (ex10.q7, 2.07), (ex10.q8, "c"),
])
def test_answers_at_the_stated_precision_pass(question, answer):
    assert question.evaluate({question.var: answer}).status == CORRECT


@pytest.mark.parametrize("question, answer", [
    (ex10.q1, 11_407), (ex10.q2, 89.9), (ex10.q3, 27.5), (ex10.q4, 251.3), (ex10.q5, 472), (ex10.q6, 12),
    (ex10.q7, 2.06), (ex10.q8, "b"),
])
def test_off_by_one_unit_at_the_stated_precision_fails(question, answer):
    assert question.evaluate({question.var: answer}).status == INCORRECT


def test_the_memory_bound_convs_by_name():
    slow = _memory_bound_convs(V100_PEAK, V100_BANDWIDTH)
    assert slow[0] == "features.0" and "features.10.squeeze" in slow and "features.11.squeeze" not in slow
    assert not any("expand3x3" in name for name in slow)
    # on the GTX 1080 (ridge 27.7) four more are: the last two fire modules' squeeze and expand1x1 convs
    assert len(_memory_bound_convs(PEAK, BANDWIDTH)) == 17


@pytest.mark.parametrize("question, answer, words", [
    (ex10.q1, 11_408 - (16 + 64 + 64), "biases"),
    (ex10.q1, (16 * 64 + 64) + (9 * 16 * 64 + 64), "squeeze conv is part"),
    (ex10.q1, (64 * 16 + 16) + (16 * 64 + 64) + (16 * 64 + 64), "3 x 3 kernel"),
    (ex10.q2, 100 * (9 * 16 * 64 + 64) / ((16 * 64 + 64) + (9 * 16 * 64 + 64)), "parameters"),    # 89.5
    (ex10.q2, 10.0, "1x1 branch"),
    (ex10.q2, 100 * 9 * 16 * 64 / (64 * 16 + 16 * 64 + 9 * 16 * 64), "squeeze included"),       # 81.8
    (ex10.q2, 0.9, "fraction"),
    (ex10.q3, 0.276, "fraction"),
    (ex10.q4, KEPT * 64 * 4 / 1e6, "every activation"),                                        # training's
    (ex10.q4, (LIVE_PEAK * 64 * 4 + PARAMS * 4) / 1e6, "weights"),
    (ex10.q4, LIVE_PEAK * 4 / 1e6, "one image"),
    (ex10.q4, LIVE_PEAK * 64 * 4, "bytes, not MB"),
    (ex10.q4, LIVE_PEAK * 64 * 4 / 2 ** 20, "MiB"),
    (ex10.q5, (8 * GIB - 4 * PARAMS) // (4 * LIVE_PEAK), "inference"),                         # 2,185
    (ex10.q5, int((8e9 - 16 * PARAMS) // (4 * KEPT)), "GiB"),                                  # 441
    (ex10.q5, (8 * GIB - 16 * PARAMS) // (2 * KEPT), "2 bytes"),
    (ex10.q6, 17, "GTX 1080"),
    (ex10.q7, 4.0, "ratio of the bytes"),
    (ex10.q7, _time(PEAK, BANDWIDTH, 4) / _time(PEAK, BANDWIDTH, 2), "fp16"),
    (ex10.q8, "a", "bytes"),
])
def test_natural_mistakes_say_why(question, answer, words):
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == INCORRECT and words in feedback.message, feedback.message


def test_q8_googlenet_is_faster_though_it_does_four_times_the_macs():
    import course_lib as cl
    googlenet, effnet = cl.zoo.googlenet(), cl.zoo.efficientnet_b0()
    # torchvision: GoogLeNet 1.50 GMACs, EfficientNet-B0 0.39
    assert cl.analyze(googlenet)["macs"].sum() > 3.8 * cl.analyze(effnet)["macs"].sum()
    times = {n.name: cl.roofline_summary(n, cl.Device("GTX 1080 by hand", PEAK, BANDWIDTH))["time_s"]
             for n in (googlenet, effnet)}
    assert times["GoogLeNet"] < times["EfficientNet-B0"] < 1.15 * times["GoogLeNet"]
    assert ex10.q8.expected == "c"
