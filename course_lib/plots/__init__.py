"""Matplotlib figures for the lessons. Every function returns a ``matplotlib.figure.Figure``
(built with the object API, never ``pyplot``, so nothing is shown or kept implicitly);
a notebook cell shows it by ending with it. Plots read tables that ``course_lib``
computed; they never count on their own.

Each topic has its own submodule (``plots.shapes``, ``plots.roofline`` ...); every
submodule's ``__all__`` is re-exported here, so a notebook writes ``cl.plots.name(...)``.
"""
from __future__ import annotations

import importlib
import pkgutil

from ._base import figure_png, new_figure, register_notebook_display

__all__ = ["new_figure", "figure_png"]

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        _module = importlib.import_module(f"{__name__}.{_info.name}")
        for _name in getattr(_module, "__all__", ()):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)

register_notebook_display()
