"""Triangular solves: ``solve_triangular`` (SciPy's name and semantics, JAX's and PyTorch's
``solve_triangular``, TensorFlow's ``triangular_solve``) and ``cho_solve``.

``solve_triangular`` is one primitive; its rules are written with ``solve_triangular`` itself,
``matmul``, ``tril``/``triu`` and conjugate transposes, so derivatives of every order follow.
With ``M = op(T)``, ``T`` the named triangle of ``a`` (ones on the diagonal with
``unit_diagonal``) and ``op`` the identity, ``ᵀ`` or ``ᴴ`` (``trans`` 0, 1, 2), ``x = M⁻¹ b``:

* ``ḡ_b = M⁻ᴴ ḡ``: a triangular solve with the same triangle, the adjoint ``op``;
* ``ḡ_M = -ḡ_b xᴴ``, taken back through ``op`` (``ḡ_T`` is ``ḡ_M``, ``ḡ_Mᵀ`` or ``ḡ_Mᴴ``)
  and masked to the triangle that was read: the other triangle, and the diagonal with
  ``unit_diagonal``, get exact zeros;
* ``dx = M⁻¹ (db - op(dT) x)``, with ``dT`` the tangent masked the same way.

The forward computation is a substitution, O(n²k) (BLAS's trsm through SciPy, cupyx's or
Dask's solve_triangular; see ``_standard_gaps.solve_triangular``), not the O(n³) factorization
``solve`` makes; a stack of right-hand sides against one matrix is one call. ``cho_solve`` is
two triangular solves, so it has no rule of its own.
"""

from __future__ import annotations

import numpy as np

from .. import _standard_gaps
from .._backend import device_of, xp_of
from .._dtypes import kind_of
from .._primitive import primitive
from .creation import convert_to_tensor, tril, triu
from .elementwise import _conj
from .linalg import _H, _as_column, _lift, _named_errors, _square, matmul
from .manipulation import matrix_transpose, squeeze

__all__ = ["cho_solve", "solve_triangular"]

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


def _code(trans) -> int:
    known = isinstance(trans, (int, str, np.integer)) and not isinstance(trans, bool)
    code = _TRANS.get(trans) if known else None
    if code is None:
        raise ValueError(
            f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}: 0 (or "
            "'N') solves a x = b, 1 ('T') aᵀ x = b, 2 ('C') aᴴ x = b"
        )
    return code


def _stacks(name, first, a, b) -> tuple:
    """The broadcast stack shape of ``a`` (..., n, n) and ``b`` (..., n, k) or (n,), or the
    error saying why they do not match."""
    n = a.shape[-1]
    rows = b.shape[0] if b.ndim == 1 else (b.shape[-2] if b.ndim >= 2 else None)
    fix = f"b must be a vector of length {n} or matrices of shape (..., {n}, k)"
    if rows == n:
        try:
            return np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        except ValueError:
            fix = f"their stacks {tuple(a.shape[:-2])} and {tuple(b.shape[:-2])} do not broadcast"
    raise ValueError(
        f"{name}: {first} of shape {tuple(a.shape)} and b of shape {tuple(b.shape)} do not "
        f"match: {fix}"
    )


def _floating(a, b):
    """``a`` and ``b`` in one floating dtype: integers and bools count as float64, as NumPy's
    linalg computes them; half precision is refused, as NumPy's linalg does."""
    xp = xp_of(a)
    dtypes = [x.dtype if kind_of(x.dtype) in "fc" else xp.float64 for x in (a, b)]
    dtype = xp.result_type(*dtypes)
    if xp.finfo(dtype).bits not in (32, 64):
        raise TypeError(
            f"solve_triangular: array type {dtype} is unsupported in linalg: cast to float32 "
            "or float64 first (tg.astype)"
        )
    return tuple(x if x.dtype == dtype else xp.astype(x, dtype) for x in (a, b))


def _masked(t, lower, unit_diagonal):
    """The triangle of ``t`` that ``solve_triangular`` reads, zeros elsewhere."""
    k = int(unit_diagonal)
    return tril(t, k=-k) if lower else triu(t, k=k)


def _op(t, code):
    return t if code == 0 else (matrix_transpose(t) if code == 1 else _H(t))


def _vjp_b(g, ans, a, b, *, lower=False, trans=0, unit_diagonal=False):
    code = _code(trans)
    vector = b.ndim == 1
    # op(a)ᴴ as a triangular solve: aᴴ for 0, conj(a) for 1 (aᵀ), a itself for 2 (aᴴ)
    adjoint, adjoint_code = (a, 2) if code == 0 else (_conj(a) if code == 1 else a, 0)
    out = solve_triangular(
        adjoint,
        _as_column(g, vector),
        lower=lower,
        trans=adjoint_code,
        unit_diagonal=unit_diagonal,
    )
    return squeeze(out, axis=-1) if vector else out


def _vjp_a(g, ans, a, b, *, lower=False, trans=0, unit_diagonal=False):
    code = _code(trans)
    vector = b.ndim == 1
    params = {"lower": lower, "trans": code, "unit_diagonal": unit_diagonal}
    gb = _as_column(_vjp_b(g, ans, a, b, **params), vector)
    x = _as_column(ans, vector)
    if code == 0:
        g_t = matmul(gb, _H(x))
    elif code == 1:
        g_t = matmul(_conj(x), matrix_transpose(gb))
    else:
        g_t = matmul(x, _H(gb))
    return _masked(-g_t, lower, unit_diagonal)


def _jvp(ts, ans, a, b, *, lower=False, trans=0, unit_diagonal=False):
    ta, tb = ts
    code = _code(trans)
    vector = b.ndim == 1
    x = _as_column(ans, vector)
    rhs = None
    if tb is not None:
        rhs = _lift(_as_column(tb, vector), _as_column(b, vector), x.ndim)
    if ta is not None:
        t_m = _op(_masked(_lift(ta, a, x.ndim), lower, unit_diagonal), code)
        term = -matmul(t_m, x)
        rhs = term if rhs is None else rhs + term
    out = solve_triangular(a, rhs, lower=lower, trans=code, unit_diagonal=unit_diagonal)
    return squeeze(out, axis=-1) if vector else out


@primitive(vjp=(_vjp_a, _vjp_b), jvp=_jvp)
def solve_triangular(a, b, /, *, lower=False, trans=0, unit_diagonal=False):
    """The solution ``x`` of ``a x = b`` (``trans=0`` or ``"N"``), ``aᵀ x = b`` (1, ``"T"``)
    or ``aᴴ x = b`` (2, ``"C"``) for triangular ``a`` (..., n, n): SciPy's
    ``linalg.solve_triangular``. Only the lower (``lower=True``) or upper triangle of ``a`` is
    read, and with ``unit_diagonal=True`` not its diagonal, taken as ones; what is not read
    gets a zero gradient. ``b`` is a stack of matrices (..., n, k) whose stack broadcasts with
    ``a``'s, or one vector (n,), as in ``tg.linalg.solve``. Integer and bool inputs give
    float64, as the other linalg functions do.

    >>> import tapegrad as tg
    >>> a = tg.constant([[2.0, 0.0], [1.0, 4.0]])
    >>> print(tg.linalg.solve_triangular(a, tg.constant([2.0, 9.0]), lower=True))
    tg.Tensor([1. 2.], shape=(2,), dtype=float32)
    >>> print(tg.grad(lambda b: tg.sum(tg.linalg.solve_triangular(a, b, lower=True)))(
    ...     tg.constant([2.0, 9.0])))
    tg.Tensor([0.375 0.25 ], shape=(2,), dtype=float32)
    """
    code = _code(trans)
    _square("solve_triangular", a, "a holds the triangular matrices; use tg.linalg.lstsq otherwise")
    stacks = _stacks("solve_triangular", "a", a, b)
    a, b = _floating(a, b)
    xp = xp_of(a)
    vector = b.ndim == 1
    column = xp.reshape(b, (b.shape[0], 1)) if vector else b
    with _named_errors(
        "solve_triangular",
        "a zero on the diagonal makes the matrix singular; use tg.linalg.lstsq instead",
    ):
        x = _solve(a, column, stacks, bool(lower), code, bool(unit_diagonal))
    return xp.reshape(x, tuple(x.shape[:-1])) if vector else x


def _solve(a, b, stacks, lower, code, unit_diagonal):
    """``op(a)⁻¹ b`` for raw arrays, ``b`` (..., n, k). A stack of right-hand sides against one
    matrix is one solve with their columns side by side."""
    xp = xp_of(a)
    n, k = a.shape[-1], b.shape[-1]
    shape = stacks + (n, k)
    if 0 in shape:  # nothing to solve (LAPACK and SciPy's batches refuse empty arrays)
        return xp.zeros(shape, dtype=a.dtype, device=device_of(a))
    if b.ndim > 2 and all(s == 1 for s in a.shape[:-2]):
        m = int(np.prod(b.shape[:-2], dtype=np.int64))
        columns = xp.permute_dims(xp.reshape(b, (m, n, k)), (1, 0, 2))
        x = _standard_gaps.solve_triangular(
            xp.reshape(a, (n, n)), xp.reshape(columns, (n, m * k)), lower, code, unit_diagonal
        )
        return xp.reshape(xp.permute_dims(xp.reshape(x, (n, m, k)), (1, 0, 2)), shape)
    return _standard_gaps.solve_triangular(a, b, lower, code, unit_diagonal)


def cho_solve(c_and_lower, b, /):
    """The solution ``x`` of ``(c cᴴ) x = b`` for the lower Cholesky factors ``c`` (..., n, n)
    of ``tg.linalg.cholesky``, or of ``(cᴴ c) x = b`` for upper ones: SciPy's
    ``linalg.cho_solve``, taking ``(c, lower)``. Two triangular solves, each reading only the
    named triangle of ``c``; ``b`` as in ``solve_triangular``.

    >>> import tapegrad as tg
    >>> c = tg.linalg.cholesky(tg.constant([[4.0, 2.0], [2.0, 5.0]]))
    >>> print(tg.linalg.cho_solve((c, True), tg.constant([6.0, 7.0])))
    tg.Tensor([1. 1.], shape=(2,), dtype=float32)
    """
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError(
            "cho_solve takes (c, lower) as its first argument, a Cholesky factor and whether "
            f"it is lower-triangular, not {type(c_and_lower).__name__}: pass "
            "(tg.linalg.cholesky(a), True)"
        )
    c, lower = c_and_lower
    c, b = (x if hasattr(x, "shape") else convert_to_tensor(x) for x in (c, b))
    _square("cho_solve", c, "c holds Cholesky factors, as tg.linalg.cholesky gives them")
    _stacks("cho_solve", "c", c, b)
    vector = b.ndim == 1  # a column, so that the first solve's stack of vectors stays one
    first, second = (0, 2) if lower else (2, 0)
    y = solve_triangular(c, _as_column(b, vector), lower=lower, trans=first)
    x = solve_triangular(c, y, lower=lower, trans=second)
    return squeeze(x, axis=-1) if vector else x
