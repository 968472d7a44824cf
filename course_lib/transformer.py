"""Transformer decoder sizing: params, MACs per token, KV cache, prefill vs decode (notebook 08)."""
from __future__ import annotations

__all__: list[str] = []
