"""NumPy's ``convolve`` and ``correlate`` of 1-D tensors, by direct sums over windows of the
longer input, gathered in blocks of bounded size (``_WINDOW_ELEMENTS``).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..._dtypes import kind_of
from .. import elementwise as ew
from .. import manipulation as mp
from ..linalg import matmul
from ._common import _first_tensor, _gather, _tensor

_WINDOW_ELEMENTS = 1 << 20  # elements of one block of the window matrix (8 MB in float64)


def _convolve_full(a, v):
    """The full convolution of 1-D ``a`` and ``v`` (``v`` the shorter) as NumPy computes it,
    by direct sums: each output is a window of ``a`` (a recorded gather) times the reversed
    ``v``, in blocks of outputs whose windows hold about 1M elements, so memory stays bounded.
    An FFT would be faster for long inputs, but its error is relative to the largest output,
    so small outputs beside large ones would lose their digits."""
    n, m = a.shape[0], v.shape[0]
    length = n + m - 1
    logical = kind_of(a.dtype) == "b" and kind_of(v.dtype) == "b"
    if logical:  # NumPy's convolution of bools: whether any product is True
        a, v = ew.astype(a, np.int64), ew.astype(v, np.int64)
    padded = mp.pad(a, ((m - 1, m - 1),))
    reversed_v = mp.flip(v, axis=0)
    rows = builtins.max(1, _WINDOW_ELEMENTS // m)
    blocks = []
    for start in range(0, length, rows):
        outputs = np.arange(start, builtins.min(start + rows, length))
        windows = _gather(padded, outputs[:, None] + np.arange(m)[None, :])
        blocks.append(matmul(windows, reversed_v))
    full = blocks[0] if len(blocks) == 1 else mp.concat(blocks, axis=0)
    return ew.not_equal(full, 0) if logical else full


def _vectors(a, v):
    like = _first_tensor((a, v))
    a, v = _tensor(a, like=like), _tensor(v, like=like)
    a = mp.reshape(a, (1,)) if a.ndim == 0 else a
    v = mp.reshape(v, (1,)) if v.ndim == 0 else v
    if a.ndim > 1 or v.ndim > 1:
        raise ValueError("object too deep for desired array")
    return a, v


def _mode(mode):
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return mode


def convolve(a, v, mode="full"):
    """``numpy.convolve`` of 1-D tensors, modes "full", "same" and "valid" as NumPy centres
    them, by direct sums as NumPy's (see ``_convolve_full``)."""
    a, v = _vectors(a, v)
    mode = _mode(mode)
    if a.shape[0] == 0:
        raise ValueError("a cannot be empty")
    if v.shape[0] == 0:
        raise ValueError("v cannot be empty")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    full = _convolve_full(a, v)
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        return full
    if mode == "valid":
        return full[m - 1 : n]
    start = (m - 1) - m // 2
    return full[start : start + n]


def correlate(a, v, mode="valid"):
    """``numpy.correlate``: ``c[k] = sum_n a[n + k] * conj(v[n])``, modes centred as NumPy
    centres them (its swap of the shorter argument included)."""
    a, v = _vectors(a, v)
    mode = _mode(mode)
    n1, n2 = a.shape[0], v.shape[0]
    if n1 == 0:
        raise ValueError("a cannot be empty")  # NumPy's words for either argument
    if n2 == 0:
        raise ValueError("v cannot be empty")
    w = mp.flip(ew.conj(v) if kind_of(v.dtype) == "c" else v, axis=0)
    full = _convolve_full(a, w) if n1 >= n2 else _convolve_full(w, a)
    big, small = builtins.max(n1, n2), builtins.min(n1, n2)
    if mode == "full":
        return full
    if mode == "valid":
        return full[small - 1 : big]
    start = (n2 - 1) - n2 // 2 if n1 >= n2 else n1 // 2
    return full[start : start + big]
