"""What the Array API standard lacks, supplied once per library.

The engine and the rules speak the standard (``_backend.xp_of``). Where it stops, the functions
here fill in, each with one branch per library: scatter-add (the gradient of indexing: NumPy's
``add.at``, CuPy's ``scatter_add``, Dask's weighted ``bincount``, a one-hot product elsewhere),
advanced indexes beyond one integer array, ``take_along_axis`` and its scatter chunk by chunk on
Dask, linear algebra that Dask has only for single matrices, and triangular solves (SciPy's,
cupyx's, Dask's, else a general solve).
"""

from __future__ import annotations

import math

import numpy as np

from ._backend import backend_name, device_of, is_array, is_lazy, to_numpy, waits_to_read, xp_of
from ._dtypes import kind_of

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
    slices bounded to their axis (``1:`` on an empty axis is ``0:0``, ``5:1:-2`` on four
    elements ``3:1:-2``)."""
    named = sum(1 for i in index if i is not None and i is not Ellipsis)
    out, axis = [], 0
    for i in index:
        if i is Ellipsis:
            out.extend([slice(None)] * (len(shape) - named))
            axis += len(shape) - named
        elif i is None:
            out.append(None)
        else:
            if isinstance(i, slice):
                start, stop, step = i.indices(shape[axis])
                if step < 0 and (start < 0 or not shape[axis]):  # selects nothing
                    start, stop = 0, 0
                elif step < 0:  # ends before the first element: no stop (-1 counts from the end)
                    stop = None if stop < 0 else stop
                i = slice(start, stop, step)
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


def write_rounds(shape: tuple, index: tuple) -> list:
    """The writes that ``index`` makes into an array of ``shape``, in rounds that write each
    position at most once: per round, a boolean mask of the selection's shape (its writes) and
    one of ``shape`` (the positions they write). The first round holds the last write to each
    position, the one an assignment keeps. Empty when no position is written twice. Computed
    on the host, from the index alone."""
    ranked = _write_ranks(shape, index)
    if ranked is None:
        return []
    positions, ranks = ranked
    rounds = []
    for r in range(int(ranks.max()) + 1):
        chosen = ranks == r
        touched = np.zeros(int(np.prod(shape, dtype=np.int64)), dtype=bool)
        touched[positions[chosen]] = True
        rounds.append((chosen, touched.reshape(shape)))
    return rounds


def last_writes(shape: tuple, index: tuple):
    """A boolean mask of the selection's shape, True for the last write to each position (the
    one an assignment keeps); None when no position is written twice."""
    ranked = _write_ranks(shape, index)
    return None if ranked is None else ranked[1] == 0


def _write_ranks(shape: tuple, index: tuple):
    """The flat positions ``index`` selects and, for each, how many later writes reach the same
    position; None when no position is written twice."""
    if _one_array_without_repeats(shape, index):
        return None
    positions = _positions(shape, index)
    backwards = positions.reshape(-1)[::-1]
    n = backwards.size
    order = np.argsort(backwards, kind="stable")  # equal positions together, later writes first
    ordered = backwards[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    if starts.all():
        return None
    steps = np.arange(n)
    ranks = np.empty(n, dtype=np.intp)
    ranks[order] = steps - np.maximum.accumulate(np.where(starts, steps, 0))
    return positions, ranks[::-1].reshape(positions.shape)


def _one_array_without_repeats(shape: tuple, index: tuple) -> bool:
    """Whether the index holds one integer index array, whose entries (on their own axis)
    differ, beside only integers, slices, None and Ellipsis: then no position repeats, seen
    from the index array alone. Anything else (a bool, which adds an axis as None does; a 0-d
    or boolean array; an index that does not fit) answers False, for the full count."""
    arrays = [k for k, i in enumerate(index) if is_array(i)]
    if len(arrays) != 1:
        return False
    k = arrays[0]
    array = index[k]
    if kind_of(array.dtype) not in "iu" or array.ndim == 0:
        return False
    for i in index:
        plain = i is None or i is Ellipsis or isinstance(i, slice)
        if not (plain or i is array or (isinstance(i, int) and not isinstance(i, bool))):
            return False
    consumed = [i is not None and i is not Ellipsis for i in index]
    if any(i is Ellipsis for i in index[:k]):  # counted from the end
        axis = len(shape) - sum(consumed[k:])
    else:
        axis = sum(consumed[:k])
    if not 0 <= axis < len(shape):
        return False
    entries = to_numpy(array).reshape(-1)
    if not shape[axis]:
        return True
    entries = entries % shape[axis]
    return np.unique(entries).size == entries.size


def gather(x, index: tuple):
    """``x[index]`` for any index, through flat positions (see above)."""
    xp = xp_of(x)
    shape = tuple(x.shape)
    positions = _positions(shape, index)
    device = device_of(x)
    if positions.size == 0:
        return xp.zeros(positions.shape, dtype=x.dtype, device=device)
    if is_lazy(x) and x.ndim:  # pointwise indexing keeps Dask's chunks (a flat view would not)
        return x.vindex[np.unravel_index(positions, shape)]
    where = xp.asarray(positions.reshape(-1), device=device)
    picked = xp.take(xp.reshape(x, (-1,)), where, axis=0)
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
    if name == "cupy" and str(target.dtype) in _CUPY_SCATTER_ADD:
        import cupyx

        cupyx.scatter_add(target, index, values)
        return target
    xp = xp_of(target)
    if name == "cupy" and kind_of(target.dtype) == "c":  # cupyx adds no complex numbers
        real, imag = xp.real(target).copy(), xp.imag(target).copy()
        scatter_add(real, index, xp.real(values))
        scatter_add(imag, index, xp.imag(values))
        return _complex_from(xp, real, imag, target.dtype)
    shape = tuple(target.shape)
    size = int(np.prod(shape, dtype=np.int64))
    selected = _positions(shape, index)
    if selected.size == 0:
        return target
    positions = selected.reshape(-1)
    flat_values = xp.reshape(xp.broadcast_to(values, selected.shape), (-1,))
    if name == "dask":
        import dask.array as da

        where = da.from_array(positions, chunks=flat_values.chunks)
        if kind_of(flat_values.dtype) == "c":
            real = da.bincount(where, weights=xp.real(flat_values), minlength=size)
            imag = da.bincount(where, weights=xp.imag(flat_values), minlength=size)
            total = _complex_from(xp, real, imag, target.dtype)
        else:
            total = da.bincount(where, weights=flat_values, minlength=size)
        added = xp.astype(total, target.dtype)
    else:
        device = device_of(target)
        one_hot = xp.reshape(xp.asarray(positions, device=device), (-1, 1)) == xp.reshape(
            xp.arange(size, dtype=xp.int64, device=device), (1, -1)
        )
        # selected, not multiplied: a product with the one-hot would make inf * 0 = NaN in
        # every other position
        zero = xp.zeros((), dtype=target.dtype, device=device)
        picked = xp.where(one_hot, xp.reshape(flat_values, (-1, 1)), zero)
        added = xp.sum(picked, axis=0, dtype=target.dtype)
    return target + xp.reshape(added, shape)


def _complex_from(xp, real, imag, dtype):
    """The complex array ``real + imag i``, exactly: ``real + imag * 1j`` makes ``inf * 1j`` a
    ``nan + inf j`` and turns -0.0 into 0.0."""
    if is_lazy(real):  # Dask: NumPy blocks, put together in place
        return real.map_blocks(_complex_block, imag, dtype=dtype)
    pairs = xp.stack([real, imag], axis=-1)  # the parts side by side, read as complex numbers
    return xp.reshape(pairs.view(dtype), tuple(real.shape))


def _complex_block(real, imag):
    out = np.empty(real.shape, np.result_type(real.dtype, np.complex64))
    out.real, out.imag = real, imag
    return out


# the dtypes cupyx.scatter_add takes (complex ones are added as two real parts)
_CUPY_SCATTER_ADD = ("int32", "int64", "uint32", "uint64", "float16", "float32", "float64")
# the dtypes cupyx.scatter_max and scatter_min take exactly; the others go in rounds: int64 and
# float16 it refuses, float64 it rounded to float32 (CuPy 14.2, an H100), and float32 it
# compares with fmaxf/fminf, which drop a NaN where NumPy's maximum.at keeps it
_CUPY_SCATTER_EXTREMUM = ("int32", "uint32", "uint64")


def scatter_extremum(target, index, values, largest: bool):
    """``target[p] = max(target[p], v)`` (``min`` unless ``largest``) for every write ``v`` at
    ``index``, repeated positions each taking part: NumPy's ``maximum.at``, CuPy's
    ``scatter_max``; elsewhere in rounds that write each position at most once (as many rounds
    as a position repeats). ``target`` is a fresh array owned by the caller."""
    name = backend_name(target)
    if name == "numpy":
        (np.maximum if largest else np.minimum).at(target, index, values)
        return target
    if name == "cupy" and str(target.dtype) in _CUPY_SCATTER_EXTREMUM:
        import cupyx

        (cupyx.scatter_max if largest else cupyx.scatter_min)(target, index, values)
        return target
    xp = xp_of(target)
    combine = xp.maximum if largest else xp.minimum
    rounds = write_rounds(tuple(target.shape), index)
    if not rounds:  # no position written twice: one gather, one write
        return scatter_set(target, index, combine(gather(target, index), values))
    device = device_of(target)
    values = xp.broadcast_to(values, tuple(rounds[0][0].shape))
    zeros = xp.zeros(tuple(target.shape), dtype=target.dtype, device=device)
    for chosen, touched in rounds:
        picked = xp.where(xp.asarray(chosen, device=device), values, 0)
        reached = scatter_add(xp.asarray(zeros, copy=True), index, picked)
        target = xp.where(xp.asarray(touched, device=device), combine(target, reached), target)
    return target


def scatter_set(target, index, values):
    """A copy of ``target`` with ``values`` written at ``index`` (the last write wins where an
    index repeats), for libraries without item assignment: through flat positions."""
    xp = xp_of(target)
    device = device_of(target)
    shape = tuple(target.shape)
    size = int(np.prod(shape, dtype=np.int64))
    selected = _positions(shape, index)
    flat = selected.reshape(-1)
    values = xp.asarray(values, dtype=target.dtype, device=device)
    values = xp.reshape(xp.broadcast_to(values, selected.shape), (-1,))
    # the last occurrence of each position wins, as NumPy's assignment does
    unique, first_from_end = np.unique(flat[::-1], return_index=True)
    last = flat.size - 1 - first_from_end
    chosen = xp.take(values, xp.asarray(last, device=device), axis=0) if flat.size else values
    written = np.zeros(size, dtype=bool)
    written[unique] = True
    zeros = xp.zeros(size, dtype=target.dtype, device=device)
    filled = scatter_add(zeros, (unique,), chosen) if flat.size else zeros
    out = xp.where(xp.asarray(written, device=device), filled, xp.reshape(target, (-1,)))
    return xp.reshape(out, shape)


def reshape(x, shape: tuple):
    """``xp.reshape``; Dask's fails on arrays without elements (its rechunking multiplies an
    empty run of axes), so there one is made anew in the shape asked for (resolved by NumPy,
    with NumPy's errors)."""
    if type(x) is not np.ndarray and is_lazy(x) and 0 in x.shape:
        shape = np.empty(x.shape, dtype=bool).reshape(shape).shape
        return xp_of(x).zeros(shape, dtype=x.dtype)
    return xp_of(x).reshape(x, shape)


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
    elif name == "svdvals":  # Dask's svdvals asks for full matrices, which its svd lacks
        svd = xp_of(x).linalg.svd
        function = lambda a: svd(a, full_matrices=False)[1]  # noqa: E731
    try:  # Dask factorizes a matrix held in one chunk
        out = function(x.rechunk({x.ndim - 2: -1, x.ndim - 1: -1}), *args, **kwargs)
    except (ValueError, NotImplementedError, AttributeError, TypeError) as error:
        raise NotImplementedError(
            f"tg.linalg.{name} is not available for these dask arrays: dask says {error}"
        ) from None
    # Dask's inv solves against a float64 identity: the result keeps x's floating dtype, as on
    # NumPy (a lazy cast, nothing computed)
    if name == "inv" and x.dtype.kind in "fc" and out.dtype != x.dtype:
        out = out.astype(x.dtype)
    return out


def along_index(indices, axis: int, xp=np) -> tuple:
    """The full advanced index that ``take_along_axis(x, indices, axis)`` reads: ``indices`` on
    ``axis``, and on every other axis its positions (``xp.arange`` on the indices' device,
    shaped to broadcast)."""
    ndim = indices.ndim
    axis %= ndim
    device = device_of(indices)
    return tuple(
        indices
        if d == axis
        else xp.reshape(
            xp.arange(n, device=device), tuple(-1 if e == d else 1 for e in range(ndim))
        )
        for d, n in enumerate(indices.shape)
    )


def take_along_axis(x, indices, axis: int):
    """The standard's take_along_axis, through flat positions where the library lacks it (on
    Dask: chunk by chunk, where ``indices`` has ``x``'s shape off ``axis``)."""
    xp = xp_of(x)
    function = getattr(xp, "take_along_axis", None)
    if function is not None:
        return function(x, indices, axis=axis)
    off = np.broadcast_shapes(_off_axis(x.shape, axis), _off_axis(indices.shape, axis))
    if off != _off_axis(x.shape, axis) or off != _off_axis(indices.shape, axis):
        # the two broadcast off the axis, as the standard's take_along_axis does
        x = xp.broadcast_to(x, _with_axis(off, axis, x.shape[axis]))
        indices = xp_of(indices).broadcast_to(indices, _with_axis(off, axis, indices.shape[axis]))
    if is_lazy(x):
        return _dask_along(x, indices, axis, None)
    return gather(x, along_index(to_numpy(indices), axis))


def _off_axis(shape, axis: int) -> tuple:
    axis %= len(shape)
    return tuple(shape[:axis]) + tuple(shape[axis + 1 :])


def _with_axis(off: tuple, axis: int, length: int) -> tuple:
    """The shape ``off`` with ``length`` put back at ``axis``."""
    axis %= len(off) + 1
    return tuple(off[:axis]) + (length,) + tuple(off[axis:])


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
        np.add.at(out, along_index(i, axis), a)
        return out

    return da.map_blocks(block, x, indices, dtype=x.dtype, chunks=chunks)


def is_basic_index(index: tuple) -> bool:
    """Only integers, slices, None and Ellipsis: each element is selected at most once."""
    return all(
        isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index
    ) and not any(isinstance(i, bool) for i in index)


def _nonsingular_triangle(a) -> None:
    """SciPy's error for a zero on the diagonal of a triangular matrix (a NumPy array or a
    library whose values are cheap to read), which a substitution would turn into inf and NaN
    and an LU factorization into rounded garbage."""
    diagonal = to_numpy(a)[..., np.arange(a.shape[-1]), np.arange(a.shape[-1])]
    if not np.all(diagonal):
        first = int(np.argmax(np.reshape(diagonal == 0, (-1, a.shape[-1])).any(axis=0)))
        raise np.linalg.LinAlgError(f"singular matrix: resolution failed at diagonal {first}")


def _general_triangular_solve(a, b, lower: bool, trans: int, unit_diagonal: bool):
    """The library's general (batched) ``solve`` of the triangle made explicit."""
    xp, device, n = xp_of(a), device_of(a), a.shape[-1]
    if not unit_diagonal and not waits_to_read(a):
        _nonsingular_triangle(a)
    ones = xp.ones((n, n), dtype=xp.bool, device=device)
    k = int(unit_diagonal)
    kept = xp.tril(ones, k=-k) if lower else xp.triu(ones, k=k)
    zero, one = (xp.asarray(v, dtype=a.dtype, device=device) for v in (0, 1))
    explicit = xp.where(kept, a, zero)
    if unit_diagonal:
        explicit = xp.where(xp.eye(n, dtype=xp.bool, device=device), one, explicit)
    if trans:
        explicit = xp.matrix_transpose(explicit)
        explicit = xp.conj(explicit) if trans == 2 else explicit
    return xp.linalg.solve(explicit, b)


def solve_triangular(a, b, lower: bool, trans: int, unit_diagonal: bool):
    """The solution ``x`` of ``op(a) x = b`` for triangular ``a`` (..., n, n) and ``b``
    (..., n, k) of one floating dtype, none of whose axes is empty; ``op`` is the identity, the
    transpose (``trans`` 1) or the conjugate transpose (2). Only the named triangle of ``a`` is
    read, and not its diagonal with ``unit_diagonal``. NumPy: BLAS's trsm through SciPy (a
    substitution, O(n²k)) matrix by matrix; CuPy: cupyx's solve_triangular; Dask: its own, for
    one matrix, kept lazy. Elsewhere, and on NumPy without SciPy, the library's general
    ``solve`` of the triangle made explicit: the same solution, through an LU factorization,
    O(n³).

    Why trsm and not ``scipy.linalg.solve_triangular`` (LAPACK's trtrs, which checks the
    diagonal and calls trsm): OpenBLAS runs trtrs on all its threads whatever the size, and
    waking them costs far more than a small solve (12 ms for a 3 x 3 on a busy machine, against
    7 µs for trsm, which stays on one thread below its size threshold). The diagonal is checked
    here instead, with SciPy's error."""
    backend = backend_name(a)
    if backend == "dask":
        if a.ndim != 2:
            raise NotImplementedError(
                "tg.linalg.solve_triangular is not available for these dask arrays: dask solves "
                f"one triangular matrix, not a stack of shape {tuple(a.shape)}; compute it on "
                "NumPy or CuPy arrays (t.numpy()) if it fits in memory"
            )
        import dask.array as da

        if trans:  # dask's takes no trans: the transposed matrix's triangle is the other one
            a, lower = (a.conj() if trans == 2 else a).T, not lower
        if unit_diagonal:
            a = da.where(np.eye(a.shape[0], dtype=bool), 1, a).astype(a.dtype)
        a = a.rechunk((a.chunks[1], a.chunks[1]))  # square diagonal blocks, as dask's needs
        return da.linalg.solve_triangular(a, b.rechunk({0: a.chunks[1]}), lower=lower)
    xp, n = xp_of(a), a.shape[-1]
    try:
        if backend == "numpy":
            from scipy.linalg.blas import get_blas_funcs

            trsm = get_blas_funcs("trsm", (a, b))

            def solve(a, b):
                if not unit_diagonal:
                    _nonsingular_triangle(a)
                if trans == 2 or np.isfortran(a):
                    return trsm(1.0, a, b, lower=lower, trans_a=trans, diag=unit_diagonal)
                # a C-ordered matrix is a Fortran-ordered aᵀ, whose triangle is the other one
                return trsm(1.0, a.T, b, lower=not lower, trans_a=1 - trans, diag=unit_diagonal)

        else:
            from cupyx.scipy.linalg import solve_triangular as triangular

            def solve(a, b):
                return triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal)

    except ImportError:  # the general solve: correct, and slower
        return _general_triangular_solve(a, b, lower, trans, unit_diagonal)
    if a.ndim == 2 and b.ndim == 2:
        return solve(a, b)
    batch = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    if backend == "numpy" and n <= 32 and math.prod(batch) > 4:
        # many small matrices: one batched solve beats a Python loop of trsm calls (20,000
        # 3 x 3 triangles: 0.26 s looped), and the triangle is checked the same way
        return _general_triangular_solve(a, b, lower, trans, unit_diagonal)
    a = xp.broadcast_to(a, batch + (n, n))
    b = xp.broadcast_to(b, batch + tuple(b.shape[-2:]))
    out = xp.stack([solve(a[i], b[i]) for i in np.ndindex(batch)])
    return xp.reshape(out, batch + tuple(b.shape[-2:]))
