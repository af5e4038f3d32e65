"""Reductions: sum, mean, prod, max, min, and the boolean all and any.

A VJP broadcasts the cotangent back over the reduced axes; a JVP reduces the tangent over the same
axes, addressed from the end so that leading batch axes pass through.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._backend import backend_name, is_lazy, library_dtype, waits_to_read, xp_of
from .._dtypes import kind_of
from .._primitive import primitive, raw
from .._tensor import Tensor
from ._helpers import axis_error, floating, kept_shape, lead, named_axes, negative_axes, size_of
from ._strong import all_finite, linear, rules, smooth
from .elementwise import _conj, astype, equal
from .manipulation import broadcast_to, reshape

__all__ = [
    "all",
    "any",
    "max",
    "mean",
    "min",
    "prod",
    "sum",
]


def _spread(g, ans, x, axis):
    """The cotangent of a reduction, broadcast back to the input's shape (plus batch axes)."""
    lazy = is_lazy(raw(x))
    # a full reduction's cotangent is a scalar, which broadcasts as it is (on Dask, the kept
    # axes give the chunks their layout)
    if g.ndim == 0 and not lazy:
        return broadcast_to(g, tuple(x.shape))
    batch = lead(g, ans)
    reduced = reshape(g, batch + kept_shape(x.shape, axis))
    spread = broadcast_to(reduced, batch + tuple(x.shape))
    if lazy:
        spread = _chunked_like(spread, reduced, raw(x).chunks)
    return spread


def _chunked_like(spread, reduced, chunks):
    """On Dask, a broadcast cotangent takes the chunks of the input it belongs to (Dask would
    make one chunk as large as the input, held by one worker). Only the layout changes: the
    tensor keeps its values and its identity on the tape."""
    import dask.array as da

    source = raw(reduced)
    shape = tuple(raw(spread).shape)
    lead_axes = len(shape) - len(chunks)
    chunks = tuple(
        have if n != 1 else ((size,) if d < lead_axes else chunks[d - lead_axes])
        for d, (n, have, size) in enumerate(zip(source.shape, source.chunks, shape))
    )
    laid_out = da.broadcast_to(source, shape, chunks=chunks)
    if isinstance(spread, Tensor):
        spread._value = laid_out
        return spread
    return laid_out


def _axes(t, x, axis):
    return negative_axes(axis, x.ndim)


def checked_dtype(name: str, x, dtype):
    """``dtype=`` of a sum or product, refused where it would lose a kind (complex to real,
    float to integer), as every other conversion in tapegrad is; widening or narrowing within
    a kind is the caller's choice, as in NumPy."""
    target = _dtypes.as_dtype(dtype)
    source = _dtypes.as_dtype(x.dtype)
    if not np.can_cast(source, target, "same_kind"):
        lost = {"c": "imaginary parts", "f": "fractions", "i": "signs"}.get(source.kind, "values")
        raise TypeError(
            f"{name}: dtype={target} would drop the {lost} of {source} values: give a dtype "
            f"of their kind, or cast them first (tg.real, tg.astype) if that is meant"
        )
    return target


def given_axes(name: str, x, axis):
    """``axis`` as the backends take it: a list as a tuple (the standard, and array_api_strict,
    take tuples only); on Dask, which builds a graph of the wrong shape for a repeated axis (or
    ``axis=True``) and fails only when computed, checked up front. Eager libraries raise at
    once, so there ``axis_error`` names the function afterwards: a plain axis costs nothing."""
    if axis is None or type(axis) is int:
        return axis
    if type(axis) is list:
        axis = tuple(axis)
    if is_lazy(x):
        named_axes(name, axis, x.ndim)
    return axis


def _accumulated(name: str, x, axis, dtype, keepdims):
    """``xp.sum`` or ``xp.prod`` of ``x`` in the Array API's accumulation dtype (or a checked
    ``dtype``), an axis out of range named by tapegrad."""
    axis = given_axes(name, x, axis)
    xp = xp_of(x)
    if dtype is None:
        if kind_of(x.dtype) in "biu":
            dtype = library_dtype(xp, accumulation_dtype(x, None))
            if kind_of(x.dtype) == "b":  # counted as integers (array_api_strict sums no bools)
                x = xp.astype(x, dtype)
    else:
        dtype = library_dtype(xp, checked_dtype(name, x, dtype))
    try:
        return getattr(xp, name)(x, axis=axis, dtype=dtype, keepdims=keepdims)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error(name, axis, x.ndim) or error from None


def accumulation_dtype(x, dtype):
    """The Array API's result dtype of a sum or product: ``dtype`` if given; for booleans and
    integers narrower than the default integer, the default integer (unsigned: its unsigned
    twin); otherwise the input's dtype."""
    if dtype is not None:
        return _dtypes.as_dtype(dtype)
    kind = kind_of(x.dtype)
    if kind not in "biu":
        return None
    default = _dtypes.DEFAULT_INT
    if kind == "b":
        return default
    if _dtypes.as_dtype(x.dtype).itemsize < default.itemsize:
        return _dtypes.as_dtype(f"{'u' if kind == 'u' else ''}int{default.itemsize * 8}")
    return _dtypes.as_dtype(x.dtype)


@primitive(
    vjp=rules(linear, lambda g, ans, x, *, axis, dtype, keepdims: _spread(g, ans, x, axis)),
    jvp=lambda ts, ans, x, *, axis, dtype, keepdims: sum(
        ts[0], axis=_axes(ts[0], x, axis), dtype=dtype, keepdims=keepdims
    ),
)
def sum(x, /, *, axis=None, dtype=None, keepdims=False):  # noqa: A001 - the Array API name
    """Sum over ``axis`` (all axes by default). Integer sums take at least the default integer
    dtype, as the Array API asks.

    >>> import tapegrad as tg
    >>> print(tg.sum(tg.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0))
    tg.Tensor([4. 6.], shape=(2,), dtype=float32)
    """
    return _accumulated("sum", x, axis, dtype, keepdims)


def _count(x, axis) -> int:
    if axis is None:
        return size_of(x.shape)
    axes = negative_axes(axis, x.ndim)  # checked: a 0-d value takes axis 0 (as sum does) only
    return size_of(x.shape[a] for a in axes) if x.ndim else 1


def _per_element(g, x, axis):
    """A mean's cotangent divided by the count before it is spread: one division per output,
    not per input element (with nothing counted, the spread is empty anyway)."""
    count = _count(x, axis)
    return g / count if count else g


_WIDE_FLOATS = _dtypes.FLOAT_TYPES - {type(_dtypes.float16)}  # what mean takes as it is


@primitive(
    vjp=rules(
        linear, lambda g, ans, x, *, axis, keepdims: _spread(_per_element(g, x, axis), ans, x, axis)
    ),
    jvp=lambda ts, ans, x, *, axis, keepdims: mean(
        ts[0], axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def mean(x, /, *, axis=None, keepdims=False):
    """Arithmetic mean over ``axis`` (all axes by default).

    >>> import tapegrad as tg
    >>> print(tg.mean(tg.constant([[1.0, 2.0], [3.0, 4.0]]), axis=1))
    tg.Tensor([1.5 3.5], shape=(2,), dtype=float32)
    """
    xp = xp_of(x)
    axis = given_axes("mean", x, axis)
    try:
        if type(x.dtype) not in _WIDE_FLOATS:  # float32 and float64 need neither step
            x = floating(x)  # bool and integers as _dtypes.float_result says (NumPy: float64)
            if x.size and _dtypes.as_dtype(x.dtype) == _dtypes.float16:  # summed in float32,
                total = xp.sum(x, axis=axis, dtype=xp.float32, keepdims=keepdims)  # as NumPy:
                return xp.astype(total / _count(x, axis), x.dtype)  # 6e4 + 6e4 is inf in f16
        if not x.size or (type(x) is not np.ndarray and backend_name(x) == "cupy"):
            # no elements: NaN, with NumPy's warning; CuPy: one kernel, not a sum and a division
            return xp.mean(x, axis=axis, keepdims=keepdims)
        # sum, then one division: NumPy's own mean costs twice as much
        return xp.sum(x, axis=axis, keepdims=keepdims) / _count(x, axis)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error("mean", axis, x.ndim) or error from None


def _normal(xp, values) -> bool:
    """No zero and no subnormal among ``values``: a subnormal product has lost digits, which
    ``prod / x_i`` would show (1e-320 * 0.7 / 1e-320 is not 0.7)."""
    dtype = _dtypes.as_dtype(values.dtype)
    tiny = float(np.finfo(dtype).tiny) if dtype.kind in "fc" else 1
    return bool(xp.all(xp.abs(values) >= tiny))


def _prod_partials(x, ans, axis):
    """d prod / d x_i: the product of the other elements of its slice.

    Without zeros (and away from underflow) that is ``prod / x_i``; otherwise it is formed from
    running products from both ends, with no division, so that it stays exact where the input
    holds zeros, to every order.
    """
    xv, av = raw(x), raw(ans)
    xp = xp_of(xv)
    # the division is a shortcut for values seen to hold no zero; on CuPy and Dask, where
    # looking would wait for the GPU or compute the recipe, the running products serve
    if not waits_to_read(xv) and bool(xp.all(xv != 0)) and _normal(xp, av) and all_finite(av):
        return reshape(ans, kept_shape(x.shape, axis)) / x
    from .statistics import others_product

    return others_product(x, axis)


@primitive(
    vjp=rules(
        smooth,
        lambda g, ans, x, *, axis, dtype, keepdims: (
            _spread(g, ans, x, axis) * _conj(_prod_partials(x, ans, axis))
        ),
    ),
    jvp=lambda ts, ans, x, *, axis, dtype, keepdims: sum(
        ts[0] * _prod_partials(x, ans, axis), axis=_axes(ts[0], x, axis), keepdims=keepdims
    ),
)
def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    """Product over ``axis``; its gradient is exact where the input holds zeros, to every order.

    >>> import tapegrad as tg
    >>> print(tg.prod(tg.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0))
    tg.Tensor([3. 8.], shape=(2,), dtype=float32)
    """
    return _accumulated("prod", x, axis, dtype, keepdims)


def _extreme_weights(x, ans, axis):
    """Ties share the gradient equally, consistent with ``maximum`` at ties."""
    hit = astype(equal(x, reshape(ans, kept_shape(x.shape, axis))), x.dtype)
    return hit / sum(hit, axis=axis, keepdims=True)


def _extreme_vjp(g, ans, x, *, axis, keepdims):
    return _spread(g, ans, x, axis) * _extreme_weights(x, ans, axis)


def _extreme_jvp(ts, ans, x, *, axis, keepdims):
    t = ts[0]
    return sum(t * _extreme_weights(x, ans, axis), axis=_axes(t, x, axis), keepdims=keepdims)


def _nothing_error(name, x, axis):
    """A ValueError for a maximum or minimum over axes that hold no elements (None if not)."""
    if size_of(x.shape[a] for a in negative_axes(axis, x.ndim)) != 0:
        return None
    return ValueError(
        f"{name}: axis={axis!r} of the shape {tuple(x.shape)} holds no elements, and the {name}"
        f"imum of nothing is undefined: reduce over axes of nonzero length"
    )


@primitive(vjp=rules(smooth, _extreme_vjp), jvp=_extreme_jvp)
def max(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the Array API name
    """Maximum over ``axis``. Repeated maxima share the gradient equally.

    >>> import tapegrad as tg
    >>> print(tg.max(tg.constant([[1.0, 5.0], [3.0, 4.0]]), axis=0))
    tg.Tensor([3. 5.], shape=(2,), dtype=float32)
    """
    axis = given_axes("max", x, axis)
    try:
        return xp_of(x).max(x, axis=axis, keepdims=keepdims)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error("max", axis, x.ndim) or _nothing_error("max", x, axis) or error from None


@primitive(vjp=rules(smooth, _extreme_vjp), jvp=_extreme_jvp)
def min(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the Array API name
    """Minimum over ``axis``. Repeated minima share the gradient equally.

    >>> import tapegrad as tg
    >>> print(tg.min(tg.constant([[1.0, 5.0], [3.0, 4.0]]), axis=0))
    tg.Tensor([1. 4.], shape=(2,), dtype=float32)
    """
    axis = given_axes("min", x, axis)
    try:
        return xp_of(x).min(x, axis=axis, keepdims=keepdims)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error("min", axis, x.ndim) or _nothing_error("min", x, axis) or error from None


@primitive()
def all(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the Array API name
    """Whether every element over ``axis`` is true (nonzero); no derivative.

    >>> import tapegrad as tg
    >>> print(tg.all(tg.constant([[True, False], [True, True]]), axis=1))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    negative_axes(axis, x.ndim)
    return xp_of(x).all(x, axis=axis, keepdims=keepdims)


@primitive()
def any(x, /, *, axis=None, keepdims=False):  # noqa: A001 - the Array API name
    """Whether some element over ``axis`` is true (nonzero); no derivative.

    >>> import tapegrad as tg
    >>> print(tg.any(tg.constant([[True, False], [False, False]]), axis=1))
    tg.Tensor([ True False], shape=(2,), dtype=bool)
    """
    negative_axes(axis, x.ndim)
    return xp_of(x).any(x, axis=axis, keepdims=keepdims)
