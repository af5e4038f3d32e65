"""Statistics and scans: var, std, cumulative sums and products, diff."""

from __future__ import annotations

__all__: list[str] = []
