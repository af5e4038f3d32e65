"""The methods of NumPy's ufuncs called on tensors: ``reduce`` and ``accumulate`` through
tapegrad's reductions and cumulative functions (tabled as ``REDUCE`` and ``ACCUMULATE`` in the
package), and ``outer``.
"""

from __future__ import annotations

from .. import elementwise as ew
from .. import manipulation as mp
from ._common import _NO, _first_tensor, _tensor, no_out, refuse


def _reduce(name, reduce, takes_dtype=True):
    def call(array, axis=0, dtype=None, out=None, keepdims=False, initial=_NO, where=True):
        no_out(f"{name}.reduce", out)
        refuse(f"{name}.reduce", initial=initial, where=where)
        array = _tensor(array)
        if dtype is not None and not takes_dtype:
            array, dtype = ew.astype(array, dtype), None
        options = {"dtype": dtype} if dtype is not None else {}
        return reduce(array, axis=axis, keepdims=keepdims, **options)

    return call


def _accumulate(name, accumulate):
    def call(array, axis=0, dtype=None, out=None):
        no_out(f"{name}.accumulate", out)
        return accumulate(_tensor(array), axis=axis, dtype=dtype)

    return call


def ufunc_outer(op, name, a, b, **kwargs):
    """``ufunc.outer``: ``op`` of every element of ``a`` with every element of ``b``."""
    no_out(f"{name}.outer", kwargs.pop("out", None))
    dtype = kwargs.pop("dtype", None)
    refuse(f"{name}.outer", **kwargs)
    like = _first_tensor((a, b))
    a, b = _tensor(a, like=like), _tensor(b, like=like)
    if dtype is not None:
        a, b = ew.astype(a, dtype), ew.astype(b, dtype)
    return op(mp.reshape(a, tuple(a.shape) + (1,) * b.ndim), b)
