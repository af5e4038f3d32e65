"""Creating tensors, and the two graph controls every tape needs: identity and stop_gradient."""

from __future__ import annotations

from .. import _dtypes
from .._backend import is_array, xp_of
from .._primitive import primitive, raw
from .._tensor import Tensor, to_array, wrap

__all__ = [
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
    return constant(value, dtype)


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


def zeros(shape, *, dtype=None, device=None) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    dtype = _dtype(dtype, _dtypes.DEFAULT_FLOAT)
    return wrap(_np_xp.zeros(_shape(shape), dtype=dtype))


def ones(shape, *, dtype=None, device=None) -> Tensor:
    """A tensor of ones (float32 by default)."""
    dtype = _dtype(dtype, _dtypes.DEFAULT_FLOAT)
    return wrap(_np_xp.ones(_shape(shape), dtype=dtype))


def _shape(shape):
    return (shape,) if isinstance(shape, int) else tuple(shape)


@primitive()
def zeros_like(x, /, *, dtype=None, device=None):
    """Zeros with the shape, dtype and library of ``x`` (not differentiable)."""
    xp = xp_of(x)
    return xp.zeros(x.shape, dtype=x.dtype if dtype is None else _to_xp(xp, dtype))


@primitive()
def ones_like(x, /, *, dtype=None, device=None):
    """Ones with the shape, dtype and library of ``x`` (not differentiable)."""
    xp = xp_of(x)
    return xp.ones(x.shape, dtype=x.dtype if dtype is None else _to_xp(xp, dtype))


def _to_xp(xp, dtype):
    return getattr(xp, _dtypes.as_dtype(dtype).name)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (int32 for integers, as TensorFlow)."""
    values = _np_xp.arange(start, stop, step) if stop is not None else _np_xp.arange(start)
    return wrap(to_array(values.tolist() if dtype is None else values, dtype))


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None) -> Tensor:
    """A 2-D tensor with ones on diagonal ``k`` (float32 by default)."""
    dtype = _dtype(dtype, _dtypes.DEFAULT_FLOAT)
    return wrap(_np_xp.eye(n_rows, n_cols, k=k, dtype=dtype))


def full(shape, fill_value, *, dtype=None, device=None) -> Tensor:
    """A tensor filled with ``fill_value`` (its dtype from the value, as ``constant``)."""
    value = raw(fill_value) if dtype is None else to_array(fill_value, dtype)
    return wrap(_np_xp.full(_shape(shape), value, dtype=value.dtype))
