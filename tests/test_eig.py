"""The general eigendecomposition: values against NumPy (up to order and phase), dtypes and
stacks, first and second derivatives of eigenvalue losses and of losses that do not depend on
the eigenvectors' phases, agreement with eigh on symmetric input, repeated eigenvalues, the
refusal of phase-dependent losses, errors, and the backends."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops import eig as eig_ops
from tapegrad.testing import check_grads

L = tg.linalg
RNG = np.random.default_rng(5)


def _separated(n, *stack, complex_=False):
    """Random matrices near diag(2, 4, ...): distinct eigenvalues, well-conditioned V."""
    x = RNG.standard_normal(stack + (n, n)) * 0.3
    if complex_:
        x = x + 1j * RNG.standard_normal(stack + (n, n)) * 0.3
    return x + np.diag(np.arange(1.0, n + 1) * 2)


def _rotated(n, *stack):
    """Real matrices with a pair of complex eigenvalues (about 3 ± 3.9i) beside real ones."""
    x = _separated(n, *stack)
    x[..., 0, 1] += 4.0
    x[..., 1, 0] -= 4.0
    return x


def _assert_same_values(got, want, tol):
    """The same eigenvalues, in any order (a pair λ, conj(λ) has no order that roundoff keeps)."""
    got, want = np.asarray(got).ravel(), np.asarray(want).ravel()
    distance = np.abs(got[:, None] - want[None, :])
    scale = tol * np.abs(want).max()
    assert distance.min(axis=0).max() <= scale and distance.min(axis=1).max() <= scale


def _grad(f, x):
    return tg.grad(f)(tg.constant(x)).numpy()


def _vh(v):
    return tg.conj(tg.matrix_transpose(v))


# -- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.complex64),
        (np.float64, np.complex128),
        (np.complex64, np.complex64),
        (np.complex128, np.complex128),
        (np.int64, np.complex128),
    ],
)
def test_values_dtypes_and_eigen_equation_match_numpy(dtype, expected):
    x = (_rotated(4) * 2).astype(dtype) if dtype != np.complex64 else _separated(4, complex_=True)
    x = x.astype(dtype)
    w, v = L.eig(tg.constant(x))
    assert w.dtype == expected and v.dtype == expected
    assert L.eigvals(tg.constant(x)).dtype == expected
    tol = 1e-4 if expected == np.complex64 else 1e-12
    want = np.linalg.eigvals(x.astype(np.complex128))
    _assert_same_values(w.numpy(), want, tol)
    _assert_same_values(L.eigvals(tg.constant(x)).numpy(), want, tol)
    w, v = w.numpy(), v.numpy()
    np.testing.assert_allclose(x @ v, v * w, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=tol)


def test_stacks_and_empty_shapes():
    x = _rotated(3, 2, 3)
    w, v = L.eig(tg.constant(x))
    assert w.shape == (2, 3, 3) and v.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(x @ v.numpy(), v.numpy() * w.numpy()[..., None, :], atol=1e-12)
    np.testing.assert_allclose(L.eigvals(tg.constant(x)).numpy(), np.linalg.eigvals(x))
    assert L.eig(tg.zeros((0, 2, 2))).eigenvectors.shape == (0, 2, 2)
    assert L.eigvals(tg.zeros((2, 0, 0))).shape == (2, 0)
    assert isinstance(L.eig(tg.constant(x)), L.EigResult)


# -- derivatives ----------------------------------------------------------------------------------
def _eigenvalue_loss(function):
    def loss(x):
        w = function(x)
        return tg.stack([tg.sum(tg.real(w) ** 2), tg.sum(tg.imag(w * w)), tg.sum(tg.abs(w) ** 2)])

    return loss


@pytest.mark.parametrize("function", [L.eigvals, lambda x: L.eig(x).eigenvalues])
@pytest.mark.parametrize(
    "x",
    [_rotated(3), _separated(3, complex_=True), _rotated(2, 2), _separated(2, 2, complex_=True)],
    ids=["real", "complex", "real-stack", "complex-stack"],
)
def test_eigenvalue_derivatives_to_second_order(function, x):
    check_grads(_eigenvalue_loss(function), [x], order=2, modes=("fwd", "rev"))


def _phase_invariant(x):
    """Functions of the eigenvectors that depend neither on their phases nor on LAPACK's order
    of the eigenvalues (which a small change of the matrix can reorder)."""
    w, v = L.eig(x)
    n = v.shape[-1]
    rows = tg.asarray(np.arange(1.0, n + 1)[:, None], like=x)
    weights = tg.asarray(np.arange(1.0, 1.0 + n * n).reshape(n, n), like=x)
    gram = tg.matmul(v, _vh(v))  # Σ v_k v_kᴴ
    spectral = tg.matmul(v * (w * w)[..., None, :], _vh(v))  # V diag(λ²) Vᴴ
    return tg.stack(
        [
            tg.sum(tg.abs(v) ** 2 * tg.real(w)[..., None, :] * rows),
            tg.sum(tg.real(gram) * weights),
            tg.sum(tg.imag(gram) * weights),
            tg.sum(tg.real(spectral) * weights),
            tg.sum(tg.imag(spectral) * weights),
        ]
    )


@pytest.mark.parametrize(
    "x",
    [_rotated(3), _separated(3, complex_=True), _rotated(2, 2), _separated(3)],
    ids=["real", "complex", "real-stack", "real-eigenvalues"],
)
def test_phase_invariant_eigenvector_derivatives_to_second_order(x):
    check_grads(_phase_invariant, [x], order=2, modes=("fwd", "rev"))


def test_real_input_gets_a_real_gradient_of_its_dtype():
    x = tg.constant(_rotated(3).astype(np.float32))
    g = tg.grad(lambda x: tg.sum(tg.abs(L.eig(x).eigenvectors) ** 2 * x))(x)
    assert g.dtype == tg.float32
    g = tg.grad(lambda x: tg.sum(tg.imag(L.eigvals(x)) ** 2))(x)
    assert g.dtype == tg.float32


def test_symmetric_input_gives_eighs_eigenvalue_derivatives():
    a = _separated(4)
    x = (a + a.T) / 2
    loss_eig = lambda x: tg.sum(tg.real(L.eig(x).eigenvalues) ** 3)  # noqa: E731
    loss_vals = lambda x: tg.sum(tg.real(L.eigvals(x)) ** 3)  # noqa: E731
    loss_eigh = lambda x: tg.sum(L.eigvalsh(x) ** 3)  # noqa: E731
    want = _grad(loss_eigh, x)
    np.testing.assert_allclose(_grad(loss_eig, x), want, rtol=1e-10)
    np.testing.assert_allclose(_grad(loss_vals, x), want, rtol=1e-10)
    t = RNG.standard_normal((4, 4))
    t = (t + t.T) / 2
    _, want = tg.jvp(loss_eigh, (tg.constant(x),), (tg.constant(t),))
    _, got = tg.jvp(loss_vals, (tg.constant(x),), (tg.constant(t),))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10)


def test_repeated_eigenvalues_follow_eighs_policy():
    # 1 twice, with two eigenvectors; triangular, so that LAPACK finds 1 exactly twice (a
    # non-normal matrix's repeated eigenvalue is computed with an error of about eps times the
    # condition number of V, and then counts as two distinct values)
    x = np.array([[1.0, 0.0, 0.7], [0.0, 1.0, -0.4], [0.0, 0.0, 2.0]])
    squares = lambda f: lambda x: tg.sum(tg.real(f(x)) ** 2)  # noqa: E731
    # the eigenvalues alone: exact (d trace(x²) = 2 xᵀ)
    np.testing.assert_allclose(_grad(squares(L.eigvals), x), 2 * x.T, rtol=1e-12, atol=1e-12)
    eigenvalues = squares(lambda x: L.eig(x).eigenvalues)
    np.testing.assert_allclose(_grad(eigenvalues, x), 2 * x.T, rtol=1e-12, atol=1e-12)
    # the eigenvectors of the repeated value: not determined, NaN
    weights = tg.constant(RNG.standard_normal((3, 3)))

    def gram(x):
        v = L.eig(x).eigenvectors
        return tg.sum(tg.real(tg.matmul(v, _vh(v))) * weights)

    assert np.isnan(_grad(gram, x)).any()
    t = tg.constant(RNG.standard_normal((3, 3)))
    _, dv = tg.jvp(lambda x: L.eig(x).eigenvectors, (tg.constant(x),), (t,))
    assert np.isnan(dv.numpy()).any()
    # at the identity, the derivative of a symmetric function of the values is exact
    _, dw = tg.jvp(L.eigvals, (tg.constant(np.eye(3)),), (t,))
    np.testing.assert_allclose(np.sum(dw.numpy()), np.trace(t.numpy()), rtol=1e-12)


def test_eigvals_rules_match_eigenvectors_to_their_own_order():
    x = tg.constant(_rotated(4))
    w = L.eigvals(x)[..., ::-1]
    v = eig_ops._eigenvectors_for(w, x).numpy()
    np.testing.assert_allclose(x.numpy() @ v, v * w.numpy(), atol=1e-12)


# -- errors and backends --------------------------------------------------------------------------
def test_a_loss_of_the_phase_is_refused_in_reverse_mode():
    x = tg.constant(_rotated(3))
    with pytest.raises(ValueError) as error:
        tg.grad(lambda x: tg.sum(tg.real(L.eig(x).eigenvectors)))(x)
    assert str(error.value) == (
        "eig: the loss depends on the eigenvectors' phases (v → e^{iφ} v), which are "
        "arbitrary, so its derivative is not defined: differentiate a function that does "
        "not depend on them, such as abs(v), v vᴴ or V diag(f(λ)) Vᴴ"
    )


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_non_square_input_is_refused(name):
    with pytest.raises(ValueError) as error:
        getattr(L, name)(tg.ones((2, 3)))
    assert str(error.value) == (
        f"{name} needs square matrices, an array of shape (..., n, n); got shape (2, 3): "
        "eigenvalues are defined for square matrices only"
    )


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_dask_refuses_naming_the_function(name):
    da = pytest.importorskip("dask.array")
    with pytest.raises(NotImplementedError) as error:
        getattr(L, name)(tg.constant(da.ones((2, 2))))
    assert str(error.value) == (
        f"tg.linalg.{name} is not available for dask arrays: dask has no linalg.{name}; "
        "compute it on NumPy or CuPy arrays (t.numpy()) if it fits in memory"
    )


def test_array_api_strict_values_and_gradients_match_numpy():
    xp = pytest.importorskip("array_api_strict")
    x = _rotated(3)
    loss = lambda x: _phase_invariant(x)[0] + tg.sum(tg.abs(L.eigvals(x)))  # noqa: E731
    got = tg.grad(loss)(tg.constant(xp.asarray(x)))
    assert type(got._value).__module__.startswith("array_api_strict")
    np.testing.assert_allclose(got.numpy(), _grad(loss, x), rtol=1e-12)
    w = L.eig(tg.constant(xp.asarray(x))).eigenvalues
    np.testing.assert_allclose(w.numpy(), L.eig(tg.constant(x)).eigenvalues.numpy())
