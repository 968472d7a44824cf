"""Measuring the learner's machine (course_lib/measure.py): the counts are exact, the rates plausible."""
import math

import numpy as np
import pytest

import course_lib as cl
from course_lib import measure


@pytest.mark.parametrize("n", [1, 3, 64, 1000])
def test_matmul_flops_equals_a_linear_layer_at_batch_n(n):
    # independent path: an n -> n Linear layer without bias, applied to a batch of n vectors
    net = cl.Network("mm", (n,), (cl.Linear(n, bias=False),))
    assert measure.matmul_flops(n) == 2 * cl.analyze(net, batch_size=n)["macs"].sum() * n


@pytest.mark.parametrize("n, width", [(10, 4), (1000, 8), (7, 2)])
def test_copy_bytes_is_source_plus_destination(n, width):
    src = np.zeros(n, dtype=f"f{width}")
    assert measure.copy_bytes(n, width) == src.nbytes + np.empty_like(src).nbytes


@pytest.mark.parametrize("call, parameter", [(lambda: measure.matmul_flops(0), "n"),
                                             (lambda: measure.copy_bytes(0), "n_elements"),
                                             (lambda: measure.measure_copy(megabytes=0), "megabytes"),
                                             (lambda: measure.measure_matmul(sizes=(64,), repeats=0), "repeats")])
def test_bad_input(call, parameter):
    with pytest.raises(ValueError, match=parameter):
        call()


def test_measure_machine_gives_a_drawable_device():
    me = measure.measure_machine("mine")
    assert isinstance(me, cl.Device) and me.name == "mine" and me.precision == "fp32"
    assert 1e8 < me.peak_flops < 1e15 and 1e8 < me.mem_bandwidth < 1e13
    assert math.isfinite(cl.ridge_point(me))


def test_measure_matmul_reports_each_size_and_the_best():
    rates = measure.measure_matmul(sizes=(32, 64), repeats=1)
    assert set(rates) == {32, 64, "best"} and rates["best"] == max(rates[32], rates[64]) > 0
