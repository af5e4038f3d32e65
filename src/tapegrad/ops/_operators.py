"""The one place where Python operators and NumPy calls on tensors are routed to ops.

Installed onto ``Tensor`` when the ops package is imported, so ``_tensor.py`` holds no arithmetic.
"""

from __future__ import annotations

import numpy as np

from .. import _dtypes
from .._tensor import Tensor, Variable, to_array, wrap
from . import elementwise as ew
from . import manipulation
from . import numpy_functions as npf
from ._helpers import as_shape
from .indexing import At, getitem, normalize_index, set_item
from .linalg import matmul
from .numpy_functions import no_out as _no_out


def _compare(op, x, y, differ: bool):
    """``==`` and ``!=`` as TensorFlow's operators: elementwise, but ``None`` and a value whose
    shape does not broadcast compare as unequal (a plain bool), so that ``v in variables`` and
    ``list.index`` work over tensors of several shapes."""
    if y is None:
        return differ
    try:
        return op(x, y)
    except ValueError:  # shapes that do not broadcast
        if not hasattr(y, "shape") and not isinstance(y, (list, tuple)):
            raise
        return differ


def _swap(op):
    return lambda self, other: op(other, self)


def _getitem(self, index):
    return getitem(self, index=normalize_index(index, self.shape))


def _bitwise(name):
    """``&``, ``|``, ``^``, ``~``, ``<<`` and ``>>``: bitwise on integers, logical on bools."""

    def operator(*args):
        return getattr(ew, name)(*args)

    return operator


OPERATORS = {
    "__add__": ew.add,
    "__radd__": _swap(ew.add),
    "__sub__": ew.subtract,
    "__rsub__": _swap(ew.subtract),
    "__mul__": ew.multiply,
    "__rmul__": _swap(ew.multiply),
    "__truediv__": ew.divide,
    "__rtruediv__": _swap(ew.divide),
    "__floordiv__": ew.floor_divide,
    "__rfloordiv__": _swap(ew.floor_divide),
    "__mod__": ew.remainder,
    "__rmod__": _swap(ew.remainder),
    "__pow__": ew.pow,
    "__rpow__": _swap(ew.pow),
    "__matmul__": matmul,
    "__rmatmul__": _swap(matmul),
    "__neg__": ew.negative,
    "__pos__": ew.positive,
    "__abs__": ew.abs,
    "__eq__": lambda x, y: _compare(ew.equal, x, y, False),
    "__ne__": lambda x, y: _compare(ew.not_equal, x, y, True),
    "__lt__": ew.less,
    "__le__": ew.less_equal,
    "__gt__": ew.greater,
    "__ge__": ew.greater_equal,
    "__and__": _bitwise("bitwise_and"),
    "__rand__": _swap(_bitwise("bitwise_and")),
    "__or__": _bitwise("bitwise_or"),
    "__ror__": _swap(_bitwise("bitwise_or")),
    "__xor__": _bitwise("bitwise_xor"),
    "__rxor__": _swap(_bitwise("bitwise_xor")),
    "__lshift__": _bitwise("bitwise_left_shift"),
    "__rlshift__": _swap(_bitwise("bitwise_left_shift")),
    "__rshift__": _bitwise("bitwise_right_shift"),
    "__rrshift__": _swap(_bitwise("bitwise_right_shift")),
    "__invert__": _bitwise("bitwise_invert"),
    "__getitem__": _getitem,
}


# NumPy functions called on tensors (``np.sum(t)``, ``np.dot(a, t)``) run tapegrad's function of
# the same name, found at call time; these adapters cover NumPy's differing names and arguments.
def _reduction(name):
    """NumPy's reduction ``name`` (function and method) in NumPy's own positional order: max and
    min take no dtype. An unknown keyword is Python's TypeError, naming NumPy's function."""
    _NO = np._NoValue

    def reduce(a, axis, dtype, out, keepdims, initial, where):
        _no_out(name, out)
        npf.refuse(name, initial=initial, where=where)  # dropping them would change the result
        result = getattr(_tapegrad(), name)(a, axis=axis, keepdims=keepdims)
        return result if dtype is None else ew.astype(result, dtype)

    if name in ("max", "min"):

        def call(a, axis=None, out=None, keepdims=False, initial=_NO, where=_NO):
            return reduce(a, axis, None, out, keepdims, initial, where)

    elif name == "mean":

        def call(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NO):
            return reduce(a, axis, dtype, out, keepdims, _NO, where)

    else:

        def call(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO, where=_NO):
            return reduce(a, axis, dtype, out, keepdims, initial, where)

    call.__qualname__ = call.__name__ = f"numpy.{name}"
    return call


def _numpy_diagonal(a, offset, axis1, axis2):
    """NumPy's diagonal over ``axis1`` and ``axis2`` (the first two by default; tg.linalg's
    takes the last two): those axes moved to the end, then the diagonal taken there."""
    return _tapegrad().linalg.diagonal(
        _tapegrad().moveaxis(a, (axis1, axis2), (-2, -1)), offset=offset
    )


def _numpy_trace(a, offset, axis1, axis2, dtype, out):
    _no_out("trace", out)
    total = _tapegrad().sum(_numpy_diagonal(a, offset, axis1, axis2), axis=-1)
    return total if dtype is None else ew.astype(total, dtype)


def _sort_in_place(tensor, axis):
    """``t.sort()`` sorts ``t`` itself, as NumPy's method does (a recorded sort: the tensor
    takes its result and a new identity, as ``t[i] = v`` does); it returns None."""
    out = _tapegrad().sort(tensor, axis=axis)
    if isinstance(tensor, Variable):
        tensor.assign(out)
    else:
        tensor._value, tensor._uid = out._value, out._uid


def _numpy_moment(name):
    """NumPy's var or std (function and method): ``dtype`` computes in that dtype, as NumPy's
    does; NumPy 2's ``correction`` is ``ddof`` by its standard name."""

    def call(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **options):
        correction = options.pop("correction", np._NoValue)
        npf.refuse(name, **options)  # where=, mean=: dropping them would change the result
        if correction is not np._NoValue:
            if ddof != 0:
                raise ValueError("ddof and correction can't be provided simultaneously.")
            ddof = correction
        return _moment(name, a, axis, dtype, out, ddof, keepdims)

    return call


def _moment(name, a, axis, dtype, out, ddof, keepdims):
    _no_out(name, out)
    if dtype is not None:
        a = ew.astype(a, dtype)
    return getattr(_tapegrad(), name)(a, axis=axis, correction=ddof, keepdims=keepdims)


def _numpy_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """NumPy's reshape, its Fortran order too (the reversed axes reshaped in C order)."""
    shape = as_shape(shape if shape is not None else newshape)
    if order in ("C", "A"):  # tensors are C-contiguous, so "A" is C order
        return manipulation.reshape(a, shape)
    if order != "F":
        raise ValueError(f"numpy.reshape: order must be 'C', 'F' or 'A', not {order!r}")
    backwards = tuple(range(a.ndim))[::-1]
    flipped = manipulation.reshape(manipulation.permute_dims(a, backwards), shape[::-1])
    return manipulation.permute_dims(flipped, tuple(range(len(shape)))[::-1])


def _numpy_concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    _no_out("concatenate", out)
    joined = manipulation.concat(arrays, axis=axis)
    return joined if dtype is None else ew.astype(joined, dtype)


def _numpy_sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise TypeError("numpy.sort(order=...) sorts structured arrays, which tensors are not")
    if axis is None:  # NumPy sorts the flattened array
        a, axis = manipulation.reshape(a, (-1,)), -1
    return _tapegrad().sort(a, axis=axis)


def _tapegrad():
    import tapegrad

    return tapegrad


METHODS = {
    "sum": _reduction("sum"),
    "mean": _reduction("mean"),
    "max": _reduction("max"),
    "min": _reduction("min"),
    "prod": _reduction("prod"),
    "reshape": lambda self, *shape: manipulation.reshape(
        self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    ),
    "astype": lambda self, dtype: ew.astype(self, dtype),
    "var": _numpy_moment("var"),
    "std": _numpy_moment("std"),
    "cumsum": lambda self, axis=None: _tapegrad().cumsum(self, axis=axis),
    "cumprod": lambda self, axis=None: _tapegrad().cumprod(self, axis=axis),
    "argmax": lambda self, axis=None, keepdims=False: _tapegrad().argmax(
        self, axis=axis, keepdims=keepdims
    ),
    "argmin": lambda self, axis=None, keepdims=False: _tapegrad().argmin(
        self, axis=axis, keepdims=keepdims
    ),
    "argsort": lambda self, axis=-1: _tapegrad().argsort(self, axis=axis),
    "sort": lambda self, axis=-1: _sort_in_place(self, axis),
    "item": lambda self, *index: self.numpy().item(*index),
    "tolist": lambda self: self.numpy().tolist(),
    "swapaxes": lambda self, axis1, axis2: _tapegrad().swapaxes(self, axis1, axis2),
    "repeat": lambda self, repeats, axis=None: _tapegrad().repeat(self, repeats, axis=axis),
    "take": lambda self, indices, axis=None: _tapegrad().take(self, indices, axis=axis),
    "diagonal": lambda self, offset=0, axis1=0, axis2=1: _numpy_diagonal(
        self, offset, axis1, axis2
    ),
    "trace": lambda self, offset=0, axis1=0, axis2=1, dtype=None, out=None: _numpy_trace(
        self, offset, axis1, axis2, dtype, out
    ),
    "itemsize": property(lambda self: _dtypes.as_dtype(self.dtype).itemsize),
    "nbytes": property(lambda self: self.size * _dtypes.as_dtype(self.dtype).itemsize),
    "clip": lambda self, min=None, max=None: _tapegrad().clip(self, min, max),
    "nonzero": lambda self: _tapegrad().nonzero(self),
    "all": lambda self, axis=None, keepdims=False: _tapegrad().all(
        self, axis=axis, keepdims=keepdims
    ),
    "any": lambda self, axis=None, keepdims=False: _tapegrad().any(
        self, axis=axis, keepdims=keepdims
    ),
    "round": lambda self, decimals=0, out=None: npf.round(self, decimals, out),
    "conj": lambda self: ew.conj(self),
    "real": property(lambda self: ew.real(self)),
    "imag": property(lambda self: _tapegrad().imag(self)),
    "flatten": lambda self: manipulation.reshape(self, (-1,)),
    "ravel": lambda self: manipulation.reshape(self, (-1,)),
    "squeeze": lambda self, axis=None: manipulation.squeeze(
        self, tuple(i for i, n in enumerate(self.shape) if n == 1) if axis is None else axis
    ),
    "transpose": lambda self, *axes: manipulation.permute_dims(
        self,
        tuple(range(self.ndim))[::-1]
        if not axes
        else (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes),
    ),
    "dot": lambda self, other: _dot(self, other),
    # a tensor's copy is recorded (the gradient flows through it); a variable's is a new variable
    "copy": lambda self, order="C": (
        self.__deepcopy__({}) if isinstance(self, Variable) else npf.copy(self)
    ),
    "T": property(lambda self: manipulation.permute_dims(self, tuple(range(self.ndim))[::-1])),
    "mT": property(manipulation.matrix_transpose),
}

# NumPy ufuncs called on tensors (``np.sin(t)``, ``ndarray * t``) run the tapegrad op instead.
UFUNCS = {
    np.add: ew.add,
    np.subtract: ew.subtract,
    np.multiply: ew.multiply,
    np.true_divide: ew.divide,
    np.floor_divide: ew.floor_divide,
    np.remainder: ew.remainder,
    np.power: ew.pow,
    np.matmul: matmul,
    np.negative: ew.negative,
    np.positive: ew.positive,
    np.absolute: ew.abs,
    np.equal: ew.equal,
    np.not_equal: ew.not_equal,
    np.less: ew.less,
    np.less_equal: ew.less_equal,
    np.greater: ew.greater,
    np.greater_equal: ew.greater_equal,
    np.maximum: ew.maximum,
    np.minimum: ew.minimum,
    np.sin: ew.sin,
    np.cos: ew.cos,
    np.tan: ew.tan,
    np.exp: ew.exp,
    np.expm1: ew.expm1,
    np.log: ew.log,
    np.log1p: ew.log1p,
    np.sqrt: ew.sqrt,
    np.square: ew.square,
    np.tanh: ew.tanh,
    np.sign: ew.sign,
    np.floor: ew.floor,
    np.ceil: ew.ceil,
    np.conjugate: ew.conj,
    **npf.UFUNCS,  # compositions for NumPy's other ufuncs (cbrt, fmax, divmod ...)
}


def _dot(a, b, out=None):
    _no_out("dot", out)
    a_nd, b_nd = getattr(a, "ndim", 0), getattr(b, "ndim", 0)
    if a_nd == 0 or b_nd == 0:
        return ew.multiply(a, b)
    if b_nd <= 2:
        return matmul(a, b)
    return _tapegrad().tensordot(a, b, axes=([-1], [-2]))


ARRAY_FUNCTIONS = {
    "sum": _reduction("sum"),
    "mean": _reduction("mean"),
    "prod": _reduction("prod"),
    "max": _reduction("max"),
    "min": _reduction("min"),
    "amax": _reduction("max"),
    "amin": _reduction("min"),
    "dot": _dot,
    "reshape": _numpy_reshape,
    "transpose": lambda a, axes=None: manipulation.permute_dims(
        a, tuple(range(a.ndim))[::-1] if axes is None else axes
    ),
    "concatenate": _numpy_concatenate,
    "squeeze": lambda a, axis=None: manipulation.squeeze(
        a, tuple(i for i, n in enumerate(a.shape) if n == 1) if axis is None else axis
    ),
    "expand_dims": lambda a, axis: manipulation.expand_dims(a, axis=axis),
    "var": METHODS["var"],  # NumPy's ddof is the standard's correction
    "std": METHODS["std"],
    "sort": _numpy_sort,
    "diagonal": lambda a, offset=0, axis1=0, axis2=1: _numpy_diagonal(a, offset, axis1, axis2),
    "trace": lambda a, offset=0, axis1=0, axis2=1, dtype=None, out=None: _numpy_trace(
        a, offset, axis1, axis2, dtype, out
    ),
    "shape": lambda a: a.shape,
    "ndim": lambda a: a.ndim,
    "size": lambda a, axis=None: a.size if axis is None else a.shape[axis],
    **npf.FUNCTIONS,  # compositions in NumPy's signatures: median, outer, cov, histogram ...
}


def _array_function(self, func, types, args, kwargs):
    name = func.__name__
    module = func.__module__ or ""
    extension = "linalg" in module or "fft" in module
    if name in ARRAY_FUNCTIONS and module.startswith("numpy") and not extension:
        return ARRAY_FUNCTIONS[name](*args, **kwargs)
    namespace = _tapegrad()
    for part in ("linalg", "fft"):
        if f"numpy.{part}" in module or module.endswith(part):
            namespace = getattr(namespace, part)
    function = getattr(namespace, name, None)
    if function is None or not callable(function) or isinstance(function, type):
        otherwise = "a tapegrad function instead"
        raise TypeError(
            f"{module}.{name} has no tapegrad rule, so its gradient would be lost: use "
            f"{_equivalent(f'{module}.{name}', otherwise)}, or convert with t.numpy() to leave "
            "the tape on purpose"
        )
    return function(*args, **kwargs)


def _equivalent(name, otherwise):
    """The tapegrad way to do what a refused NumPy function does, where one is known."""
    known = npf.EQUIVALENTS.get(name)
    return otherwise if known is None else known


# NumPy ufuncs whose tapegrad function has another name; the rest are found by their own name
UFUNC_NAMES = {
    "arccos": "acos",
    "arccosh": "acosh",
    "arcsin": "asin",
    "arcsinh": "asinh",
    "arctan": "atan",
    "arctan2": "atan2",
    "arctanh": "atanh",
    "rint": "round",
    "invert": "bitwise_invert",
    "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift",
    "power": "pow",
    "true_divide": "divide",
    "absolute": "abs",
    "conjugate": "conj",
}


def _ufunc_op(ufunc):
    op = UFUNCS.get(ufunc)
    if op is None:
        name = UFUNC_NAMES.get(ufunc.__name__, ufunc.__name__)
        op = getattr(_tapegrad(), name, None)
        if op is not None and callable(op) and not isinstance(op, type):
            UFUNCS[ufunc] = op
    return op


# ufunc methods: np.add.reduce(t, axis) is a sum, np.multiply.accumulate(t) a cumulative product
UFUNC_METHODS = {"reduce": npf.REDUCE, "accumulate": npf.ACCUMULATE}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    op = _ufunc_op(ufunc)
    name = getattr(ufunc, "__name__", ufunc)
    if method in UFUNC_METHODS and ufunc in UFUNC_METHODS[method]:
        return UFUNC_METHODS[method][ufunc](*inputs, **kwargs)
    if method == "outer" and op is not None:
        return npf.ufunc_outer(op, name, *inputs, **kwargs)
    if kwargs.get("out") is not None:
        _no_out(name, kwargs["out"])
    if op is None or method != "__call__":
        # for .at, the tapegrad function by that name, where there is one (np.sin.at: tg.sin)
        known = _ufunc_op(ufunc) if method == "at" else None
        found = getattr(known, "__module__", "").startswith("tapegrad.ops.") and hasattr(
            _tapegrad(), getattr(known, "__name__", "")
        )
        otherwise = (
            f"tg.{known.__name__} with indexing or t.at[...]" if found else "tapegrad functions"
        )
        key = f"numpy.{name}" if method == "__call__" else f"numpy.{name}.{method}"
        raise TypeError(
            f"numpy.{name} ({method}) has no tapegrad rule, so its gradient would be lost: use "
            f"{_equivalent(key, otherwise)}, or convert with t.numpy() to "
            "leave the tape"
        )
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("out", None)
    npf.refuse(name, **kwargs)  # where=, casting=, order= ...: dropping them changes the result
    if dtype is not None:  # NumPy computes in dtype: the tensors are cast first
        inputs = tuple(ew.astype(v, dtype) if isinstance(v, Tensor) else v for v in inputs)
    return op(*inputs)


def _array_namespace(self, /, *, api_version=None):
    import tapegrad

    if api_version not in (None, "2021.12", "2022.12", "2023.12", "2024.12"):
        raise ValueError(f"tapegrad implements the Array API 2024.12, not {api_version!r}")
    return tapegrad


def _to_device(self, device, /, *, stream=None):
    if device not in ("cpu", self.device):
        raise ValueError(
            f"to_device: tapegrad tensors here live on {self.device!r}, not {device!r}"
        )
    return self


def _dlpack(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
    kwargs = {"max_version": max_version, "dl_device": dl_device, "copy": copy}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if stream is not None:
        kwargs["stream"] = stream
    return self._value.__dlpack__(**kwargs)


def _dlpack_device(self, /):
    return self._value.__dlpack_device__()


def _in_place(op):
    """``t op= v``: the tensor object takes the result and a new identity on the tape."""

    def operator(self, other):
        out = op(self, other)
        if isinstance(self, Variable):  # a variable keeps its identity: the update is an assign
            return self.assign(out)
        out = _kept_in_place(self, out, op.__name__)
        self._value, self._uid = out._value, out._uid
        return self

    return operator


def _kept_in_place(tensor, out, name):
    """The result of ``t op= v`` in ``t``'s shape and dtype, as NumPy writes into ``t``: a
    float32 tensor stays float32 beside a float64 value (a recorded cast); a result that would
    change the kind (int += 1.5) or the shape (broadcast to a larger one) raises, since every
    name bound to ``t`` sees the change."""
    if tuple(out.shape) != tuple(tensor.shape):
        raise ValueError(
            f"in-place {name}: the result has shape {tuple(out.shape)}, not the tensor's "
            f"{tuple(tensor.shape)}; write t = t op v to make a new tensor instead"
        )
    have, want = _dtypes.as_dtype(out._value.dtype), _dtypes.as_dtype(tensor._value.dtype)
    if have == want:
        return out
    if not np.can_cast(have, want, "same_kind"):  # NumPy's rule for writing into t
        raise TypeError(
            f"in-place {name}: the result is {have}, which the {want} tensor cannot hold "
            f"without loss; write t = t op v to make a new tensor, or cast v first"
        )
    if want.kind in "fc":  # recorded: gradients pass the cast
        return ew.astype(out, want)
    return wrap(to_array(out._value, want))  # checked: integers that would wrap raise


IN_PLACE = {
    "__iadd__": ew.add,
    "__isub__": ew.subtract,
    "__imul__": ew.multiply,
    "__itruediv__": ew.divide,
    "__ifloordiv__": ew.floor_divide,
    "__imod__": ew.remainder,
    "__ipow__": ew.pow,
    "__imatmul__": matmul,
    "__iand__": _bitwise("bitwise_and"),
    "__ior__": _bitwise("bitwise_or"),
    "__ixor__": _bitwise("bitwise_xor"),
    "__ilshift__": _bitwise("bitwise_left_shift"),
    "__irshift__": _bitwise("bitwise_right_shift"),
}


def install() -> None:
    for name, function in {**OPERATORS, **METHODS}.items():
        setattr(Tensor, name, function)
    for name, op in IN_PLACE.items():  # Variable's own +=, -=, *=, /= take precedence
        setattr(Tensor, name, _in_place(op))
    Tensor.__setitem__ = lambda self, index, value: set_item(self, index, value)
    Tensor.at = property(At)
    Tensor.__array_ufunc__ = _array_ufunc
    Tensor.__array_function__ = _array_function
    Tensor.__array_namespace__ = _array_namespace
    Tensor.to_device = _to_device
    Tensor.__dlpack__ = _dlpack
    Tensor.__dlpack_device__ = _dlpack_device
