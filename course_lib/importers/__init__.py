"""Bring your own model: ``from_torch`` turns a ``torch.nn.Module`` into a ``Network`` (notebook 10).

Nothing here imports PyTorch until ``from_torch`` is called, so ``import course_lib`` stays light.
"""
from .torch_import import from_torch

__all__ = ["from_torch"]
