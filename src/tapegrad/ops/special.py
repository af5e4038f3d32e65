"""Special functions: erf, erfc, erfinv, gammaln, digamma, polygamma, expit, logit.

Values come from SciPy's ``scipy.special`` (``cupyx.scipy.special`` for CuPy arrays) where it is
installed; without SciPy, NumPy arrays use the implementations below: Python's ``math.erf``,
``math.erfc`` and ``math.lgamma`` elementwise, Newton's method for ``erfinv``, and the recurrence
with the asymptotic series for ``digamma`` and ``polygamma``. Each derivative is a function of the
family (``gammaln' = digamma``, ``digamma' = polygamma(1, .)``, ...), so every order is available.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import backend_name, device_of, xp_of
from .._dtypes import kind_of
from .._primitive import primitive
from ._helpers import floating
from ._strong import rules, singular
from .elementwise import _conj, exp
from .nn import sigmoid

__all__ = [
    "digamma",
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "gammaln",
    "logit",
    "polygamma",
]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


def _library(x):
    """``scipy.special`` (or CuPy's) for ``x``, or None where it is not available."""
    name = backend_name(x)
    try:
        if name == "cupy":
            import cupyx.scipy.special as special
        elif name in ("numpy", "dask"):  # Dask: SciPy chunk by chunk, on the workers
            import scipy.special as special
        else:
            return None
    except ImportError:
        return None
    return special


_PUBLIC = {"psi": "digamma"}  # SciPy's names that tapegrad spells otherwise


_COMPLEX_OK = {"erf", "erfc"}  # the others are real functions here (SciPy: or no derivative)


def _call(name, x, *args):
    x = floating(x)  # integers as _dtypes.float_result says
    if name not in _COMPLEX_OK and kind_of(x.dtype) == "c":
        raise TypeError(
            f"tg.special.{_PUBLIC.get(name, name)} takes real inputs, not {x.dtype}: apply it "
            "to the real part (tg.real) if that is meant"
        )
    special = _library(x)
    backend = backend_name(x)
    if special is not None:
        function = getattr(special, name, None) or getattr(special, _PUBLIC.get(name, name))
        if backend == "dask":  # each block cast as below: polygamma computes in float64
            return x.map_blocks(
                lambda block: function(*args, block).astype(block.dtype, copy=False),
                dtype=x.dtype,
            )
        if backend == "cupy":  # cupyx broadcasts its arguments as arrays (polygamma's order)
            args = tuple(xp_of(x).asarray(a, device=device_of(x)) for a in args)
        out = function(*args, x)
        # SciPy's polygamma computes in float64 whatever it is given: float32 stays float32
        return out if out.dtype == x.dtype else xp_of(x).astype(out, x.dtype)
    if backend != "numpy":
        raise NotImplementedError(
            f"tg.special.{_PUBLIC.get(name, name)} is not available for {backend} arrays: "
            "it needs SciPy (NumPy and Dask arrays) or CuPy's cupyx.scipy.special (CuPy "
            "arrays); convert with t.numpy() or install the library"
        )
    return _FALLBACKS[name](*args, np.asarray(x)).astype(x.dtype)


# -- the functions --------------------------------------------------------------------------------
@primitive(vjp=lambda g, ans, x: g * _conj(_TWO_OVER_SQRT_PI * exp(-x * x)), jvp="elementwise")
def erf(x, /):
    """The error function ``2/√π ∫₀ˣ exp(-t²) dt``.

    >>> import tapegrad as tg
    >>> print(tg.special.erf(tg.constant([0.0, 1.0])))
    tg.Tensor([0.        0.8427008], shape=(2,), dtype=float32)
    """
    return _call("erf", x)


@primitive(vjp=lambda g, ans, x: g * _conj(-_TWO_OVER_SQRT_PI * exp(-x * x)), jvp="elementwise")
def erfc(x, /):
    """The complementary error function ``1 - erf(x)``, accurate where ``erf(x)`` is near 1.

    >>> import tapegrad as tg
    >>> print(tg.special.erfc(tg.constant(0.0)))
    tg.Tensor(1.0, shape=(), dtype=float32)
    """
    return _call("erfc", x)


@primitive(
    vjp=rules(singular, lambda g, ans, x: g * _conj(_SQRT_PI_OVER_TWO * exp(ans * ans))),
    jvp="elementwise",
)
def erfinv(x, /):
    """The inverse of ``erf`` on (-1, 1) (±inf at ±1, NaN outside).

    >>> import tapegrad as tg
    >>> print(tg.special.erfinv(tg.constant(0.5, dtype=tg.float64)))
    tg.Tensor(0.4769362762044699, shape=(), dtype=float64)
    """
    return _call("erfinv", x)


@primitive(vjp=rules(singular, lambda g, ans, x: g * digamma(x)), jvp="elementwise")
def gammaln(x, /):
    """``log|Γ(x)|``, without the overflow of ``log(gamma(x))``; its derivative is ``digamma``.

    >>> import tapegrad as tg
    >>> print(tg.special.gammaln(tg.constant([1.0, 5.0])))
    tg.Tensor([0.       3.1780539], shape=(2,), dtype=float32)
    """
    return _call("gammaln", x)


@primitive(vjp=rules(singular, lambda g, ans, x: g * polygamma(1, x)), jvp="elementwise")
def digamma(x, /):
    """``ψ(x) = d/dx log Γ(x)``; its derivative is ``polygamma(1, x)``.

    >>> import tapegrad as tg
    >>> print(tg.special.digamma(tg.constant(1.0, dtype=tg.float64)))
    tg.Tensor(-0.5772156649015329, shape=(), dtype=float64)
    """
    return _call("psi", x)


@primitive(
    vjp=rules(singular, lambda g, ans, x, *, n: g * _polygamma(x, n=n + 1)),
    jvp="elementwise",
    name="polygamma",
)
def _polygamma(x, /, *, n):
    return _call("polygamma", x, n)


def polygamma(n, x, /):
    """``ψ⁽ⁿ⁾(x)``, the ``n``-th derivative of ``digamma`` (``n = 0`` is ``digamma`` itself);
    differentiable in ``x``.

    >>> import tapegrad as tg
    >>> print(round(float(tg.special.polygamma(1, tg.constant(1.0, dtype=tg.float64))), 6))
    1.644934
    """
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"polygamma: n must be a nonnegative integer, not {n!r}")
    if int(n) == 0:
        return digamma(x)
    return _polygamma(x, n=int(n))


def expit(x, /):
    """The logistic function ``1 / (1 + exp(-x))``, without overflow (``tg.nn.sigmoid``).

    >>> import tapegrad as tg
    >>> print(tg.special.expit(tg.constant([0.0, 1000.0, -1000.0])))
    tg.Tensor([0.5 1.  0. ], shape=(3,), dtype=float32)
    """
    return sigmoid(x)


@primitive(vjp=rules(singular, lambda g, ans, x: g / _conj(x * (1 - x))), jvp="elementwise")
def logit(x, /):
    """``log(x / (1 - x))``, the inverse of ``expit``, computed as ``log(x) - log1p(-x)`` so that
    it stays accurate near 0 and 1.

    >>> import tapegrad as tg
    >>> print(tg.special.logit(tg.constant([0.5, 0.75], dtype=tg.float64)))
    tg.Tensor([0.         1.09861229], shape=(2,), dtype=float64)
    """
    x = floating(x)  # integers as _dtypes.float_result says
    xp = xp_of(x)
    return xp.log(x) - xp.log1p(-x)


# -- NumPy implementations, for installations without SciPy ---------------------------------------
def _elementwise(function):
    vectorized = np.vectorize(function, otypes=[np.float64])

    def apply(x):
        # math's functions leave the overflow flag set where they give up (lgamma beyond
        # 2.6e305); the result there is inf, as SciPy's, so NumPy's warning would only mislead
        with np.errstate(over="ignore"):
            return vectorized(np.asarray(x, dtype=np.float64))

    return apply


def _np_erfinv(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    inside = np.abs(x) < 1
    out[x == 1], out[x == -1] = np.inf, -np.inf
    y = np.where(inside, x, 0.0)
    # Giles' single-precision approximation, then Newton steps on erf (erfc in the tails, where
    # 1 - |x| keeps the digits that erf(y) - x would lose)
    w = -np.log((1.0 - y) * (1.0 + y))
    central = w < 5.0
    wc, wt = w - 2.5, np.sqrt(np.where(central, 5.0, w)) - 3.0
    pc = _horner(wc, _GILES_CENTRAL)
    pt = _horner(wt, _GILES_TAIL)
    guess = np.where(central, pc, pt) * y
    erf_, erfc_ = _elementwise(math.erf), _elementwise(math.erfc)
    a = np.abs(y)
    r = np.abs(guess)
    for _ in range(4):
        slope = _TWO_OVER_SQRT_PI * np.exp(-r * r)
        tail = a > 0.5
        # in the tails, Newton's method on log(erfc(r)) = log(1 - a): nearly linear there
        c = erfc_(r)
        step_tail = (np.log(np.where(tail, 1.0 - a, 1.0)) - np.log(np.where(tail, c, 1.0))) * c
        step = np.where(tail, step_tail, erf_(r) - a)
        r = r - step / np.where(slope > 0, slope, 1.0)
    out[inside] = (np.sign(y) * r)[inside]
    return out


def _horner(x, coefficients):
    out = np.zeros_like(x)
    for c in coefficients:
        out = out * x + c
    return out


_GILES_CENTRAL = [
    2.81022636e-08,
    3.43273939e-07,
    -3.5233877e-06,
    -4.39150654e-06,
    0.00021858087,
    -0.00125372503,
    -0.00417768164,
    0.246640727,
    1.50140941,
]
_GILES_TAIL = [
    -0.000200214257,
    0.000100950558,
    0.00134934322,
    -0.00367342844,
    0.00573950773,
    -0.0076224613,
    0.00943887047,
    1.00167406,
    2.83297682,
]
# B_2k / (2k) for the asymptotic series of digamma, and B_2k / (2k)! for polygamma
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510]


def _np_digamma(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape)
    pole = (x <= 0) & (x == np.floor(x))
    reflect = x < 0.5
    # ψ(x) = ψ(1 - x) - π cot(πx) for x < 1/2
    out = np.where(reflect, -np.pi / np.tan(np.pi * np.where(reflect & ~pole, x, 0.5)), 0.0)
    z = np.where(reflect, 1.0 - x, x)
    while np.any(z < 10):
        small = z < 10
        out = out - np.where(small, 1.0 / z, 0.0)
        z = np.where(small, z + 1.0, z)
    inv2 = 1.0 / (z * z)
    series = np.zeros(z.shape)
    for k in range(len(_BERNOULLI), 0, -1):
        series = (series + _BERNOULLI[k - 1] / (2 * k)) * inv2
    out = out + np.log(z) - 0.5 / z - series
    # SciPy's values at the poles: -inf at +0 and +inf at -0 (the limits from each side), NaN
    # at the negative integers (the two sides disagree)
    at_pole = np.where(x == 0, np.copysign(np.inf, -np.copysign(1.0, x)), np.nan)
    return np.where(pole, at_pole, out)


def _np_polygamma(n, x):
    n = int(n)
    if n == 0:
        return _np_digamma(x)
    x = np.asarray(x, dtype=np.float64)
    pole = (x <= 0) & (x == np.floor(x))
    z = np.where(pole, 1.0, x)
    sign = (-1.0) ** (n + 1)
    factorial = math.factorial(n)
    out = np.zeros(z.shape)
    threshold = 20.0 + n
    while np.any(z < threshold):
        small = z < threshold
        out = out + np.where(small, factorial / np.where(small, z, 1.0) ** (n + 1), 0.0)
        z = np.where(small, z + 1.0, z)
    # ψ⁽ⁿ⁾(z) ~ (-1)^(n+1) [(n-1)!/zⁿ + n!/(2zⁿ⁺¹) + Σ B_2k (2k+n-1)!/((2k)! z^(2k+n))]
    tail = math.factorial(n - 1) / z**n + factorial / (2.0 * z ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        coefficient = b * math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        tail = tail + coefficient / z ** (2 * k + n)
    # SciPy's values at the poles: +inf for odd n (both sides agree), -inf for even n
    return np.where(pole, np.inf if n % 2 else -np.inf, sign * (out + tail))


_FALLBACKS = {
    "erf": _elementwise(math.erf),
    "erfc": _elementwise(math.erfc),
    "erfinv": _np_erfinv,
    "gammaln": _elementwise(lambda v: _lgamma(v)),
    "psi": _np_digamma,
    "polygamma": _np_polygamma,
}


def _lgamma(v):
    """``log|Γ(v)|`` as SciPy's gammaln: inf at the poles and beyond float range (math.lgamma
    raises there), -inf at -inf."""
    if v == -math.inf:
        return -math.inf
    if _is_pole(v):
        return math.inf
    try:
        return math.lgamma(v)
    except OverflowError:
        return math.inf


def _is_pole(v):
    """The poles of the gamma function: 0 and the negative integers."""
    return v <= 0 and v == math.floor(v)
