"""NumPy's elementwise functions and ufuncs that tapegrad composes: rounding (``round``,
``fix``), ``angle``, ``nan_to_num``, ``select``, the ufuncs ``heaviside``, ``fmax``, ``fmin``,
``cbrt``, ``degrees``/``radians``, ``float_power``, ``fabs``, ``logaddexp2``, ``fmod``,
``divmod`` and ``modf``, the predicates of values and dtypes (``isposinf``, ``isneginf``,
``iscomplex``, ``isreal``, ``iscomplexobj``, ``isrealobj``) and ``real_if_close``.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..._backend import is_array, xp_of
from ..._dtypes import as_dtype, kind_of
from ..._tensor import Tensor, Variable
from .. import creation
from .. import elementwise as ew
from .. import manipulation as mp
from .. import reduction as rd
from ._common import _copy, _first_tensor, _floating, _pair, _raw, _tensor, no_out


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
