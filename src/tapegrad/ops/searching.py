"""Searching, sorting and sets: argmax, argsort, sort, unique, nonzero, searchsorted."""

from __future__ import annotations

__all__: list[str] = []
