"""Per-device memory when training at scale: ZeRO sharding and activation recomputation (notebook 09, section 5).

Mixed-precision Adam keeps 2 + 2 + 12 = 16 bytes per parameter (fp16 weights and
gradients; fp32 master weights, momentum and second moment: Micikevicius et al. 2018, "Mixed
Precision Training"); ZeRO (Rajbhandari et al. 2020) shards the 12, then the gradients,
then the weights across the data-parallel devices; activation recomputation keeps only
checkpoints (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost").
"""
from __future__ import annotations

import math

import pandas as pd

from .._checks import check_choice, check_int
from ..analysis import Network, analyze
from ..memory import _NO_NEW_TENSOR, training_memory
from ._base import _network, _positive

__all__ = ["MIXED_PRECISION_ADAM_BYTES", "ZERO_STAGES", "zero_memory", "recompute_segments",
           "recompute_activation_share", "training_memory_at_scale"]

# Mixed-precision Adam, bytes per parameter (Rajbhandari et al. 2020, ZeRO, section 3.1;
# Micikevicius et al. 2018): fp16 weights 2, fp16 gradients 2, and K = 12 of fp32 optimizer
# state (master weights 4, momentum 4, second moment 4: ZeRO calls it "variance").
MIXED_PRECISION_ADAM_BYTES = {"weights": 2, "gradients": 2, "optimizer_state": 12}

# What each ZeRO stage shards across the data-parallel devices (ZeRO, Figure 1: P_os, P_os+g, P_os+g+p).
ZERO_STAGES = {0: (), 1: ("optimizer_state",), 2: ("optimizer_state", "gradients"),
               3: ("optimizer_state", "gradients", "weights")}

def zero_memory(params: float, n_devices: int = 1, stage: int = 0, optimizer_bytes: float = 12) -> dict:
    """Per-device bytes of the model states in mixed-precision Adam, with ZeRO stage ``stage`` (0-3).

    weights 2 x params, gradients 2 x params, optimizer state K x params (K = 12: fp32 master
    weights, momentum and second moment); stage 1 divides the optimizer state by ``n_devices``,
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


def recompute_segments(network: Network) -> pd.DataFrame:
    """The segments activation recomputation splits a network's stored tensors into (elements per sample).

    Chen et al. 2016: split the L stored tensors into segments of ~sqrt(L) (``ceil(sqrt(L))``
    here); keep only each segment's first tensor (``checkpoint``), and during the backward
    pass recompute one segment's other tensors (``recomputed``) at a time. The tensors are
    the ones notebook 02 keeps (the input and every layer output that is a new tensor), in
    order; ``first`` and ``last`` name the layers a segment spans. Notebook 09, section 5.

    ``held_while_recomputed``: what is in memory while that segment is recomputed. The backward
    pass runs from the last segment to the first and frees each checkpoint once its segment is
    done, so segment k holds the checkpoints of segments 1..k plus its own recomputed tensors.
    """
    network = _network(network)
    table = analyze(network)
    stored = [("input", math.prod(network.input_shape))] + [
        (name, int(a)) for name, a, kind in zip(table["name"], table["activations"], table["kind"])
        if kind not in _NO_NEW_TENSOR]
    k = max(1, math.ceil(math.sqrt(len(stored))))
    rows = [{"first": seg[0][0], "last": seg[-1][0], "tensors": len(seg), "checkpoint": seg[0][1],
             "recomputed": sum(size for _, size in seg[1:])}
            for seg in (stored[i:i + k] for i in range(0, len(stored), k))]
    segments = pd.DataFrame(rows)
    segments["total"] = segments["checkpoint"] + segments["recomputed"]
    segments["held_while_recomputed"] = segments["checkpoint"].cumsum() + segments["recomputed"]
    segments.attrs.update(network=network.name, segment_size=k)
    return segments


def recompute_activation_share(network: Network) -> float:
    """The share of activation memory kept with activation recomputation (checkpointing), in (0, 1].

    Kept = the peak of ``recompute_segments``' ``held_while_recomputed``: while the backward
    pass recomputes segment k, the checkpoints of segments 1..k and segment k's other tensors.
    With L tensors of equal size that is about 2 sqrt(L) of them, at the last segment. Costs one
    more forward pass (training ~4 x forward instead of 3 x). A network whose first layers hold
    most of its activations (VGG) keeps most of them: its first segment stays big.
    """
    segments = recompute_segments(network)
    return float(segments["held_while_recomputed"].max() / segments["total"].sum())


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


