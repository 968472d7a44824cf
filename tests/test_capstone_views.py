"""Notebook 10's widget view: hand-checked figures in its text, and output or a message for every choice."""
from __future__ import annotations

import itertools

import pandas as pd
import pytest
from matplotlib.figure import Figure

import course_lib as cl
from course_lib.widgets.capstone import REPORT_BATCHES, REPORT_DTYPES, YOUR_MODEL, model_report_view
from course_lib.widgets.roofline import compute_device_names
from tests import hand

DEVICES = compute_device_names()


def _shows_or_says_why(**values):
    try:
        text, top, fig = model_report_view(**values)
    except (ValueError, TypeError) as error:          # build_app shows these as a message
        assert str(error)
        return None
    assert isinstance(text, str) and isinstance(top, pd.DataFrame) and isinstance(fig, Figure)
    return text


@pytest.mark.parametrize("model", list(cl.zoo.MODELS))
def test_every_model_format_and_batch(model):
    for dtype, batch in itertools.product(REPORT_DTYPES, (REPORT_BATCHES[0], REPORT_BATCHES[-1])):
        assert _shows_or_says_why(model=model, device="GTX 1080", dtype=dtype, batch=batch) is not None


@pytest.mark.parametrize("device", DEVICES)
def test_every_device_format_and_batch(device):
    for dtype, batch in itertools.product(REPORT_DTYPES, REPORT_BATCHES):
        assert _shows_or_says_why(model="squeezenet1_1", device=device, dtype=dtype, batch=batch) is not None


def test_alexnet_text_by_hand():
    peak, bandwidth = hand.DATASHEETS["GTX 1080"]
    text, top, _ = model_report_view("alexnet_original", "GTX 1080", "fp32", 1)
    assert f"{hand.ALEXNET_PARAMS:,} parameters, {hand.ALEXNET_MACS:,} MACs" in text
    slow = len(hand.memory_bound(peak, bandwidth))
    assert f"{slow} of 8 conv/linear layers are memory-bound" in text
    assert f"{hand.alexnet_time_s(peak, bandwidth) * 1e6:,.1f} µs" in text
    assert top["name"].tolist()[0] == "conv2"
    # weights 243.86 MB; Adam in fp32: 16 bytes a parameter, 975.4 MB + activations
    assert "weights 243.9 MB" in text


def test_a_memory_without_capacity_is_said_not_crashed():
    text = _shows_or_says_why(model="googlenet", device="Xeon E5345 (seeds)", dtype="fp32", batch=1)
    assert "no memory capacity" in text


def test_int8_cannot_train_and_the_mixed_assumption_is_flagged():
    text, _, _ = model_report_view("googlenet", "GTX 1080", "int8", 8)
    assert "cannot train in int8" in text and "Mixed assumption" in text


def test_your_model():
    mine = cl.Network("mine", (3, 32, 32), (cl.Conv2d(8, 3, padding=1), cl.ReLU(), cl.Flatten(), cl.Linear(10)))
    text, _, _ = model_report_view(YOUR_MODEL, "GTX 1080", "fp32", 4, own=mine)
    # conv 3*9*8 + 8 = 224, fc 8192*10 + 10 = 81,930; MACs 32*32*8*27 + 81,920
    assert "**mine**: 4 layers, 82,154 parameters, 303,104 MACs" in text
    with pytest.raises(ValueError, match="no model of your own"):
        model_report_view(YOUR_MODEL, "GTX 1080", "fp32", 1)


@pytest.mark.parametrize("values, words", [
    (dict(model="lenet"), "model must be one of"),
    (dict(dtype="fp8"), "dtype must be one of"),
    (dict(batch=0), "batch must be >= 1"),
    (dict(device="DDR4-2400 channel"), "DDR4"),
    (dict(device="no such chip"), "no such chip"),
])
def test_impossible_choices_give_a_message(values, words):
    with pytest.raises((ValueError, TypeError), match=words):
        model_report_view(**values)


def test_explorer_builds_with_and_without_your_model():
    app = cl.widgets.model_report_explorer()
    assert app.children
    mine = cl.widgets.model_report_explorer(cl.zoo.resnet18())
    assert YOUR_MODEL in mine.children[1].children[0].options
    with pytest.raises(TypeError, match="network must be a Network"):
        cl.widgets.model_report_explorer("resnet18")
