"""Small shape helpers shared by the rules. Rules see cotangents and tangents that may carry
extra leading (batch) axes, so they address axes from the end."""

from __future__ import annotations

import operator
import weakref

import numpy as np

from .._backend import xp_of
from .._dtypes import FLOAT_TYPES, float_result, kind_of


def floating(x):
    """A raw array in the dtype of ``_dtypes.float_result``: bool and integer arrays are cast
    (float32 up to 16 bits, float64 beyond), floating ones returned as they are (the class test
    first: no call on the hot path)."""
    dtype = x.dtype
    if type(dtype) in FLOAT_TYPES or kind_of(dtype) in "fc":
        return x
    xp = xp_of(x)
    return xp.astype(x, getattr(xp, float_result(dtype).name))


def floating_pair(x, y):
    """``floating`` for a binary floating function: bool and integer operands (a Python int
    beside them) are cast when no operand is floating; otherwise the usual promotion applies."""
    xd, yd = getattr(x, "dtype", None), getattr(y, "dtype", None)
    if type(xd) in FLOAT_TYPES or type(yd) in FLOAT_TYPES:  # the common case: no call
        return x, y
    if type(x) in (float, complex) or type(y) in (float, complex):
        return x, y
    if any(d is not None and kind_of(d) in "fc" for d in (xd, yd)):
        return x, y
    return (x if xd is None else floating(x)), (y if yd is None else floating(y))


def as_shape(shape) -> tuple:
    """A shape as a tuple, from an int (Python or NumPy, or a 0-d integer tensor) or a sequence
    of them, as NumPy takes shapes."""
    if type(shape) is not tuple and type(shape) is not list:  # tuples first: the common call
        try:
            return (operator.index(shape),)
        except TypeError:
            pass
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(
            f"a shape is an int or a sequence of ints, not {shape!r}: round or cast the "
            "sizes to int first"
        ) from None


def lead(g, like) -> tuple:
    """The leading batch axes that ``g`` carries beyond the shape of ``like``."""
    return tuple(g.shape[: g.ndim - like.ndim])


_INTS = (int, np.integer)


def negative_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a tuple) as a sorted tuple of negative axes of an ndim array."""
    if axis is None:
        return tuple(range(-ndim, 0))
    axes = (axis,) if isinstance(axis, _INTS) else axis
    if not isinstance(axes, tuple | list):
        raise TypeError(f"axis must be an int, a tuple of ints or None, not {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, _INTS) or isinstance(a, bool):
            raise TypeError(f"axis must be an int, a tuple of ints or None, not {axis!r}")
        a = operator.index(a)  # NumPy integers too, as plain ints
        if not -ndim <= a < max(ndim, 1):
            if ndim == 0:
                raise ValueError(
                    f"axis {a} is out of bounds for a 0-d array, which has no axes: use "
                    "axis=None, or give the value an axis first (tg.reshape(x, (1,)))"
                )
            raise ValueError(
                f"axis {a} is out of bounds for an array of {ndim} dimensions: use an axis in "
                f"[{-ndim}, {ndim - 1}]"
            )
        out.append(a - ndim if a >= 0 else a)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def named_axes(name: str, axis, ndim: int) -> tuple:
    """``negative_axes``, its errors naming the function that was called."""
    try:
        return negative_axes(axis, ndim)
    except (ValueError, TypeError) as error:
        raise type(error)(f"{name}: {error}") from None


def axis_error(name: str, axis, ndim: int):
    """After the backend raised for ``axis``: tapegrad's error, naming the function, when the
    axis is out of range or repeated (ValueError) or not an axis (TypeError); None when the
    axis is fine (the backend's error then stands). Called only on failure, so the common call
    pays nothing for the check."""
    try:
        negative_axes(axis, ndim)
    except (ValueError, TypeError) as error:
        return type(error)(f"{name}: {error}")
    return None


def positive_axis(axis, ndim: int) -> int:
    """One ``axis`` checked as ``negative_axes`` checks it, counted from 0."""
    return negative_axes(axis, ndim)[0] + ndim


def kept_shape(shape: tuple, axis) -> tuple:
    """``shape`` with the reduced axes kept as size 1 (what keepdims=True gives)."""
    axes = negative_axes(axis, len(shape))
    n = len(shape)
    return tuple(1 if i - n in axes else s for i, s in enumerate(shape))


def size_of(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# -- identity tangents ----------------------------------------------------------------------------
# jacfwd and hessian push the standard basis of one input through a single pass: an identity
# matrix on the batch axis. A matmul JVP that meets it knows the answer without a product
# (x @ e_b is column b of x), which saves one n^3 product per Jacobian. Kept by identity of the
# array, weakly, so a basis is recognised only while it lives.
_BASES: dict = {}


def mark_basis(value) -> None:
    """Remember ``value`` (a raw array of shape ``(n, n)``) as the identity basis of an input
    vector of size n."""
    key = id(value)
    try:
        _BASES[key] = weakref.ref(value, lambda _, key=key: _BASES.pop(key, None))
    except TypeError:  # pragma: no cover - a library whose arrays take no weak reference
        pass


def is_basis(value) -> bool:
    ref = _BASES.get(id(value))
    return ref is not None and ref() is value
