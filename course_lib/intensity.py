"""Operational intensity of basic kernels: dot product, matrix-vector, matrix-matrix (notebook 05)."""
from __future__ import annotations

__all__: list[str] = []
