"""What training costs: FLOPs, time, utilization, energy, memory and communication (notebook 09).

The same arithmetic as for one forward pass, scaled up to a whole training run:

- **FLOPs per example.** A weighted layer's forward pass does one multiply-accumulate per
  (weight, input, output) triple. Backpropagation does two per triple: one for the gradient
  with respect to the input (``dx += w * dy``, passed to the layer below) and one for the
  gradient with respect to the weight (``dw += x * dy``). So training costs ~3 x the
  forward pass (the first weighted layer needs no input gradient: a little less).
- **Transformers: 6ND.** 2 FLOPs per parameter per token forward, 4 backward: training a
  model of N parameters on D tokens costs ~6ND FLOPs (Kaplan et al. 2020, "Scaling Laws for
  Neural Language Models", section 2.1: C ~ 6NBS for batch B and S steps). It leaves out
  attention (``12 x layers x attention width x context`` FLOPs per token, Chowdhery et al.
  2022, PaLM, appendix B) and counts embedding lookups as if they were matrix products.
- **Time and utilization.** time = FLOPs / (devices x peak x MFU); the model FLOPs
  utilization (MFU) a run reached = FLOPs / (device-seconds x peak).
- **Energy** = device-hours x board power (a datasheet bound, so an upper estimate of the
  chips alone: no host, network or cooling).
- **Communication.** Data parallelism adds every device's gradients after each step: a ring
  all-reduce sends ``2 (n - 1) / n`` x the gradient bytes from each device (Patarasuk &
  Yuan 2009, "Bandwidth optimal all-reduce algorithms for clusters of workstations").
- **Memory at scale.** Mixed-precision Adam keeps 2 + 2 + 12 = 16 bytes per parameter
  (fp16 weights and gradients; fp32 master weights, momentum and variance: Micikevicius et
  al. 2018, "Mixed Precision Training"); ZeRO (Rajbhandari et al. 2020) shards the 12, then
  the gradients, then the weights across the data-parallel devices; activation
  recomputation keeps only checkpoints (Chen et al. 2016, "Training Deep Nets with
  Sublinear Memory Cost").

Catalogs, each figure with its source: ``data/interconnects.csv`` (links, GB/s each way),
``data/board_power.csv`` (watts per catalog device), ``data/training_devices.csv`` (chips
notebook 09 needs that ``devices.csv`` does not hold: a CPU of 2012).
"""
from __future__ import annotations

import math
import numbers
from functools import lru_cache
from importlib import resources

import pandas as pd

from ._checks import check_choice, check_int, check_number
from .analysis import Network, analyze
from .devices import Device, _none_if_nan, get_device
from .memory import _NO_NEW_TENSOR, training_memory
from .transformer import TransformerConfig, get_transformer, transformer_param_count

__all__ = [
    "TRAINING_FACTOR", "MIXED_PRECISION_ADAM_BYTES", "ZERO_STAGES",
    "GPT3_175B", "LLAMA2_13B", "LLAMA2_70B", "PALM_540B_ATTENTION",
    "linear_backward_macs", "training_macs", "training_flops_per_example", "transformer_training_flops",
    "transformer_training_flops_for", "training_time_s", "implied_mfu", "mfu_from_device_hours",
    "mfu_from_throughput", "tokens_per_parameter", "energy_kwh",
    "interconnects", "get_interconnect", "board_power", "board_power_watts", "training_device",
    "ring_allreduce_bytes", "allreduce_time_s", "data_parallel_step",
    "zero_memory", "recompute_activation_share", "training_memory_at_scale",
    "TRAINING_MODELS", "training_model", "training_run", "scaling_table", "published_figures",
]

DAY_S = 86_400   # seconds in a day

# forward (1) + gradient wrt inputs (1) + gradient wrt weights (1), in forward passes
TRAINING_FACTOR = 3

# Mixed-precision Adam, bytes per parameter (Rajbhandari et al. 2020, ZeRO, section 3.1;
# Micikevicius et al. 2018): fp16 weights 2, fp16 gradients 2, and K = 12 of fp32 optimizer
# state (master weights 4, momentum 4, variance 4).
MIXED_PRECISION_ADAM_BYTES = {"weights": 2, "gradients": 2, "optimizer_state": 12}

# What each ZeRO stage shards across the data-parallel devices (ZeRO, Figure 1: P_os, P_os+g, P_os+g+p).
ZERO_STAGES = {0: (), 1: ("optimizer_state",), 2: ("optimizer_state", "gradients"),
               3: ("optimizer_state", "gradients", "weights")}

# GPT-3 175B: Brown et al. 2020, Table 2.1 (96 layers, d_model 12,288, 96 heads of 128, context
# 2,048) with GPT-2's vocabulary, learned positions and tied embeddings; its Table D.1 lists
# 174,600 M parameters.
GPT3_175B = TransformerConfig("GPT-3 175B", n_layers=96, d_model=12288, n_heads=96, vocab_size=50257,
                              max_context=2048)
# Llama 2 13B and 70B: Touvron et al. 2023 and the Hugging Face config.json of
# meta-llama/Llama-2-13b-hf (40 layers, 5,120 wide, d_ff 13,824) and Llama-2-70b-hf
# (80 layers, 8,192 wide, 64 query heads, 8 KV heads, d_ff 28,672).
LLAMA2_13B = TransformerConfig("Llama-2-13B", n_layers=40, d_model=5120, n_heads=40, d_ff=13824, vocab_size=32000,
                               max_context=4096, mlp="swiglu", tied_embeddings=False, bias=False, norm="rmsnorm",
                               position="rope")
LLAMA2_70B = TransformerConfig("Llama-2-70B", n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, d_ff=28672,
                               vocab_size=32000, max_context=4096, mlp="swiglu", tied_embeddings=False, bias=False,
                               norm="rmsnorm", position="rope")
# PaLM 540B's attention, for its model-FLOPs formula (Chowdhery et al. 2022, Table 1: 118 layers,
# 48 heads of 256; sequence length 2,048): layers, attention width (heads x head size), context.
PALM_540B_ATTENTION = (118, 48 * 256, 2048)


def _positive(name, value):
    return check_number(name, value, 0, exclusive_minimum=True)


# --------------------------------------------------------------------------- FLOPs per example --

def linear_backward_macs(in_features: int, out_features: int, batch_size: int = 1) -> dict:
    """MACs of a Linear layer's forward and backward pass on a batch, as named parts.

    forward ``Y = X W^T``: (B x in) . (in x out) = ``B x in x out``;
    gradient wrt input ``dX = dY W``: (B x out) . (out x in) = ``B x out x in``;
    gradient wrt weight ``dW = dY^T X``: (out x B) . (B x in) = ``out x B x in``.
    Bias gradients (a sum over the batch) are additions, not MACs. Notebook 09.
    """
    n_in = check_int("in_features", in_features, 1)
    n_out = check_int("out_features", out_features, 1)
    batch = check_int("batch_size", batch_size, 1)
    parts = {"forward": batch * n_in * n_out, "grad_input": batch * n_out * n_in, "grad_weight": n_out * batch * n_in}
    parts["backward"] = parts["grad_input"] + parts["grad_weight"]
    return parts


def _network(network) -> Network:
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (e.g. cl.zoo.alexnet()), got {type(network).__name__}")
    return network


def training_macs(network: Network, batch_size: int = 1) -> pd.DataFrame:
    """Per layer: forward MACs, and the backward pass's ``grad_input`` and ``grad_weight`` MACs (notebook 09).

    Every conv and Linear MAC ``y += w * x`` has two backward MACs: ``dx += w * dy`` and
    ``dw += x * dy``. The first layer with weights needs no ``grad_input`` (nothing below
    it learns); pooling and activations are counted as 0 MACs, as in notebook 03.
    """
    batch = check_int("batch_size", batch_size, 1)
    table = analyze(_network(network))[["name", "kind", "params", "macs"]].copy()
    table["forward"] = table["macs"] * batch
    weighted = table["params"] > 0
    table["grad_weight"] = table["forward"].where(weighted, 0)
    first = weighted.idxmax() if weighted.any() else None
    table["grad_input"] = table["forward"]
    if first is not None:
        table.loc[first, "grad_input"] = 0
    table["backward"] = table["grad_input"] + table["grad_weight"]
    table = table.drop(columns="macs")
    table.attrs.update(network=network.name, batch_size=batch)
    return table


def training_flops_per_example(network: Network) -> dict:
    """Training FLOPs for one example: the 3 x forward rule and the exact count of ``training_macs``.

    Returns ``forward_flops`` (2 x forward MACs), ``rule_flops`` (3 x that),
    ``counted_flops`` (2 x (forward + grad_input + grad_weight) MACs) and their ratio.
    """
    table = training_macs(network)
    forward = 2 * int(table["forward"].sum())
    counted = forward + 2 * int(table["backward"].sum())
    return {"forward_flops": forward, "rule_flops": TRAINING_FACTOR * forward, "counted_flops": counted,
            "counted_over_forward": counted / forward if forward else float("nan")}


def transformer_training_flops(params: float, tokens: float, n_layers: int = 0, attention_width: int = 0,
                               context: int = 0) -> float:
    """``6 N D`` (Kaplan et al. 2020), plus attention if its shape is given: ``12 x layers x width x context x D``.

    N parameters, D training tokens. Attention (scores q.k and the weighted sum of values, each
    ``width x context`` MACs per layer per token, forward; x 3 for training; x 2 FLOPs per MAC)
    is the term 6ND leaves out; PaLM (Chowdhery et al. 2022, appendix B) counts it this way,
    with every token attending to the full ``context`` (no causal saving). Notebook 09.
    """
    n = _positive("params", params)
    d = _positive("tokens", tokens)
    layers = check_int("n_layers", n_layers, 0)
    width = check_int("attention_width", attention_width, 0)
    ctx = check_int("context", context, 0)
    return 6 * n * d + 12 * layers * width * ctx * d


def transformer_training_flops_for(config, tokens: float, context: int | None = None,
                                   attention: bool = False) -> float:
    """``transformer_training_flops`` for a transformer config: N = its parameter count (embeddings included).

    ``attention=True`` adds the attention term at ``context`` (default: the model's max_context).
    """
    c = get_transformer(config)
    params = transformer_param_count(c)
    if not attention:
        return transformer_training_flops(params, tokens)
    ctx = c.max_context if context is None else check_int("context", context, 1)
    return transformer_training_flops(params, tokens, c.n_layers, c.n_heads * c.head_dim, ctx)


# --------------------------------------------------------------------------- time, MFU, energy --

def training_time_s(total_flops: float, peak_flops: float, n_devices: int = 1, mfu: float = 1.0) -> float:
    """Seconds to do ``total_flops`` on ``n_devices`` chips of ``peak_flops`` FLOP/s each at utilization ``mfu``.

    ``total / (n x peak x mfu)``. ``peak_flops`` may be a catalog device (its peak is used). Notebook 09.
    """
    total = _positive("total_flops", total_flops)
    peak = _peak(peak_flops)
    n = check_int("n_devices", n_devices, 1)
    u = check_number("mfu", mfu, 0, 1, exclusive_minimum=True)
    return total / (n * peak * u)


def _peak(device_or_flops) -> float:
    if isinstance(device_or_flops, (str, Device)):
        device = training_device(device_or_flops)
        if device.peak_flops is None:
            raise ValueError(f"device {device.name!r} has no compute peak; pick a chip")
        return device.peak_flops
    return _positive("peak_flops", device_or_flops)


def implied_mfu(total_flops: float, seconds: float, peak_flops, n_devices: int = 1) -> float:
    """The utilization a run reached: ``total / (seconds x n x peak)`` (a fraction of the peak)."""
    total = _positive("total_flops", total_flops)
    s = _positive("seconds", seconds)
    n = check_int("n_devices", n_devices, 1)
    return total / (s * n * _peak(peak_flops))


def mfu_from_device_hours(total_flops: float, device_hours: float, peak_flops) -> float:
    """MFU from reported GPU-hours (or TPU-chip-hours): ``total / (hours x 3600 x peak)``.

    Llama 2's Table 2 gives GPU-hours; with 6ND FLOPs and the A100's 312 TFLOP/s bf16 peak
    this is the share of the peak the run's useful arithmetic reached. Notebook 09.
    """
    hours = _positive("device_hours", device_hours)
    return implied_mfu(total_flops, hours * 3600, peak_flops, 1)


def mfu_from_throughput(tokens_per_s: float, flops_per_token: float, n_devices: int, peak_flops) -> float:
    """MFU from a measured throughput (PaLM's definition, Chowdhery et al. 2022, section 4.1):
    ``tokens/s x model FLOPs per token / (n x peak)``."""
    rate = _positive("tokens_per_s", tokens_per_s)
    per_token = _positive("flops_per_token", flops_per_token)
    n = check_int("n_devices", n_devices, 1)
    return rate * per_token / (n * _peak(peak_flops))


def tokens_per_parameter(tokens: float, params: float) -> float:
    """Training tokens per parameter, D / N (Chinchilla's compute-optimal ratio is ~20: Hoffmann et al. 2022)."""
    return _positive("tokens", tokens) / _positive("params", params)


def energy_kwh(device_hours: float, watts) -> float:
    """Energy of ``device_hours`` at ``watts`` each (a number, or a device in ``board_power``): hours x W / 1000.

    With a datasheet board power this is an upper estimate for the chips alone (no host
    CPUs, network, cooling: a data centre's PUE multiplies it). Notebook 09.
    """
    hours = check_number("device_hours", device_hours, 0)
    if isinstance(watts, (str, Device)):
        watts = board_power_watts(watts)
    return hours * _positive("watts", watts) / 1000


# --------------------------------------------------------------------------- catalogs --------

def _read_csv(name: str) -> pd.DataFrame:
    with resources.files("course_lib").joinpath(f"data/{name}").open(encoding="utf-8") as f:
        return pd.read_csv(f, keep_default_na=False, na_values={"peak_flops": [""], "memory_bytes": [""]})


@lru_cache(maxsize=1)
def _interconnects() -> pd.DataFrame:
    return _read_csv("interconnects.csv")


def interconnects() -> pd.DataFrame:
    """Links between chips (PCIe, NVLink, InfiniBand): GB/s in each direction, source and note."""
    return _interconnects().copy()


def get_interconnect(name: str) -> float:
    """Bytes/s in each direction of the catalog link ``name`` (case does not matter)."""
    if not isinstance(name, str):
        raise TypeError(f"link must be a link name (a string) or bytes/s (a number), got {name!r}")
    table = _interconnects()
    match = table[table["name"].str.lower() == name.strip().lower()]
    if match.empty:
        raise ValueError(f"unknown link {name!r}; the known links are: {', '.join(table['name'])}")
    return float(match["GBps_per_direction"].iloc[0]) * 1e9


@lru_cache(maxsize=1)
def _board_power() -> pd.DataFrame:
    return _read_csv("board_power.csv")


def board_power() -> pd.DataFrame:
    """Board power (W) of catalog devices, with its source: datasheet maxima, not measured draw."""
    return _board_power().copy()


def board_power_watts(device) -> float:
    """The board power in watts of ``device`` (a name from ``board_power()`` or a Device)."""
    name = device.name if isinstance(device, Device) else device
    if not isinstance(name, str):
        raise TypeError(f"device must be a device name (a string), got {device!r}")
    table = _board_power()
    match = table[table["name"].str.lower() == name.strip().lower()]
    if match.empty:
        raise ValueError(f"no board power for {name!r}; the devices with one are: {', '.join(table['name'])}")
    return float(match["watts"].iloc[0])


@lru_cache(maxsize=1)
def _extra_devices() -> dict:
    return {row["name"].lower(): Device(name=row["name"], peak_flops=_none_if_nan(row["peak_flops"]),
                                        mem_bandwidth=float(row["mem_bandwidth"]),
                                        memory_bytes=_none_if_nan(row["memory_bytes"]),
                                        precision=row["precision"], source=row["source"])
            for _, row in _read_csv("training_devices.csv").iterrows()}


def training_device(name) -> Device:
    """A device from the catalog (``cl.get_device``) or from ``data/training_devices.csv`` (the CPU of 2012)."""
    if isinstance(name, str) and name.strip().lower() in _extra_devices():
        return _extra_devices()[name.strip().lower()]
    return get_device(name)


# --------------------------------------------------------------------------- communication ---

def ring_allreduce_bytes(gradient_bytes: float, n_devices: int) -> float:
    """Bytes each device sends (and receives) in a ring all-reduce: ``2 (n - 1) / n x gradient bytes``.

    A reduce-scatter (n - 1 steps of 1/n of the data) then an all-gather (n - 1 more): each
    device moves almost twice its gradients, whatever n. One device: 0. Notebook 09.
    """
    g = check_number("gradient_bytes", gradient_bytes, 0)
    n = check_int("n_devices", n_devices, 1)
    return 2 * (n - 1) / n * g


def _link_bandwidth(link) -> float:
    if isinstance(link, numbers.Real) and not isinstance(link, bool):
        return _positive("link", link)
    return get_interconnect(link)


def allreduce_time_s(gradient_bytes: float, n_devices: int, link) -> float:
    """Seconds of a ring all-reduce: ``ring_allreduce_bytes / link bandwidth`` (bytes/s each way).

    ``link`` is a name from ``interconnects()`` or bytes/s. The datasheet bound: latency and
    protocol overhead, which real libraries (NCCL) pay, are left out.
    """
    return ring_allreduce_bytes(gradient_bytes, n_devices) / _link_bandwidth(link)


def data_parallel_step(flops_per_example: float, batch_per_device: int, params: float, n_devices: int,
                       device, link, mfu: float = 0.5, gradient_bytes_per_param: float = 2) -> dict:
    """One data-parallel training step: compute time vs all-reduce time, and which bounds the step.

    compute = ``flops_per_example x batch_per_device / (peak x mfu)``; communication =
    ``allreduce_time_s(params x gradient_bytes_per_param, n_devices, link)``. ``overlapped_s``
    is the step if communication hides behind compute (the larger of the two), ``serial_s``
    if it does not (their sum). Notebook 09.
    """
    flops = _positive("flops_per_example", flops_per_example) * check_int("batch_per_device", batch_per_device, 1)
    peak = _peak(device)
    u = check_number("mfu", mfu, 0, 1, exclusive_minimum=True)
    grad = _positive("params", params) * _positive("gradient_bytes_per_param", gradient_bytes_per_param)
    compute = flops / (peak * u)
    sent = ring_allreduce_bytes(grad, n_devices)
    comm = sent / _link_bandwidth(link)
    return {"compute_s": compute, "communication_s": comm, "gradient_bytes": grad, "bytes_sent": sent,
            "bound": "communication" if comm > compute else "compute",
            "overlapped_s": max(compute, comm), "serial_s": compute + comm,
            "comm_over_compute": comm / compute}


# --------------------------------------------------------------------------- memory at scale -

def zero_memory(params: float, n_devices: int = 1, stage: int = 0, optimizer_bytes: float = 12) -> dict:
    """Per-device bytes of the model states in mixed-precision Adam, with ZeRO stage ``stage`` (0-3).

    weights 2 x params, gradients 2 x params, optimizer state K x params (K = 12: fp32 master
    weights, momentum and variance); stage 1 divides the optimizer state by ``n_devices``,
    stage 2 also the gradients, stage 3 also the weights (Rajbhandari et al. 2020, ZeRO,
    Figure 1: 7.5 B parameters on 64 devices -> 120, 31.4, 16.6 and 1.9 GB). Activations are
    not model states: see ``training_memory_at_scale``.
    """
    p = _positive("params", params)
    n = check_int("n_devices", n_devices, 1)
    stage = check_choice("stage", stage, tuple(ZERO_STAGES))
    k = _positive("optimizer_bytes", optimizer_bytes)
    per_param = {**MIXED_PRECISION_ADAM_BYTES, "optimizer_state": k}
    parts = {part: p * b / (n if part in ZERO_STAGES[stage] else 1) for part, b in per_param.items()}
    parts["total"] = sum(parts.values())
    return parts


def recompute_activation_share(network: Network) -> float:
    """The share of activation memory kept with activation recomputation (checkpointing), in (0, 1].

    Chen et al. 2016: split the L stored tensors into segments of ~sqrt(L); keep only each
    segment's first tensor, and during the backward pass recompute one segment at a time.
    Kept = the checkpoints + the largest segment. Costs one more forward pass (training ~4 x
    forward instead of 3 x). The tensors are the ones notebook 02 keeps (the input and
    every layer output that is a new tensor).
    """
    table = analyze(_network(network))
    sizes = [math.prod(network.input_shape)] + [int(a) for a, kind in zip(table["activations"], table["kind"])
                                                 if kind not in _NO_NEW_TENSOR]
    k = max(1, math.ceil(math.sqrt(len(sizes))))
    segments = [sizes[i:i + k] for i in range(0, len(sizes), k)]
    kept = sum(s[0] for s in segments) + max(sum(s[1:]) for s in segments)
    return kept / sum(sizes)


def training_memory_at_scale(network: Network, batch_per_device: int = 32, n_devices: int = 1, stage: int = 0,
                             recompute: bool = False) -> dict:
    """Per-device training memory (bytes): ZeRO-sharded mixed-precision Adam states + fp16 activations.

    Activations come from notebook 02's accounting (``cl.training_memory``, fp16, at the
    per-device batch); ``recompute=True`` keeps only ``recompute_activation_share`` of them.
    """
    network = _network(network)
    batch = check_int("batch_per_device", batch_per_device, 1)
    if not isinstance(recompute, bool):
        raise TypeError(f"recompute must be True or False, got {recompute!r}")
    params = float(analyze(network)["params"].sum())
    parts = zero_memory(params, n_devices, stage)
    del parts["total"]
    activations = training_memory(network, batch, "fp16", "sgd")["activations"]
    parts["activations"] = activations * (recompute_activation_share(network) if recompute else 1)
    parts["total"] = sum(parts.values())
    return parts


# --------------------------------------------------------------------------- whole runs --------

# The models notebook 09's widget offers: the zoo CNNs (per image) and transformers (per token).
TRAINING_MODELS = ("alexnet_original", "alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2",
                   "GPT-2 small", "Llama-2-7B", "Llama-2-13B", "Llama-2-70B", "GPT-3 175B")
_EXTRA_TRANSFORMERS = {c.name: c for c in (GPT3_175B, LLAMA2_13B, LLAMA2_70B)}


@lru_cache(maxsize=32)
def training_model(name: str) -> dict:
    """Training FLOPs per example and parameters of a model by name (``TRAINING_MODELS``).

    A zoo CNN: 3 x its forward FLOPs per image. A transformer: 6 x its parameters per
    token (Kaplan's rule, attention left out).
    """
    from . import zoo

    check_choice("model", name, TRAINING_MODELS)
    if name in zoo.MODELS:
        network = zoo.MODELS[name]()
        return {"model": name, "flops_per_example": training_flops_per_example(network)["rule_flops"],
                "params": int(analyze(network)["params"].sum()), "example": "image"}
    config = _EXTRA_TRANSFORMERS.get(name) or get_transformer(name)
    params = transformer_param_count(config)
    return {"model": name, "flops_per_example": 6 * params, "params": params, "example": "token"}


def training_run(flops_per_example: float, examples: float, params: float, device, n_devices: int = 1,
                 mfu: float = 0.4, link="NVLink 4 (H100)", batch_per_device: int = 1,
                 gradient_bytes_per_param: float = 2) -> dict:
    """A whole data-parallel run: total FLOPs, steps, days, device-hours and energy (notebook 09's widget).

    ``examples`` images (or tokens) seen in all, ``batch_per_device`` per step on each of
    ``n_devices``. Days at the MFU (``days``), and with each step's all-reduce added when it
    is not hidden behind compute (``days_serial``). Energy at the device's board power
    (``kwh``; None when the catalog has no power for it).
    """
    total_examples = _positive("examples", examples)
    n = check_int("n_devices", n_devices, 1)
    batch = check_int("batch_per_device", batch_per_device, 1)
    if total_examples < n * batch:
        raise ValueError(f"examples={total_examples:,.0f} is less than one step of {n} devices x {batch} "
                         f"examples; raise examples or lower the batch")
    step = data_parallel_step(flops_per_example, batch, params, n, device, link, mfu, gradient_bytes_per_param)
    steps = total_examples / (n * batch)
    seconds = steps * step["compute_s"]
    seconds_serial = steps * step["serial_s"]
    device_hours = seconds * n / 3600
    try:
        kwh = energy_kwh(device_hours, device)
    except ValueError:
        kwh = None
    return {"total_flops": flops_per_example * total_examples, "steps": steps, "seconds": seconds,
            "days": seconds / DAY_S, "days_serial": seconds_serial / DAY_S, "device_hours": device_hours,
            "kwh": kwh, **{f"step_{k}": v for k, v in step.items()}}



def scaling_table(flops_per_example: float, examples: float, params: float, device, device_counts=(1, 8, 64, 512),
                  mfu: float = 0.4, link="NVLink 4 (H100)", batch_per_device: int = 1,
                  gradient_bytes_per_param: float = 2) -> pd.DataFrame:
    """``training_run`` for each number of devices: days with and without the all-reduce (one row each)."""
    rows = []
    for n in device_counts:
        run = training_run(flops_per_example, examples, params, device, n, mfu, link, batch_per_device,
                           gradient_bytes_per_param)
        rows.append({"n_devices": n, "days": run["days"], "days_serial": run["days_serial"],
                     "bound": run["step_bound"], "device_hours": run["device_hours"]})
    table = pd.DataFrame(rows)
    table.attrs.update(device=training_device(device).name, link=link, mfu=mfu, batch_per_device=batch_per_device)
    return table


def published_figures() -> pd.DataFrame:
    """Each published figure notebook 09 checks, its source, and what the course computes for it."""
    alexnet = training_flops_per_example(__import__("course_lib").zoo.alexnet_original())["rule_flops"] * 1.2e6 * 90
    at_peak = training_time_s(alexnet, "GTX 580", 2) / DAY_S
    gpt3 = transformer_training_flops(transformer_param_count(GPT3_175B), 300e9)
    palm = mfu_from_throughput(238.3e3, transformer_training_flops(540.35e9, 1, *PALM_540B_ATTENTION), 6144,
                               "TPU v4")
    llama_kwh = sum(energy_kwh(h, w) for h, w in ((184_320, 400), (368_640, 400), (1_038_336, 350),
                                                   (1_720_320, 400)))
    rows = [
        ("AlexNet: 5-6 days on two GTX 580s (90 epochs, 1.2 M images)", "Krizhevsky et al. 2012, section 5",
         "5-6 days", f"{at_peak:.2f} days at the fp32 peak: {at_peak / 6:.0%}-{at_peak / 5:.0%} utilization"),
        ("GPT-3 175B parameters", "Brown et al. 2020, Table D.1", "174,600 M",
         f"{transformer_param_count(GPT3_175B) / 1e6:,.0f} M"),
        ("GPT-3 training compute", "Brown et al. 2020, Table D.1", "3.14e23 FLOPs", f"{gpt3:.3g} FLOPs (6ND)"),
        ("Llama 2 7B on 2.0 T tokens: A100-80GB GPU-hours", "Touvron et al. 2023, Tables 1 and 2", "184,320",
         f"MFU {mfu_from_device_hours(6 * transformer_param_count('Llama-2-7B') * 2e12, 184_320, 312e12):.1%}"
         " (6ND at 312 TFLOP/s bf16)"),
        ("Llama 2 70B on 2.0 T tokens: A100-80GB GPU-hours", "Touvron et al. 2023, Tables 1 and 2", "1,720,320",
         f"MFU {mfu_from_device_hours(6 * transformer_param_count(LLAMA2_70B) * 2e12, 1_720_320, 312e12):.1%}"
         " (6ND at 312 TFLOP/s bf16)"),
        ("Llama 2 pretraining emissions: 539 tCO2eq", "Touvron et al. 2023, Table 2", "539.00 t",
         f"{llama_kwh:,.0f} kWh at the table's power caps: 539 t means {539e3 / llama_kwh:.4f} kg CO2/kWh"),
        ("PaLM 540B MFU", "Chowdhery et al. 2022, Table 3", "46.2%", f"{palm:.1%}"),
        ("Chinchilla: 70 B parameters, 1.4 T tokens", "Hoffmann et al. 2022", "~20 tokens/parameter",
         f"{tokens_per_parameter(1.4e12, 70e9):.0f}"),
        ("ZeRO: 7.5 B params, 64 GPUs", "Rajbhandari et al. 2020, Figure 1", "120 / 31.4 / 16.6 / 1.9 GB",
         " / ".join(f"{zero_memory(7.5e9, 64, s)['total'] / 1e9:.1f}" for s in ZERO_STAGES) + " GB"),
    ]
    return pd.DataFrame(rows, columns=["figure", "source", "published", "the course computes"])
