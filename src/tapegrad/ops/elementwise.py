"""Elementwise functions: arithmetic, powers, exponentials, trigonometry, comparisons, where.

Their derivatives are diagonal, so the JVP is declared ``"elementwise"``: the VJP rule applied to
the tangent. The engine, not the rules, reduces a broadcast gradient to its input's shape.
"""

from __future__ import annotations

from .._backend import xp_of
from .._primitive import primitive, raw
from .._tensor import Tensor

__all__ = [
    "abs",
    "add",
    "astype",
    "ceil",
    "conj",
    "cos",
    "divide",
    "equal",
    "exp",
    "expm1",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "isfinite",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "not_equal",
    "positive",
    "pow",
    "real",
    "remainder",
    "round",
    "sign",
    "sin",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "where",
]


def _xp(x, y):
    return xp_of(x if hasattr(x, "dtype") else y)


def _conj(v):
    """The conjugate where it matters: rules multiply by conj(f'(x)) (see ``abs`` for the
    convention), and skipping the call on real values keeps real rules at full speed."""
    dtype = getattr(v, "dtype", None)
    return conj(v) if dtype is not None and dtype.kind == "c" else v


# -- arithmetic -----------------------------------------------------------------------------------
@primitive(vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g), jvp="elementwise", promote=True)
def add(x, y, /):
    """``x + y`` with broadcasting.

    >>> import tapegrad as tg
    >>> print(tg.add(tg.constant([1.0, 2.0]), 1))
    tg.Tensor([2. 3.], shape=(2,), dtype=float32)
    """
    return x + y


@primitive(vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g), jvp="elementwise", promote=True)
def subtract(x, y, /):
    """``x - y`` with broadcasting."""
    return x - y


@primitive(
    vjp=(lambda g, ans, x, y: g * _conj(y), lambda g, ans, x, y: g * _conj(x)),
    jvp="elementwise",
    promote=True,
)
def multiply(x, y, /):
    """``x * y`` with broadcasting."""
    return x * y


@primitive(
    vjp=(lambda g, ans, x, y: g / _conj(y), lambda g, ans, x, y: -g * _conj(ans / y)),
    jvp="elementwise",
    promote=True,
)
def divide(x, y, /):
    """``x / y`` (true division) with broadcasting."""
    return _true_divide(x, y)


def _true_divide(x, y):
    result = x / y
    # integer / integer gives float64 in NumPy; tapegrad's default float is float32
    if getattr(x, "dtype", None) is not None and x.dtype.kind in "biu":
        if getattr(y, "dtype", None) is None or y.dtype.kind in "biu":
            return xp_of(result).astype(result, xp_of(result).float32)
    return result


@primitive(vjp=None, promote=True)
def floor_divide(x, y, /):
    """``x // y``: piecewise constant, so it has no derivative (the path is cut)."""
    return x // y


@primitive(
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g * floor(x / y)),
    jvp="elementwise",
    promote=True,
)
def remainder(x, y, /):
    """``x % y`` with the sign of ``y``, as Python and NumPy."""
    return x % y


def _pow_vjp_x(g, ans, x, y):
    return g * _conj(y * x ** (y - 1))


def _pow_vjp_y(g, ans, x, y):
    # log(x) is undefined for x <= 0; the gradient there is 0, as in TensorFlow (double where)
    positive = x > 0
    safe_x = where(positive, x, 1)
    return g * _conj(where(positive, ans * log(safe_x), 0))


@primitive(vjp=(_pow_vjp_x, _pow_vjp_y), jvp="elementwise", promote=True)
def pow(x, y, /):  # noqa: A001 - the Array API name
    """``x ** y`` with broadcasting."""
    return x**y


@primitive(vjp=lambda g, ans, x: -g, jvp="elementwise")
def negative(x, /):
    """``-x``."""
    return -x


@primitive(vjp=lambda g, ans, x: g, jvp="elementwise")
def positive(x, /):
    """``+x``."""
    return +x


def _max_weight(x, y, dtype_like):
    # ties split the gradient evenly: maximum(x, x) has derivative 1, and so does max over ties
    return astype(x > y, dtype_like.dtype) + astype(x == y, dtype_like.dtype) * 0.5


@primitive(
    vjp=(
        lambda g, ans, x, y: g * _max_weight(x, y, g),
        lambda g, ans, x, y: g * _max_weight(y, x, g),
    ),
    jvp="elementwise",
    promote=True,
)
def maximum(x, y, /):
    """Elementwise maximum. At ties the gradient is split evenly between ``x`` and ``y``."""
    return _xp(x, y).maximum(x, y)


@primitive(
    vjp=(
        lambda g, ans, x, y: g * _max_weight(y, x, g),
        lambda g, ans, x, y: g * _max_weight(x, y, g),
    ),
    jvp="elementwise",
    promote=True,
)
def minimum(x, y, /):
    """Elementwise minimum. At ties the gradient is split evenly between ``x`` and ``y``."""
    return _xp(x, y).minimum(x, y)


# -- unary functions ------------------------------------------------------------------------------
@primitive(vjp=lambda g, ans, x: g * _conj(cos(x)), jvp="elementwise")
def sin(x, /):
    """Sine, elementwise.

    >>> import tapegrad as tg
    >>> x = tg.Variable(0.0)
    >>> with tg.GradientTape() as tape:
    ...     y = tg.sin(x)
    >>> print(tape.gradient(y, x))
    tg.Tensor(1.0, shape=(), dtype=float32)
    """
    return xp_of(x).sin(x)


@primitive(vjp=lambda g, ans, x: -g * _conj(sin(x)), jvp="elementwise")
def cos(x, /):
    """Cosine, elementwise."""
    return xp_of(x).cos(x)


@primitive(vjp=lambda g, ans, x: g * _conj(1 + ans * ans), jvp="elementwise")
def tan(x, /):
    """Tangent, elementwise."""
    return xp_of(x).tan(x)


@primitive(vjp=lambda g, ans, x: g * _conj(ans), jvp="elementwise")
def exp(x, /):
    """Exponential, elementwise."""
    return xp_of(x).exp(x)


@primitive(vjp=lambda g, ans, x: g * _conj(ans + 1), jvp="elementwise")
def expm1(x, /):
    """``exp(x) - 1``, accurate for small ``x``."""
    return xp_of(x).expm1(x)


@primitive(vjp=lambda g, ans, x: g / _conj(x), jvp="elementwise")
def log(x, /):
    """Natural logarithm, elementwise."""
    return xp_of(x).log(x)


@primitive(vjp=lambda g, ans, x: g / _conj(1 + x), jvp="elementwise")
def log1p(x, /):
    """``log(1 + x)``, accurate for small ``x``."""
    return xp_of(x).log1p(x)


@primitive(vjp=lambda g, ans, x: g / _conj(2 * ans), jvp="elementwise")
def sqrt(x, /):
    """Square root, elementwise."""
    return xp_of(x).sqrt(x)


@primitive(vjp=lambda g, ans, x: g * _conj(2 * x), jvp="elementwise")
def square(x, /):
    """``x * x``, elementwise."""
    return x * x


@primitive(vjp=lambda g, ans, x: g * _conj(1 - ans * ans), jvp="elementwise")
def tanh(x, /):
    """Hyperbolic tangent, elementwise."""
    return xp_of(x).tanh(x)


def _abs_vjp(g, ans, x):
    # sign(0) = 0: the subgradient chosen at the kink is 0, as in TensorFlow, PyTorch and JAX
    if x.dtype.kind == "c":
        return g * x / where(ans == 0, 1, ans)
    return g * sign(x)


@primitive(vjp=_abs_vjp, jvp=lambda ts, ans, x: _abs_jvp(ts[0], ans, x))
def abs(x, /):  # noqa: A001 - the Array API name
    """Absolute value; its derivative at 0 is taken as 0."""
    return xp_of(x).abs(x)


def _abs_jvp(t, ans, x):
    if x.dtype.kind == "c":
        return real(_conj(x) * t) / where(ans == 0, 1, ans)
    return t * sign(x)


@primitive(vjp=lambda g, ans, x: g * 0, jvp=lambda ts, ans, x: ts[0] * 0)
def sign(x, /):
    """Sign of each element (-1, 0 or 1); its derivative is 0 wherever it exists."""
    return xp_of(x).sign(x)


@primitive(vjp=lambda g, ans, x: g * 0, jvp=lambda ts, ans, x: ts[0] * 0)
def floor(x, /):
    """Largest integer not above ``x`` (as a float for float input); derivative 0."""
    return xp_of(x).floor(x)


@primitive(vjp=lambda g, ans, x: g * 0, jvp=lambda ts, ans, x: ts[0] * 0)
def ceil(x, /):
    """Smallest integer not below ``x``; derivative 0."""
    return xp_of(x).ceil(x)


@primitive(vjp=lambda g, ans, x: g * 0, jvp=lambda ts, ans, x: ts[0] * 0)
def round(x, /):  # noqa: A001 - the Array API name
    """Round to the nearest integer, half to even; derivative 0."""
    return xp_of(x).round(x)


# -- complex parts ---------------------------------------------------------------------------------
@primitive(vjp=lambda g, ans, x: conj(g), jvp=lambda ts, ans, x: conj(ts[0]))
def conj(x, /):
    """Complex conjugate (the identity on real values)."""
    if x.dtype.kind != "c":
        return x
    return xp_of(x).conj(x)


@primitive(vjp=lambda g, ans, x: _real_to(g, x), jvp=lambda ts, ans, x: real(ts[0]))
def real(x, /):
    """Real part."""
    if x.dtype.kind != "c":
        return x
    return xp_of(x).real(x)


def _real_to(g, x):
    return g if x.dtype.kind != "c" else astype(g, x.dtype)


# -- casts ----------------------------------------------------------------------------------------
def _astype_vjp(g, ans, x, *, dtype, copy=True):
    return astype(g, x.dtype) if x.dtype.kind == "c" else astype(real(g), x.dtype)


@primitive(vjp=_astype_vjp, jvp=lambda ts, ans, x, *, dtype, copy=True: astype(ts[0], dtype))
def astype(x, /, dtype, *, copy=True):
    """``x`` converted to ``dtype``. A cast to an integer or bool dtype has no derivative."""
    from .._dtypes import as_dtype

    xp = xp_of(x)
    target = as_dtype(dtype)
    if x.dtype == target and not copy:
        return x
    return xp.astype(x, getattr(xp, target.name))


# -- comparisons and logic: boolean results, no derivative -----------------------------------------
@primitive(promote=True)
def equal(x, y, /):
    """``x == y``, elementwise (no derivative)."""
    return x == y


@primitive(promote=True)
def not_equal(x, y, /):
    """``x != y``, elementwise (no derivative)."""
    return x != y


@primitive(promote=True)
def less(x, y, /):
    """``x < y``, elementwise (no derivative)."""
    return x < y


@primitive(promote=True)
def less_equal(x, y, /):
    """``x <= y``, elementwise (no derivative)."""
    return x <= y


@primitive(promote=True)
def greater(x, y, /):
    """``x > y``, elementwise (no derivative)."""
    return x > y


@primitive(promote=True)
def greater_equal(x, y, /):
    """``x >= y``, elementwise (no derivative)."""
    return x >= y


@primitive(promote=True)
def logical_and(x, y, /):
    """Elementwise logical and (no derivative)."""
    return _xp(x, y).logical_and(x, y)


@primitive(promote=True)
def logical_or(x, y, /):
    """Elementwise logical or (no derivative)."""
    return _xp(x, y).logical_or(x, y)


@primitive()
def logical_not(x, /):
    """Elementwise logical not (no derivative)."""
    return xp_of(x).logical_not(x)


@primitive()
def isfinite(x, /):
    """True where ``x`` is neither infinite nor NaN (no derivative)."""
    return xp_of(x).isfinite(x)


@primitive()
def isnan(x, /):
    """True where ``x`` is NaN (no derivative)."""
    return xp_of(x).isnan(x)


# -- selection -------------------------------------------------------------------------------------
@primitive(
    vjp=(
        None,
        lambda g, ans, c, x, y: where(c, g, 0),
        lambda g, ans, c, x, y: where(c, 0, g),
    ),
    jvp="elementwise",
)
def _where(condition, x, y, /):
    return _xp(x, y).where(condition, x, y)


def where(condition, x, y, /):
    """Elements of ``x`` where ``condition`` holds, else of ``y``; the gradient goes to the chosen
    side only. A Python scalar takes the dtype of the other argument.

    >>> import tapegrad as tg
    >>> print(tg.where(tg.constant([True, False]), tg.constant([1.0, 2.0]), 0.0))
    tg.Tensor([1. 0.], shape=(2,), dtype=float32)
    """
    x, y = _weak_pair(x, y)
    return _where(condition, x, y)


def _weak_pair(x, y):
    """Python scalars beside an array take its dtype (and namespace)."""
    from .._tensor import to_array

    x_scalar = isinstance(x, (int, float, complex))
    y_scalar = isinstance(y, (int, float, complex))
    if x_scalar and not y_scalar:
        other = raw(y)
        x = xp_of(other).asarray(to_array(x, other.dtype))
    elif y_scalar and not x_scalar:
        other = raw(x)
        y = xp_of(other).asarray(to_array(y, other.dtype))
    return x, y


def is_differentiable_input(value) -> bool:
    return isinstance(value, Tensor) and value.dtype.kind in "fc"
