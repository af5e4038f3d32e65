"""NumPy's products of tensors: ``tensordot``, ``outer``, ``inner``, ``vdot``, ``cross``,
``kron``, ``matvec`` and ``vecmat``, the diagonal matrices of ``diag`` and ``diagflat``, and
``polyval`` by Horner's rule.
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings

import numpy as np

from ..._dtypes import kind_of
from .. import creation
from .. import elementwise as ew
from .. import manipulation as mp
from .. import reduction as rd
from ..linalg import matmul, vecdot
from ..linalg import tensordot as _tensordot
from ._common import _first_tensor, _tensor, _tensors, no_out, normalize_axis_index
from .shapes import ravel


def tensordot(a, b, axes=2):
    """``numpy.tensordot`` with the axes given by position."""
    if isinstance(axes, np.integer):
        axes = int(axes)
    if not isinstance(axes, int) and len(axes) == 2:
        axes = tuple(tuple(ax) if isinstance(ax, (list, tuple)) else (ax,) for ax in axes)
    return _tensordot(*_tensors(a, b), axes=axes)


def outer(a, b, out=None):
    """``numpy.outer``: the flattened ``a`` times the flattened ``b``, every pair."""
    no_out("outer", out)
    a, b = _tensors(a, b)
    return ew.multiply(mp.reshape(a, (-1, 1)), mp.reshape(ravel(b), (1, -1)))


def inner(a, b, /):
    """``numpy.inner``: sums of products over the last axes (no conjugation), a product when
    one side is 0-d."""
    a, b = _tensors(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"shapes {tuple(a.shape)} and {tuple(b.shape)} not aligned: {a.shape[-1]} (dim "
            f"{a.ndim - 1}) != {b.shape[-1]} (dim {b.ndim - 1})"
        )
    n = a.shape[-1]
    rows = mp.reshape(a, (math.prod(a.shape[:-1]), n))  # -1 cannot be resolved when n is 0
    columns = mp.matrix_transpose(mp.reshape(b, (math.prod(b.shape[:-1]), n)))
    return mp.reshape(matmul(rows, columns), tuple(a.shape[:-1]) + tuple(b.shape[:-1]))


def vdot(a, b, /):
    """``numpy.vdot``: the flattened ``a``, conjugated, dotted with the flattened ``b``."""
    a, b = (ravel(v) for v in _tensors(a, b))
    if a.shape != b.shape:
        raise ValueError("vectors have different lengths")
    if kind_of(a.dtype) == "b" and kind_of(b.dtype) == "b":  # NumPy's dot of bools: any(a & b)
        return rd.any(ew.logical_and(a, b))
    return vecdot(a, b)


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """``numpy.cross``: NumPy's component formulas for 3-vectors (and its deprecated
    2-vectors), along ``axisa``/``axisb``, the result along ``axisc`` (``axis`` sets all
    three)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    like = _first_tensor((a, b))
    a, b = _tensor(a, like=like), _tensor(b, like=like)
    if a.ndim < 1 or b.ndim < 1:
        raise ValueError("At least one array has zero dimension")
    a = mp.moveaxis(a, normalize_axis_index(axisa, a.ndim, "axisa"), -1)
    b = mp.moveaxis(b, normalize_axis_index(axisb, b.ndim, "axisb"), -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors "
            "instead. (deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=3,
        )
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = ew.subtract(ew.multiply(a0, b1), ew.multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    if na == 2:
        b2 = b[..., 2]
        parts = [ew.multiply(a1, b2), ew.negative(ew.multiply(a0, b2)), z]
    elif nb == 2:
        a2 = a[..., 2]
        parts = [ew.negative(ew.multiply(a2, b1)), ew.multiply(a2, b0), z]
    else:
        a2, b2 = a[..., 2], b[..., 2]
        parts = [
            ew.subtract(ew.multiply(a1, b2), ew.multiply(a2, b1)),
            ew.subtract(ew.multiply(a2, b0), ew.multiply(a0, b2)),
            z,
        ]
    parts = mp.broadcast_arrays(*parts)
    result = mp.stack(parts, axis=-1)
    return mp.moveaxis(result, -1, normalize_axis_index(axisc, result.ndim, "axisc"))


def kron(a, b):
    """``numpy.kron``: every product ``a[i] * b[j]`` at position ``i * b.shape + j``, the
    shorter shape padded with leading ones."""
    like = _first_tensor((a, b))
    a, b = _tensor(a, like=like), _tensor(b, like=like)
    if a.ndim < b.ndim:  # NumPy: array(a, ndmin=b.ndim)
        a = mp.reshape(a, (1,) * (b.ndim - a.ndim) + tuple(a.shape))
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    nd = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    spread_a = mp.reshape(a, tuple(v for s in sa for v in (s, 1)))
    spread_b = mp.reshape(b, tuple(v for s in sb for v in (1, s)))
    return mp.reshape(ew.multiply(spread_a, spread_b), tuple(x * y for x, y in zip(sa, sb)))


def _diagonal_matrix(v, k):
    """A square matrix with the 1-D ``v`` on diagonal ``k`` and zeros elsewhere: ``v`` as a
    column beside n zero columns, read as n x n (each row n + 1 long puts ``v[i]`` at
    ``(i, i)``), then padded by ``|k|`` rows and columns."""
    n = v.shape[0]
    rows = mp.pad(mp.reshape(v, (n, 1)), ((0, 0), (0, n)))
    square = mp.reshape(mp.reshape(rows, (-1,))[: n * n], (n, n))
    width = ((0, k), (k, 0)) if k >= 0 else ((-k, 0), (0, -k))
    return mp.pad(square, width)


def diag(v, k=0):
    """``numpy.diag``: the diagonal ``k`` of a 2-D tensor, or a matrix with a 1-D tensor on
    diagonal ``k``."""
    v = _tensor(v)
    k = operator.index(k)
    if v.ndim == 1:
        return _diagonal_matrix(v, k)
    if v.ndim == 2:
        from ..linalg import diagonal

        return diagonal(v, offset=k)
    raise ValueError("Input must be 1- or 2-d.")


def diagflat(v, k=0):
    """``numpy.diagflat``: the flattened input on diagonal ``k`` of a square matrix."""
    return _diagonal_matrix(ravel(v), operator.index(k))


def polyval(p, x):
    """``numpy.polyval``: Horner's rule from the highest power, ``y = y * x + p[i]`` from
    ``y = zeros_like(x)``; differentiable in ``p`` and ``x``."""
    if isinstance(x, (int, float, complex)):
        y = 0
    else:
        x = _tensor(x, like=_first_tensor((p,)))
        y = creation.zeros_like(x)
    coefficients = p if isinstance(p, (list, tuple)) else _tensor(p)
    for i in range(len(coefficients)):
        y = ew.add(ew.multiply(y, x), coefficients[i])
    return _tensor(y)


def matvec(x1, x2):
    """``numpy.matvec``: matrices times vectors, batched."""
    x1, x2 = _tensors(x1, x2)
    return matmul(x1, mp.expand_dims(x2, axis=-1))[..., 0]


def vecmat(x1, x2):
    """``numpy.vecmat``: conjugated vectors times matrices, batched."""
    x1, x2 = _tensors(x1, x2)
    if kind_of(x1.dtype) == "c":
        x1 = ew.conj(x1)
    return matmul(mp.expand_dims(x1, axis=-2), x2)[..., 0, :]
