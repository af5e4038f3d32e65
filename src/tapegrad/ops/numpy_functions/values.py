"""NumPy's functions computed on values and shapes: those whose results have no derivative,
computed by NumPy on the tensors' arrays (``isclose``, ``allclose``, ``array_equal``,
``array_equiv``, ``argwhere``, ``flatnonzero``, ``isin``, ``digitize``,
``histogram_bin_edges``), ``histogram`` and ``bincount`` (differentiable in weights given as a
tensor, by a recorded scatter-add), the ``*_indices_from`` (from the shape only), and beside
them ``ediff1d`` and ``unique``, differentiable compositions.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..._backend import backend_name
from ..._dtypes import as_dtype, kind_of
from ..._tensor import Tensor
from .. import elementwise as ew
from .. import manipulation as mp
from .. import reduction as rd
from .. import searching
from ._common import (
    _as_result,
    _first_tensor,
    _on_values,
    _raw,
    _refuse_lazy,
    _tensor,
    _values,
    refuse,
)
from .shapes import ravel


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
    options = {} if kind is None else {"kind": kind}  # CuPy's isin takes no kind
    return _on_values(
        np.isin, element, test_elements, assume_unique=assume_unique, invert=invert, **options
    )


def digitize(x, bins, right=False):
    """``numpy.digitize`` on the values: an integer tensor."""
    return _on_values(np.digitize, x, bins, right=right)


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """``numpy.histogram_bin_edges`` on the values: a tensor."""
    like = _first_tensor([a, bins, weights])
    if like is not None and backend_name(like._value) == "cupy":  # CuPy has no such function:
        edges = np.histogram_bin_edges(  # NumPy's, on the values read back from the GPU
            _values(a),
            bins if isinstance(bins, str) else _values(bins),
            range=range,
            weights=None if weights is None else _values(weights),
        )
        return _as_result(edges, like)
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
