"""Memory of weights, activations and training state; bytes per dtype; does a model fit (notebook 02)."""
from __future__ import annotations

__all__: list[str] = []
