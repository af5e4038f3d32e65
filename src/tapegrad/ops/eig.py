"""The general (non-symmetric) eigendecomposition: ``eig`` and ``eigvals`` (NumPy's and the
Array API 2025.12's names; PyTorch's ``linalg.eig``, ``eigvals``; JAX's ``jnp.linalg.eig``).

Results are always complex (complex64 for float32 and complex64 input, complex128 otherwise), as
PyTorch's and the Array API's, so that the dtype does not depend on the values; NumPy returns
real arrays where every eigenvalue is real.

Derivatives, with ``x = V Λ V⁻¹``, ``C = V⁻¹ dx V`` and ``F[i, j] = 1 / (λ_j - λ_i)`` (0 on the
diagonal), are those of Giles, "Collected matrix derivative results for forward and reverse mode
algorithmic differentiation" (2008), with the gauge term of PyTorch's ``linalg_eig_backward``:

* ``dλ = diag(C)``, and ``ḡ_x = V⁻ᴴ diag(ḡ_λ) Vᴴ`` (``eigvals``' rules too);
* ``dV = V (F ∘ C) - V diag(Re diag(Vᴴ V (F ∘ C)))``, and
  ``ḡ_x = V⁻ᴴ (conj(F) ∘ (Vᴴ ḡ_V - Vᴴ V diag(Re diag(Vᴴ ḡ_V)))) Vᴴ``.

Gauge. Each eigenvector is normalised to unit 2-norm, with a phase (a sign, for real
eigenvectors) that LAPACK picks. The second term of ``dV`` keeps the norm (``Re(v_kᴴ dv_k) =
0``); the phase's derivative is not LAPACK's, so only losses invariant under ``v_k → e^{iφ} v_k``
(``|V|``, ``v vᴴ``, ``V diag(f(λ)) Vᴴ``) have derivatives, and those are exact, forward and
reverse, to every order (LAPACK's sign of a real eigenvector can flip under a small change of
the matrix, so even there only sign-invariant losses are differentiable). Reverse mode refuses
a cotangent that reads the phase (``Im diag(Vᴴ ḡ_V) ≠ 0``), as PyTorch does; forward mode
cannot see the loss.

Degenerate points follow ``eigh``'s policy (``ops/linalg.py``, ``_inverse_gaps``): where two
eigenvalues coincide to within ``n * eps * max|λ|``, ``F[i, j]`` is 0 where the quantity it
multiplies (``Vᴴ ḡ_V`` less its gauge part in reverse mode, ``C`` in forward mode) is exactly 0,
and NaN where it is not. The eigenvalues' own first derivative needs no gap, and stays exact
for losses symmetric in the repeated ones where they have independent eigenvectors (at the
identity); at a defective matrix (a Jordan block) ``V`` is singular and no derivative exists.
A repeated eigenvalue of a non-normal matrix is computed with an error of about ``eps`` times
the condition number of ``V``, and may then count as two distinct values, whose gap term is
huge rather than NaN.

Order. The eigenvalues come in LAPACK's order, which a small change of the matrix can change:
a loss that picks one eigenvalue or eigenvector by its position (``λ[0]``) jumps there, so
differentiate functions symmetric in the pairs ``(λ_k, v_k)`` (sums, ``V diag(f(λ)) Vᴴ``), or
pick by value.

The rules are written with ``eig`` itself (through ``ans``), ``inv``, ``matmul`` and
elementwise functions, so higher derivatives are free. A real input gets the real part of its
gradient. Libraries without ``linalg.eig`` (Dask) raise NotImplementedError naming it.
"""

from __future__ import annotations

from collections import namedtuple

from .._backend import device_of, is_lazy, xp_of
from .._dtypes import kind_of
from .._primitive import primitive, raw
from .._standard_gaps import linalg_call
from .creation import convert_to_tensor
from .elementwise import conj, real
from .linalg import (
    _H,
    _diag_embed,
    _inverse_gaps,
    _like,
    _named_errors,
    _pack_rows,
    _real,
    _row,
    _rows,
    _square,
    diagonal,
    inv,
    matmul,
)
from .manipulation import expand_dims

__all__ = ["EigResult", "eig", "eigvals"]

EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])

_SQUARE = "eigenvalues are defined for square matrices only"
_UNCONVERGED = "the QR algorithm did not converge; check the matrix for huge or tiny entries"


def _complex_dtype(xp, dtype):
    """The complex dtype of the results: complex64 for float32 (and complex64), else
    complex128 (NumPy's linalg computes integers in float64)."""
    if kind_of(dtype) == "c":
        return dtype
    if kind_of(dtype) == "f" and xp.finfo(dtype).bits == 32:
        return xp.complex64
    return xp.complex128


def _floating(xp, x):
    return x if kind_of(x.dtype) in "fc" else xp.astype(x, xp.float64)


def _to_real_of(gx, x):
    return real(gx) if kind_of(x.dtype) != "c" else gx


# -- eig ------------------------------------------------------------------------------------------
def _eig_parts(p):
    return _row(p, 0), _rows(p, 1, None)


def _check_phase_invariant(vh_gv):
    """Refuse a cotangent that reads the eigenvectors' phases: ``Im diag(Vᴴ ḡ_V)`` is the
    derivative along ``v_k → e^{iφ} v_k``, which an invariant loss makes 0 (to roundoff)."""
    v = raw(vh_gv)
    if is_lazy(v) or not v.size:
        return
    xp = xp_of(v)
    d = xp.abs(xp.imag(xp.linalg.diagonal(v)))
    bound = v.shape[-1] * xp.finfo(v.dtype).eps ** 0.5 * xp.max(xp.abs(v))
    if bool(xp.any(d > bound)):
        raise ValueError(
            "eig: the loss depends on the eigenvectors' phases (v → e^{iφ} v), which are "
            "arbitrary, so its derivative is not defined: differentiate a function that does "
            "not depend on them, such as abs(v), v vᴴ or V diag(f(λ)) Vᴴ"
        )


def _eig_vjp(g, ans, x):
    w, v = _eig_parts(ans)
    g_w, g_v = _eig_parts(g)
    vh_gv = matmul(_H(v), g_v)
    _check_phase_invariant(vh_gv)
    inner = vh_gv - matmul(_H(v), v * expand_dims(_real(diagonal(vh_gv)), axis=-2))
    inner = inner * conj(_inverse_gaps(w, [inner])) + _diag_embed(g_w)
    return _to_real_of(matmul(_H(inv(v)), matmul(inner, _H(v))), x)


def _eig_jvp(ts, ans, x):
    w, v = _eig_parts(ans)
    c = matmul(inv(v), matmul(_like(ts[0], v), v))
    dv = matmul(v, c * _inverse_gaps(w, [c]))
    dv = dv - v * expand_dims(_real(diagonal(matmul(_H(v), dv))), axis=-2)
    return _pack_rows(diagonal(c), dv)


@primitive(vjp=_eig_vjp, jvp=_eig_jvp)
def _eig(x, /):
    xp = xp_of(x)
    x = _floating(xp, x)
    dtype = _complex_dtype(xp, x.dtype)
    with _named_errors("eig", _UNCONVERGED):
        w, v = linalg_call("eig", x)
    return xp.concat([xp.astype(w, dtype)[..., None, :], xp.astype(v, dtype)], axis=-2)


def eig(x, /):
    """Eigenvalues and right eigenvectors (columns, unit 2-norm) of each square matrix in ``x``
    (shape (..., n, n)), ``x @ V = V * λ``, in LAPACK's order (which a small change of ``x``
    can change: differentiate functions that do not depend on it, such as sums over the pairs).

    tapegrad always returns complex results (complex64 for float32 and complex64 input,
    complex128 otherwise), as PyTorch and the Array API do, so that the dtype does not depend
    on the values; NumPy returns real arrays where every eigenvalue is real.

    Each eigenvector's phase is arbitrary: only losses that do not depend on it (``abs(v)``,
    ``v vᴴ``, ``V diag(f(λ)) Vᴴ``) have derivatives, those of unit-norm eigenvectors, and
    reverse mode raises ValueError for a loss that reads the phase (PyTorch's convention; see
    ``tapegrad.ops.eig``). Where eigenvalues repeat, a derivative that reads their
    eigenvectors is NaN, as for ``eigh``.

    >>> import tapegrad as tg
    >>> x = tg.constant([[2.0, 1.0], [0.0, 3.0]], dtype=tg.float64)
    >>> w, v = tg.linalg.eig(x)
    >>> print(w)
    tg.Tensor([2.+0.j 3.+0.j], shape=(2,), dtype=complex128)
    >>> print(tg.grad(lambda x: tg.sum(tg.real(tg.linalg.eig(x).eigenvalues) ** 2))(x))
    tg.Tensor(
    [[4. 0.]
     [2. 6.]], shape=(2, 2), dtype=float64)
    """
    if not hasattr(x, "shape"):
        x = convert_to_tensor(x)
    _square("eig", x, _SQUARE)
    w, v = _eig_parts(_eig(x))
    return EigResult(w, v)


# -- eigvals --------------------------------------------------------------------------------------
def _eigenvectors_for(w, x):
    """``eig(x)``'s eigenvectors, their columns in the order of ``w`` (eigvals' own values,
    which LAPACK computes without vectors: in practice in the same order, matched here by
    nearest value, each column used once)."""
    lam, v = eig(x)
    wv, lv = raw(w), raw(lam)
    xp = xp_of(wv)
    n = wv.shape[-1]
    dist = xp.abs(wv[..., :, None] - lv[..., None, :])
    positions = xp.arange(n, device=device_of(wv))
    if not dist.size or bool(xp.all(xp.argmin(dist, axis=-1) == positions)):
        return v
    used = xp.zeros(tuple(lv.shape), dtype=xp.bool, device=device_of(wv))
    columns = []
    for i in range(n):
        j = xp.argmin(xp.where(used, xp.inf, dist[..., i, :]), axis=-1)
        chosen = positions == j[..., None]
        used = used | chosen
        columns.append(chosen)
    permutation = xp.astype(xp.stack(columns, axis=-1), raw(v).dtype)
    return matmul(v, permutation)


def _eigvals_vjp(g, ans, x):
    v = _eigenvectors_for(ans, x)
    return _to_real_of(matmul(_H(inv(v)), expand_dims(g, axis=-1) * _H(v)), x)


def _eigvals_jvp(ts, ans, x):
    v = _eigenvectors_for(ans, x)
    return diagonal(matmul(inv(v), matmul(_like(ts[0], v), v)))


@primitive(vjp=_eigvals_vjp, jvp=_eigvals_jvp)
def eigvals(x, /):
    """The eigenvalues of each square matrix in ``x`` (shape (..., n, n)), in LAPACK's order,
    always complex (see ``eig``). The rules compute the eigenvectors: ``dλ = diag(V⁻¹ dx V)``.

    >>> import tapegrad as tg
    >>> x = tg.constant([[0.0, 1.0], [-1.0, 0.0]], dtype=tg.float64)
    >>> print(tg.linalg.eigvals(x))
    tg.Tensor([0.+1.j 0.-1.j], shape=(2,), dtype=complex128)
    >>> print(tg.grad(lambda x: tg.sum(tg.imag(tg.linalg.eigvals(x)) ** 2))(x))
    tg.Tensor(
    [[ 0.  2.]
     [-2.  0.]], shape=(2, 2), dtype=float64)
    """
    _square("eigvals", x, _SQUARE)
    xp = xp_of(x)
    x = _floating(xp, x)
    with _named_errors("eigvals", _UNCONVERGED):
        w = linalg_call("eigvals", x)
    return xp.astype(w, _complex_dtype(xp, x.dtype))
