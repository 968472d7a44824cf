"""Training cost (course_lib.training, notebook 09) against published figures and hand-worked counts.

Every expected value here is either a number a paper or datasheet printed (cited beside it)
or arithmetic written out by hand; none is copied from the module's output.
"""
from __future__ import annotations

import math

import pytest

import course_lib as cl

DAY = 86_400


# --- backward = 2 x forward, by counting -------------------------------------------------------

def test_linear_backward_is_two_forward_passes_by_hand():
    # AlexNet's FC6 on a batch of 128: forward 128 x 9216 x 4096 MACs;
    # dX = dY W: (128 x 4096) . (4096 x 9216); dW = dY^T X: (4096 x 128) . (128 x 9216)
    parts = cl.linear_backward_macs(9216, 4096, 128)
    assert parts["forward"] == 4_831_838_208
    assert parts["grad_input"] == 4_831_838_208 and parts["grad_weight"] == 4_831_838_208
    assert parts["backward"] == 2 * 4_831_838_208


def test_conv_and_linear_backward_macs_by_hand():
    # conv 3->8, 3x3, padding 1 on 8x8 (64 outputs x 8 channels x 27 taps = 13,824 MACs), then Linear 512 -> 10.
    net = cl.Network("tiny", (3, 8, 8), [cl.Conv2d(8, 3, padding=1), cl.ReLU(), cl.Flatten(), cl.Linear(10)])
    table = cl.training_macs(net, batch_size=2).set_index("kind")
    assert table.loc["Conv2d", "forward"] == 2 * 13_824
    assert table.loc["Conv2d", "grad_weight"] == 2 * 13_824
    assert table.loc["Conv2d", "grad_input"] == 0          # the image needs no gradient
    assert table.loc["Linear", "forward"] == 2 * 5_120     # 512 x 10 per example
    assert table.loc["Linear", "grad_input"] == 2 * 5_120 and table.loc["Linear", "grad_weight"] == 2 * 5_120
    assert table.loc["ReLU", "backward"] == 0


def test_training_rule_and_exact_count_for_alexnet():
    counts = cl.training_flops_per_example(cl.zoo.alexnet_original())
    forward_macs = 724_406_816             # conv + FC MACs of the 2012 AlexNet, as thop and fvcore report them
    conv1_macs = 105_415_200               # 55 x 55 x 96 x 3 x 11 x 11 (notebook 03)
    assert counts["forward_flops"] == 2 * forward_macs
    assert counts["rule_flops"] == 3 * 2 * forward_macs
    assert counts["counted_flops"] == 2 * (3 * forward_macs - conv1_macs)   # conv1 has no input gradient


@pytest.mark.torch
@pytest.mark.parametrize("layer, shape", [
    ("conv1", (2, 3, 227, 227)),     # AlexNet conv1: 11x11, stride 4
    ("conv3", (2, 256, 13, 13)),     # AlexNet conv3: 3x3, padding 1
    ("fc6", (8, 9216)),
])
def test_backward_flops_match_torch_flop_counter(layer, shape):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    module = {"conv1": lambda: torch.nn.Conv2d(3, 96, 11, 4), "conv3": lambda: torch.nn.Conv2d(256, 384, 3, 1, 1),
              "fc6": lambda: torch.nn.Linear(9216, 4096)}[layer]().to("meta")
    x = torch.zeros(*shape, device="meta", requires_grad=True)   # the input needs a gradient: a middle layer
    with FlopCounterMode(display=False) as forward_counter:
        y = module(x)
    with FlopCounterMode(display=False) as backward_counter:
        y.sum().backward()
    forward, backward = forward_counter.get_total_flops(), backward_counter.get_total_flops()
    assert backward == 2 * forward
    if layer == "fc6":
        assert forward // 2 == cl.linear_backward_macs(9216, 4096, 8)["forward"]


# --- published figures ---------------------------------------------------------------------------

def test_alexnet_five_to_six_days_imply_about_a_third_of_the_peak():
    # Krizhevsky et al. 2012, section 5: "roughly 90 cycles through the training set of 1.2 million
    # images, which took five to six days on two NVIDIA GTX 580 3GB GPUs". GTX 580: 1,581 GFLOP/s fp32.
    total = 3 * 2 * 724_406_816 * 1.2e6 * 90
    at_peak_days = total / (2 * 1.581e12) / DAY
    assert at_peak_days == pytest.approx(1.718, abs=1e-3)
    assert cl.training_time_s(total, "GTX 580", 2) / DAY == pytest.approx(at_peak_days)
    assert cl.implied_mfu(total, 6 * DAY, "GTX 580", 2) == pytest.approx(at_peak_days / 6)
    assert 0.28 < cl.implied_mfu(total, 6 * DAY, "GTX 580", 2) < cl.implied_mfu(total, 5 * DAY, "GTX 580", 2) < 0.35


def test_gpt3_table_d1():
    # Brown et al. 2020, Table D.1: GPT-3 175B, 174,600 M parameters, 300 B tokens, 3.14E+23 FLOPs = 3.64E+03 PF-days.
    assert cl.transformer_param_count(cl.GPT3_175B) == pytest.approx(174_600e6, rel=1e-4)
    flops = cl.transformer_training_flops(174_600e6, 300e9)
    assert round(flops / 1e23, 2) == 3.14
    assert round(flops / (1e15 * DAY) / 1e3, 2) == 3.64
    # the attention term GPT-3's table leaves out: a few % at a 2,048-token context
    with_attention = cl.transformer_training_flops_for(cl.GPT3_175B, 300e9, attention=True)
    assert 1.02 < with_attention / flops < 1.05


# Touvron et al. 2023 (Llama 2), Table 2: GPU-hours (A100-80GB), power per GPU (W), tCO2eq.
LLAMA2_TABLE2 = {"7B": (184_320, 400, 31.22), "13B": (368_640, 400, 62.44), "34B": (1_038_336, 350, 153.90),
                 "70B": (1_720_320, 400, 291.42)}
LLAMA2_TOTAL = (3_311_616, 539.00)


def test_llama2_co2_column_is_gpu_hours_times_power_times_one_carbon_intensity():
    assert sum(h for h, _, _ in LLAMA2_TABLE2.values()) == LLAMA2_TOTAL[0]
    kwh = {size: cl.energy_kwh(hours, watts) for size, (hours, watts, _) in LLAMA2_TABLE2.items()}
    assert kwh["7B"] == 184_320 * 400 / 1000
    intensity = LLAMA2_TOTAL[1] * 1000 / sum(kwh.values())          # kg CO2 per kWh implied by the total
    assert intensity == pytest.approx(0.4235, abs=1e-4)
    for size, (_, _, tco2) in LLAMA2_TABLE2.items():
        assert kwh[size] * intensity / 1000 == pytest.approx(tco2, abs=0.01), size
    assert cl.energy_kwh(184_320, "A100 SXM 80GB bf16") == kwh["7B"]   # the catalog's 400 W is the paper's


def test_llama2_gpu_hours_imply_a_plausible_mfu():
    # 2.0 T tokens (Llama 2, Table 1); A100 bf16 dense peak 312 TFLOP/s (A100 datasheet).
    mfu_7b = cl.mfu_from_device_hours(6 * 6_738_415_616 * 2e12, 184_320, 312e12)
    assert mfu_7b == pytest.approx(6 * 6_738_415_616 * 2e12 / (184_320 * 3600 * 312e12))
    assert mfu_7b == pytest.approx(0.391, abs=1e-3)
    assert cl.transformer_param_count(cl.LLAMA2_70B) == 68_976_648_192    # HF meta-llama/Llama-2-70b-hf
    assert cl.transformer_param_count(cl.LLAMA2_13B) == 13_015_864_320    # HF meta-llama/Llama-2-13b-hf
    mfu_70b = cl.mfu_from_device_hours(6 * 68_976_648_192 * 2e12, 1_720_320, "A100 SXM 80GB bf16")
    assert 0.40 < mfu_70b < 0.45


def test_palm_mfu_46_2_percent():
    # Chowdhery et al. 2022 (PaLM), Table 3: 540B on 6144 TPU v4 chips, 238.3K tokens/s, MFU 46.2%;
    # appendix B: model FLOPs per token 6N + 12 L H Q T; Table 1: 540.35 B params, L 118, H 48, Q 256; T 2048.
    # TPU v4 peak: 275 TFLOP/s bf16 (Google Cloud TPU v4 documentation).
    per_token = cl.transformer_training_flops(540.35e9, 1, 118, 48 * 256, 2048)
    assert per_token == 6 * 540.35e9 + 12 * 118 * 48 * 256 * 2048
    assert round(cl.mfu_from_throughput(238.3e3, per_token, 6144, 275e12) * 100, 1) == 46.2
    assert cl.PALM_540B_ATTENTION == (118, 48 * 256, 2048)


def test_chinchilla_twenty_tokens_per_parameter():
    # Hoffmann et al. 2022: Chinchilla, 70 B parameters on 1.4 T tokens.
    assert cl.tokens_per_parameter(1.4e12, 70e9) == pytest.approx(20)


def test_zero_figure_1():
    # Rajbhandari et al. 2020 (ZeRO), Figure 1: Psi = 7.5 B, N_d = 64, K = 12 -> 120 GB, 31.4 GB, 16.6 GB, 1.9 GB.
    published = {0: 120, 1: 31.4, 2: 16.6, 3: 1.9}
    for stage, gb in published.items():
        assert round(cl.zero_memory(7.5e9, 64, stage)["total"] / 1e9, 1) == gb, stage
    parts = cl.zero_memory(7.5e9, 64, 1)
    assert parts["weights"] == 2 * 7.5e9 and parts["gradients"] == 2 * 7.5e9
    assert parts["optimizer_state"] == 12 * 7.5e9 / 64


# --- communication --------------------------------------------------------------------------------

def test_ring_allreduce_bytes_by_hand():
    assert cl.ring_allreduce_bytes(100, 4) == 150          # 2 x 3/4 x 100
    assert cl.ring_allreduce_bytes(100, 1) == 0
    assert cl.ring_allreduce_bytes(1000, 1000) == pytest.approx(1998)


@pytest.mark.parametrize("name, gbps", [
    ("PCIe 3.0 x16", 8 * 128 / 130 / 8 * 16),       # 8 GT/s, 128b/130b, 16 lanes
    ("PCIe 4.0 x16", 16 * 128 / 130 / 8 * 16),
    ("PCIe 5.0 x16", 32 * 128 / 130 / 8 * 16),
    ("NVLink 3 (A100)", 600 / 2),                    # A100 datasheet: 600 GB/s, both directions
    ("NVLink 4 (H100)", 900 / 2),                    # H100 datasheet: 900 GB/s, both directions
    ("InfiniBand HDR", 200 / 8),                     # 200 Gb/s
    ("InfiniBand NDR", 400 / 8),                     # 400 Gb/s
])
def test_interconnect_catalog(name, gbps):
    assert cl.get_interconnect(name) == pytest.approx(gbps * 1e9, rel=2e-3)


def test_allreduce_time_and_step_bound_by_hand():
    # Llama-2-7B bf16 gradients (2 bytes each) over PCIe 4.0 x16 on 8 GPUs: 2 x 7/8 x 13.48 GB / 31.5 GB/s
    grad = 6_738_415_616 * 2
    assert cl.allreduce_time_s(grad, 8, "PCIe 4.0 x16") == pytest.approx(2 * 7 / 8 * grad / 31.5e9)
    assert cl.allreduce_time_s(grad, 8, 31.5e9) == cl.allreduce_time_s(grad, 8, "pcie 4.0 x16")
    # one sequence of 4,096 tokens per GPU at 6N FLOPs per token, A100 bf16 at 40% MFU
    step = cl.data_parallel_step(6 * 6_738_415_616, 4096, 6_738_415_616, 8, "A100 SXM 80GB bf16", "PCIe 4.0 x16",
                                 mfu=0.4)
    compute = 6 * 6_738_415_616 * 4096 / (312e12 * 0.4)     # ~1.33 s
    comm = 2 * 7 / 8 * grad / 31.5e9                          # ~0.75 s
    assert step["compute_s"] == pytest.approx(compute) and step["communication_s"] == pytest.approx(comm)
    assert step["bound"] == "compute"
    # a quarter of the tokens per GPU over InfiniBand HDR (25 GB/s): compute ~0.33 s, all-reduce ~0.94 s
    over_ib = cl.data_parallel_step(6 * 6_738_415_616, 1024, 6_738_415_616, 8, "A100 SXM 80GB bf16",
                                    "InfiniBand HDR", mfu=0.4)
    assert over_ib["communication_s"] == pytest.approx(2 * 7 / 8 * grad / 25e9)
    assert over_ib["compute_s"] == pytest.approx(compute / 4)
    assert over_ib["bound"] == "communication"



def test_training_run_days_follow_the_longer_of_compute_and_all_reduce():
    # By hand: 1e12 FLOPs per example, batch 1, a 1e12 FLOP/s chip at 50% -> 2 s of compute per step.
    # 1e9 parameters x 2 bytes on 2 devices: each sends 2 x 1/2 x 2e9 = 2e9 bytes; at 0.5e9 B/s -> 4 s.
    # 43,200 examples on 2 devices = 21,600 steps; overlapped 4 s each = 86,400 s = 1 day (compute alone:
    # half a day; one after the other: 6 s, 1.5 days); 2 devices x 24 h = 48 device-hours.
    run = cl.training_run(1e12, 43_200, 1e9, 1e12, n_devices=2, mfu=0.5, link=0.5e9, batch_per_device=1)
    assert run["step_bound"] == "communication"
    assert run["days"] == pytest.approx(1.0) and run["days_compute"] == pytest.approx(0.5)
    assert run["days_serial"] == pytest.approx(1.5)
    assert run["days"] > run["days_compute"]
    assert run["device_hours"] == pytest.approx(48.0)
    assert run["kwh"] is None                 # a peak given as a number has no board power
    # a fast link (8e9 B/s: 0.25 s) leaves compute the bound: the headline is compute alone
    fast = cl.training_run(1e12, 43_200, 1e9, 1e12, n_devices=2, mfu=0.5, link=8e9, batch_per_device=1)
    assert fast["step_bound"] == "compute" and fast["days"] == pytest.approx(0.5)
    assert fast["days_serial"] == pytest.approx(21_600 * 2.25 / 86_400)


def test_training_run_energy_counts_every_device_hour_at_board_power():
    # Llama-2-7B over InfiniBand HDR at 1,024 tokens per GPU is communication-bound (test above):
    # the energy follows the overlapped step, A100 SXM board power 400 W.
    n = 6_738_415_616
    run = cl.training_run(6 * n, 8 * 1024 * 1000, n, "A100 SXM 80GB bf16", 8, 0.4, "InfiniBand HDR", 1024)
    comm = 2 * 7 / 8 * n * 2 / 25e9
    assert run["step_bound"] == "communication" and run["seconds"] == pytest.approx(1000 * comm)
    assert run["device_hours"] == pytest.approx(8 * 1000 * comm / 3600)
    assert run["kwh"] == pytest.approx(run["device_hours"] * 400 / 1000)

# --- memory at scale ----------------------------------------------------------------------------

def test_memory_at_scale_calls_notebook_02_activations():
    net = cl.zoo.alexnet_original()
    params = 60_965_224                                        # AlexNet (2012) parameters, summed layer by layer in tests/hand.py
    mem = cl.training_memory_at_scale(net, batch_per_device=32, n_devices=8, stage=3)
    assert mem["weights"] == pytest.approx(2 * params / 8)
    assert mem["optimizer_state"] == pytest.approx(12 * params / 8)
    assert mem["activations"] == cl.training_memory(net, 32, "fp16", "sgd")["activations"]
    assert mem["total"] == pytest.approx(sum(v for k, v in mem.items() if k != "total"))
    saved = cl.training_memory_at_scale(net, 32, 8, 3, recompute=True)
    assert saved["activations"] < mem["activations"]


def test_recompute_share_by_hand():
    # 9 stored tensors of 1 element each (input + 8 layers): segments of 3. The backward pass starts at the
    # last segment, with all 3 checkpoints held, and recomputes its other 2: 5 of 9
    net = cl.Network("chain", (1,), [cl.Linear(1) for _ in range(8)])
    assert cl.recompute_activation_share(net) == pytest.approx(5 / 9)
    # stored tensors of 1, 8, 4, 2, 1 elements: segments of ceil(sqrt(5)) = 3 -> [1, 8, 4] and [2, 1].
    # Last segment first: checkpoints 1 + 2 and its recomputed 1 = 4; then segment 2's checkpoint is freed and
    # the first segment holds its checkpoint 1 and recomputed 8 + 4 = 13: the peak, 13 of 16
    # (not 1 + 2 + 12 = 15: the checkpoint of a finished segment is no longer needed)
    big_first = cl.Network("big first", (1,), [cl.Linear(8), cl.Linear(4), cl.Linear(2), cl.Linear(1)])
    segments = cl.recompute_segments(big_first)
    assert segments["checkpoint"].tolist() == [1, 2] and segments["recomputed"].tolist() == [12, 1]
    assert segments["held_while_recomputed"].tolist() == [13, 4]
    assert segments["first"].tolist() == ["input", "fc3"] and segments["last"].tolist() == ["fc2", "fc4"]
    assert cl.recompute_activation_share(big_first) == pytest.approx(13 / 16)


def test_lookup_only_params_by_hand():
    # GPT-3: tied token table (used by the output projection); only the 2,048 x 12,288 position table is lookup-only
    assert cl.lookup_only_params(cl.GPT3_175B) == 2048 * 12288
    # Llama 2 7B: RoPE (no position table), untied 32,000 x 4,096 input table
    assert cl.lookup_only_params(cl.LLAMA2_7B) == 32000 * 4096


# --- catalogs --------------------------------------------------------------------------------------

def test_every_catalog_figure_has_a_source_and_says_what_it_is():
    for table in (cl.interconnects(), cl.board_power()):
        assert table["source"].str.len().min() > 20
        assert table["note"].str.contains("datasheet bound|measured").all()


def test_board_power_names_are_devices():
    for name in cl.board_power()["name"]:
        assert cl.training_device(name).name == name


def test_board_power_datasheet_values():
    assert cl.board_power_watts("GTX 580") == 244              # NVIDIA GTX 580 specifications
    assert cl.board_power_watts("A100 SXM 80GB bf16") == 400   # NVIDIA A100 datasheet
    assert cl.board_power_watts("H100 SXM bf16") == 700        # NVIDIA H100 datasheet


def test_cpu_of_2012_peak_by_hand():
    cpu = cl.training_device("Xeon E5-2690 (2012)")
    assert cpu.peak_flops == 8 * 2.9e9 * 16                     # 8 cores x 2.9 GHz x (8-wide add + 8-wide mul)
    assert cpu.mem_bandwidth == 4 * 1600e6 * 8                  # 4 channels of DDR3-1600


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, words", [
    (lambda: cl.training_time_s(1e18, 1e12, 0), ValueError, "n_devices"),
    (lambda: cl.training_time_s(1e18, 1e12, 1, 1.5), ValueError, "mfu"),
    (lambda: cl.training_time_s(1e18, 1e12, 1, 0), ValueError, "mfu"),
    (lambda: cl.training_time_s(-1, 1e12), ValueError, "total_flops"),
    (lambda: cl.training_time_s(1e18, "DDR4-2400 channel"), ValueError, "compute peak"),
    (lambda: cl.mfu_from_device_hours(1e18, 0, 1e12), ValueError, "device_hours"),
    (lambda: cl.ring_allreduce_bytes(100, 0), ValueError, "n_devices"),
    (lambda: cl.ring_allreduce_bytes(100, 2.5), TypeError, "n_devices"),
    (lambda: cl.allreduce_time_s(100, 2, "NVLink 9"), ValueError, "known links"),
    (lambda: cl.zero_memory(1e9, 8, 4), ValueError, "stage"),
    (lambda: cl.board_power_watts("TPU v1"), ValueError, "board power"),
    (lambda: cl.energy_kwh(-1, 400), ValueError, "device_hours"),
    (lambda: cl.tokens_per_parameter(1e12, 0), ValueError, "params"),
    (lambda: cl.training_macs("alexnet"), TypeError, "network"),
    (lambda: cl.linear_backward_macs(0, 10), ValueError, "in_features"),
    (lambda: cl.training_memory_at_scale(cl.zoo.alexnet_original(), 32, 8, 1, recompute="yes"), TypeError,
     "recompute"),
    (lambda: cl.transformer_training_flops(float("nan"), 1e12), ValueError, "params"),
])
def test_bad_input_raises_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()
