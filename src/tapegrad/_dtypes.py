"""dtypes and the rules that turn Python values into typed arrays.

tapegrad's dtypes are NumPy dtype objects: CuPy and Dask use the same ones, and other Array API
libraries are matched to them by name (``as_dtype``).
"""

from __future__ import annotations

import numpy as np

bool = np.dtype("bool")  # noqa: A001 - the Array API name
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
uint16 = np.dtype("uint16")
uint32 = np.dtype("uint32")
uint64 = np.dtype("uint64")
float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
complex64 = np.dtype("complex64")
complex128 = np.dtype("complex128")

# TensorFlow's defaults for Python scalars, which the Array API lets a library choose.
DEFAULT_FLOAT = float32
DEFAULT_INT = int32
DEFAULT_COMPLEX = complex64

ALL = (bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64)
ALL += (float16, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}


_CANONICAL = {d: d for d in ALL}


def as_dtype(dtype) -> np.dtype:
    """The tapegrad dtype for ``dtype`` (a dtype, a name, or another library's dtype object)."""
    if type(dtype) in _NUMPY_DTYPE_TYPES:  # not isinstance: NumPy's dtype metaclass makes it slow
        known = _CANONICAL.get(dtype)
        if known is not None:
            return known
    elif dtype.__hash__ is not None:
        known = _FOREIGN.get(dtype)
        if known is not None:
            return known
    # another library's dtype object (array_api_strict.float64, torch.float32): by its name
    if isinstance(dtype, str) or (isinstance(dtype, type) and issubclass(dtype, np.generic)):
        name = dtype
    elif isinstance(dtype, type) and dtype in (builtins_bool, int, float, complex):  # as NumPy
        name = np.dtype(dtype).name
    else:
        name = getattr(dtype, "name", None) or str(dtype).rpartition(".")[2]
    try:
        known = _BY_NAME[np.dtype(name).name]
    except (TypeError, KeyError):
        raise TypeError(
            f"unknown dtype {dtype!r}: use one of tg.{', tg.'.join(_BY_NAME)}"
        ) from None
    if not isinstance(dtype, (str, np.dtype, type)) and dtype.__hash__ is not None:
        _FOREIGN[dtype] = known  # the next lookup of this object is one dict access
    return known


# Other libraries' dtype objects, kept apart from NumPy's: some hash like NumPy's and warn when
# compared with them.
_FOREIGN: dict = {}


def kind_of(dtype) -> str:
    """NumPy's one-letter kind ("f", "c", "i", "u", "b") of any library's dtype object."""
    kind = _KIND_BY_TYPE.get(type(dtype))  # every operation asks: one dict access, no isinstance
    if kind is not None:
        return kind
    if isinstance(dtype, np.dtype):
        _KIND_BY_TYPE[type(dtype)] = dtype.kind  # a NumPy dtype class has one kind
        return dtype.kind
    return as_dtype(dtype).kind


# NumPy's dtype classes (Float32DType ...): CuPy and Dask use the same objects
_NUMPY_DTYPE_TYPES = frozenset(type(d) for d in ALL)
_KIND_BY_TYPE = {type(d): d.kind for d in ALL}
# The classes of NumPy's real floating and complex dtypes: the hottest checks (is this value
# differentiable? real?) test the class of a dtype against these without a call; any other
# dtype object falls back to kind_of.
REAL_FLOAT_TYPES = frozenset(type(d) for d in (float16, float32, float64))
FLOAT_TYPES = REAL_FLOAT_TYPES | {type(complex64), type(complex128)}


def is_differentiable(dtype) -> bool:
    """Only floating-point and complex values carry gradients."""
    return dtype.kind in "fc"


def float_result(dtype) -> np.dtype:
    """The dtype a floating function (sin, sqrt, mean, a norm) gives for an input of ``dtype``:
    the same dtype for floating and complex input; for bool and integers, float32 up to 16 bits
    and float64 from 32 bits, as TensorFlow's true division. Every integer is then exact, and
    NumPy's float16 for bool and 8-bit integers (exp(int8(12)) = inf) never appears."""
    dtype = as_dtype(dtype)
    if dtype.kind in "fc":
        return dtype
    return float32 if dtype.itemsize <= 2 else float64


def python_scalar_dtype(value) -> np.dtype:
    """The dtype a bare Python scalar takes on its own: TensorFlow's defaults."""
    if isinstance(value, builtins_bool):
        return bool
    if isinstance(value, int):
        return DEFAULT_INT if -(2**31) <= value < 2**31 else int64
    if isinstance(value, float):
        return DEFAULT_FLOAT
    return DEFAULT_COMPLEX


builtins_bool = type(True)  # noqa: UP003 - `bool` is the dtype in this module
PYTHON_SCALARS = (int, float, complex)  # bool is an int subclass


def weak_scalar_dtype(scalar, strong: np.dtype) -> np.dtype:
    """The result dtype of a Python scalar combined with an array of dtype ``strong``.

    The scalar takes the array's dtype (``x * 2.0`` stays float32), except where that would lose
    its kind: a float with an integer or bool array gives the default float dtype, as in JAX.
    """
    strong = as_dtype(strong)
    kind = strong.kind
    if isinstance(scalar, builtins_bool) or kind == "c":
        return strong
    if isinstance(scalar, int):
        return DEFAULT_INT if kind == "b" else strong
    if isinstance(scalar, float):
        return strong if kind == "f" else DEFAULT_FLOAT
    # complex scalar with a real array: the complex type of the same precision
    return complex128 if strong == float64 else DEFAULT_COMPLEX


# -- the Array API's data type functions ---------------------------------------------------------
def _dtype_of(value) -> np.dtype:
    if hasattr(value, "dtype") and not isinstance(value, type):  # np.float64 names a dtype
        return as_dtype(value.dtype)
    return as_dtype(value)


def result_type(*arrays_and_dtypes) -> np.dtype:
    """The dtype that combining the arguments (arrays, dtypes or Python scalars) gives."""
    strong = [_dtype_of(v) for v in arrays_and_dtypes if not isinstance(v, PYTHON_SCALARS)]
    weak = [v for v in arrays_and_dtypes if isinstance(v, PYTHON_SCALARS)]
    if not strong:
        if not weak:
            raise ValueError("result_type needs at least one array, dtype or scalar")
        strong = [python_scalar_dtype(weak.pop(0))]
    dtype = as_dtype(np.result_type(*strong))
    for scalar in weak:
        dtype = weak_scalar_dtype(scalar, dtype)
    return dtype


def can_cast(from_, to, /) -> builtins_bool:
    """Whether ``from_`` (a dtype or array) casts to ``to`` under the promotion rules."""
    return builtins_bool(np.can_cast(_dtype_of(from_), as_dtype(to), "same_kind")) and (
        result_type(_dtype_of(from_), as_dtype(to)) == as_dtype(to)
    )


class FloatInfo:
    """Machine limits of a floating-point dtype, as Python numbers (the Array API's form)."""

    def __init__(self, dtype: np.dtype):
        info = np.finfo(dtype)
        self.bits, self.dtype = int(info.bits), as_dtype(info.dtype)
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.smallest_normal = float(info.smallest_normal)

    def __repr__(self) -> str:
        return f"finfo(dtype={self.dtype}, bits={self.bits}, eps={self.eps}, max={self.max})"


class IntInfo:
    """Machine limits of an integer dtype, as Python ints."""

    def __init__(self, dtype: np.dtype):
        info = np.iinfo(dtype)
        self.bits, self.dtype = int(info.bits), as_dtype(info.dtype)
        self.max, self.min = int(info.max), int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(dtype={self.dtype}, bits={self.bits}, min={self.min}, max={self.max})"


def finfo(type, /) -> FloatInfo:  # noqa: A002 - the Array API's name
    """Machine limits of a floating-point dtype (bits, eps, max, min, smallest_normal)."""
    return FloatInfo(_dtype_of(type))


def iinfo(type, /) -> IntInfo:  # noqa: A002 - the Array API's name
    """Machine limits of an integer dtype (bits, max, min)."""
    return IntInfo(_dtype_of(type))


_KINDS = {
    "bool": "b",
    "signed integer": "i",
    "unsigned integer": "u",
    "integral": "iu",
    "real floating": "f",
    "complex floating": "c",
    "numeric": "iufc",
}


def isdtype(dtype, kind) -> builtins_bool:
    """Whether ``dtype`` is of ``kind``: a dtype, a kind name, or a tuple of them."""
    dtype = as_dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}; use one of {sorted(_KINDS)}")
        return dtype.kind in _KINDS[kind]
    return dtype == as_dtype(kind)
