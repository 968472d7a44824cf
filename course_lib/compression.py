"""Compression as transformations of layers and networks, and NumPy helpers on real arrays (notebook 06)."""
from __future__ import annotations

__all__: list[str] = []
