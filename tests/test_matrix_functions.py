"""The matrix exponential: values against SciPy, every degree and scaling, the special matrices,
derivatives of first to third order (also where eigenvalues repeat), errors, and the backends."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg

import tapegrad as tg
from tapegrad.ops import matrix_functions
from tapegrad.testing import check_grads

L = tg.linalg
RNG = np.random.default_rng(11)


def _tol(dtype, norm=1.0, units=20):
    """A relative error of ``units`` units of roundoff, times the 1-norm past 1 (the condition
    number of exp, and with it any algorithm's error, grows with the norm)."""
    return units * np.finfo(dtype).eps * max(1.0, norm)


EXTENDED = np.finfo(np.longdouble).eps < 1e-18  # x87 80-bit or quad: a reference to check SciPy


def _extended_expm(x):
    """exp(x) in long double: the Taylor series of x / 2^s, ‖x / 2^s‖₁ < 0.05, squared s times."""
    a = x.astype(np.clongdouble if x.dtype.kind == "c" else np.longdouble)
    s = max(0, math.ceil(math.log2(max(np.abs(x).sum(axis=0).max(), 1e-300) / 0.05)))
    a = a / 2**s
    term = result = np.eye(len(x), dtype=a.dtype)
    for k in range(1, 30):
        term = term @ a / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


def _with_norm(norm, n=4, stack=(), complex_=False, rng=RNG):
    """Random matrices scaled to 1-norm ``norm`` each."""
    x = rng.standard_normal(stack + (n, n))
    if complex_:
        x = x + 1j * rng.standard_normal(stack + (n, n))
    return x * (norm / np.abs(x).sum(axis=-2).max(axis=-1))[..., None, None]


def _relative_error(got, want):
    return float(np.sqrt(np.sum(np.abs(got - want) ** 2) / np.sum(np.abs(want) ** 2)))


def _expm_grad(x, cotangent):
    """The VJP of expm at ``x`` with ``cotangent``: d/dx <cotangent, expm(x)>."""
    xs = tg.constant(x)
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = L.expm(xs)
    return tape.gradient(y, xs, output_gradients=tg.constant(cotangent)).numpy()


def _chosen(monkeypatch):
    """The (degree, squarings) of each expm call, recorded."""
    seen, inside = [], []
    pade, matmul = matrix_functions._pade, matrix_functions.matmul

    def recording_pade(a, m):
        seen.append([m, 0])
        inside.append(True)
        try:
            return pade(a, m)
        finally:
            inside.pop()

    def counting_matmul(a, b):
        if a is b and not inside:  # a squaring of the approximant
            seen[-1][1] += 1
        return matmul(a, b)

    monkeypatch.setattr(matrix_functions, "_pade", recording_pade)
    monkeypatch.setattr(matrix_functions, "matmul", counting_matmul)
    return seen


# -- values ---------------------------------------------------------------------------------------
DOUBLE_NORMS = [(0.01, 3, 0), (0.2, 5, 0), (0.9, 7, 0), (2.0, 9, 0), (5.0, 13, 0), (60.0, 13, 4)]
SINGLE_NORMS = [(0.3, 3, 0), (1.5, 5, 0), (3.5, 7, 0), (60.0, 7, 4)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_values_match_scipy_at_every_degree_and_scaling(dtype, monkeypatch):
    single = dtype in (np.float32, np.complex64)
    seen = _chosen(monkeypatch)
    for norm, degree, squarings in SINGLE_NORMS if single else DOUBLE_NORMS:
        x = _with_norm(norm, complex_=dtype in (np.complex64, np.complex128)).astype(dtype)
        got = L.expm(tg.constant(x))
        assert got.dtype == dtype
        want = scipy.linalg.expm(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64))
        if single:
            assert _relative_error(got.numpy(), want) < _tol(dtype, norm), (norm, dtype)
            continue
        # SciPy's own error reaches a few hundred units of roundoff times the norm (measured
        # against long double); expm's stays within about 2 units times the norm
        assert _relative_error(got.numpy(), want) < _tol(dtype, norm, units=1000), norm
        if EXTENDED:
            assert _relative_error(got.numpy(), _extended_expm(x)) < _tol(dtype, norm, 10), norm
        assert seen[-1] == [degree, squarings], norm


def test_a_stack_shares_one_degree_and_matches_scipy_matrix_by_matrix(monkeypatch):
    seen = _chosen(monkeypatch)
    x = _with_norm(1.0, n=3, stack=(2, 3)) * np.array([0.01, 1.0, 20.0])[:, None, None]
    got = L.expm(tg.constant(x)).numpy()
    assert seen == [[13, 2]]  # from the largest 1-norm, 20
    for index in np.ndindex(2, 3):
        assert _relative_error(got[index], scipy.linalg.expm(x[index])) < _tol(np.float64, 20, 1000)


def test_empty_and_one_by_one_matrices():
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        out = L.expm(tg.constant(np.zeros(shape)))
        assert out.shape == shape and out.dtype == tg.float64
    a = np.array([[[-3.0]], [[0.5]], [[40.0]]])
    np.testing.assert_allclose(L.expm(tg.constant(a)).numpy(), np.exp(a), rtol=_tol(np.float64, 40))


def test_zero_is_exactly_the_identity():
    for dtype in (np.float32, np.float64, np.complex64, np.complex128):
        out = L.expm(tg.constant(np.zeros((2, 3, 3), dtype=dtype))).numpy()
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_nilpotent_matrices_give_their_finite_series():
    n = np.triu(RNG.standard_normal((4, 4)), k=1) * 3
    series = np.eye(4) + n + n @ n / 2 + n @ n @ n / 6
    np.testing.assert_allclose(L.expm(tg.constant(n)).numpy(), series, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(np.tril(L.expm(tg.constant(n)).numpy(), k=-1), 0)


def test_diagonal_matrices_have_exp_on_the_diagonal_and_exact_zeros_off_it():
    for d in ([-3.0, 0.5, 2.0, 7.0], [1e-3, -1e-3, 0.0, 0.1], [-30.0, 25.0, 1.0, 0.0]):
        out = L.expm(tg.constant(np.diag(d))).numpy()
        np.testing.assert_array_equal(out - np.diag(np.diag(out)), 0)
        np.testing.assert_allclose(np.diag(out), np.exp(d), rtol=_tol(np.float64, max(np.abs(d))))


def test_integer_and_bool_matrices_give_float64_as_inv_and_det_do():
    ints = np.array([[1, 2], [0, -1]], dtype=np.int32)
    out = L.expm(tg.constant(ints))
    assert out.dtype == L.inv(tg.constant(ints)).dtype == tg.float64
    np.testing.assert_allclose(out.numpy(), scipy.linalg.expm(ints.astype(float)), rtol=1e-15)
    assert L.expm(tg.constant(np.eye(2, dtype=bool))).dtype == tg.float64


def test_lists_variables_and_the_pytorch_name():
    assert L.matrix_exp is L.expm
    np.testing.assert_allclose(L.expm([[0.0, 1.0], [-1.0, 0.0]]).numpy()[0, 0], math.cos(1.0))
    v = tg.Variable(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with tg.GradientTape() as tape:
        y = tg.sum(L.matrix_exp(v))
    want = scipy.linalg.expm_frechet(v.numpy().T, np.ones((2, 2)), compute_expm=False)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), want, rtol=1e-15)


def test_inf_and_nan_give_nan_for_their_own_matrix_only():
    x = np.stack([np.eye(2), [[np.nan, 0.0], [0.0, 1.0]], [[np.inf, 1.0], [0.0, 0.0]]])
    xs = tg.constant(x)
    with tg.GradientTape() as tape:
        tape.watch(xs)
        out = L.expm(xs)
    grad = tape.gradient(out, xs).numpy()
    np.testing.assert_allclose(out.numpy()[0], np.e * np.eye(2), rtol=1e-15)
    assert np.isnan(out.numpy()[1:]).all() and np.isnan(grad[1:]).all()
    np.testing.assert_allclose(grad[0], np.full((2, 2), np.e), rtol=1e-14)  # L(cI, E) = e^c E


def test_huge_norms_finish():
    # s = 1018 squarings: exp(-1e300) underflows to 0 exactly, and the rotation stays orthogonal
    np.testing.assert_array_equal(L.expm(tg.constant(-1e300 * np.eye(2))).numpy(), 0)
    r = L.expm(tg.constant(np.array([[0.0, 1e8], [-1e8, 0.0]]))).numpy()
    np.testing.assert_allclose(r @ r.T, np.eye(2), atol=1e-6)
    with np.errstate(over="ignore"):  # |x|₁ overflows to inf
        assert np.isnan(L.expm(tg.constant(np.full((2, 2), 1e308))).numpy()).all()


@pytest.mark.parametrize("shape", [(3,), (2, 3), (), (2, 3, 2)])
def test_non_square_input_is_refused_as_the_other_linalg_functions_do(shape):
    with pytest.raises(ValueError) as error:
        L.expm(tg.ones(shape))
    assert str(error.value) == (
        f"expm needs square matrices, an array of shape (..., n, n); got shape {shape}: the "
        "matrix exponential is defined for square matrices only"
    )


# -- derivatives ----------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", [0.1, 1.5, 8.0])
def test_first_and_second_derivatives_at_random_matrices(norm):
    x = _with_norm(norm, n=3, rng=np.random.default_rng(int(norm * 10)))
    check_grads(L.expm, [x], order=2, modes=("fwd", "rev"))


def test_first_and_second_derivatives_of_a_complex_stack():
    a, b = _with_norm(1.0, n=2, stack=(2,)), _with_norm(3.0, n=2, stack=(2,))

    def f(a, b):
        out = L.expm(tg.astype(a, tg.complex128) + tg.astype(b, tg.complex128) * 1j)
        return tg.stack([tg.real(out), tg.imag(out)])

    check_grads(f, [a, b], order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("point", ["zero", "identity"])
def test_first_and_second_derivatives_where_every_eigenvalue_repeats(point):
    x = np.zeros((3, 3)) if point == "zero" else np.eye(3)
    check_grads(L.expm, [x], order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("complex_", [False, True])
def test_gradient_is_the_frechet_derivative_at_the_conjugate_transpose(complex_):
    # <G, L(X, E)> = <L(Xᴴ, G), E> (the adjoint of exp's Fréchet derivative), and tapegrad's VJP
    # of a complex function multiplies by the conjugate derivative: the VJP is L(Xᴴ, G)
    for norm in (0.01, 0.5, 3.0, 30.0):
        x = _with_norm(norm, complex_=complex_)
        cotangent = _with_norm(1.0, complex_=complex_)
        want = scipy.linalg.expm_frechet(x.conj().T, cotangent, compute_expm=False)
        assert _relative_error(_expm_grad(x, cotangent), want) < 1e-14, norm
    for x in (np.zeros((4, 4)), np.eye(4), np.diag([1.0, 1.0, 2.0, 2.0])):  # repeated eigenvalues
        x = x.astype(cotangent.dtype)
        want = scipy.linalg.expm_frechet(x.T, cotangent, compute_expm=False)
        assert _relative_error(_expm_grad(x, cotangent), want) < 1e-14


def test_hessian_at_zero_and_at_the_identity_is_exact():
    # expm(c I + E) = e^c (I + E + E²/2 + ...): the second derivative in directions E, F is
    # e^c (EF + FE)/2, so for <G, expm(X)> it is e^c (δ_jk G_il + δ_li G_kj)/2 at (i, j), (k, l)
    n = 3
    g = RNG.standard_normal((n, n))
    eye = np.eye(n)
    want = (np.einsum("jk,il->ijkl", eye, g) + np.einsum("li,kj->ijkl", eye, g)) / 2
    loss = lambda x: tg.sum(tg.constant(g) * L.expm(x))  # noqa: E731
    for c in (0.0, 1.0):
        hessian = tg.hessian(loss)(tg.constant(c * eye)).numpy()
        np.testing.assert_allclose(hessian, math.exp(c) * want, rtol=1e-14, atol=1e-15)


def test_third_derivatives():
    g, e = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    along = lambda x: lambda t: tg.sum(g * L.expm(x + t * e))  # noqa: E731
    # at 0 every derivative along E is exact: d³/dt³ <G, expm(tE)> = <G, E³>
    third = tg.grad(tg.grad(tg.grad(along(np.zeros((3, 3))))))(tg.constant(0.0, tg.float64))
    np.testing.assert_allclose(float(third), np.sum(g * (e @ e @ e)), rtol=1e-13)
    # at a matrix that needs scaling, against central differences of the second derivative
    x = _with_norm(7.0, n=3)
    second = tg.grad(tg.grad(along(x)))
    h = 1e-4
    numerical = float(second(tg.constant(h, tg.float64))) - float(
        second(tg.constant(-h, tg.float64))
    )
    third = float(tg.grad(second)(tg.constant(0.0, tg.float64)))
    np.testing.assert_allclose(third, numerical / (2 * h), rtol=1e-6)
    check_grads(lambda x: L.expm(x)[0, 1], [x], order=3, modes="rev")


# -- backends -------------------------------------------------------------------------------------
def test_array_api_strict_values_and_gradients_match_numpy():
    xp = pytest.importorskip("array_api_strict")
    x, g = _with_norm(20.0, n=3, stack=(2,)), RNG.standard_normal((2, 3, 3))
    for device in (None, xp.Device("device1")):
        xs = tg.constant(xp.asarray(x, device=device))
        with tg.GradientTape() as tape:
            tape.watch(xs)
            out = L.expm(xs)
        grad = tape.gradient(out, xs, output_gradients=tg.constant(xp.asarray(g, device=device)))
        assert out._value.device == grad._value.device == xs._value.device
        np.testing.assert_allclose(np.asarray(out.numpy()), L.expm(x).numpy(), rtol=1e-14)
        np.testing.assert_allclose(np.asarray(grad.numpy()), _expm_grad(x, g), rtol=1e-13)


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("a Dask recipe was computed while building the graph")


def test_dask_builds_value_and_gradient_without_computing():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    # past 16 squarings (1-norm > 5.37 * 2**16) Dask gives NaN, as JAX's max_squarings does
    nan, huge = np.array([[np.nan, 0.0], [0.0, 1.0]]), -4e5 * np.eye(2)
    x = np.stack([_with_norm(0.01, n=2), _with_norm(30.0, n=2), nan, huge])
    g = RNG.standard_normal(x.shape)
    with dask.config.set(scheduler=_refuse_to_compute):
        xs = tg.constant(da.from_array(x, chunks=(2, 2, 2)))
        with tg.GradientTape() as tape:
            tape.watch(xs)
            out = L.expm(xs)
        grad = tape.gradient(out, xs, output_gradients=tg.constant(da.from_array(g)))
        empty = L.expm(tg.constant(da.zeros((0, 2, 2))))
    assert empty.shape == (0, 2, 2)
    out, grad = dask.compute(out._value, grad._value)
    for i in range(2):
        assert _relative_error(out[i], scipy.linalg.expm(x[i])) < _tol(np.float64, 30, 1000)
    assert _relative_error(grad[:2], _expm_grad(x[:2], g[:2])) < 1e-13
    assert np.isnan(out[2:]).all() and np.isnan(grad[2:]).all()
    np.testing.assert_array_equal(L.expm(tg.constant(huge)).numpy(), 0)  # NumPy squares on


def test_a_large_matrix_in_a_stack_leaves_its_neighbours_exact():
    """Each matrix is scaled by its own s: a shared one scaled the small matrix down to the
    identity beside a huge one (the identity, and zero gradients, at 1e50)."""
    a = np.array([[0.0, 1.0], [-1.0, 0.0]])
    for big in (1e5, 1e50, 1e300):
        x = tg.constant(np.stack([a, -big * np.eye(2)]))
        got = L.expm(x).numpy()
        assert _relative_error(got[0], scipy.linalg.expm(a)) < 1e-15 and got[1].max() == 0.0
        gradient = tg.grad(lambda x: tg.sum(L.expm(x)[0]))(x).numpy()
        alone = tg.grad(lambda a: tg.sum(L.expm(a)))(tg.constant(a)).numpy()
        np.testing.assert_allclose(gradient[0], alone, atol=1e-15)


def test_float16_is_refused_by_name_and_empty_dask_stacks_work():
    with pytest.raises(TypeError) as caught:
        L.expm(tg.constant(np.eye(2, dtype=np.float16)))
    assert str(caught.value) == (
        "expm: float16 matrices are not supported (the solve it needs works in float32 and "
        "float64): cast with tg.astype(x, tg.float32)"
    )
    da = pytest.importorskip("dask.array")
    out = L.expm(tg.constant(da.zeros((2, 0, 0), chunks=1)))
    assert out.shape == (2, 0, 0) and out.numpy().shape == (2, 0, 0)
