"""The array library behind each value: its Array API namespace, cached per array type.

All array work goes through ``xp_of(value)``; nothing in the engine or the rules names NumPy
except as the default for Python values. Where the standard lacks something, the per-library
helpers live here.
"""

from __future__ import annotations

import types

import numpy as np

try:  # optional where the libraries in use speak the standard themselves (NumPy 2, CuPy 14)
    import array_api_compat
except ImportError:  # pragma: no cover - exercised on machines without it (a bare GPU box)
    array_api_compat = None

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
    elif array_api_compat is not None:
        xp = array_api_compat.array_namespace(value)
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


def _bare_cupy_namespace():  # pragma: no cover - needs a GPU
    """CuPy 14's own namespace, with the standard's signatures where CuPy's differ (what
    array_api_compat's CuPy namespace does, for machines without it)."""
    import cupy
    import cupy.fft
    import cupy.linalg

    namespace = types.SimpleNamespace(**vars(cupy))
    namespace.fft = cupy.fft

    def vecdot(x1, x2, /, *, axis=-1):
        return cupy.sum(cupy.conj(x1) * x2, axis=axis)

    def var(x, /, *, axis=None, correction=0.0, keepdims=False):
        return cupy.var(x, axis=axis, ddof=correction, keepdims=keepdims)

    def std(x, /, *, axis=None, correction=0.0, keepdims=False):
        return cupy.std(x, axis=axis, ddof=correction, keepdims=keepdims)

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

    def sort(x, /, *, axis=-1, descending=False, stable=True):
        out = cupy.sort(x, axis=axis)
        return cupy.flip(out, axis=axis) if descending else out

    def argsort(x, /, *, axis=-1, descending=False, stable=True):
        if not descending:
            return cupy.argsort(x, axis=axis)
        # stable descending order: sort the reversed array, then map positions back
        n = x.shape[axis]
        return n - 1 - cupy.flip(cupy.argsort(cupy.flip(x, axis=axis), axis=axis), axis=axis)

    namespace.sort, namespace.argsort = sort, argsort

    def solve(x1, x2, /):  # the standard's: a 1-D x2 is one vector; stacks broadcast
        batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2] if x2.ndim > 1 else ())
        a = cupy.broadcast_to(x1, batch + x1.shape[-2:])
        if x2.ndim == 1:
            b = cupy.broadcast_to(x2[:, None], batch + (x2.shape[0], 1))
            return cupy.linalg.solve(a, b)[..., 0]
        return cupy.linalg.solve(a, cupy.broadcast_to(x2, batch + x2.shape[-2:]))

    linalg.cholesky, linalg.pinv, linalg.svdvals, linalg.solve = cholesky, pinv, svdvals, solve
    namespace.vecdot, namespace.var, namespace.std, namespace.linalg = vecdot, var, std, linalg
    return namespace


def is_numpy_namespace(xp) -> bool:
    return xp is _np_xp


# Libraries whose arrays are not NumPy's: recognised by module, or by the standard's
# ``__array_namespace__`` (Dask and CuPy arrays have none; array_api_compat knows them).
_FOREIGN_MODULES = ("cupy", "dask", "torch", "jax", "array_api_strict", "sparse", "ndonnx")
_IS_ARRAY: dict[type, bool] = {np.ndarray: True}


def is_array(value) -> bool:
    """A backend array (not a Python scalar, not a Tensor)."""
    kind = type(value)
    known = _IS_ARRAY.get(kind)
    if known is None:
        known = _IS_ARRAY[kind] = (
            isinstance(value, (np.ndarray, np.generic))
            or hasattr(value, "__array_namespace__")
            or (
                kind.__module__.split(".")[0] in _FOREIGN_MODULES
                and hasattr(value, "shape")
                and hasattr(value, "dtype")
            )
        )
    return known


def backend_name(value) -> str:
    """The library an array belongs to: numpy, cupy, dask, array_api_strict ..."""
    module = type(value).__module__.split(".")[0]
    return "numpy" if module == "numpy" else module


def same_library(values, what: str) -> None:
    """Raise TypeError naming both libraries when ``values`` come from different ones: an
    operation never moves data between devices or libraries behind the user's back. Python and
    NumPy scalars, and None, go with anything."""
    first = None
    for value in values:
        if value is None or isinstance(value, (int, float, complex, np.generic)):
            continue
        name = backend_name(value)
        if first is None:
            first = name
        elif name != first:
            raise TypeError(
                f"{what} mixes a {first} array with a {name} array: tapegrad never moves data "
                f"between libraries on its own; convert one to the other's library first, for "
                f"example cupy.asarray(x), dask.array.from_array(x) or t.numpy()"
            )


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


def is_lazy(value) -> bool:
    """A Dask array: a recipe that nothing has computed yet."""
    return type(value).__module__.startswith("dask.")


def in_library_of(like, array):
    """``array`` (NumPy, from a file) moved to the library of ``like``: an explicit transfer,
    for values that belong to an object living there (a checkpoint's variables and slots)."""
    if backend_name(like) == "numpy" or backend_name(array) == backend_name(like):
        return array
    return xp_of(like).asarray(array)


def counts_bools_as_numbers(value) -> bool:
    """NumPy, CuPy and Dask multiply by booleans (``g * (x > 0)``: one kernel, no constant to
    send to the device); the standard does not, so elsewhere rules select with ``where``."""
    return backend_name(value) in ("numpy", "cupy", "dask")


_CONSTANTS: dict = {}


def constant_like(value, fill: float, length: int | None = None):
    """A cached constant of ``value``'s library and dtype: the scalar ``fill`` (``length``
    None) or ``arange(length)``. Made once per library, dtype and length, so that a step on a
    GPU does not send the same small constant to the device every time."""
    key = (type(value), str(value.dtype), fill, length)
    cached = _CONSTANTS.get(key)
    if cached is None:
        xp = xp_of(value)
        if length is None:
            cached = xp.asarray(fill, dtype=value.dtype)
        else:
            cached = xp.arange(length, dtype=value.dtype)
        if len(_CONSTANTS) > 256:  # a bound, for programs that use many lengths
            _CONSTANTS.clear()
        _CONSTANTS[key] = cached
    return cached


def waits_to_read(value) -> bool:
    """Reading this value back to Python waits for all the work queued before it (a GPU) or
    computes it (Dask): checks that read values are skipped there, and guards run instead."""
    return backend_name(value) in ("cupy", "dask")


def persist(values: list) -> list:
    """Compute the lazy (Dask) arrays among ``values`` in one pass, keeping each result where it
    was computed (on the cluster's workers), so that later work starts from the results instead
    of repeating the whole recipe. Other values pass through unchanged."""
    lazy = [i for i, v in enumerate(values) if is_lazy(v)]
    if not lazy:
        return list(values)
    import dask

    done = dask.persist(*(values[i] for i in lazy))
    values = list(values)
    for i, value in zip(lazy, done):
        values[i] = value
    return values


def to_numpy_all(values: list) -> list:
    """NumPy copies of ``values`` (None stays None), the lazy (Dask) ones computed together in
    one pass, so that work they share (a loss and its gradient) is done once."""
    lazy = [i for i, v in enumerate(values) if is_lazy(v)]
    out = [
        None if v is None else to_numpy(v) if i not in lazy else None for i, v in enumerate(values)
    ]
    if lazy:
        import dask

        for i, value in zip(lazy, dask.compute(*(values[i] for i in lazy))):
            out[i] = np.asarray(value)
    return out


def readonly(array: np.ndarray) -> np.ndarray:
    """A view that cannot write into ``array``: tensors never change their values."""
    view = array.view()
    view.flags.writeable = False
    return view


# -- advanced indexing beyond the standard -------------------------------------------------------
# The Array API requires only a single integer array per index; NumPy and CuPy index with any
# mix of arrays, slices and Ellipsis natively. For the other libraries (Dask, array_api_strict)
# an advanced index becomes the flat positions it selects, computed from the shape alone, so
# that gathering is one ``take`` and its gradient one scatter-add.
_NATIVE_INDEXING = ("numpy", "cupy")


def indexes_natively(value) -> bool:
    return backend_name(value) in _NATIVE_INDEXING


def index_for(x, index: tuple) -> tuple:
    """``index`` with its NumPy index arrays moved to ``x``'s library (CuPy indexes with its own
    arrays); NumPy arrays and other libraries' indexes pass unchanged."""
    if type(x) is np.ndarray or backend_name(x) != "cupy":
        return index
    xp = xp_of(x)
    return tuple(xp.asarray(i) if isinstance(i, np.ndarray) else i for i in index)


def standard_basic_index(index: tuple, shape: tuple) -> tuple:
    """A basic index in the standard's strict form: every axis named (Ellipsis expanded) and
    slices with positive steps bounded to their axis (``1:`` on an empty axis is ``0:0``)."""
    named = sum(1 for i in index if i is not None and i is not Ellipsis)
    out, axis = [], 0
    for i in index:
        if i is Ellipsis:
            out.extend([slice(None)] * (len(shape) - named))
            axis += len(shape) - named
        elif i is None:
            out.append(None)
        else:
            if isinstance(i, slice) and (i.step is None or i.step > 0):
                i = slice(*i.indices(shape[axis]))
            out.append(i)
            axis += 1
    out.extend([slice(None)] * (len(shape) - axis))
    return tuple(out)


def _positions(shape: tuple, index: tuple) -> np.ndarray:
    """The flat positions (C order) of the elements that ``index`` selects from ``shape``."""
    host = tuple(to_numpy(i) if is_array(i) else i for i in index)
    if not shape:
        return np.zeros((), dtype=np.intp)[host]
    # each axis's coordinate, as a broadcast view (memory: the axis length), then indexed:
    # memory for the selected elements only, never for the whole array
    coordinates = [
        np.broadcast_to(
            np.arange(n).reshape([-1 if e == d else 1 for e in range(len(shape))]), shape
        )[host]
        for d, n in enumerate(shape)
    ]
    return np.ravel_multi_index(coordinates, shape)


def gather(x, index: tuple):
    """``x[index]`` for any index, through flat positions (see above)."""
    xp = xp_of(x)
    shape = tuple(x.shape)
    positions = _positions(shape, index)
    if positions.size == 0:
        return xp.zeros(positions.shape, dtype=x.dtype)
    if is_lazy(x) and x.ndim:  # pointwise indexing keeps Dask's chunks (a flat view would not)
        return x.vindex[np.unravel_index(positions, shape)]
    picked = xp.take(xp.reshape(x, (-1,)), xp.asarray(positions.reshape(-1)), axis=0)
    return xp.reshape(picked, positions.shape)


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulating, on the target's library.

    The Array API has no scatter-add; this is the one place that supplies it per library: NumPy's
    ``add.at``, CuPy's ``scatter_add``, Dask's weighted ``bincount`` (chunk by chunk, on the
    workers), and for any other library a one-hot product (memory: selected × target elements).
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
    xp = xp_of(target)
    shape = tuple(target.shape)
    size = int(np.prod(shape, dtype=np.int64))
    positions = _positions(shape, index).reshape(-1)
    if positions.size == 0:
        return target
    flat_values = xp.reshape(xp.broadcast_to(values, _positions(shape, index).shape), (-1,))
    if name == "dask":
        import dask.array as da

        where = da.from_array(positions, chunks=flat_values.chunks)
        if kind_of_array(flat_values) == "c":
            total = da.bincount(where, weights=xp.real(flat_values), minlength=size) + 1j * (
                da.bincount(where, weights=xp.imag(flat_values), minlength=size)
            )
        else:
            total = da.bincount(where, weights=flat_values, minlength=size)
        added = xp.astype(total, target.dtype)
    else:
        one_hot = xp.reshape(xp.asarray(positions), (-1, 1)) == xp.reshape(
            xp.arange(size, dtype=xp.int64), (1, -1)
        )
        added = xp.reshape(flat_values, (1, -1)) @ xp.astype(one_hot, target.dtype)
    return target + xp.reshape(added, shape)


def scatter_set(target, index, values):
    """A copy of ``target`` with ``values`` written at ``index`` (the last write wins where an
    index repeats), for libraries without item assignment: through flat positions."""
    xp = xp_of(target)
    shape = tuple(target.shape)
    size = int(np.prod(shape, dtype=np.int64))
    selected = _positions(shape, index)
    flat = selected.reshape(-1)
    values = xp.reshape(
        xp.broadcast_to(xp.asarray(values, dtype=target.dtype), selected.shape), (-1,)
    )
    # the last occurrence of each position wins, as NumPy's assignment does
    unique, first_from_end = np.unique(flat[::-1], return_index=True)
    last = flat.size - 1 - first_from_end
    chosen = xp.take(values, xp.asarray(last), axis=0) if flat.size else values
    written = np.zeros(size, dtype=bool)
    written[unique] = True
    zeros = xp.zeros(size, dtype=target.dtype)
    filled = scatter_add(zeros, (xp.asarray(unique),), chosen) if flat.size else zeros
    out = xp.where(xp.asarray(written), filled, xp.reshape(target, (-1,)))
    return xp.reshape(out, shape)


def linalg_call(name: str, x, *args, **kwargs):
    """``xp.linalg.<name>(x, ...)`` on ``x``'s library, or an error naming the function and the
    library where it has no such function (Dask has no eigh, det, slogdet or pinv, and its svd
    takes single matrices): the array is never pulled into one process behind the user's back."""
    backend = backend_name(x)
    function = getattr(getattr(xp_of(x), "linalg", None), name, None)
    if function is None:
        raise NotImplementedError(
            f"tg.linalg.{name} is not available for {backend} arrays: {backend} has no "
            f"linalg.{name}; compute it on NumPy or CuPy arrays (t.numpy()) if it fits in memory"
        )
    if backend != "dask":
        return function(x, *args, **kwargs)
    if name == "cholesky":  # Dask's own takes lower=, and returns the upper factor by default
        import dask.array as da

        function = lambda a, upper=False: da.linalg.cholesky(a, lower=not upper)  # noqa: E731
    try:  # Dask factorizes a matrix held in one chunk
        return function(x.rechunk({x.ndim - 2: -1, x.ndim - 1: -1}), *args, **kwargs)
    except (ValueError, NotImplementedError, AttributeError, TypeError) as error:
        raise NotImplementedError(
            f"tg.linalg.{name} is not available for these dask arrays: dask says {error}"
        ) from None


def take_along_axis(x, indices, axis: int):
    """The standard's take_along_axis, through flat positions where the library lacks it (on
    Dask: chunk by chunk, where ``indices`` has ``x``'s shape off ``axis``)."""
    xp = xp_of(x)
    function = getattr(xp, "take_along_axis", None)
    if function is not None:
        return function(x, indices, axis=axis)
    if is_lazy(x) and _off_axis(indices.shape, axis) == _off_axis(x.shape, axis):
        return _dask_along(x, indices, axis, None)
    ndim = x.ndim
    axis %= ndim
    host = to_numpy(indices)
    grids = [
        host
        if d == axis
        else np.arange(host.shape[d]).reshape([-1 if e == d else 1 for e in range(ndim)])
        for d in range(ndim)
    ]
    return gather(x, tuple(grids))


def _off_axis(shape, axis: int) -> tuple:
    axis %= len(shape)
    return tuple(shape[:axis]) + tuple(shape[axis + 1 :])


def scatter_along_axis(values, indices, axis: int, length: int):
    """Zeros with ``length`` along ``axis`` (else ``values``' shape), ``values`` added at
    ``indices`` along it: the gradient of take_along_axis. On Dask it runs chunk by chunk,
    where ``indices`` has ``values``' shape; elsewhere None (the caller scatters by index)."""
    if is_lazy(values) and tuple(indices.shape) == tuple(values.shape):
        return _dask_along(values, indices, axis, length)
    return None


def _dask_along(x, indices, axis: int, length: int | None):
    """take_along_axis (``length`` None) or its scatter-add, one chunk at a time: ``axis`` is
    made one chunk and ``indices`` chunked as ``x`` off the axis, so no position array the
    size of the data is ever built on the client."""
    import dask.array as da

    axis %= x.ndim
    x = x.rechunk({axis: -1})
    if not is_lazy(indices):
        indices = da.from_array(to_numpy(indices))
    along = indices.shape[axis] if length is None else x.shape[axis]
    indices = indices.rechunk(tuple((along,) if d == axis else c for d, c in enumerate(x.chunks)))
    size = indices.shape[axis] if length is None else length
    chunks = tuple((size,) if d == axis else c for d, c in enumerate(x.chunks))

    def block(a, i):
        if length is None:
            return np.take_along_axis(a, i, axis=axis)
        out = np.zeros(a.shape[:axis] + (length,) + a.shape[axis + 1 :], dtype=a.dtype)
        grids = list(np.indices(i.shape, sparse=True))
        grids[axis] = i
        np.add.at(out, tuple(grids), a)
        return out

    return da.map_blocks(block, x, indices, dtype=x.dtype, chunks=chunks)


def kind_of_array(value) -> str:
    from ._dtypes import kind_of

    return kind_of(value.dtype)


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
