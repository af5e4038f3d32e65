"""NumPy's statistics of samples: ``trapezoid``, ``cov``, ``corrcoef`` and ``interp``, each
NumPy's formula as a composition, differentiable in the data, the weights and the sample
points.
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from ..._dtypes import as_dtype, float_result, kind_of
from ..._tensor import Tensor
from .. import creation, searching
from .. import elementwise as ew
from .. import manipulation as mp
from .. import reduction as rd
from .. import statistics as st
from ..linalg import matmul
from ._common import (
    _NO,
    _along,
    _cheap_to_read,
    _first_tensor,
    _floating,
    _tensor,
    _tensors,
    _values,
    normalize_axis_index,
)
from .products import diag
from .reductions import average
from .shapes import _atleast_all, take


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
        x = creation.asarray(x, dtype=np.result_type(as_dtype(real), as_dtype(xp.dtype)), like=like)
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
