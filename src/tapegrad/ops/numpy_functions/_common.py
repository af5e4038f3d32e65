"""What every family of NumPy functions on tensors shares: the checks of NumPy's keywords
(``out=`` refused, keywords tapegrad does not honour named) and the conversions between values
and tensors (a value joining the library of the tensors beside it, NumPy's own function run on
the tensors' arrays and its results returned as tensors, static indices in a tensor's library,
copies and gathers on the tape, NumPy's casts and joins).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..._backend import backend_name, is_array, is_lazy, to_numpy, waits_to_read
from ..._dtypes import as_dtype, float_result, weak_scalar_dtype
from ..._tensor import Tensor, wrap
from .. import creation
from .. import elementwise as ew
from .. import manipulation as mp

# NumPy's axis checks, which the families import from here
try:
    from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple  # noqa: F401
except ImportError:  # pragma: no cover - NumPy 1.26
    from numpy.core.multiarray import normalize_axis_index  # noqa: F401
    from numpy.core.numeric import normalize_axis_tuple  # noqa: F401

_NO = np._NoValue  # NumPy's "not given"


def no_out(name, out):
    """``out=`` would write into an array outside the tape: refused, naming the function."""
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        raise TypeError(
            f"numpy.{name}(..., out=...) would write into an array outside the tape: drop out= "
            "and use the returned tensor"
        )


def refuse(name, **given):
    """TypeError naming the keywords of NumPy's ``name`` that were given and that tapegrad does
    not honour: dropping them would change the result silently. ``where=True`` is no mask."""
    unknown = sorted(
        k
        for k, v in given.items()
        if v is not _NO and v is not None and not (k == "where" and v is True)
    )
    if unknown:
        hint = " (tg.where for where=)" if "where" in unknown else ""
        raise TypeError(
            f"numpy.{name} on tensors takes no {', '.join(k + '=' for k in unknown)}: compute "
            f"with tapegrad functions{hint}"
        )


def _refuse_value(name, keyword, value, supported):
    raise TypeError(
        f"numpy.{name} on tensors takes {keyword}={value!r} only as one of {supported}: compute "
        "the others with tapegrad functions, or convert with t.numpy() to leave the tape"
    )


def _keepdims_given(keepdims):
    """NumPy's ``keepdims``, which some of its functions default to "not given"."""
    return False if keepdims is _NO else bool(keepdims)


def _tensor(x, like=None):
    """``x`` as a tensor; a value that holds no tensor joins the library of ``like``."""
    if isinstance(x, Tensor):
        return x
    if isinstance(like, Tensor) and backend_name(like._value) != "numpy" and not _holds_tensor(x):
        return creation.asarray(x, like=like)
    return creation.asarray(x)


def _tensors(*values):
    """Each value as a tensor; those that hold no tensor join the library of the first tensor
    among them, whatever its position (NumPy hands a tensor's function every argument)."""
    like = _first_tensor(values)
    return tuple(_tensor(v, like=like) for v in values)


def _holds_tensor(x):
    if isinstance(x, (list, tuple)):
        return builtins.any(_holds_tensor(v) for v in x)
    return isinstance(x, Tensor)


def _first_tensor(values):
    """The first tensor among ``values`` (whose library the others join), or None."""
    return next((v for v in values if isinstance(v, Tensor)), None)


def _is_number(v):
    return isinstance(v, (int, float, complex)) and not isinstance(v, np.generic)


def _pair(x1, x2):
    """Both operands of a binary function as tensors; a Python number takes the other's dtype
    (or its kind's default), as beside an operator."""
    like = _first_tensor((x1, x2))
    x1 = x1 if _is_number(x1) else _tensor(x1, like=like)
    x2 = x2 if _is_number(x2) else _tensor(x2, like=like)
    if _is_number(x1):
        x1 = _tensor(np.asarray(x1, dtype=weak_scalar_dtype(x1, x2.dtype)), like=x2)
    if _is_number(x2):
        x2 = _tensor(np.asarray(x2, dtype=weak_scalar_dtype(x2, x1.dtype)), like=x1)
    return x1, x2


def _floating(x):
    """A tensor in the dtype of a floating function of it: bool and integers become float32
    (up to 16 bits) or float64, as everywhere in tapegrad."""
    dtype = as_dtype(x.dtype)
    return x if dtype.kind in "fc" else ew.astype(x, float_result(dtype))


def _values(x) -> np.ndarray:
    """A NumPy copy of the values of a tensor, array or Python value (for static indices)."""
    if isinstance(x, Tensor):
        return to_numpy(x._value)
    if is_array(x) and not isinstance(x, np.ndarray):
        return to_numpy(x)
    return np.asarray(x)


def _raw(tree):
    """``tree`` with every tensor replaced by its array."""
    if isinstance(tree, Tensor):
        return tree._value
    if isinstance(tree, (list, tuple)):
        return type(tree)(_raw(v) for v in tree)
    if isinstance(tree, dict):
        return {k: _raw(v) for k, v in tree.items()}
    return tree


def _as_result(value, like):
    """A result of NumPy's function as tensors, in the library of the tensor ``like`` (NumPy
    hands back NumPy arrays for a library it converted, and Dask NumPy bin edges)."""
    if isinstance(value, (tuple, list)):
        return type(value)(_as_result(v, like) for v in value)
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not is_array(value):
        return value
    if like is not None and backend_name(value) != backend_name(like._value):
        return creation.asarray(value, like=like)
    return wrap(value)


def _on_values(function, *args, **kwargs):
    """NumPy's own ``function`` on the arrays inside the tensors, its arrays as tensors: for
    results that have no derivative (there is no gradient to lose)."""
    like = _first_tensor([*args, *kwargs.values()])
    args, kwargs = _raw(args), _raw(kwargs)
    if like is not None and backend_name(like._value) == "cupy":  # NumPy arrays join, as in
        args = [_numpy_moved(v, like) for v in args]  # _tensor: CuPy takes no NumPy operands
        kwargs = {k: _numpy_moved(v, like) for k, v in kwargs.items()}
    return _as_result(function(*args, **kwargs), like)


def _numpy_moved(value, like):
    return _tensor(value, like=like)._value if type(value) is np.ndarray else value


def _static(array, like):
    """A NumPy array computed here (indices, weights, a mask) in the library of tensor
    ``like``, so that it meets that library's arrays."""
    if backend_name(like._value) == "numpy":
        return array
    return creation.asarray(array, like=like)


def _refuse_lazy(name, *values):
    """NotImplementedError where a function needs every value of a Dask tensor on the host
    (to place them): tapegrad never pulls a Dask array into one process behind the user's
    back."""
    for x in values:
        if isinstance(x, Tensor) and is_lazy(x._value):
            raise NotImplementedError(
                f"numpy.{name} is not available for dask tensors: it places the values on the "
                "host, which would pull the whole array into this process; compute it on NumPy "
                "values (t.numpy()) if they fit in memory"
            )


def _cheap_to_read(x) -> bool:
    """Reading values back for a check costs nothing here (not a GPU, not a Dask recipe)."""
    return not isinstance(x, Tensor) or not waits_to_read(x._value)


def _along(axis, ndim, index):
    """An index tuple that applies ``index`` to ``axis`` of an ndim array."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _gather(x, labels):
    """``x``'s elements at the flat positions ``labels`` (a NumPy integer array), shaped like
    it: NumPy's index bookkeeping on positions, the data through a recorded ``take``."""
    flat = mp.reshape(x, (-1,))
    picked = mp.take(flat, np.asarray(labels, dtype=np.int64).reshape(-1), axis=0)
    return mp.reshape(picked, labels.shape)


def _cast_like_numpy(values, dtype, name):
    """``values`` in ``dtype`` as NumPy writes them into an array of it; a cast that would lose
    a kind (float into int, complex into real) raises instead of truncating."""
    have = as_dtype(values.dtype)
    if have == dtype:
        return values
    if not np.can_cast(have, dtype, "same_kind"):
        raise TypeError(
            f"numpy.{name}: the values are {have}, which a {dtype} array cannot hold without "
            "loss; cast them first"
        )
    return ew.astype(values, dtype)


def _joined(arrays, axis, dtype=None, casting="same_kind"):
    """NumPy's ``concatenate`` with ``dtype`` and ``casting``."""
    arrays = [_tensor(a, like=_first_tensor(arrays)) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if dtype is not None:
        target = as_dtype(dtype)
        for a in arrays:
            if not np.can_cast(as_dtype(a.dtype), target, casting):
                raise TypeError(
                    f"Cannot cast array data from dtype('{as_dtype(a.dtype)}') to "
                    f"dtype('{target}') according to the rule '{casting}'"
                )
        arrays = [ew.astype(a, target) for a in arrays]
    return mp.concat(arrays, axis=axis)


def _copy(a):
    return ew.astype(a, a.dtype, copy=True)
