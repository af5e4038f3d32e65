"""Gradient-table rows for elementwise functions, statistics, searching and sorting (see test_gradients.py)."""

from __future__ import annotations

ROWS: dict = {}
