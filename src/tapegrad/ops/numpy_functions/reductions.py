"""NumPy's reductions that tapegrad composes: ``ptp``, ``average``, and the ``nan`` reductions
that skip NaNs (``nansum``, ``nanprod``, ``nanmax``, ``nanmin``, ``nanargmax``, ``nanargmin``,
``nancumsum``, ``nancumprod``) and moments (``nanmean``, ``nanvar``, ``nanstd``).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..._dtypes import kind_of
from .. import creation, searching
from .. import elementwise as ew
from .. import manipulation as mp
from .. import reduction as rd
from .. import statistics as st
from ._common import (
    _NO,
    _cheap_to_read,
    _floating,
    _keepdims_given,
    _tensor,
    _values,
    no_out,
    normalize_axis_tuple,
    refuse,
)


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
