"""The ipywidgets UIs of the lessons. Each UI is a function that returns the widget;
its callback is a plain function (``*_view``) that tests call across its whole range.

Each topic has its own submodule (``widgets.shapes``, ``widgets.roofline`` ...);
every submodule's ``__all__`` is re-exported here (``cl.widgets.conv_explorer()``).
"""
from __future__ import annotations

import importlib
import pkgutil

from ._base import build_app, render

__all__ = ["build_app", "render"]

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        _module = importlib.import_module(f"{__name__}.{_info.name}")
        for _name in getattr(_module, "__all__", ()):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
