"""The array library behind each value: its Array API namespace, cached per array type.

All array work goes through ``xp_of(value)``; nothing in the engine or the rules names NumPy
except as the default for Python values. Where the standard lacks something, the per-library
helpers live here.
"""

from __future__ import annotations

import types

import array_api_compat
import array_api_compat.numpy as _compat_numpy
import numpy as np


def _fast_numpy_namespace():
    """array_api_compat's NumPy namespace, with faster equivalents where they behave as the
    standard says for every input the ops pass them: NumPy's Python-level wrappers (np.sum,
    np.broadcast_to, np.expand_dims) cost microseconds a call, which small workloads feel on
    every operation, while ufunc reductions and array methods cost a fraction of that."""
    namespace = types.SimpleNamespace(**vars(_compat_numpy))
    if int(np.__version__.split(".")[0]) < 2:
        return namespace
    for name in (
        "matmul",
        "mean",
        "exp",
        "log",
        "take_along_axis",
        "where",
        "maximum",
        "minimum",
        "tanh",
        "sin",
        "cos",
    ):
        setattr(namespace, name, getattr(np, name))
    namespace.permute_dims = np.transpose
    namespace.concat = np.concatenate
    namespace.sum = _reducer(np.add)
    namespace.prod = _reducer(np.multiply)
    namespace.max = _reducer(np.maximum, identity_needed=True)
    namespace.min = _reducer(np.minimum, identity_needed=True)
    namespace.reshape = lambda x, /, shape, *, copy=None: x.reshape(shape)
    namespace.expand_dims = _expand_dims
    namespace.broadcast_to = _broadcast_to
    return namespace


def _reducer(ufunc, identity_needed=False):
    def reduce(x, /, *, axis=None, dtype=None, keepdims=False):
        if isinstance(axis, list):
            axis = tuple(axis)
        if identity_needed and np.size(x) == 0:  # NumPy's own rules: empty reduced axes raise
            return (np.max if ufunc is np.maximum else np.min)(x, axis=axis, keepdims=keepdims)
        return ufunc.reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    return reduce


def _expand_dims(x, /, *, axis=0):
    ndim = np.ndim(x) + 1
    if not -ndim <= axis < ndim:
        raise IndexError(f"expand_dims: axis {axis} is out of bounds for the result's {ndim} axes")
    axis %= ndim
    shape = np.shape(x)
    return np.reshape(x, shape[:axis] + (1,) + shape[axis:])


def _broadcast_to(x, /, shape):
    """A read-only broadcast view, made directly from strides when ``x`` is contiguous."""
    shape = tuple(shape)
    if type(x) is not np.ndarray or not x.flags.c_contiguous or len(shape) < x.ndim:
        return np.broadcast_to(x, shape)
    pad = len(shape) - x.ndim
    strides = [0] * pad
    for have, want, stride in zip(x.shape, shape[pad:], x.strides):
        if have == want:
            strides.append(stride)
        elif have == 1:
            strides.append(0)
        else:
            return np.broadcast_to(x, shape)  # NumPy raises its own error
    view = np.ndarray(shape, x.dtype, buffer=x, strides=tuple(strides))
    view.flags.writeable = False
    return view


_np_xp = _fast_numpy_namespace()
_NAMESPACES: dict[type, object] = {np.ndarray: _np_xp}


def xp_of(value):
    """The Array API namespace of a backend array (NumPy's for scalars and NumPy values)."""
    xp = _NAMESPACES.get(type(value))
    if xp is None:
        xp = _lookup(value)
    return xp


def _lookup(value):
    if isinstance(value, (np.ndarray, np.generic, int, float, complex)):
        xp = _np_xp
    else:
        xp = array_api_compat.array_namespace(value)
    if not isinstance(value, (int, float, complex)):
        _NAMESPACES[type(value)] = xp
    return xp


def is_numpy_namespace(xp) -> bool:
    return xp is _np_xp


def is_array(value) -> bool:
    """A backend array (not a Python scalar, not a Tensor)."""
    return isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__array_namespace__")


def backend_name(value) -> str:
    module = type(value).__module__.split(".")[0]
    return "numpy" if module == "numpy" else module


def to_numpy(value) -> np.ndarray:
    """A NumPy copy or read-only view of a backend value; computes lazy (Dask) arrays."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    name = backend_name(value)
    if name == "cupy":
        return value.get()
    if name == "dask":
        return np.asarray(value.compute())
    return np.asarray(value)


def readonly(array: np.ndarray) -> np.ndarray:
    """A view that cannot write into ``array``: tensors never change their values."""
    view = array.view()
    view.flags.writeable = False
    return view


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulating, on the target's library.

    The Array API has no scatter-add; this is the one place that supplies it per library.
    ``target`` is a fresh array owned by the caller.
    """
    name = backend_name(target)
    if name == "numpy":
        np.add.at(target, index, values)
        return target
    if name == "cupy":
        import cupyx

        cupyx.scatter_add(target, index, values)
        return target
    raise NotImplementedError(
        f"scatter-add (the gradient of advanced indexing) is not available for {name} arrays: "
        "index with slices and integers, or use NumPy or CuPy arrays"
    )


def is_basic_index(index: tuple) -> bool:
    """Only integers, slices, None and Ellipsis: each element is selected at most once."""
    return all(
        isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index
    ) and not any(isinstance(i, bool) for i in index)


_ONES: dict = {}


def ones_like(value):
    """Ones of ``value``'s shape, dtype and library: the seed of a backward pass."""
    if isinstance(value, np.generic):
        seed = _ONES.get(value.dtype)
        if seed is None:
            seed = _ONES[value.dtype] = value.dtype.type(1)
        return seed
    return xp_of(value).ones(tuple(value.shape), dtype=value.dtype)
