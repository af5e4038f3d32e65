"""``cupyx.scipy.special``: SciPy's ufuncs behind CuPy's elementwise rules (CuPy arrays and
scalars only), and polygamma composed as CuPy composes it."""

from __future__ import annotations

import cupy
import scipy.special
from cupy import _signatures

for _name in _signatures.UFUNCS_CUPYX_SCIPY_SPECIAL:
    _f = getattr(scipy.special._ufuncs, f"_{_name}", None) or getattr(scipy.special, _name)
    globals()[_name] = cupy.ufunc(_name, _f)
del _name, _f


def polygamma(n, x):  # cupyx/scipy/special/_polygamma.py
    n, x = cupy.broadcast_arrays(n, x)
    fac2 = (-1.0) ** (n + 1) * gamma(n + 1.0) * zeta(n + 1.0, x)  # noqa: F821
    return cupy.where(n == 0, digamma(x), fac2)  # noqa: F821
