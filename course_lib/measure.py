"""Measure the learner's own machine with NumPy: matrix-multiply GFLOP/s and array-copy GB/s (notebook 05).

Two small benchmarks give the two numbers a roofline needs:

- compute: ``C = A @ B`` for ``n x n`` float32 matrices does ``2 n^3`` FLOPs (n^3
  multiply-adds); NumPy hands it to its BLAS, which uses every core and vector unit;
- bandwidth: ``np.copyto(dst, src)`` on arrays far larger than the caches reads ``src``
  and writes ``dst``: ``2 x nbytes`` bytes moved. (Many CPUs also read ``dst`` before
  writing it, "write-allocate", so the true traffic can be 3 x nbytes: our figure is a
  floor, as STREAM's "Copy" counts it.)

Each takes the best of a few runs (the least disturbed by other programs). Results
change from run to run and machine to machine: notebook cells that show them are
marked ``NBVAL_IGNORE_OUTPUT``. The whole measurement takes a second or two.
"""
from __future__ import annotations

import os
import platform
import time

import numpy as np

from ._checks import check_int
from .devices import Device

__all__ = ["matmul_flops", "copy_bytes", "measure_matmul", "measure_copy", "measure_machine"]


def matmul_flops(n: int) -> int:
    """FLOPs of an ``n x n`` by ``n x n`` matrix product: ``2 n^3`` (n^3 multiply-accumulates)."""
    n = check_int("n", n, 1)
    return 2 * n ** 3


def copy_bytes(n_elements: int, bytes_per_element: int = 4) -> int:
    """Bytes a copy of ``n_elements`` moves: each is read once and written once, ``2 x n x b``."""
    n_elements = check_int("n_elements", n_elements, 1)
    bytes_per_element = check_int("bytes_per_element", bytes_per_element, 1)
    return 2 * n_elements * bytes_per_element


def _best_time(function, repeats: int) -> float:
    function()  # warm-up: first touch of the pages, BLAS thread start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def measure_matmul(sizes=(256, 512, 1024), repeats: int = 3, seed: int = 0) -> dict:
    """Best float32 matmul rate over ``sizes``: a dict ``{n: FLOP/s}`` and the best under ``"best"``."""
    rng = np.random.default_rng(seed)
    rates = {}
    for n in sizes:
        n = check_int("n", n, 1)
        a = rng.standard_normal((n, n), dtype=np.float32)
        b = rng.standard_normal((n, n), dtype=np.float32)
        rates[n] = matmul_flops(n) / _best_time(lambda: a @ b, check_int("repeats", repeats, 1))
    rates["best"] = max(rates.values())
    return rates


def measure_copy(megabytes: int = 64, repeats: int = 5) -> float:
    """Array-copy bandwidth in bytes/s: ``copy_bytes / best time`` for a float32 array of ``megabytes`` MB."""
    n = check_int("megabytes", megabytes, 1) * 10 ** 6 // 4
    src = np.ones(n, dtype=np.float32)
    dst = np.empty_like(src)
    return copy_bytes(n, 4) / _best_time(lambda: np.copyto(dst, src), check_int("repeats", repeats, 1))


def measure_machine(name: str | None = None) -> Device:
    """This machine as a ``Device``: measured fp32 matmul FLOP/s and copy bytes/s, drawable beside the catalog's."""
    flops = measure_matmul()["best"]
    bandwidth = measure_copy()
    name = name or f"this machine ({platform.machine()}, {os.cpu_count()} cores)"
    return Device(name=name, peak_flops=flops, mem_bandwidth=bandwidth, precision="fp32",
                  source="measured with NumPy: float32 matmul (best of n = 256, 512, 1024) and a 64 MB array copy")
