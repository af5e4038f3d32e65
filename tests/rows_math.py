"""Gradient-table rows: elementwise functions, statistics, searching, sorting."""

from __future__ import annotations

ROWS: dict = {}
