"""Operational intensity of basic kernels, the bandwidth a layer needs, and the memory wall (notebooks 04 and 05).

Operational intensity (Williams, Waterman & Patterson, Roofline, CACM 52(4) 2009) is
FLOPs done per byte moved to or from memory: ``OI = FLOPs / bytes``. The three kernels
below count their bytes simply: every operand is read from memory
once and every result written once, ``bytes_per_element`` bytes each (4 for fp32), as the
2017 blog report of a GPU-performance talk that lessons 04-05 quote does.
"""
from __future__ import annotations

import pandas as pd

from ._checks import check_int, check_number
from .devices import get_device
from .roofline import roofline

__all__ = ["operational_intensity", "dot_product_cost", "matvec_cost", "matmul_cost", "kernel_costs",
           "bandwidth_to_keep_up", "layer_points", "memory_wall", "GPU_GENERATIONS"]


def operational_intensity(flops: float, bytes_moved: float) -> float:
    """``OI = flops / bytes_moved`` in FLOP per byte (notebook 05)."""
    flops = check_number("flops", flops, 0)
    bytes_moved = check_number("bytes_moved", bytes_moved, 0, exclusive_minimum=True)
    return flops / bytes_moved


def _kernel(flops, elements, bytes_per_element):
    bytes_moved = elements * bytes_per_element
    return {"flops": flops, "elements": elements, "bytes": bytes_moved, "intensity": flops / bytes_moved}


def _args(n, bytes_per_element):
    b = check_number("bytes_per_element", bytes_per_element, 0, exclusive_minimum=True)
    return check_int("n", n, 1), int(b) if b == int(b) else b


def dot_product_cost(n: int, bytes_per_element: float = 4) -> dict:
    """Dot product of two length-``n`` vectors: ``2n`` FLOPs (n multiplies, n adds) over ``2n`` elements read.

    ``OI = 2n / (2n * b) = 1/b``: 1/4 FLOP per byte in fp32, whatever ``n`` (notebook 05).
    The one-element result is left out, as the quoted blog report does. Returns a dict of named parts:
    ``flops``, ``elements``, ``bytes``, ``intensity``.
    """
    n, b = _args(n, bytes_per_element)
    return _kernel(2 * n, 2 * n, b)


def matvec_cost(n: int, bytes_per_element: float = 4) -> dict:
    """``n x n`` matrix times a length-``n`` vector: ``2n^2`` FLOPs over ``n^2 + 2n`` elements (matrix, vector in, vector out).

    ``OI = 2n^2 / ((n^2 + 2n) b)``, which tends to ``2/b`` = 1/2 FLOP per byte in fp32 as n grows (notebook 05).
    """
    n, b = _args(n, bytes_per_element)
    return _kernel(2 * n * n, n * n + 2 * n, b)


def matmul_cost(n: int, bytes_per_element: float = 4) -> dict:
    """Two ``n x n`` matrices multiplied: ``2n^3`` FLOPs over ``3n^2`` elements (A and B read, C written).

    ``OI = 2n^3 / (3n^2 b) = 2n / (3b)``: n/6 FLOP per byte in fp32 (notebook 05). It assumes
    A and B are read only once, which needs a cache (or tiles) big enough: the best case.
    """
    n, b = _args(n, bytes_per_element)
    return _kernel(2 * n ** 3, 3 * n * n, b)


def kernel_costs(n: int, bytes_per_element: float = 4) -> pd.DataFrame:
    """The three kernels for one ``n``, one row each: ``name``, ``flops``, ``elements``, ``bytes``, ``intensity``."""
    rows = [("dot product", dot_product_cost(n, bytes_per_element)),
            ("matrix-vector", matvec_cost(n, bytes_per_element)),
            ("matrix-matrix", matmul_cost(n, bytes_per_element))]
    return pd.DataFrame([{"name": name, **parts} for name, parts in rows])


def bandwidth_to_keep_up(bytes_moved: float, macs: float, peak_flops: float) -> float:
    """The bandwidth (bytes/s) that moves ``bytes_moved`` in the time the layer computes at peak (notebook 04).

    ``bandwidth = bytes_moved / t`` with ``t = 2 * macs / peak_flops``. For conv1 of AlexNet on
    a 120 TFLOP/s chip, t = 1.757 us and reading its 154,587 fp32 input elements needs 351.9 GB/s.
    """
    bytes_moved = check_number("bytes_moved", bytes_moved, 0)
    macs = check_number("macs", macs, 0, exclusive_minimum=True)
    peak_flops = check_number("peak_flops", peak_flops, 0, exclusive_minimum=True)
    return bytes_moved / (2 * macs / peak_flops)


def layer_points(network, device, batch_size: int = 1, bytes_per_element: float = 4) -> pd.DataFrame:
    """The layers that compute (conv and linear) as points on ``device``'s roofline (notebook 05).

    ``cl.roofline``'s rows with FLOPs > 0, plus ``attainable_flops`` = flops / time_s,
    which is ``min(peak, bandwidth x intensity)`` under the simple model (each layer reads
    its input and weights once and writes its output once).
    """
    table = roofline(network, device, batch_size, bytes_per_element)
    points = table[table["flops"] > 0].reset_index(drop=True)
    points["attainable_flops"] = points["flops"] / points["time_s"]
    points.attrs.update(table.attrs)
    return points


# One flagship per NVIDIA generation in the catalog, with the year it was announced
# (NVIDIA press releases: GTX 580 Nov 2010; GTX 1080 May 2016; Tesla V100 at GTC May 2017;
# A100 May 2020; H100 at GTC March 2022; H200 Nov 2023). Each tuple: chip, year, catalog row
# of its fp32 peak, catalog row of its dense 16-bit tensor-core peak (fp16 on the V100, bf16
# from the A100 on; None before the V100: the GTX 580 and GTX 1080 have no tensor cores).
# Peaks in other formats (int8, fp8) are left out on purpose: each row compares like with like.
GPU_GENERATIONS = (
    ("GTX 580", 2010, "GTX 580", None),
    ("GTX 1080", 2016, "GTX 1080", None),
    ("V100", 2017, "V100 SXM2 fp32", "V100 SXM2 fp16 tensor"),
    ("A100", 2020, "A100 SXM 80GB fp32", "A100 SXM 80GB bf16"),
    ("H100", 2022, "H100 SXM fp32", "H100 SXM bf16"),
    ("H200", 2023, "H200 SXM fp32", "H200 SXM bf16"),
)


def memory_wall() -> pd.DataFrame:
    """Peak compute vs memory bandwidth across the catalog's GPU generations (notebook 04).

    One row per chip of ``GPU_GENERATIONS``, figures read from ``cl.devices()`` (datasheet
    bounds, not what a kernel reaches). Like is compared with like:

    - ``fp32_flops`` (every chip's fp32 peak) and ``mem_bandwidth`` (bytes/s), with their growth
      over the first chip (``fp32_growth``, ``bandwidth_growth``) and ``fp32_ridge`` = fp32 peak /
      bandwidth (FLOP per byte);
    - ``tensor16_flops``, the dense 16-bit tensor-core peak (``tensor16_precision`` fp16 or bf16;
      NaN before the V100), its growth over the first chip that has one (``tensor16_growth``), the
      bandwidth's growth over that same chip (``bandwidth_growth_tensor16``), and ``tensor16_ridge``.
    """
    rows = []
    for chip, year, fp32_name, tensor_name in GPU_GENERATIONS:
        fp32 = get_device(fp32_name)
        tensor = get_device(tensor_name) if tensor_name else None
        rows.append({"chip": chip, "year": year, "fp32_flops": fp32.peak_flops,
                     "tensor16_flops": tensor.peak_flops if tensor else float("nan"),
                     "tensor16_precision": tensor.precision if tensor else "",
                     "mem_bandwidth": fp32.mem_bandwidth})
    table = pd.DataFrame(rows)
    first = table.iloc[0]
    table["fp32_growth"] = table["fp32_flops"] / first["fp32_flops"]
    table["bandwidth_growth"] = table["mem_bandwidth"] / first["mem_bandwidth"]
    table["fp32_ridge"] = table["fp32_flops"] / table["mem_bandwidth"]
    first_tensor = table[table["tensor16_flops"].notna()].iloc[0]
    table["tensor16_growth"] = table["tensor16_flops"] / first_tensor["tensor16_flops"]
    table["bandwidth_growth_tensor16"] = (table["mem_bandwidth"] / first_tensor["mem_bandwidth"]).where(
        table["tensor16_flops"].notna())
    table["tensor16_ridge"] = table["tensor16_flops"] / table["mem_bandwidth"]
    return table
