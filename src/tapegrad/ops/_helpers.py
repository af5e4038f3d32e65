"""Small shape helpers shared by the rules. Rules see cotangents and tangents that may carry
extra leading (batch) axes, so they address axes from the end."""

from __future__ import annotations


def lead(g, like) -> tuple:
    """The leading batch axes that ``g`` carries beyond the shape of ``like``."""
    return tuple(g.shape[: g.ndim - like.ndim])


def negative_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a tuple) as a sorted tuple of negative axes of an ndim array."""
    if axis is None:
        return tuple(range(-ndim, 0))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"axis {a} is out of bounds for an array of {ndim} dimensions: use an axis in "
                f"[{-ndim}, {ndim - 1}]"
            )
        out.append(a - ndim if a >= 0 else a)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def kept_shape(shape: tuple, axis) -> tuple:
    """``shape`` with the reduced axes kept as size 1 (what keepdims=True gives)."""
    axes = negative_axes(axis, len(shape))
    n = len(shape)
    return tuple(1 if i - n in axes else s for i, s in enumerate(shape))


def size_of(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
