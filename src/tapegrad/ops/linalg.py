"""Linear algebra: the Array API ``linalg`` extension, NumPy's ``norm`` and ``lstsq``, and
``einsum``.

Rules address axes from the end and use broadcasting ``matmul``, so cotangents and tangents may
carry leading batch axes in front of the matrices' own stack axes. Complex matrices follow the
library's convention (a VJP multiplies by the conjugate derivative): every transpose in the real
formulas becomes a conjugate transpose.

Functions with several outputs (``eigh``, ``svd``, ``qr``, ``slogdet``) are one primitive whose
output packs the parts into one array; the public function slices them out, so a loss that uses
one part sends zeros for the others.

Degenerate points. The rules of ``eigh`` hold terms ``1/(λj - λi)``, those of ``svd`` terms
``1/(sj² - si²)``. Where two eigenvalues (singular values) i ≠ j coincide to within
``n * eps * max|λ|``, the true value of such a term is a divided difference of whatever function
of them the loss applies, which the rule cannot see from its inputs. The term is then taken as 0
where the quantity it multiplies is exactly 0 and as NaN where it is not (JAX, PyTorch and
TensorFlow also give NaN or inf there): in reverse mode that quantity is the entries (i, j) and
(j, i) of the cotangent ``Vᴴ ḡ_V`` (for ``svd``, of ``Uᴴ ḡ_U`` and ``Vᴴ ḡ_V``), in forward mode
those of the tangent ``Vᴴ dX V`` (``Uᴴ dX V``). So the first derivatives of losses of the
eigenvalues (singular values) alone, symmetric in the repeated ones (``eigvalsh``, ``svdvals``,
``matrix_norm`` with ``"nuc"`` or 2), and of losses that read only the eigenvectors (singular
vectors) of values that are not repeated, stay exact and finite; a loss that reads the vectors
of a repeated value, even one that does not depend on the basis chosen in its eigenspace
(``V diag(f(λ)) Vᴴ``, the polar factor ``U Vh``), gets NaN, and so do second
derivatives in the directions that mix a repeated eigenspace (``hessian`` of
``sum(eigvalsh(x) ** 2)`` at the identity). The 0 is the derivative where the loss does not read
those vectors; where the quantity vanishes at the point by accident (``V diag(λ - 1) Vᴴ`` at the
identity) it is not.

``1/s`` terms of non-square ``svd`` are taken as 0 where ``s = 0``. ``det`` is differentiable to
every order at singular matrices (its gradient is the cofactor matrix, computed there from
minors; for large stacks, past 4M minor elements, from an SVD, exact to first order); ``inv``,
``solve``, ``slogdet`` and ``cholesky`` need nonsingular (positive-definite) matrices.
"""

from __future__ import annotations

import builtins
import math
import operator
import string
from collections import namedtuple
from contextlib import contextmanager

import numpy as np

from .._backend import NATIVE_TYPES, backend_name, device_of, is_lazy, xp_of
from .._dtypes import as_dtype, kind_of
from .._primitive import primitive, raw
from .._standard_gaps import linalg_call
from ._helpers import is_basis, lead, negative_axes, positive_axis, size_of
from .creation import constant, stop_gradient
from .elementwise import _conj, abs, as_floating, astype, conj, pow, real, subtract, where
from .indexing import getitem, take_slice
from .manipulation import (
    concat,
    expand_dims,
    matrix_transpose,
    permute_dims,
    reshape,
    squeeze,
    stack,
)
from .reduction import checked_dtype, max, min, prod, sum

__all__ = [
    "einsum",
    "matmul",
    "tensordot",
    "vecdot",
]

EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("QRResult", ["Q", "R"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
LstsqResult = namedtuple("LstsqResult", ["x", "residuals", "rank", "s"])


# -- helpers --------------------------------------------------------------------------------------
def _H(x):
    """The conjugate transpose of the last two axes."""
    return _conj(matrix_transpose(x))


def _real(v):
    return real(v) if kind_of(v.dtype) == "c" else v


def _times_i(v, dtype):
    """``1j * v`` as a complex ``dtype`` value; the constant is an array, so that both rules of
    the product see a complex factor."""
    if v.dtype != dtype:
        v = astype(v, dtype)
    return v * _xp(v).asarray(1j, dtype=raw(v).dtype, device=device_of(raw(v)))


def _imag(v):
    return real(_times_i(v, v.dtype) * -1)


def _xp(v):
    return xp_of(raw(v))


def _eye(n, like):
    v = raw(like)
    return xp_of(v).eye(n, dtype=v.dtype, device=device_of(v))


def _diag_embed(v):
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    return expand_dims(v, axis=-1) * _eye(v.shape[-1], v)


def _tril(x, k=0):
    xp = _xp(x)
    ones = xp.ones(tuple(x.shape[-2:]), dtype=xp.bool, device=device_of(raw(x)))
    return where(xp.tril(ones, k=k), x, 0)


def _lift(t, x, ndim):
    """The tangent ``t`` of ``x`` (with leading batch axes) reshaped so that x's axes line up
    with an operand of ``ndim`` dimensions: the batch axes stay in front of the stack axes that
    only the other operand has."""
    batch = lead(t, x)
    if batch and ndim > x.ndim:
        return reshape(t, batch + (1,) * (ndim - x.ndim) + tuple(x.shape))
    return t


def _inverse_gaps(w, quantities, squared=False):
    """``F[..., i, j] = 1 / (w_j - w_i)`` (``1 / (w_j² - w_i²)`` when squared), 0 on the diagonal.

    Where ``w_i`` and ``w_j`` (i ≠ j) coincide to within ``n * eps * max|w|`` the true term is a
    divided difference of whatever function of ``w`` the loss applies, which the rule cannot see:
    ``F[i, j]`` is then 0 where every one of ``quantities`` (the arrays the gaps multiply, of
    shape (..., n, n), possibly with leading batch axes) is exactly 0 at both (i, j) and (j, i),
    so that the term vanishes whatever its true factor, and NaN where one is not (the derivative
    is not determined there, as JAX, PyTorch and TensorFlow also answer NaN or inf)."""
    wv = raw(w)
    xp = xp_of(wv)
    n = wv.shape[-1]
    gap = wv[..., None, :] - wv[..., :, None]
    scale = 0.0
    if n and wv.size:
        scale = xp.max(xp.abs(wv), axis=-1, keepdims=True)[..., None]
    close = xp.abs(gap) <= n * xp.finfo(wv.dtype).eps * scale
    if squared:
        w = w * w
    diff = expand_dims(w, axis=-2) - expand_dims(w, axis=-1)
    gaps = where(close, 0, 1 / where(close, 1, diff))
    degenerate = close & ~xp.eye(n, dtype=xp.bool, device=device_of(wv))
    if not is_lazy(wv) and not bool(xp.any(degenerate)):
        return gaps
    touched = None
    for q in quantities:
        nonzero = raw(q) != 0
        nonzero = nonzero | _raw_transpose(nonzero)
        touched = nonzero if touched is None else touched | nonzero
    return where(degenerate & touched, float("nan"), gaps)


def _raw_transpose(v):
    xp = xp_of(v)
    return xp.matrix_transpose(v) if hasattr(xp, "matrix_transpose") else xp.swapaxes(v, -1, -2)


def _like(v, other):
    """``v`` cast to ``other``'s complex dtype where it is real: products of a real and a complex
    tensor in the rules are then products of two complex ones."""
    return astype(v, other.dtype) if kind_of(other.dtype) == "c" and kind_of(v.dtype) != "c" else v


def _safe_reciprocal(s):
    zero = raw(s) == 0
    return where(zero, 0, 1 / where(zero, 1, s))


def _square(name, x, fix):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name} needs square matrices, an array of shape (..., n, n); got shape "
            f"{tuple(x.shape)}: {fix}"
        )


def _matrices(name, x):
    if x.ndim < 2:
        raise ValueError(
            f"{name} needs matrices, an array of shape (..., m, n); got shape {tuple(x.shape)}: "
            "reshape a vector with x[None, :] or x[:, None]"
        )


@contextmanager
def _named_errors(name, fix):
    """LinAlgError (singular, not positive-definite) re-raised with the function and the fix."""
    try:
        yield
    except Exception as error:
        if type(error).__name__ != "LinAlgError":
            raise
        raise type(error)(f"{name}: {error}: {fix}") from None


def _pack_rows(top, rows):
    """One array of shape (..., 1 + k, n): the vector ``top`` above the matrix ``rows``."""
    if top.dtype != rows.dtype:
        top = astype(top, rows.dtype)
    return concat([expand_dims(top, axis=-2), rows], axis=-2)


def _row(p, i, cols=None):
    return getitem(p, index=(Ellipsis, i, slice(None) if cols is None else cols))


def _rows(p, start, stop, cols=None):
    return getitem(p, index=(Ellipsis, slice(start, stop), slice(None) if cols is None else cols))


def _nan_like(shape, like):
    v = raw(like)
    return xp_of(v).full(tuple(shape), float("nan"), dtype=v.dtype, device=device_of(v))


def _zeros(shape, like):
    v = raw(like)
    return xp_of(v).zeros(tuple(shape), dtype=v.dtype, device=device_of(v))


# -- matmul ---------------------------------------------------------------------------------------
def _matmul_vjp_x(g, ans, x, y):
    if type(g) in NATIVE_TYPES and type(y) is type(g) and g.ndim == x.ndim == y.ndim == 2:
        if y.dtype.kind == "f":  # raw real NumPy (or CuPy) matrices, the common backward
            return g @ y.T  # step: at the library's speed, which the general path costs ~10x
    y = _conj(y)
    if x.ndim == 2 and y.ndim == 2:  # the common case first
        return matmul(g, matrix_transpose(y))
    if x.ndim == 1 and y.ndim == 1:  # inner product: the cotangent scales the other vector
        return expand_dims(g, axis=-1) * y
    if y.ndim == 1:  # (..., n) x (n,): the cotangent of x is an outer product
        return expand_dims(g, axis=-1) * y
    if x.ndim == 1 and y.ndim == 2:  # one matrix product, not a stack of vector products
        return matmul(g, matrix_transpose(y))
    if x.ndim == 1:  # (n,) x (..., n, m)
        return squeeze(matmul(expand_dims(g, axis=-2), matrix_transpose(y)), axis=-2)
    return matmul(g, matrix_transpose(y))


def _matmul_vjp_y(g, ans, x, y):
    if type(g) in NATIVE_TYPES and type(x) is type(g) and g.ndim == x.ndim == y.ndim == 2:
        if x.dtype.kind == "f":  # raw real matrices, as in _matmul_vjp_x
            return x.T @ g
    x = _conj(x)
    if x.ndim == 2 and y.ndim == 2:  # the common case first
        return matmul(matrix_transpose(x), g)
    if x.ndim == 1 and y.ndim == 1:
        return expand_dims(g, axis=-1) * x
    if x.ndim == 1:  # (n,) x (..., n, m): outer product again
        return expand_dims(x, axis=-1) * expand_dims(g, axis=-2)
    if y.ndim == 1 and x.ndim == 2:  # one matrix product, not a stack of vector products
        return matmul(g, x)
    if y.ndim == 1:  # (..., k, n) x (n,): cotangent (..., k) against x gives (..., n)
        return squeeze(matmul(expand_dims(g, axis=-2), x), axis=-2)
    return matmul(matrix_transpose(x), g)


def _matmul_jvp(ts, ans, x, y):
    tx, ty = ts
    out = None
    if tx is not None:
        out = _product_of_batched(tx, x, y, left=True)
    if ty is not None:
        term = _product_of_batched(ty, x, y, left=False)
        out = term if out is None else out + term
    return out


def _product_of_batched(t, x, y, left):
    """``t @ y`` (left) or ``x @ t``, where the tangent ``t`` of ``x`` (or ``y``) may carry
    leading batch axes: 1-D operands are made matrices, and the batch axes are kept in front of
    the stack axes the other operand brings, as matmul's broadcasting would not."""
    operand, other = (x, y) if left else (y, x)
    batch = lead(t, operand)
    if operand.ndim == 1 and other.ndim == 1:
        return sum(t * other, axis=-1)
    if operand.ndim == 1 and other.ndim == 2:  # a batch of vectors: one matrix product
        if is_basis(raw(t)) and as_dtype(t.dtype) == as_dtype(other.dtype):
            # e_b @ y is row b of y; x @ e_b is column b of x
            return other if left else matrix_transpose(other)
        return matmul(t, other) if left else matmul(t, matrix_transpose(other))
    if operand.ndim == 1:  # a vector against a stack of matrices
        axis = -2 if left else -1
        t = expand_dims(t, axis=axis)
        stacked = tuple(t.shape[len(batch) :])
        t = reshape(t, batch + (1,) * (other.ndim - 2) + stacked)
        product = matmul(t, other) if left else matmul(other, t)
        return squeeze(product, axis=axis)
    if batch and other.ndim > operand.ndim:
        t = reshape(t, batch + (1,) * (other.ndim - operand.ndim) + tuple(operand.shape))
    return matmul(t, other) if left else matmul(other, t)


@primitive(vjp=(_matmul_vjp_x, _matmul_vjp_y), jvp=_matmul_jvp)
def matmul(x, y, /):
    """Matrix product with NumPy's rules for 1-D and stacked operands (``x @ y``).

    >>> import tapegrad as tg
    >>> print(tg.matmul(tg.constant([[1.0, 2.0]]), tg.constant([[3.0], [4.0]])))
    tg.Tensor([[11.]], shape=(1, 1), dtype=float32)
    """
    x_ndim, y_ndim = x.ndim, y.ndim
    if x_ndim == 2 and y_ndim == 2 and x.shape[1] == y.shape[0]:  # the common case first
        return xp_of(x).matmul(x, y)
    if x_ndim == 0 or y_ndim == 0:
        raise ValueError(
            f"matmul needs arrays of at least 1 dimension; got shapes {tuple(x.shape)} and "
            f"{tuple(y.shape)}: use multiply (*) for scalars"
        )
    if x.shape[-1] != y.shape[-2 if y.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: shapes {tuple(x.shape)} and {tuple(y.shape)} do not match: the last axis "
            "of the first operand must equal the second-to-last axis of the second (the only "
            "axis of a 1-D operand)"
        )
    xp = xp_of(x)
    if x.ndim > 2 and y.ndim == 2:
        # a stack times one matrix is one matrix product: NumPy would loop over the stack
        rows = xp.reshape(x, (math.prod(x.shape[:-1]), x.shape[-1]))  # -1: not when 0 columns
        return xp.reshape(xp.matmul(rows, y), tuple(x.shape[:-1]) + (y.shape[-1],))
    return xp.matmul(x, y)


# -- inverse, solve, determinants -----------------------------------------------------------------
@primitive(
    vjp=lambda g, ans, x: -matmul(_H(ans), matmul(g, _H(ans))),
    jvp=lambda ts, ans, x: -matmul(ans, matmul(ts[0], ans)),
)
def inv(x, /):
    """The inverse of each square matrix in ``x`` (shape (..., n, n)).

    >>> import tapegrad as tg
    >>> print(tg.linalg.inv(tg.constant([[2.0, 0.0], [0.0, 4.0]])))
    tg.Tensor(
    [[0.5  0.  ]
     [0.   0.25]], shape=(2, 2), dtype=float32)
    """
    _square("inv", x, "use tg.linalg.pinv for the pseudo-inverse of a non-square matrix")
    with _named_errors("inv", "the matrix has no inverse; use tg.linalg.pinv or solve instead"):
        return linalg_call("inv", x)


def _as_column(v, vector):
    return expand_dims(v, axis=-1) if vector else v


def _solve_vjp_b(g, ans, a, b):
    vector = b.ndim == 1
    out = solve(_H(a), _as_column(g, vector))
    return squeeze(out, axis=-1) if vector else out


def _solve_vjp_a(g, ans, a, b):
    vector = b.ndim == 1
    gb = solve(_H(a), _as_column(g, vector))
    return -matmul(gb, _H(_as_column(ans, vector)))


def _solve_jvp(ts, ans, a, b):
    ta, tb = ts
    vector = b.ndim == 1
    x = _as_column(ans, vector)
    rhs = None
    if tb is not None:
        rhs = _lift(_as_column(tb, vector), _as_column(b, vector), x.ndim)
    if ta is not None:
        term = -matmul(_lift(ta, a, x.ndim), x)
        rhs = term if rhs is None else rhs + term
    out = solve(a, rhs)
    return squeeze(out, axis=-1) if vector else out


@primitive(vjp=(_solve_vjp_a, _solve_vjp_b), jvp=_solve_jvp)
def solve(x1, x2, /):
    """The solution ``x`` of ``x1 @ x = x2`` for square ``x1`` (..., n, n); ``x2`` is a stack of
    matrices (..., n, k), or one vector (n,) when it is 1-D (the Array API's rule).

    >>> import tapegrad as tg
    >>> print(tg.linalg.solve(tg.constant([[2.0, 0.0], [0.0, 4.0]]), tg.constant([1.0, 1.0])))
    tg.Tensor([0.5  0.25], shape=(2,), dtype=float32)
    """
    _square("solve", x1, "x1 holds the coefficient matrices; use tg.linalg.lstsq otherwise")
    rows = x2.shape[0] if x2.ndim == 1 else (x2.shape[-2] if x2.ndim >= 2 else None)
    if rows != x1.shape[-1]:
        raise ValueError(
            f"solve: x1 of shape {tuple(x1.shape)} and x2 of shape {tuple(x2.shape)} do not "
            f"match: x2 must be a vector of length {x1.shape[-1]} or matrices of shape "
            f"(..., {x1.shape[-1]}, k)"
        )
    with _named_errors("solve", "the matrix is singular; use tg.linalg.lstsq instead"):
        return linalg_call("solve", x1, x2)


def _cofactor(x, ans):
    """``d det / d x``: ``det * inv(x)ᵀ``, or where some matrix is singular or nearly so, the
    cofactor matrix from minors (while they fit ``_MINORS_BUDGET``) or from an SVD,
    ``d * conj(U diag(c) Vh)`` (``c_i`` the product of the other singular values,
    ``d = det(U) det(Vh)``), which stay exact there: ``det * inv(x)ᵀ`` is a tiny number times a
    huge one, whose own derivative cancels catastrophically."""
    xp = _xp(ans)
    if _clearly_nonsingular(xp, raw(x), raw(ans)):
        return expand_dims(expand_dims(ans, axis=-1), axis=-1) * matrix_transpose(inv(x))
    n = x.shape[-1]
    if n >= 2 and size_of(x.shape) * (n - 1) ** 2 <= _MINORS_BUDGET:
        return _cofactor_from_minors(x)
    u, s, vh = svd(x, full_matrices=False)
    diagonal = xp.eye(s.shape[-1], dtype=xp.bool, device=device_of(raw(s)))
    others = where(diagonal, 1, expand_dims(s, axis=-2))
    c = prod(others, axis=-1)
    if u.dtype != c.dtype:
        c = astype(c, u.dtype)
    d = det(u) * det(vh)
    return expand_dims(expand_dims(d, axis=-1), axis=-1) * _conj(
        matmul(u * expand_dims(c, axis=-2), vh)
    )


# Minors are n² matrices of size n - 1 for each n x n one: beyond this many elements (one 45 x 45
# matrix, a thousand 8 x 8 ones) the SVD cofactor serves instead, exact to first order (its own
# derivatives are not where two singular values vanish or repeat, nor at complex matrices, whose
# vanishing singular vectors have no defined phase).
_MINORS_BUDGET = 1 << 22


def _cofactor_from_minors(x):
    """The cofactor matrix as signed minors, ``(-1)^(i+j) det(x without row i and column j)``:
    a polynomial in ``x``, so every order of derivative is exact at any rank, real or complex
    (each minor's own gradient picks its branch again)."""
    xp = _xp(x)
    n = x.shape[-1]
    keep = np.array([[k for k in range(n) if k != i] for i in range(n)])
    device = device_of(raw(x))
    rows = xp.asarray(keep[:, None, :, None], device=device)
    cols = xp.asarray(keep[None, :, None, :], device=device)
    minors = det(getitem(x, index=(Ellipsis, rows, cols)))
    signs = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return minors * xp.asarray(signs, dtype=raw(x).dtype, device=device)


def _clearly_nonsingular(xp, x, det) -> bool:
    """Whether every ``|det|`` is above sqrt(eps) times its Hadamard bound (the product of the
    rows' norms, which bounds it): a relative test, so that a singular matrix whose determinant
    rounds to 1e-17 instead of 0 takes the exact branch."""
    if kind_of(x.dtype) not in "fc":
        return bool(xp.all(det != 0))
    rows = xp.sqrt(xp.sum(xp.abs(x) ** 2, axis=-1))
    bound = xp.prod(rows, axis=-1)
    tol = float(np.finfo(as_dtype(x.dtype)).eps) ** 0.5
    return bool(xp.all(xp.abs(det) > tol * bound))


def _det_vjp(g, ans, x):
    return expand_dims(expand_dims(g, axis=-1), axis=-1) * _conj(_cofactor(x, ans))


@primitive(
    vjp=_det_vjp,
    jvp=lambda ts, ans, x: sum(_cofactor(x, ans) * ts[0], axis=(-2, -1)),
)
def det(x, /):
    """The determinant of each square matrix in ``x``. Its gradient is the cofactor matrix, exact
    also at singular matrices.

    >>> import tapegrad as tg
    >>> print(tg.linalg.det(tg.constant([[1.0, 2.0], [3.0, 4.0]])))
    tg.Tensor(-2.0..., shape=(), dtype=float32)
    """
    _square("det", x, "the determinant is defined for square matrices only")
    return linalg_call("det", x)


def _log_det_differential(ts, x):
    """``tr(x⁻¹ t)``: the differential of ``log det x``."""
    t = ts[0]
    return sum(getitem(solve(x, t), index=_diagonal_index(x.shape, 0)), axis=-1)


def _slogdet_vjp(g, ans, x):
    sign = getitem(ans, index=(Ellipsis, 0))
    g_sign, g_log = getitem(g, index=(Ellipsis, 0)), getitem(g, index=(Ellipsis, 1))
    weight = _real(g_log)
    if kind_of(x.dtype) == "c":  # the phase: d sign = i sign Im(tr(x⁻¹ dx))
        weight = astype(weight, x.dtype) - _times_i(_imag(conj(g_sign) * sign), x.dtype)
    return expand_dims(expand_dims(weight, axis=-1), axis=-1) * _H(inv(x))


def _slogdet_jvp(ts, ans, x):
    delta = _log_det_differential(ts, x)
    if kind_of(x.dtype) != "c":
        return stack([delta * 0, delta], axis=-1)
    sign = getitem(ans, index=(Ellipsis, 0))
    return stack(
        [sign * _times_i(_imag(delta), delta.dtype), astype(real(delta), delta.dtype)], axis=-1
    )


@primitive(vjp=_slogdet_vjp, jvp=_slogdet_jvp)
def _slogdet(x, /):
    xp = xp_of(x)
    sign, logabsdet = linalg_call("slogdet", x)
    return xp.stack([sign, xp.astype(logabsdet, sign.dtype)], axis=-1)


def slogdet(x, /):
    """The sign (a phase for complex matrices) and the log of the absolute value of the
    determinant: ``det = sign * exp(logabsdet)``, without overflow. For a real matrix the sign
    has derivative 0; at a singular matrix ``logabsdet`` is -inf and has no gradient.

    >>> import tapegrad as tg
    >>> sign, logabsdet = tg.linalg.slogdet(tg.constant([[2.0, 0.0], [0.0, -3.0]]))
    >>> print(sign, round(float(logabsdet), 4))
    tg.Tensor(-1.0, shape=(), dtype=float32) 1.7918
    """
    _square("slogdet", x, "the determinant is defined for square matrices only")
    packed = _slogdet(x)
    sign = getitem(packed, index=(Ellipsis, 0))
    return SlogdetResult(sign, _real(getitem(packed, index=(Ellipsis, 1))))


# -- pseudo-inverse, least squares, rank ----------------------------------------------------------
def _pinv_parts(ans, x):
    xp = _xp(x)
    m, n = x.shape[-2:]
    dtype = raw(ans).dtype
    device = device_of(raw(ans))
    left = subtract(xp.eye(m, dtype=dtype, device=device), matmul(x, ans))  # I - A A⁺ (m, m)
    right = subtract(xp.eye(n, dtype=dtype, device=device), matmul(ans, x))  # I - A⁺ A (n, n)
    return left, right


def _pinv_vjp(g, ans, x, *, rtol=None):
    left, right = _pinv_parts(ans, x)
    p_h, g_h = _H(ans), _H(g)
    return (
        -matmul(p_h, matmul(g, p_h))
        + matmul(left, matmul(g_h, matmul(ans, p_h)))
        + matmul(matmul(p_h, ans), matmul(g_h, right))
    )


def _pinv_jvp(ts, ans, x, *, rtol=None):
    t = ts[0]
    left, right = _pinv_parts(ans, x)
    p_h, t_h = _H(ans), _H(t)
    return (
        -matmul(ans, matmul(t, ans))
        + matmul(matmul(ans, p_h), matmul(t_h, left))
        + matmul(right, matmul(t_h, matmul(p_h, ans)))
    )


@primitive(vjp=_pinv_vjp, jvp=_pinv_jvp)
def pinv(x, /, *, rtol=None):
    """The Moore-Penrose pseudo-inverse of each matrix in ``x``; singular values at or below
    ``rtol * max(s)`` count as zero (default ``max(m, n) * eps``). Its derivative (Golub and
    Pereyra's formula) holds where the rank is locally constant.

    >>> import tapegrad as tg
    >>> print(tg.linalg.pinv(tg.constant([[2.0], [0.0]])))
    tg.Tensor([[0.5 0. ]], shape=(1, 2), dtype=float32)
    """
    _matrices("pinv", x)
    if kind_of(x.dtype) in "biu":  # as inv, det and solve: integers give float64
        xp = xp_of(x)
        x = xp.astype(x, xp.float64)
    return linalg_call("pinv", x, rtol=rtol)


@primitive()
def matrix_rank(x, /, *, rtol=None):
    """The number of singular values above ``rtol * max(s)`` (default ``max(m, n) * eps``); an
    integer, so it has no derivative.

    >>> import tapegrad as tg
    >>> int(tg.linalg.matrix_rank(tg.constant([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    _matrices("matrix_rank", x)
    if 0 in tuple(x.shape[-2:]):  # no singular values: rank 0, as NumPy (the tolerance's max
        xp = xp_of(x)  # over no values would raise)
        return xp.zeros(tuple(x.shape[:-2]), dtype=xp.int64, device=device_of(x))
    return linalg_call("matrix_rank", x, rtol=rtol)


def lstsq(a, b, /, rcond=None):
    """NumPy's ``linalg.lstsq``: the least-squares solution ``x`` of ``a @ x ≈ b`` (the one of
    minimal norm where ``a`` is rank-deficient), the sums of squared residuals (empty unless
    ``a`` has full column rank and more rows than columns), the rank of ``a`` and its singular
    values. Singular values at or below ``rcond * max(s)`` count as zero (default
    ``max(m, n) * eps``; ``rcond <= 0`` means ``eps``, as in NumPy). ``x``, the residuals
    and ``s`` are differentiable where the rank is locally constant.

    >>> import tapegrad as tg
    >>> a = tg.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=tg.float64)
    >>> x, residuals, rank, s = tg.linalg.lstsq(a, tg.constant([1.0, 2.0, 4.0], dtype=tg.float64))
    >>> print(x.numpy().round(4), residuals.numpy().round(4), rank)
    [1.3333 2.3333] [0.3333] 2
    """
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            f"lstsq needs a matrix a of shape (m, n) and b of shape (m,) or (m, k); got shapes "
            f"{tuple(a.shape)} and {tuple(b.shape)}"
        )
    m, n = a.shape
    if is_lazy(raw(a)):  # the rank, and with it the residuals' shape, needs the values
        raise NotImplementedError(
            "tg.linalg.lstsq is not available for dask arrays: its rank (and so the shape of "
            "its residuals) depends on the values, which would have to be computed here; "
            "compute it on NumPy arrays (t.numpy()) if it fits in memory"
        )
    s = svdvals(a)
    sv = raw(s)
    xp = xp_of(sv)
    if rcond is None:
        rcond = xp.finfo(sv.dtype).eps * builtins.max(m, n)
    elif rcond <= 0:  # machine precision, as NumPy's LAPACK solver (gelsd) takes it
        rcond = xp.finfo(sv.dtype).eps
    rank = int(xp.sum(xp.astype(sv > rcond * xp.max(sv), xp.int64))) if sv.size else 0
    x = matmul(pinv(a, rtol=rcond), b)
    if rank == n and m > n:
        r = b - matmul(a, x)
        residuals = sum(_real(r * _conj(r)), axis=0)
        if b.ndim == 1:
            residuals = reshape(residuals, (1,))
    else:
        residuals = constant(xp.zeros((0,), dtype=sv.dtype, device=device_of(sv)))
    return LstsqResult(x, residuals, rank, s)


# -- Cholesky -------------------------------------------------------------------------------------
def _hermitian_part(x):
    return (x + _H(x)) * 0.5


def _phi(x):
    """The lower triangle with the diagonal halved."""
    return _tril(x, -1) + _diag_embed(diagonal(x) * 0.5)


def _cholesky_vjp(g, ans, x, *, upper=False):
    lower, g_lower = (_H(ans), _H(g)) if upper else (ans, g)
    inverse = inv(lower)
    middle = _hermitian_part(_phi(matmul(_H(lower), g_lower)))
    return matmul(_H(inverse), matmul(middle, inverse))


def _cholesky_jvp(ts, ans, x, *, upper=False):
    lower = _H(ans) if upper else ans
    inverse = inv(lower)
    t = _hermitian_part(ts[0])
    d_lower = matmul(lower, _phi(matmul(inverse, matmul(t, _H(inverse)))))
    return _H(d_lower) if upper else d_lower


@primitive(vjp=_cholesky_vjp, jvp=_cholesky_jvp)
def cholesky(x, /, *, upper=False):
    """The Cholesky factor ``L`` (lower; ``U = Lᴴ`` with ``upper=True``) of each Hermitian
    positive-definite matrix in ``x``, ``x = L Lᴴ``.

    ``x`` is read as its Hermitian part ``(x + xᴴ) / 2`` (as JAX does), so the function, and its
    gradient, which is Hermitian, are defined for every input; for a Hermitian input this is
    NumPy's value.

    >>> import tapegrad as tg
    >>> print(tg.linalg.cholesky(tg.constant([[4.0, 2.0], [2.0, 5.0]])))
    tg.Tensor(
    [[2. 0.]
     [1. 2.]], shape=(2, 2), dtype=float32)
    """
    _square("cholesky", x, "the Cholesky factorization is defined for square matrices only")
    with _named_errors("cholesky", "the matrix must be Hermitian positive-definite"):
        return linalg_call("cholesky", _hermitian_value(x), upper=upper)


def _hermitian_value(x):
    xp = xp_of(x)
    t = xp.matrix_transpose(x) if hasattr(xp, "matrix_transpose") else xp.swapaxes(x, -1, -2)
    if kind_of(x.dtype) == "c":
        t = xp.conj(t)
    return (x + t) / 2


# -- eigh -----------------------------------------------------------------------------------------
def _eigh_parts(p):
    return _real(_row(p, 0)), _rows(p, 1, None)


def _eigh_vjp(g, ans, x):
    w, v = _eigh_parts(ans)
    g_w, g_v = _eigh_parts(g)
    vh_gv = matmul(_H(v), g_v)
    gaps = _like(_inverse_gaps(w, [vh_gv]), v)
    inner = (vh_gv - _H(vh_gv)) * 0.5 * gaps + _diag_embed(g_w)
    return matmul(v, matmul(inner, _H(v)))


def _eigh_jvp(ts, ans, x):
    w, v = _eigh_parts(ans)
    y = matmul(_H(v), matmul(_hermitian_part(ts[0]), v))
    dw = _real(diagonal(y))
    dv = matmul(v, y * _like(_inverse_gaps(w, [y]), v))
    return _pack_rows(dw, dv)


@primitive(vjp=_eigh_vjp, jvp=_eigh_jvp)
def _eigh(x, /):
    xp = xp_of(x)
    w, v = linalg_call("eigh", _hermitian_value(x))
    return xp.concat([xp.astype(w, v.dtype)[..., None, :], v], axis=-2)


def eigh(x, /):
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of each Hermitian matrix in
    ``x``; ``x`` is read as ``(x + xᴴ) / 2``.

    Eigenvectors are unique only up to sign (phase): differentiate losses that do not depend on
    that choice. Where two eigenvalues coincide (see the module notes), a derivative that reads
    their eigenvectors is NaN, even for ``V diag(f(λ)) Vᴴ``; one that reads only the eigenvalues,
    or the eigenvectors of values that are not repeated, stays exact.

    >>> import tapegrad as tg
    >>> w, v = tg.linalg.eigh(tg.constant([[2.0, 0.0], [0.0, 1.0]]))
    >>> print(w)
    tg.Tensor([1. 2.], shape=(2,), dtype=float32)
    """
    _square("eigh", x, "eigenvalues are defined for square matrices only")
    w, v = _eigh_parts(_eigh(x))
    return EighResult(w, v)


def _eigvalsh_vjp(g, ans, x):
    v = eigh(x).eigenvectors
    return matmul(v * expand_dims(g, axis=-2), _H(v))


def _eigvalsh_jvp(ts, ans, x):
    v = eigh(x).eigenvectors
    return _real(diagonal(matmul(_H(v), matmul(_hermitian_part(ts[0]), v))))


@primitive(vjp=_eigvalsh_vjp, jvp=_eigvalsh_jvp)
def eigvalsh(x, /):
    """The eigenvalues (ascending) of each Hermitian matrix in ``x``, read as ``(x + xᴴ) / 2``.
    The rules compute the eigenvectors; the first derivative is exact also at repeated
    eigenvalues of losses symmetric in them; second derivatives there are NaN in the directions
    that mix the repeated eigenspace (see the module notes).

    >>> import tapegrad as tg
    >>> print(tg.linalg.eigvalsh(tg.constant([[2.0, 1.0], [1.0, 2.0]])))
    tg.Tensor([1. 3.], shape=(2,), dtype=float32)
    """
    _square("eigvalsh", x, "eigenvalues are defined for square matrices only")
    return linalg_call("eigvalsh", _hermitian_value(x))


# -- SVD ------------------------------------------------------------------------------------------
def _svd_layout(x, full_matrices):
    m, n = x.shape[-2:]
    k = m if m < n else n
    cu, rv = (m, n) if full_matrices else (k, k)
    return m, n, k, cu, rv


def _svd_unpack(p, x, full_matrices):
    """U (m, cu), S (k), Vh (rv, n) from the packed rows [U; S; Vhᵀ]."""
    m, n, k, cu, rv = _svd_layout(x, full_matrices)
    u = _rows(p, 0, m, slice(0, cu))
    s = _real(_row(p, m, slice(0, k)))
    vh = matrix_transpose(_rows(p, m + 1, None, slice(0, rv)))
    return u, s, vh


def _svd_reduced(p, x, full_matrices):
    """U (m, k), S (k), V (n, k) with V = Vhᴴ, from packed rows."""
    m, n, k, cu, rv = _svd_layout(x, full_matrices)
    u = _rows(p, 0, m, slice(0, k))
    s = _real(_row(p, m, slice(0, k)))
    v = _conj(_rows(p, m + 1, None, slice(0, k)))
    return u, s, v


def _svd_vjp(g, ans, x, *, full_matrices=True):
    m, n, k, cu, rv = _svd_layout(x, full_matrices)
    if cu > k or rv > k:
        extra = [_rows(g, 0, m, slice(k, cu)), _rows(g, m + 1, None, slice(k, rv))]
        if any(bool(_xp(e).any(raw(e) != 0)) for e in extra):
            raise ValueError(
                "svd(full_matrices=True) of a non-square matrix has no derivative with respect "
                "to the last |m - n| singular vectors, which are not unique: use "
                "tg.linalg.svd(x, full_matrices=False)"
            )
    u, s, v = _svd_reduced(ans, x, full_matrices)
    g_u, g_s, g_v = _svd_reduced(g, x, full_matrices)
    uh_gu, vh_gv = matmul(_H(u), g_u), matmul(_H(v), g_v)
    gaps = _like(_inverse_gaps(s, [uh_gu, vh_gv], squared=True), u)
    uh_gu, vh_gv = uh_gu - _H(uh_gu), vh_gv - _H(vh_gv)
    s_inv = _like(_safe_reciprocal(s), u)
    s = _like(s, u)
    inner = (uh_gu * expand_dims(s, axis=-2) + expand_dims(s, axis=-1) * vh_gv) * gaps
    inner = inner + _diag_embed(g_s)
    if kind_of(x.dtype) == "c":  # the phase shared by a pair of singular vectors
        inner = inner + _diag_embed(diagonal(uh_gu) * s_inv * 0.5)
    out = matmul(u, matmul(inner, _H(v)))
    if m > k:
        scaled = g_u * expand_dims(s_inv, axis=-2)
        out = out + matmul(scaled - matmul(u, matmul(_H(u), scaled)), _H(v))
    elif n > k:
        scaled = g_v * expand_dims(s_inv, axis=-2)
        out = out + matmul(u, _H(scaled - matmul(v, matmul(_H(v), scaled))))
    return out


def _svd_jvp(ts, ans, x, *, full_matrices=True):
    t = ts[0]
    m, n, k, cu, rv = _svd_layout(x, full_matrices)
    u, s, v = _svd_reduced(ans, x, full_matrices)
    ds_mat = matmul(_H(u), matmul(t, v))
    ds = _real(diagonal(ds_mat))
    gaps = _like(_inverse_gaps(s, [ds_mat], squared=True), u)
    s_inv = _like(_safe_reciprocal(s), u)
    s = _like(s, u)
    ds_s = ds_mat * expand_dims(s, axis=-2)
    s_ds = expand_dims(s, axis=-1) * ds_mat
    du = gaps * (ds_s + _H(ds_s))
    if kind_of(x.dtype) == "c":
        du = du + _diag_embed((diagonal(ds_mat) - _conj(diagonal(ds_mat))) * 0.5 * s_inv)
    du = matmul(u, du)
    dv = matmul(v, gaps * (s_ds + _H(s_ds)))
    if m > k:
        tv = matmul(t, v)
        du = du + (tv - matmul(u, matmul(_H(u), tv))) * expand_dims(s_inv, axis=-2)
    elif n > k:
        thu = matmul(_H(t), u)
        dv = dv + (thu - matmul(v, matmul(_H(v), thu))) * expand_dims(s_inv, axis=-2)
    batch = tuple(du.shape[: du.ndim - 2])
    if cu > k:  # the extra singular vectors are not unique: their tangent is undefined
        du = concat([du, _nan_like(batch + (m, cu - k), du)], axis=-1)
    dvh_t = _conj(dv)
    if rv > k:
        dvh_t = concat([dvh_t, _nan_like(batch + (n, rv - k), dvh_t)], axis=-1)
    return _svd_pack(du, ds, dvh_t, k)


def _svd_pack(u, s, vh_t, k):
    """Rows [U; S; Vhᵀ], each padded with zeros to the widest."""
    width = builtins.max(u.shape[-1], vh_t.shape[-1], k)
    if s.dtype != u.dtype:
        s = astype(s, u.dtype)
    parts = []
    for part in (u, expand_dims(s, axis=-2), vh_t):
        if part.shape[-1] < width:
            pad = _zeros(tuple(part.shape[:-1]) + (width - part.shape[-1],), part)
            part = concat([part, pad], axis=-1)
        parts.append(part)
    return concat(parts, axis=-2)


@primitive(vjp=_svd_vjp, jvp=_svd_jvp)
def _svd(x, /, *, full_matrices=True):
    xp = xp_of(x)
    u, s, vh = linalg_call("svd", x, full_matrices=full_matrices)
    width = builtins.max(u.shape[-1], vh.shape[-2], s.shape[-1])

    def padded(part):
        if part.shape[-1] == width:
            return part
        shape = tuple(part.shape[:-1]) + (width - part.shape[-1],)
        pad = xp.zeros(shape, dtype=part.dtype, device=device_of(part))
        return xp.concat([part, pad], axis=-1)

    vh_t = xp.matrix_transpose(vh) if hasattr(xp, "matrix_transpose") else xp.swapaxes(vh, -1, -2)
    rows = [padded(u), padded(xp.astype(s, u.dtype)[..., None, :]), padded(vh_t)]
    return xp.concat(rows, axis=-2)


def svd(x, /, *, full_matrices=True):
    """The singular value decomposition ``x = U diag(S) Vh`` of each matrix in ``x``, with ``S``
    descending. As in the Array API, ``full_matrices=True`` by default.

    Singular vectors are unique only up to a sign (a phase shared by a pair): differentiate
    losses that do not depend on it. With ``full_matrices=True`` and a non-square matrix, the
    last ``|m - n|`` singular vectors are not unique either: a gradient reaching them raises,
    and their forward-mode tangents are NaN. Where two singular values coincide (see the module
    notes), a derivative that reads their singular vectors is NaN, even for ``U Vh`` or
    ``U diag(f(S)) Vh``; one that reads only ``S``, or the vectors of values that are not
    repeated, stays exact.

    >>> import tapegrad as tg
    >>> u, s, vh = tg.linalg.svd(tg.constant([[3.0, 0.0], [0.0, -4.0]]))
    >>> print(s)
    tg.Tensor([4. 3.], shape=(2,), dtype=float32)
    """
    _matrices("svd", x)
    return SVDResult(*_svd_unpack(_svd(x, full_matrices=full_matrices), x, full_matrices))


def _svdvals_vjp(g, ans, x):
    u, s, vh = svd(x, full_matrices=False)
    return matmul(u * expand_dims(g, axis=-2), vh)


def _svdvals_jvp(ts, ans, x):
    u, s, vh = svd(x, full_matrices=False)
    return _real(diagonal(matmul(_H(u), matmul(ts[0], _H(vh)))))


@primitive(vjp=_svdvals_vjp, jvp=_svdvals_jvp)
def svdvals(x, /):
    """The singular values of each matrix in ``x``, descending. The rules compute the singular
    vectors; the first derivative is exact also at repeated singular values of symmetric losses;
    second derivatives there are NaN in the directions that mix them (see the module notes).

    >>> import tapegrad as tg
    >>> print(tg.linalg.svdvals(tg.constant([[3.0, 0.0], [0.0, -4.0]])))
    tg.Tensor([4. 3.], shape=(2,), dtype=float32)
    """
    _matrices("svdvals", x)
    return linalg_call("svdvals", x)


# -- QR -------------------------------------------------------------------------------------------
def _copyltu(m):
    """The Hermitian matrix with the strict lower triangle of ``m`` and its real diagonal."""
    low = _tril(m, -1)
    return low + _H(low) + _diag_embed(_real(diagonal(m)))


def _qr_tall_vjp(g_q, g_r, q, r):
    """A = QR with Q (m, n), R (n, n), m >= n: ``[gQ + Q copyltu(R gRᴴ - gQᴴ Q)] R⁻ᴴ``."""
    inner = matmul(r, _H(g_r)) - matmul(_H(g_q), q)
    return matmul(g_q + matmul(q, _copyltu(inner)), _H(inv(r)))


def _qr_tall_jvp(t, q, r):
    r_inv = inv(r)
    c = matmul(_H(q), matmul(t, r_inv))
    low = _tril(c, -1)
    omega = low - _H(low)
    if kind_of(c.dtype) == "c":
        d = diagonal(c)
        omega = omega + _diag_embed((d - conj(d)) * 0.5)
    upper = c - omega
    return matmul(t, r_inv) - matmul(q, upper), matmul(upper, r)


def _qr_parts(p, x):
    m = x.shape[-2]
    return _rows(p, 0, m), matrix_transpose(_rows(p, m, None))


def _qr_vjp(g, ans, x, *, mode="reduced"):
    m, n = x.shape[-2:]
    q, r = _qr_parts(ans, x)
    g_q, g_r = _qr_parts(g, x)
    if m >= n:
        if q.shape[-1] > n:  # complete: only the first n columns of Q are determined
            extra = _cols(g_q, n, None)
            if bool(_xp(extra).any(raw(extra) != 0)):
                raise ValueError(
                    "qr(mode='complete') of a tall matrix has no derivative with respect to the "
                    "last m - n columns of Q, which are not unique: use mode='reduced'"
                )
            q, g_q = _cols(q, 0, n), _cols(g_q, 0, n)
            r, g_r = _rows(r, 0, n), _rows(g_r, 0, n)
        return _qr_tall_vjp(g_q, g_r, q, r)
    # wide: A = [X | Y] with X = Q U square, Y = Q V
    u, g_u = _cols(r, 0, m), _cols(g_r, 0, m)
    g_v = _cols(g_r, m, None)
    y = _cols(x, m, None)
    g_x = _qr_tall_vjp(g_q + matmul(y, _H(g_v)), g_u, q, u)
    return concat([g_x, matmul(q, g_v)], axis=-1)


def _cols(x, start, stop):
    return getitem(x, index=(Ellipsis, slice(start, stop)))


def _qr_jvp(ts, ans, x, *, mode="reduced"):
    t = ts[0]
    m, n = x.shape[-2:]
    q, r = _qr_parts(ans, x)
    if m >= n:
        if q.shape[-1] > n:
            dq, dr = _qr_tall_jvp(t, _cols(q, 0, n), _rows(r, 0, n))
            batch = tuple(dq.shape[: dq.ndim - 2])
            dq = concat([dq, _nan_like(batch + (m, m - n), dq)], axis=-1)
            dr = concat([dr, _zeros(batch + (m - n, n), dr)], axis=-2)
        else:
            dq, dr = _qr_tall_jvp(t, q, r)
    else:
        u, v = _cols(r, 0, m), _cols(r, m, None)
        dq, du = _qr_tall_jvp(_cols(t, 0, m), q, u)
        dv = matmul(_H(q), _cols(t, m, None) - matmul(dq, v))
        dr = concat([du, dv], axis=-1)
    return concat([dq, matrix_transpose(dr)], axis=-2)


@primitive(vjp=_qr_vjp, jvp=_qr_jvp)
def _qr(x, /, *, mode="reduced"):
    xp = xp_of(x)
    q, r = linalg_call("qr", x, mode=mode)
    r_t = xp.matrix_transpose(r) if hasattr(xp, "matrix_transpose") else xp.swapaxes(r, -1, -2)
    return xp.concat([q, r_t], axis=-2)


def qr(x, /, *, mode="reduced"):
    """The QR decomposition ``x = Q R`` of each matrix in ``x``: ``Q`` with orthonormal columns,
    ``R`` upper triangular. ``mode`` is ``"reduced"`` (Q of shape (m, k), k = min(m, n)) or
    ``"complete"`` (Q square). The gradient needs ``R``'s leading k columns to be nonsingular; a
    gradient reaching the last m - n columns of a complete ``Q``, which are not unique, raises.

    >>> import tapegrad as tg
    >>> q, r = tg.linalg.qr(tg.constant([[3.0, 1.0], [4.0, 2.0]]))
    >>> print(abs(r).numpy().round(4))
    [[5.  2.2]
     [0.  0.4]]
    """
    _matrices("qr", x)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', not {mode!r}")
    return QRResult(*_qr_parts(_qr(x, mode=mode), x))


# -- norms ----------------------------------------------------------------------------------------
def _kept_shape(x, axes):
    shape = tuple(x.shape)
    return tuple(1 if i - len(shape) in axes else n for i, n in enumerate(shape))


def _norm_vjp(g, ans, x, *, axis, keepdims=False):
    kept = _kept_shape(x, axis)
    n = reshape(ans, kept)
    safe = where(raw(n) == 0, 1, n)
    return _like(reshape(g, lead(g, ans) + kept), x) * (x / _like(safe, x))


def _norm_jvp(ts, ans, x, *, axis, keepdims=False):
    safe = where(raw(ans) == 0, 1, ans)
    dot = _real(_conj(x) * ts[0])
    return (sum(dot, axis=axis, keepdims=keepdims) if axis else dot) / safe


@primitive(vjp=_norm_vjp, jvp=_norm_jvp)
def _euclidean_norm(x, /, *, axis, keepdims=False):
    xp = xp_of(x)
    a = xp.abs(x)
    if not axis:
        return a
    if a.size == 0:
        return xp.sqrt(xp.sum(a * a, axis=axis, keepdims=keepdims))
    # scaled by the largest entry, so that squares neither overflow nor underflow
    m = xp.max(a, axis=axis, keepdims=True)
    ok = xp.isfinite(m) & (m > 0)
    scale = xp.where(ok, m, xp.ones_like(m))
    out = xp.where(ok, xp.sqrt(xp.sum((a / scale) ** 2, axis=axis, keepdims=True)) * scale, m)
    if keepdims:
        return out
    return xp.reshape(out, tuple(s for i, s in enumerate(a.shape) if i - a.ndim not in axis))


def _p_norm_weight(x, n, p):
    """``d n / d x`` of the p-norm ``n`` (kept axes), in the library's complex convention:
    ``(x / |x|) * (|x| / n)^(p - 1)``, a power of a ratio that is at most 1 for p >= 1 or p < 0,
    so that it does not overflow where the chain rule through the scaled sum would
    (``|x|^(p-1) * n^(1-p)`` can overflow in its factors while the product is representable).
    0 where ``x`` is 0 (the subgradient of ``|x|`` there) and where ``n`` is 0 or not finite
    (an infinite entry, or a zero one for p < 0: the norm is then that entry, flat in the
    others)."""
    a = abs(x)
    nv = raw(n)
    usable = _xp(n).isfinite(nv) & (nv > 0)
    live = (raw(a) != 0) & usable
    safe_a = where(live, a, 1)
    ratio = safe_a / where(usable, n, 1)
    w = _like(pow(ratio, p - 1.0), x) * (x / _like(safe_a, x))
    return where(live, w, 0)


def _p_norm_vjp(g, ans, x, *, axis, p):
    return _like(g, x) * _p_norm_weight(x, ans, p)


def _p_norm_jvp(ts, ans, x, *, axis, p):
    dot = _real(_conj(_p_norm_weight(x, ans, p)) * ts[0])
    return sum(dot, axis=axis, keepdims=True)


@primitive(vjp=_p_norm_vjp, jvp=_p_norm_jvp)
def _p_norm_kept(x, /, *, axis, p):
    """``sum(|x|^p)^(1/p)`` over ``axis``, the axes kept, computed with the entries scaled by
    the one that dominates the sum (the largest for p > 0, the smallest for p < 0), so that no
    term overflows and an infinite entry adds 0."""
    xp = xp_of(x)
    a = xp.abs(x)
    if a.size == 0:
        return xp.sum(a**p, axis=axis, keepdims=True) ** (1.0 / p)
    m = (xp.max if p > 0 else xp.min)(a, axis=axis, keepdims=True)
    ok = xp.isfinite(m) & (m > 0)
    one = xp.ones_like(m)
    scale = xp.where(ok, m, one)
    # where the scale is unusable (0, inf, NaN) the result is m itself: the terms there are
    # replaced by 1 first, so no 0 ** p = inf is computed in a branch that is thrown away
    total = xp.sum(xp.where(ok, a / scale, xp.ones_like(a)) ** p, axis=axis, keepdims=True)
    positive = total > 0
    root = xp.where(positive, xp.where(positive, total, one) ** (1.0 / p), xp.zeros_like(m))
    return xp.where(ok, root * scale, m)


def _p_norm(x, axis, keepdims, p):
    out = _p_norm_kept(x, axis=axis, p=p)
    return out if keepdims else squeeze(out, axis=axis)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002 - the Array API name
    """The vector ``ord``-norm of ``x`` over ``axis`` (all axes by default): ``ord`` is any real
    p ≠ 0 (``sum(|x|^p)^(1/p)``), ``inf``, ``-inf`` or 0 (the count of nonzeros).

    Computed with the entries scaled by the one that dominates the sum (the largest for
    positive orders, the smallest for negative ones), so that it neither overflows nor
    underflows. The 2-norm's gradient at zero is 0 (the subgradient of least norm), not NaN.

    >>> import tapegrad as tg
    >>> print(tg.linalg.vector_norm(tg.constant([3.0, -4.0])))
    tg.Tensor(5.0, shape=(), dtype=float32)
    """
    axes = negative_axes(axis, x.ndim)
    x = as_floating(x)  # |int8(-128)| and integer sums would wrap
    if ord == 2:
        return _euclidean_norm(x, axis=axes, keepdims=keepdims)
    inf = float("inf")
    if ord == inf:
        if not size_of(x.shape[a] for a in axes):  # no element: 0, as NumPy and the standard
            return sum(abs(x), axis=axes, keepdims=keepdims)
        return max(abs(x), axis=axes, keepdims=keepdims)
    if ord == -inf:
        return min(abs(x), axis=axes, keepdims=keepdims)
    if ord == 1:
        return sum(abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        count = sum(astype(x != 0, _real_dtype(x)), axis=axes, keepdims=keepdims)
        return stop_gradient(count)
    if isinstance(ord, str):
        raise ValueError(
            f"vector_norm: ord={ord!r} is a matrix norm: use tg.linalg.matrix_norm (or norm with "
            "a pair of axes)"
        )
    return _p_norm(x, axes, keepdims, float(ord))


def _real_dtype(x):
    dtype = as_dtype(raw(x).dtype)
    if dtype.kind in "iub":
        return np.dtype("float32")
    return np.finfo(dtype).dtype


def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002 - the Array API name
    """The matrix ``ord``-norm of each matrix in ``x``: ``"fro"``, ``"nuc"`` (sum of singular
    values), 2 and -2 (largest and smallest singular value), 1 and -1 (largest and smallest
    column sum of ``|x|``), ``inf`` and ``-inf`` (row sums).

    >>> import tapegrad as tg
    >>> print(tg.linalg.matrix_norm(tg.constant([[3.0, 0.0], [0.0, -4.0]]), ord=2))
    tg.Tensor(4.0, shape=(), dtype=float32)
    """
    _matrices("matrix_norm", x)
    x = as_floating(x)  # |int8(-128)| and integer sums would wrap
    inf = float("inf")
    if ord == "fro":
        return _euclidean_norm(x, axis=(-2, -1), keepdims=keepdims)
    if ord == "nuc":
        out = sum(svdvals(x), axis=-1)
    elif ord in (2, -2, 1, -1, inf, -inf):
        if ord in (2, -2):
            values = svdvals(x)
        else:
            values = sum(abs(x), axis=-2 if ord in (1, -1) else -1)
        if values.shape[-1]:
            out = (max if ord > 0 else min)(values, axis=-1)
        elif ord > 0:  # the largest of no values: 0, as NumPy (a sum over nothing)
            out = sum(values, axis=-1)
        else:
            what = "singular values" if ord == -2 else ("column" if ord == -1 else "row") + " sums"
            raise ValueError(
                f"matrix_norm: ord={ord!r} is the smallest of the {what}, and matrices of shape "
                f"{tuple(x.shape[-2:])} have none (NumPy raises too): use a positive ord, "
                "which gives 0"
            )
    else:
        raise ValueError(
            f"matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, not {ord!r}"
        )
    return expand_dims(expand_dims(out, axis=-1), axis=-1) if keepdims else out


def norm(x, /, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    """NumPy's ``linalg.norm``: a vector norm over one axis (or over everything when ``axis`` and
    ``ord`` are None), a matrix norm over a pair of axes (or of a 2-D ``x`` with ``ord`` given).
    Its gradient at zero is 0, not NaN.

    >>> import tapegrad as tg
    >>> print(tg.linalg.norm(tg.constant([[1.0, 2.0], [2.0, 4.0]])))
    tg.Tensor(5.0, shape=(), dtype=float32)
    """
    if axis is None:
        if ord is None:
            out = vector_norm(x, axis=None)
            return reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError(
                f"norm: with ord={ord!r} and no axis, x must be 1-D or 2-D; got shape "
                f"{tuple(x.shape)}: give axis"
            )
        axis = tuple(range(x.ndim))
    if isinstance(axis, tuple | list):
        axes = tuple(axis)
    else:
        fix = "give an integer axis, or a pair of them for a matrix norm"
        axes = (_integer("norm", "axis", axis, fix),)
    if len(axes) == 1:
        return vector_norm(x, axis=axes, keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) != 2:
        raise ValueError(f"norm: axis must be an int or a pair of ints, not {axis!r}")
    a, b = negative_axes(axes[0], x.ndim)[0], negative_axes(axes[1], x.ndim)[0]
    if a == b:
        raise ValueError(f"norm: the two axes {axis!r} are the same")
    rest = tuple(i for i in range(-x.ndim, 0) if i not in (a, b))
    moved = permute_dims(x, tuple(i + x.ndim for i in rest + (a, b)))
    out = matrix_norm(moved, ord="fro" if ord is None else ord)
    if keepdims:
        for i in sorted((a + x.ndim, b + x.ndim)):
            out = expand_dims(out, axis=i)
    return out


# -- small composites -----------------------------------------------------------------------------
def _diagonal_index(shape, offset):
    n, m = shape[-2:]
    r0, c0 = (0, offset) if offset >= 0 else (-offset, 0)
    length = builtins.max(0, builtins.min(n - r0, m - c0))
    rows = np.arange(r0, r0 + length)
    return (Ellipsis, rows, rows - r0 + c0)


def diagonal(x, /, *, offset=0):
    """The ``offset``-th diagonal (above the main one for offset > 0) of each matrix in ``x``.

    >>> import tapegrad as tg
    >>> print(tg.linalg.diagonal(tg.constant([[1.0, 2.0], [3.0, 4.0]])))
    tg.Tensor([1. 4.], shape=(2,), dtype=float32)
    """
    _matrices("diagonal", x)
    if isinstance(offset, bool) or not isinstance(offset, int | np.integer):
        raise TypeError(f"diagonal: offset must be an integer, not {offset!r}")
    index = _diagonal_index(x.shape, offset)
    xp = _xp(x)
    # the positions are the host's: Dask takes them as they are (a Dask index would have to be
    # computed back to the host to gather), other libraries on the value's device
    if not _is_numpy(xp) and not is_lazy(raw(x)):
        device = device_of(raw(x))
        index = (
            Ellipsis,
            xp.asarray(index[1], device=device),
            xp.asarray(index[2], device=device),
        )
    return getitem(x, index=index)


def _is_numpy(xp):
    from .._backend import is_numpy_namespace

    return is_numpy_namespace(xp)


def trace(x, /, *, offset=0, dtype=None):
    """The sum of the ``offset``-th diagonal of each matrix in ``x``.

    >>> import tapegrad as tg
    >>> print(tg.linalg.trace(tg.constant([[1.0, 2.0], [3.0, 4.0]])))
    tg.Tensor(5.0, shape=(), dtype=float32)
    """
    out = sum(diagonal(x, offset=offset), axis=-1)
    if dtype is None:
        return out
    return astype(out, checked_dtype("trace", raw(x), dtype))


def outer(x1, x2, /):
    """The outer product of two vectors: ``out[i, j] = x1[i] * x2[j]``.

    >>> import tapegrad as tg
    >>> tg.linalg.outer(tg.constant([1.0, 2.0]), tg.constant([1.0, 2.0, 3.0])).shape
    (2, 3)
    """
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(
            f"outer needs two 1-D arrays; got shapes {tuple(x1.shape)} and {tuple(x2.shape)}: "
            "flatten them with tg.reshape(x, (-1,)), or use broadcasting for stacks"
        )
    return expand_dims(x1, axis=-1) * x2


def _vector_axis(name, x1, x2, axis, size=None):
    ndim = builtins.max(x1.ndim, x2.ndim)
    ax = axis - ndim if axis >= 0 else axis
    if not -builtins.min(x1.ndim, x2.ndim) <= ax <= -1:
        raise ValueError(
            f"{name}: axis {axis} is out of range for shapes {tuple(x1.shape)} and "
            f"{tuple(x2.shape)}: use a negative axis that both have"
        )
    if x1.shape[ax] != x2.shape[ax] or (size is not None and x1.shape[ax] != size):
        want = f"{size}" if size is not None else "the same length"
        raise ValueError(
            f"{name}: the vectors along axis {axis} must have {want}; got shapes "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    return ax


def vecdot(x1, x2, /, *, axis=-1):
    """The dot product ``sum(conj(x1) * x2)`` along ``axis``, with broadcasting elsewhere.

    >>> import tapegrad as tg
    >>> print(tg.vecdot(tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0])))
    tg.Tensor(11.0, shape=(), dtype=float32)
    """
    ax = _vector_axis("vecdot", x1, x2, axis)
    return sum(_conj(x1) * x2, axis=ax)


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along ``axis``, with broadcasting elsewhere.

    >>> import tapegrad as tg
    >>> print(tg.linalg.cross(tg.constant([1.0, 0.0, 0.0]), tg.constant([0.0, 1.0, 0.0])))
    tg.Tensor([0. 0. 1.], shape=(3,), dtype=float32)
    """
    ax = _vector_axis("cross", x1, x2, axis, size=3)
    a0, a1, a2 = (take_slice(x1, ax, i, None) for i in range(3))
    b0, b1, b2 = (take_slice(x2, ax, i, None) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=ax)


def matrix_power(x, n, /):
    """The ``n``-th power of each square matrix in ``x`` (an integer; negative powers invert).

    >>> import tapegrad as tg
    >>> print(tg.linalg.matrix_power(tg.constant([[1.0, 1.0], [0.0, 1.0]]), 3))
    tg.Tensor(
    [[1. 3.]
     [0. 1.]], shape=(2, 2), dtype=float32)
    """
    _square("matrix_power", x, "powers are defined for square matrices only")
    fix = "give an integer power (for a fractional power of a Hermitian matrix, use eigh)"
    n = _integer("matrix_power", "n", n, fix)
    if n == 0:
        eye = _eye(x.shape[-1], x)
        return constant(_xp(x).broadcast_to(eye, tuple(x.shape)))
    base = inv(x) if n < 0 else x
    n = -n if n < 0 else n
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


# -- einsum ---------------------------------------------------------------------------------------
_LETTERS = string.ascii_letters


def _parse_einsum(subscripts, shapes):
    """Normalize NumPy's subscripts: ellipses become letters, implicit mode gets its output.
    Returns the operands' subscripts and the output's, as strings of letters."""
    spec = subscripts.replace(" ", "")
    explicit = "->" in spec
    inputs, output = spec.split("->") if explicit else (spec, None)
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} name {len(terms)} operands, but "
            f"{len(shapes)} were given"
        )
    for ch in spec:
        if ch not in _LETTERS and ch not in ".,->":
            raise ValueError(f"einsum: invalid character {ch!r} in subscripts {subscripts!r}")
    free = iter(ch for ch in _LETTERS if ch not in spec)
    n_ellipsis = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n_ellipsis = builtins.max(n_ellipsis, len(shape) - (len(term) - 3))
    ellipsis = "".join(next(free) for _ in range(n_ellipsis))
    out_terms = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            k = len(shape) - (len(term) - 3)
            if k < 0:
                raise ValueError(_rank_error(subscripts, term, shape))
            term = term.replace("...", ellipsis[n_ellipsis - k :])
        if len(term) != len(shape) or "." in term:
            raise ValueError(_rank_error(subscripts, term, shape))
        out_terms.append(term)
    if output is None:
        counts = {ch: "".join(out_terms).count(ch) for ch in set("".join(out_terms))}
        output = ellipsis + "".join(
            sorted(ch for ch, c in counts.items() if c == 1 and ch not in ellipsis)
        )
    else:
        if "..." in output:
            output = output.replace("...", ellipsis)
        elif ellipsis:
            raise ValueError(
                f"einsum: {subscripts!r} broadcasts axes with '...' but its output has no '...' "
                "for them: add '...' to the output"
            )
        for ch in output:
            if output.count(ch) > 1 or ch not in "".join(out_terms):
                raise ValueError(
                    f"einsum: output subscript {ch!r} of {subscripts!r} must appear once in the "
                    "output and at least once in the inputs"
                )
    _check_sizes(subscripts, out_terms, shapes)
    return tuple(out_terms), output


def _rank_error(subscripts, term, shape):
    return (
        f"einsum: operand of shape {tuple(shape)} does not match its subscripts {term!r} in "
        f"{subscripts!r}: give one letter per axis (or '...')"
    )


def _check_sizes(subscripts, terms, shapes):
    sizes: dict = {}
    for term, shape in zip(terms, shapes):
        for ch, n in zip(term, shape):
            if sizes.get(ch, 1) not in (1, n) and n != 1:
                raise ValueError(
                    f"einsum: subscript {ch!r} of {subscripts!r} stands for axes of lengths "
                    f"{sizes[ch]} and {n}, which do not broadcast"
                )
            if n != 1 or ch not in sizes:
                sizes[ch] = n


def _fresh(used, count):
    letters = [ch for ch in _LETTERS if ch not in used]
    if count > len(letters):
        raise ValueError("einsum: too many axes (52 letters at most)")
    return "".join(letters[:count])


def _einsum_vjp(k, g, ans, operands, terms, output):
    """The cotangent of operand ``k``: an einsum of ``g`` and the other operands (conjugated).
    Repeated letters in operand k get an identity matrix; letters only operand k has get a
    vector of ones, so that the result has operand k's full shape."""
    used = set("".join(terms) + output)
    batch = _fresh(used, g.ndim - ans.ndim)
    used |= set(batch)
    term = terms[k]
    operand = operands[k]
    inputs, arrays = [batch + output], [g]
    for j, (t, a) in enumerate(zip(terms, operands)):
        if j != k:
            inputs.append(t)
            arrays.append(_conj(a))
    present = set("".join(inputs))
    target = ""
    for ch, n in zip(term, operand.shape):
        if ch in target:  # a repeated letter: a diagonal, made with an identity matrix
            new = _fresh(used, 1)
            used.add(new)
            inputs.append(ch + new)
            arrays.append(_eye(n, g))
            target += new
            continue
        if ch not in present:
            inputs.append(ch)
            arrays.append(_xp(g).ones((n,), dtype=raw(g).dtype, device=device_of(raw(g))))
            present.add(ch)
        target += ch
    return _einsum(*arrays, subscripts=",".join(inputs) + "->" + batch + target)


def _einsum_jvp(ts, ans, *operands, subscripts):
    terms, output = _split(subscripts)
    total = None
    for k, t in enumerate(ts):
        if t is None:
            continue
        batch = _fresh(set(subscripts), t.ndim - operands[k].ndim)
        inputs = [batch + term if j == k else term for j, term in enumerate(terms)]
        arrays = [t if j == k else a for j, a in enumerate(operands)]
        term_k = _einsum(*arrays, subscripts=",".join(inputs) + "->" + batch + output)
        total = term_k if total is None else total + term_k
    return total


def _split(subscripts):
    inputs, output = subscripts.split("->")
    return inputs.split(","), output


class _EinsumRules:
    """VJP rules for each operand of an einsum, made on demand (any number of operands)."""

    def __getitem__(self, k):
        def rule(g, ans, *operands, subscripts):
            terms, output = _split(subscripts)
            return _einsum_vjp(k, g, ans, operands, terms, output)

        return rule

    def __len__(self):  # pragma: no cover - never iterated whole
        return 0


def _einsum_forward(*operands, subscripts):
    xp = xp_of(operands[0])
    if is_lazy(operands[0]):
        operands = _diagonal_axes_whole(operands, subscripts)
    big = len(operands) > 2 or builtins.max(o.size for o in operands) > 4096
    if _is_numpy(xp):
        return np.einsum(subscripts, *operands, optimize=big)
    function = getattr(xp, "einsum", None)
    if function is None:
        raise NotImplementedError(
            f"einsum (and tensordot, which is built on it) is not available for "
            f"{backend_name(operands[0])} arrays: it needs the library's own einsum; use "
            "tg.matmul, or convert the operands with t.numpy()"
        )
    return function(subscripts, *operands)


def _diagonal_axes_whole(operands, subscripts):
    """Dask takes a diagonal (a letter repeated in one operand, ``ii->i``) only where those
    axes are chunked alike: make each such axis one chunk."""
    terms = subscripts.split("->")[0].split(",")
    out = []
    for term, operand in zip(terms, operands):
        left, _, right = term.partition("...")
        positions = {}
        for i, letter in enumerate(left):
            positions.setdefault(letter, []).append(i)
        for i, letter in enumerate(right):
            positions.setdefault(letter, []).append(operand.ndim - len(right) + i)
        whole = {axis: -1 for axes in positions.values() if len(axes) > 1 for axis in axes}
        out.append(operand.rechunk(whole) if whole else operand)
    return out


_einsum = primitive(vjp=None, jvp=_einsum_jvp, name="einsum")(_einsum_forward)
_einsum.primitive.set_vjps(_EinsumRules())


def einsum(subscripts, /, *operands):
    """Einstein summation with NumPy's subscripts: explicit (``"ij,jk->ik"``) or implicit
    (``"ij,jk"``: the letters used once, sorted), with ``...`` for broadcast axes and repeated
    letters for diagonals. Differentiable in every operand: each cotangent is itself an einsum.

    >>> import tapegrad as tg
    >>> a = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    >>> print(tg.einsum("ii", a), tg.einsum("ij->j", a))
    tg.Tensor(5.0, shape=(), dtype=float32) tg.Tensor([4. 6.], shape=(2,), dtype=float32)
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            f"einsum takes its subscripts as a string first, not {type(subscripts).__name__}: "
            "write tg.einsum('ij,jk->ik', a, b)"
        )
    if not operands:
        raise ValueError("einsum needs at least one operand")
    shapes = [tuple(getattr(o, "shape", ())) for o in operands]
    terms, output = _parse_einsum(subscripts, shapes)
    return _einsum(*operands, subscripts=",".join(terms) + "->" + output)


def _integer(name, what, value, fix):
    """``value`` as a Python int: any integer (NumPy's too), not a bool or a float."""
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{name}: {what} must be an integer, not {value!r}: {fix}")


def _tensordot_axes(x1, x2, axes):
    """tensordot's ``axes`` as two tuples of paired axes of x1 and x2, counted from 0."""
    if not (isinstance(axes, tuple | list) or (isinstance(axes, np.ndarray) and axes.ndim)):
        fix = "give an integer count, or a pair of axis sequences such as ([1, 2], [0, 1])"
        count = _integer("tensordot", "axes", axes, fix)
        if count < 0 or count > builtins.min(x1.ndim, x2.ndim):
            raise ValueError(
                f"tensordot: axes={count} does not fit shapes {tuple(x1.shape)} and "
                f"{tuple(x2.shape)}: use 0 to min(x1.ndim, x2.ndim)"
            )
        return tuple(range(x1.ndim - count, x1.ndim)), tuple(range(count))
    if len(axes) != 2:
        raise ValueError(
            f"tensordot: axes={axes!r} must be an integer or a pair of axis sequences, such as "
            "([1, 2], [0, 1])"
        )
    pair = []
    for k, (part, x) in enumerate(zip(axes, (x1, x2)), start=1):
        # a sequence of axes, or one axis (axes=[1, 0]), as NumPy takes them
        part = tuple(part) if isinstance(part, tuple | list | range | np.ndarray) else (part,)
        fix = "give the axes as integers, such as axes=([1, 2], [0, 1])"
        part = tuple(_integer("tensordot", f"each axis of x{k}", a, fix) for a in part)
        # each checked (an axis out of range raises, naming it), then counted from 0
        try:
            part = tuple(positive_axis(a, x.ndim) for a in part)
        except ValueError as error:
            raise ValueError(f"tensordot: {error}") from None
        repeated = sorted({a for a in part if part.count(a) > 1})
        if repeated:
            raise ValueError(
                f"tensordot: axes={axes!r} name axis {repeated[0]} of x{k} more than once; "
                "duplicate axes are not allowed in tensordot (as in NumPy): pair each axis "
                "once, or take the diagonal first with tg.einsum"
            )
        pair.append(part)
    first, second = pair
    if len(first) != len(second):
        raise ValueError(f"tensordot: axes {axes!r} pair {len(first)} axes with {len(second)}")
    return first, second


def tensordot(x1, x2, /, *, axes=2):
    """Sum of products over ``axes``: the last ``axes`` axes of ``x1`` with the first of ``x2``
    (an int), or the axes paired by two sequences.

    >>> import tapegrad as tg
    >>> tg.tensordot(tg.ones((2, 3, 4)), tg.ones((3, 4, 5))).shape
    (2, 5)
    """
    first, second = _tensordot_axes(x1, x2, axes)
    a = _LETTERS[: x1.ndim]
    b = list(_LETTERS[x1.ndim : x1.ndim + x2.ndim])
    for i, j in zip(first, second):
        if x1.shape[i] != x2.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of x1 (length {x1.shape[i]}) and axis {j} of x2 (length "
                f"{x2.shape[j]}) are summed together, so their lengths must be equal"
            )
        b[j] = a[i]
    b = "".join(b)
    out = "".join(ch for i, ch in enumerate(a) if i not in first)
    out += "".join(ch for j, ch in enumerate(b) if j not in second)
    return _einsum(x1, x2, subscripts=f"{a},{b}->{out}")
