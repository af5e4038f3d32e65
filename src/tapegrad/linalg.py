"""``tg.linalg``: the linalg extension of the Array API standard (2024.12), with NumPy's ``norm``
and ``lstsq``; every function with a derivative is differentiable, forward and reverse, to any
order. See ``tapegrad.ops.linalg`` for the choices made at degenerate points. SciPy's ``expm``
(PyTorch's ``matrix_exp``) is here too (``tapegrad.ops.matrix_functions``), and so are SciPy's
``solve_triangular`` and ``cho_solve`` (``tapegrad.ops.triangular``) and the general
eigendecomposition ``eig`` and ``eigvals`` of the Array API 2025.12 (``tapegrad.ops.eig``).

>>> import tapegrad as tg
>>> x = tg.Variable([[2.0, 1.0], [1.0, 3.0]])
>>> with tg.GradientTape() as tape:
...     y = tg.linalg.det(x)
>>> print(tape.gradient(y, x))
tg.Tensor(
[[ 3. -1.]
 [-1.  2.]], shape=(2, 2), dtype=float32)
"""

from .ops.eig import EigResult, eig, eigvals
from .ops.linalg import (
    EighResult,
    LstsqResult,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    cross,
    det,
    diagonal,
    eigh,
    eigvalsh,
    inv,
    lstsq,
    matmul,
    matrix_norm,
    matrix_power,
    matrix_rank,
    norm,
    outer,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    tensordot,
    trace,
    vecdot,
    vector_norm,
)
from .ops.manipulation import matrix_transpose
from .ops.matrix_functions import expm, matrix_exp
from .ops.triangular import cho_solve, solve_triangular

__all__ = [
    "EigResult",
    "EighResult",
    "LstsqResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cho_solve",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "expm",
    "inv",
    "lstsq",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]
