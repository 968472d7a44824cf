"""Notebook 09's widget view and plots: what they say for hand-checked cases, and messages for bad ones."""
from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import course_lib as cl
from course_lib.widgets.training import TRAINING_DATA_SIZES, training_devices, training_view


def test_default_view_is_alexnet_on_two_gtx_580s():
    text, fig = training_view()
    assert isinstance(fig, Figure) and fig.axes
    # 1e8 images x 4,346,440,896 FLOPs / (2 x 1.581e12 x 0.3) = 458,118 s = 5.3 days
    assert "5.3 days" in text and "Compute bounds the step" in text
    assert "fp32 gradients" in text       # the GTX 580 trains in fp32: 4-byte gradients


def test_llama_70b_over_infiniband_is_communication_bound_and_does_not_fit():
    text, _ = training_view("Llama-2-70B", 3e12, "A100 SXM 80GB bf16", 2048, 0.4, "InfiniBand HDR", 2048)
    # compute per step 2048 x 6 x 68,976,648,192 / (312e12 x 0.4) = 6.79 s;
    # all-reduce 2 x 2047/2048 x 137.95 GB / 25 GB/s = 11.03 s
    assert "6.79 s" in text and "11.03 s" in text and "Communication bounds the step" in text
    assert "Does not fit" in text         # 16 bytes x 69 B parameters > 80 GB


def test_less_than_one_step_is_a_clear_error():
    with pytest.raises(ValueError, match="less than one step"):
        training_view("alexnet_original", 1e6, "H100 SXM bf16", 4096, 0.5, "NVLink 4 (H100)", 4096)


def test_every_device_offered_has_power_and_peak():
    for name in training_devices():
        assert cl.board_power_watts(name) > 0 and cl.training_device(name).peak_flops > 0


def test_data_sizes_span_alexnet_to_llms():
    assert TRAINING_DATA_SIZES[0] == 1e6 and TRAINING_DATA_SIZES[-1] == 1e13
    assert 1e8 in TRAINING_DATA_SIZES   # about AlexNet's 90 x 1.2 M = 1.08e8 images


def test_plots_read_tables():
    table = cl.scaling_table(6 * 6.7e9, 2e12, 6.7e9, "A100 SXM 80GB bf16", (1, 8, 64), 0.4, "PCIe 4.0 x16", 1024)
    assert isinstance(cl.plots.scaling_plot(table, highlight=8), Figure)
    steps = {link: cl.data_parallel_step(6 * 6.7e9, 1024, 6.7e9, 8, "A100 SXM 80GB bf16", link, 0.4)
             for link in ("PCIe 4.0 x16", "NVLink 3 (A100)")}
    import pandas as pd
    assert isinstance(cl.plots.step_time_plot(pd.DataFrame(steps).T), Figure)
