"""``cupyx`` of the fake CuPy (see ``cupy/__init__.py``): the scatter functions, and
``cupyx.scipy.special`` and ``cupyx.scipy.linalg`` as far as tapegrad uses them."""

from __future__ import annotations

import cupy


def scatter_add(a, slices, value):
    cupy._scatter(a, slices, value, "add")


def scatter_max(a, slices, value):
    cupy._scatter(a, slices, value, "maximum")


def scatter_min(a, slices, value):
    cupy._scatter(a, slices, value, "minimum")
