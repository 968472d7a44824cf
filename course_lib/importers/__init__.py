"""Bring your own model: ``from_torch`` (a ``torch.nn.Module``) and ``from_onnx`` (an ONNX file) give a
``Network`` (notebook 10).

Nothing here imports PyTorch or onnx until an importer is called, so ``import course_lib`` stays light.
"""
from .onnx_import import from_onnx
from .torch_import import from_torch

__all__ = ["from_torch", "from_onnx"]
