"""Shape manipulation: reshape, permute_dims, expand_dims, squeeze, broadcast_to, concat, stack.

All are linear, so each JVP applies the same operation to the tangent, with its leading batch
axes kept in front; each VJP undoes the operation on the cotangent.
"""

from __future__ import annotations

import operator

import numpy as np

from .._backend import device_of, is_array, to_numpy, xp_of
from .._primitive import primitive, raw
from .._standard_gaps import indexes_natively
from .._standard_gaps import reshape as reshape_array
from .._tensor import _short, to_array
from ._helpers import as_shape, axis_error, lead, named_axes, negative_axes, positive_axis
from ._strong import linear, rules

__all__ = [
    "broadcast_arrays",
    "flip",
    "moveaxis",
    "pad",
    "repeat",
    "roll",
    "split",
    "swapaxes",
    "take",
    "tile",
    "unstack",
    "broadcast_to",
    "concat",
    "expand_dims",
    "matrix_transpose",
    "permute_dims",
    "reshape",
    "squeeze",
    "stack",
]


def _reshape_like(v, like, shape):
    return reshape(v, lead(v, like) + tuple(shape))


@primitive(
    vjp=rules(linear, lambda g, ans, x, *, shape, copy=None: _reshape_like(g, ans, x.shape)),
    jvp=lambda ts, ans, x, *, shape, copy=None: _reshape_like(ts[0], x, ans.shape),
)
def reshape(x, /, shape, *, copy=None):
    """``x`` with a new shape holding the same elements in row-major order.

    >>> import tapegrad as tg
    >>> tg.reshape(tg.constant([1.0, 2.0, 3.0, 4.0]), (2, 2)).shape
    (2, 2)
    """
    return reshape_array(x, shape if type(shape) is tuple else as_shape(shape))


def _batched_axes(axes, n_lead):
    return tuple(range(n_lead)) + tuple(n_lead + a for a in axes)


def _inverse(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


def _permute_vjp(g, ans, x, *, axes):
    n = len(lead(g, ans))
    return permute_dims(g, _batched_axes(_inverse(_normal(axes, x.ndim)), n))


def _permute_jvp(ts, ans, x, *, axes):
    t = ts[0]
    return permute_dims(t, _batched_axes(_normal(axes, x.ndim), len(lead(t, x))))


def _normal(axes, ndim):
    return tuple(a % ndim for a in axes) if ndim else ()


@primitive(vjp=rules(linear, _permute_vjp), jvp=_permute_jvp)
def permute_dims(x, /, axes):
    """``x`` with its axes reordered: output axis i is input axis ``axes[i]``."""
    try:
        return xp_of(x).permute_dims(x, tuple(axes))
    except (ValueError, IndexError, TypeError):  # NumPy's words name no function
        named = [a % x.ndim if isinstance(a, int) and -x.ndim <= a < x.ndim else None for a in axes]
        if sorted(named, key=str) == list(range(x.ndim)):
            raise
        raise ValueError(
            f"permute_dims: axes {tuple(axes)!r} are not an order of the {x.ndim} axes of a "
            f"tensor of shape {tuple(x.shape)}: name each of 0 to {x.ndim - 1} once"
        ) from None


@primitive(
    # its own inverse, and blind to leading batch axes: one op where permute_dims needs axes
    vjp=rules(linear, lambda g, ans, x: matrix_transpose(g)),
    jvp=lambda ts, ans, x: matrix_transpose(ts[0]),
)
def matrix_transpose(x, /):
    """Swap the last two axes (every matmul rule does, so it is one op of its own)."""
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs at least 2 dimensions; got shape {x.shape}")
    return xp_of(x).matrix_transpose(x)


@primitive(
    vjp=rules(linear, lambda g, ans, x, *, axis=0: _reshape_like(g, ans, x.shape)),
    jvp=lambda ts, ans, x, *, axis=0: _reshape_like(ts[0], x, ans.shape),
)
def expand_dims(x, /, axis=0):
    """``x`` with a new axis of length 1 at ``axis`` (or at each of a tuple of axes, counted in
    the result, as NumPy's)."""
    if isinstance(axis, int | np.integer):
        return xp_of(x).expand_dims(x, axis=axis)
    ndim = len(x.shape) + len(axis)
    shape = list(x.shape)
    try:  # out of range or repeated raises
        axes = negative_axes(axis, ndim)
    except ValueError as error:
        raise ValueError(f"expand_dims: {error}") from None
    for a in axes:
        shape.insert(a + ndim, 1)
    return xp_of(x).reshape(x, tuple(shape))


def _given_negative(axis, negative: int, ndim: int) -> bool:
    """Whether ``axis`` (an int or a tuple) named the axis ``negative`` counted from the end."""
    given = axis if isinstance(axis, tuple | list) else (axis,)
    return negative in given or negative + ndim not in given


@primitive(
    vjp=rules(linear, lambda g, ans, x, *, axis: _reshape_like(g, ans, x.shape)),
    jvp=lambda ts, ans, x, *, axis: _reshape_like(ts[0], x, ans.shape),
)
def squeeze(x, /, axis):
    """``x`` without the length-1 axes named by ``axis``."""
    for a in negative_axes(axis, x.ndim):
        if x.shape[a] != 1:
            raise ValueError(  # the axis as the user counts it
                f"cannot squeeze axis {a if _given_negative(axis, a, x.ndim) else a + x.ndim} "
                f"of shape {tuple(x.shape)}: its length is "
                f"{x.shape[a]}, not 1"
            )
    return xp_of(x).squeeze(x, axis=axis)


@primitive(
    # the engine sums the cotangent back to the input's shape, as for any broadcast
    vjp=rules(linear, lambda g, ans, x, *, shape: g),
    jvp=lambda ts, ans, x, *, shape: _broadcast_jvp(ts[0], ans, x),
)
def broadcast_to(x, /, shape):
    """``x`` broadcast to ``shape`` (NumPy's rules)."""
    shape = shape if type(shape) is tuple else as_shape(shape)
    if tuple(x.shape) == shape:
        return x
    return xp_of(x).broadcast_to(x, shape)


def _broadcast_jvp(t, ans, x):
    batch = lead(t, x)
    if batch and x.ndim < ans.ndim:  # keep the batch axes in front of the broadcast ones
        t = reshape(t, batch + (1,) * (ans.ndim - x.ndim) + tuple(x.shape))
    return broadcast_to(t, batch + tuple(ans.shape))


def _sum_to_shape_vjp(g, ans, x, *, shape, n_lead):
    # undo the reduction: ones where summed axes were, then broadcast back over them
    outer = lead(g, ans)
    extra = x.ndim - n_lead - len(shape)
    keep = outer + tuple(x.shape[:n_lead]) + (1,) * extra + tuple(shape)
    return broadcast_to(reshape(g, keep), outer + tuple(x.shape))


@primitive(
    vjp=rules(linear, _sum_to_shape_vjp),
    jvp=lambda ts, ans, x, *, shape, n_lead: sum_to_shape(
        ts[0], shape=shape, n_lead=n_lead + len(lead(ts[0], x))
    ),
)
def sum_to_shape(x, /, *, shape, n_lead=0):
    """Sum a broadcast value back to ``x.shape[:n_lead] + shape``: the engine's one place for
    reducing broadcast gradients (leading batch axes kept)."""
    shape = tuple(shape)
    extra = x.ndim - n_lead - len(shape)
    offset = n_lead + extra
    extra_axes = tuple(range(n_lead, offset))
    ones = tuple(offset + i for i, n in enumerate(shape) if n == 1 and x.shape[offset + i] != 1)
    xp = xp_of(x)
    if not ones:  # only axes broadcasting added: summing them away leaves the shape wanted
        return xp.sum(x, axis=extra_axes) if extra_axes else x
    summed = xp.sum(x, axis=extra_axes + ones, keepdims=True)
    return xp.reshape(summed, tuple(x.shape[:n_lead]) + shape)


# -- joining -------------------------------------------------------------------------------------
def _piece(g, ans, arrays, index, axis, stacked):
    """The part of a cotangent that belongs to input ``index`` of a concat or stack."""
    from .indexing import take_slice

    n_out = len(ans.shape)
    ax = axis - n_out if axis >= 0 else axis
    if stacked:
        return take_slice(g, ax, index, None)
    start = 0
    for a in arrays[:index]:
        start += a.shape[ax + n_out]
    return take_slice(g, ax, start, start + arrays[index].shape[ax + n_out])


def _join_rule(i, stacked):
    return linear(lambda g, ans, *arrays, axis: _piece(g, ans, arrays, i, axis, stacked))


def _join_jvp(ts, ans, *arrays, axis, stacked):
    from .creation import zeros_like

    like = next(t for t in ts if t is not None)
    n_lead = len(lead(like, arrays[0]))
    filled = []
    for t, a in zip(ts, arrays):
        if t is None:
            t = broadcast_to(zeros_like(a), lead(like, a) + tuple(a.shape))
        filled.append(t)
    ax = axis if axis < 0 else axis + n_lead
    if stacked and axis < 0:
        ax = axis
    return (_stack if stacked else _concat)(*filled, axis=ax)


class _Variadic:
    """The VJP rules of an op with any number of array inputs: rule ``i`` is made on demand."""

    def __init__(self, stacked):
        self.stacked = stacked
        self.rules = {}

    def __getitem__(self, i):
        rule = self.rules.get(i)
        if rule is None:
            if len(self.rules) >= 1024:  # a bound: a join of 100,000 inputs made as many rules
                self.rules.clear()
            rule = self.rules[i] = _join_rule(i, self.stacked)
        return rule


def _concat_forward(*arrays, axis=0):
    return xp_of(arrays[0]).concat(list(arrays), axis=axis)


def _stack_forward(*arrays, axis=0):
    return xp_of(arrays[0]).stack(list(arrays), axis=axis)


_concat = primitive(
    vjp=None,
    jvp=lambda ts, ans, *a, axis: _join_jvp(ts, ans, *a, axis=axis, stacked=False),
    name="concat",
)(_concat_forward)
_stack = primitive(
    vjp=None,
    jvp=lambda ts, ans, *a, axis: _join_jvp(ts, ans, *a, axis=axis, stacked=True),
    name="stack",
)(_stack_forward)
_concat.primitive.set_vjps(_Variadic(stacked=False))
_stack.primitive.set_vjps(_Variadic(stacked=True))


def concat(arrays, /, *, axis=0):
    """Join a sequence of arrays along an existing axis (``axis=None`` flattens them first).

    >>> import tapegrad as tg
    >>> tg.concat([tg.ones((2,)), tg.zeros((3,))]).shape
    (5,)
    """
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concat needs at least one array; got an empty sequence")
    if axis is None:
        arrays = [reshape(a, (-1,)) for a in arrays]
        axis = 0
    try:
        return _concat(*arrays, axis=axis)
    except (ValueError, IndexError, TypeError) as error:
        raise axis_error("concat", axis, raw(arrays[0]).ndim) or error from None


def stack(arrays, /, *, axis=0):
    """Join a sequence of same-shaped arrays along a new axis."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("stack needs at least one array; got an empty sequence")
    try:
        return _stack(*arrays, axis=axis)
    except (ValueError, IndexError, TypeError) as error:  # the new axis counts among the result's
        raise axis_error("stack", axis, raw(arrays[0]).ndim + 1) or error from None


# -- composites: differentiable through the primitives above and indexing -----------------------
def _axis_index(ndim: int, axis: int, selector) -> tuple:
    """An index that applies ``selector`` along ``axis`` of an ``ndim`` array (an axis out of
    range raises, naming it)."""
    return (slice(None),) * positive_axis(axis, ndim) + (selector,)


def flip(x, /, *, axis=None):
    """``x`` with the order of elements reversed along ``axis`` (all axes by default).

    >>> import tapegrad as tg
    >>> print(tg.flip(tg.constant([1.0, 2.0, 3.0])))
    tg.Tensor([3. 2. 1.], shape=(3,), dtype=float32)
    """
    axes = negative_axes(axis, x.ndim)
    index = [slice(None)] * x.ndim
    for a in axes:
        index[a] = slice(None, None, -1)
    return x[tuple(index)]


def roll(x, /, shift, *, axis=None):
    """Elements shifted by ``shift`` along ``axis`` (the flattened array when None), wrapping.

    >>> import tapegrad as tg
    >>> print(tg.roll(tg.constant([1.0, 2.0, 3.0]), 1))
    tg.Tensor([3. 1. 2.], shape=(3,), dtype=float32)
    """
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, axis=0), tuple(x.shape))
    shifts = (shift,) if isinstance(shift, (int, np.integer)) else tuple(shift)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    # broadcast against each other, as NumPy's: (1, 2) along one axis rolls it by 1, then 2
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(
            f"roll: {len(shifts)} shifts {shifts!r} for {len(axes)} axes {axes!r}: give one "
            "shift per axis, or one for all"
        )
    for s, a in zip(shifts, axes):
        s = operator.index(s)
        n = x.shape[named_axes("roll", a, x.ndim)[0]]
        if n:
            x = x[_axis_index(x.ndim, a, [(i - s) % n for i in range(n)])]
    return x


def moveaxis(x, source, destination, /):
    """``x`` with axes moved from ``source`` to ``destination`` (ints or tuples)."""

    def axes(given):  # each checked (an axis out of range raises, naming it), as 0..ndim-1
        listed = (given,) if isinstance(given, (int, np.integer)) else tuple(given)
        return [positive_axis(a, x.ndim) for a in listed]

    sources, targets = axes(source), axes(destination)
    for name, given, listed in (("source", source, sources), ("destination", destination, targets)):
        if len(set(listed)) != len(listed):
            raise ValueError(f"moveaxis: repeated axis in {name} {given!r}: name each axis once")
    if len(sources) != len(targets):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} name different "
            "numbers of axes"
        )
    order = [a for a in range(x.ndim) if a not in sources]
    for target, src in sorted(zip(targets, sources)):
        order.insert(target, src)
    return permute_dims(x, tuple(order))


def swapaxes(x, axis1, axis2, /):
    """``x`` with two axes exchanged (NumPy's name)."""
    order = list(range(x.ndim))
    axis1, axis2 = positive_axis(axis1, x.ndim), positive_axis(axis2, x.ndim)
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return permute_dims(x, tuple(order))


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple of arrays."""
    axis = positive_axis(axis, x.ndim)
    return tuple(x[_axis_index(x.ndim, axis, i)] for i in range(x.shape[axis]))


def tile(x, repetitions, /):
    """``x`` repeated ``repetitions`` times along each axis (NumPy's ``tile``)."""
    try:
        reps = as_shape(repetitions)
    except TypeError:
        raise TypeError(
            f"tile: repetitions must be an int or a sequence of ints, not {repetitions!r}"
        ) from None
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + tuple(x.shape)
    # interleave a new axis of each repetition count before each axis, broadcast, and merge
    expanded = reshape(x, tuple(v for s in shape for v in (1, s)))
    target = tuple(v for r, s in zip(reps, shape) for v in (r, s))
    return reshape(broadcast_to(expanded, target), tuple(r * s for r, s in zip(reps, shape)))


def repeat(x, repeats, /, *, axis=None):
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (flattened when None)."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    n = x.shape[negative_axes(axis, x.ndim)[0]]
    # the result's length depends on the counts: they are read to the host (from any device)
    counts = np.asarray(to_numpy(raw(repeats)) if is_array(raw(repeats)) else repeats)
    if counts.dtype.kind not in "iu":
        raise TypeError(
            f"repeat: repeats must be integers, not {_short(repeats)}: round them and cast to "
            "int first"
        )
    if counts.size and counts.min() < 0:
        raise ValueError(f"repeat: repeats must not be negative, got {_short(repeats)}")
    if counts.ndim and counts.shape != (n,) and counts.size != 1:
        raise ValueError(
            f"repeat: {counts.size} repeat counts for an axis of length {n}: give one count, or "
            "one per element"
        )
    counts = np.broadcast_to(counts, (n,))
    return x[_axis_index(x.ndim, axis, np.repeat(np.arange(n), counts))]


def take(x, indices, /, *, axis=None):
    """Elements of ``x`` at integer ``indices`` along ``axis`` (the flattened array when None)."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return x[_axis_index(x.ndim, axis, raw(indices))]


def split(x, indices_or_sections, /, *, axis=0):
    """``x`` cut into pieces along ``axis``: equal sections, or at the given indices (NumPy)."""
    n = x.shape[negative_axes(axis, x.ndim)[0]]
    if isinstance(indices_or_sections, int | np.integer):
        if indices_or_sections < 1:
            raise ValueError(
                f"split: the number of sections must be at least 1, not {indices_or_sections}"
            )
        if n % indices_or_sections:
            raise ValueError(
                f"split: an axis of length {n} does not divide into {indices_or_sections} equal "
                "sections; give the split indices instead"
            )
        step = n // indices_or_sections
        bounds = [k * step for k in range(int(indices_or_sections) + 1)]  # n = 0: empty pieces
    else:
        bounds = [0, *indices_or_sections, n]
    return [x[_axis_index(x.ndim, axis, slice(a, b))] for a, b in zip(bounds[:-1], bounds[1:])]


def broadcast_arrays(*arrays):
    """The arrays broadcast against each other."""

    shape = np.broadcast_shapes(*(tuple(a.shape) for a in arrays))
    return [broadcast_to(a, shape) for a in arrays]


def _pad_vjp(g, ans, x, *, pad_width, constant_values):
    n = len(lead(g, ans))
    index = (slice(None),) * n + tuple(slice(lo, lo + s) for (lo, _), s in zip(pad_width, x.shape))
    return g[index]


def _pad_jvp(ts, ans, x, *, pad_width, constant_values):
    t = ts[0]
    n = len(lead(t, x))
    return _pad_constant(t, pad_width=((0, 0),) * n + tuple(pad_width), constant_values=0)


@primitive(vjp=rules(linear, _pad_vjp), jvp=_pad_jvp)
def _pad_constant(x, /, *, pad_width, constant_values):
    xp = xp_of(x)
    if indexes_natively(x):  # NumPy, CuPy: fill, then write the input once
        out_shape = tuple(lo + s + hi for (lo, hi), s in zip(pad_width, x.shape))
        out = xp.full(out_shape, constant_values, dtype=x.dtype, device=device_of(x))
        out[tuple(slice(lo, lo + s) for (lo, _), s in zip(pad_width, x.shape))] = x
        return out
    out = x  # elsewhere (Dask, any standard library): constant blocks joined axis by axis
    for axis, (lo, hi) in enumerate(pad_width):
        if lo or hi:
            shapes = [list(out.shape), list(out.shape)]
            shapes[0][axis], shapes[1][axis] = lo, hi
            lo_block, hi_block = (
                xp.full(tuple(s), constant_values, dtype=x.dtype, device=device_of(x))
                for s in shapes
            )
            out = xp.concat([lo_block, out, hi_block], axis=axis)
    return out


def pad(x, pad_width, mode="constant", *, constant_values=0):
    """NumPy's ``pad``: modes "constant", "edge", "reflect", "symmetric" and "wrap".

    >>> import tapegrad as tg
    >>> print(tg.pad(tg.constant([1.0, 2.0]), 1, mode="edge"))
    tg.Tensor([1. 1. 2. 2.], shape=(4,), dtype=float32)
    """
    widths = tuple(tuple(int(w) for w in pair) for pair in np.broadcast_to(pad_width, (x.ndim, 2)))
    if any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"pad: widths must be non-negative, got pad_width={pad_width!r}")
    if mode == "constant":
        # the fill in x's dtype, checked as constants are: 2.5 never truncated into integers
        fill = to_array(raw(constant_values), x.dtype).item()
        return _pad_constant(x, pad_width=widths, constant_values=fill)
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(
            f"pad: mode {mode!r} is not supported; use 'constant', 'edge', 'reflect', "
            "'symmetric' or 'wrap'"
        )
    for axis, (lo, hi) in enumerate(widths):  # each axis gathers from a padded index map
        source = np.pad(np.arange(x.shape[axis]), (lo, hi), mode=mode)
        x = x[_axis_index(x.ndim, axis, source)]
    return x
