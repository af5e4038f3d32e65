"""Indexing: ``x[index]``, take_along_axis, and the scatter-adds that are their gradients."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from .._backend import ARRAY_TYPES, backend_name, device_of, in_library_of, is_lazy, xp_of
from .._dtypes import kind_of
from .._primitive import primitive, private_copy, raw
from .._standard_gaps import (
    along_index,
    gather,
    index_for,
    indexes_natively,
    is_basic_index,
    last_writes,
    scatter_add,
    scatter_extremum,
    scatter_set,
    standard_basic_index,
    write_rounds,
)
from .._standard_gaps import scatter_along_axis as backend_scatter_along_axis
from .._standard_gaps import take_along_axis as backend_take_along_axis
from .._state import TRACED, per_thread
from .._tensor import Tensor
from ._helpers import lead, negative_axes
from ._strong import linear, rules

__all__ = [
    "take_along_axis",
]


def normalize_index(index, shape: tuple) -> tuple:
    """A tuple of backend values: tensors become arrays, boolean masks integer index arrays
    (each checked against the axes of ``shape`` it selects from)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    masks_checked = False
    for i in index:
        callers = type(i) in ARRAY_TYPES  # the caller's own array: copied where recorded
        i = _index_value(i)
        if hasattr(i, "dtype") and hasattr(i, "shape"):
            if kind_of(i.dtype) == "b" and i.ndim > 0:
                if not masks_checked:  # once, over the whole index: only where masks are
                    _check_masks(tuple(_index_value(j) for j in index), tuple(shape))
                    masks_checked = True
                if is_lazy(i):
                    raise NotImplementedError(
                        "indexing with a boolean mask is not available for a dask mask: the "
                        "size of the result is unknown until the mask is computed; compute the "
                        "mask first (mask.numpy(), a NumPy mask selects from dask data without "
                        "computing it), or keep the shape with tg.where(mask, x, 0)"
                    )
                out.extend(xp_of(i).nonzero(i))
                continue
            if i.ndim == 0 and kind_of(i.dtype) in "iu":
                i = int(i)
            elif kind_of(i.dtype) not in "iub":
                raise IndexError(
                    f"index arrays must hold integers or booleans, not {i.dtype}: cast with "
                    "tg.astype(index, tg.int64)"
                )
            elif callers and per_thread.context.mode == TRACED:
                i = private_copy(i)  # a tape keeps the index: later writes must not reach it
        out.append(i)
    return tuple(out)


def _index_value(i):
    if isinstance(i, Tensor):
        return i._value
    if type(i) is list:  # an empty list selects nothing, as NumPy's (not a float array)
        return raw(i) if i else np.zeros(0, dtype=np.intp)
    return i


def _check_masks(index: tuple, shape: tuple) -> None:
    """A boolean mask must have the shape of the axes it selects from, as NumPy requires."""

    def width(i):
        if i is None or i is Ellipsis or isinstance(i, bool):
            return 0
        if hasattr(i, "dtype") and kind_of(i.dtype) == "b":
            return len(i.shape)
        return 1

    named = sum(width(i) for i in index)
    axis = 0
    for i in index:
        if i is Ellipsis:
            axis += builtins.max(len(shape) - named, 0)
            continue
        k = width(i)
        if k and hasattr(i, "dtype") and kind_of(i.dtype) == "b":
            covered = shape[axis : axis + k]
            if tuple(i.shape) != covered:
                axes = f"axis {axis}" if k == 1 else f"axes {axis} to {axis + k - 1}"
                raise IndexError(
                    f"a boolean mask of shape {tuple(i.shape)} does not match {axes} of the "
                    f"tensor of shape {shape} (their shape is {covered}): a mask must have the "
                    "shape of the axes it selects from"
                )
        axis += k


def _batched(index, lead_shape: tuple):
    """``index`` for a value with leading (batch) axes of ``lead_shape`` in front.

    Where the index's advanced parts (arrays, and integers beside them) are apart, NumPy puts
    their axes first: slices for the batch axes would then land behind them. There the batch
    axes are indexed by aranges that broadcast in front of the advanced axes instead."""
    n = len(lead_shape)
    if not n:
        return index
    if not _advanced_apart(index):
        return (slice(None),) * n + index
    depth = builtins.max(_advanced_rank(i) for i in index)
    aranges = tuple(
        np.arange(size).reshape((1,) * k + (size,) + (1,) * (n - 1 - k + depth))
        for k, size in enumerate(lead_shape)
    )
    return aranges + index


def _is_scalar_bool(i) -> bool:
    """A Python or 0-d boolean: NumPy takes it as an advanced index of one axis (length 1 for
    True, 0 for False)."""
    return isinstance(i, (bool, np.bool_)) or (
        hasattr(i, "shape") and not i.shape and kind_of(i.dtype) == "b"
    )


def _advanced_rank(i) -> int:
    """How many axes an advanced part of an index makes (0 for anything else)."""
    if _is_scalar_bool(i):
        return 1
    return len(i.shape) if hasattr(i, "shape") else 0


def _advanced_apart(index) -> bool:
    """Whether the advanced parts of ``index`` (arrays, scalar booleans, and integers beside
    them) are not next to one another (NumPy then puts their axes first)."""
    if not any(hasattr(i, "shape") or _is_scalar_bool(i) for i in index):
        return False
    places = [
        k for k, i in enumerate(index) if hasattr(i, "shape") or isinstance(i, (int, np.integer))
    ]
    return places[-1] - places[0] + 1 != len(places)


@primitive(
    vjp=rules(
        linear,
        lambda g, ans, x, *, index: index_add(
            g, index=index, shape=tuple(x.shape), n_lead=len(lead(g, ans))
        ),
    ),
    jvp=lambda ts, ans, x, *, index: getitem(ts[0], index=_batched(index, lead(ts[0], x))),
)
def getitem(x, /, *, index):
    """``x[index]`` for a normalized index (see ``normalize_index``)."""
    if indexes_natively(x):
        return x[index_for(x, index)]
    if is_basic_index(index):
        return x[standard_basic_index(index, tuple(x.shape))]
    return gather(x, index)


def _index_add_vjp(g, ans, x, *, index, shape, n_lead):
    return getitem(g, index=_batched(index, tuple(g.shape[: len(lead(g, ans)) + n_lead])))


@primitive(
    vjp=rules(linear, _index_add_vjp),
    jvp=lambda ts, ans, x, *, index, shape, n_lead: index_add(
        ts[0], index=index, shape=shape, n_lead=n_lead + len(lead(ts[0], x))
    ),
)
def index_add(x, /, *, index, shape, n_lead=0):
    """A zero array of ``x.shape[:n_lead] + shape`` with ``x`` added at ``index``: the gradient of
    indexing (repeated indices accumulate)."""
    xp = xp_of(x)
    out = xp.zeros(tuple(x.shape[:n_lead]) + tuple(shape), dtype=x.dtype, device=device_of(x))
    full = _batched(index, tuple(x.shape[:n_lead]))
    if is_basic_index(index) and indexes_natively(out):
        out[full] = x
        return out
    return scatter_add(out, index_for(out, full), x)


def take_slice(x, axis: int, start: int, stop):
    """``x`` at position ``start`` (stop None: the axis is dropped) or ``start:stop`` of the
    (negative) ``axis``; used by the rules of concat and stack."""
    sel = start if stop is None else slice(start, stop)
    return getitem(x, index=(Ellipsis, sel) + (slice(None),) * (-axis - 1))


# -- take_along_axis ------------------------------------------------------------------------------


def _take_along_axis_vjp(g, ans, x, idx, *, axis):
    """Scattered into ``x``'s shape broadcast against the indices off the axis, then summed
    back to ``x``'s shape where it broadcast."""
    shape = list(ans.shape)
    shape[axis] = x.shape[axis]
    out = scatter_along_axis(g, idx, axis=axis, shape=tuple(shape))
    if tuple(shape) != tuple(x.shape):
        from .manipulation import sum_to_shape

        out = sum_to_shape(out, shape=tuple(x.shape), n_lead=len(lead(g, ans)))
    return out


@primitive(
    vjp=rules(linear, _take_along_axis_vjp, None),
    jvp=lambda ts, ans, x, idx, *, axis: take_along_axis(
        ts[0], _lead_indices(idx, ts[0], x), axis=axis
    ),
)
def _take_along_axis(x, indices, /, *, axis):
    return backend_take_along_axis(x, indices, axis)


def _lead_indices(indices, t, x):
    extra = lead(t, x)
    if not extra:
        return indices
    xp = xp_of(raw(indices))
    return xp.broadcast_to(raw(indices), extra + tuple(indices.shape))


def take_along_axis(x, indices, /, *, axis=-1):
    """Elements of ``x`` picked along ``axis`` by ``indices`` (shapes broadcast elsewhere).

    >>> import tapegrad as tg
    >>> x = tg.constant([[1.0, 2.0], [3.0, 4.0]])
    >>> print(tg.take_along_axis(x, tg.constant([[1], [0]]), axis=1))
    tg.Tensor(
    [[2.]
     [3.]], shape=(2, 1), dtype=float32)
    """
    values = raw(indices)
    if axis is None:  # NumPy's: along the flattened x, with 1-D indices
        from .manipulation import reshape

        x, axis = reshape(x, (-1,)), -1
    if not hasattr(values, "dtype") or kind_of(values.dtype) not in "iu":
        raise IndexError(
            "take_along_axis: indices must hold integers, not "
            f"{getattr(values, 'dtype', type(values).__name__)}: cast with "
            "tg.astype(indices, tg.int64)"
        )
    if values.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices of shape {tuple(values.shape)} and x of shape "
            f"{tuple(x.shape)} must have the same number of axes (they broadcast off the axis); "
            "add axes of length 1 with tg.expand_dims"
        )
    (axis,) = negative_axes(axis, x.ndim)
    return _take_along_axis(x, values, axis=axis)


def _scatter_vjp(g, ans, x, idx, *, axis, shape):
    axis = _negative(axis, len(shape))
    batch = tuple(g.shape[: g.ndim - len(shape)])  # the forward's own and the cotangent's
    xp = xp_of(raw(idx))
    return take_along_axis(g, xp.broadcast_to(raw(idx), batch + tuple(idx.shape)), axis=axis)


def _scatter_jvp(ts, ans, x, idx, *, axis, shape):
    axis = _negative(axis, len(shape))
    return scatter_along_axis(ts[0], idx, axis=axis, shape=shape)  # the forward adds the lead


def _negative(axis, ndim):
    return axis - ndim if axis >= 0 else axis


@primitive(vjp=rules(linear, _scatter_vjp, None), jvp=_scatter_jvp)
def scatter_along_axis(x, indices, /, *, axis, shape):
    """The gradient of take_along_axis: ``x`` added into zeros of ``shape`` (plus x's leading
    batch axes) at ``indices`` along ``axis``."""
    xp = xp_of(x)
    n_lead = x.ndim - len(shape)
    full_shape = tuple(x.shape[:n_lead]) + tuple(shape)
    if n_lead:
        indices = xp.broadcast_to(indices, tuple(x.shape[:n_lead]) + tuple(indices.shape))
    indices = xp.broadcast_to(indices, tuple(x.shape))
    axis = _negative(axis, len(shape))
    chunked = backend_scatter_along_axis(x, indices, axis, full_shape[axis])
    if chunked is not None:  # Dask: chunk by chunk
        return chunked
    out = xp.zeros(full_shape, dtype=x.dtype, device=device_of(x))
    return scatter_add(out, along_index(indices, axis, xp), x)


# -- writing at an index: t[index] = v, and t.at[index] --------------------------------------------
def _selection_shape(x, index):
    """The shape that ``x[index]`` selects, from the shapes alone (index arrays of any library
    stand in as NumPy zeros of their shape)."""
    shaped = tuple(_shape_only(i) for i in index)
    return np.empty(tuple(x.shape), dtype=bool)[shaped].shape


def _shape_only(i):
    """An index part as NumPy sees it for the shape it selects: integer arrays as zeros of
    their shape, a 0-d boolean as its value (True adds an axis of 1, False one of 0)."""
    if not hasattr(i, "shape"):
        return i
    if _is_scalar_bool(i):
        return np.asarray(bool(i))
    return np.zeros(i.shape, dtype=np.intp)


def _fits(have: tuple, target: tuple) -> bool:
    """Whether a value of shape ``have`` broadcasts to the place ``target`` it is written to."""
    try:
        return np.broadcast_shapes(have, target) == target
    except ValueError:
        return False


def _fitted(values, x, index, what: str):
    """``values`` for the place ``x[index]``: NumPy lets a written value carry extra leading
    axes of length 1, which go here (the rules then see a value of the place's rank); a value
    that does not broadcast to the place raises, naming both shapes."""
    from .manipulation import reshape

    target = _selection_shape(x, index)
    have = tuple(values.shape)
    extra = len(have) - len(target)
    if extra > 0 and all(n == 1 for n in have[:extra]):
        values, have = reshape(values, have[extra:]), have[extra:]
    if not _fits(have, target):
        raise ValueError(
            f"{what}: cannot write a value of shape {tuple(values.shape)} at a place of shape "
            f"{target} in a tensor of shape {tuple(x.shape)}: the value must broadcast to the "
            "shape it replaces"
        )
    return values


def _set_vjp_x(g, ans, x, v, *, index):
    keep = index_set(ones_like_raw(x), 0, index=index)  # 1 where x survives, 0 where written
    return g * keep


def _set_vjp_v(g, ans, x, v, *, index):
    picked = getitem(g, index=_batched(index, lead(g, ans)))
    if is_basic_index(index):  # no position is written twice
        return picked
    kept = _last_writes(x, index)
    if kept is None:
        return picked
    from .elementwise import where

    return where(kept, picked, 0)  # a write that a later one replaced has no effect


def _last_writes(x, index):
    """Where ``index`` writes a position more than once: True for the last write to each
    position (the one an assignment keeps), in ``x``'s library; None when none repeats."""
    kept = last_writes(tuple(x.shape), index)
    return None if kept is None else in_library_of(raw(x), kept)


def _set_jvp(ts, ans, x, v, *, index):
    from .manipulation import broadcast_to, reshape

    tx, tv = ts
    like = tx if tx is not None else tv
    base = x if tx is not None else v
    batch = lead(like, base)
    if tx is None:  # zeros, not ans * 0: x may hold inf or nan where nothing is written
        from .creation import zeros_like

        tx = broadcast_to(zeros_like(ans), batch + tuple(ans.shape))
    if tv is None:
        return index_set(tx, 0, index=_batched(index, batch))
    selected = _selection_shape(x, index)
    tv = reshape(tv, batch + (1,) * (len(selected) - v.ndim) + tuple(v.shape))
    tv = broadcast_to(tv, batch + tuple(selected))
    return index_set(tx, tv, index=_batched(index, batch))


def _extremum_weights(ans, x, v, index):
    """Which of ``x`` and the writes equal the result at each position, each weighted by one
    over their number there: ties share the derivative evenly, as JAX's scatter max does."""
    xp = xp_of(raw(ans))
    out, dtype = raw(ans), raw(ans).dtype
    x_wins = xp.astype(raw(x) == out, dtype)
    v_wins = xp.astype(raw(v) == raw(getitem(out, index=index)), dtype)
    count = x_wins + raw(index_add(v_wins, index=index, shape=tuple(x.shape)))
    share = 1 / xp.where(count == 0, 1, count)  # a NaN result ties with nothing
    return x_wins * share, v_wins, share


def _extremum_vjp_x(g, ans, x, v, *, index, largest):
    x_weight, _, _ = _extremum_weights(ans, x, v, index)
    return g * x_weight


def _extremum_vjp_v(g, ans, x, v, *, index, largest):
    _, v_wins, share = _extremum_weights(ans, x, v, index)
    return getitem(g * share, index=_batched(index, lead(g, ans))) * v_wins


def _extremum_jvp(ts, ans, x, v, *, index, largest):
    x_weight, v_wins, share = _extremum_weights(ans, x, v, index)
    tx, tv = ts
    out = None if tx is None else tx * x_weight
    if tv is not None:
        n_lead = len(lead(tv, v))
        reached = index_add(tv * v_wins, index=index, shape=tuple(x.shape), n_lead=n_lead) * share
        out = reached if out is None else out + reached
    return out


@primitive(vjp=rules(linear, _extremum_vjp_x, _extremum_vjp_v), jvp=_extremum_jvp)
def index_extremum(x, v, /, *, index, largest):
    """A copy of ``x`` where each write of ``v`` (of the selection's shape) at ``index`` keeps
    the larger (``largest``) or smaller of it and what is there; repeated positions each take
    part."""
    out = xp_of(x).asarray(x, copy=True)
    if isinstance(out, np.generic):  # a NumPy scalar cannot be written: use a 0-d array
        out = np.array(out)
    out = scatter_extremum(out, index_for(out, index), v, largest)
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def ones_like_raw(x):
    value = raw(x)
    return xp_of(value).ones(tuple(x.shape), dtype=value.dtype, device=device_of(value))


@primitive(vjp=rules(linear, _set_vjp_x, _set_vjp_v), jvp=_set_jvp)
def index_set(x, v, /, *, index):
    """A copy of ``x`` with ``v`` written at ``index`` (``x[index] = v`` without writing ``x``).
    Where an index repeats, the last write wins, and only that write receives the cotangent."""
    if not indexes_natively(x) or _unordered_repeats(x, index):
        return scatter_set(x, index, v)
    xp = xp_of(x)
    out = xp.asarray(x, copy=True)
    if isinstance(out, np.generic):  # a NumPy scalar cannot be written: use a 0-d array
        out = np.array(out)
    out[index_for(out, index)] = v
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def _unordered_repeats(x, index) -> bool:
    """Whether ``index`` writes a position twice into a CuPy array, whose own assignment leaves
    undefined which write stays: scatter_set then keeps the last, as NumPy and the rules do."""
    return (
        backend_name(x) == "cupy"
        and not is_basic_index(index)
        and last_writes(tuple(x.shape), index) is not None
    )


def set_item(tensor, index, value) -> None:
    """``tensor[index] = value`` with NumPy's semantics: the tensor object takes the new value
    (every name bound to it sees it) and a new identity on the tape, so every value a tape
    recorded earlier stays as it was; the write itself is recorded and differentiable."""
    from .._tensor import Variable

    index = normalize_index(index, tensor.shape)
    try:
        value = _written_as(value, tensor)  # no truncation, wrap or lost part
        value = _fitted(value, tensor, index, "item assignment")
        if isinstance(tensor, Variable):
            tensor.assign(index_set(tensor._value, raw(value), index=index))
            return
        out = index_set(tensor, value, index=index)
    except (ValueError, IndexError) as error:
        raise (_write_error(tensor, index, value) or error) from None
    tensor._value, tensor._uid = out._value, out._uid


def _write_error(tensor, index, value):
    """Where ``tensor[index] = value`` failed: an error naming what was written where, the
    tensor's name for a variable (NumPy's own words name neither); None if the index is bad."""
    from .._tensor import Variable

    name = f"variable '{tensor.name}'" if isinstance(tensor, Variable) else "the tensor"
    try:
        target = tuple(raw(tensor)[index].shape)
    except IndexError as error:
        return IndexError(f"{error} (writing into {name} of shape {tensor.shape})")
    have = tuple(getattr(raw(value), "shape", ()))
    if not _fits(have, target):
        return ValueError(
            f"cannot write a value of shape {have} into {name} at a place of shape {target}: "
            "the value must broadcast to the shape it replaces"
        )
    return None


class At:
    """JAX's functional updates: ``x.at[index].set(v)``, ``.add``, ``.multiply``, ``.min``,
    ``.max`` and ``.get`` return new tensors; ``x`` is unchanged.

    >>> import tapegrad as tg
    >>> x = tg.zeros((3,))
    >>> print(x.at[1].set(5.0))
    tg.Tensor([0. 5. 0.], shape=(3,), dtype=float32)
    >>> print(x.at[[0, 0]].add(1.0))
    tg.Tensor([2. 0. 0.], shape=(3,), dtype=float32)
    """

    def __init__(self, tensor):
        self.tensor = tensor

    def __getitem__(self, index):
        return _AtIndex(self.tensor, normalize_index(index, self.tensor.shape))


class _AtIndex:
    def __init__(self, tensor, index):
        self.tensor, self.index = tensor, index

    def get(self):
        return getitem(self.tensor, index=self.index)

    def set(self, value):
        return index_set(self.tensor, self._values(value, "set"), index=self.index)

    def add(self, value):
        """Repeated indices accumulate, as in JAX."""
        from .manipulation import broadcast_to

        selected = _selection_shape(self.tensor, self.index)
        values = broadcast_to(self._values(value, "add"), selected)
        return self.tensor + index_add(values, index=self.index, shape=tuple(self.tensor.shape))

    def _values(self, value, method: str):
        """``value`` written as the tensor's dtype and fitted to the place it goes."""
        return _fitted(
            _written_as(value, self.tensor), self.tensor, self.index, f"x.at[...].{method}"
        )

    def multiply(self, value):
        """Repeated indices multiply in turn, as in JAX."""
        return self._each_write(self._values(value, "multiply"), operator.mul)

    def min(self, value):
        """Repeated indices each take part, as in JAX; ties share the derivative evenly."""
        return self._extremum(value, "min")

    def max(self, value):
        """Repeated indices each take part, as in JAX; ties share the derivative evenly."""
        return self._extremum(value, "max")

    def _extremum(self, value, method: str):
        from .manipulation import broadcast_to

        x = self.tensor
        if kind_of(x.dtype) == "c":
            raise TypeError(
                f"x.at[...].{method} is not defined for complex tensors ({x.dtype}): complex "
                "numbers have no order; compare tg.abs or tg.real of them instead"
            )
        values = broadcast_to(self._values(value, method), _selection_shape(x, self.index))
        return index_extremum(x, values, index=self.index, largest=method == "max")

    def _each_write(self, value, combine):
        """``x[p] = combine(x[p], v)`` for every write of ``v`` at the index (multiply). Where
        positions repeat, the writes go in rounds that touch each position at most once: a
        round's values reach their positions exactly (one nonzero term each), and positions it
        does not touch keep their values."""
        from .elementwise import where
        from .manipulation import broadcast_to

        x, index = self.tensor, self.index
        shape = tuple(x.shape)
        values = value  # written as x's dtype and fitted by the caller
        rounds = [] if is_basic_index(index) else write_rounds(shape, index)
        if not rounds:  # no position written twice
            return index_set(x, combine(self.get(), values), index=index)
        values = broadcast_to(values, tuple(rounds[0][0].shape))
        like = raw(x)
        result = x
        for chosen, touched in rounds:
            chosen, touched = in_library_of(like, chosen), in_library_of(like, touched)
            reached = index_add(where(chosen, values, 0), index=index, shape=shape)
            result = where(touched, combine(result, reached), result)
        return result


def _written_as(value, x):
    """``value`` (a tensor, an array or a Python number) as a tensor of ``x``'s dtype, as JAX's
    updates write it, but never silently changed: integers are checked as constants are (no
    truncated float, no value out of range); a complex value into a real tensor raises."""
    values = _as_tensor(value, x)
    if values.dtype == x.dtype:
        return values
    from .._tensor import _cast_array
    from .creation import constant
    from .elementwise import astype

    have, want = kind_of(values.dtype), kind_of(x.dtype)
    if want in "biu":  # integers carry no gradient: cast as a constant is, with its checks
        return constant(_cast_array(raw(values), x.dtype, "the values written"))
    if want != "c" and have == "c":
        raise TypeError(
            f"x.at[...] cannot write {values.dtype} values into a {x.dtype} tensor: that would "
            "drop their imaginary part; take tg.real(v), or make the tensor complex"
        )
    return astype(values, x.dtype)


def _as_tensor(value, like):
    from .creation import asarray, constant

    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, complex, np.generic)):
        if backend_name(raw(like)) != "numpy":  # a scalar goes with any library: it joins x's
            return asarray(value, dtype=like.dtype, like=like)
        return constant(value, dtype=like.dtype)
    if type(value) in (list, tuple):  # tensors in a list are packed on the tape, as asarray
        return asarray(value, dtype=like.dtype)
    return constant(raw(value), dtype=like.dtype)
