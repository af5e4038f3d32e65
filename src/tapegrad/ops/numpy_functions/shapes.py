"""NumPy's functions that reshape, join, split and pick elements, with NumPy's positional
arguments and errors: ``ravel``, ``copy``, the ``atleast_*``, the stacks and ``block``, the
flips, ``rot90``, ``roll``, ``repeat``, ``split``, ``append``, ``delete``, ``insert``,
``resize``, ``take``, ``diff``, ``triu``/``tril``, ``clip`` and ``where``.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from ..._dtypes import as_dtype, kind_of
from ..._tensor import Tensor
from .. import creation, indexing, searching
from .. import elementwise as ew
from .. import manipulation as mp
from .. import statistics as st
from ._common import (
    _NO,
    _along,
    _cast_like_numpy,
    _copy,
    _first_tensor,
    _gather,
    _joined,
    _tensor,
    _tensors,
    _values,
    no_out,
    normalize_axis_index,
    refuse,
)


def ravel(a, order="C"):
    """``numpy.ravel``: the elements in C order, or in Fortran order for ``order="F"``
    (tensors are C-contiguous, so "A" and "K" are C order)."""
    a = _tensor(a)
    if order in ("C", "A", "K", None):
        return mp.reshape(a, (-1,))
    if order != "F":
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    return mp.reshape(mp.permute_dims(a, tuple(range(a.ndim))[::-1]), (-1,))


def copy(a, order="K", subok=False):  # noqa: A001 - NumPy's name
    """``numpy.copy`` (and ``t.copy()``): a new tensor with the same values, on the tape (a
    cast to its own dtype), so gradients flow through it."""
    return _copy(_tensor(a))


def _atleast(ndim, arys):
    out = _atleast_all(ndim, arys)
    return out[0] if len(out) == 1 else tuple(out)


def _atleast_all(ndim, arys):
    out = []
    for a in _tensors(*arys):
        if a.ndim < ndim:
            if ndim == 3 and a.ndim == 1:
                shape = (1, a.shape[0], 1)
            elif ndim == 3 and a.ndim == 2:
                shape = (*a.shape, 1)
            else:
                shape = (1,) * (ndim - a.ndim) + tuple(a.shape)
            a = mp.reshape(a, shape)
        out.append(a)
    return out


def atleast_1d(*arys):
    """``numpy.atleast_1d``: 0-d tensors as shape (1,); one tensor, or a tuple of them."""
    return _atleast(1, arys)


def atleast_2d(*arys):
    """``numpy.atleast_2d``: a leading axis of length 1 added until two axes."""
    return _atleast(2, arys)


def atleast_3d(*arys):
    """``numpy.atleast_3d``: (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1)."""
    return _atleast(3, arys)


def _as_list(tup, name):
    if not hasattr(tup, "__getitem__"):
        raise TypeError(
            f"arrays to {name} must be passed as a sequence type such as list or tuple."
        )
    return list(tup)


def vstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.vstack``: joined along the first axis after ``atleast_2d``."""
    return _joined(_atleast_all(2, _as_list(tup, "stack")), 0, dtype, casting)


def row_stack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.row_stack``: ``vstack``, with NumPy's deprecation warning."""
    warnings.warn(
        "`row_stack` alias is deprecated. Use `np.vstack` directly.",
        DeprecationWarning,
        stacklevel=3,
    )
    return vstack(tup, dtype=dtype, casting=casting)


def hstack(tup, *, dtype=None, casting="same_kind"):
    """``numpy.hstack``: joined along the first axis for 1-D tensors, else the second."""
    arrs = _atleast_all(1, _as_list(tup, "stack"))
    return _joined(arrs, 0 if arrs and arrs[0].ndim == 1 else 1, dtype, casting)


def column_stack(tup):
    """``numpy.column_stack``: 1-D tensors as columns, joined along the second axis."""
    columns = []
    for v in _tensors(*_as_list(tup, "stack")):
        if v.ndim < 2:
            v = mp.reshape(v, (-1, 1))
        columns.append(v)
    return _joined(columns, 1)


def dstack(tup):
    """``numpy.dstack``: joined along the third axis after ``atleast_3d``."""
    return _joined(_atleast_all(3, _as_list(tup, "stack")), 2)


def _block_leaves(arrays, depth):
    return (
        [arrays] if depth == 0 else [x for part in arrays for x in _block_leaves(part, depth - 1)]
    )


def _block_depth(arrays, index=()):
    """The depth of list nesting of ``block``'s argument, and its leaves' largest ndim, with
    NumPy's errors."""
    if isinstance(arrays, tuple):
        raise TypeError(
            f"arrays{''.join(f'[{i}]' for i in index)} is a tuple. Only lists can be used to "
            "arrange blocks, and np.block does not allow implicit conversion from tuple to ndarray."
        )
    if not isinstance(arrays, list):
        return 0, _tensor(arrays).ndim
    if not arrays:
        raise ValueError(f"List at arrays{''.join(f'[{i}]' for i in index)} cannot be empty")
    found = [_block_depth(a, (*index, i)) for i, a in enumerate(arrays)]
    other = next((i for i, (d, _) in enumerate(found) if d != found[0][0]), None)
    if other is not None:
        raise ValueError(
            "List depths are mismatched. First element was at depth "
            f"{found[0][0] + len(index) + 1}, but there is an element at depth "
            f"{found[other][0] + len(index) + 1} (arrays{''.join(f'[{i}]' for i in index)}"
            f"[{other}])"
        )
    return found[0][0] + 1, builtins.max(n for _, n in found)


def block(arrays):
    """``numpy.block``: nested lists joined innermost along the last axis, every leaf given
    leading axes of length 1 up to the result's number of axes."""
    depth, leaf_ndim = _block_depth(arrays)
    ndim = builtins.max(depth, leaf_ndim)
    like = _first_tensor(_block_leaves(arrays, depth))  # plain leaves join its library

    def build(part, level):
        if level == depth:
            part = _tensor(part, like=like)
            return mp.reshape(part, (1,) * (ndim - part.ndim) + tuple(part.shape))
        return _joined([build(p, level + 1) for p in part], level - depth)

    return build(arrays, 0)


def fliplr(m):
    """``numpy.fliplr``: the second axis reversed."""
    m = _tensor(m)
    if m.ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return mp.flip(m, axis=1)


def flipud(m):
    """``numpy.flipud``: the first axis reversed."""
    m = _tensor(m)
    if m.ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return mp.flip(m, axis=0)


def flip(m, axis=None):
    """``numpy.flip`` with NumPy's positional axis."""
    return mp.flip(_tensor(m), axis=axis)


def rot90(m, k=1, axes=(0, 1)):
    """``numpy.rot90``: ``k`` quarter turns from the first of ``axes`` toward the second."""
    m = _tensor(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or builtins.abs(axes[0] - axes[1]) == m.ndim:
        raise ValueError("Axes must be different.")
    if axes[0] >= m.ndim or axes[0] < -m.ndim or axes[1] >= m.ndim or axes[1] < -m.ndim:
        raise ValueError(f"Axes={axes} out of range for array of ndim={m.ndim}.")
    k %= 4
    if k == 0:
        return _copy(m)
    if k == 2:
        return mp.flip(mp.flip(m, axis=axes[0]), axis=axes[1])
    order = list(range(m.ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return mp.permute_dims(mp.flip(m, axis=axes[1]), tuple(order))
    return mp.flip(mp.permute_dims(m, tuple(order)), axis=axes[1])


def roll(a, shift, axis=None):
    """``numpy.roll`` with NumPy's positional axis."""
    return mp.roll(_tensor(a), shift, axis=axis)


def repeat(a, repeats, axis=None):
    """``numpy.repeat`` with NumPy's positional axis."""
    return mp.repeat(_tensor(a), repeats, axis=axis)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """``numpy.stack`` with NumPy's positional axis, ``dtype`` and ``casting``."""
    no_out("stack", out)
    arrays = list(_tensors(*_as_list(arrays, "stack")))
    if dtype is not None:
        arrays = [mp.expand_dims(a, axis=0) for a in arrays]
        joined = _joined(arrays, 0, dtype, casting)
        return mp.moveaxis(joined, 0, normalize_axis_index(axis, joined.ndim))
    return mp.stack(arrays, axis=axis)


def array_split(ary, indices_or_sections, axis=0):
    """``numpy.array_split``: ``n`` pieces of sizes differing by at most one, or pieces cut at
    the given indices (Python's slice rules past the end)."""
    ary = _tensor(ary)
    axis = normalize_axis_index(axis, ary.ndim)
    total = ary.shape[axis]
    try:
        points = [0, *list(indices_or_sections), total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = builtins.divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [
        ary[_along(axis, ary.ndim, slice(int(points[i]), int(points[i + 1])))]
        for i in range(len(points) - 1)
    ]


def split(ary, indices_or_sections, axis=0):
    """``numpy.split``: ``array_split`` that refuses sections of unequal size."""
    try:
        len(indices_or_sections)
    except TypeError:
        n = _tensor(ary).shape[axis]
        if n % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division") from None
    return array_split(ary, indices_or_sections, axis)


def append(arr, values, axis=None):
    """``numpy.append``: both flattened and joined (``axis=None``), or joined along ``axis``."""
    arr, values = _tensors(arr, values)
    if axis is None:
        return mp.concat([ravel(arr), ravel(values)], axis=0)
    return mp.concat([arr, values], axis=axis)


def delete(arr, obj, axis=None):
    """``numpy.delete``: NumPy's own ``delete`` chooses the kept positions (integers, slices,
    lists, masks, ``axis=None`` flattening); the values go through a recorded ``take``."""
    arr = _tensor(arr)
    obj = _values(obj) if isinstance(obj, Tensor) else obj
    labels = np.delete(np.arange(arr.size).reshape(arr.shape), obj, axis)
    return _gather(arr, labels)


def insert(arr, obj, values, axis=None):
    """``numpy.insert``: NumPy's own ``insert`` places the positions of ``arr`` and of
    ``values`` (broadcast as NumPy broadcasts them); the data goes through a recorded ``take``.
    ``values`` take ``arr``'s dtype, as in NumPy, but a float is never truncated into an
    integer tensor (TypeError)."""
    arr, values = _tensors(arr, values)
    values = _cast_like_numpy(values, as_dtype(arr.dtype), "insert")
    obj = _values(obj) if isinstance(obj, Tensor) else obj
    n = arr.size
    inserted = np.arange(n, n + values.size).reshape(values.shape)
    labels = np.insert(np.arange(n).reshape(arr.shape), obj, inserted, axis)
    return _gather(mp.concat([mp.reshape(arr, (-1,)), mp.reshape(values, (-1,))]), labels)


def resize(a, new_shape):
    """``numpy.resize``: the flattened elements repeated to fill ``new_shape``."""
    a = _tensor(a)
    if a.size == 0:
        return creation.asarray(np.zeros(new_shape, dtype=as_dtype(a.dtype)), like=a)
    return _gather(a, np.resize(np.arange(a.size), new_shape))


def take(a, indices, axis=None, out=None, mode="raise"):
    """``numpy.take``: any shape of indices, ``axis=None`` on the flattened tensor, and
    NumPy's ``mode`` ("raise", "wrap" or "clip")."""
    no_out("take", out)
    a = _tensor(a)
    if axis is None:
        a, axis = mp.reshape(a, (-1,)), 0
    axis = normalize_axis_index(axis, a.ndim)
    n = a.shape[axis]
    index = indices if isinstance(indices, Tensor) else np.asarray(indices)
    if not isinstance(index, Tensor) and index.size == 0:  # [] reads as float64; NumPy takes it
        index = index.astype(np.intp)
    if mode == "wrap":
        index = ew.remainder(index, n) if isinstance(index, Tensor) else np.mod(index, n)
    elif mode == "clip":
        index = ew.clip(index, 0, n - 1) if isinstance(index, Tensor) else np.clip(index, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    shape = tuple(index.shape)
    picked = mp.take(
        a, mp.reshape(index, (-1,)) if isinstance(index, Tensor) else index.reshape(-1), axis=axis
    )
    return mp.reshape(picked, tuple(a.shape[:axis]) + shape + tuple(a.shape[axis + 1 :]))


def take_along_axis(arr, indices, axis=-1):
    """``numpy.take_along_axis`` with NumPy's positional axis."""
    return indexing.take_along_axis(_tensor(arr), indices, axis=axis)


def diff(a, n=1, axis=-1, prepend=_NO, append=_NO):
    """``numpy.diff`` with NumPy's positional ``n`` and ``axis``."""
    return st.diff(
        _tensor(a),
        n=n,
        axis=axis,
        prepend=None if prepend is _NO else prepend,
        append=None if append is _NO else append,
    )


def triu(m, k=0):
    """``numpy.triu`` with NumPy's positional ``k`` (a 1-D tensor as the rows of a square)."""
    return creation.triu(_square_of_rows(m), k=k)


def tril(m, k=0):
    """``numpy.tril`` with NumPy's positional ``k`` (a 1-D tensor as the rows of a square)."""
    return creation.tril(_square_of_rows(m), k=k)


def _square_of_rows(m):
    """NumPy's ``triu``/``tril`` of a 1-D array: the array repeated as every row of a square."""
    m = _tensor(m)
    if m.ndim == 1:
        return mp.broadcast_to(m, (m.shape[0], m.shape[0]))
    return m


def clip(a, a_min=_NO, a_max=_NO, out=None, *, min=_NO, max=_NO, **kwargs):  # noqa: A002
    """``numpy.clip`` with ``a_min``/``a_max`` or NumPy 2's ``min``/``max``."""
    no_out("clip", out)
    refuse("clip", **kwargs)
    if a_min is not _NO and min is not _NO or a_max is not _NO and max is not _NO:
        raise ValueError(
            "Passed more than one argument, a_min and min, or a_max and max; use one of each"
        )
    low = a_min if a_min is not _NO else (None if min is _NO else min)
    high = a_max if a_max is not _NO else (None if max is _NO else max)
    return ew.clip(_tensor(a), low, high)


def where(condition, x=None, y=None, /):
    """``numpy.where``: elements of ``x`` or ``y``; with the condition alone, ``nonzero``."""
    if x is None and y is None:
        return searching.nonzero(_tensor(condition))
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    condition = _tensor(condition, like=_first_tensor((x, y)))
    if kind_of(condition.dtype) != "b":
        condition = ew.not_equal(condition, 0)
    return ew.where(condition, x, y)
