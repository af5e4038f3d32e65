"""Reductions: sum, mean, prod, max, min.

A VJP broadcasts the cotangent back over the reduced axes; a JVP reduces the tangent over the same
axes, addressed from the end so that leading batch axes pass through.
"""

from __future__ import annotations

from .._backend import xp_of
from .._primitive import primitive
from ._helpers import kept_shape, lead, negative_axes, size_of
from .elementwise import astype, equal, where
from .manipulation import broadcast_to, reshape

__all__ = [
    "max",
    "mean",
    "min",
    "prod",
    "sum",
]


def _spread(g, ans, x, axis):
    """The cotangent of a reduction, broadcast back to the input's shape (plus batch axes)."""
    batch = lead(g, ans)
    return broadcast_to(reshape(g, batch + kept_shape(x.shape, axis)), batch + tuple(x.shape))


def _axes(t, x, axis):
    return negative_axes(axis, x.ndim)


@primitive(
    vjp=lambda g, ans, x, *, axis, dtype, keepdims: _spread(g, ans, x, axis),
    jvp=lambda ts, ans, x, *, axis, dtype, keepdims: sum(
        ts[0], axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def sum(x, /, *, axis=None, dtype=None, keepdims=False):  # noqa: A001 - the Array API name
    """Sum over ``axis`` (all axes by default).

    >>> import tapegrad as tg
    >>> print(tg.sum(tg.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0))
    tg.Tensor([4. 6.], shape=(2,), dtype=float32)
    """
    xp = xp_of(x)
    return xp.sum(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _count(x, axis) -> int:
    return size_of(x.shape[a] for a in negative_axes(axis, x.ndim))


@primitive(
    vjp=lambda g, ans, x, *, axis, keepdims: _spread(g, ans, x, axis) / _count(x, axis),
    jvp=lambda ts, ans, x, *, axis, keepdims: mean(
        ts[0], axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def mean(x, /, *, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (all axes by default)."""
    xp = xp_of(x)
    if x.dtype.kind in "fc":  # sum, then one division: NumPy's own mean costs twice as much
        total = xp.sum(x, axis=axis, keepdims=keepdims)
        return total / _count(x, axis) if x.size else xp.mean(x, axis=axis, keepdims=keepdims)
    return xp.mean(x, axis=axis, keepdims=keepdims)


def _prod_partials(x, ans, axis):
    """d prod / d x_i = product of the other elements, exact also where x holds zeros.

    With no zero in a slice it is prod / x_i; with exactly one zero, only that element has a
    nonzero partial (the product of the rest); with two or more, all partials are 0.
    """
    zero = x == 0
    safe = where(zero, 1, x)
    nonzero_product = prod(safe, axis=axis, keepdims=True)
    zeros = sum(astype(zero, x.dtype), axis=axis, keepdims=True)
    plain = nonzero_product / safe
    return where(zeros == 0, plain, where((zeros == 1) & zero, nonzero_product, 0))


@primitive(
    vjp=lambda g, ans, x, *, axis, dtype, keepdims: (
        _spread(g, ans, x, axis) * _prod_partials(x, ans, axis)
    ),
    jvp=lambda ts, ans, x, *, axis, dtype, keepdims: sum(
        ts[0] * _prod_partials(x, ans, axis), axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    """Product over ``axis``; its gradient is exact where the input holds zeros."""
    return xp_of(x).prod(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _extreme_weights(x, ans, axis):
    """Ties share the gradient equally, consistent with ``maximum`` at ties."""
    hit = astype(equal(x, reshape(ans, kept_shape(x.shape, axis))), x.dtype)
    return hit / sum(hit, axis=axis, keepdims=True)


@primitive(
    vjp=lambda g, ans, x, *, axis, keepdims: (
        _spread(g, ans, x, axis) * _extreme_weights(x, ans, axis)
    ),
    jvp=lambda ts, ans, x, *, axis, keepdims: sum(
        ts[0] * _extreme_weights(x, ans, axis), axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def max(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the Array API name
    """Maximum over ``axis``. Repeated maxima share the gradient equally."""
    return xp_of(x).max(x, axis=axis, keepdims=keepdims)


@primitive(
    vjp=lambda g, ans, x, *, axis, keepdims: (
        _spread(g, ans, x, axis) * _extreme_weights(x, ans, axis)
    ),
    jvp=lambda ts, ans, x, *, axis, keepdims: sum(
        ts[0] * _extreme_weights(x, ans, axis), axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def min(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the Array API name
    """Minimum over ``axis``. Repeated minima share the gradient equally."""
    return xp_of(x).min(x, axis=axis, keepdims=keepdims)
