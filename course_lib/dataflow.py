"""DRAM traffic of a conv stack with and without layer fusion / tiling for an on-chip buffer (notebook 07)."""
from __future__ import annotations

__all__: list[str] = []
