"""Measure the learner's own machine: NumPy matmul GFLOP/s and copy GB/s (notebook 05)."""
from __future__ import annotations

__all__: list[str] = []
