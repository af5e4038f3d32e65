"""Statistics and scans: var, std, cumulative sums and products, diff.

Scans run along one axis, addressed from the end so that leading batch axes of cotangents and
tangents pass through. The gradient of a cumulative product is written with a first-order
linear recurrence (``_scan``, below), so it needs no division and stays exact where the input
holds zeros, to every order.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import _dtypes
from .._backend import device_of, xp_of
from .._primitive import primitive, raw
from .._tensor import to_array
from ._helpers import axis_error, floating, kept_shape, lead, negative_axes, size_of
from ._strong import linear, rules, smooth
from .elementwise import _conj, astype, not_equal, real, subtract, where
from .indexing import take_slice
from .manipulation import broadcast_to, concat, reshape
from .reduction import _spread, accumulation_dtype, checked_dtype, given_axes, mean, sum

__all__ = [
    "cumprod",
    "cumsum",
    "cumulative_prod",
    "cumulative_sum",
    "diff",
    "std",
    "var",
]


# -- variance and standard deviation ---------------------------------------------------------------
def _dof(x, axis, correction) -> float:
    """``N - correction``, at least 0, as NumPy's forward pass takes it."""
    return builtins.max(size_of(x.shape[a] for a in negative_axes(axis, x.ndim)) - correction, 0)


def _twice_over_dof(x, axis, correction) -> float:
    """``2 / (N - correction)``: infinite where no degree of freedom is left, as the variance
    itself is then (never a finite number of the wrong sign)."""
    dof = _dof(x, axis, correction)
    return 2 / dof if dof else math.inf


def _centered(x, axis):
    return x - mean(x, axis=axis, keepdims=True)


def _var_vjp(g, ans, x, *, axis, correction, keepdims):
    # d var / dx = 2 (x - mean) / (N - correction): the mean's own term sums to zero
    return _spread(g, ans, x, axis) * _centered(x, axis) * _twice_over_dof(x, axis, correction)


def _var_jvp(ts, ans, x, *, axis, correction, keepdims):
    axes = negative_axes(axis, x.ndim)
    inner = real(_conj(_centered(x, axis)) * ts[0])
    return sum(inner, axis=axes, keepdims=keepdims) * _twice_over_dof(x, axis, correction)


@primitive(vjp=rules(smooth, _var_vjp), jvp=_var_jvp)
def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    """Variance over ``axis`` (all axes by default): the mean of ``|x - mean(x)|**2`` taken
    with ``N - correction`` in the denominator (``correction=1`` for the unbiased estimate;
    NumPy's ``ddof``). Complex input gives a real variance.

    >>> import tapegrad as tg
    >>> print(tg.var(tg.constant([1.0, 2.0, 3.0, 4.0]), correction=1))
    tg.Tensor(1.6666666, shape=(), dtype=float32)
    """
    axis = given_axes("var", x, axis)
    try:
        return xp_of(x).var(floating(x), axis=axis, correction=correction, keepdims=keepdims)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error("var", axis, x.ndim) or error from None


def _std_scale(ans, x, axis, correction):
    """``1 / ((N - correction) * std)``, with 0 where the standard deviation is 0."""
    std_ = reshape(ans, kept_shape(x.shape, axis))
    return where(std_ == 0, 0, 1 / (_dof(x, axis, correction) * where(std_ == 0, 1, std_)))


def _std_vjp(g, ans, x, *, axis, correction, keepdims):
    return _spread(g, ans, x, axis) * _centered(x, axis) * _std_scale(ans, x, axis, correction)


def _std_jvp(ts, ans, x, *, axis, correction, keepdims):
    axes = negative_axes(axis, x.ndim)
    inner = real(_conj(_centered(x, axis)) * ts[0]) * _std_scale(ans, x, axis, correction)
    return sum(inner, axis=axes, keepdims=keepdims)


@primitive(vjp=rules(smooth, _std_vjp), jvp=_std_jvp)
def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    """Standard deviation over ``axis``: ``sqrt(var(x, correction=correction))``. Where all
    elements are equal it has a kink, like ``abs`` at 0, and its derivative is taken as 0.

    >>> import tapegrad as tg
    >>> print(tg.std(tg.constant([1.0, 3.0])))
    tg.Tensor(1.0, shape=(), dtype=float32)
    """
    axis = given_axes("std", x, axis)
    try:
        return xp_of(x).std(floating(x), axis=axis, correction=correction, keepdims=keepdims)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error("std", axis, x.ndim) or error from None


# -- cumulative sums -------------------------------------------------------------------------------
@primitive(
    vjp=rules(
        linear, lambda g, ans, x, *, axis, reverse: _cumsum(g, axis=axis, reverse=not reverse)
    ),
    jvp=lambda ts, ans, x, *, axis, reverse: _cumsum(ts[0], axis=axis, reverse=reverse),
)
def _cumsum(x, /, *, axis, reverse=False):
    """Running sums along the (negative) ``axis``; from the far end when ``reverse``."""
    xp = xp_of(x)
    if reverse:
        x = xp.flip(x, axis=axis)
    out = xp.cumulative_sum(x, axis=axis, dtype=x.dtype)
    return xp.flip(out, axis=axis) if reverse else out


def _scan_axis(x, axis, name) -> int:
    if axis is None:
        if x.ndim != 1:
            raise ValueError(
                f"{name} of a {x.ndim}-dimensional array needs an axis: pass axis=... (or "
                "flatten it first with tg.reshape(x, (-1,)))"
            )
        return -1
    if x.ndim == 0:
        raise ValueError(f"{name} needs an array of at least one dimension; got shape ()")
    (axis,) = negative_axes(axis, x.ndim)
    return axis


def _edge(v, axis, fill):
    """A slice of ``v`` along ``axis`` (length 1) filled with ``fill``: a constant."""
    value = raw(v)
    xp = xp_of(value)
    shape = list(value.shape)
    shape[axis] = 1
    return xp.full(tuple(shape), fill, dtype=value.dtype, device=device_of(value))


def _with_initial(out, axis, fill):
    return concat([_edge(out, axis, fill), out], axis=axis)


def _as_array(x):
    """Lists and numbers as tensors; tensors and backend arrays as they are."""
    if hasattr(x, "ndim"):
        return x
    from .creation import convert_to_tensor

    return convert_to_tensor(x)


def _accumulate(x, dtype, name):
    if dtype is not None:
        checked_dtype(name, raw(x), dtype)
    target = accumulation_dtype(x, dtype)
    return x if target is None or target == x.dtype else astype(x, target)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running sums along ``axis`` (which may be omitted for 1-D input); with
    ``include_initial``, a leading 0 as well.

    >>> import tapegrad as tg
    >>> print(tg.cumulative_sum(tg.constant([1.0, 2.0, 3.0])))
    tg.Tensor([1. 3. 6.], shape=(3,), dtype=float32)
    """
    x = _as_array(x)
    axis = _scan_axis(x, axis, "cumulative_sum")
    out = _cumsum(_accumulate(x, dtype, "cumulative_sum"), axis=axis)
    return _with_initial(out, axis, 0) if include_initial else out


def cumsum(x, /, axis=None, dtype=None):
    """NumPy's ``cumsum``: running sums along ``axis``, of the flattened array when None.

    >>> import tapegrad as tg
    >>> print(tg.cumsum(tg.constant([[1.0, 2.0], [3.0, 4.0]])))
    tg.Tensor([ 1.  3.  6. 10.], shape=(4,), dtype=float32)
    """
    x = _as_array(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return cumulative_sum(x, axis=axis, dtype=dtype)


# -- the linear recurrence behind cumulative products ----------------------------------------------
# Forward: u[k] = h[k] + a[k] * u[k - 1]; reverse: r[i] = h[i] + a[i + 1] * r[i + 1]. Both are
# linear in h, with the lower-triangular matrix T[k, i] = a[i + 1] * ... * a[k] and its
# transpose, so each is the other's VJP in h; their rules in a are products of shifted scans.
def _along(axis, selector):
    return (Ellipsis, selector) + (slice(None),) * (-axis - 1)


@primitive(
    vjp=rules(
        linear,
        lambda g, ans, v, *, axis, fill, reverse=False: _shift(
            g, axis=axis, fill=0, reverse=not reverse
        ),
    ),
    jvp=lambda ts, ans, v, *, axis, fill, reverse=False: _shift(
        ts[0], axis=axis, fill=0, reverse=reverse
    ),
)
def _shift(v, /, *, axis, fill, reverse=False):
    """``v`` moved one step along the (negative) ``axis``, away from its start (toward it when
    ``reverse``), with ``fill`` entering at the end left open."""
    xp = xp_of(v)
    n = v.shape[axis]
    if 0 in v.shape:  # no elements to move (Dask's concat of empty pieces built wrong chunks)
        return v
    edge = _edge(v, axis, fill)
    if reverse:
        return xp.concat([v[_along(axis, slice(1, n))], edge], axis=axis)
    return xp.concat([edge, v[_along(axis, slice(0, n - 1))]], axis=axis)


@primitive(
    vjp=rules(linear, lambda g, ans, v, *, axis: _flip(g, axis=axis)),
    jvp=lambda ts, ans, v, *, axis: _flip(ts[0], axis=axis),
)
def _flip(v, /, *, axis):
    """``v`` reversed along the (negative) ``axis``."""
    return xp_of(v).flip(v, axis=axis)


def _scan_vjp_h(g, ans, h, a, *, axis, reverse):
    return _scan(g, _conj(a), axis=axis, reverse=not reverse)


def _scan_vjp_a(g, ans, h, a, *, axis, reverse):
    back = _scan(g, _conj(a), axis=axis, reverse=not reverse)
    if reverse:
        return _conj(ans) * _shift(back, axis=axis, fill=0)
    return _conj(_shift(ans, axis=axis, fill=0)) * back


def _batched(t, x, ans):
    """The tangent ``t`` of input ``x`` with its batch axes kept in front of the axes that ``x``
    gains by broadcasting against the other input."""
    if t is None:
        return None
    batch = lead(t, x)
    if batch and x.ndim < ans.ndim:
        t = reshape(t, batch + (1,) * (ans.ndim - x.ndim) + tuple(x.shape))
    return t


def _scan_jvp(ts, ans, h, a, *, axis, reverse):
    th, ta = _batched(ts[0], h, ans), _batched(ts[1], a, ans)
    total = th
    if ta is not None:
        if reverse:
            extra = _shift(ans * ta, axis=axis, fill=0, reverse=True)
        else:
            extra = _shift(ans, axis=axis, fill=0) * ta
        total = extra if total is None else total + extra
    return _scan(total, a, axis=axis, reverse=reverse)


@primitive(vjp=rules(smooth, _scan_vjp_h, _scan_vjp_a), jvp=_scan_jvp)
def _scan(h, a, /, *, axis, reverse=False):
    xp = xp_of(h)
    shape = np.broadcast_shapes(tuple(h.shape), tuple(a.shape))
    dtype = getattr(xp, _dtypes.result_type(h.dtype, a.dtype).name)
    h = xp.astype(xp.broadcast_to(h, shape), dtype)
    a = xp.astype(xp.broadcast_to(a, shape), dtype)
    if size_of(shape) == 0:
        return h
    fast = _scan_by_products(xp, h, a, axis, reverse)
    return fast if fast is not None else _scan_by_steps(xp, h, a, axis, reverse)


def _scan_by_products(xp, h, a, axis, reverse):
    """T[k, i] = P[k] / P[i] with P the running product of a (a[0] never matters): exact and
    fast while P stays far from 0 and from overflow; None otherwise."""
    if not isinstance(a, np.ndarray):
        return None
    a = np.array(a, copy=True)
    a[(Ellipsis, 0) + (slice(None),) * (-axis - 1)] = 1
    products = np.cumprod(a, axis=axis)
    magnitude = np.abs(products)
    limit = np.sqrt(np.finfo(magnitude.dtype).tiny)
    if not (magnitude.min() >= limit and magnitude.max() <= 1 / limit):
        return None
    if reverse:
        return np.flip(np.cumsum(np.flip(products * h, axis=axis), axis=axis), axis=axis) / products
    return products * np.cumsum(h / products, axis=axis)


def _scan_by_steps(xp, h, a, axis, reverse):
    hs, as_ = xp.moveaxis(h, axis, -1), xp.moveaxis(a, axis, -1)
    n = hs.shape[-1]
    parts = [None] * n
    if reverse:
        parts[n - 1] = hs[..., n - 1]
        for i in range(n - 2, -1, -1):
            parts[i] = hs[..., i] + as_[..., i + 1] * parts[i + 1]
    else:
        parts[0] = hs[..., 0]
        for k in range(1, n):
            parts[k] = hs[..., k] + as_[..., k] * parts[k - 1]
    return xp.moveaxis(xp.stack(parts, axis=-1), -1, axis)


# -- cumulative products ---------------------------------------------------------------------------
def _cumprod_vjp(g, ans, x, *, axis):
    # d y[k] / d x[i] = (x[0] ... x[i - 1]) * (x[i + 1] ... x[k]): the running product before i,
    # times the reverse scan of g with coefficients x
    return _conj(_shift(ans, axis=axis, fill=1)) * _scan(g, _conj(x), axis=axis, reverse=True)


def _cumprod_jvp(ts, ans, x, *, axis):
    return _scan(ts[0] * _shift(ans, axis=axis, fill=1), x, axis=axis)


@primitive(vjp=rules(smooth, _cumprod_vjp), jvp=_cumprod_jvp)
def _cumprod(x, /, *, axis):
    return xp_of(x).cumulative_prod(x, axis=axis, dtype=x.dtype)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """Running products along ``axis`` (which may be omitted for 1-D input); with
    ``include_initial``, a leading 1 as well. The gradient is exact where ``x`` holds zeros, to
    every order.

    >>> import tapegrad as tg
    >>> x = tg.constant([2.0, 0.0, 3.0])
    >>> print(tg.cumulative_prod(x))
    tg.Tensor([2. 0. 0.], shape=(3,), dtype=float32)
    >>> with tg.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = tg.sum(tg.cumulative_prod(x))
    >>> print(tape.gradient(y, x))
    tg.Tensor([1. 8. 0.], shape=(3,), dtype=float32)
    """
    x = _as_array(x)
    axis = _scan_axis(x, axis, "cumulative_prod")
    out = _cumprod(_accumulate(x, dtype, "cumulative_prod"), axis=axis)
    return _with_initial(out, axis, 1) if include_initial else out


def cumprod(x, /, axis=None, dtype=None):
    """NumPy's ``cumprod``: running products along ``axis``, of the flattened array when None.

    >>> import tapegrad as tg
    >>> print(tg.cumprod(tg.constant([1.0, 2.0, 3.0])))
    tg.Tensor([1. 2. 6.], shape=(3,), dtype=float32)
    """
    x = _as_array(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return cumulative_prod(x, axis=axis, dtype=dtype)


def others_product(x, axis):
    """For each element, the product of the other elements of its slice over ``axis`` (an int,
    a tuple, or None for all axes), with no division: exact where ``x`` holds zeros.

    Along one axis it is the running product before the element times the one after it; over
    several, that times the same quantity for the element's line among the lines' products."""
    from .reduction import prod

    axes = negative_axes(axis, x.ndim)
    if not axes or 0 in x.shape:  # nothing to multiply (no elements: Dask's shifts of empty
        value = raw(x)  # axes build chunks of the wrong shape)
        return xp_of(value).ones_like(value)
    last = axes[-1]
    before = _shift(_cumprod(x, axis=last), axis=last, fill=1)
    flipped = _cumprod(_flip(x, axis=last), axis=last)
    after = _flip(_shift(flipped, axis=last, fill=1), axis=last)
    out = before * after
    if len(axes) > 1:
        out = out * others_product(prod(x, axis=last, keepdims=True), axes[:-1])
    return out


# -- differences -----------------------------------------------------------------------------------
def diff(x, /, *, axis=-1, n=1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis``: ``x[1:] - x[:-1]`` (``!=`` for bools,
    as NumPy's), repeated, after joining ``prepend`` and ``append`` (arrays, or numbers
    broadcast to one slice) to ``x``.

    >>> import tapegrad as tg
    >>> print(tg.diff(tg.constant([1.0, 4.0, 9.0, 16.0])))
    tg.Tensor([3. 5. 7.], shape=(3,), dtype=float32)
    >>> print(tg.diff(tg.constant([1.0, 4.0, 9.0, 16.0]), n=2))
    tg.Tensor([2. 2.], shape=(2,), dtype=float32)
    """
    x = _as_array(x)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: n must be a non-negative integer; got {n!r}")
    if x.ndim == 0:
        raise ValueError("diff needs an array of at least one dimension; got shape ()")
    (axis,) = negative_axes(axis, x.ndim)
    if prepend is not None or append is not None:
        prepend, append = (
            v.item() if isinstance(v, np.generic) else v for v in (prepend, append)
        )  # NumPy scalars join as numbers do (beside a Dask or strict tensor too)
        for value in (prepend, append):
            if isinstance(value, (int, float, complex)):  # weak, as beside an operator: an
                # int tensor with 0.5 becomes float32, rather than 0.5 truncated to 0
                weak = _dtypes.weak_scalar_dtype(value, raw(x).dtype)
                if weak != _dtypes.as_dtype(raw(x).dtype):
                    x = astype(x, weak)
        parts = [_slice_like(prepend, x, axis)] if prepend is not None else []
        parts.append(x)
        if append is not None:
            parts.append(_slice_like(append, x, axis))
        x = concat(parts, axis=axis)
    differ = not_equal if _dtypes.kind_of(raw(x).dtype) == "b" else subtract  # NumPy's, for bools
    for _ in range(n):
        length = x.shape[axis]
        x = differ(take_slice(x, axis, 1, length), take_slice(x, axis, 0, max(length - 1, 0)))
    return x


def _slice_like(value, x, axis):
    if isinstance(value, (list, tuple)):  # a sequence is an array, as NumPy takes it
        value = _as_array(value)
    if getattr(value, "ndim", 0) == 0:  # a number (or a 0-d array) fills one slice
        shape = list(x.shape)
        shape[axis] = 1
        if isinstance(value, (int, float, complex)):  # x has the scalar's weak dtype already
            to_array(value, raw(x).dtype)  # a value the dtype cannot hold raises
            return _edge(x, axis, value)
        return broadcast_to(value, tuple(shape))
    return value
