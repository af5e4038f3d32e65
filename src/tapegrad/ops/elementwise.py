"""Elementwise functions: arithmetic, powers, exponentials, trigonometry, rounding, complex
parts, comparisons, bitwise and logical operations, where.

Their derivatives are diagonal, so the JVP is declared ``"elementwise"``: the VJP rule applied to
the tangent. The engine, not the rules, reduces a broadcast gradient to its input's shape.

Complex values: for a real loss L of ``z = x + iy`` the gradient is ``dL/dx + i dL/dy`` (as in
TensorFlow and PyTorch), so a holomorphic function's rule multiplies the cotangent by
``conj(f'(z))``; the other rules (abs, sign, real, imag) are written out.

Kinks take one documented subgradient: 0 for ``abs``, ``sign`` and ``copysign`` at 0, for
``hypot`` and ``atan2`` at the origin; ``maximum``, ``minimum``, ``clip`` and ``logaddexp`` split
the gradient evenly at ties. Rules are wrapped by ``_strong`` so that a zero cotangent stays zero
(see ``where``).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from .. import _dtypes
from .._backend import (
    NATIVE_TYPES,
    backend_name,
    constant_like,
    device_of,
    in_library_of,
    library_dtype,
    waits_to_read,
    xp_of,
)
from .._dtypes import FLOAT_TYPES, REAL_FLOAT_TYPES, kind_of
from .._fused import Fused
from .._primitive import primitive, raw
from ._helpers import floating, floating_pair
from ._strong import (
    all_finite,
    guarded,
    is_marked,
    linear,
    mark,
    rules,
    singular,
    smooth,
)

__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "astype",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "ceil",
    "clip",
    "conj",
    "copysign",
    "cos",
    "cosh",
    "divide",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "hypot",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "pow",
    "real",
    "reciprocal",
    "remainder",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "trunc",
    "where",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def _xp(x, y):
    return xp_of(x if hasattr(x, "dtype") else y)


def _conj(v):
    """The conjugate where it matters: rules multiply by conj(f'(x)) (see the module docstring),
    and skipping the call on real values keeps real rules at full speed."""
    dtype = getattr(v, "dtype", None)
    if dtype is None:
        return v.conjugate() if type(v) is complex else v
    if type(dtype) in REAL_FLOAT_TYPES:
        return v
    return conj(v) if kind_of(dtype) == "c" else v


# -- arithmetic ------------------------------------------------------------------------------------
@primitive(
    vjp=rules(linear, lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    jvp="elementwise",
    promote=True,
)
def add(x, y, /):
    """``x + y`` with broadcasting.

    >>> import tapegrad as tg
    >>> print(tg.add(tg.constant([1.0, 2.0]), 1))
    tg.Tensor([2. 3.], shape=(2,), dtype=float32)
    """
    return x + y


@primitive(
    vjp=rules(linear, lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
    jvp="elementwise",
    promote=True,
)
def subtract(x, y, /):
    """``x - y`` with broadcasting.

    >>> import tapegrad as tg
    >>> print(tg.subtract(tg.constant([1.0, 2.0]), 1))
    tg.Tensor([0. 1.], shape=(2,), dtype=float32)
    """
    return x - y


@primitive(
    vjp=rules(smooth, lambda g, ans, x, y: g * _conj(y), lambda g, ans, x, y: g * _conj(x)),
    jvp="elementwise",
    promote=True,
)
def multiply(x, y, /):
    """``x * y`` with broadcasting.

    >>> import tapegrad as tg
    >>> print(tg.multiply(tg.constant([1.0, 2.0]), 3))
    tg.Tensor([3. 6.], shape=(2,), dtype=float32)
    """
    return x * y


@primitive(
    vjp=rules(
        singular, lambda g, ans, x, y: g / _conj(y), lambda g, ans, x, y: -g * _conj(ans / y)
    ),
    jvp="elementwise",
    promote=True,
)
def divide(x, y, /):
    """``x / y`` (true division) with broadcasting.

    >>> import tapegrad as tg
    >>> print(tg.divide(tg.constant([1.0, 2.0]), 4))
    tg.Tensor([0.25 0.5 ], shape=(2,), dtype=float32)
    """
    return _true_divide(x, y)


def _true_divide(x, y):
    floats = FLOAT_TYPES
    if type(getattr(x, "dtype", None)) in floats or type(getattr(y, "dtype", None)) in floats:
        return x / y  # the common case: a NumPy float operand
    # integers divide as TensorFlow's truediv: into float32 up to 16 bits, float64 from 32 bits
    # (float32 would lose digits of large int32 values), whichever side a Python int is on;
    # cast first, as libraries that divide floats only (array_api_strict) need
    widths = [_int_width(v) for v in (x, y)]
    if None in widths or not any(widths):
        return x / y
    xp = xp_of(x if widths[0] else y)
    target = xp.float32 if max(widths) <= 2 else xp.float64
    x, y = (xp.astype(v, target) if w else v for v, w in zip((x, y), widths))
    return x / y


def _int_width(value):
    """The item size of an integer or boolean array (0 for a Python int, which takes the
    other operand's); None for anything else."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return 0 if isinstance(value, int) else None
    return _dtypes.as_dtype(dtype).itemsize if kind_of(dtype) in "biu" else None


@primitive(vjp=rules(singular, lambda g, ans, x: -g * _conj(ans * ans)), jvp="elementwise")
def reciprocal(x, /):
    """``1 / x``, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.reciprocal(tg.constant([2.0, 4.0])))
    tg.Tensor([0.5  0.25], shape=(2,), dtype=float32)
    """
    if kind_of(x.dtype) in "biu":  # integers divide as divide's do (float32 to 16 bits)
        return _true_divide(1, x)
    return 1 / x


@primitive(vjp=None, promote=True)
def floor_divide(x, y, /):
    """``x // y``: piecewise constant, so it has no derivative (the path is cut).

    >>> import tapegrad as tg
    >>> print(tg.floor_divide(tg.constant([7.0, -7.0]), 2))
    tg.Tensor([ 3. -4.], shape=(2,), dtype=float32)
    """
    return x // y


@primitive(
    vjp=rules(smooth, lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floor(x / y)),
    jvp="elementwise",
    promote=True,
)
def remainder(x, y, /):
    """``x % y`` with the sign of ``y``, as Python and NumPy.

    >>> import tapegrad as tg
    >>> print(tg.remainder(tg.constant([7.0, -7.0]), 3))
    tg.Tensor([1. 2.], shape=(2,), dtype=float32)
    """
    return x % y


def _is_number(v) -> bool:
    return type(v) in (int, float)


def _pow_vjp_x(g, ans, x, y):
    if _is_number(y):  # a Python exponent: the common x ** 2, and no work for x ** 0
        if y == 0:
            return g * 0
        if y == 1:
            return g
        out = g * _conj(2 * x if y == 2 else y * x ** (y - 1))
        # x ** y with y < 1 has d/dx = inf at 0: guarded and marked, as sqrt's rule is
        return out if y >= 1 else guarded(g, ans, (x, y), out)
    return guarded(g, ans, (x, y), g * _conj(where(y == 0, 0, y * x ** (y - 1))))


def _pow_vjp_y(g, ans, x, y):
    # log(x) is undefined for x <= 0 (for complex x, at 0); the derivative there is taken as 0
    if isinstance(x, (int, float, complex)):
        if x == 0 or (not isinstance(x, complex) and x < 0):
            return g * 0
        log_x = cmath.log(x) if isinstance(x, complex) else math.log(x)
        return g * _conj(ans * log_x)
    inside = x != 0 if kind_of(x.dtype) == "c" else x > 0
    return g * _conj(where(inside, ans * log(where(inside, x, 1)), 0))


@primitive(vjp=rules(smooth, _pow_vjp_x, _pow_vjp_y), jvp="elementwise", promote=True)
def pow(x, y, /):  # noqa: A001 - the Array API name
    """``x ** y`` with broadcasting. The derivative with respect to ``y`` is taken as 0 where
    ``x <= 0`` (``log(x)`` is undefined there).

    >>> import tapegrad as tg
    >>> print(tg.pow(tg.constant([2.0, 3.0]), 2))
    tg.Tensor([4. 9.], shape=(2,), dtype=float32)
    """
    return x**y


@primitive(vjp=rules(linear, lambda g, ans, x: -g), jvp="elementwise")
def negative(x, /):
    """``-x``.

    >>> import tapegrad as tg
    >>> print(tg.negative(tg.constant([1.0, -2.0])))
    tg.Tensor([-1.  2.], shape=(2,), dtype=float32)
    """
    return -x


@primitive(vjp=rules(linear, lambda g, ans, x: g), jvp="elementwise")
def positive(x, /):
    """``+x``.

    >>> import tapegrad as tg
    >>> print(tg.positive(tg.constant([1.0, -2.0])))
    tg.Tensor([ 1. -2.], shape=(2,), dtype=float32)
    """
    return +x


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(2 * x)), jvp="elementwise")
def square(x, /):
    """``x * x``, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.square(tg.constant([2.0, -3.0])))
    tg.Tensor([4. 9.], shape=(2,), dtype=float32)
    """
    return x * x


def _max_weight(x, y, dtype_like):
    # ties split the gradient evenly: maximum(x, x) has derivative 1, and so does max over ties
    return astype(x > y, dtype_like.dtype) + astype(x == y, dtype_like.dtype) * 0.5


@primitive(
    vjp=rules(
        linear,
        lambda g, ans, x, y: g * _max_weight(x, y, g),
        lambda g, ans, x, y: g * _max_weight(y, x, g),
    ),
    jvp="elementwise",
    promote=True,
)
def maximum(x, y, /):
    """Elementwise maximum. At ties the gradient is split evenly between ``x`` and ``y``.

    >>> import tapegrad as tg
    >>> print(tg.maximum(tg.constant([1.0, 5.0]), 2))
    tg.Tensor([2. 5.], shape=(2,), dtype=float32)
    """
    return _xp(x, y).maximum(x, y)


@primitive(
    vjp=rules(
        linear,
        lambda g, ans, x, y: g * _max_weight(y, x, g),
        lambda g, ans, x, y: g * _max_weight(x, y, g),
    ),
    jvp="elementwise",
    promote=True,
)
def minimum(x, y, /):
    """Elementwise minimum. At ties the gradient is split evenly between ``x`` and ``y``.

    >>> import tapegrad as tg
    >>> print(tg.minimum(tg.constant([1.0, 5.0]), 2))
    tg.Tensor([1. 2.], shape=(2,), dtype=float32)
    """
    return _xp(x, y).minimum(x, y)


def clip(x, /, min=None, max=None):  # noqa: A002 - the Array API's names
    """``x`` limited to ``[min, max]`` (either bound may be None, a number or an array).

    It is ``minimum(maximum(x, min), max)``, gradients included: at a bound, the gradient is
    split evenly between ``x`` and the bound, as for ``maximum`` at ties; a bound that is a
    number or a constant simply takes its half out of the sum.

    >>> import tapegrad as tg
    >>> print(tg.clip(tg.constant([-2.0, 0.5, 3.0]), 0.0, 1.0))
    tg.Tensor([0.  0.5 1. ], shape=(3,), dtype=float32)
    """
    if kind_of(raw(x).dtype) == "c":  # NumPy would clip the real part and drop the rest
        raise TypeError(
            f"clip takes real values, not {raw(x).dtype}: complex numbers have no order; clip "
            "the real and imaginary parts (tg.real, tg.imag) or the magnitude (tg.abs)"
        )
    out = x
    if min is not None:
        out = maximum(out, min)
    if max is not None:
        out = minimum(out, max)
    if out is x:
        return positive(x)
    return out


def _copysign_factor(x, y):
    # d/dx |x| * s, with s = -1 where y's sign bit is set, else 1: sign(x) * s (0 at x = 0)
    return sign(x) * (1 - 2 * astype(signbit(y), x.dtype))


@primitive(
    vjp=rules(
        smooth,
        lambda g, ans, x, y: g * _copysign_factor(x, y),
        lambda g, ans, x, y: g * 0,
    ),
    jvp="elementwise",
    promote=True,
)
def copysign(x, y, /):
    """``|x|`` with the sign of ``y`` (its sign bit, so ``-0.0`` counts as negative). The
    derivative in ``x`` is 0 at ``x = 0``, as for ``abs``; in ``y`` it is 0.

    >>> import tapegrad as tg
    >>> print(tg.copysign(tg.constant([1.0, -2.0]), -1.0))
    tg.Tensor([-1. -2.], shape=(2,), dtype=float32)
    """
    x, y = floating_pair(x, y)
    return _xp(x, y).copysign(x, y)


@primitive(
    vjp=rules(linear, lambda g, ans, x, y: g, lambda g, ans, x, y: g * 0),
    jvp="elementwise",
    promote=True,
)
def nextafter(x, y, /):
    """The floating-point number next to ``x`` in the direction of ``y``. As a function of real
    numbers it is ``x`` plus a piecewise-constant step: derivative 1 in ``x``, 0 in ``y``.

    >>> import tapegrad as tg
    >>> bool(tg.nextafter(tg.constant(1.0), 2.0) > 1.0)
    True
    """
    x, y = floating_pair(x, y)
    return _xp(x, y).nextafter(x, y)


def _safe(value):
    """``value`` with its zeros replaced by ones: a divisor for rules whose numerator is then 0."""
    return where(value == 0, 1, value)


def _off_origin(radius, value):
    """``value`` where ``radius`` is not 0, else 0 through ``where``: the kink's derivative is
    taken as 0, and so are its derivatives (``x / 1`` there would have derivative 1, and the
    Hessians of hypot and atan2 at the origin were the identity and an asymmetric matrix)."""
    return where(radius == 0, 0, value)


@primitive(
    vjp=rules(
        smooth,
        lambda g, ans, x, y: g * _off_origin(ans, x / _safe(ans)),
        lambda g, ans, x, y: g * _off_origin(ans, y / _safe(ans)),
    ),
    jvp="elementwise",
    promote=True,
)
def hypot(x, y, /):
    """``sqrt(x**2 + y**2)`` without overflow or underflow. At the origin, where it has a kink
    like ``abs``, its derivative is taken as 0.

    >>> import tapegrad as tg
    >>> print(tg.hypot(tg.constant([3.0, 5.0]), 4.0))
    tg.Tensor([5.        6.4031243], shape=(2,), dtype=float32)
    """
    x, y = floating_pair(x, y)
    return _xp(x, y).hypot(x, y)


def _atan2_vjp(g, ans, y, x, numerator):
    radius = hypot(y, x)
    safe = _safe(radius)
    return g * _off_origin(radius, numerator / safe / safe)


@primitive(
    vjp=rules(
        smooth,
        lambda g, ans, y, x: _atan2_vjp(g, ans, y, x, x),
        lambda g, ans, y, x: _atan2_vjp(g, ans, y, x, -y),
    ),
    jvp="elementwise",
    promote=True,
)
def atan2(x1, x2, /):
    """The angle of the point ``(x2, x1)``, in ``[-pi, pi]`` (``arctan2`` in NumPy). Its
    derivative is taken as 0 at the origin, where the angle jumps.

    >>> import tapegrad as tg
    >>> print(tg.atan2(tg.constant([1.0, -1.0]), 1.0))
    tg.Tensor([ 0.7853982 -0.7853982], shape=(2,), dtype=float32)
    """
    x1, x2 = floating_pair(x1, x2)
    return _xp(x1, x2).atan2(x1, x2)


def _logaddexp_weight(x, y, ans):
    # the softmax weight of x, sigmoid(x - y): exactly 1/2 at a finite tie, with its derivatives
    # (a constant there would lose the second derivative, 1/4); equal infinities split evenly
    from .nn import sigmoid  # nn builds on this module

    return where(logical_and(x == y, isinf(x)), 0.5, sigmoid(x - y))


@primitive(
    vjp=rules(
        smooth,
        lambda g, ans, x, y: g * _logaddexp_weight(x, y, ans),
        lambda g, ans, x, y: g * _logaddexp_weight(y, x, ans),
    ),
    jvp="elementwise",
    promote=True,
)
def logaddexp(x, y, /):
    """``log(exp(x) + exp(y))`` without overflow. Equal arguments share the gradient evenly.

    >>> import tapegrad as tg
    >>> print(tg.logaddexp(tg.constant(1000.0), 1000.0))
    tg.Tensor(1000.6932, shape=(), dtype=float32)
    """
    x, y = floating_pair(x, y)
    return _xp(x, y).logaddexp(x, y)


# -- exponentials, logarithms, roots ---------------------------------------------------------------
@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(ans)), jvp="elementwise")
def exp(x, /):
    """Exponential, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.exp(tg.constant([0.0, 1.0])))
    tg.Tensor([1.       2.718282], shape=(2,), dtype=float32)
    """
    return xp_of(x).exp(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(ans * _LN2)), jvp="elementwise")
def exp2(x, /):
    """``2 ** x``, elementwise (NumPy's ``exp2``).

    >>> import tapegrad as tg
    >>> print(tg.exp2(tg.constant([3.0, -1.0])))
    tg.Tensor([8.  0.5], shape=(2,), dtype=float32)
    """
    import numpy as np

    x = floating(x)
    if isinstance(x, (np.ndarray, np.generic)):
        return np.exp2(x)
    xp = xp_of(x)
    return xp.pow(xp.asarray(2, dtype=x.dtype, device=device_of(x)), x)


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(ans + 1)), jvp="elementwise")
def expm1(x, /):
    """``exp(x) - 1``, accurate for small ``x``.

    >>> import tapegrad as tg
    >>> print(tg.expm1(tg.constant(1e-10, dtype=tg.float64)))
    tg.Tensor(1.00000000005e-10, shape=(), dtype=float64)
    """
    return xp_of(x).expm1(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(x)), jvp="elementwise")
def log(x, /):
    """Natural logarithm, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.log(tg.constant([1.0, 4.0])))
    tg.Tensor([0.        1.3862944], shape=(2,), dtype=float32)
    """
    return xp_of(x).log(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(1 + x)), jvp="elementwise")
def log1p(x, /):
    """``log(1 + x)``, accurate for small ``x``.

    >>> import tapegrad as tg
    >>> print(tg.log1p(tg.constant(1e-10, dtype=tg.float64)))
    tg.Tensor(9.999999999500001e-11, shape=(), dtype=float64)
    """
    return xp_of(x).log1p(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(x * _LN2)), jvp="elementwise")
def log2(x, /):
    """Base-2 logarithm, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.log2(tg.constant([1.0, 8.0])))
    tg.Tensor([0. 3.], shape=(2,), dtype=float32)
    """
    return xp_of(x).log2(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(x * _LN10)), jvp="elementwise")
def log10(x, /):
    """Base-10 logarithm, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.log10(tg.constant([1.0, 100.0])))
    tg.Tensor([0. 2.], shape=(2,), dtype=float32)
    """
    return xp_of(x).log10(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(2 * ans)), jvp="elementwise")
def sqrt(x, /):
    """Square root, elementwise. Its derivative at 0 is infinite; a zero cotangent gives 0 there
    (so ``where(x > 0, sqrt(x), 0.0)`` has gradient 0 at ``x <= 0``).

    >>> import tapegrad as tg
    >>> print(tg.sqrt(tg.constant([4.0, 9.0])))
    tg.Tensor([2. 3.], shape=(2,), dtype=float32)
    """
    return xp_of(x).sqrt(x if type(x.dtype) in FLOAT_TYPES else floating(x))


# -- trigonometric and hyperbolic functions --------------------------------------------------------
_SIN_VJP = Fused("sin_vjp", "g x", "out = g * cos(x)", lambda g, x: g * _conj(cos(x)))
_COS_VJP = Fused("cos_vjp", "g x", "out = -g * sin(x)", lambda g, x: -g * _conj(sin(x)))


@primitive(vjp=rules(smooth, lambda g, ans, x: _SIN_VJP(g, x)), jvp="elementwise")
def sin(x, /):
    """Sine, elementwise.

    >>> import tapegrad as tg
    >>> x = tg.Variable(0.0)
    >>> with tg.GradientTape() as tape:
    ...     y = tg.sin(x)
    >>> print(tape.gradient(y, x))
    tg.Tensor(1.0, shape=(), dtype=float32)
    """
    return xp_of(x).sin(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(smooth, lambda g, ans, x: _COS_VJP(g, x)), jvp="elementwise")
def cos(x, /):
    """Cosine, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.cos(tg.constant([0.0])))
    tg.Tensor([1.], shape=(1,), dtype=float32)
    """
    return xp_of(x).cos(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(1 + ans * ans)), jvp="elementwise")
def tan(x, /):
    """Tangent, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.tan(tg.constant([0.0])))
    tg.Tensor([0.], shape=(1,), dtype=float32)
    """
    return xp_of(x).tan(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(sqrt(1 - x * x))), jvp="elementwise")
def asin(x, /):
    """Inverse sine (``arcsin``), elementwise; its derivative is infinite at -1 and 1.

    >>> import tapegrad as tg
    >>> print(tg.asin(tg.constant([0.0, 1.0])))
    tg.Tensor([0.        1.5707964], shape=(2,), dtype=float32)
    """
    return xp_of(x).asin(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: -g / _conj(sqrt(1 - x * x))), jvp="elementwise")
def acos(x, /):
    """Inverse cosine (``arccos``), elementwise; its derivative is infinite at -1 and 1.

    >>> import tapegrad as tg
    >>> print(tg.acos(tg.constant([1.0, 0.0])))
    tg.Tensor([0.        1.5707964], shape=(2,), dtype=float32)
    """
    return xp_of(x).acos(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(smooth, lambda g, ans, x: g / _conj(1 + x * x)), jvp="elementwise")
def atan(x, /):
    """Inverse tangent (``arctan``), elementwise.

    >>> import tapegrad as tg
    >>> print(tg.atan(tg.constant([0.0, 1.0])))
    tg.Tensor([0.        0.7853982], shape=(2,), dtype=float32)
    """
    return xp_of(x).atan(x if type(x.dtype) in FLOAT_TYPES else floating(x))


def _sinc_prime_value(x):
    """d sinc / dx on backend values: a Taylor series near 0, where the closed form cancels."""
    xp = xp_of(x)
    u = math.pi * x
    small = xp.abs(u) < 1e-2
    safe_x = xp.where(small, 1, x)
    safe_u = math.pi * safe_x
    closed = (xp.cos(safe_u) - xp.sin(safe_u) / safe_u) / safe_x
    u2 = u * u
    series = math.pi * u * (-1 / 3 + u2 * (1 / 30 + u2 * (-1 / 840 + u2 / 45360)))
    return xp.where(small, series, closed)


def _sinc_second(x):
    # sinc'' = -pi^2 sinc - 2 sinc' / x, whose limit at 0 is -pi^2 / 3
    zero = x == 0
    rest = -(math.pi**2) * sinc(x) - 2 * _sinc_prime(x) / where(zero, 1, x)
    return where(zero, -(math.pi**2) / 3, rest)


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(_sinc_second(x))), jvp="elementwise")
def _sinc_prime(x, /):
    return _sinc_prime_value(x)


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(_sinc_prime(x))), jvp="elementwise")
def sinc(x, /):
    """``sin(pi x) / (pi x)``, and 1 at 0 (NumPy's normalised sinc). Its derivatives are exact
    at 0 as well: 0, then ``-pi**2 / 3``.

    >>> import tapegrad as tg
    >>> print(tg.sinc(tg.constant([0.0, 0.5])))
    tg.Tensor([1.         0.63661975], shape=(2,), dtype=float32)
    """
    import numpy as np

    x = floating(x)
    if isinstance(x, (np.ndarray, np.generic)):
        return np.sinc(x)
    xp = xp_of(x)
    zero = x == 0
    u = math.pi * xp.where(zero, 1, x)
    return xp.where(zero, xp.ones_like(x), xp.sin(u) / u)


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(cosh(x))), jvp="elementwise")
def sinh(x, /):
    """Hyperbolic sine, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.sinh(tg.constant([0.0])))
    tg.Tensor([0.], shape=(1,), dtype=float32)
    """
    return xp_of(x).sinh(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(smooth, lambda g, ans, x: g * _conj(sinh(x))), jvp="elementwise")
def cosh(x, /):
    """Hyperbolic cosine, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.cosh(tg.constant([0.0])))
    tg.Tensor([1.], shape=(1,), dtype=float32)
    """
    return xp_of(x).cosh(x if type(x.dtype) in FLOAT_TYPES else floating(x))


# square, not ans * ans: its derivative (in a Hessian) is one product, not two and a sum
_TANH_VJP = Fused(
    "tanh_vjp", "g ans", "out = g * (1 - ans * ans)", lambda g, ans: g * _conj(1 - square(ans))
)


@primitive(vjp=rules(smooth, lambda g, ans, x: _TANH_VJP(g, ans)), jvp="elementwise")
def tanh(x, /):
    """Hyperbolic tangent, elementwise.

    >>> import tapegrad as tg
    >>> print(tg.tanh(tg.constant([0.0])))
    tg.Tensor([0.], shape=(1,), dtype=float32)
    """
    return xp_of(x).tanh(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(smooth, lambda g, ans, x: g / _conj(sqrt(x * x + 1))), jvp="elementwise")
def asinh(x, /):
    """Inverse hyperbolic sine (``arcsinh``), elementwise.

    >>> import tapegrad as tg
    >>> print(tg.asinh(tg.constant([0.0])))
    tg.Tensor([0.], shape=(1,), dtype=float32)
    """
    return xp_of(x).asinh(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(
    vjp=rules(singular, lambda g, ans, x: g / _conj(sqrt(x - 1) * sqrt(x + 1))),
    jvp="elementwise",
)
def acosh(x, /):
    """Inverse hyperbolic cosine (``arccosh``), elementwise; its derivative is infinite at 1.

    >>> import tapegrad as tg
    >>> print(tg.acosh(tg.constant([1.0])))
    tg.Tensor([0.], shape=(1,), dtype=float32)
    """
    return xp_of(x).acosh(x if type(x.dtype) in FLOAT_TYPES else floating(x))


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(1 - x * x)), jvp="elementwise")
def atanh(x, /):
    """Inverse hyperbolic tangent (``arctanh``), elementwise.

    >>> import tapegrad as tg
    >>> print(tg.atanh(tg.constant([0.0])))
    tg.Tensor([0.], shape=(1,), dtype=float32)
    """
    return xp_of(x).atanh(x if type(x.dtype) in FLOAT_TYPES else floating(x))


# NumPy's names for the inverse functions
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh


# -- sign, absolute value, rounding ----------------------------------------------------------------
def _abs_vjp(g, ans, x):
    # sign(0) = 0: the subgradient chosen at the kink is 0, as in TensorFlow, PyTorch and JAX
    if kind_of(x.dtype) == "c":
        return g * x / where(ans == 0, 1, ans)
    return g * sign(x)


@primitive(vjp=rules(smooth, _abs_vjp), jvp=lambda ts, ans, x: _abs_jvp(ts[0], ans, x))
def abs(x, /):  # noqa: A001 - the Array API name
    """Absolute value (the modulus of complex values); its derivative at 0 is taken as 0.

    >>> import tapegrad as tg
    >>> print(tg.abs(tg.constant([-2.0, 0.0, 3.0])))
    tg.Tensor([2. 0. 3.], shape=(3,), dtype=float32)
    """
    return xp_of(x).abs(x)


def _abs_jvp(t, ans, x):
    if kind_of(x.dtype) == "c":
        return real(_conj(x) * t) / where(ans == 0, 1, ans)
    return t * sign(x)


def _sign_rule(g, ans, x):
    """Real sign is piecewise constant. Complex sign ``z / |z|`` moves with the angle of z: its
    derivative ``(t - s Re(conj(s) t)) / |z|`` is self-adjoint, so one rule serves as VJP and
    JVP; at 0 it is taken as 0, as for abs."""
    if kind_of(x.dtype) != "c":
        return g * 0
    modulus = abs(x)
    return where(modulus == 0, 0, (g - ans * real(conj(ans) * g)) / _safe(modulus))


@primitive(vjp=rules(smooth, _sign_rule), jvp=lambda ts, ans, x: _sign_rule(ts[0], ans, x))
def sign(x, /):
    """Sign of each element (-1, 0 or 1; ``z / |z|`` for complex z, 0 at 0). For real values its
    derivative is 0 wherever it exists.

    >>> import tapegrad as tg
    >>> print(tg.sign(tg.constant([-2.0, 0.0, 3.0])))
    tg.Tensor([-1.  0.  1.], shape=(3,), dtype=float32)
    """
    return xp_of(x).sign(x)


_ZERO_RULE = rules(linear, lambda g, ans, x: g * 0)
_ZERO_JVP = lambda ts, ans, x: ts[0] * 0  # noqa: E731


@primitive(vjp=_ZERO_RULE, jvp=_ZERO_JVP)
def floor(x, /):
    """Largest integer not above ``x`` (as a float for float input); derivative 0.

    >>> import tapegrad as tg
    >>> print(tg.floor(tg.constant([1.5, -1.5])))
    tg.Tensor([ 1. -2.], shape=(2,), dtype=float32)
    """
    return xp_of(x).floor(x)


@primitive(vjp=_ZERO_RULE, jvp=_ZERO_JVP)
def ceil(x, /):
    """Smallest integer not below ``x``; derivative 0.

    >>> import tapegrad as tg
    >>> print(tg.ceil(tg.constant([1.5, -1.5])))
    tg.Tensor([ 2. -1.], shape=(2,), dtype=float32)
    """
    return xp_of(x).ceil(x)


@primitive(vjp=_ZERO_RULE, jvp=_ZERO_JVP)
def round(x, /):  # noqa: A001 - the Array API name
    """Round to the nearest integer, half to even; derivative 0.

    >>> import tapegrad as tg
    >>> print(tg.round(tg.constant([0.5, 1.5, 2.7])))
    tg.Tensor([0. 2. 3.], shape=(3,), dtype=float32)
    """
    if kind_of(x.dtype) in "biu":  # whole already (NumPy would give float16 for bool)
        return x
    return xp_of(x).round(x)


@primitive(vjp=_ZERO_RULE, jvp=_ZERO_JVP)
def trunc(x, /):
    """Round toward zero; derivative 0.

    >>> import tapegrad as tg
    >>> print(tg.trunc(tg.constant([1.7, -1.7])))
    tg.Tensor([ 1. -1.], shape=(2,), dtype=float32)
    """
    return xp_of(x).trunc(x)


@primitive()
def signbit(x, /):
    """True where the sign bit is set (``-0.0`` included; no derivative).

    >>> import tapegrad as tg
    >>> print(tg.signbit(tg.constant([-0.0, 0.0, -1.0])))
    tg.Tensor([ True False  True], shape=(3,), dtype=bool)
    """
    return xp_of(x).signbit(x)


# -- complex parts ---------------------------------------------------------------------------------
@primitive(vjp=rules(linear, lambda g, ans, x: conj(g)), jvp=lambda ts, ans, x: conj(ts[0]))
def conj(x, /):
    """Complex conjugate (the identity on real values).

    >>> import tapegrad as tg
    >>> print(tg.conj(tg.constant([1 + 2j])))
    tg.Tensor([1.-2.j], shape=(1,), dtype=complex64)
    """
    if kind_of(x.dtype) != "c":
        return x
    return xp_of(x).conj(x)


@primitive(vjp=rules(linear, lambda g, ans, x: _real_to(g, x)), jvp=lambda ts, ans, x: real(ts[0]))
def real(x, /):
    """Real part; for a complex input its gradient is ``dL/dx``, a complex value with zero
    imaginary part.

    >>> import tapegrad as tg
    >>> print(tg.real(tg.constant([1 + 2j])))
    tg.Tensor([1.], shape=(1,), dtype=float32)
    """
    if kind_of(x.dtype) != "c":
        return x
    return xp_of(x).real(x)


def _real_to(g, x):
    return g if kind_of(x.dtype) != "c" else astype(g, x.dtype)


def _imag_vjp(g, ans, x):
    if kind_of(x.dtype) != "c":
        return g * 0
    return astype(g, x.dtype) * 1j  # dL/dy, placed on the imaginary axis


@primitive(vjp=rules(linear, _imag_vjp), jvp=lambda ts, ans, x: imag(ts[0]))
def imag(x, /):
    """Imaginary part (zeros for real input); for a complex input its gradient is ``i dL/dy``.

    >>> import tapegrad as tg
    >>> print(tg.imag(tg.constant([1 + 2j])))
    tg.Tensor([2.], shape=(1,), dtype=float32)
    """
    xp = xp_of(x)
    if kind_of(x.dtype) != "c":
        return xp.zeros_like(x)
    return xp.imag(x)


# -- casts -----------------------------------------------------------------------------------------
def _astype_vjp(g, ans, x, *, dtype, copy=True, device=None):
    return astype(g, x.dtype) if kind_of(x.dtype) == "c" else astype(real(g), x.dtype)


def as_floating(x):
    """A tensor of bool or integer dtype cast (a recorded astype) to the dtype
    ``_dtypes.float_result`` gives; floating and complex tensors as they are. For functions
    built from others (softmax, the norms), which cast once at the start."""
    dtype = raw(x).dtype
    if kind_of(dtype) in "fc":
        return x
    return astype(x, _dtypes.float_result(dtype))


@primitive(
    vjp=rules(linear, _astype_vjp),
    jvp=lambda ts, ans, x, *, dtype, copy=True, device=None: astype(ts[0], dtype),
)
def astype(x, /, dtype, *, copy=True, device=None):
    """``x`` converted to ``dtype``. A cast to an integer or bool dtype has no derivative.

    >>> import tapegrad as tg
    >>> print(tg.astype(tg.constant([1.7]), tg.int32))
    tg.Tensor([1], shape=(1,), dtype=int32)
    """
    from .._dtypes import as_dtype

    xp = xp_of(x)
    target = as_dtype(dtype)
    if not copy and as_dtype(x.dtype) == target:
        return x
    return xp.astype(x, library_dtype(xp, target))


# -- comparisons, tests and logic: boolean results, no derivative ----------------------------------
@primitive(promote=True)
def equal(x, y, /):
    """``x == y``, elementwise (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.equal(tg.constant([1.0, 2.0]), 2.0))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    return x == y


@primitive(promote=True)
def not_equal(x, y, /):
    """``x != y``, elementwise (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.not_equal(tg.constant([1.0, 2.0]), 2.0))
    tg.Tensor([ True False], shape=(2,), dtype=bool)
    """
    return x != y


@primitive(promote=True)
def less(x, y, /):
    """``x < y``, elementwise (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.less(tg.constant([1.0, 2.0]), 2.0))
    tg.Tensor([ True False], shape=(2,), dtype=bool)
    """
    return x < y


@primitive(promote=True)
def less_equal(x, y, /):
    """``x <= y``, elementwise (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.less_equal(tg.constant([1.0, 2.0]), 2.0))
    tg.Tensor([ True  True], shape=(2,), dtype=bool)
    """
    return x <= y


@primitive(promote=True)
def greater(x, y, /):
    """``x > y``, elementwise (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.greater(tg.constant([1.0, 3.0]), 2.0))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    return x > y


@primitive(promote=True)
def greater_equal(x, y, /):
    """``x >= y``, elementwise (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.greater_equal(tg.constant([1.0, 2.0]), 2.0))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    return x >= y


@primitive()
def isfinite(x, /):
    """True where ``x`` is neither infinite nor NaN (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.isfinite(tg.constant([1.0, float("inf"), float("nan")])))
    tg.Tensor([ True False False], shape=(3,), dtype=bool)
    """
    return xp_of(x).isfinite(x)


@primitive()
def isinf(x, /):
    """True where ``x`` is infinite (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.isinf(tg.constant([1.0, float("-inf"), float("nan")])))
    tg.Tensor([False  True False], shape=(3,), dtype=bool)
    """
    return xp_of(x).isinf(x)


@primitive()
def isnan(x, /):
    """True where ``x`` is NaN (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.isnan(tg.constant([1.0, float("nan")])))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    return xp_of(x).isnan(x)


@primitive(promote=True)
def logical_and(x, y, /):
    """Elementwise logical and (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.logical_and(tg.constant([True, True]), tg.constant([True, False])))
    tg.Tensor([ True False], shape=(2,), dtype=bool)
    """
    return _xp(x, y).logical_and(x, y)


@primitive(promote=True)
def logical_or(x, y, /):
    """Elementwise logical or (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.logical_or(tg.constant([False, False]), tg.constant([True, False])))
    tg.Tensor([ True False], shape=(2,), dtype=bool)
    """
    return _xp(x, y).logical_or(x, y)


@primitive(promote=True)
def logical_xor(x, y, /):
    """Elementwise logical exclusive or (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.logical_xor(tg.constant([True, True]), tg.constant([True, False])))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    return _xp(x, y).logical_xor(x, y)


@primitive()
def logical_not(x, /):
    """Elementwise logical not (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.logical_not(tg.constant([True, False])))
    tg.Tensor([False  True], shape=(2,), dtype=bool)
    """
    return xp_of(x).logical_not(x)


# -- bitwise operations on integers and booleans: no derivative ------------------------------------
def _integral(name, *values):
    for v in values:
        dtype = getattr(v, "dtype", None)
        if dtype is not None and kind_of(dtype) not in "biu":
            raise TypeError(
                f"{name} needs integer or bool arrays, not {dtype}: bitwise operations act on "
                "the bits of integers; cast with tg.astype(x, tg.int32)"
            )


@primitive(promote=True)
def bitwise_and(x, y, /):
    """Bitwise and of integers or booleans (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.bitwise_and(tg.constant([12, 10]), 6))
    tg.Tensor([4 2], shape=(2,), dtype=int32)
    """
    _integral("bitwise_and", x, y)
    return _xp(x, y).bitwise_and(x, y)


@primitive(promote=True)
def bitwise_or(x, y, /):
    """Bitwise or of integers or booleans (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.bitwise_or(tg.constant([12, 10]), 1))
    tg.Tensor([13 11], shape=(2,), dtype=int32)
    """
    _integral("bitwise_or", x, y)
    return _xp(x, y).bitwise_or(x, y)


@primitive(promote=True)
def bitwise_xor(x, y, /):
    """Bitwise exclusive or of integers or booleans (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.bitwise_xor(tg.constant([12, 10]), 6))
    tg.Tensor([10 12], shape=(2,), dtype=int32)
    """
    _integral("bitwise_xor", x, y)
    return _xp(x, y).bitwise_xor(x, y)


@primitive()
def bitwise_invert(x, /):
    """Bitwise not of integers (logical not of booleans; no derivative).

    >>> import tapegrad as tg
    >>> print(tg.bitwise_invert(tg.constant([0, 5])))
    tg.Tensor([-1 -6], shape=(2,), dtype=int32)
    """
    _integral("bitwise_invert", x)
    return xp_of(x).bitwise_invert(x)


@primitive(promote=True)
def bitwise_left_shift(x, y, /):
    """``x << y`` for integers (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.bitwise_left_shift(tg.constant([1, 3]), 2))
    tg.Tensor([ 4 12], shape=(2,), dtype=int32)
    """
    _integral("bitwise_left_shift", x, y)
    return _xp(x, y).bitwise_left_shift(x, y)


@primitive(promote=True)
def bitwise_right_shift(x, y, /):
    """``x >> y`` for integers (no derivative).

    >>> import tapegrad as tg
    >>> print(tg.bitwise_right_shift(tg.constant([8, 13]), 2))
    tg.Tensor([2 3], shape=(2,), dtype=int32)
    """
    _integral("bitwise_right_shift", x, y)
    return _xp(x, y).bitwise_right_shift(x, y)


# -- selection -------------------------------------------------------------------------------------
def _where_rule(selected):
    def rule(g, ans, c, x, y):
        branch = x if selected else y
        # zeros may meet inf or NaN upstream (unchecked where looking would wait: CuPy, Dask)
        if is_marked(ans) or waits_to_read(raw(branch)) or not all_finite(branch):
            mark(branch)
        if type(g) in NATIVE_TYPES and type(c) is type(g):  # raw arrays: a first-order pass
            zero = constant_like(g, 0)  # made once (on a GPU: no copy per step)
            return xp_of(g).where(c, g, zero) if selected else xp_of(g).where(c, zero, g)
        return where(c, g, 0) if selected else where(c, 0, g)

    return rule


@primitive(vjp=(None, _where_rule(True), _where_rule(False)), jvp="elementwise")
def _where(condition, x, y, /):
    return _xp(x, y).where(condition, x, y)


def where(condition, x, y, /):
    """Elements of ``x`` where ``condition`` holds, else of ``y``; the gradient goes to the chosen
    side only. A Python scalar takes the dtype of the other argument, as in binary operations
    (a Python float beside an integer tensor makes both the default float, float32).

    >>> import tapegrad as tg
    >>> print(tg.where(tg.constant([True, False]), tg.constant([1.0, 2.0]), 0.0))
    tg.Tensor([1. 0.], shape=(2,), dtype=float32)

    Both sides are computed, so an unselected side may hold inf or NaN:
    ``where(x > 0, sqrt(x), 0.0)`` computes ``sqrt(-1)`` at ``x = -1``. Its cotangent there is
    exactly zero, but sqrt's rule multiplies it by an infinite or NaN derivative, and in IEEE
    arithmetic ``0 * inf`` is NaN: JAX, TensorFlow and autograd return a NaN gradient (the
    "double where" problem, jax#1052). tapegrad keeps such zeros exact, to every order ("strong
    zeros", see ``ops/_strong.py``):

    * the rules of functions whose derivative is infinite or undefined at a finite input (sqrt,
      log, log1p, log2, log10, divide, reciprocal, pow, asin, acos, acosh, atanh) return exactly
      0 wherever their cotangent is exactly 0;
    * when where's rule sends zeros into a side that holds inf or NaN, it marks that value; the
      rule of each elementwise function, reduction, scan or sort whose result is marked then
      also returns 0 where its cotangent is 0, and marks its inputs, so the zeros stay exact
      back to where the non-finite values arose (``where(x > 0, x * log(x), 0.0)`` at 0,
      ``where(x > 0, sin(sqrt(x)), 0.0)`` at -1);
    * an infinite cotangent or tangent from one of those singular rules, multiplied by a zero
      derivative, gives 0 (so ``sqrt(x**2)`` has the subgradient of ``abs`` at 0, and
      forward-over-reverse Hessians stay exact in the unselected side).

    A cotangent that is not exactly zero is never changed, and where nothing is marked the
    check costs nothing. Rules of other families (reshape, indexing, matmul) do not pass marks
    on.

    >>> x = tg.constant([-1.0, 0.0, 4.0])
    >>> with tg.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = tg.where(x > 0, tg.sqrt(x), 0.0)
    >>> print(tape.gradient(y, x))
    tg.Tensor([0.   0.   0.25], shape=(3,), dtype=float32)
    """
    both_scalars = type(x) in _PYTHON_SCALARS and type(y) in _PYTHON_SCALARS
    x, y = _weak_pair(x, y)
    if both_scalars:  # made in the condition's library, on its device
        like = raw(condition)
        x, y = in_library_of(like, x), in_library_of(like, y)
    return _where(condition, x, y)


_PYTHON_SCALARS = (int, float, complex, bool)


def _weak_pair(x, y):
    """Python scalars beside an array take its dtype (and namespace), by the rule of binary
    operations: a float beside an integer array makes both the default float. Two Python
    scalars take tapegrad's defaults together (``1.0`` and ``2`` give float32)."""
    from .._tensor import to_array

    x_scalar = type(x) in _PYTHON_SCALARS  # not NumPy scalars: np.float64 is a float too
    y_scalar = type(y) in _PYTHON_SCALARS
    if x_scalar and y_scalar:  # the higher kind's default dtype; of one kind, the wider
        dx, dy = _dtypes.as_dtype(to_array(x).dtype), _dtypes.as_dtype(to_array(y).dtype)
        kx, ky = "biufc".index(dx.kind), "biufc".index(dy.kind)
        target = dx if (kx, dx.itemsize) >= (ky, dy.itemsize) else dy
        return to_array(x, target), to_array(y, target)
    if x_scalar:
        y, x = _scalar_beside(y, x)
    elif y_scalar:
        x, y = _scalar_beside(x, y)
    return x, y


def _scalar_beside(array, scalar):
    """``array`` (cast where a float meets integers) and ``scalar`` as an array of its dtype."""
    from .._tensor import to_array

    value = raw(array)
    target = _dtypes.weak_scalar_dtype(scalar, value.dtype)
    if target != _dtypes.as_dtype(value.dtype):
        array = astype(array, target)
        value = raw(array)
    number = to_array(scalar, target)  # refuses what the dtype cannot hold
    if type(value) is not np.ndarray and backend_name(value) == "cupy":
        return array, constant_like(value, scalar)  # made once: no copy to the GPU per call
    return array, xp_of(value).asarray(number, device=device_of(value))
