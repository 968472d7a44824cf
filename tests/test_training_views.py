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


# Notebook 09, section 7 ("Play"): each tip's settings must show what the tip says.
_A100 = "A100 SXM 80GB bf16"


def test_tip_llama_70b_on_2048_a100s_over_infiniband():
    text, _ = training_view("Llama-2-70B", 2e12, _A100, 2048, 0.4, "InfiniBand HDR", 4096)
    # one 4,096-token sequence per GPU: 4096 x 6 x 68,976,648,192 / (312e12 x 0.4) = 13.58 s of compute
    # against 11.03 s of all-reduce: compute bounds; 2e12 / (2048 x 4096) steps x 13.58 s = 37.5 days,
    # 37.5 x 24 x 2048 = 1.84 M device-hours (Llama 2's Table 2: 1,720,320)
    assert "13.58 s" in text and "11.03 s" in text and "Compute bounds the step" in text
    assert "37.5 days" in text and "1,842,325 device-hours" in text
    # half a sequence per GPU: compute 6.79 s < 11.03 s: communication bounds, and the run takes longer
    # than compute alone: 2e12 / (2048 x 2048) x 11.03 s = 60.9 days (compute alone: still 37.5)
    half, _ = training_view("Llama-2-70B", 2e12, _A100, 2048, 0.4, "InfiniBand HDR", 2048)
    assert "Communication bounds the step" in half and "**60.9 days**" in half


def test_tip_llama_7b_in_one_node_pcie_then_nvlink():
    pcie, _ = training_view("Llama-2-7B", 2e12, _A100, 8, 0.4, "PCIe 3.0 x16", 4096)
    nvlink, _ = training_view("Llama-2-7B", 2e12, _A100, 8, 0.4, "NVLink 3 (A100)", 4096)
    # compute 4096 x 6 x 6,738,415,616 / (312e12 x 0.4) = 1.33 s; all-reduce 2 x 7/8 x 13.48 GB / 15.75 GB/s
    # = 1.50 s over PCIe 3.0 (communication bounds), 78.6 ms over NVLink 3 (compute bounds).
    # 2e12 / (8 x 4096) = 61,035,156 steps: x 1.497 s = 2.9 years; x 1.326 s = 2.6 years
    assert "1.50 s" in pcie and "Communication bounds the step" in pcie and "**2.9 years**" in pcie
    assert "78.6 ms" in nvlink and "Compute bounds the step" in nvlink and "**2.6 years**" in nvlink


def test_no_a_before_a_vowel_sound():
    text, _ = training_view("Llama-2-70B", 2e12, _A100, 8, 0.4, "NVLink 3 (A100)", 4096)
    assert " a A" not in text and "each A100 SXM 80GB bf16 holds" in text


def test_choosing_a_model_sets_a_realistic_batch():
    from course_lib.widgets.training import training_explorer
    app = training_explorer()
    controls = {c.description: c for box in app.children[1:-1] for c in box.children}
    assert controls["batch/device"].value == 64            # AlexNet: 128 images over two GPUs
    controls["model"].value = "Llama-2-70B"
    assert controls["batch/device"].value == 4096          # one sequence of Llama 2's 4,096-token context
    controls["model"].value = "GPT-3 175B"
    assert controls["batch/device"].value == 2048

def test_less_than_one_step_is_a_clear_error():
    with pytest.raises(ValueError, match="less than one step"):
        training_view("alexnet_original", 1e6, "H100 SXM bf16", 4096, 0.5, "NVLink 4 (H100)", 4096)


def test_every_device_offered_has_power_and_peak():
    for name in training_devices():
        assert cl.board_power_watts(name) > 0 and cl.training_device(name).peak_flops > 0


def test_data_sizes_span_alexnet_to_llms():
    assert TRAINING_DATA_SIZES[0] == 1e6 and TRAINING_DATA_SIZES[-1] == 1e13
    assert 1e8 in TRAINING_DATA_SIZES   # about AlexNet's 90 x 1.2 M = 1.08e8 images
    assert 2e12 in TRAINING_DATA_SIZES and 3e11 in TRAINING_DATA_SIZES   # Llama 2's and GPT-3's tokens


def test_plots_read_tables():
    table = cl.scaling_table(6 * 6.7e9, 2e12, 6.7e9, "A100 SXM 80GB bf16", (1, 8, 64), 0.4, "PCIe 4.0 x16", 1024)
    assert isinstance(cl.plots.scaling_plot(table, highlight=8), Figure)
    steps = {link: cl.data_parallel_step(6 * 6.7e9, 1024, 6.7e9, 8, "A100 SXM 80GB bf16", link, 0.4)
             for link in ("PCIe 4.0 x16", "NVLink 3 (A100)")}
    import pandas as pd
    assert isinstance(cl.plots.step_time_plot(pd.DataFrame(steps).T), Figure)
