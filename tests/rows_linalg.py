"""Gradient-table rows for linalg, fft, special functions and einsum (see test_gradients.py).

Matrix domains are built inside each row's function from random matrices: ``_separated`` adds a
diagonal of distinct, large entries, so that eigenvalues and singular values stay apart and away
from zero; ``_spd`` makes positive-definite matrices. Decompositions are checked through
functions of their outputs that do not depend on the sign (phase) of singular and eigenvectors.
Complex inputs are built from two real arguments and complex outputs returned as real and
imaginary parts, so that every row is a real function of real arrays.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_gradients import NONEMPTY, SHAPES, Row, _one

import tapegrad as tg

L, F, S = tg.linalg, tg.fft, tg.special
STACKS = st.sampled_from([(), (2,), (0,)])
SIDES = st.integers(1, 3)
LENGTHS = st.integers(1, 5)


# -- building domains inside the rows ------------------------------------------------------------
def _separated(a):
    """``0.2 a`` plus a diagonal 3, 6, 9, ...: well conditioned, with distinct singular values
    (eigenvalues, when square) at least 0.6 apart."""
    m, n = a.shape[-2:]
    k = min(m, n)
    d = np.zeros((m, n))
    d[np.arange(k), np.arange(k)] = 3.0 * np.arange(1, k + 1)
    return a * 0.2 + tg.asarray(d, like=a)


def _spd(a):
    n = a.shape[-1]
    return tg.matmul(a, tg.matrix_transpose(a)) + n * tg.asarray(np.eye(n), like=a)


def _flat(x, stack):
    size = int(np.prod(x.shape[len(stack) :], dtype=np.int64))
    return tg.reshape(x, stack + (size,))


def _cat(stack, *parts):
    """The parts flattened after the stack axes and joined: one real output per row."""
    return tg.concat([_flat(p, stack) for p in parts], axis=-1)


def _complex(a, b):
    return tg.astype(a, tg.complex128) + tg.astype(b, tg.complex128) * 1j


def _parts(z):
    return tg.stack([tg.real(z), tg.imag(z)], axis=0)


# -- draws ---------------------------------------------------------------------------------------
def _square(data):
    n = data.draw(SIDES)
    return data.draw(STACKS) + (n, n)


def _rect(data, stacks=STACKS):
    return data.draw(stacks) + (data.draw(SIDES), data.draw(SIDES))


def _square_one(data):
    return ((_square(data),), {})


def _square_two(data):
    shape = _square(data)
    return ((shape, shape), {})


def _rect_one(data):
    return ((_rect(data),), {})


def _solve_draw(data):
    a = _square(data)
    n, stack = a[-1], a[:-2]
    k = data.draw(SIDES)
    b = data.draw(st.sampled_from([(n,), (n, k), stack + (n, k), (2,) + stack + (n, k)]))
    return ((a, b), {})


def _triangular_draw(data):
    shapes, _ = _solve_draw(data)
    trans = data.draw(st.sampled_from([0, 1, 2, "C"]))
    options = {"lower": data.draw(st.booleans()), "unit_diagonal": data.draw(st.booleans())}
    return (shapes, {"trans": trans, **options})


def _cho_solve_draw(data):
    shapes, _ = _solve_draw(data)
    return (shapes, {"lower": data.draw(st.booleans())})


def _lstsq_draw(data):
    m, n = data.draw(SIDES), data.draw(SIDES)
    b = data.draw(st.sampled_from([(m,), (m, data.draw(SIDES))]))
    return (((m, n), b), {})


def _cholesky_draw(data):
    return ((_square(data),), {"upper": data.draw(st.booleans())})


def _svd_draw(data):
    shape = _rect(data)
    square = shape[-1] == shape[-2]
    full = data.draw(st.booleans()) if square else False
    return ((shape,), {"full_matrices": full})


def _qr_draw(data):
    shape = _rect(data)
    return ((shape,), {"mode": data.draw(st.sampled_from(["reduced", "complete"]))})


def _norm_axis(data, shape):
    ndim = len(shape)
    choices = [None] + list(range(-ndim, ndim))
    if ndim >= 2:
        choices.append((0, ndim - 1))
    return data.draw(st.sampled_from(choices))


def _vector_norm_draw(data):
    shape = data.draw(NONEMPTY)
    return (
        (shape,),
        {
            "axis": _norm_axis(data, shape),
            "keepdims": data.draw(st.booleans()),
            "ord": data.draw(st.sampled_from([2, 1, 3, 0.5, -1, float("inf"), float("-inf")])),
        },
    )


def _p_norm_draw(data):
    """The p-norm primitive on its own: orders other than 0, 1, 2 and ±inf, over some axes."""
    shape = data.draw(NONEMPTY)
    ndim = len(shape)
    axis = tuple(sorted({a % ndim for a in data.draw(st.sets(st.integers(0, 2), min_size=1))}))
    return (
        (shape,),
        {
            "axis": axis,
            "keepdims": data.draw(st.booleans()),
            "ord": data.draw(st.sampled_from([3, 1.5, 0.5, -1, -2.5])),
        },
    )


def _euclidean_draw(data):
    shape = data.draw(SHAPES)
    ndim = len(shape)
    axis = tuple(sorted({a % ndim for a in data.draw(st.sets(st.integers(0, 2)))})) if ndim else ()
    return ((shape,), {"axis": axis, "keepdims": data.draw(st.booleans())})


def _matrix_norm_draw(data):
    ords = ["fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf")]
    shape = _rect(data, st.sampled_from([(), (2,)]))
    return (
        (shape,),
        {"ord": data.draw(st.sampled_from(ords)), "keepdims": data.draw(st.booleans())},
    )


def _norm_draw(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    axis = data.draw(
        st.sampled_from([None, -1, 0] + ([(0, ndim - 1), (ndim - 1, 0)] if ndim >= 2 else []))
    )
    if axis is None:
        ords = [None] if ndim > 2 else [None, 1, float("inf")] + (["fro"] if ndim == 2 else [])
    elif isinstance(axis, tuple):
        ords = [None, "fro", 1, float("-inf")]
    else:
        ords = [None, 1, 3]
    return (
        (shape,),
        {
            "ord": data.draw(st.sampled_from(ords)),
            "axis": axis,
            "keepdims": data.draw(st.booleans()),
        },
    )


def _power_draw(data):
    return ((_square(data),), {"n": data.draw(st.integers(-2, 3))})


def _diagonal_draw(data):
    return ((_rect(data),), {"offset": data.draw(st.integers(-2, 2))})


def _outer_draw(data):
    return (((data.draw(st.integers(0, 3)),), (data.draw(st.integers(0, 3)),)), {})


def _vecdot_draw(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3))
    n = data.draw(st.integers(0, 3))
    a, b = (s[:-1] + (n,) if s else (n,) for s in shapes.input_shapes)
    return ((a, b), {"axis": -1})


def _cross_draw(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2))
    axis = data.draw(st.sampled_from([-1, -2] if min(map(len, shapes.input_shapes)) >= 2 else [-1]))
    a, b = (list(s) for s in shapes.input_shapes)
    a[axis], b[axis] = 3, 3
    return ((tuple(a), tuple(b)), {"axis": axis})


def _tensordot_draw(data):
    case = data.draw(st.integers(0, 3))
    if case == 0:
        return (((2, 3), (3, 2)), {"axes": 1})
    if case == 1:
        return (((2, 3, 2), (3, 2)), {"axes": 2})
    if case == 2:
        return (((2, 3), (3, 2)), {"axes": ((0,), (1,))})
    return (((2,), (3,)), {"axes": 0})


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 2)]),
    ("ij,jk", [(2, 3), (3, 1)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(2, 2)]),
    ("iij->j", [(2, 2, 3)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->", [(2, 3)]),
    ("ijk->kji", [(2, 3, 1)]),
    ("ji", [(2, 3)]),
    ("ij,ij->ij", [(2, 3), (1, 3)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("i...,i...", [(2, 3), (2, 1)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ij,j->i", [(0, 3), (3,)]),
    ("i,->i", [(3,), ()]),
]


def _einsum_draw(data):
    subscripts, shapes = data.draw(st.sampled_from(EINSUM))
    return (tuple(shapes), {"subscripts": subscripts})


def _fftn_draw(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    ndim = len(shape)
    axes = data.draw(st.sampled_from([None, (-1,), (0,), tuple(range(ndim))]))
    n_axes = ndim if axes is None else len(axes)
    s = data.draw(
        st.sampled_from([None, tuple(data.draw(st.integers(1, 5)) for _ in range(n_axes))])
    )
    norm = data.draw(st.sampled_from(["backward", "ortho", "forward"]))
    return ((shape, shape), {"s": s, "axes": axes, "norm": norm})


def _fft1_draw(data, bins=False):
    shape = data.draw(
        hnp.array_shapes(min_dims=1, max_dims=2, min_side=2 if bins else 1, max_side=5)
    )
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = data.draw(st.sampled_from([None, 1, 2, 3, 4, 6]))
    norm = data.draw(st.sampled_from(["backward", "ortho", "forward"]))
    return ((shape, shape), {"n": n, "axis": axis, "norm": norm})


def _fft1_bins_draw(data):
    return _fft1_draw(data, bins=True)


def _real_fft1_draw(data):
    (shape, _), kwargs = _fft1_draw(data)
    return ((shape,), kwargs)


def _rfftn_draw(data):
    (shape, _), kwargs = _fftn_draw(data)
    return ((shape,), kwargs)


def _irfftn_draw(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
    ndim = len(shape)
    axes = data.draw(st.sampled_from([None, (-1,), tuple(range(ndim))]))
    n_axes = ndim if axes is None else len(axes)
    s = data.draw(
        st.sampled_from([None, tuple(data.draw(st.integers(1, 5)) for _ in range(n_axes))])
    )
    norm = data.draw(st.sampled_from(["backward", "ortho", "forward"]))
    return ((shape, shape), {"s": s, "axes": axes, "norm": norm})


def _shift_draw(data):
    shape = data.draw(SHAPES)
    ndim = len(shape)
    axes = data.draw(
        st.sampled_from([None] + list(range(-ndim, ndim)) + ([(0, -1)] if ndim else []))
    )
    return ((shape,), {"axes": axes})


def _polygamma_draw(data):
    return ((data.draw(SHAPES),), {"n": data.draw(st.integers(1, 3))})


# -- the functions under test ----------------------------------------------------------------------
def _slogdet(a):
    flip = np.ones(a.shape[-1])
    flip[0] = -1.0  # a negative determinant: the sign is -1, with derivative 0
    sign, logabsdet = L.slogdet(_separated(a) * tg.asarray(flip, like=a))
    return tg.stack([sign, logabsdet], axis=-1)


def _lstsq(a, b):
    x, residuals, rank, s = L.lstsq(_separated(a), b)
    return tg.concat([tg.reshape(x, (-1,)), residuals, s], axis=0)


def _eigh(a):
    w, v = L.eigh(_separated(a))
    return _cat(a.shape[:-2], w, v * v)


def _rotated(a):
    """``_separated(a)`` with a rotation added to the first two rows: a real matrix with a pair
    of complex eigenvalues (about 4.5 ± 3i) beside real ones."""
    n = a.shape[-1]
    d = np.zeros((n, n))
    if n >= 2:
        d[0, 1], d[1, 0] = 4.0, -4.0
    return _separated(a) + tg.asarray(d, like=a)


def _power_sums(w):
    """``Σ (λ/3)^k`` for k = 1, 2, 3: functions of the eigenvalues that do not depend on their
    order."""
    return [tg.sum((w / 3.0) ** k, axis=-1) for k in (1, 2, 3)]


def _eig_outputs(x):
    """Eigenvalue power sums and the phase-invariant ``V Vᴴ`` and ``V diag(λ/3) Vᴴ``, as real
    and imaginary parts."""
    w, v = L.eig(x)
    vh = tg.conj(tg.matrix_transpose(v))
    parts = [*_power_sums(w), tg.matmul(v, vh), tg.matmul(v * (w[..., None, :] / 3.0), vh)]
    return _cat(x.shape[:-2], *[f(p) for p in parts for f in (tg.real, tg.imag)])


def _eigvals(a):
    sums = _power_sums(L.eigvals(_rotated(a)))
    return _cat(a.shape[:-2], *[f(p) for p in sums for f in (tg.real, tg.imag)])


def _svd(a, full_matrices):
    u, s, vh = L.svd(_separated(a), full_matrices=full_matrices)
    return _cat(a.shape[:-2], u * u, s, vh * vh)


def _qr(a, mode):
    q, r = L.qr(_separated(a), mode=mode)
    if q.shape[-1] > a.shape[-1]:  # complete: the last m - n columns of Q are not unique
        q = q[..., : a.shape[-1]]
    return _cat(a.shape[:-2], q, r)


def _matrix_norm(a, ord, keepdims):  # noqa: A002
    return L.matrix_norm(_separated(a), ord=ord, keepdims=keepdims)


def _fftn(a, b, **kwargs):
    return _parts(F.fftn(_complex(a, b), **kwargs))


def _hermitian_input(fn):
    return lambda a, b, **kwargs: fn(_complex(a, b), **kwargs)


ROWS: dict = {
    # linalg primitives
    "inv": Row(lambda a: L.inv(_separated(a)), draw=_square_one),
    "solve": Row(lambda a, b: L.solve(_separated(a), b), draw=_solve_draw),
    "solve_triangular": Row(
        lambda a, b, **k: L.solve_triangular(_separated(a), b, **k), draw=_triangular_draw
    ),
    "det": Row(lambda a: L.det(_separated(a)), draw=_square_one),
    "_slogdet": Row(_slogdet, draw=_square_one),
    "pinv": Row(lambda a: L.pinv(_separated(a)), draw=_rect_one),
    "cholesky": Row(lambda a, upper: L.cholesky(_spd(a), upper=upper), draw=_cholesky_draw),
    "_eigh": Row(_eigh, draw=_square_one),
    "eigvalsh": Row(lambda a: L.eigvalsh(_separated(a)), draw=_square_one),
    "_eig": Row(lambda a, b: _eig_outputs(_complex(_separated(a), b * 0.2)), draw=_square_two),
    "eigvals": Row(_eigvals, draw=_square_one),
    "_svd": Row(_svd, draw=_svd_draw),
    "svdvals": Row(lambda a: L.svdvals(_separated(a)), draw=_rect_one),
    "_qr": Row(_qr, draw=_qr_draw),
    "_euclidean_norm": Row(
        lambda x, axis, keepdims: L.vector_norm(x, axis=axis, keepdims=keepdims),
        draw=_euclidean_draw,
    ),
    "_p_norm_kept": Row(L.vector_norm, domains=("nonzero",), draw=_p_norm_draw),
    "einsum": Row(lambda *a, subscripts: tg.einsum(subscripts, *a), draw=_einsum_draw),
    # linalg composites
    "linalg.slogdet": Row(lambda a: L.slogdet(_separated(a)).logabsdet, draw=_square_one),
    "linalg.eigh": Row(lambda a: L.eigh(_separated(a)).eigenvalues, draw=_square_one),
    "linalg.eig": Row(lambda a: _eig_outputs(_rotated(a)), draw=_square_one),
    "linalg.svd": Row(lambda a: L.svd(_separated(a), full_matrices=False).S, draw=_rect_one),
    "linalg.qr": Row(lambda a: L.qr(_separated(a)).R, draw=_rect_one),
    "linalg.lstsq": Row(_lstsq, draw=_lstsq_draw),
    "linalg.cho_solve": Row(
        lambda c, b, lower: L.cho_solve((_separated(c), lower), b), draw=_cho_solve_draw
    ),
    "linalg.vector_norm": Row(L.vector_norm, domains=("distinct",), draw=_vector_norm_draw),
    "linalg.matrix_norm": Row(_matrix_norm, domains=("nonzero",), draw=_matrix_norm_draw),
    "linalg.norm": Row(L.norm, domains=("distinct",), draw=_norm_draw),
    "linalg.matrix_power": Row(
        lambda a, n: L.matrix_power(_separated(a) * 0.2, n), draw=_power_draw
    ),
    "linalg.expm": Row(lambda a: L.expm(a * 2.0), draw=_square_one),
    "linalg.diagonal": Row(L.diagonal, draw=_diagonal_draw),
    "linalg.trace": Row(L.trace, draw=_diagonal_draw),
    "linalg.outer": Row(L.outer, draw=_outer_draw),
    "linalg.cross": Row(L.cross, draw=_cross_draw),
    "linalg.matrix_transpose": Row(L.matrix_transpose, draw=_rect_one),
    "vecdot": Row(tg.vecdot, draw=_vecdot_draw),
    "tensordot": Row(tg.tensordot, draw=_tensordot_draw),
    # fft
    "fftn": Row(_fftn, draw=_fftn_draw),
    "fft.ifftn": Row(lambda a, b, **k: _parts(F.ifftn(_complex(a, b), **k)), draw=_fftn_draw),
    "fft.fft": Row(lambda a, b, **k: _parts(F.fft(_complex(a, b), **k)), draw=_fft1_draw),
    "fft.ifft": Row(lambda a, b, **k: _parts(F.ifft(_complex(a, b), **k)), draw=_fft1_draw),
    "rfft": Row(lambda a, **k: _parts(F.rfft(a, **k)), draw=_real_fft1_draw),
    "irfft": Row(_hermitian_input(F.irfft), draw=_fft1_bins_draw),
    "fft.rfftn": Row(lambda a, **k: _parts(F.rfftn(a, **k)), draw=_rfftn_draw),
    "fft.irfftn": Row(_hermitian_input(F.irfftn), draw=_irfftn_draw),
    "fft.hfft": Row(_hermitian_input(F.hfft), draw=_fft1_bins_draw),
    "fft.ihfft": Row(lambda a, **k: _parts(F.ihfft(a, **k)), draw=_real_fft1_draw),
    "fft.fftshift": Row(F.fftshift, draw=_shift_draw),
    "fft.ifftshift": Row(F.ifftshift, draw=_shift_draw),
    # special functions
    "erf": Row(S.erf, draw=_one()),
    "erfc": Row(S.erfc, draw=_one()),
    "erfinv": Row(S.erfinv, domains=("unit",), draw=_one()),
    "gammaln": Row(S.gammaln, domains=("off_integers",), draw=_one()),
    "digamma": Row(S.digamma, domains=("off_integers",), draw=_one()),
    "polygamma": Row(lambda x, n: S.polygamma(n, x), domains=("positive",), draw=_polygamma_draw),
    "special.expit": Row(S.expit, draw=_one()),
    "logit": Row(lambda x: S.logit(0.5 + 0.5 * x), domains=("unit",), draw=_one()),
}
