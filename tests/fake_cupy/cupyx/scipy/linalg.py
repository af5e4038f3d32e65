"""``cupyx.scipy.linalg.solve_triangular`` with cuBLAS's rules (cupyx/scipy/linalg/
_solve_triangular.py): one matrix, or a batch whose leading shape ``b`` repeats exactly (no
broadcasting); float32 and float64 stay, other dtypes are promoted with float32; ``b`` takes
``a``'s dtype; the diagonal is not checked (a zero gives inf or nan)."""

from __future__ import annotations

import cupy
import numpy
from scipy.linalg.blas import get_blas_funcs


def solve_triangular(
    a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=False
):
    if not (isinstance(a, cupy.ndarray) and isinstance(b, cupy.ndarray)):
        raise TypeError("cupy.ndarray is expected")
    if a.ndim == 2:
        if a.shape[0] != a.shape[1]:
            raise ValueError("expected square matrix")
        if len(a) != len(b):
            raise ValueError("incompatible dimensions")
    elif a.ndim > 2:
        if a.shape[-1] != a.shape[-2]:
            raise ValueError("expected a batch of square matrices")
        if a.shape[:-2] != b.shape[: a.ndim - 2]:
            raise ValueError("incompatible batch count")
        if b.ndim < a.ndim - 1 or a.shape[-2] != b.shape[a.ndim - 2]:
            raise ValueError("incompatible dimensions")
    else:
        raise ValueError("expected one square matrix or a batch of square matrices")
    dtype = a.dtype if a.dtype.char in "fd" else numpy.promote_types(a.dtype.char, "f")
    trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans)
    A, B = a._a.astype(dtype), b._a.astype(dtype)
    vector = B.ndim == A.ndim - 1
    if vector:
        B = B[..., None]
    trsm = get_blas_funcs("trsm", dtype=dtype)
    out = numpy.empty_like(B)
    for i in numpy.ndindex(A.shape[:-2]):
        out[i] = trsm(1.0, A[i], B[i], lower=lower, trans_a=trans, diag=unit_diagonal)
    return cupy.ndarray._of(out[..., 0] if vector else out)
