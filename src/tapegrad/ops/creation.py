"""Creating tensors, and the two graph controls every tape needs: identity and stop_gradient."""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._backend import (
    backend_name,
    create_on,
    device_of,
    in_library_of,
    is_array,
    library_dtype,
    to_numpy,
    xp_of,
)
from .._checks import flag
from .._primitive import primitive, raw
from .._tensor import Tensor, to_array, wrap
from ._helpers import as_shape

__all__ = [
    "asarray",
    "empty",
    "empty_like",
    "from_dlpack",
    "full_like",
    "linspace",
    "meshgrid",
    "tril",
    "triu",
    "arange",
    "constant",
    "convert_to_tensor",
    "eye",
    "full",
    "identity",
    "ones",
    "ones_like",
    "stop_gradient",
    "zeros",
    "zeros_like",
]

_np_xp = xp_of(0.0)


def constant(value, dtype=None) -> Tensor:
    """A tensor holding a copy of ``value``.

    Python floats become float32, ints int32, bools bool (TensorFlow's defaults); NumPy arrays and
    scalars keep their dtype unless ``dtype`` is given.

    >>> import tapegrad as tg
    >>> print(tg.constant(2.0))
    tg.Tensor(2.0, shape=(), dtype=float32)
    >>> tg.constant([1, 2]).dtype
    dtype('int32')
    """
    if isinstance(value, Tensor):
        source = value._value
    else:
        source = value
    array = to_array(source, dtype)
    if array is source and is_array(source):
        array = xp_of(source).asarray(source, copy=True)  # the caller may write theirs later
    return wrap(array)


def convert_to_tensor(value, dtype=None) -> Tensor:
    """``value`` as a tensor: a Tensor of the right dtype is returned as it is; a Variable is
    read (a recorded read, so gradients reach it); anything else is copied in as by ``constant``.

    >>> import tapegrad as tg
    >>> tg.convert_to_tensor([1.0, 2.0]).shape
    (2,)
    """
    from .._tensor import Variable

    if isinstance(value, Tensor):
        if dtype is not None and _dtypes.as_dtype(dtype) != value.dtype:
            raise TypeError(
                f"convert_to_tensor: the tensor has dtype {value.dtype}, not the requested "
                f"{_dtypes.as_dtype(dtype)}; cast it with tg.astype"
            )
        return identity(value) if isinstance(value, Variable) else value
    packed = _packed(value, dtype)
    return packed if packed is not None else constant(value, dtype)


def _packed(value, dtype):
    """A list or tuple that holds tensors, stacked on the tape, as TensorFlow's
    ``convert_to_tensor`` packs one: gradients reach the tensors. None where it holds none."""
    from .._tensor import _leaf_types, _leaves

    if not isinstance(value, list | tuple) or not any(
        issubclass(t, Tensor) for t in _leaf_types(value)
    ):
        return None
    from .manipulation import stack

    if dtype is None:
        dtype = _dtypes.result_type(*(v.dtype for v in _leaves(value) if isinstance(v, Tensor)))
    target = _dtypes.as_dtype(dtype)

    def packed(item):
        if isinstance(item, list | tuple):
            return stack([packed(part) for part in item])
        if not isinstance(item, Tensor):
            return constant(item, target)  # checked: nothing truncated
        return _cast_on_tape(item, target)

    return packed(value)


@primitive(vjp=lambda g, ans, x: g, jvp=lambda ts, ans, x: ts[0])
def identity(x, /):
    """The same value as a new tensor (recorded, so gradients flow through it)."""
    return x


@primitive(vjp=None)
def stop_gradient(x, /):
    """The same value, but no gradient flows through it: tapes see a cut path.

    >>> import tapegrad as tg
    >>> x = tg.Variable(3.0)
    >>> with tg.GradientTape() as tape:
    ...     y = x * tg.stop_gradient(x)
    >>> print(tape.gradient(y, x))
    tg.Tensor(3.0, shape=(), dtype=float32)
    """
    return x


def _dtype(dtype, default):
    return _dtypes.as_dtype(dtype) if dtype is not None else default


# Creation functions make NumPy arrays unless ``device=`` names another library's device (see
# ``_backend.create_on``); the ``*_like`` functions follow their argument's library.


def zeros(shape, *, dtype=None, device=None) -> Tensor:
    """A tensor of zeros (float32 by default), on ``device`` (NumPy's for None).

    >>> import tapegrad as tg
    >>> print(tg.zeros(2, device="cpu"))
    tg.Tensor([0. 0.], shape=(2,), dtype=float32)
    """
    dtype = _dtype(dtype, _dtypes.DEFAULT_FLOAT)
    return wrap(create_on(device, "zeros", _shape(shape), dtype=dtype))


def ones(shape, *, dtype=None, device=None) -> Tensor:
    """A tensor of ones (float32 by default), on ``device`` (NumPy's for None)."""
    dtype = _dtype(dtype, _dtypes.DEFAULT_FLOAT)
    return wrap(create_on(device, "ones", _shape(shape), dtype=dtype))


def _shape(shape):
    return (shape,) if type(shape) is int else as_shape(shape)


@primitive()
def zeros_like(x, /, *, dtype=None, device=None):
    """Zeros with the shape, dtype and library of ``x`` (not differentiable), or on
    ``device``."""
    return _like(x, "zeros", dtype, device)


@primitive()
def ones_like(x, /, *, dtype=None, device=None):
    """Ones with the shape, dtype and library of ``x`` (not differentiable), or on
    ``device``."""
    return _like(x, "ones", dtype, device)


def _like(x, name, dtype, device, *fill):
    """``xp.<name>`` with ``x``'s shape, and its dtype and library unless ``dtype`` or
    ``device`` says otherwise."""
    if device is None or device == getattr(x, "device", "cpu"):
        xp = xp_of(x)
        dtype = x.dtype if dtype is None else _to_xp(xp, dtype)
        return getattr(xp, name)(x.shape, *fill, dtype=dtype, device=device_of(x))
    dtype = _dtypes.as_dtype(x.dtype if dtype is None else dtype)
    return create_on(device, name, tuple(x.shape), *fill, dtype=dtype)


def _to_xp(xp, dtype):
    return library_dtype(xp, _dtypes.as_dtype(dtype))


def arange(start, /, stop=None, step=1, *, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (int32 for integers, as TensorFlow)."""
    if step == 0:  # NumPy divides by it
        raise ValueError("arange: step must not be 0 (the range would never reach stop)")
    values = _np_xp.arange(start, stop, step) if stop is not None else _np_xp.arange(start)
    if dtype is None:
        given = (v for v in (start, stop, step) if v is not None)
        integral = all(_integral(v) for v in given)
        dtype = _dtypes.DEFAULT_FLOAT
        if integral:  # int32, or int64 for values int32 cannot hold (as constant chooses)
            fits = not values.size or (values.min() >= -(2**31) and values.max() < 2**31)
            dtype = _dtypes.DEFAULT_INT if fits else _dtypes.int64
    # a checked cast: values the dtype cannot hold raise instead of wrapping around
    return moved_to(to_array(values, dtype), device)


def _integral(value) -> bool:
    """An int, a NumPy integer, or an integer array or tensor (a 0-d one as arange's bound)."""
    if isinstance(value, int | np.integer):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and _dtypes.kind_of(dtype) in "iu"


def moved_to(values, device):
    """NumPy ``values`` made on ``device`` (computed on the host first: NumPy's arange and
    linspace are the reference for their endpoints and rounding)."""
    return wrap(create_on(device, "asarray", values, dtype=values.dtype))


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None) -> Tensor:
    """A 2-D tensor with ones on diagonal ``k`` (float32 by default)."""
    dtype = _dtype(dtype, _dtypes.DEFAULT_FLOAT)
    return wrap(create_on(device, "eye", n_rows, n_cols, k=k, dtype=dtype))


def full(shape, fill_value, *, dtype=None, device=None) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype from the value, as ``constant``). A
    floating 0-d tensor as the value gives a result differentiable in it, as TensorFlow's
    ``fill``."""
    if isinstance(fill_value, Tensor) and device is None and fill_value.ndim == 0:
        # the fill's own library (nothing computed on Dask), recorded where differentiable
        from .manipulation import broadcast_to

        if dtype is not None:
            fill_value = _cast_on_tape(fill_value, dtype)
        return broadcast_to(fill_value, _shape(shape))
    value = raw(fill_value) if dtype is None else to_array(fill_value, dtype)
    if getattr(value, "ndim", 0):
        raise ValueError(
            f"full: fill_value must be a single number, not one of shape {tuple(value.shape)}: "
            "use tg.broadcast_to(value, shape) to repeat an array"
        )
    fill = value.item() if hasattr(value, "item") else value
    return wrap(create_on(device, "full", _shape(shape), fill, dtype=value.dtype))


def asarray(obj, /, *, dtype=None, device=None, copy=None, like=None) -> Tensor:
    """``obj`` as a tensor (the Array API's ``asarray``): a tensor of the right dtype is
    returned as it is unless ``copy=True``; anything else is converted as by ``constant``.

    ``like=t`` (NumPy's ``like=``) puts the value in the array library of tensor ``t``, and on its
    device, so code
    that builds constants runs unchanged on CuPy, Dask or any other backend; this is an explicit
    conversion, the one place where data moves between libraries.

    >>> import tapegrad as tg
    >>> x = tg.constant([1.0, 2.0])
    >>> print(x * tg.asarray([[1.0], [2.0]], like=x))
    tg.Tensor(
    [[1. 2.]
     [2. 4.]], shape=(2, 2), dtype=float32)
    """
    if like is not None:
        target = like._value if isinstance(like, Tensor) else like
        value = raw(obj) if isinstance(obj, Tensor) or is_array(obj) else to_array(obj, dtype)
        if backend_name(value) != backend_name(target):  # through the host, as NumPy
            value = to_numpy(value)
        return constant(in_library_of(target, value), dtype)
    value = obj._value if isinstance(obj, Tensor) else obj
    if device is not None and getattr(value, "device", "cpu") != device:
        # another device: through the host, made there by the device's library
        array = to_array(to_numpy(value) if is_array(value) else value, dtype)
        return wrap(create_on(device, "asarray", array, dtype=array.dtype))
    if isinstance(obj, Tensor) and (dtype is None or _dtypes.as_dtype(dtype) == obj.dtype):
        if copy:  # a new array, still on the tape (as a cast to its own dtype)
            from .elementwise import astype

            return astype(obj, obj.dtype, copy=True)
        from .._tensor import Variable

        # a Variable gives its value now, read on the tape (a later assign leaves it as it is)
        return identity(obj) if isinstance(obj, Variable) else obj
    if isinstance(obj, Tensor) and device is None and _differentiable_cast(obj.dtype, dtype):
        from .elementwise import astype  # a cast on the tape: gradients flow through it

        return astype(obj, dtype)
    if copy is False and not isinstance(obj, Tensor):
        raise ValueError(
            "asarray(copy=False) cannot avoid a copy here: tapegrad owns its arrays; pass "
            "copy=None or copy=True"
        )
    packed = _packed(obj, dtype) if device is None else None
    return packed if packed is not None else constant(obj, dtype)


def _cast_on_tape(tensor, dtype):
    """``tensor`` in ``dtype``: a recorded cast where gradients pass it, else the checked
    conversion (a float is never truncated into an integer dtype)."""
    target = _dtypes.as_dtype(dtype)
    if tensor.dtype == target:
        return tensor
    if _differentiable_cast(tensor.dtype, target):
        from .elementwise import astype

        return astype(tensor, target)
    return wrap(to_array(raw(tensor), target))


def _differentiable_cast(source, dtype) -> bool:
    """A cast to a float or complex dtype that loses no imaginary part: one gradients pass."""
    target = _dtypes.as_dtype(dtype).kind
    return target in "fc" and not (_dtypes.as_dtype(source).kind == "c" and target != "c")


def empty(shape, *, dtype=None, device=None) -> Tensor:
    """An uninitialised tensor; tapegrad fills it with zeros."""
    return zeros(shape, dtype=dtype, device=device)


@primitive()
def empty_like(x, /, *, dtype=None, device=None):
    """A tensor shaped like ``x`` (filled with zeros; not differentiable)."""
    return _like(x, "zeros", dtype, device)


@primitive()
def full_like(x, /, fill_value, *, dtype=None, device=None):
    """A tensor shaped like ``x`` holding ``fill_value`` (not differentiable). The value is
    converted as ``constant`` converts it: a float is never truncated into an integer dtype."""
    target = raw(x).dtype if dtype is None else dtype
    return _like(x, "full", dtype, device, to_array(raw(fill_value), target).item())


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` (float32 by default).
    Tensor endpoints give a result differentiable in them (as TensorFlow's ``linspace``), in
    their library and dtype."""
    endpoint = flag(endpoint, "linspace: endpoint")
    if isinstance(start, Tensor) or isinstance(stop, Tensor):
        return _linspace_between(start, stop, num, dtype, endpoint)
    complex_ = isinstance(start, complex) or isinstance(stop, complex)
    default = _dtypes.DEFAULT_COMPLEX if complex_ else _dtypes.DEFAULT_FLOAT
    values = _np_xp.linspace(start, stop, num, endpoint=endpoint)
    target = _dtype(dtype, default)
    # a checked cast: values the dtype cannot hold (fractions into an integer dtype) raise
    return moved_to(to_array(values, target) if values.dtype != target else values, device)


def _linspace_between(start, stop, num, dtype, endpoint):
    """``start + (stop - start) * f`` for the fractions ``f`` of NumPy's linspace from 0 to 1,
    recorded, so that gradients reach tensor endpoints (NumPy's own linspace would call back
    into tapegrad through ``__array_function__``). Ends of several shapes broadcast, and the
    values run along a new first axis, as NumPy's."""
    from .elementwise import add, as_floating, multiply, subtract
    from .manipulation import reshape

    if dtype is not None and _dtypes.as_dtype(dtype).kind not in "fc":  # no derivative:
        floats = _linspace_between(start, stop, num, None, endpoint)  # computed in floats, then
        return _cast_on_tape(floats, dtype)  # a checked cast (lazy on Dask)
    ends = [as_floating(e if isinstance(e, Tensor) else constant(e)) for e in (start, stop)]
    like = next(e for e, given in zip(ends, (start, stop)) if isinstance(given, Tensor))
    target = _dtypes.as_dtype(dtype) if dtype is not None else _dtypes.result_type(*ends)
    ends = [_cast_on_tape(e, target) for e in ends]
    fractions = _np_xp.linspace(0.0, 1.0, num, endpoint=endpoint)
    real = np.finfo(target).dtype  # complex endpoints take real fractions of their precision
    fractions = asarray(_np_xp.astype(fractions, real), like=like)
    ndim = max(e.ndim for e in ends)
    fractions = reshape(fractions, (num,) + (1,) * ndim)
    return add(ends[0], multiply(subtract(ends[1], ends[0]), fractions))


def meshgrid(*arrays, indexing="xy"):
    """Coordinate grids from 1-D arrays, as NumPy's ``meshgrid`` (differentiable)."""
    from .manipulation import broadcast_to, reshape

    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}")
    n = len(arrays)
    sizes = [a.shape[0] if a.ndim else 1 for a in arrays]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, a in enumerate(arrays):
        position = i if not (indexing == "xy" and i < 2 and n >= 2) else 1 - i
        shape = [1] * n
        shape[position] = -1
        grids.append(broadcast_to(reshape(a, tuple(shape)), tuple(sizes)))
    return grids


def _triangle(x, k, lower):
    if len(raw(x).shape) < 2:
        raise ValueError(
            f"{'tril' if lower else 'triu'} needs matrices (at least 2 dimensions), not shape "
            f"{tuple(raw(x).shape)}: reshape the value first"
        )
    xp = xp_of(raw(x))
    rows, cols = x.shape[-2], x.shape[-1]
    ones = xp.ones((rows, cols), dtype=xp.bool, device=device_of(raw(x)))
    mask = xp.tril(ones, k=k) if lower else xp.logical_not(xp.tril(ones, k=k - 1))
    from .elementwise import where

    return where(mask, x, False if _dtypes.kind_of(raw(x).dtype) == "b" else 0)  # bool stays bool


def tril(x, /, *, k=0):
    """The lower triangle of the last two axes (elements above diagonal ``k`` set to 0)."""
    return _triangle(x, k, lower=True)


def triu(x, /, *, k=0):
    """The upper triangle of the last two axes (elements below diagonal ``k`` set to 0)."""
    return _triangle(x, k, lower=False)


def from_dlpack(x, /, *, device=None, copy=None) -> Tensor:
    """A tensor from any object that supports the DLPack protocol."""
    if not hasattr(x, "__dlpack__"):
        raise TypeError(
            f"from_dlpack takes an array that supports DLPack (it has __dlpack__), not "
            f"{type(x).__name__}: use tg.constant for Python values"
        )
    return constant(np.from_dlpack(x))
