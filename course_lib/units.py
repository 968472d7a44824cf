"""Units: bytes, counts and rates written the way people read them (SI vs binary prefixes; notebook 00)."""
from __future__ import annotations

__all__: list[str] = []
