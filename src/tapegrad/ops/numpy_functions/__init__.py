"""NumPy functions called on tensors (``np.median(t)``, ``np.outer(a, t)``, ``np.cbrt(t)``).

NumPy hands a call with a tensor among its arguments to ``Tensor.__array_function__`` (to
``__array_ufunc__`` for ufuncs), which runs the function registered for that name here (see
``FUNCTIONS``, ``UFUNCS``, ``REDUCE`` and ``ACCUMULATE``, merged into the tables of
``_operators.py``). Each function is a composition of tapegrad functions: it is recorded, and
differentiable to any order, forward and reverse, with no rule of its own. Each follows NumPy's
signature, keywords and values, with tapegrad's dtype rules (README, "dtypes"): a Python number
takes the tensor's dtype, integers become float32 (up to 16 bits) or float64 in floating
functions, and a float32 tensor stays float32 where NumPy would widen (``cov``, ``corrcoef``,
``interp``). A keyword NumPy has that is not supported raises TypeError naming it, and
``out=`` always does (it would write into an array outside the tape).

Results that have no derivative (``isclose``, ``argwhere``, ``histogram``'s counts and edges,
``argpartition``) are computed by NumPy's own function on the tensors' arrays (CuPy's and Dask's
on theirs, through their ``__array_function__``) and come back as tensors; ``allclose``,
``array_equal`` and ``array_equiv`` return Python bools, as NumPy's do.

>>> import numpy as np
>>> import tapegrad as tg
>>> x = tg.Variable([3.0, 1.0, 2.0, 10.0])
>>> with tg.GradientTape() as tape:
...     m = np.median(x)
>>> print(m, tape.gradient(m, x))
tg.Tensor(2.5, shape=(), dtype=float32) tg.Tensor([0.5 0.  0.5 0. ], shape=(4,), dtype=float32)
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings

import numpy as np

from ..._backend import backend_name, is_array, is_lazy, to_numpy, waits_to_read, xp_of
from ..._dtypes import as_dtype, float_result, kind_of, weak_scalar_dtype
from ..._tensor import Tensor, Variable, wrap
from .. import creation, indexing, searching
from .. import elementwise as ew
from .. import manipulation as mp
from .. import reduction as rd
from .. import statistics as st
from ..linalg import matmul, vecdot
from ..linalg import tensordot as _tensordot

try:
    from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
except ImportError:  # pragma: no cover - NumPy 1.26
    from numpy.core.multiarray import normalize_axis_index
    from numpy.core.numeric import normalize_axis_tuple

_NO = np._NoValue  # NumPy's "not given"


# -- keywords ------------------------------------------------------------------------------------
def no_out(name, out):
    """``out=`` would write into an array outside the tape: refused, naming the function."""
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        raise TypeError(
            f"numpy.{name}(..., out=...) would write into an array outside the tape: drop out= "
            "and use the returned tensor"
        )


def refuse(name, **given):
    """TypeError naming the keywords of NumPy's ``name`` that were given and that tapegrad does
    not honour: dropping them would change the result silently. ``where=True`` is no mask."""
    unknown = sorted(
        k
        for k, v in given.items()
        if v is not _NO and v is not None and not (k == "where" and v is True)
    )
    if unknown:
        hint = " (tg.where for where=)" if "where" in unknown else ""
        raise TypeError(
            f"numpy.{name} on tensors takes no {', '.join(k + '=' for k in unknown)}: compute "
            f"with tapegrad functions{hint}"
        )


def _refuse_value(name, keyword, value, supported):
    raise TypeError(
        f"numpy.{name} on tensors takes {keyword}={value!r} only as one of {supported}: compute "
        "the others with tapegrad functions, or convert with t.numpy() to leave the tape"
    )


def _keepdims_given(keepdims):
    """NumPy's ``keepdims``, which some of its functions default to "not given"."""
    return False if keepdims is _NO else bool(keepdims)


# -- values --------------------------------------------------------------------------------------
def _tensor(x, like=None):
    """``x`` as a tensor; a value that holds no tensor joins the library of ``like``."""
    if isinstance(x, Tensor):
        return x
    if isinstance(like, Tensor) and backend_name(like._value) != "numpy" and not _holds_tensor(x):
        return creation.asarray(x, like=like)
    return creation.asarray(x)


def _tensors(*values):
    """Each value as a tensor; those that hold no tensor join the library of the first tensor
    among them, whatever its position (NumPy hands a tensor's function every argument)."""
    like = _first_tensor(values)
    return tuple(_tensor(v, like=like) for v in values)


def _holds_tensor(x):
    if isinstance(x, (list, tuple)):
        return builtins.any(_holds_tensor(v) for v in x)
    return isinstance(x, Tensor)


def _first_tensor(values):
    """The first tensor among ``values`` (whose library the others join), or None."""
    return next((v for v in values if isinstance(v, Tensor)), None)


def _is_number(v):
    return isinstance(v, (int, float, complex)) and not isinstance(v, np.generic)


def _pair(x1, x2):
    """Both operands of a binary function as tensors; a Python number takes the other's dtype
    (or its kind's default), as beside an operator."""
    like = _first_tensor((x1, x2))
    x1 = x1 if _is_number(x1) else _tensor(x1, like=like)
    x2 = x2 if _is_number(x2) else _tensor(x2, like=like)
    if _is_number(x1):
        x1 = _tensor(np.asarray(x1, dtype=weak_scalar_dtype(x1, x2.dtype)), like=x2)
    if _is_number(x2):
        x2 = _tensor(np.asarray(x2, dtype=weak_scalar_dtype(x2, x1.dtype)), like=x1)
    return x1, x2


def _floating(x):
    """A tensor in the dtype of a floating function of it: bool and integers become float32
    (up to 16 bits) or float64, as everywhere in tapegrad."""
    dtype = as_dtype(x.dtype)
    return x if dtype.kind in "fc" else ew.astype(x, float_result(dtype))


def _values(x) -> np.ndarray:
    """A NumPy copy of the values of a tensor, array or Python value (for static indices)."""
    if isinstance(x, Tensor):
        return to_numpy(x._value)
    if is_array(x) and not isinstance(x, np.ndarray):
        return to_numpy(x)
    return np.asarray(x)


def _raw(tree):
    """``tree`` with every tensor replaced by its array."""
    if isinstance(tree, Tensor):
        return tree._value
    if isinstance(tree, (list, tuple)):
        return type(tree)(_raw(v) for v in tree)
    if isinstance(tree, dict):
        return {k: _raw(v) for k, v in tree.items()}
    return tree


def _as_result(value, like):
    """A result of NumPy's function as tensors, in the library of the tensor ``like`` (NumPy
    hands back NumPy arrays for a library it converted, and Dask NumPy bin edges)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_as_result(v, like) for v in value)
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not is_array(value):
        return value
    if like is not None and backend_name(value) != backend_name(like._value):
        return creation.asarray(value, like=like)
    return wrap(value)


def _on_values(function, *args, **kwargs):
    """NumPy's own ``function`` on the arrays inside the tensors, its arrays as tensors: for
    results that have no derivative (there is no gradient to lose)."""
    like = _first_tensor([*args, *kwargs.values()])
    return _as_result(function(*_raw(args), **_raw(kwargs)), like)


def _static(array, like):
    """A NumPy array computed here (indices, weights, a mask) in the library of tensor
    ``like``, so that it meets that library's arrays."""
    if backend_name(like._value) == "numpy":
        return array
    return creation.asarray(array, like=like)


def _refuse_lazy(name, *values):
    """NotImplementedError where a function needs every value of a Dask tensor on the host
    (to place them): tapegrad never pulls a Dask array into one process behind the user's
    back."""
    for x in values:
        if isinstance(x, Tensor) and is_lazy(x._value):
            raise NotImplementedError(
                f"numpy.{name} is not available for dask tensors: it places the values on the "
                "host, which would pull the whole array into this process; compute it on NumPy "
                "values (t.numpy()) if they fit in memory"
            )


def _cheap_to_read(x) -> bool:
    """Reading values back for a check costs nothing here (not a GPU, not a Dask recipe)."""
    return not isinstance(x, Tensor) or not waits_to_read(x._value)


def _along(axis, ndim, index):
    """An index tuple that applies ``index`` to ``axis`` of an ndim array."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _gather(x, labels):
    """``x``'s elements at the flat positions ``labels`` (a NumPy integer array), shaped like
    it: NumPy's index bookkeeping on positions, the data through a recorded ``take``."""
    flat = mp.reshape(x, (-1,))
    picked = mp.take(flat, np.asarray(labels, dtype=np.int64).reshape(-1), axis=0)
    return mp.reshape(picked, labels.shape)


def _cast_like_numpy(values, dtype, name):
    """``values`` in ``dtype`` as NumPy writes them into an array of it; a cast that would lose
    a kind (float into int, complex into real) raises instead of truncating."""
    have = as_dtype(values.dtype)
    if have == dtype:
        return values
    if not np.can_cast(have, dtype, "same_kind"):
        raise TypeError(
            f"numpy.{name}: the values are {have}, which a {dtype} array cannot hold without "
            "loss; cast them first"
        )
    return ew.astype(values, dtype)


def _joined(arrays, axis, dtype=None, casting="same_kind"):
    """NumPy's ``concatenate`` with ``dtype`` and ``casting``."""
    arrays = [_tensor(a, like=_first_tensor(arrays)) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if dtype is not None:
        target = as_dtype(dtype)
        for a in arrays:
            if not np.can_cast(as_dtype(a.dtype), target, casting):
                raise TypeError(
                    f"Cannot cast array data from dtype('{as_dtype(a.dtype)}') to "
                    f"dtype('{target}') according to the rule '{casting}'"
                )
        arrays = [ew.astype(a, target) for a in arrays]
    return mp.concat(arrays, axis=axis)


# -- rounding ------------------------------------------------------------------------------------
def round(a, decimals=0, out=None):  # noqa: A001 - NumPy's name
    """``numpy.round`` (``around``, and ``t.round(decimals)``) as NumPy computes it: half to
    even of ``a * 10**decimals``, divided back (for negative decimals, of ``a / 10**-decimals``,
    multiplied back); integers with negative decimals go through float64 and back, as in NumPy.
    The derivative is 0, as round's.

    >>> import numpy as np
    >>> import tapegrad as tg
    >>> print(np.round(tg.constant([1.25, 2.35, 155.0]), 1), np.round(tg.constant([25, 35]), -1))
    tg.Tensor([  1.2   2.4 155. ], shape=(3,), dtype=float32) tg.Tensor([20 40], ...)
    """
    no_out("round", out)
    a = _tensor(a)
    decimals = operator.index(decimals)
    kind = kind_of(a.dtype)
    if kind == "b" or (kind in "iu" and decimals >= 0):
        return ew.round(a)  # whole already
    if kind in "iu":
        return ew.astype(round(ew.astype(a, np.float64), decimals), a.dtype)
    if kind == "c":  # NumPy rounds the real and imaginary parts, each as a float array
        parts = round(ew.real(a), decimals), round(ew.imag(a), decimals)
        joined = ew.add(parts[0], ew.multiply(parts[1], 1j))
        return _snapped(joined, _numpy_value(np.round, a, decimals))
    with np.errstate(over="ignore"):
        factor = float(np.float64(10.0) ** builtins.abs(decimals))
    if decimals >= 0:
        return ew.divide(ew.round(ew.multiply(a, factor)), factor)
    return ew.multiply(ew.round(ew.divide(a, factor)), factor)


def fix(x, out=None):
    """``numpy.fix``: rounding toward zero (tapegrad's ``trunc``); derivative 0."""
    no_out("fix", out)
    return ew.trunc(_tensor(x))


# -- shapes --------------------------------------------------------------------------------------
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


def _copy(a):
    return ew.astype(a, a.dtype, copy=True)


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

    def build(part, level):
        if level == depth:
            part = _tensor(part)
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
        return creation.zeros(new_shape, dtype=a.dtype)
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


# -- products ------------------------------------------------------------------------------------
def tensordot(a, b, axes=2):
    """``numpy.tensordot`` with the axes given by position."""
    if isinstance(axes, np.integer):
        axes = int(axes)
    if not isinstance(axes, int) and len(axes) == 2:
        axes = tuple(tuple(ax) if isinstance(ax, (list, tuple)) else (ax,) for ax in axes)
    return _tensordot(*_tensors(a, b), axes=axes)


def outer(a, b, out=None):
    """``numpy.outer``: the flattened ``a`` times the flattened ``b``, every pair."""
    no_out("outer", out)
    a, b = _tensors(a, b)
    return ew.multiply(mp.reshape(a, (-1, 1)), mp.reshape(ravel(b), (1, -1)))


def inner(a, b, /):
    """``numpy.inner``: sums of products over the last axes (no conjugation), a product when
    one side is 0-d."""
    a, b = _tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"shapes {tuple(a.shape)} and {tuple(b.shape)} not aligned: {a.shape[-1]} (dim "
            f"{a.ndim - 1}) != {b.shape[-1]} (dim {b.ndim - 1})"
        )
    n = a.shape[-1]
    rows = mp.reshape(a, (math.prod(a.shape[:-1]), n))  # -1 cannot be resolved when n is 0
    columns = mp.matrix_transpose(mp.reshape(b, (math.prod(b.shape[:-1]), n)))
    return mp.reshape(matmul(rows, columns), tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def vdot(a, b, /):
    """``numpy.vdot``: the flattened ``a``, conjugated, dotted with the flattened ``b``."""
    a, b = (ravel(v) for v in _tensors(a, b))
    if a.shape != b.shape:
        raise ValueError("vectors have different lengths")
    if kind_of(a.dtype) == "b" and kind_of(b.dtype) == "b":  # NumPy's dot of bools: any(a & b)
        return rd.any(ew.logical_and(a, b))
    return vecdot(a, b)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross``: NumPy's component formulas for 3-vectors (and its deprecated
    2-vectors), along ``axisa``/``axisb``, the result along ``axisc`` (``axis`` sets all
    three)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    like = _first_tensor((a, b))
    a, b = _tensor(a, like=like), _tensor(b, like=like)
    if a.ndim < 1 or b.ndim < 1:
        raise ValueError("At least one array has zero dimension")
    a = mp.moveaxis(a, normalize_axis_index(axisa, a.ndim, "axisa"), -1)
    b = mp.moveaxis(b, normalize_axis_index(axisb, b.ndim, "axisb"), -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors "
            "instead. (deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=3,
        )
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = ew.subtract(ew.multiply(a0, b1), ew.multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    if na == 2:
        b2 = b[..., 2]
        parts = [ew.multiply(a1, b2), ew.negative(ew.multiply(a0, b2)), z]
    elif nb == 2:
        a2 = a[..., 2]
        parts = [ew.negative(ew.multiply(a2, b1)), ew.multiply(a2, b0), z]
    else:
        a2, b2 = a[..., 2], b[..., 2]
        parts = [
            ew.subtract(ew.multiply(a1, b2), ew.multiply(a2, b1)),
            ew.subtract(ew.multiply(a2, b0), ew.multiply(a0, b2)),
            z,
        ]
    parts = mp.broadcast_arrays(*parts)
    result = mp.stack(parts, axis=-1)
    return mp.moveaxis(result, -1, normalize_axis_index(axisc, result.ndim, "axisc"))


def kron(a, b):
    """``numpy.kron``: every product ``a[i] * b[j]`` at position ``i * b.shape + j``, the
    shorter shape padded with leading ones."""
    like = _first_tensor((a, b))
    a, b = _tensor(a, like=like), _tensor(b, like=like)
    if a.ndim < b.ndim:  # NumPy: array(a, ndmin=b.ndim)
        a = mp.reshape(a, (1,) * (b.ndim - a.ndim) + tuple(a.shape))
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    nd = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    spread_a = mp.reshape(a, tuple(v for s in sa for v in (s, 1)))
    spread_b = mp.reshape(b, tuple(v for s in sb for v in (1, s)))
    return mp.reshape(ew.multiply(spread_a, spread_b), tuple(x * y for x, y in zip(sa, sb)))


def _diagonal_matrix(v, k):
    """A square matrix with the 1-D ``v`` on diagonal ``k`` and zeros elsewhere: ``v`` as a
    column beside n zero columns, read as n x n (each row n + 1 long puts ``v[i]`` at
    ``(i, i)``), then padded by ``|k|`` rows and columns."""
    n = v.shape[0]
    rows = mp.pad(mp.reshape(v, (n, 1)), ((0, 0), (0, n)))
    square = mp.reshape(mp.reshape(rows, (-1,))[: n * n], (n, n))
    width = ((0, k), (k, 0)) if k >= 0 else ((-k, 0), (0, -k))
    return mp.pad(square, width)


def diag(v, k=0):
    """``numpy.diag``: the diagonal ``k`` of a 2-D tensor, or a matrix with a 1-D tensor on
    diagonal ``k``."""
    v = _tensor(v)
    k = operator.index(k)
    if v.ndim == 1:
        return _diagonal_matrix(v, k)
    if v.ndim == 2:
        from ..linalg import diagonal

        return diagonal(v, offset=k)
    raise ValueError("Input must be 1- or 2-d.")


def diagflat(v, k=0):
    """``numpy.diagflat``: the flattened input on diagonal ``k`` of a square matrix."""
    return _diagonal_matrix(ravel(v), operator.index(k))


def polyval(p, x):
    """``numpy.polyval``: Horner's rule from the highest power, ``y = y * x + p[i]`` from
    ``y = zeros_like(x)``; differentiable in ``p`` and ``x``."""
    if isinstance(x, (int, float, complex)):
        y = 0
    else:
        x = _tensor(x, like=_first_tensor((p,)))
        y = creation.zeros_like(x)
    coefficients = p if isinstance(p, (list, tuple)) else _tensor(p)
    for i in range(len(coefficients)):
        y = ew.add(ew.multiply(y, x), coefficients[i])
    return _tensor(y)


# -- convolution ---------------------------------------------------------------------------------
_WINDOW_ELEMENTS = 1 << 20  # elements of one block of the window matrix (8 MB in float64)


def _convolve_full(a, v):
    """The full convolution of 1-D ``a`` and ``v`` (``v`` the shorter) as NumPy computes it,
    by direct sums: each output is a window of ``a`` (a recorded gather) times the reversed
    ``v``, in blocks of outputs whose windows hold about 1M elements, so memory stays bounded.
    An FFT would be faster for long inputs, but its error is relative to the largest output,
    so small outputs beside large ones would lose their digits."""
    n, m = a.shape[0], v.shape[0]
    length = n + m - 1
    logical = kind_of(a.dtype) == "b" and kind_of(v.dtype) == "b"
    if logical:  # NumPy's convolution of bools: whether any product is True
        a, v = ew.astype(a, np.int64), ew.astype(v, np.int64)
    padded = mp.pad(a, ((m - 1, m - 1),))
    reversed_v = mp.flip(v, axis=0)
    rows = builtins.max(1, _WINDOW_ELEMENTS // m)
    blocks = []
    for start in range(0, length, rows):
        outputs = np.arange(start, builtins.min(start + rows, length))
        windows = _gather(padded, outputs[:, None] + np.arange(m)[None, :])
        blocks.append(matmul(windows, reversed_v))
    full = blocks[0] if len(blocks) == 1 else mp.concat(blocks, axis=0)
    return ew.not_equal(full, 0) if logical else full


def _vectors(a, v):
    like = _first_tensor((a, v))
    a, v = _tensor(a, like=like), _tensor(v, like=like)
    a = mp.reshape(a, (1,)) if a.ndim == 0 else a
    v = mp.reshape(v, (1,)) if v.ndim == 0 else v
    if a.ndim > 1 or v.ndim > 1:
        raise ValueError("object too deep for desired array")
    return a, v


def _mode(mode):
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return mode


def convolve(a, v, mode="full"):
    """``numpy.convolve`` of 1-D tensors, modes "full", "same" and "valid" as NumPy centres
    them, by direct sums as NumPy's (see ``_convolve_full``)."""
    a, v = _vectors(a, v)
    mode = _mode(mode)
    if a.shape[0] == 0:
        raise ValueError("a cannot be empty")
    if v.shape[0] == 0:
        raise ValueError("v cannot be empty")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    full = _convolve_full(a, v)
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        return full
    if mode == "valid":
        return full[m - 1 : n]
    start = (m - 1) - m // 2
    return full[start : start + n]


def correlate(a, v, mode="valid"):
    """``numpy.correlate``: ``c[k] = sum_n a[n + k] * conj(v[n])``, modes centred as NumPy
    centres them (its swap of the shorter argument included)."""
    a, v = _vectors(a, v)
    mode = _mode(mode)
    n1, n2 = a.shape[0], v.shape[0]
    if n1 == 0:
        raise ValueError("a cannot be empty")  # NumPy's words for either argument
    if n2 == 0:
        raise ValueError("v cannot be empty")
    w = mp.flip(ew.conj(v) if kind_of(v.dtype) == "c" else v, axis=0)
    full = _convolve_full(a, w) if n1 >= n2 else _convolve_full(w, a)
    big, small = builtins.max(n1, n2), builtins.min(n1, n2)
    if mode == "full":
        return full
    if mode == "valid":
        return full[small - 1 : big]
    start = (n2 - 1) - n2 // 2 if n1 >= n2 else n1 // 2
    return full[start : start + big]


# -- elementwise ---------------------------------------------------------------------------------
def angle(z, deg=False):
    """``numpy.angle``: ``atan2(imag, real)`` (0 or pi for real values), in degrees with
    ``deg=True``."""
    z = _floating(_tensor(z))
    if kind_of(z.dtype) == "c":
        result = ew.atan2(ew.imag(z), ew.real(z))
    else:
        result = ew.atan2(creation.zeros_like(z), z)
    return ew.multiply(result, 180 / np.pi) if deg else result


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``numpy.nan_to_num``: NaN, inf and -inf replaced (by default with 0 and the largest
    finite values), in the real and imaginary parts; the gradient is 1 where ``x`` is finite.
    ``copy=False`` gives ``x`` itself the result, as a write into it (NumPy writes in place)."""
    x = _tensor(x)
    kind = kind_of(x.dtype)
    if kind not in "fc":
        result = _copy(x)
    elif kind == "c":
        parts = [_finite(p, nan, posinf, neginf) for p in (ew.real(x), ew.imag(x))]
        result = ew.add(parts[0], ew.multiply(parts[1], 1j))
    else:
        result = _finite(x, nan, posinf, neginf)
    if copy:
        return result
    if isinstance(x, Variable):
        x.assign(result)
    else:
        x._value, x._uid = result._value, result._uid
    return x


def _finite(x, nan, posinf, neginf):
    info = np.finfo(as_dtype(x.dtype))
    high = float(info.max) if posinf is None else posinf
    low = float(info.min) if neginf is None else neginf
    x = ew.where(ew.isnan(x), nan, x)
    x = ew.where(isposinf(x), high, x)
    return ew.where(isneginf(x), low, x)


def select(condlist, choicelist, default=0):
    """``numpy.select``: the choice of the first true condition, else ``default``; the
    gradient goes to the chosen values."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    like = _first_tensor([*condlist, *choicelist, default])
    conditions = [_tensor(c, like=like) for c in condlist]
    for i, c in enumerate(conditions):
        if kind_of(c.dtype) != "b":
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    result = default if isinstance(default, (int, float, complex)) else _tensor(default, like=like)
    for condition, choice in zip(conditions[::-1], list(choicelist)[::-1]):
        result = ew.where(condition, choice, result)
    shapes = [c.shape for c in conditions] + [getattr(v, "shape", ()) for v in choicelist]
    return mp.broadcast_to(result, np.broadcast_shapes(*shapes, result.shape))


def heaviside(x1, x2):
    """``numpy.heaviside``: 0 below zero, ``x2`` at zero, 1 above, NaN at NaN. The derivative
    in ``x1`` is 0; in ``x2``, 1 where ``x1`` is zero."""
    x1, x2 = _pair(x1, x2)
    _real_only("heaviside", x1, x2)
    x1 = _floating(x1)
    steps = ew.where(ew.less(x1, 0), creation.zeros_like(x1), creation.ones_like(x1))
    return ew.where(ew.isnan(x1), x1, ew.where(ew.equal(x1, 0), x2, steps))


def fmax(x1, x2):
    """``numpy.fmax``: the maximum, ignoring a NaN on either side (NaN only where both are)."""
    x1, x2 = _pair(x1, x2)
    picked = ew.where(ew.isnan(x1), x2, ew.maximum(x1, x2))
    return ew.where(ew.isnan(x2), x1, picked)


def fmin(x1, x2):
    """``numpy.fmin``: the minimum, ignoring a NaN on either side (NaN only where both are)."""
    x1, x2 = _pair(x1, x2)
    picked = ew.where(ew.isnan(x1), x2, ew.minimum(x1, x2))
    return ew.where(ew.isnan(x2), x1, picked)


def _numpy_value(function, *args):
    """NumPy's ``function`` on the arrays inside the tensors (CuPy's and Dask's through their
    ``__array_function__``), or None for a library NumPy cannot hand them to."""
    try:
        return function(*_raw(args))
    except TypeError:
        return None


def _snapped(composed, exact):
    """``composed`` (a composition whose value may differ from NumPy's ``exact`` in the last
    bit) moved onto NumPy's value by a constant, so that its derivatives are the composition's
    and its value NumPy's. Where the two differ by a non-finite amount (an overflow on one
    side), the value is NumPy's, with derivative 0."""
    if exact is None:
        return composed
    value = composed._value
    xp = xp_of(value)
    exact = xp.asarray(exact, dtype=value.dtype)
    shift = exact - value
    finite = xp.isfinite(shift)
    moved = ew.add(composed, xp.where(finite, shift, xp.zeros_like(shift)))
    return ew.where(finite, moved, exact)


def cbrt(x):
    """``numpy.cbrt``: ``sign(x) * |x|**(1/3)``, on NumPy's value (see ``_snapped``)."""
    x = _floating(_tensor(x))
    _real_only("cbrt", x)
    root = ew.multiply(ew.sign(x), ew.pow(ew.abs(x), 1 / 3))
    return _snapped(root, _numpy_value(np.cbrt, x))


_DEGREES = {  # NumPy's constants: float32 computes 180 / pi in float32
    np.dtype(np.float64): (180 / np.pi, np.pi / 180),
    np.dtype(np.float32): (
        float(np.float32(180) / np.float32(np.pi)),
        float(np.float32(np.pi) / np.float32(180)),
    ),
}


def _degrees(x, which):
    x = _floating(_tensor(x))
    _real_only("rad2deg" if which == 0 else "deg2rad", x)
    dtype = as_dtype(x.dtype)
    if dtype == np.float16:  # NumPy computes half precision in float32
        return ew.astype(_degrees(ew.astype(x, np.float32), which), np.float16)
    return ew.multiply(x, _DEGREES.get(dtype, _DEGREES[np.dtype(np.float64)])[which])


def rad2deg(x):
    """``numpy.rad2deg`` and ``numpy.degrees``: ``x * (180 / pi)`` as NumPy computes it."""
    return _degrees(x, 0)


def deg2rad(x):
    """``numpy.deg2rad`` and ``numpy.radians``: ``x * (pi / 180)`` as NumPy computes it."""
    return _degrees(x, 1)


def float_power(x1, x2):
    """``numpy.float_power``: ``x1 ** x2`` computed in float64 (complex128 for complex)."""

    def wide(v):
        if not isinstance(v, Tensor) and not is_array(v):
            return v
        v = _tensor(v)
        return ew.astype(v, np.complex128 if kind_of(v.dtype) == "c" else np.float64)

    return ew.pow(wide(x1), wide(x2))


def _real_only(name, *values):
    """NumPy's TypeError for a ufunc of real numbers given complex values (its result would
    mean nothing: the cube root of -8j is not -2j), with the way out."""
    for x in values:
        if isinstance(x, complex) or (hasattr(x, "dtype") and kind_of(x.dtype) == "c"):
            raise TypeError(
                f"ufunc '{name}' not supported for the input types, and the inputs could not be "
                "safely coerced to any supported types according to the casting rule ''safe'': "
                f"it is defined for real numbers; pass tg.real(x), tg.imag(x) or tg.abs(x)"
            )


def fabs(x):
    """``numpy.fabs``: the absolute value of real values (integers as floating)."""
    x = _tensor(x)
    _real_only("fabs", x)
    return ew.abs(_floating(x))


_LOG2E = 1.4426950408889634


def logaddexp2(x1, x2):
    """``numpy.logaddexp2``: ``max + log2(1 + 2**-|x1 - x2|)``, NumPy's formula; equal
    infinities give themselves."""
    x1, x2 = _pair(x1, x2)
    _real_only("logaddexp2", x1, x2)
    if kind_of(x1.dtype) not in "f" and kind_of(x2.dtype) not in "f":
        x1, x2 = _floating(x1), _floating(x2)
    top = ew.maximum(x1, x2)
    gap = ew.negative(ew.abs(ew.subtract(x1, x2)))
    result = ew.add(top, ew.multiply(ew.log1p(ew.exp2(gap)), _LOG2E))
    same_infinity = ew.logical_and(ew.equal(x1, x2), ew.isinf(x1))
    return ew.where(same_infinity, x1, result)


def fmod(x1, x2):
    """``numpy.fmod``: the remainder with the sign of ``x1`` (C's fmod), as
    ``remainder(|x1|, |x2|)`` given ``x1``'s sign."""
    x1, x2 = _pair(x1, x2)
    r = ew.remainder(ew.abs(x1), ew.abs(x2))
    if kind_of(r.dtype) == "f":
        return ew.copysign(r, x1)
    return ew.where(ew.less(x1, 0), ew.negative(r), r)


def divmod(x1, x2):  # noqa: A001 - NumPy's name
    """``numpy.divmod``: ``(x1 // x2, x1 % x2)``."""
    x1, x2 = _pair(x1, x2)
    return ew.floor_divide(x1, x2), ew.remainder(x1, x2)


def modf(x):
    """``numpy.modf``: the fractional and whole parts, both with the sign of ``x`` (the
    fractional part of an infinity is 0). The whole part has derivative 0."""
    x = _floating(_tensor(x))
    whole = ew.trunc(x)
    fraction = ew.where(ew.isinf(x), creation.zeros_like(x), ew.subtract(x, whole))
    return ew.copysign(fraction, x), whole


def matvec(x1, x2):
    """``numpy.matvec``: matrices times vectors, batched."""
    x1, x2 = _tensors(x1, x2)
    return matmul(x1, mp.expand_dims(x2, axis=-1))[..., 0]


def vecmat(x1, x2):
    """``numpy.vecmat``: conjugated vectors times matrices, batched."""
    x1, x2 = _tensors(x1, x2)
    if kind_of(x1.dtype) == "c":
        x1 = ew.conj(x1)
    return matmul(mp.expand_dims(x1, axis=-2), x2)[..., 0, :]


def isposinf(x, out=None):
    """``numpy.isposinf``: where ``x`` is +inf (no derivative)."""
    no_out("isposinf", out)
    x = _tensor(x)
    return ew.logical_and(ew.isinf(x), ew.logical_not(ew.signbit(x)))


def isneginf(x, out=None):
    """``numpy.isneginf``: where ``x`` is -inf (no derivative)."""
    no_out("isneginf", out)
    x = _tensor(x)
    return ew.logical_and(ew.isinf(x), ew.signbit(x))


def iscomplexobj(x):
    """``numpy.iscomplexobj``: whether the dtype is complex (a Python bool)."""
    return kind_of(_tensor(x).dtype) == "c"


def isrealobj(x):
    """``numpy.isrealobj``: whether the dtype is not complex (a Python bool)."""
    return not iscomplexobj(x)


def iscomplex(x):
    """``numpy.iscomplex``: where the imaginary part is nonzero (a bool tensor)."""
    x = _tensor(x)
    if kind_of(x.dtype) != "c":
        return creation.zeros_like(x, dtype=np.bool_)
    return ew.not_equal(ew.imag(x), 0)


def isreal(x):
    """``numpy.isreal``: where the imaginary part is zero (a bool tensor)."""
    return ew.logical_not(iscomplex(x))


def real_if_close(a, tol=100):
    """``numpy.real_if_close``: the real part when every imaginary part is within ``tol``
    machine epsilons of zero (``tol`` itself when below 1), else ``a``."""
    a = _tensor(a)
    if kind_of(a.dtype) != "c":
        return a
    if tol > 1:
        tol = float(np.finfo(as_dtype(a.dtype)).eps) * tol
    if bool(rd.all(ew.less(ew.abs(ew.imag(a)), tol))):
        return ew.real(a)
    return a


# -- reductions ----------------------------------------------------------------------------------
def ptp(a, axis=None, out=None, keepdims=_NO):
    """``numpy.ptp``: ``max - min``; the gradient goes to the extremes (split at ties)."""
    no_out("ptp", out)
    a, keep = _tensor(a), _keepdims_given(keepdims)
    return ew.subtract(rd.max(a, axis=axis, keepdims=keep), rd.min(a, axis=axis, keepdims=keep))


def _weights_like(a, w, axis):
    """NumPy's ``_weights_are_valid``: weights of ``a``'s shape, or 1-D (or of the shape of the
    reduced axes) laid along ``axis``."""
    if tuple(w.shape) == tuple(a.shape):
        return w
    if axis is None:
        raise TypeError("Axis must be specified when shapes of a and weights differ.")
    axes = normalize_axis_tuple(axis, a.ndim, argname="axis")
    if tuple(w.shape) != tuple(a.shape[ax] for ax in axes):
        raise ValueError(
            "Shape of weights must be consistent with shape of a along specified axis."
        )
    w = mp.permute_dims(w, tuple(np.argsort(axes)))
    return mp.reshape(w, tuple(s if ax in axes else 1 for ax, s in enumerate(a.shape)))


def average(a, axis=None, weights=None, returned=False, *, keepdims=_NO):
    """``numpy.average``: the mean, or ``sum(a * w) / sum(w)`` along ``axis``; with
    ``returned=True`` also the sum of weights (the count without weights), broadcast to the
    result's shape."""
    a, keep = _tensor(a), _keepdims_given(keepdims)
    if weights is None:
        avg = rd.mean(a, axis=axis, keepdims=keep)
        scale = creation.full_like(avg, a.size / builtins.max(avg.size, 1))
    else:
        w = _weights_like(a, _tensor(weights, like=a), axis)
        if kind_of(a.dtype) not in "fc" and kind_of(w.dtype) not in "fc":
            a = _floating(a)
        products = ew.multiply(a, w)
        scale = rd.sum(ew.astype(w, products.dtype), axis=axis, keepdims=keep)
        if _cheap_to_read(scale) and bool(np.any(_values(scale) == 0)):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = ew.divide(rd.sum(products, axis=axis, keepdims=keep), scale)
    if returned:
        return avg, mp.broadcast_to(ew.astype(scale, avg.dtype), tuple(avg.shape))
    return avg


def _nan_filled(a, fill):
    """``a`` with NaNs replaced by ``fill`` (their gradient is 0); None where ``a`` cannot hold
    NaN (bool and integers)."""
    if kind_of(a.dtype) not in "fc":
        return None
    return ew.where(ew.isnan(a), fill, a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=_NO, initial=_NO, where=_NO):
    """``numpy.nansum``: the sum with NaNs counted as 0."""
    no_out("nansum", out)
    refuse("nansum", initial=initial, where=where)
    a = _tensor(a)
    filled = _nan_filled(a, 0)
    return rd.sum(
        a if filled is None else filled, axis=axis, dtype=dtype, keepdims=_keepdims_given(keepdims)
    )


def nanprod(a, axis=None, dtype=None, out=None, keepdims=_NO, initial=_NO, where=_NO):
    """``numpy.nanprod``: the product with NaNs counted as 1."""
    no_out("nanprod", out)
    refuse("nanprod", initial=initial, where=where)
    a = _tensor(a)
    filled = _nan_filled(a, 1)
    return rd.prod(
        a if filled is None else filled, axis=axis, dtype=dtype, keepdims=_keepdims_given(keepdims)
    )


def _nan_extreme(name, reduce, a, axis, out, keepdims, initial, where):
    no_out(name, out)
    refuse(name, initial=initial, where=where)
    a, keep = _tensor(a), _keepdims_given(keepdims)
    kind = kind_of(a.dtype)
    if kind not in "fc":
        return reduce(a, axis=axis, keepdims=keep)
    missing = ew.isnan(a)  # complex: a NaN in either part, as NumPy's
    fill = -np.inf if name == "nanmax" else np.inf
    if kind == "c":  # the first in NumPy's order of complex numbers (real part, then imaginary)
        fill = complex(fill, fill)
    result = reduce(ew.where(missing, fill, a), axis=axis, keepdims=keep)
    return ew.where(rd.all(missing, axis=axis, keepdims=keep), np.nan, result)


def nanmax(a, axis=None, out=None, keepdims=_NO, initial=_NO, where=_NO):
    """``numpy.nanmax``: the maximum ignoring NaNs (NaN for a slice of NaNs only)."""
    return _nan_extreme("nanmax", rd.max, a, axis, out, keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=_NO, initial=_NO, where=_NO):
    """``numpy.nanmin``: the minimum ignoring NaNs (NaN for a slice of NaNs only)."""
    return _nan_extreme("nanmin", rd.min, a, axis, out, keepdims, initial, where)


def _nan_arg(name, reduce, a, axis, out, keepdims):
    no_out(name, out)
    a, keep = _tensor(a), _keepdims_given(keepdims)
    filled = _nan_filled(a, -np.inf if name == "nanargmax" else np.inf)
    if filled is None:
        return reduce(a, axis=axis, keepdims=keep)
    if _cheap_to_read(a) and a.size and bool(np.any(_values(rd.all(ew.isnan(a), axis=axis)))):
        raise ValueError("All-NaN slice encountered")
    return reduce(filled, axis=axis, keepdims=keep)


def nanargmax(a, axis=None, out=None, *, keepdims=_NO):
    """``numpy.nanargmax``: the index of the maximum ignoring NaNs."""
    return _nan_arg("nanargmax", searching.argmax, a, axis, out, keepdims)


def nanargmin(a, axis=None, out=None, *, keepdims=_NO):
    """``numpy.nanargmin``: the index of the minimum ignoring NaNs."""
    return _nan_arg("nanargmin", searching.argmin, a, axis, out, keepdims)


def nancumsum(a, axis=None, dtype=None, out=None):
    """``numpy.nancumsum``: the cumulative sum with NaNs counted as 0."""
    no_out("nancumsum", out)
    a = _tensor(a)
    filled = _nan_filled(a, 0)
    return st.cumsum(a if filled is None else filled, axis=axis, dtype=dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """``numpy.nancumprod``: the cumulative product with NaNs counted as 1."""
    no_out("nancumprod", out)
    a = _tensor(a)
    filled = _nan_filled(a, 1)
    return st.cumprod(a if filled is None else filled, axis=axis, dtype=dtype)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=_NO, *, where=_NO):
    """``numpy.nanmean``: the mean of the values that are not NaN (NaN where none are)."""
    no_out("nanmean", out)
    refuse("nanmean", where=where)
    a, keep = _tensor(a), _keepdims_given(keepdims)
    if dtype is not None:
        a = ew.astype(a, dtype)
    if kind_of(a.dtype) not in "fc":
        return rd.mean(a, axis=axis, keepdims=keep)
    present = ew.logical_not(ew.isnan(a))
    total = rd.sum(ew.where(present, a, 0), axis=axis, keepdims=keep)
    count = rd.sum(ew.astype(present, np.int64), axis=axis, keepdims=keep)
    return ew.divide(total, ew.astype(count, ew.real(total).dtype))


def _nan_moment(name, a, axis, dtype, out, ddof, keepdims, where, mean, correction):
    no_out(name, out)
    refuse(name, where=where, mean=mean)
    if correction is not _NO:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a, keep = _tensor(a), _keepdims_given(keepdims)
    if dtype is not None:
        a = ew.astype(a, dtype)
    if kind_of(a.dtype) not in "fc":
        return st.var(_floating(a), axis=axis, correction=ddof, keepdims=keep)
    present = ew.logical_not(ew.isnan(a))
    real_dtype = ew.real(a).dtype
    count = ew.astype(rd.sum(ew.astype(present, np.int64), axis=axis, keepdims=True), real_dtype)
    centre = ew.divide(rd.sum(ew.where(present, a, 0), axis=axis, keepdims=True), count)
    deviation = ew.where(present, ew.subtract(ew.where(present, a, 0), centre), 0)
    if kind_of(a.dtype) == "c":
        squares = ew.real(ew.multiply(deviation, ew.conj(deviation)))
    else:
        squares = ew.multiply(deviation, deviation)
    dof = ew.subtract(count, ddof)
    bad = ew.less_equal(dof, 0)
    var = ew.divide(rd.sum(squares, axis=axis, keepdims=True), ew.where(bad, 1, dof))
    var = ew.where(bad, np.nan, var)
    if not keep:
        var = mp.reshape(var, _reduced_shape(a.shape, axis))
    return var


def _reduced_shape(shape, axis):
    axes = range(len(shape)) if axis is None else normalize_axis_tuple(axis, len(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def nanvar(
    a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO, *, where=_NO, mean=_NO, correction=_NO
):
    """``numpy.nanvar``: the variance of the values that are not NaN, with ``ddof`` (or
    ``correction``); NaN where ``count - ddof <= 0``."""
    return _nan_moment("nanvar", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


def nanstd(
    a, axis=None, dtype=None, out=None, ddof=0, keepdims=_NO, *, where=_NO, mean=_NO, correction=_NO
):
    """``numpy.nanstd``: the square root of ``nanvar``."""
    var = _nan_moment("nanstd", a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    return ew.sqrt(var)


# -- order statistics ----------------------------------------------------------------------------
_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")
_NUMPY_METHODS = (
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "median_unbiased",
    "normal_unbiased",
)


def _to_last_axis(a, axis):
    """``a`` with the axes ``axis`` (None: all) moved to the end and merged into one, and those
    axes."""
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis_tuple(axis, a.ndim)
    kept = tuple(i for i in range(a.ndim) if i not in axes)
    if kept + axes != tuple(range(a.ndim)):
        a = mp.permute_dims(a, kept + axes)
    n = math.prod(a.shape[len(kept) :])
    return mp.reshape(a, tuple(a.shape[: len(kept)]) + (n,)), axes


def _result_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _real_sorted(name, a, axis, floating=True):
    """``a`` sorted along ``axis`` (merged into the last axis), made floating unless the caller
    only picks values (NumPy keeps the dtype then), its shape and those axes."""
    a = _tensor(a)
    if kind_of(a.dtype) == "c":
        raise TypeError("a must be an array of real numbers")
    shape = tuple(a.shape)
    x, axes = _to_last_axis(_floating(a) if floating else a, axis)
    return searching.sort(x, axis=-1), shape, axes


def _quantiles(q, percent):
    """NumPy's quantiles as an array (of q's dtype for arrays and tensors, float64 else), and
    whether they are weak: Python numbers (not NumPy scalars) take the data's dtype."""
    weak = type(q) in (int, float) or (
        isinstance(q, (list, tuple)) and builtins.all(type(v) in (int, float) for v in q)
    )
    values = _values(q)
    if percent:
        values = np.true_divide(values, 100)
    if values.ndim > 2:
        raise ValueError("q must be a scalar or 1d")
    with np.errstate(invalid="ignore"):
        valid = bool(np.all(values >= 0) and np.all(values <= 1))
    if not valid:
        raise ValueError(
            "Percentiles must be in the range [0, 100]"
            if percent
            else "Quantiles must be in the range [0, 1]"
        )
    return values, weak


def _steps(n, q):
    """``n - 1`` as NumPy multiplies it into the quantiles: a Python int, or per slice (NumPy
    takes one slice at a time) in the quantiles' floating dtype."""
    if np.ndim(n) == 0:
        return int(n) - 1
    return (n - 1).astype(q.dtype) if q.dtype.kind == "f" else n - 1


def _positions(n, q, method):
    """NumPy's virtual indices for ``n`` values (an int, or an integer array per slice): the
    integer index (methods without interpolation, integer quantiles), or the two indices."""
    n1 = _steps(n, q)
    if method == "lower":
        return np.floor(n1 * q).astype(np.intp), None
    if method == "higher":
        return np.ceil(n1 * q).astype(np.intp), None
    if method == "nearest":
        return np.around(n1 * q).astype(np.intp), None
    if method == "midpoint":
        index = np.asarray(0.5 * (np.floor(n1 * q) + np.ceil(n1 * q)))
    else:
        index = np.asarray(n1 * q)
        if index.dtype.kind in "iu":
            return index.astype(np.intp), None
    previous = np.floor(index)
    following = previous + 1
    above, below = index >= n - 1, index < 0
    previous = np.where(below, 0, np.where(above, -1, previous)).astype(index.dtype)
    following = np.where(below, 0, np.where(above, -1, following)).astype(index.dtype)
    return previous, following


def _weight(n, q, previous, method, weak, like):
    """NumPy's interpolation weight of the second value, ``(n - 1) * q - previous`` (the
    previous index -1 above the last value), as the pieces ``_lerp`` needs: the weight, one
    minus it, and where it reaches 0.5. A quantile given as a tensor gives a weight on the
    tape, so the result is differentiable in q too."""
    values = _values(q)
    n1 = _steps(n, values)
    if method == "midpoint":
        index = 0.5 * (np.floor(n1 * values) + np.ceil(n1 * values))
        t = np.where(index % 1 == 0, 0.0, 0.5).astype(previous.dtype)
    else:
        t = np.asarray(n1 * values - previous, dtype=previous.dtype)
    above = _static(t >= 0.5, like)
    if isinstance(q, Tensor) and method == "linear":
        steps = n1 if isinstance(n1, int) else _static(n1, like)
        t = ew.subtract(ew.multiply(steps, q), _static(previous, like))
        return t, ew.subtract(1, t), above
    u = 1 - t  # in t's dtype first, as NumPy computes it
    if weak:  # a Python quantile: NumPy multiplies by it in the data's dtype
        t, u = t.astype(like.dtype), u.astype(like.dtype)
    return _static(t, like), _static(u, like), above


def _lerp(lo, hi, weight):
    """NumPy's ``_lerp``: ``lo + (hi - lo) * t``, or ``hi - (hi - lo) * (1 - t)`` where
    ``t >= 0.5``."""
    t, u, above = weight
    diff = ew.subtract(hi, lo)
    return ew.where(above, ew.subtract(hi, ew.multiply(diff, u)), ew.add(lo, ew.multiply(diff, t)))


def _last_valid(index, counts, n, like):
    """Indices into sorted slices whose first ``counts`` values are not NaN: -1 (NumPy's last
    value) is the last of those, and a slice of NaNs only takes a NaN."""
    index = np.where(index < 0, counts[..., None] + index, index).astype(np.intp)
    return _static(np.broadcast_to(index % n, (*counts.shape, index.shape[-1])), like)


def _quantile(name, a, q, axis, method, keepdims, refused, percent=False, skip_nan=False):
    """NumPy's quantiles of ``a`` along ``axis`` through a recorded sort (``skip_nan``: of the
    values that are not NaN, slice by slice)."""
    out, weights, interpolation = refused
    no_out(name, out)
    refuse(name, weights=weights, interpolation=interpolation)
    if method not in _QUANTILE_METHODS:
        if method in _NUMPY_METHODS:
            _refuse_value(name, "method", method, _QUANTILE_METHODS)
        raise ValueError(
            f"{method!r} is not a valid method. Use one of: {_QUANTILE_METHODS + _NUMPY_METHODS}"
        )
    values, weak = _quantiles(q, percent)
    # methods that pick a value without interpolating keep the data's dtype, as in NumPy
    picks = method in ("lower", "higher", "nearest") or (
        method == "linear" and values.dtype.kind in "biu"
    )
    s, shape, axes = _real_sorted(name, a, axis, floating=not picks)
    n = s.shape[-1]
    if n == 0 and not skip_nan:
        raise IndexError("index -1 is out of bounds for axis 0 with size 0")
    flat = values.reshape(-1)
    if isinstance(q, Tensor):  # on the tape: the weight is differentiable in q
        flat = mp.reshape(ew.divide(q, 100) if percent else q, (-1,))
        if _values(flat).dtype != flat.dtype:
            flat = ew.astype(flat, values.dtype)
    if n == 0:  # nanquantile of no values: NaN, as NumPy's
        none = rd.sum(_floating(s), axis=-1, keepdims=True)
        result = ew.multiply(mp.broadcast_to(none, tuple(s.shape[:-1]) + flat.shape), np.nan)
    elif skip_nan:
        counts = _values(rd.sum(ew.astype(ew.logical_not(ew.isnan(s)), np.int64), axis=-1))
        size = counts[..., None]
        previous, following = _positions(size, values.reshape(-1), method)
        result = indexing.take_along_axis(s, _last_valid(previous, counts, n, s), axis=-1)
        if following is not None:
            hi = indexing.take_along_axis(s, _last_valid(following, counts, n, s), axis=-1)
            result = _lerp(result, hi, _weight(size, flat, previous, method, weak, s))
    else:
        previous, following = _positions(n, values.reshape(-1), method)
        result = mp.take(s, previous.astype(np.intp) % n, axis=-1)
        if following is not None:
            hi = mp.take(s, following.astype(np.intp) % n, axis=-1)
            result = _lerp(result, hi, _weight(n, flat, previous, method, weak, s))
        if kind_of(s.dtype) == "f":
            has_nan = mp.expand_dims(ew.isnan(s[..., -1]), axis=-1)
            result = ew.where(has_nan, np.nan, result)
    result = mp.moveaxis(result, -1, 0)
    return mp.reshape(result, values.shape + _result_shape(shape, axes, _keepdims_given(keepdims)))


def quantile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """``numpy.quantile``: NumPy's "linear" method by default (also "lower", "higher",
    "midpoint", "nearest"), through a recorded sort, so the gradient goes to the one or two
    order statistics (shared at ties as the sort's), and to ``q`` when it is a tensor; NaN for
    a slice holding NaN."""
    refused = (out, weights, interpolation)
    return _quantile("quantile", a, q, axis, method, keepdims, refused)


def percentile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=False,
    *,
    weights=None,
    interpolation=None,
):
    """``numpy.percentile``: ``quantile`` of ``q / 100``."""
    refused = (out, weights, interpolation)
    return _quantile("percentile", a, q, axis, method, keepdims, refused, percent=True)


def nanquantile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=_NO,
    *,
    weights=None,
    interpolation=None,
):
    """``numpy.nanquantile``: ``quantile`` of the values that are not NaN, slice by slice."""
    refused = (out, weights, interpolation)
    return _quantile("nanquantile", a, q, axis, method, keepdims, refused, skip_nan=True)


def nanpercentile(
    a,
    q,
    axis=None,
    out=None,
    overwrite_input=False,
    method="linear",
    keepdims=_NO,
    *,
    weights=None,
    interpolation=None,
):
    """``numpy.nanpercentile``: ``nanquantile`` of ``q / 100``."""
    refused = (out, weights, interpolation)
    return _quantile("nanpercentile", a, q, axis, method, keepdims, refused, True, True)


def _middle(lo, hi, odd=None):
    """NumPy's median of sorted slices: the middle value (where ``odd``), or the mean of the two
    middle ones."""
    mean = ew.divide(ew.add(lo, hi), 2)
    return mean if odd is None else ew.where(odd, lo, mean)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``numpy.median``: the middle value of a recorded sort, or the mean of the two middle
    ones (as NumPy computes it); NaN for a slice holding NaN or for no values."""
    no_out("median", out)
    s, shape, axes = _real_sorted("median", a, axis)
    n = s.shape[-1]
    if n == 0:
        result = ew.multiply(rd.sum(s, axis=-1), np.nan)
    else:
        half = n // 2
        lo, hi = s[..., (n - 1) // 2], s[..., half]
        result = lo if n % 2 else _middle(lo, hi)
        result = ew.where(ew.isnan(s[..., -1]), np.nan, result)
    return mp.reshape(result, _result_shape(shape, axes, keepdims))


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=_NO):
    """``numpy.nanmedian``: ``median`` of the values that are not NaN, slice by slice (NaN for
    a slice of NaNs only)."""
    no_out("nanmedian", out)
    s, shape, axes = _real_sorted("nanmedian", a, axis)
    counts = _values(rd.sum(ew.astype(ew.logical_not(ew.isnan(s)), np.int64), axis=-1))
    n = s.shape[-1]
    if n == 0:
        result = ew.multiply(rd.sum(s, axis=-1), np.nan)
    else:
        lo_index = _static(np.where(counts > 0, (counts - 1) // 2, n - 1)[..., None], s)
        hi_index = _static(np.where(counts > 0, counts // 2, n - 1)[..., None], s)
        lo = indexing.take_along_axis(s, lo_index, axis=-1)[..., 0]
        hi = indexing.take_along_axis(s, hi_index, axis=-1)[..., 0]
        result = _middle(lo, hi, _static(counts % 2 == 1, s))
    return mp.reshape(result, _result_shape(shape, axes, _keepdims_given(keepdims)))


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.partition``: the elements in the order NumPy's ``argpartition`` gives them,
    through a recorded gather (NumPy's own partition places them the same way)."""
    refuse("partition", order=order)
    a = _tensor(a)
    _refuse_lazy("partition", a)
    if axis is None:
        a, axis = mp.reshape(a, (-1,)), -1
    positions = np.argpartition(_values(a), _values(kth), axis=axis, kind=kind)
    return indexing.take_along_axis(a, _static(positions, a), axis=axis)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """``numpy.argpartition``, computed on the values (indices have no derivative)."""
    refuse("argpartition", order=order)
    return _on_values(np.argpartition, a, kth, axis=axis, kind=kind)


# -- statistics ----------------------------------------------------------------------------------
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``numpy.trapezoid`` (``trapz``): ``sum(d * (y[1:] + y[:-1]) / 2)`` along ``axis``, with
    ``d`` the differences of ``x`` (1-D or of y's shape) or ``dx``; differentiable in ``y``,
    ``x`` and ``dx``."""
    y, x = _tensors(y, x) if x is not None else (_tensor(y), None)
    y = _floating(y)
    axis = normalize_axis_index(axis, y.ndim)
    if x is None:
        d = dx
    else:
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[axis] = x.shape[0] - 1
            d = mp.reshape(st.diff(x), tuple(shape))
        else:
            d = st.diff(x, axis=axis)
    upper = y[_along(axis, y.ndim, slice(1, None))]
    lower = y[_along(axis, y.ndim, slice(None, -1))]
    return rd.sum(ew.divide(ew.multiply(d, ew.add(upper, lower)), 2.0), axis=axis)


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """``numpy.cov``: NumPy's formula (rows are variables unless ``rowvar=False``; ``bias``,
    ``ddof``, ``fweights``, ``aweights``), differentiable in the data and the weights. The
    result keeps the data's floating dtype (NumPy gives float64 for float32 data)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    like = _first_tensor((m, y, fweights, aweights))
    m = _tensor(m, like=like)
    if m.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = _tensor(y, like=like)
        if y.ndim > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = float_result(as_dtype(m.dtype) if y is None else np.result_type(m.dtype, y.dtype))
    (X,) = _atleast_all(2, [ew.astype(m, dtype)])
    if not rowvar and m.ndim != 1:
        X = mp.matrix_transpose(X)
    if X.shape[0] == 0:
        return creation.zeros((0, 0), dtype=dtype)
    if y is not None:
        (Y,) = _atleast_all(2, [ew.astype(y, dtype)])
        if not rowvar and Y.shape[0] != 1:
            Y = mp.matrix_transpose(Y)
        X = mp.concat([X, Y], axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    w = _cov_weights(fweights, aweights, X)
    if w is None:
        avg = rd.mean(X, axis=1)
        fact = X.shape[1] - ddof
    else:
        avg, w_sum = average(X, axis=1, weights=w, returned=True)
        w_sum = w_sum[0]
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = ew.subtract(w_sum, ddof)
        else:
            a_w = _weights_of(aweights, X)
            fact = ew.subtract(
                w_sum, ew.divide(ew.multiply(rd.sum(ew.multiply(w, a_w)), ddof), w_sum)
            )
    readable = not isinstance(fact, Tensor) or _cheap_to_read(fact)
    if readable and float(np.real(_values(fact))) <= 0:  # complex data: a complex sum of weights
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        fact = 0.0
    X = ew.subtract(X, mp.expand_dims(avg, axis=1))
    X_T = mp.matrix_transpose(X if w is None else ew.multiply(X, w))
    if kind_of(X_T.dtype) == "c":
        X_T = ew.conj(X_T)
    scale = ew.divide(1, fact) if isinstance(fact, Tensor) else float(np.true_divide(1, fact))
    c = ew.multiply(matmul(X, X_T), scale)
    return mp.squeeze(c, tuple(i for i, s in enumerate(c.shape) if s == 1))


def _cov_weights(fweights, aweights, X):
    w = None
    if fweights is not None:
        f = _weights_of(fweights, X)
        values = _values(f).astype(float) if _cheap_to_read(f) else None
        if values is not None and not np.all(values == np.around(values)):
            raise TypeError("fweights must be integer")
        if f.ndim > 1:
            raise RuntimeError("cannot handle multidimensional fweights")
        if f.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and fweights")
        if values is not None and np.any(values < 0):
            raise ValueError("fweights cannot be negative")
        w = f
    if aweights is not None:
        a = _weights_of(aweights, X)
        if a.ndim > 1:
            raise RuntimeError("cannot handle multidimensional aweights")
        if a.shape[0] != X.shape[1]:
            raise RuntimeError("incompatible numbers of samples and aweights")
        if _cheap_to_read(a) and np.any(_values(a) < 0):
            raise ValueError("aweights cannot be negative")
        w = a if w is None else ew.multiply(w, a)
    return w


def _weights_of(weights, X):
    """Weights in X's real dtype unless floating already (NumPy makes them float64)."""
    w = _tensor(weights, like=X)
    return w if kind_of(w.dtype) == "f" else ew.astype(w, np.finfo(as_dtype(X.dtype)).dtype)


def corrcoef(x, y=None, rowvar=True, bias=_NO, ddof=_NO, *, dtype=None):
    """``numpy.corrcoef``: ``cov`` scaled by the standard deviations on both sides, the real
    (and imaginary) parts clipped to [-1, 1] as NumPy clips them."""
    if bias is not _NO or ddof is not _NO:
        warnings.warn(
            "bias and ddof have no effect and are deprecated",
            DeprecationWarning,
            stacklevel=3,
        )
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim != 2:
        return ew.divide(c, c)
    d = diag(c)
    stddev = ew.sqrt(ew.real(d))
    c = ew.divide(c, mp.expand_dims(stddev, axis=1))
    c = ew.divide(c, mp.expand_dims(stddev, axis=0))
    if kind_of(c.dtype) == "c":
        parts = [ew.clip(p, -1, 1) for p in (ew.real(c), ew.imag(c))]
        return ew.add(parts[0], ew.multiply(parts[1], 1j))
    return ew.clip(c, -1, 1)


def interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp``: NumPy's piecewise-linear formula, ``slope * (x - xp[j]) + fp[j]``
    (and its fallbacks at non-finite values), differentiable in ``fp``, ``left``, ``right``,
    ``xp`` and in ``x`` (by the slope of the interval ``x`` falls in, the one to its right at
    a sample point). The result keeps the inputs' floating dtype (NumPy's is float64)."""
    like = _first_tensor((x, xp, fp))
    fp, xp = _floating(_tensor(fp, like=like)), _floating(_tensor(xp, like=like))
    if xp.ndim != 1 or fp.ndim != 1:
        raise ValueError(
            "Data points must be 1-D sequences" if period else "object too deep for desired array"
        )
    if xp.shape[0] != fp.shape[0]:
        raise ValueError("fp and xp are not of the same length.")
    if xp.shape[0] == 0:
        raise ValueError("array of sample points is empty")
    if isinstance(x, (int, float)):  # a Python number takes the samples' dtype, as beside them
        real = ew.real(fp).dtype if kind_of(fp.dtype) == "c" else fp.dtype
        x = creation.asarray(x, dtype=np.result_type(as_dtype(real), as_dtype(xp.dtype)))
    x = _floating(_tensor(x, like=like))
    if period is not None:
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = builtins.abs(period)
        left = right = None
        x, xp = ew.remainder(x, period), ew.remainder(xp, period)
        order = searching.argsort(xp)
        xp, fp = mp.take(xp, order, axis=0), mp.take(fp, order, axis=0)
        xp = mp.concat([ew.subtract(xp[-1:], period), xp, ew.add(xp[0:1], period)])
        fp = mp.concat([fp[-1:], fp, fp[0:1]])
    first, last = fp[0], fp[-1]
    left = first if left is None else left
    right = last if right is None else right
    n = xp.shape[0]
    if n == 1:
        inside = first
    else:
        j = ew.subtract(searching.searchsorted(xp, x, side="right"), 1)
        at = ew.clip(j, 0, n - 2)
        xj, xk = take(xp, at, axis=0), take(xp, ew.add(at, 1), axis=0)
        fj, fk = take(fp, at, axis=0), take(fp, ew.add(at, 1), axis=0)
        slope = ew.divide(ew.subtract(fk, fj), ew.subtract(xk, xj))
        value = ew.add(ew.multiply(slope, ew.subtract(x, xj)), fj)
        other = ew.add(ew.multiply(slope, ew.subtract(x, xk)), fk)
        other = ew.where(ew.logical_and(ew.isnan(other), ew.equal(fj, fk)), fj, other)
        value = ew.where(ew.isnan(value), other, value)
        value = ew.where(ew.logical_and(ew.equal(x, xj), ew.isnan(value)), fj, value)
        inside = ew.where(ew.equal(j, n - 1), last, value)
    result = ew.where(ew.less(x, xp[0]), left, ew.where(ew.greater(x, xp[-1]), right, inside))
    if n > 1:
        result = ew.where(ew.isnan(x), x, result)
    return result


# -- values without derivatives ------------------------------------------------------------------
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``numpy.isclose`` on the values: a bool tensor."""
    return _on_values(np.isclose, a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``numpy.allclose`` on the values: a Python bool."""
    return bool(np.allclose(*_raw((a, b)), rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """``numpy.array_equal`` on the values: a Python bool."""
    return bool(np.array_equal(*_raw((a1, a2)), equal_nan=equal_nan))


def array_equiv(a1, a2):
    """``numpy.array_equiv`` on the values: a Python bool."""
    return bool(np.array_equiv(*_raw((a1, a2))))


def argwhere(a):
    """``numpy.argwhere`` on the values: an integer tensor of shape (N, a.ndim)."""
    return _on_values(np.argwhere, a)


def flatnonzero(a):
    """``numpy.flatnonzero`` on the values: an integer tensor."""
    return _on_values(np.flatnonzero, a)


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """``numpy.isin`` on the values: a bool tensor."""
    return _on_values(
        np.isin, element, test_elements, assume_unique=assume_unique, invert=invert, kind=kind
    )


def digitize(x, bins, right=False):
    """``numpy.digitize`` on the values: an integer tensor."""
    return _on_values(np.digitize, x, bins, right=right)


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """``numpy.histogram_bin_edges`` on the values: a tensor."""
    return _on_values(np.histogram_bin_edges, a, bins, range=range, weights=weights)


def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """``numpy.histogram``: the counts and the bin edges as tensors, both computed by NumPy on
    the values, so equal to NumPy's. Weights given as a tensor are summed per bin by a
    recorded scatter-add, so the counts (and densities) are differentiable in them."""
    if not isinstance(weights, Tensor):
        return _on_values(np.histogram, a, bins, range=range, density=density, weights=weights)
    _refuse_lazy("histogram", a)
    if kind_of(weights.dtype) == "b":
        raise TypeError(
            "numpy.histogram sums the weights in their own dtype, and bool weights cannot be "
            "summed (NumPy refuses them too): cast them with tg.astype(weights, tg.int64)"
        )
    a_values = _values(a)
    edges = np.histogram_bin_edges(a_values, bins, range=range, weights=_values(weights))
    flat, w = a_values.reshape(-1), mp.reshape(weights, (-1,))
    if flat.shape[0] != w.shape[0]:
        raise ValueError("weights should have the same shape as a.")
    index = np.searchsorted(edges, flat, side="right") - 1
    index[flat == edges[-1]] = len(edges) - 2
    inside = (index >= 0) & (index < len(edges) - 1)
    counts = _tensor(np.zeros(len(edges) - 1, dtype=as_dtype(w.dtype)), like=weights)
    counts = counts.at[index[inside]].add(mp.take(w, np.flatnonzero(inside), axis=0))
    if density:  # widths in the weights' floating dtype; integer counts divide as float64
        floating = as_dtype(w.dtype) if kind_of(w.dtype) in "fc" else np.dtype(np.float64)
        widths = _tensor(np.diff(edges).astype(floating), like=weights)
        counts = ew.divide(ew.divide(counts, widths), rd.sum(counts))
    return counts, _tensor(edges, like=weights)


def bincount(x, /, weights=None, minlength=0):
    """``numpy.bincount``: on the values, except that weights given as a tensor are summed by
    a recorded scatter-add, so the result is differentiable in them (and keeps their floating
    dtype; NumPy's is float64, as here for bool and integer weights)."""
    if not isinstance(weights, Tensor):
        return _on_values(np.bincount, x, weights=weights, minlength=minlength)
    _refuse_lazy("bincount", x)
    if kind_of(weights.dtype) in "biu":  # NumPy sums them as float64 (bools would OR)
        weights = ew.astype(weights, np.float64)
    index = _values(x)
    if index.ndim != 1:
        raise ValueError("object too deep for desired array")
    if index.size and index.min() < 0:
        raise ValueError("'list' argument must have no negative elements")
    if weights.shape != tuple(index.shape):
        raise ValueError("The weights and list don't have the same length.")
    size = builtins.max(int(index.max()) + 1 if index.size else 0, minlength)
    zeros = _tensor(np.zeros(size, dtype=as_dtype(weights.dtype)), like=weights)
    return zeros.at[index].add(weights)


def ediff1d(ary, to_end=None, to_begin=None):
    """``numpy.ediff1d``: differences of the flattened tensor, between ``to_begin`` and
    ``to_end`` (which must cast to its dtype under the "same_kind" rule)."""
    ary = ravel(ary)
    dtype = as_dtype(ary.dtype)
    parts = []
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            parts.append(None)
            continue
        have = as_dtype(extra.dtype) if isinstance(extra, Tensor) else np.asarray(extra).dtype
        if not np.can_cast(have, dtype, casting="same_kind"):
            raise TypeError(
                f"dtype of `{name}` must be compatible with input `ary` under the `same_kind` rule."
            )
        extra = extra if isinstance(extra, Tensor) else _tensor(np.asarray(extra), like=ary)
        parts.append(ravel(ew.astype(extra, dtype)))
    middle = ew.subtract(ary[1:], ary[:-1])
    pieces = [p for p in (parts[0], middle, parts[1]) if p is not None]
    return mp.concat(pieces) if len(pieces) > 1 else middle


def tril_indices_from(arr, k=0):
    """``numpy.tril_indices_from``: from the shape only, as integer tensors."""
    shape = tuple(_tensor(arr).shape)
    if len(shape) != 2:
        raise ValueError("input array must be 2-d")
    return tuple(_tensor(i, like=arr) for i in np.tril_indices(shape[-2], k=k, m=shape[-1]))


def triu_indices_from(arr, k=0):
    """``numpy.triu_indices_from``: from the shape only, as integer tensors."""
    shape = tuple(_tensor(arr).shape)
    if len(shape) != 2:
        raise ValueError("input array must be 2-d")
    return tuple(_tensor(i, like=arr) for i in np.triu_indices(shape[-2], k=k, m=shape[-1]))


def diag_indices_from(arr):
    """``numpy.diag_indices_from``: from the shape only, as integer tensors."""
    shape = tuple(_tensor(arr).shape)
    if len(shape) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return tuple(_tensor(i, like=arr) for i in np.diag_indices(shape[0], len(shape)))


def unique(
    ar,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    *,
    equal_nan=True,
    sorted=True,
):  # noqa: A002
    """``numpy.unique`` through tapegrad's ``unique_values``, ``unique_counts``,
    ``unique_inverse`` or ``unique_all`` (by the ``return_*`` keywords): sorted values,
    differentiable, and with ``equal_nan=True`` (NumPy's default) every NaN one value."""
    if axis is not None:
        refuse("unique", axis=axis)
    ar = _tensor(ar)
    wanted = (return_index, return_inverse, return_counts)
    if not builtins.any(wanted):
        parts = {"values": searching.unique_values(ar)}
    elif wanted == (False, False, True):
        parts = searching.unique_counts(ar)._asdict()
    elif wanted == (False, True, False):
        parts = searching.unique_inverse(ar)._asdict()
    else:
        parts = searching.unique_all(ar)._asdict()
    if equal_nan and kind_of(ar.dtype) in "fc":
        parts = _one_nan(parts)
    if not builtins.any(wanted):
        return parts["values"]
    names = ("indices", "inverse_indices", "counts")
    return (parts["values"], *(parts[n] for n, w in zip(names, wanted) if w))


def _one_nan(parts):
    """The results of ``unique_*`` with their NaNs (distinct, sorted last) made one value, as
    NumPy's ``equal_nan=True`` makes them."""
    values = parts["values"]
    nans = int(np.count_nonzero(np.isnan(_values(values))))
    if nans < 2:
        return parts
    k = values.shape[0] - nans
    merged = {"values": values[: k + 1]}
    if "indices" in parts:
        merged["indices"] = mp.concat(
            [parts["indices"][:k], rd.min(parts["indices"][k:], keepdims=True)]
        )
    if "counts" in parts:
        merged["counts"] = mp.concat(
            [parts["counts"][:k], rd.sum(parts["counts"][k:], keepdims=True)]
        )
    if "inverse_indices" in parts:
        merged["inverse_indices"] = ew.minimum(parts["inverse_indices"], k)
    return merged


# -- ufunc methods -------------------------------------------------------------------------------
def _reduce(name, reduce, takes_dtype=True):
    def call(array, axis=0, dtype=None, out=None, keepdims=False, initial=_NO, where=True):
        no_out(f"{name}.reduce", out)
        refuse(f"{name}.reduce", initial=initial, where=where)
        array = _tensor(array)
        if dtype is not None and not takes_dtype:
            array, dtype = ew.astype(array, dtype), None
        options = {"dtype": dtype} if dtype is not None else {}
        return reduce(array, axis=axis, keepdims=keepdims, **options)

    return call


def _accumulate(name, accumulate):
    def call(array, axis=0, dtype=None, out=None):
        no_out(f"{name}.accumulate", out)
        return accumulate(_tensor(array), axis=axis, dtype=dtype)

    return call


def ufunc_outer(op, name, a, b, **kwargs):
    """``ufunc.outer``: ``op`` of every element of ``a`` with every element of ``b``."""
    no_out(f"{name}.outer", kwargs.pop("out", None))
    dtype = kwargs.pop("dtype", None)
    refuse(f"{name}.outer", **kwargs)
    like = _first_tensor((a, b))
    a, b = _tensor(a, like=like), _tensor(b, like=like)
    if dtype is not None:
        a, b = ew.astype(a, dtype), ew.astype(b, dtype)
    return op(mp.reshape(a, tuple(a.shape) + (1,) * b.ndim), b)


REDUCE = {
    np.add: _reduce("add", rd.sum),
    np.multiply: _reduce("multiply", rd.prod),
    np.maximum: _reduce("maximum", rd.max, takes_dtype=False),
    np.minimum: _reduce("minimum", rd.min, takes_dtype=False),
    np.logical_and: _reduce("logical_and", rd.all, takes_dtype=False),
    np.logical_or: _reduce("logical_or", rd.any, takes_dtype=False),
}

ACCUMULATE = {
    np.add: _accumulate("add", st.cumulative_sum),
    np.multiply: _accumulate("multiply", st.cumulative_prod),
}

UFUNCS = {
    np.cbrt: cbrt,
    np.deg2rad: deg2rad,
    np.radians: deg2rad,
    np.rad2deg: rad2deg,
    np.degrees: rad2deg,
    np.float_power: float_power,
    np.fabs: fabs,
    np.logaddexp2: logaddexp2,
    np.divmod: divmod,
    np.modf: modf,
    np.fmax: fmax,
    np.fmin: fmin,
    np.fmod: fmod,
    np.heaviside: heaviside,
}
for _name in ("matvec", "vecmat"):  # NumPy 2.2
    if hasattr(np, _name):
        UFUNCS[getattr(np, _name)] = globals()[_name]

FUNCTIONS = {
    "round": round,
    "around": round,
    "round_": round,
    "fix": fix,
    "ravel": ravel,
    "copy": copy,
    "atleast_1d": atleast_1d,
    "atleast_2d": atleast_2d,
    "atleast_3d": atleast_3d,
    "vstack": vstack,
    "row_stack": row_stack,
    "hstack": hstack,
    "column_stack": column_stack,
    "dstack": dstack,
    "block": block,
    "fliplr": fliplr,
    "flipud": flipud,
    "flip": flip,
    "rot90": rot90,
    "roll": roll,
    "repeat": repeat,
    "stack": stack,
    "split": split,
    "array_split": array_split,
    "append": append,
    "insert": insert,
    "delete": delete,
    "resize": resize,
    "take": take,
    "take_along_axis": take_along_axis,
    "diff": diff,
    "triu": triu,
    "tril": tril,
    "clip": clip,
    "where": where,
    "tensordot": tensordot,
    "outer": outer,
    "inner": inner,
    "vdot": vdot,
    "cross": cross,
    "kron": kron,
    "diag": diag,
    "diagflat": diagflat,
    "polyval": polyval,
    "convolve": convolve,
    "correlate": correlate,
    "angle": angle,
    "nan_to_num": nan_to_num,
    "select": select,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "iscomplexobj": iscomplexobj,
    "isrealobj": isrealobj,
    "iscomplex": iscomplex,
    "isreal": isreal,
    "real_if_close": real_if_close,
    "ptp": ptp,
    "average": average,
    "nansum": nansum,
    "nanprod": nanprod,
    "nanmax": nanmax,
    "nanmin": nanmin,
    "nanargmax": nanargmax,
    "nanargmin": nanargmin,
    "nancumsum": nancumsum,
    "nancumprod": nancumprod,
    "nanmean": nanmean,
    "nanvar": nanvar,
    "nanstd": nanstd,
    "quantile": quantile,
    "percentile": percentile,
    "nanquantile": nanquantile,
    "nanpercentile": nanpercentile,
    "median": median,
    "nanmedian": nanmedian,
    "partition": partition,
    "argpartition": argpartition,
    "trapezoid": trapezoid,
    "trapz": trapezoid,
    "cov": cov,
    "corrcoef": corrcoef,
    "interp": interp,
    "isclose": isclose,
    "allclose": allclose,
    "array_equal": array_equal,
    "array_equiv": array_equiv,
    "argwhere": argwhere,
    "flatnonzero": flatnonzero,
    "isin": isin,
    "in1d": isin,
    "digitize": digitize,
    "histogram": histogram,
    "histogram_bin_edges": histogram_bin_edges,
    "bincount": bincount,
    "ediff1d": ediff1d,
    "tril_indices_from": tril_indices_from,
    "triu_indices_from": triu_indices_from,
    "diag_indices_from": diag_indices_from,
    "unique": unique,
}

# NumPy functions still refused, and the tapegrad way to do what they do
EQUIVALENTS = {
    "numpy.put": "t[indices] = values, or t.at[indices].set(values)",
    "numpy.put_along_axis": "t.at[...].set(values) with the indices of each axis",
    "numpy.place": "tg.where(mask, values, t)",
    "numpy.putmask": "tg.where(mask, values, t)",
    "numpy.copyto": "tg.where(where, src, dst)",
    "numpy.fill_diagonal": "t.at[i, i].set(value) with i = tg.arange(n)",
    "numpy.linalg.eig": "tg.linalg.eigh, for symmetric or Hermitian matrices",
    "numpy.linalg.eigvals": "tg.linalg.eigvalsh, for symmetric or Hermitian matrices",
    "numpy.linalg.multi_dot": "tg.linalg.matmul, one product at a time",
    "numpy.ldexp": "x * tg.exp2(e)",
    "numpy.add.at": "t.at[indices].add(values)",
    "numpy.multiply.at": "t.at[indices].multiply(values)",
    "numpy.maximum.at": "t.at[indices].max(values)",
    "numpy.minimum.at": "t.at[indices].min(values)",
    "numpy.logaddexp.reduce": "tg.nn.logsumexp(t, axis=axis)",
    "numpy.fft.fft2": "tg.fft.fftn(t, axes=(-2, -1))",
    "numpy.fft.ifft2": "tg.fft.ifftn(t, axes=(-2, -1))",
    "numpy.fft.rfft2": "tg.fft.rfftn(t, axes=(-2, -1))",
    "numpy.fft.irfft2": "tg.fft.irfftn(t, axes=(-2, -1))",
}
