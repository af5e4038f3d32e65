"""The array library behind each value: its Array API namespace, cached per array type.

All array work goes through ``xp_of(value)``; nothing in the engine or the rules names NumPy
except as the default for Python values. Where the standard lacks something, the per-library
helpers live here.
"""

from __future__ import annotations

import functools
import types

import numpy as np

try:  # optional where the libraries in use speak the standard themselves (NumPy 2, CuPy 14)
    import array_api_compat
except ImportError:  # pragma: no cover - exercised on machines without it (a bare GPU box)
    array_api_compat = None


def _standard_sorts(library):
    """The standard's ``sort`` and ``argsort`` (``descending=``, stable) for a library whose own
    take only ascending order (NumPy's, CuPy's)."""

    def sort(x, /, *, axis=-1, descending=False, stable=True):
        out = library.sort(x, axis=axis)
        return library.flip(out, axis=axis) if descending else out

    def argsort(x, /, *, axis=-1, descending=False, stable=True):
        if not descending:
            return library.argsort(x, axis=axis, kind="stable")
        # stable descending order: sort the reversed array, then map positions back
        n = x.shape[axis]
        backwards = library.argsort(library.flip(x, axis=axis), axis=axis, kind="stable")
        return n - 1 - library.flip(backwards, axis=axis)

    return sort, argsort


_NUMPY_2 = int(np.__version__.split(".")[0]) >= 2


def _fast_numpy_namespace():
    """The NumPy namespace, with faster equivalents where they behave as the standard says for
    every input the ops pass them: NumPy's Python-level wrappers (np.sum, np.broadcast_to,
    np.expand_dims) cost microseconds a call, which small workloads feel on every operation,
    while ufunc reductions and array methods cost a fraction of that."""
    if array_api_compat is not None:
        import array_api_compat.numpy as compat_numpy

        namespace = types.SimpleNamespace(**vars(compat_numpy))
    elif _NUMPY_2:
        namespace = types.SimpleNamespace(**vars(np))  # NumPy 2 speaks the standard itself
        namespace.fft, namespace.linalg = np.fft, np.linalg  # loaded lazily: not in vars(np)
        namespace.sort, namespace.argsort = _standard_sorts(np)  # but its sorts lack descending
    else:  # pragma: no cover
        raise ImportError("tapegrad needs array-api-compat with NumPy < 2: pip install it")
    if not _NUMPY_2:
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
    namespace.permute_dims = _permute_dims
    namespace.matrix_transpose = _matrix_transpose
    namespace.concat = np.concatenate
    namespace.sum = _reducer(np.add)
    namespace.prod = _reducer(np.multiply)
    namespace.max = _reducer(np.maximum, identity_needed=True)
    namespace.min = _reducer(np.minimum, identity_needed=True)
    namespace.reshape = _reshape
    namespace.expand_dims = _expand_dims
    namespace.broadcast_to = _broadcast_to
    return namespace


def _as_ndarray(x):
    """NumPy scalars as 0-d arrays: their own reshape and transpose cost several times more."""
    return x if type(x) is np.ndarray else np.asarray(x)


def _permute_dims(x, /, axes):
    return _as_ndarray(x).transpose(axes)


def _matrix_transpose(x, /):
    return x.swapaxes(-1, -2)


def _reshape(x, /, shape, *, copy=None):
    return _as_ndarray(x).reshape(shape)


def _reducer(ufunc, identity_needed=False):
    def reduce(x, /, *, axis=None, dtype=None, keepdims=False):
        if isinstance(axis, list):
            axis = tuple(axis)
        if identity_needed and x.size == 0:  # NumPy's own rules: empty reduced axes raise
            return (np.max if ufunc is np.maximum else np.min)(x, axis=axis, keepdims=keepdims)
        return ufunc.reduce(x, axis=axis, dtype=dtype, keepdims=keepdims)

    return reduce


def _expand_dims(x, /, *, axis=0):
    x = _as_ndarray(x)
    ndim = x.ndim + 1
    if not -ndim <= axis < ndim:
        raise IndexError(f"expand_dims: axis {axis} is out of bounds for the result's {ndim} axes")
    axis %= ndim
    shape = x.shape
    return x.reshape(shape[:axis] + (1,) + shape[axis:])


def _broadcast_to(x, /, shape):
    """A read-only broadcast view, made directly from strides when ``x`` is contiguous."""
    shape = tuple(shape)
    x = _as_ndarray(x)
    if shape and min(shape) < 0:  # NumPy's error: np.ndarray would take -1 as a length
        return np.broadcast_to(x, shape)
    if x.ndim == 0:  # a scalar (a full reduction's cotangent): every stride is 0
        view = np.ndarray(shape, x.dtype, buffer=x, strides=(0,) * len(shape))
        view.flags.writeable = False
        return view
    if not x.flags.c_contiguous or len(shape) < x.ndim:
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


def library_dtype(xp, dtype):
    """The library's object for ``dtype`` (a NumPy dtype or its name): the namespace's attribute
    of that name, else the NumPy dtype itself (array_api_compat's Dask namespace has no float16,
    and Dask takes NumPy dtypes)."""
    name = getattr(dtype, "name", None) or str(dtype)
    found = getattr(xp, name, None)
    return found if found is not None else np.dtype(name)


def xp_of(value):
    """The Array API namespace of a backend array (NumPy's for scalars and NumPy values)."""
    xp = _NAMESPACES.get(type(value))
    if xp is None:
        xp = _lookup(value)
    return xp


def _lookup(value):
    if isinstance(value, (np.ndarray, np.generic, int, float, complex)):
        xp = _np_xp
    elif array_api_compat is not None:
        xp = array_api_compat.array_namespace(value)
        if backend_name(value) == "dask":
            xp = _dask_namespace(xp)
    elif backend_name(value) == "cupy":
        xp = _bare_cupy_namespace()
    elif hasattr(value, "__array_namespace__"):
        xp = value.__array_namespace__()
    else:
        raise TypeError(
            f"no Array API namespace for {type(value).__module__}.{type(value).__name__}: "
            "install array-api-compat (pip install array-api-compat)"
        )
    if not isinstance(value, (int, float, complex)):
        _NAMESPACES[type(value)] = xp
    return xp


@functools.cache
def _bare_cupy_namespace():  # pragma: no cover - needs a GPU
    """CuPy 14's own namespace, with the standard's signatures where CuPy's differ (what
    array_api_compat's CuPy namespace does, for machines without it)."""
    import cupy
    import cupy.fft
    import cupy.linalg

    namespace = types.SimpleNamespace(**vars(cupy))
    namespace.fft = cupy.fft
    for name in ("zeros", "ones", "full", "empty", "eye", "arange", "linspace", "asarray"):
        setattr(namespace, name, _on_cupy_device(getattr(cupy, name)))
    if not hasattr(cupy, "matrix_transpose"):
        namespace.matrix_transpose = lambda x, /: cupy.swapaxes(x, -1, -2)

    def vecdot(x1, x2, /, *, axis=-1):
        return cupy.sum(cupy.conj(x1) * x2, axis=axis)

    def var(x, /, *, axis=None, correction=0.0, keepdims=False):
        return cupy.var(x, axis=axis, ddof=correction, keepdims=keepdims)

    def std(x, /, *, axis=None, correction=0.0, keepdims=False):
        return cupy.std(x, axis=axis, ddof=correction, keepdims=keepdims)

    def count_nonzero(x, /, *, axis=None, keepdims=False):  # CuPy's takes no keepdims
        counts = cupy.count_nonzero(x, axis=axis)
        if not keepdims:
            return counts
        axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
        kept = {a % x.ndim for a in axes}
        return cupy.reshape(counts, tuple(1 if a in kept else n for a, n in enumerate(x.shape)))

    linalg = types.SimpleNamespace(**vars(cupy.linalg))

    def cholesky(x, /, *, upper=False):
        lower = cupy.linalg.cholesky(x)
        return cupy.conj(cupy.swapaxes(lower, -1, -2)) if upper else lower

    def pinv(x, /, *, rtol=None):
        if rtol is None:
            rtol = max(x.shape[-2:]) * cupy.finfo(x.dtype).eps
        return cupy.linalg.pinv(x, rcond=rtol)

    def svdvals(x, /):
        return cupy.linalg.svd(x, compute_uv=False)

    def matrix_rank(x, /, *, rtol=None):  # CuPy's takes an absolute tol, for one matrix
        if min(x.shape[-2:]) == 0:
            return cupy.zeros(x.shape[:-2], dtype=cupy.int64)
        s = cupy.linalg.svd(x, compute_uv=False)
        if rtol is None:
            rtol = max(x.shape[-2:]) * cupy.finfo(x.dtype).eps
        elif not isinstance(rtol, (int, float)):
            rtol = cupy.asarray(rtol)[..., None]
        return cupy.count_nonzero(s > rtol * s.max(axis=-1, keepdims=True), axis=-1)

    namespace.sort, namespace.argsort = _standard_sorts(cupy)

    def solve(x1, x2, /):  # the standard's: a 1-D x2 is one vector; stacks broadcast
        batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2] if x2.ndim > 1 else ())
        a = cupy.broadcast_to(x1, batch + x1.shape[-2:])
        if x2.ndim == 1:
            b = cupy.broadcast_to(x2[:, None], batch + (x2.shape[0], 1))
            return cupy.linalg.solve(a, b)[..., 0]
        return cupy.linalg.solve(a, cupy.broadcast_to(x2, batch + x2.shape[-2:]))

    linalg.cholesky, linalg.pinv, linalg.svdvals, linalg.solve = cholesky, pinv, svdvals, solve
    linalg.matrix_rank = matrix_rank
    # the standard's linalg functions that cupy.linalg lacks (it keeps them at the top level)
    linalg.diagonal = lambda x, /, *, offset=0: cupy.diagonal(x, offset, -2, -1)
    linalg.trace = lambda x, /, *, offset=0, dtype=None: cupy.trace(x, offset, -2, -1, dtype)
    linalg.matrix_transpose = namespace.matrix_transpose
    linalg.matmul, linalg.outer, linalg.tensordot = cupy.matmul, cupy.outer, cupy.tensordot
    linalg.vecdot = vecdot
    namespace.vecdot, namespace.var, namespace.std, namespace.linalg = vecdot, var, std, linalg
    namespace.count_nonzero = count_nonzero
    return namespace


@functools.cache
def _dask_namespace(xp):
    """Dask's namespace with its integer and bool products in the operands' dtype: Dask's
    matmul, tensordot, vecdot and einsum widen them to 64-bit integers (int8 @ int8 and
    bool @ bool give int64), where NumPy and the standard keep the promoted dtype."""
    namespace = types.SimpleNamespace(**vars(xp))
    for name in ("matmul", "tensordot", "vecdot"):
        setattr(namespace, name, _integer_product(getattr(xp, name)))
    einsum = xp.einsum
    namespace.einsum = lambda subscripts, *operands: _in_promoted_dtype(
        einsum(subscripts, *operands), operands
    )
    return namespace


def _integer_product(product):
    return lambda x1, x2, /, **options: _in_promoted_dtype(product(x1, x2, **options), (x1, x2))


def _in_promoted_dtype(out, operands):
    wanted = np.result_type(*(o.dtype for o in operands))
    return out.astype(wanted) if wanted.kind in "biu" and out.dtype != wanted else out


def _on_cupy_device(create):  # pragma: no cover - needs a GPU
    """A CuPy creation function that takes the standard's ``device=`` (CuPy's own create on
    the current device)."""

    def on_device(*args, device=None, **kwargs):
        if device is None:
            return create(*args, **kwargs)
        with device:
            return create(*args, **kwargs)

    return on_device


def is_numpy_namespace(xp) -> bool:
    return xp is _np_xp


def device_of(value):
    """The device to make arrays on for working beside ``value``: its own (CuPy's GPUs,
    array_api_strict's devices), or None where there is only one (NumPy, Dask, Python values).
    Every array a rule or the engine makes passes ``device=device_of(v)``: a library with
    several devices cannot combine arrays from two of them."""
    if type(value) in _ONE_DEVICE:
        return None
    return getattr(value, "device", None)


_ONE_DEVICE = frozenset((np.ndarray, int, float, complex, bool)) | frozenset(
    type(np.dtype(c).type(0)) for c in "?bhilqBHILQefdgFDG"
)


def create_on(device, name: str, *args, **kwargs):
    """``xp.<name>(*args, **kwargs)`` in the library whose arrays live on ``device``: NumPy
    for None and "cpu" (Dask's arrays report "cpu" too: build those with Dask and
    ``tg.asarray``), else the library the device object belongs to, with ``device=`` passed on
    (array_api_strict's devices, CuPy's)."""
    if device is None or (isinstance(device, str) and device == "cpu"):
        return getattr(_np_xp, name)(*args, **kwargs)
    library = backend_name(device)
    if library == "array_api_strict":
        import array_api_strict as xp
    elif library == "cupy":  # pragma: no cover - needs a GPU
        if array_api_compat is None:
            xp = _bare_cupy_namespace()
        else:
            import array_api_compat.cupy as xp
        with device:  # CuPy makes arrays on the current device (array-api-compat's too)
            return _create(xp, name, args, kwargs, device)
    else:
        raise TypeError(
            f"device={device!r}: tapegrad creates arrays in NumPy (device None or 'cpu'), "
            "CuPy (a cupy.cuda.Device) or array_api_strict (its Device objects); for another "
            "library, create the array with it and pass it to tg.asarray"
        )
    return _create(xp, name, args, kwargs, device)


def _create(xp, name, args, kwargs, device):
    if kwargs.get("dtype") is not None:  # the library's own dtype object, found by name
        kwargs["dtype"] = getattr(xp, np.dtype(kwargs["dtype"]).name)
    return getattr(xp, name)(*args, device=device, **kwargs)


# Libraries whose arrays are not NumPy's: recognised by module, or by the standard's
# ``__array_namespace__`` (Dask and CuPy arrays have none; array_api_compat knows them).
_FOREIGN_MODULES = ("cupy", "dask", "torch", "jax", "array_api_strict", "sparse", "ndonnx")
_IS_ARRAY: dict[type, bool] = {np.ndarray: True}
# The types known to be arrays, for the ops' inline test ``type(v) in ARRAY_TYPES`` (a set
# test costs less than a call on the path every backward rule takes)
ARRAY_TYPES: set[type] = {np.ndarray}


def is_array(value) -> bool:
    """A backend array (not a Python scalar, not a Tensor)."""
    kind = type(value)
    known = _IS_ARRAY.get(kind)
    if known is None:
        # tapegrad's tensors speak the standard (__array_namespace__) but are no backend
        # array: taken for one, a tensor would become the value of another
        known = _IS_ARRAY[kind] = kind.__module__.partition(".")[0] != "tapegrad" and (
            isinstance(value, (np.ndarray, np.generic))
            or hasattr(value, "__array_namespace__")
            or (
                kind.__module__.split(".")[0] in _FOREIGN_MODULES
                and hasattr(value, "shape")
                and hasattr(value, "dtype")
            )
        )
        if known:
            ARRAY_TYPES.add(kind)
    return known


# NumPy's and CuPy's array types: libraries whose arrays take NumPy's operators and methods
# (``a @ b.T``, ``g * mask``), which rules may call directly instead of the namespace's functions
NATIVE_TYPES: set[type] = {np.ndarray}


def backend_name(value) -> str:
    """The library an array belongs to: numpy, cupy, dask, array_api_strict ..."""
    kind = type(value)
    name = _BACKEND_NAMES.get(kind)
    if name is None:
        name = _BACKEND_NAMES[kind] = kind.__module__.split(".")[0]
        if name == "cupy" and hasattr(value, "shape"):
            NATIVE_TYPES.add(kind)
    return name


_BACKEND_NAMES: dict[type, str] = {}  # asked on many operations: one dict access per type


def same_library(values, what: str):
    """``values``, after a TypeError naming both libraries where two come from different ones: an
    operation never moves data between devices or libraries behind the user's back. Python
    scalars and None go with anything; so do NumPy scalars (0-d NumPy tensors hold them), which
    join the other values' library where it takes no NumPy scalar of its own (array_api_strict:
    CuPy and Dask take them as they are)."""
    first = like = None
    scalars = False
    for value in values:
        if isinstance(value, np.generic):  # before float: np.float64 is a float
            scalars = True
            continue
        if value is None or isinstance(value, (int, float, complex)):
            continue
        name = backend_name(value)
        if first is None:
            first, like = name, value
        elif name != first:
            raise TypeError(
                f"{what} mixes a {first} array with a {name} array: tapegrad never moves data "
                f"between libraries on its own; convert one to the other's library first, for "
                f"example cupy.asarray(x), dask.array.from_array(x) or t.numpy()"
            )
    if not scalars or first in (None, "numpy", "cupy", "dask"):
        return values
    xp, device = xp_of(like), device_of(like)
    joined = [xp.asarray(v, device=device) if isinstance(v, np.generic) else v for v in values]
    return type(values)(joined)


def to_numpy(value) -> np.ndarray:
    """A NumPy copy or a view of a backend value (read-only where it may be another library's
    memory; a NumPy array is itself); computes lazy (Dask) arrays."""
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    name = backend_name(value)
    if name == "cupy":
        return value.get()
    if name == "dask":
        return np.asarray(value.compute())
    device = getattr(value, "device", None)
    host = _host_device(value)
    if device is not None and host is not None and device != host:
        value = value.to_device(host)  # array_api_strict's other devices refuse NumPy
    # another library may lend its own memory (array_api_strict does): read-only, so that
    # nothing written into the result reaches the tensor (or a cached constant)
    return readonly(np.asarray(value))


def _host_device(value):
    """The default (host) device of ``value``'s library, where the standard says it."""
    info = getattr(xp_of(value), "__array_namespace_info__", None)
    return info().default_device() if info is not None else None


def is_lazy(value) -> bool:
    """A Dask array: a recipe that nothing has computed yet."""
    return backend_name(value) == "dask"


def in_library_of(like, array):
    """``array`` (NumPy, from a file) moved to the library and device of ``like``: an explicit
    transfer, for values that belong to an object living there (a checkpoint's variables and
    slots, an LBFGS step)."""
    if backend_name(like) == "numpy":
        return array
    device = device_of(like)
    if backend_name(array) == backend_name(like) and device_of(array) == device:
        return array
    if is_lazy(like) and tuple(array.shape) == tuple(like.shape):  # Dask: keep like's chunks
        import dask.array as da

        return da.from_array(np.asarray(array), chunks=like.chunks)
    return xp_of(like).asarray(array, device=device)


def counts_bools_as_numbers(value) -> bool:
    """NumPy, CuPy and Dask multiply by booleans (``g * (x > 0)``: one kernel, no constant to
    send to the device); the standard does not, so elsewhere rules select with ``where``."""
    return backend_name(value) in ("numpy", "cupy", "dask")


_CONSTANTS: dict = {}


def _hashable(device):
    """A device as a dictionary key: CuPy's ``Device`` defines ``==`` but no hash."""
    if device is None or type(device).__hash__ is not None:
        return device
    number = getattr(device, "id", None)  # CuPy's: the GPU's number
    return (type(device), repr(device) if number is None else number)


def constant_like(value, fill: float, length: int | None = None):
    """A cached constant of ``value``'s library and dtype: the scalar ``fill`` (``length``
    None) or ``arange(length)``. Made once per library, dtype and length, so that a step on a
    GPU does not send the same small constant to the device every time."""
    # repr: a NaN fill is never equal to itself; the device: a GPU's constant stays on it
    device = device_of(value)
    key = (type(value), str(value.dtype), repr(fill), length, _hashable(device))
    cached = _CONSTANTS.get(key)
    if cached is None:
        xp = xp_of(value)
        if length is None:
            cached = xp.asarray(fill, dtype=value.dtype, device=device)
        else:
            cached = xp.arange(length, dtype=value.dtype, device=device)
        if len(_CONSTANTS) > 256:  # a bound, for programs that use many lengths
            _CONSTANTS.clear()
        _CONSTANTS[key] = cached
    return cached


def waits_to_read(value) -> bool:
    """Reading this value back to Python waits for all the work queued before it (a GPU) or
    computes it (Dask): checks that read values are skipped there, and guards run instead."""
    return backend_name(value) in ("cupy", "dask")


def _through_dask(values: list, how: str) -> list:
    """``values`` with their lazy (Dask) ones replaced by ``dask.<how>`` of them all at once
    (one pass: work they share is done once); the others unchanged."""
    lazy = [i for i, v in enumerate(values) if is_lazy(v)]
    values = list(values)
    if lazy:
        import dask

        for i, value in zip(lazy, getattr(dask, how)(*(values[i] for i in lazy))):
            values[i] = value
    return values


def persist(values: list) -> list:
    """Compute the lazy (Dask) arrays among ``values`` in one pass, keeping each result where it
    was computed (on the cluster's workers), so that later work starts from the results instead
    of repeating the whole recipe. Other values pass through unchanged."""
    return _through_dask(values, "persist")


def to_numpy_all(values: list) -> list:
    """NumPy copies of ``values`` (None stays None), the lazy (Dask) ones computed together."""
    return [None if v is None else to_numpy(v) for v in _through_dask(values, "compute")]


def readonly(array: np.ndarray) -> np.ndarray:
    """A view that cannot write into ``array``: tensors never change their values."""
    view = array.view()
    view.flags.writeable = False
    return view


_ONES: dict = {}


def ones_like(value):
    """Ones of ``value``'s shape, dtype, library and device: the seed of a backward pass."""
    if isinstance(value, np.generic):
        seed = _ONES.get(value.dtype)
        if seed is None:
            seed = _ONES[value.dtype] = value.dtype.type(1)
        return seed
    if is_lazy(value):  # Dask: the value's own chunks, so the backward pass keeps them
        return xp_of(value).ones_like(value)
    return xp_of(value).ones(tuple(value.shape), dtype=value.dtype, device=device_of(value))


def zeros_for(value, shape):
    """Zeros of ``shape`` in ``value``'s dtype, library and device (an unconnected gradient); on
    Dask, of the value's chunks where the shapes agree."""
    if is_lazy(value) and tuple(shape) == tuple(value.shape):
        return xp_of(value).zeros_like(value)
    return xp_of(value).zeros(shape, dtype=value.dtype, device=device_of(value))
