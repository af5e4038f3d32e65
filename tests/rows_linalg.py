"""Gradient-table rows for linalg, fft, special functions and einsum (see test_gradients.py)."""

from __future__ import annotations

ROWS: dict = {}
