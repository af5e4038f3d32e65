"""Searching, sorting and sets: argmax, argmin, argsort, sort, nonzero, searchsorted,
count_nonzero and the unique functions.

Integer results (indices, counts) have no derivative. ``sort`` and the values of ``unique_*``
are differentiable: their gradients follow the permutation (or the grouping), and equal
elements share their gradient evenly, as repeated maxima do in ``max``.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .._backend import device_of, is_lazy, waits_to_read, xp_of
from .._dtypes import as_dtype
from .._primitive import primitive, raw
from .._standard_gaps import along_index, scatter_add
from .._standard_gaps import scatter_along_axis as backend_scatter_along_axis
from .._standard_gaps import take_along_axis as backend_take_along_axis
from .._state import RAW, context
from .._tensor import wrap
from ._helpers import lead, negative_axes
from ._strong import linear, rules
from .indexing import getitem, index_add, scatter_along_axis, take_along_axis
from .manipulation import reshape

__all__ = [
    "argmax",
    "argmin",
    "argsort",
    "count_nonzero",
    "nonzero",
    "searchsorted",
    "sort",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
]

UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices", "counts"])
UniqueCountsResult = namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = namedtuple("UniqueInverseResult", ["values", "inverse_indices"])


def _index(value):
    """An index result in the Array API's default index dtype (int64)."""
    xp = xp_of(value)
    return value if as_dtype(value.dtype) == np.int64 else xp.astype(value, xp.int64)


def _output(value):
    """A backend result as the caller's kind of value: raw inside a backward pass, else a
    tensor (for functions that return several arrays, and so are not primitives)."""
    return value if context().mode == RAW else wrap(value)


def _axis_of(x, axis, name="argmax"):
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{name}: axis must be an int or None (one axis), not {axis!r}")
    (axis,) = negative_axes(axis, max(x.ndim, 1))
    return axis


# -- argmax, argmin, argsort ----------------------------------------------------------------------
@primitive()
def argmax(x, /, *, axis=None, keepdims=False):
    """Index of the largest element over ``axis`` (of the flattened array when None); the first
    one where the maximum repeats. No derivative.

    >>> import tapegrad as tg
    >>> print(tg.argmax(tg.constant([[1.0, 5.0], [7.0, 2.0]]), axis=1))
    tg.Tensor([1 0], shape=(2,), dtype=int64)
    """
    axis = _axis_of(x, axis)  # checked first: an axis out of range is named as such
    _check_nonempty(x, axis, "argmax")
    return _index(xp_of(x).argmax(x, axis=axis, keepdims=keepdims))


@primitive()
def argmin(x, /, *, axis=None, keepdims=False):
    """Index of the smallest element over ``axis`` (of the flattened array when None); the first
    one where the minimum repeats. No derivative.

    >>> import tapegrad as tg
    >>> print(tg.argmin(tg.constant([[1.0, 5.0], [7.0, 2.0]]), axis=1))
    tg.Tensor([0 1], shape=(2,), dtype=int64)
    """
    axis = _axis_of(x, axis, "argmin")  # checked first: an axis out of range is named as such
    _check_nonempty(x, axis, "argmin")
    return _index(xp_of(x).argmin(x, axis=axis, keepdims=keepdims))


def _check_nonempty(x, axis, name):
    size = x.shape[axis] if axis is not None and x.ndim else getattr(x, "size", 1)
    if size == 0:
        raise ValueError(
            f"{name} of an empty array (shape {tuple(x.shape)}) is undefined: it needs at least "
            "one element along the axis"
        )


@primitive()
def argsort(x, /, *, axis=-1, descending=False, stable=True):
    """Indices that sort ``x`` along ``axis``; equal elements keep their order (the sort is
    stable). NaNs come last, or first with ``descending=True``. No derivative.

    >>> import tapegrad as tg
    >>> print(tg.argsort(tg.constant([3.0, 1.0, 2.0])))
    tg.Tensor([1 2 0], shape=(3,), dtype=int64)
    """
    return _permutation(x, _axis_of(x, axis, "argsort"), descending)


def _permutation(x, axis, descending):
    xp = xp_of(x)
    if x.ndim == 0:
        return _index(xp.zeros((), dtype=xp.int64, device=device_of(x)))
    return _index(xp.argsort(x, axis=axis, descending=descending, stable=True))


# -- sort -----------------------------------------------------------------------------------------
def _tie_groups(sorted_values, axis):
    """For values sorted along the (negative) ``axis``: each position's group of equal values
    (numbered from 0 along the axis) and that group's size; None when no neighbours are equal.
    NaNs never equal one another, so each is a group of its own."""
    v = raw(sorted_values)
    xp = xp_of(v)
    if v.shape[axis] < 2:
        return None

    def along(selector):
        return (Ellipsis, selector) + (slice(None),) * (-axis - 1)

    starts = v[along(slice(1, None))] != v[along(slice(None, -1))]
    if not waits_to_read(v) and bool(xp.all(starts)):  # no ties: nothing to average
        return None
    first = xp.ones_like(v[along(slice(0, 1))], dtype=xp.bool)
    new_group = xp.astype(xp.concat([first, starts], axis=axis), xp.int64)
    group = xp.cumulative_sum(new_group, axis=axis) - 1
    # each group's size, at the group's number: chunk by chunk on Dask (positions gathered on
    # the client would compute the recipe), a scatter-add elsewhere
    counts = backend_scatter_along_axis(xp.ones_like(group), group, axis, v.shape[axis])
    if counts is None:
        counts = xp.zeros(v.shape, dtype=xp.int64, device=device_of(v))
        counts = scatter_add(counts, along_index(group, axis, xp), xp.ones_like(group))
    return group, backend_take_along_axis(counts, group, axis)


def _tie_average(v, ans, axis):
    """``v`` (shaped like the sorted output, plus batch axes) averaged over groups of equal
    sorted values: the symmetric subgradient where elements tie."""
    groups = _tie_groups(ans, axis)
    if groups is None:
        return v
    group, size = groups
    batch = lead(v, ans)
    full = batch + tuple(ans.shape)
    xp = xp_of(raw(v))
    totals = scatter_along_axis(v, group, axis=axis, shape=tuple(ans.shape))
    spread = take_along_axis(totals, xp.broadcast_to(xp.asarray(group), full), axis=axis)
    return spread / xp.asarray(size, dtype=raw(v).dtype)


def _sort_vjp(g, ans, x, *, axis, descending):
    perm = _permutation(x, axis, descending)
    return scatter_along_axis(_tie_average(g, ans, axis), perm, axis=axis, shape=tuple(x.shape))


def _sort_jvp(ts, ans, x, *, axis, descending):
    t = ts[0]
    perm = _permutation(x, axis, descending)
    xp = xp_of(perm)
    moved = take_along_axis(t, xp.broadcast_to(perm, tuple(t.shape)), axis=axis)
    return _tie_average(moved, ans, axis)


@primitive(vjp=rules(linear, _sort_vjp), jvp=_sort_jvp)
def _sort(x, /, *, axis, descending):
    xp = xp_of(x)
    return xp.sort(x, axis=axis, descending=descending, stable=True)


def sort(x, /, *, axis=-1, descending=False, stable=True):
    """``x`` sorted along ``axis`` (NaNs last; first with ``descending=True``, the ascending
    order reversed, as in JAX and PyTorch). The gradient follows the sorting permutation
    back to the elements; elements that are equal share the gradient of their positions
    evenly (so ``sort(x)[-1]`` and ``max(x)`` agree at ties).

    >>> import tapegrad as tg
    >>> x = tg.constant([3.0, 1.0, 2.0])
    >>> with tg.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = tg.sort(x)
    ...     loss = tg.sum(y * tg.constant([1.0, 2.0, 3.0]))
    >>> print(y)
    tg.Tensor([1. 2. 3.], shape=(3,), dtype=float32)
    >>> print(tape.gradient(loss, x))
    tg.Tensor([3. 1. 2.], shape=(3,), dtype=float32)
    """
    if not hasattr(x, "ndim"):
        from .creation import convert_to_tensor

        x = convert_to_tensor(x)
    if x.ndim == 0:
        raise ValueError("sort needs an array of at least one dimension; got shape ()")
    (axis,) = negative_axes(axis, x.ndim)
    return _sort(x, axis=axis, descending=bool(descending))


# -- nonzero, searchsorted, count_nonzero -------------------------------------------------------
def nonzero(x, /):
    """The indices of the nonzero (true) elements, one integer array per axis. No derivative.

    >>> import tapegrad as tg
    >>> rows, cols = tg.nonzero(tg.constant([[0.0, 1.0], [2.0, 0.0]]))
    >>> print(rows, cols)
    tg.Tensor([0 1], shape=(2,), dtype=int64) tg.Tensor([1 0], shape=(2,), dtype=int64)
    """
    value = raw(x)
    if value.ndim == 0:
        raise ValueError(
            "nonzero of a 0-d array is not defined: reshape it to 1-D first (tg.reshape(x, (1,)))"
        )
    return tuple(_output(_index(i)) for i in xp_of(value).nonzero(value))


@primitive()
def searchsorted(x1, x2, /, *, side="left", sorter=None):
    """Where the elements of ``x2`` would go in the sorted 1-D ``x1`` to keep it sorted
    (``side="left"``: before equal elements, ``"right"``: after). No derivative.

    >>> import tapegrad as tg
    >>> print(tg.searchsorted(tg.constant([1.0, 2.0, 3.0]), tg.constant([2.0, 2.5])))
    tg.Tensor([1 2], shape=(2,), dtype=int64)
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', not {side!r}")
    if x1.ndim != 1:
        raise ValueError(
            f"searchsorted needs a 1-D sorted array x1; got shape {tuple(x1.shape)}: flatten "
            "it (tg.reshape(x1, (-1,))) or search each row separately"
        )
    xp = xp_of(x1)
    return _index(
        xp.searchsorted(x1, x2, side=side, sorter=None if sorter is None else raw(sorter))
    )


@primitive()
def count_nonzero(x, /, *, axis=None, keepdims=False):
    """The number of nonzero (true) elements over ``axis``. No derivative.

    >>> import tapegrad as tg
    >>> print(tg.count_nonzero(tg.constant([[0.0, 1.0], [2.0, 3.0]]), axis=1))
    tg.Tensor([1 2], shape=(2,), dtype=int64)
    """
    negative_axes(axis, x.ndim)
    xp = xp_of(x)
    return _index(xp.asarray(xp.count_nonzero(x, axis=axis, keepdims=keepdims)))


# -- unique ---------------------------------------------------------------------------------------
def _unique_vjp(g, ans, x, *, first, inverse, counts):
    batch = lead(g, ans)
    share = g / xp_of(raw(g)).asarray(counts, dtype=raw(g).dtype, device=device_of(raw(g)))
    return reshape(getitem(share, index=(Ellipsis, inverse)), batch + tuple(x.shape))


def _unique_jvp(ts, ans, x, *, first, inverse, counts):
    t = ts[0]
    batch = lead(t, x)
    flat = reshape(t, batch + (-1,) if x.size else batch + (0,))
    totals = index_add(flat, index=(inverse,), shape=(counts.shape[0],), n_lead=len(batch))
    value = raw(totals)
    return totals / xp_of(value).asarray(counts, dtype=value.dtype, device=device_of(value))


@primitive(vjp=rules(linear, _unique_vjp), jvp=_unique_jvp)
def _unique_values(x, /, *, first, inverse, counts):
    xp = xp_of(x)
    return xp.take(xp.reshape(x, (-1,)), first, axis=0)


def _unique(x):
    """``values, first indices, inverse indices (flat), counts`` of the flattened ``x``."""
    value = raw(x)
    if is_lazy(value):
        raise NotImplementedError(
            "tg.unique_values (and unique_all, unique_counts, unique_inverse) is not "
            "available for dask arrays: the size of its result is unknown until computed; "
            "compute the array first (t.numpy()) if it fits in memory"
        )
    xp = xp_of(value)
    result = xp.unique_all(value)
    inverse = xp.reshape(_index(result.inverse_indices), (-1,))
    first = _index(result.indices)
    counts = _index(result.counts)
    values = _unique_values(x, first=first, inverse=inverse, counts=counts)
    return values, first, xp.reshape(inverse, tuple(value.shape)), counts


def unique_all(x, /):
    """The distinct elements of ``x`` (sorted), the index of each one's first occurrence in the
    flattened ``x``, the index into the values of each element of ``x`` (shaped like ``x``), and
    how often each occurs. NaNs are distinct from one another. The values are differentiable:
    equal elements share the gradient of their value evenly.

    >>> import tapegrad as tg
    >>> result = tg.unique_all(tg.constant([2.0, 1.0, 2.0]))
    >>> print(result.values, result.counts)
    tg.Tensor([1. 2.], shape=(2,), dtype=float32) tg.Tensor([1 2], shape=(2,), dtype=int64)
    """
    values, first, inverse, counts = _unique(x)
    return UniqueAllResult(values, _output(first), _output(inverse), _output(counts))


def unique_counts(x, /):
    """The distinct elements of ``x`` and how often each occurs (see ``unique_all``).

    >>> import tapegrad as tg
    >>> print(tg.unique_counts(tg.constant([2.0, 1.0, 2.0])).counts)
    tg.Tensor([1 2], shape=(2,), dtype=int64)
    """
    values, _, _, counts = _unique(x)
    return UniqueCountsResult(values, _output(counts))


def unique_inverse(x, /):
    """The distinct elements of ``x`` and, for each element of ``x``, the index of its value
    (see ``unique_all``).

    >>> import tapegrad as tg
    >>> print(tg.unique_inverse(tg.constant([2.0, 1.0, 2.0])).inverse_indices)
    tg.Tensor([1 0 1], shape=(3,), dtype=int64)
    """
    values, _, inverse, _ = _unique(x)
    return UniqueInverseResult(values, _output(inverse))


def unique_values(x, /):
    """The distinct elements of ``x``, sorted (see ``unique_all``).

    >>> import tapegrad as tg
    >>> print(tg.unique_values(tg.constant([2.0, 1.0, 2.0])))
    tg.Tensor([1. 2.], shape=(2,), dtype=float32)
    """
    return _unique(x)[0]
