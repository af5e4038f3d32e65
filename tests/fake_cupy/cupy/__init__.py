"""A CPU stand-in for CuPy 14.2, so that tapegrad's CuPy code paths run in CI without a GPU.

``tests/test_fake_cupy.py`` puts this folder first on ``sys.path`` of a subprocess and runs the
CuPy backend suite there. The fake keeps what tapegrad could trip on, as CuPy 14.2 does it:

- ``cupy.ndarray`` is its own class (module ``cupy``) around a NumPy array, not a NumPy
  subclass. Implicit conversion to NumPy (``numpy.asarray``, ``__array__``) raises CuPy's
  TypeError; ``.get()`` and ``cupy.asnumpy`` convert; ``float()``, ``int()``, ``bool()``,
  ``.item()`` and ``.tolist()`` read values. There is no ``__array_namespace__``,
  ``__index__``, ``__dlpack__`` or hash. Reductions and integer indexes give 0-d arrays.
- Elementwise functions and operators take CuPy arrays, Python scalars and NumPy scalars only:
  a NumPy array or a list raises ``TypeError: Unsupported type ...``. ``numpy.add(numpy_array,
  cupy_array)`` goes through ``__array_ufunc__`` to the same refusal; other NumPy functions
  dispatch through ``__array_function__`` to the fake's function of that name, or fail.
- Every function takes exactly the arguments of CuPy 14.2's (``_signatures.py``, read from its
  source): creation functions take no ``device=``, ``clip`` no ``min=``, ``sort`` no
  ``stable=``; names CuPy 14.2 lacks (``vecdot``, ``__array_namespace_info__`` ...) are absent.
- ``x.device`` is a ``cupy.cuda.Device``: ``==`` by id, unhashable, a context manager.
- ``cupy.linalg.eig`` and ``eigvals`` always return complex arrays (cuSOLVER's geev);
  ``cupyx.scatter_add``/``scatter_max``/``scatter_min`` refuse the dtypes CuPy refuses;
  ``cupyx.scipy.linalg.solve_triangular`` has cuBLAS's rules (batches of one shape, no check
  of the diagonal); ``ElementwiseKernel`` runs bodies that are Python expressions too.

Not modelled: the GPU itself (values are computed by NumPy and SciPy, on the host), several
devices, streams and asynchrony, memory pools, the results' exact rounding (cuBLAS, cuSOLVER,
cuFFT), CuPy's wrapping of out-of-bounds integer indexes (NumPy raises), the order of writes
at repeated indexes, and kernels (RawKernel, ReductionKernel, fusion). A run on a real GPU,
``bash tools/gpu_check.sh``, remains the authority.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import sys
import types

import numpy

from . import _signatures

__version__ = "14.2.0"

_HOST_OK = {"array", "asarray", "asanyarray", "ascontiguousarray", "asnumpy", "get_array_module"}
_PYTHON_SCALARS = (int, float, bool, complex)  # the builtins: the module redefines bool
_SCALARS = (*_PYTHON_SCALARS, numpy.generic)


def _unsupported(value):
    return TypeError(f"Unsupported type {type(value)}")


# -- wrapping: the fake's arrays hold NumPy arrays; results of NumPy come back wrapped ------------
def _wrap(value):
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return ndarray._of(numpy.asarray(value))
    if hasattr(value, "_fields"):  # unique_all's ... named results (linalg's: see below)
        return type(value)(*(_wrap(v) for v in value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _unwrap(value):
    if isinstance(value, ndarray):
        return value._a
    if type(value) in (tuple, list):
        return type(value)(_unwrap(v) for v in value)
    if type(value) is dict:  # keyword arguments: CuPy takes its arrays by keyword too
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _refuse_host_arrays(values):
    """CuPy never copies a NumPy array to the device behind the caller's back."""
    for value in values:
        if isinstance(value, numpy.ndarray):
            raise _unsupported(value)
        if type(value) in (tuple, list):
            _refuse_host_arrays(value)


def _signature(params):
    namespace = {}
    exec(f"def f({params}): pass", {"numpy": numpy}, namespace)  # noqa: S102
    return inspect.signature(namespace["f"])


def _function(name, implementation, params):
    """``implementation`` (NumPy's or SciPy's) behind CuPy's signature ``params``."""
    signature = _signature(params)

    @functools.wraps(implementation)
    def function(*args, **kwargs):
        signature.bind(*args, **kwargs)  # CuPy's TypeError for arguments it does not take
        if name not in _HOST_OK:
            _refuse_host_arrays(args)
            _refuse_host_arrays(kwargs.values())
        return _wrap(implementation(*_unwrap(args), **_unwrap(kwargs)))

    function.__module__ = "cupy"
    function.__signature__ = signature
    return function


# -- ufuncs -----------------------------------------------------------------------------------
def _should_use_rop(x, y):
    y_ufunc = getattr(y, "__array_ufunc__", _should_use_rop)
    if y_ufunc is not _should_use_rop:
        return y_ufunc is None
    return getattr(x, "__array_priority__", 0) < getattr(y, "__array_priority__", 0)


def _operand(value):
    if isinstance(value, ndarray):
        return value._a
    if type(value) in _PYTHON_SCALARS or isinstance(value, numpy.generic):
        return value
    raise _unsupported(value)


# what ufunc.at may scatter, as cupy/_core/_routines_indexing.pyx says
_AT_DTYPES = {
    "add": ("int32", "int64", "float16", "float32", "float64", "uint32", "uint64"),
    "maximum": ("int32", "int64", "float32", "float64", "uint32", "uint64"),
    "minimum": ("int32", "int64", "float32", "float64", "uint32", "uint64"),
}


class ufunc:
    """An elementwise function: CuPy arrays and scalars in; ``out``, ``dtype``, ``casting``."""

    def __init__(self, name, implementation):
        self.__name__ = self.name = name
        self._f = implementation
        if isinstance(implementation, numpy.ufunc):
            self.nin, self.nout = implementation.nin, implementation.nout
        else:  # NumPy's fix, i0, sinc: functions of one array
            self.nin, self.nout = 1, 1
        self.nargs = self.nin + self.nout

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def __call__(self, *args, out=None, dtype=None, casting="same_kind"):
        if not self.nin <= len(args) <= self.nargs:
            raise TypeError(f"Wrong number of arguments for {self.name!r}.")
        operands = [_operand(a) for a in args]
        if not isinstance(self._f, numpy.ufunc):
            result = numpy.asarray(self._f(*operands), dtype=dtype)
            if out is None:
                return _wrap(result)
            out._a[...] = result
            return out
        if out is not None:
            if not isinstance(out, ndarray):
                raise TypeError("Output arguments must be cupy.ndarray")
            return (self._f(*operands, out=out._a, dtype=dtype, casting=casting), out)[1]
        return _wrap(self._f(*operands, dtype=dtype, casting=casting))

    def reduce(self, array, axis=0, dtype=None, out=None, keepdims=False):
        if out is not None:
            raise NotImplementedError("the fake cupy takes no out= in ufunc.reduce")
        return _wrap(self._f.reduce(_operand(array), axis=axis, dtype=dtype, keepdims=keepdims))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        if out is not None:
            raise NotImplementedError("the fake cupy takes no out= in ufunc.accumulate")
        return _wrap(self._f.accumulate(_operand(array), axis=axis, dtype=dtype))

    def outer(self, A, B, **kwargs):
        return _wrap(self._f.outer(_operand(A), _operand(B), **kwargs))

    def at(self, a, indices, b=None):
        if self.name not in _AT_DTYPES:
            raise NotImplementedError(f"`{self.name}.at` is not supported yet")
        _scatter(a, indices, b, self.name)


def _scatter(a, slices, value, how):
    """``a[slices] op= value`` at every index, repeats included (CuPy's atomics)."""
    if not isinstance(a, ndarray):
        raise TypeError(f"Argument 'a' has incorrect type (expected cupy.ndarray, got {type(a)})")
    if str(a.dtype) not in _AT_DTYPES[how]:
        names = ", ".join(_AT_DTYPES[how])
        raise TypeError(f"cupy.{how}.at only supports {names} as data type")
    value = value._a if isinstance(value, ndarray) else numpy.asarray(value, dtype=a.dtype)
    getattr(numpy, how).at(a._a, _index(slices), value.astype(a.dtype, copy=False))


# -- the array ------------------------------------------------------------------------------
def _index(index):
    """An index with the fake's arrays unwrapped (CuPy takes NumPy arrays and lists there)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, ndarray):
        return index._a
    if isinstance(index, list):
        converted = numpy.asarray(_unwrap(index))
        return converted.astype(numpy.int32) if converted.size == 0 else converted
    return index


class ndarray:
    """A CuPy array: a NumPy array that NumPy may not take implicitly."""

    __array_priority__ = 100  # CuPy's

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        self._a = numpy.empty(shape, dtype=dtype, order=order)

    @classmethod
    def _of(cls, array):
        self = object.__new__(cls)
        self._a = array
        return self

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray._of(self._a.T))
    mT = property(lambda self: ndarray._of(numpy.swapaxes(self._a, -1, -2)))
    device = property(lambda self: cuda.Device(0))

    @property
    def real(self):
        return ndarray._of(self._a.real)

    @real.setter
    def real(self, value):
        self._a.real = _operand(value)

    @property
    def imag(self):
        return ndarray._of(self._a.imag)

    @imag.setter
    def imag(self, value):
        self._a.imag = _operand(value)

    # the host
    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            out[...] = self._a
            return out
        return numpy.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, numpy.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError("Shape or dtype mismatch")
        self._a[...] = arr

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __bool__(self):
        return builtins.bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return (array, (self._a,))

    # indexing
    def __getitem__(self, index):
        return _wrap(self._a[_index(index)])

    def __setitem__(self, index, value):
        if isinstance(value, ndarray):
            value = value._a
        self._a[_index(index)] = value

    # NumPy's protocols, as CuPy answers them
    def __array_ufunc__(self, ufunc_, method, *inputs, **kwargs):
        name = ufunc_.__name__
        found = _UFUNCS.get(name) or _special_ufuncs().get(name)
        if found is None:
            return NotImplemented
        if "out" in kwargs:
            (kwargs["out"],) = kwargs["out"]
        for x in inputs + ((kwargs["out"],) if "out" in kwargs else ()):
            if not isinstance(x, (*_SCALARS, ndarray, numpy.ndarray)):
                return NotImplemented
        return (found if method == "__call__" else getattr(found, method))(*inputs, **kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        module = sys.modules[__name__]
        for part in func.__module__.split(".")[1:]:
            module = getattr(module, part, None)
        found = getattr(module, func.__name__, None)
        if found is None or found is func:
            return NotImplemented
        if not builtins.all(issubclass(t, (ndarray, numpy.ndarray)) for t in types_):
            return NotImplemented
        return found(*args, **kwargs)


def _method(name, params):
    signature = _signature(params)

    def method(self, *args, **kwargs):
        signature.bind(*args, **kwargs)
        _refuse_host_arrays(args)
        _refuse_host_arrays(kwargs.values())
        if kwargs.get("keepdims") is None:  # prod's default
            kwargs.pop("keepdims", None)
        return _wrap(getattr(self._a, name)(*_unwrap(args), **_unwrap(kwargs)))

    method.__name__ = name
    return method


for _name, _params in _signatures.METHODS.items():
    setattr(ndarray, _name, _method(_name, _params))


def _binary(name, reflected=False, inplace=False):
    def operator(self, other):
        if not isinstance(other, ndarray) and _should_use_rop(self, other):
            return NotImplemented
        if inplace:
            return _UFUNCS[name](self, other, out=self)
        return _UFUNCS[name](other, self) if reflected else _UFUNCS[name](self, other)

    return operator


_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "matmul": "matmul",
    "truediv": "true_divide", "floordiv": "floor_divide", "mod": "remainder",
    "pow": "power", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift", "divmod": "divmod",
}  # fmt: skip
for _op, _name in _OPERATORS.items():
    setattr(ndarray, f"__{_op}__", _binary(_name))
    setattr(ndarray, f"__r{_op}__", _binary(_name, reflected=True))
    if _op not in ("divmod", "matmul"):
        setattr(ndarray, f"__i{_op}__", _binary(_name, inplace=True))
for _op, _name in {
    "lt": "less",
    "le": "less_equal",
    "gt": "greater",
    "ge": "greater_equal",
}.items():
    setattr(ndarray, f"__{_op}__", _binary(_name))


def _equality(name):
    def compare(self, other):
        if not isinstance(other, ndarray) and _should_use_rop(self, other):
            return NotImplemented
        if other is None or type(other).__eq__ is object.__eq__:
            return ndarray._of(numpy.full(self.shape, name == "not_equal"))
        return _UFUNCS[name](self, other)

    return compare


ndarray.__eq__ = _equality("equal")
ndarray.__ne__ = _equality("not_equal")
ndarray.__hash__ = None
ndarray.__neg__ = lambda self: _UFUNCS["negative"](self)
ndarray.__pos__ = lambda self: _UFUNCS["positive"](self)
ndarray.__abs__ = lambda self: _UFUNCS["absolute"](self)
ndarray.__invert__ = lambda self: _UFUNCS["invert"](self)


# -- the module's functions -------------------------------------------------------------------
def _populate(module, numpy_module, ufuncs, from_numpy, functions):
    made = {}
    for name in ufuncs:
        found = getattr(numpy_module, name)
        made[name] = found if isinstance(found, type) else ufunc(name, found)
    for name in from_numpy:
        made[name] = getattr(numpy_module, name)
    for name, params in functions.items():
        made[name] = _function(name, getattr(numpy_module, name), params)
    vars(module).update(made)
    return made


def _submodule(name):
    module = types.ModuleType(f"{__name__}.{name}")
    sys.modules[module.__name__] = module
    setattr(sys.modules[__name__], name, module)
    return module


_UFUNCS = _populate(
    sys.modules[__name__],
    numpy,
    _signatures.UFUNCS_CUPY,
    _signatures.FROM_NUMPY_CUPY,
    _signatures.FUNCTIONS_CUPY,
)
_UFUNCS = {name: f for name, f in _UFUNCS.items() if isinstance(f, ufunc)}


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out, blocking=blocking)
    return numpy.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__] if builtins.any(isinstance(a, ndarray) for a in args) else numpy


def _host_value(a):
    """What CuPy copies to the device: NumPy data, Python values, its own arrays (also nested
    in lists, which CuPy joins on the device)."""
    if type(a) in (list, tuple) and builtins.any(isinstance(v, (ndarray, list, tuple)) for v in a):
        return [_host_value(v) for v in a]
    return _unwrap(a)


def asarray(a, dtype=None, order=None, *, copy=None, blocking=False):
    if isinstance(a, ndarray) and copy is not True and (dtype is None or a.dtype == dtype):
        return a
    if copy is False and not isinstance(a, ndarray):
        raise ValueError("Unable to avoid copy while creating an array as requested.")
    return ndarray._of(numpy.array(_host_value(a), dtype=dtype, order=order or "K", copy=True))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if isinstance(obj, ndarray) and copy is None and (dtype is None or obj.dtype == dtype):
        return obj
    return ndarray._of(numpy.array(_host_value(obj), dtype=dtype, order=order, ndmin=ndmin))


def count_nonzero(a, axis=None):  # a 0-d array, as every CuPy reduction
    if not isinstance(a, ndarray):
        raise _unsupported(a)
    return ndarray._of(numpy.asarray(numpy.count_nonzero(a._a, axis=axis), dtype=numpy.intp))


class ElementwiseKernel:
    """CuPy's user-defined elementwise kernel, for bodies ``out = <expression>`` whose
    expression is also Python (operators, calls of CuPy's math functions, comparisons), with
    ``raw`` parameters indexed by flat position and ``i``, the output element's flat index."""

    def __init__(self, in_params, out_params, operation, name="kernel", **options):
        # each parameter as (raw, type, name): ``raw T x`` is read whole, indexed by the body
        self.ins = [(p.split()[0] == "raw", *p.split()[-2:]) for p in in_params.split(",")]
        self.outs = [p.split() for p in out_params.split(",")]
        target, _, expression = operation.strip().rstrip(";").partition("=")
        if len(self.outs) != 1 or target.strip() != self.outs[0][1]:
            raise NotImplementedError(f"the fake cupy runs `out = expression` only: {operation}")
        self.expression = compile(expression.strip(), name, "eval")
        self.name = name

    def __call__(self, *args, size=None, block_size=None):
        if len(args) != len(self.ins):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        types_ = {}
        for (_, kind, _), arg in zip(self.ins, args):
            if isinstance(arg, ndarray) and types_.setdefault(kind, arg.dtype) != arg.dtype:
                raise TypeError(f"Type is mismatched. {self.name} {kind} {arg.dtype}")
        values, shapes = {}, []
        for (raw, kind, param), arg in zip(self.ins, args):
            dtype = types_.get(kind) or numpy.dtype(kind)
            if not isinstance(arg, ndarray):
                values[param] = dtype.type(_operand(arg))
            elif raw:  # indexed by the flat position, as CuPy's CArray takes it
                values[param] = numpy.ascontiguousarray(arg._a).reshape(-1)
            else:
                values[param] = arg._a
                shapes.append(arg.shape)
        shape = numpy.broadcast_shapes(*shapes)
        values["i"] = numpy.arange(int(numpy.prod(shape)), dtype=numpy.int64).reshape(shape)
        with numpy.errstate(all="ignore"):
            out = eval(self.expression, {**vars(numpy), **values})  # noqa: S307
        kind = self.outs[0][0]
        out = numpy.broadcast_to(
            numpy.asarray(out, dtype=types_.get(kind) or numpy.dtype(kind)), shape
        )
        return ndarray._of(numpy.array(out))


# -- submodules ---------------------------------------------------------------------------------
from . import cuda  # noqa: E402

linalg = _submodule("linalg")
_populate(linalg, numpy.linalg, [], ["LinAlgError"], _signatures.FUNCTIONS_CUPY_LINALG)
linalg.matmul = _UFUNCS["matmul"]
for _name, _f in vars(linalg).items():  # CuPy's linalg results are plain tuples (NumPy's named)
    if callable(_f) and not isinstance(_f, (type, ufunc)):
        setattr(linalg, _name, functools.wraps(_f)(lambda *a, _f=_f, **k: _plain(_f(*a, **k))))
_eig, _eigvals = linalg.eig, linalg.eigvals


def _plain(result):
    return tuple(result) if isinstance(result, tuple) else result


def _complex(values):
    return values.astype(numpy.result_type(values.dtype, numpy.complex64))


# cuSOLVER's geev: complex results, also for real matrices whose eigenvalues are real
linalg.eig = lambda a: tuple(_complex(v) for v in _eig(a))
linalg.eigvals = lambda a: _complex(_eigvals(a))

fft = _submodule("fft")
_populate(fft, numpy.fft, [], [], _signatures.FUNCTIONS_CUPY_FFT)


@functools.cache
def _special_ufuncs():
    import cupyx.scipy.special as special

    return {name: f for name, f in vars(special).items() if isinstance(f, ufunc)}
