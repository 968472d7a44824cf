"""Why counting tools disagree: each tool's total as a sum of op_counts columns (notebook 03)."""
from __future__ import annotations

__all__: list[str] = []
