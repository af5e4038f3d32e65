"""NumPy's order statistics through a recorded sort: ``quantile``, ``percentile``, ``median``
and their ``nan`` forms, with NumPy's positions and interpolation weights; ``partition`` and
``argpartition`` placed by NumPy's own function.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..._backend import backend_name, in_library_of
from ..._dtypes import kind_of
from ..._tensor import Tensor
from .. import elementwise as ew
from .. import indexing, searching
from .. import manipulation as mp
from .. import reduction as rd
from ._common import (
    _NO,
    _cheap_to_read,
    _floating,
    _keepdims_given,
    _on_values,
    _refuse_lazy,
    _refuse_value,
    _static,
    _tensor,
    _values,
    no_out,
    normalize_axis_tuple,
    refuse,
)

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


def _beside_counts(q, n):
    """The quantiles' values ``q`` in the library of the counts ``n`` where those stay on a
    GPU: CuPy takes no NumPy operands (Dask takes them, and NumPy counts are NumPy)."""
    if isinstance(n, (int, np.integer, np.ndarray)) or backend_name(n) != "cupy":
        return q
    return in_library_of(n, q)


def _positions(n, q, method):
    """NumPy's virtual indices for ``n`` values (an int, or an integer array per slice): the
    integer index (methods without interpolation, integer quantiles), or the two indices."""
    q = _beside_counts(q, n)
    n1 = _steps(n, q)
    if method == "lower":
        return np.floor(n1 * q).astype(np.intp), None
    if method == "higher":
        return np.ceil(n1 * q).astype(np.intp), None
    if method == "nearest":
        return np.around(n1 * q).astype(np.intp), None
    if method == "midpoint":
        index = 0.5 * (np.floor(n1 * q) + np.ceil(n1 * q))  # arrays of the counts' library
    else:
        index = n1 * q
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
    values = _beside_counts(_values(q), n)
    n1 = _steps(n, values)
    if method == "midpoint":
        index = 0.5 * (np.floor(n1 * values) + np.ceil(n1 * values))
        t = np.where(index % 1 == 0, 0.0, 0.5).astype(previous.dtype)
    else:
        t = (n1 * values - previous).astype(previous.dtype)
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
        counts = _present_counts(s)
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


def _present_counts(s):
    """How many values of each sorted slice are not NaN: NumPy values where reading them costs
    nothing, else the library's own array (lazy on Dask, on the GPU for CuPy), which NumPy's
    functions below dispatch to, so nothing is computed or waited for behind the user's back."""
    counts = rd.sum(ew.astype(ew.logical_not(ew.isnan(s)), np.int64), axis=-1)
    return _values(counts) if _cheap_to_read(counts) else counts._value


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=_NO):
    """``numpy.nanmedian``: ``median`` of the values that are not NaN, slice by slice (NaN for
    a slice of NaNs only)."""
    no_out("nanmedian", out)
    s, shape, axes = _real_sorted("nanmedian", a, axis)
    counts = _present_counts(s)
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
    options = {} if kind == "introselect" else {"kind": kind}  # CuPy's takes no kind
    return _on_values(np.argpartition, a, kth, axis=axis, **options)
