"""Energy of computing vs moving data: Horowitz ISSCC 2014, 45 nm (notebook 07)."""
from __future__ import annotations

__all__: list[str] = []
