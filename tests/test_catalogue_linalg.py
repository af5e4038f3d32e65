"""Semantics of linalg, fft, special functions and einsum: values against NumPy and SciPy, the
complex convention, degenerate points and errors. Derivatives are checked in the gradient table
(rows_linalg.py); here, the cases a table cannot hold."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.special

import tapegrad as tg
from tapegrad.ops import special as special_ops
from tapegrad.testing import check_grads

L, F, S = tg.linalg, tg.fft, tg.special
RNG = np.random.default_rng(7)


def _random(*shape, complex_=False):
    x = RNG.standard_normal(shape)
    if complex_:
        x = x + 1j * RNG.standard_normal(shape)
    return x


def _well(n, *stack, complex_=False):
    return _random(*stack, n, n, complex_=complex_) * 0.3 + np.diag(np.arange(1.0, n + 1) * 2)


def _hermitian(n, complex_=False):
    a = _well(n, complex_=complex_)
    return (a + a.conj().T) / 2


def _grad(f, *args):
    xs = [tg.constant(a) for a in args]
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    grads = tape.gradient(y, xs)
    return [g.numpy() for g in grads] if len(grads) > 1 else grads[0].numpy()


def _complex(a, b):
    return tg.astype(a, tg.complex128) + tg.astype(b, tg.complex128) * np.asarray(1j)


def _numeric_grad(f, x, eps=1e-6):
    """dL/dx (+ i dL/dy for complex x) by central differences, L real."""
    x = np.asarray(x)
    out = np.zeros(x.shape, dtype=x.dtype)
    for index in np.ndindex(x.shape):
        for unit in (1.0, 1j) if x.dtype.kind == "c" else (1.0,):
            step = np.zeros(x.shape, dtype=x.dtype)
            step[index] = unit * eps
            slope = (float(f(tg.constant(x + step))) - float(f(tg.constant(x - step)))) / (2 * eps)
            out[index] += unit * slope
    return out


# -- the namespaces -------------------------------------------------------------------------------
ARRAY_API_LINALG = (
    "cholesky cross det diagonal eigh eigvalsh inv matmul matrix_norm matrix_power matrix_rank "
    "matrix_transpose outer pinv qr slogdet solve svd svdvals tensordot trace vecdot vector_norm"
).split()
ARRAY_API_FFT = (
    "fft ifft fftn ifftn rfft irfft rfftn irfftn hfft ihfft fftfreq rfftfreq fftshift ifftshift"
).split()


def test_namespaces_hold_every_function_of_the_extensions():
    assert set(ARRAY_API_LINALG) | {"norm", "lstsq"} <= set(L.__all__)
    assert set(ARRAY_API_FFT) == set(F.__all__)
    assert {"erf", "erfc", "erfinv", "gammaln", "digamma", "expit", "logit"} <= set(S.__all__)
    for module in (L, F, S):
        for name in module.__all__:
            assert getattr(module, name).__doc__, name
    for name in ("einsum", "tensordot", "vecdot", "matmul"):
        assert callable(getattr(tg, name))


def test_result_tuples_have_the_array_api_field_names():
    a = tg.constant(_hermitian(3))
    assert L.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert L.svd(a)._fields == ("U", "S", "Vh")
    assert L.qr(a)._fields == ("Q", "R")
    assert L.slogdet(a)._fields == ("sign", "logabsdet")


# -- values against NumPy -------------------------------------------------------------------------
def _close(tensor, expected, **kw):
    np.testing.assert_allclose(np.asarray(tensor), expected, rtol=1e-10, atol=1e-12, **kw)


def test_square_matrix_functions_match_numpy_on_stacks():
    a = _well(3, 2)
    spd = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    t = tg.constant(a)
    _close(L.inv(t), np.linalg.inv(a))
    _close(L.det(t), np.linalg.det(a))
    sign, logabsdet = L.slogdet(t)
    _close(sign, np.linalg.slogdet(a)[0])
    _close(logabsdet, np.linalg.slogdet(a)[1])
    _close(L.cholesky(tg.constant(spd)), np.linalg.cholesky(spd))
    _close(L.cholesky(tg.constant(spd), upper=True), np.swapaxes(np.linalg.cholesky(spd), -1, -2))
    _close(L.matrix_power(t, 3), np.linalg.matrix_power(a, 3))
    _close(L.matrix_power(t, -2), np.linalg.matrix_power(a, -2))
    _close(L.matrix_power(t, 0), np.broadcast_to(np.eye(3), a.shape))
    _close(L.trace(t, offset=1), np.trace(a, offset=1, axis1=-2, axis2=-1))
    _close(L.diagonal(t, offset=-1), np.diagonal(a, offset=-1, axis1=-2, axis2=-1))
    _close(L.matrix_transpose(t), np.swapaxes(a, -1, -2))


def test_solve_takes_a_vector_or_stacked_matrices():
    a = _well(3, 2)
    b = _random(3)
    _close(L.solve(tg.constant(a), tg.constant(b)), np.linalg.solve(a, b))
    bm = _random(2, 3, 4)
    _close(L.solve(tg.constant(a), tg.constant(bm)), np.linalg.solve(a, bm))


def test_decompositions_match_numpy():
    h = _hermitian(4)
    w, v = L.eigh(tg.constant(h))
    _close(w, np.linalg.eigvalsh(h))
    _close(np.abs(v.numpy()), np.abs(np.linalg.eigh(h)[1]))
    _close(L.eigvalsh(tg.constant(h)), np.linalg.eigvalsh(h))
    for shape in ((4, 2), (2, 4), (3, 3)):
        a = _random(*shape)
        for full in (True, False):
            u, s, vh = L.svd(tg.constant(a), full_matrices=full)
            nu, ns, nvh = np.linalg.svd(a, full_matrices=full)
            assert u.shape == nu.shape and vh.shape == nvh.shape
            _close(s, ns)
            _close(np.abs(u.numpy()), np.abs(nu))
            _close(np.abs(vh.numpy()), np.abs(nvh))
        _close(L.svdvals(tg.constant(a)), np.linalg.svd(a, compute_uv=False))
        for mode in ("reduced", "complete"):
            q, r = L.qr(tg.constant(a), mode=mode)
            nq, nr = np.linalg.qr(a, mode=mode)
            _close(q, nq)
            _close(r, nr)


def test_pinv_lstsq_and_rank_match_numpy():
    a = _random(5, 3)
    _close(L.pinv(tg.constant(a)), np.linalg.pinv(a))
    low_rank = _random(4, 2) @ _random(2, 3)
    _close(L.pinv(tg.constant(low_rank)), np.linalg.pinv(low_rank))
    assert int(L.matrix_rank(tg.constant(low_rank))) == 2
    for b in (_random(5), _random(5, 2)):
        x, residuals, rank, s = L.lstsq(tg.constant(a), tg.constant(b))
        nx, nres, nrank, ns = np.linalg.lstsq(a, b)
        _close(x, nx)
        _close(residuals, nres)
        assert rank == nrank
        _close(s, ns)
    x, residuals, rank, _ = L.lstsq(tg.constant(low_rank), tg.constant(_random(4)))
    assert rank == 2 and residuals.shape == (0,)


@pytest.mark.parametrize(
    "ord", [None, 1, 2, -1, -2, 3, 0.5, 0, np.inf, -np.inf], ids=lambda o: f"ord={o}"
)
def test_vector_norms_match_numpy(ord):  # noqa: A002
    x = _random(2, 3, 4)
    for axis in (None, -1, 0) if ord is None else (-1, 0):
        kwargs = {} if ord is None else {"ord": ord}
        for keepdims in (False, True):
            _close(
                L.norm(tg.constant(x), axis=axis, keepdims=keepdims, **kwargs),
                np.linalg.norm(x, axis=axis, keepdims=keepdims, **kwargs),
            )
            if ord is not None:
                _close(
                    L.vector_norm(tg.constant(x), axis=axis, keepdims=keepdims, ord=ord),
                    np.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord),
                )


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms_match_numpy(ord):  # noqa: A002
    x = _random(2, 3, 4)
    _close(L.matrix_norm(tg.constant(x), ord=ord), np.linalg.matrix_norm(x, ord=ord))
    _close(
        L.matrix_norm(tg.constant(x), ord=ord, keepdims=True),
        np.linalg.matrix_norm(x, ord=ord, keepdims=True),
    )
    _close(
        L.norm(tg.constant(x), ord=ord, axis=(2, 0), keepdims=True),
        np.linalg.norm(x, ord=ord, axis=(2, 0), keepdims=True),
    )


def test_norm_neither_overflows_nor_underflows():
    for scale in (1e200, 1e-200):
        x = tg.constant(np.array([3.0, 4.0]) * scale)
        np.testing.assert_allclose(float(L.vector_norm(x)), 5 * scale, rtol=1e-14)
        np.testing.assert_allclose(float(L.vector_norm(x, ord=3)), 91 ** (1 / 3) * scale)
    assert float(L.vector_norm(tg.constant([np.inf, 1.0]))) == np.inf
    assert np.isnan(float(L.vector_norm(tg.constant([np.nan, 1.0]))))


def test_products_match_numpy():
    a, b = _random(2, 3, 4), _random(4, 3, 2)
    _close(
        tg.tensordot(tg.constant(a), tg.constant(b), axes=([1, 2], [1, 0])),
        np.tensordot(a, b, axes=([1, 2], [1, 0])),
    )
    _close(
        tg.tensordot(tg.constant(a), tg.constant(b[:, :, 0]), axes=1),
        np.tensordot(a, b[:, :, 0], axes=1),
    )
    u, v = _random(4, 3, complex_=True), _random(3, complex_=True)
    _close(tg.vecdot(tg.constant(u), tg.constant(v)), np.vecdot(u, v))
    _close(L.outer(tg.constant(v), tg.constant(v[:2])), np.outer(v, v[:2]))
    p, q = _random(2, 3), _random(3)
    _close(L.cross(tg.constant(p), tg.constant(q)), np.cross(p, q))
    _close(L.cross(tg.constant(p.T), tg.constant(p.T), axis=-2), np.cross(p.T, p.T, axis=-2))


EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ba", [(2, 3)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->ji", [(2, 2, 3)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("ij,ij->", [(2, 3), (1, 3)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    (" i j , j k -> k i ", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("subscripts,shapes", EINSUMS)
def test_einsum_matches_numpy(subscripts, shapes):
    ops = [_random(*s) for s in shapes]
    _close(tg.einsum(subscripts, *[tg.constant(o) for o in ops]), np.einsum(subscripts, *ops))


def test_einsum_gradient_of_a_repeated_operand_and_complex_operands():
    a = _random(3, 3)
    np.testing.assert_allclose(_grad(lambda x: tg.einsum("ij,ij->", x, x), a), 2 * a)
    np.testing.assert_allclose(_grad(lambda x: tg.einsum("ii", x), a), np.eye(3))
    z, w = _random(2, 3, complex_=True), _random(3, complex_=True)
    check_grads(
        lambda a, b, c, d: tg.einsum("ij,j->i", _complex(a, b), _complex(c, d)),
        [z.real, z.imag, w.real, w.imag],
        order=2,
    )


# -- fft ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", ["backward", "ortho", "forward"])
def test_fft_functions_match_numpy(norm):
    x, z = _random(3, 6), _random(3, 5, complex_=True)
    tx, tz = tg.constant(x), tg.constant(z)
    _close(F.fft(tz, n=7, axis=0, norm=norm), np.fft.fft(z, n=7, axis=0, norm=norm))
    _close(F.ifft(tz, n=4, norm=norm), np.fft.ifft(z, n=4, norm=norm))
    _close(F.fftn(tz, s=(2, 6), norm=norm), np.fft.fftn(z, s=(2, 6), axes=(0, 1), norm=norm))
    _close(F.ifftn(tz, axes=(0,), norm=norm), np.fft.ifftn(z, axes=(0,), norm=norm))
    _close(F.rfft(tx, norm=norm), np.fft.rfft(x, norm=norm))
    _close(F.irfft(tz, norm=norm), np.fft.irfft(z, norm=norm))
    _close(F.irfft(tz, n=9, axis=0, norm=norm), np.fft.irfft(z, n=9, axis=0, norm=norm))
    _close(F.rfftn(tx, norm=norm), np.fft.rfftn(x, norm=norm))
    _close(F.rfftn(tx, s=(4, 5), norm=norm), np.fft.rfftn(x, s=(4, 5), axes=(0, 1), norm=norm))
    _close(F.irfftn(tz, norm=norm), np.fft.irfftn(z, norm=norm))
    _close(F.irfftn(tz, s=(2, 7), norm=norm), np.fft.irfftn(z, s=(2, 7), axes=(0, 1), norm=norm))
    _close(F.hfft(tz, norm=norm), np.fft.hfft(z, norm=norm))
    _close(F.ihfft(tx, n=5, norm=norm), np.fft.ihfft(x, n=5, norm=norm))


def test_fft_shifts_and_frequencies_match_numpy():
    x = _random(4, 5)
    _close(F.fftshift(tg.constant(x)), np.fft.fftshift(x))
    _close(F.ifftshift(tg.constant(x), axes=1), np.fft.ifftshift(x, axes=1))
    _close(F.ifftshift(F.fftshift(tg.constant(x))), x)
    freq = F.fftfreq(5, d=0.5)
    assert freq.dtype == tg.float32
    np.testing.assert_allclose(freq.numpy(), np.fft.fftfreq(5, d=0.5))
    np.testing.assert_allclose(F.rfftfreq(6, dtype=tg.float64).numpy(), np.fft.rfftfreq(6))


def test_rfft_adjoint_halves_the_interior_bins():
    """The cotangent of rfft is the adjoint of the real-to-half-spectrum map, written out."""
    for n in (6, 7):
        x = _random(n)
        c = _random(n // 2 + 1, complex_=True)
        dft = np.exp(-2j * np.pi * np.outer(np.arange(n // 2 + 1), np.arange(n)) / n)
        expected = np.real(dft.conj().T @ c)  # d Re<c, F x> / dx
        got = _grad(lambda v: tg.real(tg.sum(tg.conj(tg.constant(c)) * F.rfft(v))), x)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# -- the complex convention: grad = dL/dx + i dL/dy -----------------------------------------------
COMPLEX_LOSSES = {
    "inv": lambda z: tg.sum(tg.abs(L.inv(z)) ** 2),
    "det": lambda z: tg.abs(L.det(z)) ** 2,
    "logabsdet": lambda z: L.slogdet(z).logabsdet,
    "sign": lambda z: tg.real(L.slogdet(z).sign * np.asarray(0.3 - 0.7j)),
    "solve": lambda z: tg.sum(tg.abs(L.solve(z, tg.constant(np.arange(3.0)))) ** 2),
    "pinv": lambda z: tg.sum(tg.abs(L.pinv(z)) ** 2),
    "svdvals": lambda z: tg.sum(L.svdvals(z) ** 3),
    "svd": lambda z: tg.sum(tg.abs(L.svd(z).U) ** 4),
    "qr": lambda z: tg.sum(tg.abs(L.qr(z).R) ** 3),
    "eigh": lambda z: tg.sum(tg.abs(L.eigh(z).eigenvectors) ** 4),
    "eigvalsh": lambda z: tg.sum(L.eigvalsh(z) ** 3),
    "cholesky": lambda z: tg.sum(
        tg.abs(L.cholesky(tg.matmul(z, L.matrix_transpose(tg.conj(z))))) ** 3
    ),
    "matrix_norm": lambda z: L.matrix_norm(z, ord="nuc"),
    "vector_norm": lambda z: L.vector_norm(z, ord=3),
    "fft": lambda z: tg.sum(tg.abs(F.fft(z, axis=0)) ** 3),
    "ifftn": lambda z: tg.sum(tg.abs(F.ifftn(z, s=(2, 4))) ** 3),
    "irfft": lambda z: tg.sum(F.irfft(z) ** 3),
    "hfft": lambda z: tg.sum(F.hfft(z, n=5) ** 3),
    "vecdot": lambda z: tg.sum(tg.abs(tg.vecdot(z, z[::-1])) ** 2),
    "einsum": lambda z: tg.abs(tg.einsum("ij,jk,ki", z, z, z)) ** 2,
}


@pytest.mark.parametrize("name", sorted(COMPLEX_LOSSES))
def test_complex_gradients_are_steepest_ascent(name):
    loss = COMPLEX_LOSSES[name]
    z = _well(3, complex_=True)
    if name in ("eigh", "eigvalsh"):
        z = _hermitian(3, complex_=True)
    got = _grad(loss, z)
    np.testing.assert_allclose(got, _numeric_grad(loss, z), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "f",
    [
        L.inv,
        L.det,
        lambda z: L.solve(z, z[..., :1]),
        L.pinv,
        lambda z: L.slogdet(z).logabsdet,
        lambda z: F.fftn(z, axes=(-1,)),
        lambda z: F.irfft(z, n=5),
        lambda z: tg.einsum("...ij,...jk->...ik", z, z),
    ],
    ids=["inv", "det", "solve", "pinv", "logabsdet", "fftn", "irfft", "einsum"],
)
def test_complex_derivatives_to_second_order(f):
    z = _well(3, 2, complex_=True)
    check_grads(lambda a, b: f(_complex(a, b)), [z.real, z.imag], order=2)


def test_complex_decompositions_to_second_order():
    z = _well(3, complex_=True)
    h = _hermitian(3, complex_=True)
    checks = [
        (lambda a: tg.abs(L.svd(a).U) ** 2, z),
        (lambda a: tg.abs(L.svd(a[:, :2], full_matrices=False).Vh) ** 2, z),
        (lambda a: L.svd(a[:2]).S, z),
        (lambda a: L.qr(a).R, z),
        (lambda a: tg.abs(L.eigh(a).eigenvectors) ** 2, h),
        (lambda a: L.cholesky(tg.matmul(a, tg.conj(L.matrix_transpose(a)))), z),
    ]
    for f, x in checks:
        check_grads(lambda a, b, f=f: f(_complex(a, b)), [x.real, x.imag], order=2)


# -- degenerate points ----------------------------------------------------------------------------
def _jvp(f, x, t):
    return tg.jvp(f, (tg.constant(x),), (tg.constant(t),))[1].numpy()


def _rebuilt(x):  # V diag(w) Vᵀ == x: basis-independent, but it reads the repeated eigenvectors
    w, v = L.eigh(x)
    return tg.matmul(v * w[None, :], L.matrix_transpose(v))


SWAP = np.array([[0.0, 1.0], [1.0, 0.0]])


def test_eigh_at_repeated_eigenvalues_is_exact_where_determined_and_nan_where_not():
    q = np.linalg.qr(_random(4, 4))[0]
    a = q @ np.diag([1.0, 1.0, 1.0, 3.0]) @ q.T
    # losses of the eigenvalues alone, symmetric in the repeated ones: exact, both modes
    for f in (lambda x: tg.sum(L.eigh(x).eigenvalues ** 2), lambda x: tg.sum(L.eigvalsh(x) ** 2)):
        np.testing.assert_allclose(_grad(f, a), 2 * a, rtol=1e-10, atol=1e-10)
        t = _random(4, 4)
        np.testing.assert_allclose(_jvp(f, a, t), 2 * np.sum(a * t), rtol=1e-10)
    # the projector on the eigenvector of the simple eigenvalue 3: exact (dP = R dX P + P dX R,
    # R = (I - P) / (3 - 1)), although the other three eigenvalues coincide
    p = np.outer(q[:, 3], q[:, 3])
    r = (np.eye(4) - p) / 2
    c = _random(4, 4)
    c = c + c.T

    def projector(x):
        v = L.eigh(x).eigenvectors[:, 3]
        return tg.sum(v[:, None] * v[None, :] * tg.constant(c))

    np.testing.assert_allclose(_grad(projector, a), r @ c @ p + p @ c @ r, rtol=1e-9, atol=1e-12)
    t = _random(4, 4)
    t = t + t.T
    np.testing.assert_allclose(_jvp(projector, a, t), np.sum(c * (r @ t @ p + p @ t @ r)))
    check_grads(projector, [a], order=1)
    check_grads(lambda x: tg.sum(tg.exp(L.eigvalsh(x))), [a], order=1)
    # V diag(exp(w)) Vᵀ reads the eigenvectors of the repeated eigenvalue: its derivative there
    # is a divided difference of exp that the rule cannot see, so NaN (it was 0, silently wrong)
    eye = np.eye(2)

    def expm_loss(x):
        w, v = L.eigh(x)
        return tg.sum(tg.matmul(v * tg.exp(w)[None, :], L.matrix_transpose(v)) * SWAP)

    assert np.isnan(_grad(expm_loss, eye)).all()
    assert np.isnan(_jvp(_rebuilt, eye, SWAP)).all()
    # a tangent that keeps the eigenspace apart (diagonal): exact, d(V diag(w) Vᵀ) = dX
    np.testing.assert_allclose(_jvp(_rebuilt, eye, np.diag([1.0, 2.0])), np.diag([1.0, 2.0]))
    # eigenvalues 1e-3 apart are not degenerate: the full derivative
    near = np.diag([1.0, 1.001])
    np.testing.assert_allclose(_jvp(_rebuilt, near, SWAP), SWAP, rtol=1e-9, atol=1e-12)
    # second derivatives differentiate the eigenvectors: NaN along the directions that mix the
    # repeated eigenspace (x01, x10), exact along the others
    hessian = tg.hessian(lambda x: tg.sum(L.eigvalsh(x) ** 2))(tg.constant(eye)).numpy()
    hessian = hessian.reshape(4, 4)
    np.testing.assert_array_equal(hessian[:, [0, 3]], [[2, 0], [0, 0], [0, 0], [0, 2]])
    assert np.isnan(hessian[:, [1, 2]]).all()


def test_svd_at_repeated_singular_values_is_exact_where_determined_and_nan_where_not():
    q = np.linalg.qr(_random(3, 3))[0]  # every singular value is 1
    np.testing.assert_allclose(_grad(lambda x: tg.sum(L.svd(x).S), q), q, atol=1e-10)
    np.testing.assert_allclose(_grad(lambda x: L.matrix_norm(x, ord="nuc"), q), q, atol=1e-10)
    np.testing.assert_allclose(_grad(lambda x: tg.sum(L.svdvals(x) ** 2), 2 * q), 4 * q, atol=1e-10)
    t = _random(3, 3)
    for f in (lambda x: tg.sum(L.svd(x).S), lambda x: L.matrix_norm(x, ord="nuc")):
        np.testing.assert_allclose(_jvp(f, q, t), np.sum(q * t), rtol=1e-10)
    # the largest and the smallest of two equal singular values share the gradient
    for order in (2, -2):
        got = _grad(lambda x: L.matrix_norm(x, ord=order), np.eye(2))
        np.testing.assert_array_equal(got, 0.5 * np.eye(2))
    # singular vectors of the simple singular value 1 of U diag(2, 2, 1) Vᵀ: exact
    u, v = np.linalg.qr(_random(3, 3))[0], np.linalg.qr(_random(3, 3))[0]
    m = u @ np.diag([2.0, 2.0, 1.0]) @ v.T
    c = _random(3, 3)

    def simple(x):
        u, s, vh = L.svd(x)
        return tg.sum(u[:, 2:] * vh[2:, :] * tg.constant(c)) + tg.sum(s**2)

    got = _grad(simple, m)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, _numeric_grad(simple, m), rtol=1e-6, atol=1e-8)
    t = _random(3, 3)
    np.testing.assert_allclose(_jvp(simple, m, t), np.sum(got * t), rtol=1e-10)
    # U diag(S²) Uᵀ (= x xᵀ) and the polar factor U Vh read the repeated singular vectors: NaN
    for f in (
        lambda x: (lambda u, s, vh: tg.matmul(u * (s**2)[None, :], L.matrix_transpose(u)))(
            *L.svd(x)
        ),
        lambda x: (lambda u, s, vh: tg.matmul(u, vh))(*L.svd(x)),
    ):
        assert np.isnan(_grad(lambda x, f=f: tg.sum(f(x) * SWAP), np.eye(2))).all()
        assert np.isnan(_jvp(f, np.eye(2), SWAP)).all()
        assert np.isfinite(_jvp(f, np.diag([2.0, 1.0]), SWAP)).all()  # distinct: determined
    gram = _jvp(
        lambda x: (lambda u, s, vh: tg.matmul(u * (s**2)[None, :], L.matrix_transpose(u)))(
            *L.svd(x)
        ),
        np.diag([2.0, 1.0]),
        SWAP,
    )
    np.testing.assert_allclose(gram, [[0.0, 3.0], [3.0, 0.0]], atol=1e-12)
    # first derivatives of the determined losses, checked numerically in both modes
    check_grads(simple, [m], order=1)
    check_grads(lambda x: L.matrix_norm(x, ord="nuc"), [2 * q], order=1)


def test_vector_norm_gradients_at_repeated_entries_are_exact():
    x = np.array([3.0, -3.0, 3.0])
    for order, expected in [(2, x / np.sqrt(27)), (1, np.sign(x)), (np.inf, np.sign(x) / 3)]:
        got = _grad(lambda v, o=order: L.vector_norm(v, ord=o), x)
        np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_det_is_differentiable_at_singular_matrices():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(_grad(L.det, a), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    b = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    cofactor = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(_grad(L.det, b), cofactor, atol=1e-10)
    np.testing.assert_allclose(_grad(L.det, np.zeros((3, 3))), np.zeros((3, 3)), atol=1e-12)
    t = tg.constant(a)
    with tg.ForwardAccumulator(t, tg.constant(np.eye(2))) as acc:
        y = L.det(t)
    np.testing.assert_allclose(acc.jvp(y).numpy(), 5.0)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: L.vector_norm(x),
        lambda x: L.norm(x),
        lambda x: L.matrix_norm(x),
        lambda x: L.vector_norm(x, ord=3),
        lambda x: L.norm(x, axis=0),
    ],
    ids=["vector_norm", "norm", "matrix_norm", "p_norm", "norm_axis"],
)
def test_norm_gradient_at_zero_is_zero(f):
    x = tg.constant(np.zeros((2, 3)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.zeros((2, 3)))
    with tg.ForwardAccumulator(x, tg.constant(np.ones((2, 3)))) as acc:
        y = f(x)
    assert np.all(acc.jvp(y).numpy() == 0)


def test_full_svd_of_a_non_square_matrix():
    a = tg.constant(_random(4, 2))
    np.testing.assert_allclose(
        _grad(lambda x: tg.sum(L.svd(x).S), a.numpy()),
        _grad(lambda x: tg.sum(L.svdvals(x)), a.numpy()),
    )
    with pytest.raises(ValueError, match=r"full_matrices=True.*not unique.*full_matrices=False"):
        _grad(lambda x: tg.sum(L.svd(x).U), a.numpy())
    with tg.ForwardAccumulator(a, tg.constant(np.ones((4, 2)))) as acc:
        u = L.svd(a).U
    tangent = acc.jvp(u).numpy()
    assert np.all(np.isfinite(tangent[:, :2])) and np.all(np.isnan(tangent[:, 2:]))


def test_complete_qr_of_a_tall_matrix():
    a = _random(4, 2)
    np.testing.assert_allclose(
        _grad(lambda x: tg.sum(L.qr(x, mode="complete").R ** 2), a),
        _grad(lambda x: tg.sum(L.qr(x).R ** 2), a),
    )
    with pytest.raises(ValueError, match=r"mode='complete'.*not unique.*mode='reduced'"):
        _grad(lambda x: tg.sum(L.qr(x, mode="complete").Q), a)


def test_cholesky_and_eigh_read_the_hermitian_part():
    a = _well(3)
    h = (a + a.T) / 2
    _close(L.eigvalsh(tg.constant(a)), np.linalg.eigvalsh(h))
    _close(
        L.cholesky(tg.constant(a @ a.T + np.triu(np.ones((3, 3))))),
        np.linalg.cholesky(a @ a.T + (np.triu(np.ones((3, 3))) + np.tril(np.ones((3, 3)))) / 2),
    )
    g = _grad(lambda x: tg.sum(L.cholesky(x) ** 3), a @ a.T)
    np.testing.assert_allclose(g, g.T, atol=1e-12)


def test_batched_results_match_matrix_by_matrix():
    a = _well(3, 2, 2)
    tensors = [L.inv, L.det, L.eigvalsh, L.svdvals, lambda x: L.qr(x).R, L.pinv]
    for f in tensors:
        whole = f(tg.constant(a)).numpy()
        for i in np.ndindex(2, 2):
            np.testing.assert_allclose(whole[i], f(tg.constant(a[i])).numpy(), rtol=1e-12)


# -- special functions ----------------------------------------------------------------------------
SPECIAL = [
    ("erf", S.erf, scipy.special.erf, np.linspace(-4, 4, 41)),
    ("erfc", S.erfc, scipy.special.erfc, np.linspace(-4, 26, 41)),
    ("erfinv", S.erfinv, scipy.special.erfinv, np.array([-1, -0.999999, -0.3, 0, 1e-300, 0.9, 1])),
    ("gammaln", S.gammaln, scipy.special.gammaln, np.array([0.1, 0.5, 1, 2.5, 30, 1e5, -2.5])),
    ("digamma", S.digamma, scipy.special.digamma, np.array([1e-3, 0.5, 1, 7.5, 1e4, -2.5])),
    ("expit", S.expit, scipy.special.expit, np.array([-800.0, -3, 0, 2, 800])),
    ("logit", S.logit, scipy.special.logit, np.array([1e-300, 1e-8, 0.3, 0.5, 1 - 1e-12])),
]


@pytest.mark.parametrize("name,ours,theirs,x", SPECIAL, ids=[s[0] for s in SPECIAL])
def test_special_functions_match_scipy(name, ours, theirs, x):
    np.testing.assert_allclose(ours(tg.constant(x)).numpy(), theirs(x), rtol=1e-13, atol=0)


@pytest.mark.parametrize("name,ours,theirs,x", SPECIAL, ids=[s[0] for s in SPECIAL])
def test_special_functions_without_scipy(name, ours, theirs, x, monkeypatch):
    monkeypatch.setattr(special_ops, "_library", lambda x: None)
    np.testing.assert_allclose(ours(tg.constant(x)).numpy(), theirs(x), rtol=2e-13, atol=0)


def test_polygamma_matches_scipy_with_and_without_scipy(monkeypatch):
    x = np.array([1e-2, 0.5, 3.0, 40.0, -1.5])
    for n in (0, 1, 2, 4):
        expected = scipy.special.polygamma(n, x)
        np.testing.assert_allclose(S.polygamma(n, tg.constant(x)).numpy(), expected, rtol=1e-13)
        with monkeypatch.context() as patch:
            patch.setattr(special_ops, "_library", lambda x: None)
            np.testing.assert_allclose(S.polygamma(n, tg.constant(x)).numpy(), expected, rtol=1e-12)


def test_special_derivatives_chain_through_the_family():
    x = np.array([0.7, 2.0])
    np.testing.assert_allclose(_grad(S.gammaln, x), scipy.special.digamma(x))
    np.testing.assert_allclose(_grad(S.digamma, x), scipy.special.polygamma(1, x))
    np.testing.assert_allclose(_grad(lambda v: S.polygamma(2, v), x), scipy.special.polygamma(3, x))
    np.testing.assert_allclose(
        _grad(S.erfinv, np.array([0.3])),
        np.sqrt(np.pi) / 2 * np.exp(scipy.special.erfinv(0.3) ** 2),
    )
    np.testing.assert_allclose(_grad(S.logit, np.array([0.25])), [1 / (0.25 * 0.75)])
    y = tg.constant(np.array([1e-300]))
    assert np.isfinite(S.logit(y).numpy()).all()


# -- errors ---------------------------------------------------------------------------------------
ERRORS = [
    (lambda: L.inv(tg.ones((2, 3))), ValueError, r"inv needs square matrices.*\(2, 3\).*pinv"),
    (lambda: L.det(tg.ones((3,))), ValueError, r"det needs square matrices.*\(3,\)"),
    (lambda: L.inv(tg.constant([[1.0, 2.0], [2.0, 4.0]])), np.linalg.LinAlgError, r"inv: .*pinv"),
    (lambda: L.solve(tg.ones((2, 2)), tg.ones((3,))), ValueError, r"solve: x1 of shape \(2, 2\)"),
    (
        lambda: L.cholesky(tg.constant([[1.0, 2.0], [2.0, 1.0]])),
        np.linalg.LinAlgError,
        r"cholesky: .*positive-definite",
    ),
    (lambda: L.cross(tg.ones((2,)), tg.ones((2,))), ValueError, r"cross: .*must have 3"),
    (lambda: L.outer(tg.ones((2, 2)), tg.ones((2,))), ValueError, r"outer needs two 1-D"),
    (lambda: tg.vecdot(tg.ones((2,)), tg.ones((3,))), ValueError, r"vecdot: .*same length"),
    (lambda: tg.tensordot(tg.ones((2,)), tg.ones((3,)), axes=1), ValueError, r"tensordot: axis"),
    (lambda: L.matrix_norm(tg.ones((2, 2)), ord=3), ValueError, r"matrix_norm: ord must be"),
    (lambda: L.vector_norm(tg.ones((2,)), ord="fro"), ValueError, r"matrix_norm"),
    (lambda: L.norm(tg.ones((2, 2, 2)), ord=1), ValueError, r"norm: .*give axis"),
    (lambda: L.qr(tg.ones((2, 2)), mode="r"), ValueError, r"mode must be 'reduced' or"),
    (lambda: L.matrix_power(tg.ones((2, 2)), 1.5), TypeError, r"n must be an integer"),
    (lambda: tg.einsum("ij,jk", tg.ones((2, 2))), ValueError, r"name 2 operands, but 1"),
    (lambda: tg.einsum("ij", tg.ones((2,))), ValueError, r"shape \(2,\) does not match"),
    (lambda: tg.einsum("ij,jk", tg.ones((2, 3)), tg.ones((2, 2))), ValueError, r"'j'.*3 and 2"),
    (lambda: tg.einsum("i->j", tg.ones((2,))), ValueError, r"output subscript 'j'"),
    (lambda: tg.einsum("...i->i", tg.ones((2, 2))), ValueError, r"add '...' to the output"),
    (lambda: tg.einsum(tg.ones((2,)), "i"), TypeError, r"subscripts as a string first"),
    (lambda: F.fft(tg.ones((4,)), norm="none"), ValueError, r"norm must be 'backward'"),
    (lambda: F.fft(tg.ones((4,)), axis=1), ValueError, r"axis 1 is out of bounds"),
    (lambda: F.rfft(tg.ones((4,), dtype=tg.complex64)), TypeError, r"rfft takes a real"),
    (lambda: F.irfft(tg.ones((1,), dtype=tg.complex64)), ValueError, r"irfft: .*give n"),
    (lambda: F.fftfreq(0), ValueError, r"fftfreq: n must be at least 1; got 0"),
    (lambda: F.rfftfreq(2.5), TypeError, r"rfftfreq: n must be an integer, not 2.5"),
    (lambda: S.polygamma(-1, tg.ones((2,))), ValueError, r"nonnegative integer"),
]


@pytest.mark.parametrize("call,error,message", ERRORS, ids=[e[2][:30] for e in ERRORS])
def test_errors_name_the_function_the_value_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_matrix_rank_of_empty_matrices_is_zero_as_in_numpy():
    for shape, expected in [((3, 0), 0), ((0, 3), 0), ((2, 0, 0), [0, 0])]:
        rank = L.matrix_rank(tg.zeros(shape))
        assert (rank.dtype, rank.numpy().tolist()) == (tg.int64, expected)


def test_matrix_rank_has_no_derivative():
    x = tg.constant(_well(3))
    with tg.GradientTape() as tape:
        tape.watch(x)
        r = L.matrix_rank(x)
    assert r.dtype.kind == "i" and int(r) == 3
    assert tape.gradient(r, x) is None


@pytest.mark.parametrize(
    ("values", "order"), [([np.inf, 1.0], -1), ([-np.inf, 0.0], -2), ([np.inf, 1.0], 1)]
)
def test_vector_norm_with_an_infinite_entry_matches_numpy(values, order):
    x = np.array(values)
    with np.errstate(divide="ignore"):
        expected = np.linalg.norm(x, ord=order)
        assert float(tg.linalg.vector_norm(tg.constant(x), ord=order)) == expected


def test_pinv_of_an_integer_matrix_is_float64_as_inv():
    result = tg.linalg.pinv(tg.constant([[2, 0], [0, 4]]))
    assert result.dtype == tg.float64
    assert result.numpy().tolist() == [[0.5, 0.0], [0.0, 0.25]]


def test_polygamma_keeps_float32():
    x = tg.constant(np.array([1.5], np.float32))
    assert tg.special.polygamma(2, x).dtype == tg.float32


def test_the_digamma_and_polygamma_fallbacks_take_scipys_values_at_the_poles():
    poles = np.array([0.0, -0.0, -1.0, -3.0])
    digamma = special_ops._FALLBACKS["psi"](poles)
    assert digamma[0] == -np.inf and digamma[1] == np.inf and np.isnan(digamma[2:]).all()
    polygamma = special_ops._FALLBACKS["polygamma"]
    assert polygamma(1, poles).tolist() == [np.inf] * 4
    assert polygamma(2, poles).tolist() == [-np.inf] * 4
    scipy_special = pytest.importorskip("scipy.special")
    points = np.array([-2.5, 0.3, 7.0, 1e-300])
    np.testing.assert_allclose(
        special_ops._FALLBACKS["psi"](points), scipy_special.psi(points), rtol=1e-13
    )


def test_det_second_derivatives_are_exact_at_a_numerically_singular_matrix():
    # det rounds to -2.7e-17 here, not 0: det * inv(x)^T was taken and its derivative cancelled
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 2)) @ rng.standard_normal((2, 3))

    def det3(m):  # the same polynomial, written out
        return (
            m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
            - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])
        )

    expected = tg.hessian(det3)(tg.constant(a)).numpy()
    for how in (tg.hessian, lambda f: tg.jacrev(tg.jacrev(f))):
        np.testing.assert_allclose(how(L.det)(tg.constant(a)).numpy(), expected, atol=1e-12)


def test_det_derivatives_of_every_order_are_exact_at_rank_n_minus_2_and_below():
    # two vanishing singular values: the SVD cofactor's derivative misses the terms that mix
    # them, so the cofactor is taken from minors there
    np.testing.assert_array_equal(
        tg.hessian(L.det)(tg.constant(np.zeros((2, 2)))).numpy().reshape(4, 4),
        [[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0], [1, 0, 0, 0]],
    )
    hessian = tg.hessian(L.det)(tg.constant(np.diag([1.0, 0.0, 0.0]))).numpy().reshape(9, 9)
    expected = np.zeros((9, 9))
    expected[4, 8] = expected[8, 4] = 1.0  # d2 / da22 da33 = a11
    expected[5, 7] = expected[7, 5] = -1.0  # d2 / da23 da32 = -a11
    np.testing.assert_array_equal(hessian, expected)
    # third derivatives of the 3 x 3 determinant are the signs of the permutations
    third = tg.jacfwd(tg.hessian(L.det))(tg.constant(np.zeros((3, 3)))).numpy()
    expected = np.zeros((3,) * 6)
    for perm in itertools.permutations(range(3)):
        sign = np.linalg.det(np.eye(3)[list(perm)])
        for order in itertools.permutations(range(3)):
            i, j, k = order
            expected[i, perm[i], j, perm[j], k, perm[k]] = sign
    np.testing.assert_array_equal(third.reshape((3,) * 6), expected)
    # rank 1 of 4 x 4, batched beside a regular matrix, against the written-out polynomial
    rng = np.random.default_rng(2)
    a = np.stack([rng.standard_normal((4, 1)) @ rng.standard_normal((1, 4)), _random(4, 4)])

    leibniz, leibniz3 = _leibniz(4), _leibniz(3)
    for how in (tg.hessian, lambda f: tg.jacfwd(tg.jacrev(f))):
        got = how(lambda m: tg.sum(L.det(m)))(tg.constant(a)).numpy()
        want = how(lambda m: tg.sum(leibniz(m)))(tg.constant(a)).numpy()
        np.testing.assert_allclose(got, want, atol=1e-12)
    # repeated singular values (diag(1, 1, 0)) and a 3 x 3 matrix of rank 2 with distinct ones
    for m in (np.diag([1.0, 1.0, 0.0]), np.arange(1.0, 10.0).reshape(3, 3)):
        got = tg.jacfwd(tg.hessian(L.det))(tg.constant(m)).numpy()
        want = tg.jacfwd(tg.hessian(leibniz3))(tg.constant(m)).numpy()
        np.testing.assert_allclose(got, want, atol=1e-12)
        assert np.abs(want).max() == 1.0
    # complex singular matrices: the vanishing singular vectors have no phase to follow
    m = np.array([[1.0, 1j], [1j, -1.0]])
    np.testing.assert_allclose(
        tg.hessian(L.det, holomorphic=True)(tg.constant(m)).numpy().reshape(4, 4),
        [[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0], [1, 0, 0, 0]],
        atol=1e-15,
    )
    rng = np.random.default_rng(3)
    c = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))) @ (
        rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    )
    np.testing.assert_allclose(
        tg.hessian(L.det, holomorphic=True)(tg.constant(c)).numpy(),
        tg.hessian(leibniz3, holomorphic=True)(tg.constant(c)).numpy(),
        atol=1e-12,
    )


def _leibniz(n):
    """The determinant of n x n matrices written out as the sum over permutations."""

    def det(m):
        terms = []
        for p in itertools.permutations(range(n)):
            term = np.linalg.det(np.eye(n)[list(p)])
            for i in range(n):
                term = term * m[..., i, p[i]]
            terms.append(term)
        return sum(terms)

    return det


# -- empty matrices, rcond, integer arguments, fft lengths ---------------------------------------
EMPTY_MATRICES = [(0, 0), (3, 0), (0, 3), (2, 0, 0)]


@pytest.mark.parametrize("shape", EMPTY_MATRICES, ids=str)
def test_matrix_norms_of_empty_matrices_match_numpy(shape):
    x = np.zeros(shape)
    for order in ["fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]:
        try:
            expected = np.linalg.matrix_norm(x, ord=order)
        except ValueError:  # the smallest of no values: NumPy raises, and so does tapegrad
            with pytest.raises(ValueError, match=rf"^matrix_norm: ord={order!r} is the smallest"):
                L.matrix_norm(tg.constant(x), ord=order)
            continue
        got = L.matrix_norm(tg.constant(x), ord=order)
        assert (got.shape, got.numpy().tolist()) == (expected.shape, expected.tolist())
        kept = L.matrix_norm(tg.constant(x), ord=order, keepdims=True)
        assert kept.shape == np.linalg.matrix_norm(x, ord=order, keepdims=True).shape
        assert _grad(lambda v, o=order: tg.sum(L.matrix_norm(v, ord=o)), x).shape == shape
    if len(shape) == 2:
        for order in (2, 1, np.inf, "nuc", None):
            assert float(L.norm(tg.constant(x), ord=order)) == np.linalg.norm(x, ord=order) == 0


def test_negative_matrix_norm_orders_of_empty_matrices_name_the_function_and_the_fix():
    with pytest.raises(ValueError) as caught:
        L.matrix_norm(tg.zeros((0, 0)), ord=-2)
    assert str(caught.value) == (
        "matrix_norm: ord=-2 is the smallest of the singular values, and matrices of shape "
        "(0, 0) have none (NumPy raises too): use a positive ord, which gives 0"
    )


@pytest.mark.parametrize("rcond", [-1, -0.5, 0])
def test_lstsq_takes_a_nonpositive_rcond_as_machine_precision_as_numpy(rcond):
    a = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])  # rank 1
    b = np.array([1.0, 2.0, 3.0])
    x, residuals, rank, s = L.lstsq(tg.constant(a), tg.constant(b), rcond=rcond)
    nx, nres, nrank, ns = np.linalg.lstsq(a, b, rcond=rcond)
    np.testing.assert_allclose(x.numpy(), [0.2, 0.4], rtol=1e-14)
    np.testing.assert_allclose(x.numpy(), nx, rtol=1e-14)
    assert rank == nrank == 1
    assert residuals.shape == nres.shape == (0,)
    _close(s[:1], ns[:1])


def test_tensordot_refuses_duplicate_axes_as_numpy():
    a, b = tg.ones((2, 3)), tg.ones((3, 3))
    for axes, which in [(([1, 1], [0, 1]), "x1"), (([1, -1], [0, 1]), "x1")]:
        with pytest.raises(ValueError) as caught:
            tg.tensordot(a, b, axes=axes)
        assert str(caught.value) == (
            f"tensordot: axes={axes!r} name axis 1 of {which} more than once; duplicate axes are "
            "not allowed in tensordot (as in NumPy): pair each axis once, or take the diagonal "
            "first with tg.einsum"
        )
    with pytest.raises(ValueError, match=r"^tensordot: .* name axis 1 of x2 more than once"):
        tg.tensordot(b, b, axes=([0, 1], [1, -1]))


def test_integer_axis_arguments_take_numpy_integers_and_refuse_bools_and_floats():
    a, b = _random(2, 3, 4), _random(4, 3, 2)
    for shift, numpy_shift in ((F.fftshift, np.fft.fftshift), (F.ifftshift, np.fft.ifftshift)):
        _close(shift(tg.constant(a), axes=np.array([0, 2])), numpy_shift(a, axes=np.array([0, 2])))
    _close(
        tg.tensordot(tg.constant(a), tg.constant(b), axes=np.int64(1)),
        np.tensordot(a, b, axes=np.int64(1)),
    )
    _close(
        tg.tensordot(tg.constant(a), tg.constant(b), axes=(np.array([1, 2]), [np.int32(1), 0])),
        np.tensordot(a, b, axes=([1, 2], [1, 0])),
    )
    x = _random(3, 4)
    _close(F.fftshift(tg.constant(x), axes=np.int64(1)), np.fft.fftshift(x, axes=1))
    _close(F.ifftshift(tg.constant(x), axes=np.int64(0)), np.fft.ifftshift(x, axes=0))
    _close(F.fft(tg.constant(x), n=np.int64(5), axis=np.int64(0)), np.fft.fft(x, n=5, axis=0))
    _close(L.norm(tg.constant(x), axis=np.int64(0)), np.linalg.norm(x, axis=0))
    m = _well(3)
    _close(L.matrix_power(tg.constant(m), np.int64(2)), np.linalg.matrix_power(m, 2))
    refusals = [
        (lambda: tg.tensordot(tg.constant(a), tg.constant(b), axes=True), "tensordot: axes", True),
        (lambda: tg.tensordot(tg.constant(a), tg.constant(b), axes=1.0), "tensordot: axes", 1.0),
        (
            lambda: tg.tensordot(tg.constant(a), tg.constant(b), axes=([2.0], [0])),
            "tensordot: each axis of x1",
            2.0,
        ),
        (lambda: F.fftshift(tg.constant(x), axes=1.0), "fftshift: axes", 1.0),
        (lambda: F.ifftshift(tg.constant(x), axes=(True,)), "ifftshift: axis", True),
        (lambda: F.fft(tg.constant(x), axis=1.0), "fft: axis", 1.0),
        (lambda: L.norm(tg.constant(x), axis=True), "norm: axis", True),
        (lambda: L.norm(tg.constant(x), axis=0.0), "norm: axis", 0.0),
    ]
    for call, start, value in refusals:
        with pytest.raises(TypeError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith(f"{start} must be an integer, not {value!r}: give"), message


@pytest.mark.parametrize(
    "name,s",
    [
        ("fftn", (-1, 6)),
        ("ifftn", (2, -1)),
        ("rfftn", (-1, 6)),
        ("rfftn", (2, -1)),
        ("irfftn", (-1, 6)),
        ("irfftn", (2, -1)),
        ("irfftn", (-1, -1)),
    ],
)
def test_fft_lengths_of_minus_one_take_the_whole_axis_as_numpy(name, s):
    x = _random(3, 4, complex_=name in ("ifftn", "irfftn"))
    expected = getattr(np.fft, name)(x, s=s, axes=(0, 1))
    _close(getattr(F, name)(tg.constant(x), s=s, axes=(0, 1)), expected)
    check_grads(
        lambda v: tg.real(getattr(F, name)(v, s=s, axes=(0, 1))) ** 2,
        [x.real],
        order=1,
    )


def test_fft_lengths_must_be_integers_as_in_numpy():
    x, z = tg.constant(_random(6)), tg.constant(_random(4, complex_=True))
    calls = [
        (lambda: F.fft(x, n=4.7), "fft: n must be an integer, not 4.7: give n as an integer"),
        (lambda: F.ifft(x, n=True), "ifft: n must be an integer, not True: give n as an"),
        (lambda: F.rfft(x, n=4.0), "rfft: n must be an integer, not 4.0: give n as an"),
        (lambda: F.irfft(z, n=6.5), "irfft: n must be an integer, not 6.5: give n as an"),
        (lambda: F.hfft(z, n=6.0), "hfft: n must be an integer, not 6.0: give n as an"),
        (lambda: F.ihfft(x, n=2.5), "ihfft: n must be an integer, not 2.5: give n as an"),
        (
            lambda: F.fftn(tg.ones((2, 3)), s=(2.0, 3)),
            "fftn: every length in s must be an integer, not 2.0: give the lengths as integers",
        ),
        (
            lambda: F.rfftn(tg.ones((2, 3)), s=(2, True)),
            "rfftn: every length in s must be an integer, not True: give the lengths",
        ),
        (
            lambda: L.matrix_power(tg.constant(np.eye(2)), 2.0),
            "matrix_power: n must be an integer, not 2.0: give an integer power",
        ),
        (
            lambda: L.matrix_power(tg.constant(np.eye(2)), True),
            "matrix_power: n must be an integer, not True: give an integer power",
        ),
    ]
    for call, start in calls:
        with pytest.raises(TypeError) as caught:
            call()
        assert str(caught.value).startswith(start), str(caught.value)
    with pytest.raises(ValueError, match=r"^fft: n must be at least 1; got 0$"):
        F.fft(x, n=0)
    with pytest.raises(ValueError, match=r"^fftn: every transform length must be at least 1, or"):
        F.fftn(tg.ones((2, 3)), s=(-2, 3))


def test_fft_norm_none_means_backward_as_in_numpy():
    x, z = _random(3, 6), _random(3, 5, complex_=True)
    tx, tz = tg.constant(x), tg.constant(z)
    for name, arg, value in [
        ("fft", tz, z),
        ("ifft", tz, z),
        ("fftn", tz, z),
        ("ifftn", tz, z),
        ("rfft", tx, x),
        ("irfft", tz, z),
        ("rfftn", tx, x),
        ("irfftn", tz, z),
        ("hfft", tz, z),
        ("ihfft", tx, x),
    ]:
        got = getattr(F, name)(arg, norm=None)
        _close(got, getattr(np.fft, name)(value, norm=None))
        _close(got, getattr(F, name)(arg, norm="backward"))
    with pytest.raises(ValueError) as caught:
        F.rfftn(tx, norm="none")
    assert str(caught.value) == (
        "rfftn: norm must be 'backward', 'ortho', 'forward' or None (which means 'backward'), "
        "not 'none'"
    )


def test_real_transforms_of_complex_input_name_the_function_called():
    z = tg.ones((2, 4), dtype=tg.complex128)
    for f, name, instead in [
        (F.rfftn, "rfftn", "fftn"),
        (F.rfft, "rfft", "fft"),
        (F.ihfft, "ihfft", "ifft"),
    ]:
        with pytest.raises(TypeError) as caught:
            f(z)
        assert str(caught.value) == (
            f"{name} takes a real signal, not complex128: use tg.fft.{instead} for complex input"
        )


def test_p_norms_of_huge_and_tiny_entries_neither_overflow_nor_underflow():
    for x, p in [
        (np.array([1e300, 1e300, 1.0]), 0.5),
        (np.array([1e300, -3e299, 2.0]), 3.0),
        (np.array([1e-300, 2e-300, -1e-300]), 0.5),
        (np.array([1e-300, 4.0, -2.0]), -1.5),
    ]:
        # float64 math with the entries scaled by the dominant one, written out
        scale = np.abs(x).max() if p > 0 else np.abs(x).min()
        norm = scale * np.sum((np.abs(x) / scale) ** p) ** (1 / p)
        gradient = np.sign(x) * (np.abs(x) / norm) ** (p - 1)
        value = L.vector_norm(tg.constant(x), ord=p)
        np.testing.assert_allclose(float(value), norm, rtol=1e-14)
        got = _grad(lambda v, p=p: L.vector_norm(v, ord=p), x)
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, gradient, rtol=1e-13)
        t = _random(3)
        np.testing.assert_allclose(
            _jvp(lambda v, p=p: L.vector_norm(v, ord=p), x, t), gradient @ t, rtol=1e-12
        )
    # the case of the report: the third entry's gradient is 2e150
    got = _grad(lambda v: L.vector_norm(v, ord=0.5), np.array([1e300, 1e300, 1.0]))
    np.testing.assert_allclose(got, [2.0, 2.0, 2e150], rtol=1e-14)
    z = _random(2, 4, complex_=True)
    for p in (0.5, 3.0, -1.5):
        check_grads(
            lambda a, b, p=p: L.vector_norm(_complex(a, b), ord=p, axis=-1), [z.real, z.imag]
        )


def test_the_gammaln_fallback_takes_scipys_values_beyond_float_range_and_at_minus_inf():
    # math.lgamma raised OverflowError above about 2.6e305, and -inf gave +inf (SciPy: -inf,
    # as |gamma| vanishes between the poles)
    points = np.array([3e305, -np.inf, np.inf, 0.0, -2.0, -2.5, 1e-300, 5.0])
    got = special_ops._FALLBACKS["gammaln"](points)
    np.testing.assert_allclose(got, scipy.special.gammaln(points), rtol=1e-13)
    assert got[:5].tolist() == [np.inf, -np.inf, np.inf, np.inf, np.inf]


def test_integer_products_on_dask_keep_numpys_dtype():
    """Dask's own matmul, tensordot, vecdot and einsum widen integer products to 64 bits."""
    da = pytest.importorskip("dask.array")
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(6, dtype=np.int8).reshape(3, 2)
    x, y = (tg.constant(da.from_array(v, chunks=1)) for v in (a, b))
    for got, expected in (
        (tg.matmul(x, y), a @ b),
        (tg.tensordot(x, y, axes=1), np.tensordot(a, b, axes=1)),
        (tg.vecdot(x, x), np.vecdot(a, a)),
        (tg.einsum("ij,jk->ik", x, y), np.einsum("ij,jk->ik", a, b)),
        (tg.matmul(y, y[:2]), b @ b[:2]),
    ):
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)


def test_bool_products_on_dask_stay_bool():
    da = pytest.importorskip("dask.array")
    b = np.array([[True, False], [True, True]])
    x = tg.constant(da.from_array(b, chunks=1))
    for got in (tg.matmul(x, x), tg.einsum("ij,jk->ik", x, x), tg.tensordot(x, x, axes=1)):
        assert got.dtype == tg.bool
        np.testing.assert_array_equal(got.numpy(), b @ b)
