"""Triangular solves: values against SciPy for every option, dtype and stack shape; the unread
triangle; derivatives to second order for every option; cho_solve through a Gaussian-process
likelihood; the path without SciPy; array_api_strict and Dask; errors."""

from __future__ import annotations

import contextlib
import itertools
import sys

import numpy as np
import pytest
import scipy.linalg

import tapegrad as tg
from tapegrad.testing import check_grads

L = tg.linalg
RNG = np.random.default_rng(7)
OPTIONS = list(itertools.product([True, False], [0, 1, 2], [False, True]))  # lower, trans, unit
TOLERANCES = {np.float32: 2e-5, np.complex64: 2e-5, np.float64: 1e-13, np.complex128: 1e-13}


def _matrix(shape, dtype=np.float64):
    """Well-conditioned matrices (n on the diagonal), full: both triangles hold values."""
    n = shape[-1]
    a = RNG.standard_normal(shape) + n * np.eye(n)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * RNG.standard_normal(shape)
    return a.astype(dtype)


def _rhs(shape, dtype=np.float64):
    b = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        b = b + 1j * RNG.standard_normal(shape)
    return b.astype(dtype)


def _one_blas_thread():
    """SciPy's solve_triangular (LAPACK's trtrs) wakes every OpenBLAS thread whatever the size,
    which on a busy machine costs milliseconds a call: the references run on one thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # slower, not different
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _read(a, lower, unit):
    """The part of ``a`` that a triangular solve reads."""
    kept = np.tril(a, -int(unit)) if lower else np.triu(a, int(unit))
    return kept + np.eye(a.shape[-1]) * unit


def _grads(a, b, g, **options):
    a, b = tg.constant(a), tg.constant(b)
    with tg.GradientTape() as tape:
        tape.watch([a, b])
        x = L.solve_triangular(a, b, **options)
    ga, gb = tape.gradient(x, [a, b], output_gradients=tg.constant(g))
    return x.numpy(), ga.numpy(), gb.numpy()


# -- values ---------------------------------------------------------------------------------------
SHAPES = [  # a, b: one matrix, vectors, stacks that broadcast either way
    ((3, 3), (3, 2)),
    ((3, 3), (3,)),
    ((2, 3, 3), (3,)),
    ((2, 3, 3), (3, 2)),
    ((3, 3), (2, 4, 3, 2)),
    ((1, 3, 3), (4, 3, 1)),
    ((2, 1, 3, 3), (4, 3, 2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_values_match_scipy_for_every_option_dtype_and_shape(dtype):
    for (a_shape, b_shape), (lower, trans, unit) in itertools.product(SHAPES, OPTIONS):
        a, b = _matrix(a_shape, dtype), _rhs(b_shape, dtype)
        options = {"lower": lower, "unit_diagonal": unit}
        got = L.solve_triangular(a, b, trans=trans, **options).numpy()
        with _one_blas_thread():
            want = scipy.linalg.solve_triangular(a, b, trans=trans, **options)
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=TOLERANCES[dtype], atol=0)
        by_letter = L.solve_triangular(a, b, trans="NTC"[trans], **options).numpy()
        np.testing.assert_array_equal(by_letter, got)


def test_integer_and_mixed_dtypes_promote_as_solve_does():
    a, b = np.array([[2, 0], [1, 4]]), np.array([2, 9])
    x = L.solve_triangular(a, b, lower=True)
    assert x.dtype == tg.float64
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    a32 = a.astype(np.float32)
    assert L.solve_triangular(a32, b.astype(np.float64), lower=True).dtype == tg.float64
    assert L.solve_triangular(a32, b.astype(np.complex64), lower=True).dtype == tg.complex64
    assert L.solve_triangular(a32, b, lower=True).dtype == tg.float64  # as NumPy's solve
    lists = L.solve_triangular([[2.0, 0.0], [1.0, 4.0]], [2.0, 9.0], lower=True)
    assert lists.dtype == tg.float32


def test_empty_stacks_and_matrices():
    assert L.solve_triangular(np.zeros((0, 3, 3)), np.ones(3)).shape == (0, 3)
    assert L.solve_triangular(np.zeros((0, 0)), np.ones((0, 2))).shape == (0, 2)
    assert L.solve_triangular(np.eye(3), np.ones((2, 3, 0))).shape == (2, 3, 0)


@pytest.mark.parametrize("lower, trans, unit", OPTIONS)
def test_the_unread_triangle_changes_nothing_and_gets_zero_gradient(lower, trans, unit):
    a, b, g = _matrix((2, 3, 3)), _rhs((3, 2)), _rhs((2, 3, 2))
    ones = np.ones((3, 3))
    unread = (np.tril(ones, -int(unit)) if lower else np.triu(ones, int(unit))) == 0
    garbage = np.where(unread, np.nan, a)
    options = {"lower": lower, "trans": trans, "unit_diagonal": unit}
    x, ga, gb = _grads(garbage, b, g, **options)
    x0, ga0, gb0 = _grads(_read(a, lower, unit), b, g, **options)
    np.testing.assert_allclose(x, x0, rtol=1e-14)
    np.testing.assert_allclose(gb, gb0, rtol=1e-14)
    assert (ga[:, unread] == 0).all() and np.isfinite(ga).all()
    np.testing.assert_allclose(ga[:, ~unread], ga0[:, ~unread], rtol=1e-14)


def test_a_zero_on_the_diagonal_raises_linalgerror():
    with pytest.raises(np.linalg.LinAlgError) as error:
        L.solve_triangular(np.array([[1.0, 0.0], [5.0, 0.0]]), np.ones(2), lower=True)
    assert str(error.value) == (
        "solve_triangular: singular matrix: resolution failed at diagonal 1: a zero on the "
        "diagonal makes the matrix singular; use tg.linalg.lstsq instead"
    )
    ones = L.solve_triangular(np.zeros((2, 2)), np.ones(2), lower=True, unit_diagonal=True)
    np.testing.assert_array_equal(ones.numpy(), [1.0, 1.0])  # the diagonal is not read


# -- derivatives ----------------------------------------------------------------------------------
def _solver(lower, trans, unit):
    return lambda a, b: L.solve_triangular(a, b, lower=lower, trans=trans, unit_diagonal=unit)


@pytest.mark.parametrize("lower, trans, unit", OPTIONS)
def test_second_derivatives_for_every_option(lower, trans, unit):
    f = _solver(lower, trans, unit)
    check_grads(f, [_matrix((3, 3), complex), _rhs((3, 2), complex)], order=2)
    check_grads(f, [_matrix((2, 3, 3)), _rhs((3,))], order=2)  # a stack against one vector


def test_stacked_right_hand_sides_and_mixed_real_and_complex():
    f = _solver(True, 2, False)
    check_grads(f, [_matrix((1, 3, 3)), _rhs((2, 3, 2))], order=2)
    check_grads(f, [_matrix((3, 3)), _rhs((3, 2), complex)], order=1)
    check_grads(f, [_matrix((3, 3), complex), _rhs((3, 2))], order=1)


def test_forward_and_reverse_jacobians_agree_with_leading_batch_axes():
    a, b = tg.constant(_matrix((2, 3, 3))), tg.constant(_rhs((3,)))
    for lower, trans, unit in OPTIONS[:6]:
        f = _solver(lower, trans, unit)
        rev, fwd = tg.jacobian(f, argnums=(0, 1))(a, b), tg.jacfwd(f, argnums=(0, 1))(a, b)
        for r, w in zip(rev, fwd):
            np.testing.assert_allclose(r.numpy(), w.numpy(), rtol=1e-12, atol=1e-14)


# -- cho_solve ------------------------------------------------------------------------------------
@pytest.mark.parametrize("b_shape", [(4,), (4, 2)])
def test_cho_solve_matches_scipy(b_shape):
    spd = _matrix((4, 4))
    spd = spd @ spd.T
    b = _rhs(b_shape)
    lower = np.linalg.cholesky(spd)
    for c, is_lower in ((lower, True), (lower.T.copy(), False)):
        garbage = c + (np.triu if is_lower else np.tril)(np.full((4, 4), np.nan), 2 * is_lower - 1)
        got = L.cho_solve((garbage, is_lower), b).numpy()
        np.testing.assert_allclose(got, scipy.linalg.cho_solve((c, is_lower), b), rtol=1e-13)
    stack = np.stack([lower, 2 * lower])
    got = L.cho_solve((stack, True), b).numpy()
    for i in range(2):
        np.testing.assert_allclose(got[i], scipy.linalg.cho_solve((stack[i], True), b), rtol=1e-13)


def test_cho_solve_complex_derivatives():
    c = np.tril(_matrix((3, 3), complex))
    check_grads(lambda c, b: L.cho_solve((c, True), b), [c, _rhs((3, 2), complex)], order=2)
    check_grads(lambda c, b: L.cho_solve((c, False), b), [c.T.copy(), _rhs((3,))], order=1)


X = np.linspace(-1.0, 1.0, 6)
Y = np.sin(3 * X) + 0.1 * np.cos(7 * X)


def _kernel(theta):
    """A squared-exponential kernel plus noise, from (log length, log scale, log noise)."""
    length, scale, noise = tg.exp(theta[0]), tg.exp(theta[1]), tg.exp(theta[2])
    d2 = (X[:, None] - X[None, :]) ** 2
    return scale * tg.exp(-0.5 * d2 / length**2) + (noise + 1e-6) * np.eye(len(X))


def _weights(theta):
    c = L.cholesky(_kernel(theta))
    return L.cho_solve((c, True), Y)


def _log_likelihood(theta):
    c = L.cholesky(_kernel(theta))
    alpha = L.cho_solve((c, True), Y)
    return -0.5 * tg.sum(Y * alpha) - tg.sum(tg.log(L.diagonal(c))) - len(X) / 2 * np.log(2 * np.pi)


def test_gaussian_process_jacobian_and_hessian_match_finite_differences():
    theta = np.array([-0.7, 0.3, -2.0])
    jac = tg.jacobian(_weights)(tg.constant(theta)).numpy()
    numeric = tg.numerical.jacobian(lambda t: _weights(t).numpy(), theta, richardson=True)
    np.testing.assert_allclose(jac, numeric, rtol=1e-7, atol=1e-7 * np.abs(numeric).max())
    hess = tg.hessian(_log_likelihood)(tg.constant(theta)).numpy()
    grad = tg.grad(_log_likelihood)
    numeric = tg.numerical.jacobian(lambda t: grad(tg.constant(t)).numpy(), theta, richardson=True)
    np.testing.assert_allclose(hess, numeric, rtol=1e-7, atol=1e-7 * np.abs(numeric).max())
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12)


# -- without SciPy, and the other libraries -------------------------------------------------------
_KEYS = ("lower", "trans", "unit_diagonal")


def test_without_scipy_the_general_solve_gives_the_same_values_and_gradients(monkeypatch):
    cases = [(_matrix((2, 3, 3), complex), _rhs((3, 2), complex), o) for o in OPTIONS]
    with_scipy = [_grads(a, b, np.ones((2, 3, 2)), **dict(zip(_KEYS, o))) for a, b, o in cases]
    for name in ("scipy.linalg", "scipy.linalg.blas"):
        monkeypatch.setitem(sys.modules, name, None)  # `import` now raises ImportError
    for (a, b, o), want in zip(cases, with_scipy):
        for got, expected in zip(_grads(a, b, np.ones((2, 3, 2)), **dict(zip(_KEYS, o))), want):
            np.testing.assert_allclose(got, expected, rtol=1e-12)
    singular = np.array([[0.41, 0.0, 0.0], [0.26, 0.0, 0.0], [0.70, 0.96, 0.93]])
    for a in (np.zeros((2, 2)), singular):  # an LU of the latter rounds to a nonzero pivot
        with pytest.raises(np.linalg.LinAlgError, match="^solve_triangular: singular matrix: "):
            L.solve_triangular(a, np.ones(a.shape[0]), lower=True)
    check_grads(_solver(False, 1, True), [_matrix((3, 3)), _rhs((3,))], order=2)


def test_array_api_strict_values_and_gradients_match_numpy():
    xp = pytest.importorskip("array_api_strict")
    a, b, g = _matrix((2, 3, 3)), _rhs((3,)), _rhs((2, 3))
    for options in ({"lower": True}, {"trans": 2, "unit_diagonal": True}):
        want = _grads(a, b, g, **options)
        got = _grads(xp.asarray(a), xp.asarray(b), xp.asarray(g), **options)
        for got_part, want_part in zip(got, want):
            np.testing.assert_allclose(np.asarray(got_part), want_part, rtol=1e-12)


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("a Dask recipe was computed while building the graph")


def test_dask_solves_one_matrix_lazily_and_refuses_stacks():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    a, b, g = _matrix((5, 5), complex), _rhs((2, 5, 3), complex), _rhs((2, 5, 3), complex)
    for options in ({"lower": True}, {"trans": 1}, {"lower": True, "trans": 2, "unit_diagonal": 1}):
        with dask.config.set(scheduler=_refuse_to_compute):
            lazy = (da.from_array(x, chunks=2) for x in (a, b, g))
            parts = _lazy_grads(*lazy, options)
        with _one_blas_thread():  # dask's blocks go through SciPy's solve_triangular
            computed = dask.compute(*parts)
        for got, want in zip(computed, _grads(a, b, g, **options)):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(NotImplementedError) as error:
        L.solve_triangular(tg.constant(da.ones((2, 3, 3))), tg.constant(da.ones((3, 1))))
    assert str(error.value) == (
        "tg.linalg.solve_triangular is not available for these dask arrays: dask solves one "
        "triangular matrix, not a stack of shape (2, 3, 3); compute it on NumPy or CuPy arrays "
        "(t.numpy()) if it fits in memory"
    )


def _lazy_grads(a, b, g, options):
    a, b = tg.constant(a), tg.constant(b)
    with tg.GradientTape() as tape:
        tape.watch([a, b])
        x = L.solve_triangular(a, b, **options)
    ga, gb = tape.gradient(x, [a, b], output_gradients=tg.constant(g))
    return x._value, ga._value, gb._value


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "a_shape, b_shape, message",
    [
        (
            (2, 3),
            (2,),
            "solve_triangular needs square matrices, an array of shape (..., n, n); got shape "
            "(2, 3): a holds the triangular matrices; use tg.linalg.lstsq otherwise",
        ),
        (
            (2, 2),
            (3,),
            "solve_triangular: a of shape (2, 2) and b of shape (3,) do not match: b must be a "
            "vector of length 2 or matrices of shape (..., 2, k)",
        ),
        (
            (2, 2),
            (),
            "solve_triangular: a of shape (2, 2) and b of shape () do not match: b must be a "
            "vector of length 2 or matrices of shape (..., 2, k)",
        ),
        (
            (2, 2, 2),
            (3, 2, 1),
            "solve_triangular: a of shape (2, 2, 2) and b of shape (3, 2, 1) do not match: "
            "their stacks (2,) and (3,) do not broadcast",
        ),
    ],
)
def test_shape_errors(a_shape, b_shape, message):
    with pytest.raises(ValueError) as error:
        L.solve_triangular(tg.ones(a_shape), tg.ones(b_shape))
    assert str(error.value) == message


@pytest.mark.parametrize("trans", [3, -1, "X", "n", None, True, 1.0])
def test_bad_trans_values(trans):
    with pytest.raises(ValueError) as error:
        L.solve_triangular(np.eye(2), np.ones(2), trans=trans)
    assert str(error.value) == (
        f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', not {trans!r}: 0 (or 'N') "
        "solves a x = b, 1 ('T') aᵀ x = b, 2 ('C') aᴴ x = b"
    )


def test_other_errors():
    with pytest.raises(TypeError) as error:
        L.solve_triangular("abc", np.ones(2))
    assert str(error.value) == (
        "cannot convert str 'abc' to a tensor: tapegrad holds numbers only (bool, integer, "
        "floating-point or complex)"
    )
    with pytest.raises(TypeError) as error:
        L.solve_triangular(np.eye(2, dtype=np.float16), np.ones(2, dtype=np.float16))
    assert str(error.value) == (
        "solve_triangular: array type float16 is unsupported in linalg: cast to float32 or "
        "float64 first (tg.astype)"
    )
    with pytest.raises(TypeError) as error:
        L.cho_solve(np.eye(2), np.ones(2))
    assert str(error.value) == (
        "cho_solve takes (c, lower) as its first argument, a Cholesky factor and whether it is "
        "lower-triangular, not ndarray: pass (tg.linalg.cholesky(a), True)"
    )
    with pytest.raises(ValueError) as error:
        L.cho_solve((np.ones((2, 3)), True), np.ones(2))
    assert str(error.value) == (
        "cho_solve needs square matrices, an array of shape (..., n, n); got shape (2, 3): c "
        "holds Cholesky factors, as tg.linalg.cholesky gives them"
    )
    with pytest.raises(ValueError) as error:
        L.cho_solve((np.eye(2), True), np.ones(3))
    assert str(error.value) == (
        "cho_solve: c of shape (2, 2) and b of shape (3,) do not match: b must be a vector of "
        "length 2 or matrices of shape (..., 2, k)"
    )


def test_a_stack_of_many_small_triangles_is_one_batched_solve_with_the_same_values():
    a, b = _matrix((3, 4, 5, 5)), _rhs((4, 5, 2))  # 12 matrices: the batched path
    for options in OPTIONS:
        keywords = dict(zip(_KEYS, options))
        got = L.solve_triangular(tg.constant(a), tg.constant(b), **keywords).numpy()
        for index in np.ndindex(3, 4):
            want = scipy.linalg.solve_triangular(a[index], b[index[1:]], **keywords)
            np.testing.assert_allclose(got[index], want, rtol=1e-10)
    a[1, 2, 3, 3] = 0.0
    with pytest.raises(np.linalg.LinAlgError, match="resolution failed at diagonal 3"):
        L.solve_triangular(a, b, lower=True)
