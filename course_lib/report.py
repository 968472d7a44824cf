"""A model report: the whole course's analysis of one network, as tables and dicts (notebook 10).

Nothing here counts on its own: every number comes from ``analyze`` (notebooks 01-03),
``roofline`` (04-05), ``course_lib.memory`` (02) and ``course_lib.compression`` (06). This
module picks, groups and totals their rows for one model:

- ``top_layers``: where the MACs, parameters or activations are;
- ``concat_blocks`` / ``branch_costs``: what each branch of a concatenating block
  (GoogLeNet's Inception, SqueezeNet's fire) costs;
- ``gate_blocks`` / ``gate_costs``: a squeeze-and-excitation gate against the block it sits in:
  tiny parameters and MACs, but its own pass over the feature map;
- ``memory_by_batch`` / ``largest_batches``: inference (weights + the peak of live activations)
  and training with Adam (weights + gradients + optimizer state + every kept activation);
- ``roofline_summary``: memory-bound layers and the lower-bound time per sample;
- ``compression_whatif``: fp16, int8 and pruning, and what they do to bytes and time;
- ``small_cnn_path`` / ``model_or_fallback``: bring your own model (ONNX, PyTorch), or carry on
  with a zoo model when the optional package is not installed.

Time and traffic use lesson 05's simple model: each layer reads its input and its weights from
memory once and writes its output once (nothing cached, nothing fused), and takes the longer of
its compute time at the datasheet peak and its memory time at the datasheet bandwidth. The times
are lower bounds: a real kernel reaches less than either datasheet figure.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ._checks import check_choice, check_int
from .analysis import Network, analyze
from .compression import nonzero_macs, prune, quantize
from .devices import _compute_device, get_device
from .memory import ACTIVATION_DTYPE, DTYPE_BYTES, TRAINING_DTYPES, max_batch_size, training_memory
from .roofline import roofline

__all__ = ["top_layers", "concat_blocks", "branch_costs", "gate_blocks", "gate_costs", "memory_by_batch",
           "largest_batches", "roofline_summary", "compression_whatif", "WHATIF_VARIANTS", "small_cnn_path",
           "model_or_fallback"]

_TOP_COLUMNS = ("macs", "params", "activations")


def _network(network) -> Network:
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network (e.g. cl.zoo.googlenet()), got {type(network).__name__}")
    return network


def top_layers(network: Network, column: str = "macs", n: int = 5) -> pd.DataFrame:
    """The ``n`` layers with the most ``column`` (``macs``, ``params`` or ``activations`` per sample).

    Columns: ``name``, ``kind``, ``out_shape``, the column, and ``share`` of the network's total.
    """
    column = check_choice("column", column, _TOP_COLUMNS)
    n = check_int("n", n, 1)
    table = analyze(_network(network))
    total = table[column].sum()
    top = table.nlargest(n, column, keep="first")[["name", "kind", "out_shape", column]].reset_index(drop=True)
    top["share"] = top[column] / total if total else 0.0
    top.attrs.update(network=network.name, total=int(total))
    return top


def _blocks_joined_by(table, kind, suffix):
    rows = table[(table["kind"] == kind) & table["name"].str.endswith(suffix)]
    return [name[: -len(suffix)] for name in rows["name"]]


def concat_blocks(network: Network) -> list[str]:
    """Names of the network's concatenating blocks (``Concat``), in order: pass one to ``branch_costs``."""
    return _blocks_joined_by(analyze(_network(network)), "Concat", ".concat")


def gate_blocks(network: Network) -> list[str]:
    """Names of the network's gates (``Gate``: squeeze-and-excitation), in order."""
    return _blocks_joined_by(analyze(_network(network)), "Mul", ".mul")


def branch_costs(network: Network, block: str) -> pd.DataFrame:
    """Each branch of the concatenating block ``block``: its parameters, MACs and output channels.

    One row per branch (``branch1`` ...; a block with ``keep_input=True`` and one branch, DenseNet's,
    has ``input`` and ``branch1``), from ``analyze``'s rows named ``block.branchK.*``. Columns
    ``params``, ``macs``, ``out_channels`` (what it adds to the concatenation), ``params_of_block``
    and ``macs_of_block`` (its share of the block, 0..1; the ``.concat`` row itself costs nothing).
    """
    table = analyze(_network(network))
    if not isinstance(block, str):
        raise TypeError(f"block must be a block's name (a string), got {block!r}")
    known = _blocks_joined_by(table, "Concat", ".concat")
    if block not in known:
        shown = ", ".join(known[:6]) + (" ..." if len(known) > 6 else "")
        raise ValueError(f"block must name a Concat block of {network.name}; got {block!r}"
                         + (f" (its Concat blocks: {shown})" if known else " (it has none)"))
    join = table[table["name"] == f"{block}.concat"].iloc[0]
    inner = table[table["name"].str.startswith(block + ".") & (table["name"] != f"{block}.concat")]
    labels = inner["name"].str[len(block) + 1:].str.split(".").str[0]
    labels = labels.where(labels.str.match(r"branch\d+$"), "branch1")
    rows = []
    added = 0
    for label in dict.fromkeys(labels):          # branch order, as in the block
        rows_of = inner[labels == label]
        channels = rows_of["out_shape"].iloc[-1][0]
        added += channels
        rows.append({"branch": label, "layers": len(rows_of), "params": int(rows_of["params"].sum()),
                     "macs": int(rows_of["macs"].sum()), "out_channels": channels})
    kept = join["out_shape"][0] - added
    if kept:                                     # keep_input=True: the block's input is stacked first
        rows.insert(0, {"branch": "input", "layers": 0, "params": 0, "macs": 0, "out_channels": kept})
    result = pd.DataFrame(rows)
    for column in ("params", "macs"):
        total = result[column].sum()
        result[f"{column}_of_block"] = result[column] / total if total else 0.0
    result.attrs.update(network=network.name, block=block, out_shape=join["out_shape"])
    return result


def _moved(table):
    return table["bytes_read"] + table["bytes_written"]


def gate_costs(network: Network, device, batch_size: int = 1, bytes_per_element: float = 4) -> pd.DataFrame:
    """Every gate (``Gate``) against the block it sits in, on ``device``'s roofline.

    One row per gate: its body's and multiply's ``params``, ``macs``, ``bytes`` moved and roofline
    ``time_s``; the same four for the enclosing block (``block_*``: EfficientNet's MBConv, the gate
    included; the whole network when the gate sits at the top level), and each share, gate / block
    (``params_of_block``, ``macs_of_block``, ``bytes_of_block``, ``time_of_block``: 0..1). Bytes under lesson 05's model: the gate's pooling reads the whole map, and its
    multiply reads the map and writes it again, though their MACs are almost nothing.
    """
    table = roofline(_network(network), device, batch_size, bytes_per_element)
    rows = []
    for gate in _blocks_joined_by(table, "Mul", ".mul"):
        own = table[table["name"].str.startswith(gate + ".")]
        parent = gate.rsplit(".", 1)[0] if "." in gate else ""
        block = table[table["name"].str.startswith(parent + ".")] if parent else table
        row = {"gate": gate, "block": parent or network.name}
        for prefix, rows_of in (("", own), ("block_", block)):
            row[f"{prefix}params"] = int(rows_of["params"].sum())
            row[f"{prefix}macs"] = int(rows_of["macs"].sum())
            row[f"{prefix}bytes"] = float(_moved(rows_of).sum())
            row[f"{prefix}time_s"] = float(rows_of["time_s"].sum())
        rows.append(row)
    if not rows:
        raise ValueError(f"{network.name} has no gates (squeeze-and-excitation blocks); try cl.zoo.efficientnet_b0()")
    result = pd.DataFrame(rows)
    for column in ("params", "macs", "bytes", "time_s"):
        result[f"{column.removesuffix('_s')}_of_block"] = result[column] / result[f"block_{column}"]
    result.attrs.update(network=network.name, device=table.attrs["device"], batch_size=batch_size)
    return result


def _check_dtype(dtype):
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string such as 'fp32', got {dtype!r}")
    return check_choice("dtype", dtype.strip().lower(), tuple(DTYPE_BYTES))


def memory_by_batch(network: Network, batch_sizes=(1, 8, 32, 128), dtype: str = "fp32") -> pd.DataFrame:
    """Inference and training (Adam) memory in bytes, one row per batch size (notebooks 02 and 09).

    - ``inference``: weights + the peak of live activations (``cl.inference_activation_elements``);
    - ``training_adam``: weights + gradients + Adam's two moments + every kept activation, in fp32,
      or in mixed precision for fp16/bf16 (16 bytes a parameter either way, ``cl.training_memory``);
      NaN for int8, int4 and 1-bit, which are inference formats.
    Activations are stored in ``ACTIVATION_DTYPE[dtype]`` (int8 with int8 weights, fp16 with int4 ones).
    """
    dtype = _check_dtype(dtype)
    if isinstance(batch_sizes, (int, str)) or not hasattr(batch_sizes, "__iter__"):
        raise TypeError(f"batch_sizes must be a list of integers, got {batch_sizes!r}")
    rows = []
    for batch in batch_sizes:
        batch = check_int("batch_size", batch, 1)
        inference = training_memory(network, batch, dtype, "inference")
        training = training_memory(network, batch, dtype, "adam")["total"] if dtype in TRAINING_DTYPES else math.nan
        rows.append({"batch_size": batch, "weights": inference["weights"],
                     "inference_activations": inference["activations"], "inference": inference["total"],
                     "training_adam": training})
    if not rows:
        raise ValueError("batch_sizes must hold at least one batch size")
    table = pd.DataFrame(rows)
    table.attrs.update(network=network.name, dtype=dtype, activation_dtype=ACTIVATION_DTYPE[dtype])
    return table


def largest_batches(network: Network, device, dtype: str = "fp32") -> dict:
    """The largest batch that fits ``device``'s memory for inference and for training with Adam.

    ``{"inference": n, "training_adam": n}`` (0: not even one sample; None: ``dtype`` cannot train),
    from ``cl.max_batch_size``: (capacity - fixed bytes) // bytes per sample. Capacities are the
    catalog's GiB; the framework's own buffers and workspace come on top, so real batches are smaller.
    """
    dtype = _check_dtype(dtype)
    device = get_device(device)
    return {"inference": max_batch_size(network, device, dtype, "inference"),
            "training_adam": max_batch_size(network, device, dtype, "adam") if dtype in TRAINING_DTYPES else None}


def roofline_summary(network: Network, device, batch_size: int = 1, bytes_per_element: float = 4) -> dict:
    """What ``roofline`` says about the whole network on ``device`` (notebook 05's simple model).

    ``layers``; ``compute_layers`` (conv and linear: MACs > 0) and how many of them are
    ``memory_bound_compute_layers``; ``memory_bound_layers`` of any kind; ``time_s`` (the sum of every
    layer's max(compute, memory) time: a lower bound at datasheet figures), ``time_per_sample_s``,
    ``compute_time_s`` (the MACs alone at the peak), ``memory_bound_layers_time_s`` (the memory-bound layers'
    share of ``time_s``) and ``peak_share`` = compute_time_s / time_s: the most of the datasheet peak a
    forward pass could average under this model.
    """
    table = roofline(_network(network), device, batch_size, bytes_per_element)
    memory = table["bound"] == "memory"
    compute_layers = table["macs"] > 0
    time_s = float(table["time_s"].sum())
    compute_time = float(table["time_compute_s"].sum())
    return {
        "network": network.name, "device": table.attrs["device"], "batch_size": batch_size,
        "layers": len(table), "compute_layers": int(compute_layers.sum()),
        "memory_bound_compute_layers": int((memory & compute_layers).sum()),
        "memory_bound_layers": int(memory.sum()),
        "time_s": time_s, "time_per_sample_s": time_s / batch_size, "compute_time_s": compute_time,
        "memory_bound_layers_time_s": float(table.loc[memory, "time_s"].sum()),
        "peak_share": compute_time / time_s if time_s else 0.0,
    }


# (label, weight bits or None for pruning, bytes per activation element)
WHATIF_VARIANTS = (
    ("fp32", 32, 4),
    ("fp16 weights and activations", 16, 2),
    ("int8 weights, fp32 activations", 8, 4),
    ("int8 weights and activations", 8, 1),
    ("50% of weights pruned (unstructured, fp32)", None, 4),
)


def compression_whatif(network: Network, device, batch_size: int = 1) -> pd.DataFrame:
    """Smaller numbers, fewer weights: size and roofline time of each ``WHATIF_VARIANTS`` row (notebook 06).

    Columns: ``weight_bytes``, ``bytes_moved`` (weights + activations, per batch), ``nonzero_macs``,
    ``time_s`` (every layer), ``fp32_memory_bound_layers_time_s`` (the time of the layers that are
    memory-bound in fp32: the ones fewer bytes speed up), ``memory_bound_layers`` (in this variant) and ``speedup`` (fp32 time / time).
    ``cl.quantize`` stores conv and linear weights in fewer bits (BatchNorm keeps the activations'
    width); unstructured pruning keeps the dense shapes and MACs on the roofline and stores each kept
    weight with a 16-bit index (``cl.prune``). Accuracy is not modelled: lesson 06 measures that.
    """
    network = _network(network)
    device = _compute_device(device)
    batch_size = check_int("batch_size", batch_size, 1)
    rows, slow = [], None
    for label, bits, act_bytes in WHATIF_VARIANTS:
        variant = prune(network, 0.5) if bits is None else (quantize(network, bits) if bits != 32 else network)
        table = roofline(variant, device, batch_size, act_bytes)
        if slow is None:
            slow = set(table.loc[table["bound"] == "memory", "name"])
        rows.append({"variant": label, "weight_bytes": float(table["param_bytes"].sum()),
                     "bytes_moved": float(_moved(table).sum()), "nonzero_macs": nonzero_macs(variant),
                     "time_s": float(table["time_s"].sum()),
                     "fp32_memory_bound_layers_time_s": float(table.loc[table["name"].isin(slow), "time_s"].sum()),
                     "memory_bound_layers": int((table["bound"] == "memory").sum())})
    result = pd.DataFrame(rows).set_index("variant")
    result["speedup"] = result["time_s"].iloc[0] / result["time_s"]
    result.attrs.update(network=network.name, device=device.name, batch_size=batch_size)
    return result


def small_cnn_path() -> Path:
    """The small ONNX model shipped with the course (scripts/make_small_cnn_onnx.py writes it):
    a conv, an Inception-style concatenation of two branches, a squeeze-and-excitation gate, a classifier."""
    return Path(__file__).parent / "data" / "models" / "small_cnn.onnx"


def model_or_fallback(load, fallback: Network, what: str) -> tuple[Network, str]:
    """``(load(), message)``, or ``(fallback, message)`` when ``load`` needs a package that is not installed.

    ``load`` is a function of no arguments returning a Network (``lambda: cl.from_onnx(path)``);
    ``what`` names it in the one-line message. Only a missing package (ImportError) falls back: an
    unsupported layer still raises its ValueError, which names the layer.
    """
    _network(fallback)
    try:
        network = _network(load())
    except ImportError as error:
        missing = getattr(error, "name", None) if isinstance(error, ModuleNotFoundError) else None
        missing = missing.split(".")[0] if missing else None          # torch.nn -> torch: what pip installs
        reason = f"the {missing} package is not installed (pip install {missing})" if missing else str(error).rstrip(".")
        return fallback, f"{what}: {reason}. Carrying on with {fallback.name}."
    table = analyze(network)
    return network, (f"{what}: {network.name}, {len(table)} layers, {int(table['params'].sum()):,} parameters, "
                     f"{int(table['macs'].sum()):,} MACs")
