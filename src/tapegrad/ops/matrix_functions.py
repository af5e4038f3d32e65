"""Matrix functions: the matrix exponential, ``expm`` (``matrix_exp``).

``expm`` is a composite, as JAX's: scaling and squaring with a diagonal Padé approximant
(Higham, "The scaling and squaring method for the matrix exponential revisited", SIAM J. Matrix
Anal. Appl. 26(4), 2005, Algorithm 2.3), ``r_m(2^-s X)^(2^s)``, written with tapegrad's own
``matmul``, ``solve``, ``+`` and ``*``. No new primitive, so no new derivative rule: every
derivative, of every order, forward and reverse, is the engine's derivative of that rational
function. The degree ``m`` and the number of squarings ``s`` are read from the value (the largest
1-norm): they are piecewise constant and carry no gradient, so each derivative is the derivative
of the approximant, which is itself an accurate approximation of the derivative of ``exp``
(Al-Mohy and Higham, "Computing the Fréchet derivative of the matrix exponential", SIAM J.
Matrix Anal. Appl. 30(4), 2009, differentiate the same algorithm with the same parameters). Unlike
``V diag(exp(λ)) Vᴴ`` from ``eigh``, nothing divides by gaps between eigenvalues, so the
derivatives stay exact where eigenvalues repeat (at 0, at the identity).

Why Higham 2005 and not the 2009 refinement that SciPy uses (which lowers ``s`` from estimates
of ``‖X^k‖^(1/k)``): those estimates read several more values, each a wait on a GPU or a
computation on Dask; the 2005 choice needs one number, and JAX and TensorFlow make it too. It
can overscale very non-normal matrices, costing some digits there, not stability.

A stack (..., n, n) shares one ``m``, chosen from its largest 1-norm, and each matrix takes its
own ``s`` (one read of the norms, and batched products: a matrix squared fewer times than
another keeps its value through ``where``). A matrix holding inf or NaN gives NaN (its own
matrix only).

On Dask nothing is computed while the graph is built (the library's rule), so the choice cannot
read the norm: there every matrix takes the highest degree and its own ``s`` as a lazy array,
and ``_LAZY_SQUARINGS`` squarings are applied where ``s`` asks for them (``where``); a matrix
whose 1-norm needs more (beyond ``θ·2^16``, about 3.5e5 in float64) gives NaN, as JAX's
``max_squarings=16`` does. Dask's ``solve`` factorizes single matrices only, so there the
stack's one solve becomes one per matrix (the products stay batched). On CuPy the largest norm
is read back: one number, one wait for the GPU.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import device_of, is_lazy, to_numpy, xp_of
from .._dtypes import float64, kind_of
from .._primitive import raw
from .creation import convert_to_tensor
from .elementwise import astype, where
from .indexing import getitem
from .linalg import _eye, _square, matmul, solve
from .manipulation import reshape, stack

__all__ = ["expm", "matrix_exp"]

# (degree, θ_m): the largest 1-norm at which r_m is accurate to the unit roundoff (Higham 2005,
# Table 2.3 for double; its single-precision values are SciPy's and JAX's). Past the last θ,
# the matrix is scaled by 2^-s down to it.
_THETAS = {
    "double": (
        (3, 1.495585217958292e-2),
        (5, 2.539398330063230e-1),
        (7, 9.504178996162932e-1),
        (9, 2.097847961257068e0),
        (13, 5.371920351148152e0),
    ),
    "single": (
        (3, 4.258730016922831e-1),
        (5, 1.880152677804762e0),
        (7, 3.925724783138660e0),
    ),
}

# The coefficients b_0 ... b_m of the numerator p_m(x) = Σ b_k x^k of the [m/m] Padé approximant
# of exp; the denominator is p_m(-x).
_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (
        17643225600.0,
        8821612800.0,
        2075673600.0,
        302702400.0,
        30270240.0,
        2162160.0,
        110880.0,
        3960.0,
        90.0,
        1.0,
    ),
    13: (
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ),
}

_LAZY_SQUARINGS = 16


def expm(x, /):
    """The matrix exponential ``Σ xᵏ/k!`` of each square matrix in ``x`` (shape (..., n, n)),
    SciPy's ``linalg.expm`` (PyTorch's ``matrix_exp``), differentiable forward and reverse to
    every order, also where eigenvalues repeat. Integer and bool matrices give float64, as the
    other linalg functions do.

    >>> import tapegrad as tg
    >>> x = tg.constant([[0.0, 1.0], [0.0, 0.0]], dtype=tg.float64)
    >>> print(tg.linalg.expm(x))
    tg.Tensor(
    [[1. 1.]
     [0. 1.]], shape=(2, 2), dtype=float64)
    >>> print(tg.grad(lambda x: tg.linalg.trace(tg.linalg.expm(x)))(x))  # exp(x)ᵀ
    tg.Tensor(
    [[1. 0.]
     [1. 1.]], shape=(2, 2), dtype=float64)
    """
    if not hasattr(x, "shape"):
        x = convert_to_tensor(x)
    _square("expm", x, "the matrix exponential is defined for square matrices only")
    if kind_of(raw(x).dtype) not in "fc":  # as inv and det: NumPy's linalg computes in float64
        x = astype(x, float64)
    v = raw(x)
    thetas = _THETAS["double" if xp_of(v).finfo(v.dtype).eps < 1e-10 else "single"]
    if is_lazy(v):
        return _expm_lazy(x, thetas)
    if str(v.dtype) == "float16":
        raise TypeError(
            "expm: float16 matrices are not supported (the solve it needs works in float32 and "
            "float64): cast with tg.astype(x, tg.float32)"
        )
    norms = to_numpy(_one_norms(v))  # one small read (on CuPy, one wait for the GPU)
    if np.isfinite(norms).all():
        return _scaled_pade(x, norms, thetas)
    bad = xp_of(v).asarray(~np.isfinite(norms), device=device_of(v))
    bad = xp_of(v).reshape(bad, tuple(norms.shape) + (1, 1))
    clean = where(bad, 0.0, x)  # each finite matrix as it is, computed as usual
    result = _scaled_pade(clean, np.where(np.isfinite(norms), norms, 0.0), thetas)
    return where(bad, x * float("nan"), result)  # NaN, and a NaN derivative, where x is not finite


matrix_exp = expm


def _one_norms(v):
    """The 1-norm (largest column sum of ``|v|``) of each matrix, in float64, shape (...)."""
    xp = xp_of(v)
    if 0 in v.shape:  # max has no identity (Dask's fails on an empty chunk too)
        return xp.zeros(tuple(v.shape[:-2]), dtype=xp.float64, device=device_of(v))
    return xp.max(xp.sum(xp.astype(xp.abs(v), xp.float64), axis=-2), axis=-1)


def _scaled_pade(x, norms, thetas):
    """``r_m(2^-s x)^(2^s)`` with the smallest degree whose θ covers the largest of ``norms``
    (a NumPy array, one 1-norm per matrix), else the largest degree and, per matrix, the
    smallest ``s`` that brings its norm under that θ."""
    largest = float(norms.max()) if norms.size else 0.0
    for m, theta in thetas:
        if largest <= theta:
            return solve(*_pade(x, m))
    m, theta = thetas[-1]
    s = _squarings(norms, theta)
    if s.min() == s.max():  # one s for the stack: one sequence of products
        r = solve(*_pade(x * math.ldexp(1.0, -int(s.max())), m))
        for _ in range(int(s.max())):
            r = matmul(r, r)
        return r
    # each matrix scaled by its own s and squared only that often: a shared s would scale a
    # small matrix beside a large one down to the identity, losing it and its derivatives
    v = raw(x)
    xp, shape = xp_of(v), tuple(s.shape) + (1, 1)
    real = xp.float64 if xp.finfo(v.dtype).eps < 1e-10 else xp.float32
    scale = xp.reshape(xp.asarray(np.ldexp(1.0, -s), dtype=real, device=device_of(v)), shape)
    squarings = xp.reshape(xp.asarray(s, device=device_of(v)), shape)
    r = solve(*_pade(x * scale, m))
    for k in range(int(s.max())):
        r = where(k < squarings, matmul(r, r), r)
    return r


def _squarings(norms, theta):
    """Per matrix the smallest ``s`` with ``norm / 2^s <= theta`` (0 for the norms under it)."""
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(norms / theta))).astype(np.int64)
    s = s + (np.ldexp(norms, -s) > theta)  # log2 may round down at a power of two
    return s


def _pade(a, m):
    """The denominator and numerator of the [m/m] Padé approximant ``q_m(a)⁻¹ p_m(a)``,
    evaluated as Higham's Algorithm 2.3: odd and even parts ``u``, ``v`` from the even powers of
    ``a``, then ``q = v - u``, ``p = v + u``."""
    b = _PADE[m]
    eye = _eye(a.shape[-1], a)
    a2 = matmul(a, a)
    if m == 13:  # the degree-6 polynomials in a2 are split around a6, saving three products
        a4 = matmul(a2, a2)
        a6 = matmul(a4, a2)
        odd = matmul(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
        u = matmul(a, odd + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
        v = matmul(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4
        v = v + b[2] * a2 + b[0] * eye
    else:
        powers = [a2]  # a^2, a^4, ..., a^(m - 1)
        while len(powers) < m // 2:
            powers.append(matmul(powers[-1], a2))
        odd, v = b[1] * eye, b[0] * eye
        for k, power in enumerate(powers, start=1):
            odd = b[2 * k + 1] * power + odd
            v = b[2 * k] * power + v
        u = matmul(a, odd)
    return v - u, v + u


def _expm_lazy(x, thetas):
    """Dask: the highest degree, and per matrix its own ``s`` as a lazy array; no value read."""
    v = raw(x)
    xp = xp_of(v)
    m, theta = thetas[-1]
    norm = xp.reshape(_one_norms(v), tuple(v.shape[:-2]) + (1, 1))
    s = xp.ceil(xp.log2(xp.maximum(norm / theta, 1.0)))  # NaN stays NaN
    bad = ~(s <= _LAZY_SQUARINGS)  # also inf and NaN
    s = xp.where(bad, 0.0, s)
    real = xp.float64 if xp.finfo(v.dtype).eps < 1e-10 else xp.float32
    r = _solve_each(*_pade(where(bad, 0.0, x) * xp.astype(2.0**-s, real), m))
    for k in range(_LAZY_SQUARINGS):
        r = where(k < s, matmul(r, r), r)
    return where(bad, x * float("nan"), r)


def _solve_each(q, p):
    """``solve(q, p)`` one matrix at a time: Dask's solve factorizes single matrices only."""
    if q.ndim == 2 or 0 in q.shape[:-2] or q.shape[-1] == 0:
        return solve(q, p) if q.ndim == 2 else p
    n = q.shape[-1]
    qs, ps = reshape(q, (-1, n, n)), reshape(p, (-1, n, n))
    each = [solve(getitem(qs, index=(i,)), getitem(ps, index=(i,))) for i in range(qs.shape[0])]
    return reshape(stack(each), tuple(q.shape))
