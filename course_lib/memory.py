"""Memory of weights, activations and training state; bytes per dtype; does a model fit (notebook 02).

Collect, then total: every function returns bytes (a plain number) or a dict of named
parts whose ``"total"`` is their sum, nanoGPT-style. Units: bytes. Sizes are printed in SI
units (MB = 10^6, GB = 10^9 bytes); GPU capacities in the device catalog are the binary
GiB (2^30 bytes) that GPU memory is really sold in ("8 GB" = 8 GiB), so compare bytes.

The model is deliberately simple, and notebook 02 says so:

- weights: ``params x bytes_per_element``;
- activations ("feature memory", the name convnet-burden, a public table of CNN costs,
  gives them): the input and every layer output that is a new tensor, times the batch
  size, kept for the backward pass. ReLU runs in place, and Flatten and Dropout (at
  inference) reuse their input's storage in torchvision's models, so they add nothing;
- training adds a gradient per weight and the optimizer's state: SGD keeps none,
  SGD with momentum one value per weight (the velocity), Adam two (the running means of
  the gradient and of its square: first and uncentred second moment), as PyTorch's
  ``torch.optim`` does. In fp32 everything is 4 bytes: Adam needs 4 + 4 + 8 = 16 bytes a
  parameter. Mixed-precision training (fp16/bf16; Micikevicius et al., ICLR 2018) keeps
  fp16/bf16 weights and gradients but an fp32 master copy of the weights and fp32 optimizer
  state, which we count together as ``optimizer_state`` as ZeRO does (Rajbhandari et al.,
  SC 2020: 2 + 2 + 12 = 16 bytes a parameter with Adam); only the activations halve.
  Training in int8, int4 or 1-bit is not modelled (such schemes still keep wide master
  weights, gradients and state) and raises ValueError; those widths are for inference.
  Framework workspace, the allocator's slack and the CUDA context are left out.
- inference keeps no activation for a backward pass: a framework frees each layer output
  once the next layer has read it, so ``optimizer="inference"`` counts the peak of the
  activations alive at one time (``inference_activation_elements``): a layer's input and
  output together, plus the block input a residual connection holds.
- activations are stored in the weights' format, except where a weight format is
  weight-only in practice: int4 schemes (GPTQ, AWQ) and binary-weight networks (BWN)
  quantize the weights and keep 16-bit activations, so int4 and 1-bit weights come with
  fp16 activations (``ACTIVATION_DTYPE``); int8 inference quantizes both (W8A8).
  ``activation_dtype=`` overrides it.
"""
from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd

from ._checks import check_choice, check_int
from .analysis import Network, analyze, layer_costs
from .devices import get_device

__all__ = ["DTYPE_BYTES", "OPTIMIZER_STATES", "TRAINING_DTYPES", "ACTIVATION_DTYPE", "FIT_DEVICES", "bytes_per_element",
           "weight_memory", "activation_elements", "inference_activation_elements", "activation_memory", "training_memory", "memory_vs_batch", "fits", "max_batch_size"]

# Bytes of one element in each storage format. IEEE 754 binary32/binary16, bfloat16
# (Google Brain's 16-bit float), int8/int4 integer quantization, and 1 bit per weight
# for binarized networks (BWN / XNOR-Net, Rastegari et al., ECCV 2016).
DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "int4": 0.5, "1-bit": 0.125}

# Extra values an optimizer keeps per parameter (torch.optim: SGD momentum_buffer;
# Adam exp_avg and exp_avg_sq, the first and uncentred second moments). "inference" keeps
# no gradients either.
OPTIMIZER_STATES = {"inference": 0, "sgd": 0, "momentum": 1, "adam": 2}

# The number formats a training step can use: fp32, or fp16/bf16 mixed precision with
# fp32 master weights and fp32 optimizer state (Micikevicius et al., "Mixed Precision
# Training", ICLR 2018; ZeRO, Rajbhandari et al., SC 2020, section 3.1).
TRAINING_DTYPES = ("fp32", "fp16", "bf16")
_MASTER_BYTES = 4   # the fp32 master copy and the fp32 optimizer state of mixed precision

# The format activations are stored in, for each weight format. Weight-only schemes keep 16-bit
# activations: common int4 schemes (GPTQ, Frantar et al. 2023; AWQ, Lin et al. 2024) and
# binary-weight networks (BWN, Rastegari et al. 2016, binarize the weights only). int8
# inference usually quantizes activations too (W8A8).
ACTIVATION_DTYPE = {"fp32": "fp32", "fp16": "fp16", "bf16": "bf16", "int8": "int8", "int4": "fp16", "1-bit": "fp16"}

# The four GPUs of notebook 02, by their catalog names (course_lib/data/devices.csv):
# AlexNet's GTX 580 (3 GB), the GTX 1080 (8 GB), the V100 (32 GB), the H200 (141 GB);
# each "GB" of GPU memory is a GiB (2^30 bytes), as the catalog stores it.
FIT_DEVICES = ("GTX 580", "GTX 1080", "V100 SXM2 fp32", "H200 SXM fp32")

# Layers whose output reuses its input's storage (in-place or a view) in torchvision's models.
_NO_NEW_TENSOR = {"ReLU", "ReLU6", "Flatten", "Dropout"}


def bytes_per_element(dtype: str) -> float:
    """Bytes of one element of ``dtype`` (fp32 4, fp16 2, bf16 2, int8 1, int4 0.5, 1-bit 0.125).

    ValueError lists the known dtypes when ``dtype`` is not one of them.
    """
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string such as 'fp32', got {dtype!r}")
    key = dtype.strip().lower()
    if key not in DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPE_BYTES)}; got {dtype!r}")
    return DTYPE_BYTES[key]


def _network(network) -> Network:
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (e.g. cl.zoo.alexnet()), got {type(network).__name__}")
    return network


def _optimizer(optimizer: str) -> str:
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a string, got {optimizer!r}")
    return check_choice("optimizer", optimizer.strip().lower(), tuple(OPTIMIZER_STATES))


@lru_cache(maxsize=32)
def _counts(network: Network) -> tuple[int, int]:
    """(parameters, activation elements per sample) of ``network``: every function below needs
    them, and a widget asks for the same network on every update, so they are counted once
    (a Network is a frozen dataclass: equal networks share the entry)."""
    params = int(analyze(network)["params"].sum())
    kept = math.prod(network.input_shape)
    for _, kind, _, _, cost in layer_costs(network):
        if kind not in _NO_NEW_TENSOR:
            kept += math.prod(cost.out_shape)
    return params, kept


def weight_memory(network: Network, dtype: str = "fp32") -> float:
    """Bytes to store every parameter: ``params x bytes_per_element(dtype)``.

    AlexNet (2012) in fp32: 60,965,224 x 4 = 243,860,896 bytes = 243.9 MB.
    """
    size = bytes_per_element(dtype)
    total = _counts(_network(network))[0] * size
    return int(total) if total == int(total) else total


def activation_elements(network: Network) -> int:
    """Elements kept per sample: the input and every layer output that is a new tensor."""
    return _counts(_network(network))[1]


_JOIN_KINDS = {"Add", "Concat", "Mul"}     # the rows that join a block's branches to its input


def _joining_block(name: str, joining: set) -> str:
    """The innermost block around ``name`` whose input a later join needs ('' if none)."""
    prefix = name
    while "." in prefix:
        prefix = prefix.rsplit(".", 1)[0]
        if prefix in joining:
            return prefix
    return ""


@lru_cache(maxsize=32)
def _live_peak(network: Network) -> int:
    rows = layer_costs(network)
    # Only a block that joins (residual add, concat, gate multiply) keeps its input alive for later; a plain
    # Block (conv-bn-relu) is just a name for a chain, and its input dies once its first layer has read it.
    joining = {block for name, kind, block, _, _ in rows if kind in _JOIN_KINDS and block and name.startswith(block + ".")}
    block_input, peak = {}, math.prod(network.input_shape)
    for name, kind, block, in_shape, cost in rows:
        held = 0
        owner = _joining_block(name, joining)
        if owner:
            if owner not in block_input:
                block_input[owner] = math.prod(in_shape)      # the first layer of a block reads the block input
            else:
                held = block_input[owner]                     # later layers: the join still needs it
        new = 0 if kind in _NO_NEW_TENSOR else math.prod(cost.out_shape)
        peak = max(peak, math.prod(in_shape) + new + held)
    return peak


def inference_activation_elements(network: Network) -> int:
    """Peak activation elements alive at once per sample in inference (no backward pass to keep them for).

    Layer by layer: its input + its output (0 for an in-place or view layer) + the input of the
    innermost joining block it sits in (a residual, concat or gate block: held for the join), from
    the block's second layer on; the maximum over layers. A plain ``Block`` holds nothing. AlexNet (2012): lrn1 reads conv1's 290,400 and writes 290,400: 580,800.
    A lower bound: a framework's buffers, and a shortcut's own output, come on top.
    """
    return _live_peak(_network(network))


def activation_memory(network: Network, batch_size: int = 1, dtype: str = "fp32") -> float:
    """Bytes of feature maps kept for the backward pass: ``elements per sample x batch x bytes``.

    It grows linearly with ``batch_size``; weights do not (notebook 02).
    """
    batch_size = check_int("batch_size", batch_size, 1)
    total = activation_elements(network) * batch_size * bytes_per_element(dtype)
    return int(total) if total == int(total) else total


def training_memory(network: Network, batch_size: int = 1, dtype: str = "fp32", optimizer: str = "adam",
                    activation_dtype: str | None = None) -> dict:
    """The memory of one training step as named parts (bytes) and their ``"total"``.

    weights + gradients (one per weight) + optimizer state + activations (grow with ``batch_size``).
    ``dtype="fp32"``: every part is 4 bytes an element; the optimizer keeps 0 (SGD), 1 (momentum)
    or 2 (Adam) fp32 values per weight. ``dtype="fp16"`` or ``"bf16"`` is mixed precision:
    2-byte weights, gradients and activations, and an ``optimizer_state`` of the fp32 master
    weights plus the fp32 optimizer values, ``(1 + states) x 4`` bytes per weight, as ZeRO
    counts it. Adam: 4 + 4 + 8 = 16 bytes a parameter in fp32, 2 + 2 + 12 = 16 in mixed precision.
    ``optimizer="inference"``: weights and the peak of live activations
    (``inference_activation_elements``) only, in any dtype (int8, int4, 1-bit too);
    training in int8, int4 or 1-bit raises ValueError. Activations are stored in
    ``activation_dtype``, by default ``ACTIVATION_DTYPE[dtype]`` (fp16 for int4 and 1-bit weights).
    """
    optimizer = _optimizer(optimizer)
    size = bytes_per_element(dtype)
    weights = weight_memory(network, dtype)
    if activation_dtype is None:
        activation_dtype = ACTIVATION_DTYPE[dtype.strip().lower()]
    act_size = bytes_per_element(activation_dtype)
    batch_size = check_int("batch_size", batch_size, 1)
    if optimizer == "inference":
        gradients = state = 0
        activations = inference_activation_elements(network) * batch_size * act_size
        activations = int(activations) if activations == int(activations) else activations
    else:
        if dtype.strip().lower() not in TRAINING_DTYPES:
            raise ValueError(f"dtype {dtype!r} is for inference only: training keeps gradients and optimizer state "
                             f"in fp32 or fp16/bf16 (mixed precision); dtype must be one of "
                             f"{', '.join(TRAINING_DTYPES)} when optimizer={optimizer!r}, or use optimizer='inference'")
        params = _counts(_network(network))[0]
        gradients = weights
        master = 0 if size == _MASTER_BYTES else params * _MASTER_BYTES   # mixed precision's fp32 copy
        state = master + OPTIMIZER_STATES[optimizer] * params * _MASTER_BYTES
        if act_size < 2:
            raise ValueError(f"activation_dtype {activation_dtype!r} is for inference only: training keeps its "
                             f"activations in fp32 or fp16/bf16")
        activations = activation_memory(network, batch_size, activation_dtype)
    parts = {
        "weights": weights,
        "gradients": gradients,
        "optimizer_state": state,
        "activations": activations,
    }
    parts["total"] = sum(parts.values())
    return parts


def memory_vs_batch(network: Network, batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256),
                    dtype: str = "fp32", optimizer: str = "adam") -> pd.DataFrame:
    """One row per batch size: each part of ``training_memory`` in bytes, and the total."""
    if isinstance(batch_sizes, (int, str)) or not hasattr(batch_sizes, "__iter__"):
        raise TypeError(f"batch_sizes must be a list of integers, got {batch_sizes!r}")
    rows = [{"batch_size": check_int("batch_size", b, 1), **training_memory(network, b, dtype, optimizer)}
            for b in batch_sizes]
    if not rows:
        raise ValueError("batch_sizes must hold at least one batch size")
    table = pd.DataFrame(rows)
    table.attrs.update(network=network.name, dtype=dtype, optimizer=optimizer)
    return table


def fits(network: Network, batch_size: int = 1, dtype: str = "fp32", optimizer: str = "adam",
         devices=FIT_DEVICES) -> pd.DataFrame:
    """Does a training step (or inference) fit in each device's memory? One row per device.

    Columns: ``device``, ``capacity_bytes``, ``needed_bytes``, ``fits``, ``used_share``
    (needed / capacity), ``max_batch_size`` (0 when even the weights do not fit).
    """
    needed = training_memory(network, batch_size, dtype, optimizer)["total"]
    rows = []
    for name in devices:
        device = get_device(name)
        if device.memory_bytes is None:
            raise ValueError(f"device {device.name!r} has no memory capacity in the catalog; pick a GPU")
        rows.append({"device": device.name, "capacity_bytes": device.memory_bytes, "needed_bytes": needed,
                     "fits": needed <= device.memory_bytes, "used_share": needed / device.memory_bytes,
                     "max_batch_size": max_batch_size(network, device, dtype, optimizer)})
    table = pd.DataFrame(rows)
    table.attrs.update(network=network.name, batch_size=batch_size, dtype=dtype, optimizer=optimizer)
    return table


def max_batch_size(network: Network, device, dtype: str = "fp32", optimizer: str = "adam") -> int:
    """The largest batch whose ``training_memory`` total fits in ``device``'s memory (0 if none does).

    ``(capacity - weights - gradients - optimizer state) // activation bytes per sample``.
    """
    device = get_device(device)
    if device.memory_bytes is None:
        raise ValueError(f"device {device.name!r} has no memory capacity in the catalog; pick a GPU")
    one = training_memory(network, 1, dtype, optimizer)
    fixed = one["total"] - one["activations"]
    free = device.memory_bytes - fixed
    return max(0, int(free // one["activations"]))
