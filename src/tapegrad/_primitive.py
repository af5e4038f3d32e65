"""``@primitive``: the one way to declare a differentiable operation.

A declaration gives the forward computation on backend arrays, one VJP rule per array input and a
JVP rule, in one statement. Rules have the signature ``(g, ans, *inputs, **static_params)`` (``t``
for tangents) and are written with tapegrad's own functions, so they are differentiable in turn.

Calling an op does one of three things, chosen by the thread's mode (``_state``):

* PLAIN (nothing active): compute on the raw arrays and wrap the result; nothing is kept.
* RAW (a backward pass that nothing records): compute and return raw arrays, so rules run at the
  speed of the backend.
* TRACED: compute, then let each recording tape and each forward accumulator see the call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as _np

from . import _dtypes
from ._backend import ARRAY_TYPES, is_array, library_dtype, same_library
from ._dtypes import FLOAT_TYPES, kind_of
from ._state import PLAIN, RAW, per_thread
from ._tensor import Tensor, new_object, next_uid, to_array, wrap

REGISTRY: dict[str, Primitive] = {}
# NumPy < 2 promotes Python scalars by value; there they are given the array's dtype first
_NEP50 = int(_np.__version__.split(".")[0]) >= 2


class Primitive:
    """An operation the engine knows: forward, VJP rules and JVP rule (see module docstring)."""

    __slots__ = (
        "name",
        "forward",
        "vjps",
        "jvp",
        "n_arrays",
        "statics",
        "defaults",
        "doc",
        "replay",
        "unmarked_vjps",
        "saving_forward",
    )

    def __init__(self, name, forward, vjps, jvp, n_arrays, statics, defaults):
        self.name = name
        self.forward = forward
        self.set_vjps(vjps)
        self.jvp = jvp
        self.n_arrays = n_arrays  # None: variadic
        self.statics = statics
        self.defaults = defaults
        self.replay = None  # per-call custom operations: run the user's function again
        self.saving_forward = None  # see primitive(saves=True)

    def set_vjps(self, vjps) -> None:
        """The VJP rules: a tuple (None where an input has no derivative), a sequence object,
        or None. ``unmarked_vjps`` holds the same rules without the strong-zero wrappers that
        act only while marks exist (``ops/_strong.py``): the backward loop calls those while
        none do, one call fewer per rule."""
        self.vjps = vjps
        if type(vjps) is tuple:
            vjps = tuple(getattr(rule, "unmarked", rule) for rule in vjps)
        self.unmarked_vjps = vjps

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def primitive(
    vjp=None, jvp=None, *, name: str | None = None, promote: bool = False, saves: bool = False
):
    """Declare an operation.

    ``vjp``: a rule, a tuple of rules (one per array input), or None for an operation without a
    derivative (comparisons, integer casts). ``jvp``: a rule ``(tangents, ans, *inputs)``, where
    ``tangents`` holds None for inputs without a tangent, or ``"elementwise"`` for operations whose
    derivative is diagonal: their JVP is then the sum of the VJP rules applied to the tangents
    (``_forward.py`` applies it).
    ``promote``: give Python scalars the dtype of the array they meet (binary arithmetic).

    Positional-only parameters of the forward function are its array inputs (all positional
    parameters if it is variadic); the rest are static parameters, passed to every rule.

    ``saves``: the forward returns ``(value, saved)``, where ``saved`` holds intermediate arrays
    its rules would otherwise compute again (a softmax). When a tape or accumulator sees the
    call, ``saved`` is kept with it and reaches the rules as the keyword ``saved`` (None where
    nothing was kept). Saved values are raw arrays, outside every tape: a rule may use them in
    a first-order backward pass (its cotangent a raw array), and must compute from its tensor
    inputs in a traced one, so that outer tapes see the path.
    """

    def declare(forward: Callable) -> Callable:
        n_arrays, statics, defaults = _signature(forward)
        vjps = None
        if vjp is not None:
            vjps = tuple(vjp) if isinstance(vjp, (tuple, list)) else (vjp,)
        value_of = _value_only(forward) if saves else forward
        prim = Primitive(name or forward.__name__, value_of, vjps, jvp, n_arrays, statics, defaults)
        if saves:
            if promote:
                raise ValueError(f"{prim.name}: an op that saves values cannot promote scalars")
            prim.saving_forward = forward
        REGISTRY[prim.name] = prim
        op = _make_op(prim, promote)
        op.__name__ = op.__qualname__ = prim.name
        op.__doc__ = forward.__doc__
        op.__module__ = forward.__module__
        op.__wrapped__ = forward
        op.primitive = prim
        return op

    return declare


def _value_only(forward):
    """A saving forward without its saved values: what runs where nothing records."""

    def value(*args, **params):
        return forward(*args, **params)[0]

    return value


def _signature(forward):
    params = list(inspect.signature(forward).parameters.values())
    kinds = [p.kind for p in params]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        n_arrays = None
    else:
        n_arrays = sum(k is inspect.Parameter.POSITIONAL_ONLY for k in kinds)
    statics = tuple(
        p.name
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    )
    defaults = {p.name: p.default for p in params if p.name in statics and p.default is not p.empty}
    return n_arrays, statics, defaults


# -- turning arguments into backend values -----------------------------------------------------
def raw(value):
    """The backend array behind an argument (Python values get TensorFlow's default dtypes)."""
    if isinstance(value, Tensor):
        return value._value
    if is_array(value):
        return value
    return to_array(value)


def binary_values(x, y):
    """Backend values for a binary elementwise op. Python scalars are weak: they take the dtype
    of the array they meet (``x * 2.0`` stays float32), except that a Python float meeting an
    integer or bool array gives the default float dtype, as in JAX."""
    if isinstance(x, Tensor):
        xv = x._value
        if isinstance(y, Tensor):
            return xv, y._value
        if (type(y) is float or type(y) is int) and kind_of(xv.dtype) in "fc" and _NEP50:
            return xv, y  # the common case: the backend's own weak promotion is right
        return _weak_pair(xv, y, scalar_first=False)
    if isinstance(y, Tensor):
        yv = y._value
        if (type(x) is float or type(x) is int) and kind_of(yv.dtype) in "fc" and _NEP50:
            return x, yv
        return _weak_pair(yv, x, scalar_first=True)
    if type(x) in _PY_SCALARS and is_array(y):
        return _weak_pair(y, x, scalar_first=True)
    if type(y) in _PY_SCALARS and is_array(x):
        return _weak_pair(x, y, scalar_first=False)
    return raw(x), raw(y)


_PY_SCALARS = {int, float, complex, bool}


def _weak_pair(array, other, scalar_first):
    """``array`` beside ``other``, which is a Python scalar (weak) or anything else (strong)."""
    if type(other) not in _PY_SCALARS:
        other = raw(other)
        if isinstance(other, _np.generic) and type(array) is not _np.ndarray:
            from ._backend import backend_name, device_of, xp_of

            if backend_name(array) != "numpy":  # a NumPy scalar keeps its dtype, in any library
                other = xp_of(array).asarray(other, device=device_of(array))
    else:
        target = _dtypes.weak_scalar_dtype(other, array.dtype)
        # an int or bool array meeting a float: both become float
        if target != _dtypes.as_dtype(array.dtype):
            from ._backend import xp_of

            xp = xp_of(array)
            array = xp.astype(array, library_dtype(xp, target))
        if not _NEP50:
            other = to_array(other, target)
    return (other, array) if scalar_first else (array, other)


def _made_complex(t):
    """A real floating tensor beside a Python complex, cast to complex by a recorded operation:
    its cotangent then reaches it through the cast's rule, which keeps the real part (a cast
    hidden in the values would hand the real tensor a complex cotangent)."""
    if isinstance(t, Tensor) and kind_of(t._value.dtype) == "f":
        from .ops.elementwise import astype

        return astype(t, _dtypes.weak_scalar_dtype(1j, t._value.dtype))
    return t


def _is_float(value) -> bool:
    """Whether a backend value is real floating or complex (the class test first: no call)."""
    dtype = value.dtype
    return type(dtype) in FLOAT_TYPES or kind_of(dtype) in "fc"


def _checked_pair(x, y, prim):
    """``binary_values``, then the check that both values come from one library."""
    xv, yv = binary_values(x, y)
    if type(xv) is not type(yv) and type(xv) not in _PY_SCALARS and type(yv) not in _PY_SCALARS:
        xv, yv = same_library((xv, yv), prim.name)  # NumPy scalars beside arrays pass here
    return xv, yv


# -- the call ----------------------------------------------------------------------------------
def _make_op(prim: Primitive, promote: bool):
    forward = prim.forward
    statics = prim.statics
    n_arrays = prim.n_arrays

    if promote:

        def op(x, y, /):
            # the common pairs first: two tensors, or a tensor and a Python number on a float
            # tensor (the backend's own weak promotion is then right); the rest, raw values
            # included, goes through binary_values
            slow = False  # the rest: where the caller's own arrays may be among the operands
            if isinstance(x, Tensor):
                xv = x._value
                if isinstance(y, Tensor):
                    yv = y._value
                    if type(xv) is not type(yv):
                        xv, yv = same_library((xv, yv), prim.name)  # NumPy scalars pass
                elif (
                    (type(y) is float or type(y) is int)
                    and _NEP50
                    and (type(xv.dtype) in FLOAT_TYPES or _is_float(xv))
                ):
                    yv = y
                else:
                    if type(y) is complex:
                        x = _made_complex(x)
                    xv, yv = _checked_pair(x, y, prim)
                    slow = True
            elif (
                (type(x) is float or type(x) is int)
                and isinstance(y, Tensor)
                and _NEP50
                and (type(y._value.dtype) in FLOAT_TYPES or _is_float(y._value))
            ):
                xv, yv = x, y._value
            else:
                if type(x) is complex:
                    y = _made_complex(y)
                xv, yv = _checked_pair(x, y, prim)
                slow = True
            try:
                value = forward(xv, yv)
            except ValueError as error:
                raise _shape_error(prim, xv, yv) or error from None
            now = per_thread.context
            mode = now.mode
            if mode == RAW:
                return value
            out = new_object(Tensor)  # wrap(value), inlined: this is the hottest path
            out._value = value
            out._uid = next_uid()
            if mode == PLAIN:
                return out
            if slow and (type(x) in ARRAY_TYPES or type(y) in ARRAY_TYPES):
                xv, yv = _kept((x, y), (xv, yv))  # the caller's own arrays, copied
            for tape in now.tapes:
                tape._record(prim, (x, y), (xv, yv), out, _NO_PARAMS)
            if now.accumulators:
                _push(now, prim, (x, y), (xv, yv), out, _NO_PARAMS)
            return out

        return op

    if n_arrays == 1 and not statics and prim.saving_forward is None:

        def op(x, /):
            if isinstance(x, Tensor):
                xv = x._value
            else:
                xv = x if type(x) in ARRAY_TYPES else raw(x)
            value = forward(xv)
            now = per_thread.context
            mode = now.mode
            if mode == RAW:
                return value
            out = new_object(Tensor)  # wrap(value), inlined as in binary ops
            out._value = value
            out._uid = next_uid()
            if mode == PLAIN:
                return out
            if type(x) in ARRAY_TYPES:  # the caller's own array
                xv = private_copy(xv)
            for tape in now.tapes:
                tape._record(prim, (x,), (xv,), out, _NO_PARAMS)
            if now.accumulators:
                _push(now, prim, (x,), (xv,), out, _NO_PARAMS)
            return out

        return op

    if n_arrays == 2 and not statics and prim.saving_forward is None:  # matmul: as unary ops

        def op(x, y, /):
            if isinstance(x, Tensor):
                xv = x._value
            else:
                xv = x if type(x) in ARRAY_TYPES else raw(x)
            if isinstance(y, Tensor):
                yv = y._value
            else:
                yv = y if type(y) in ARRAY_TYPES else raw(y)
            if type(xv) is not type(yv):
                xv, yv = same_library((xv, yv), prim.name)  # NumPy scalars pass
            value = forward(xv, yv)
            now = per_thread.context
            mode = now.mode
            if mode == RAW:
                return value
            out = new_object(Tensor)
            out._value = value
            out._uid = next_uid()
            if mode == PLAIN:
                return out
            if type(x) in ARRAY_TYPES or type(y) in ARRAY_TYPES:  # the caller's own arrays
                xv, yv = _kept((x, y), (xv, yv))
            for tape in now.tapes:
                tape._record(prim, (x, y), (xv, yv), out, _NO_PARAMS)
            if now.accumulators:
                _push(now, prim, (x, y), (xv, yv), out, _NO_PARAMS)
            return out

        return op

    if n_arrays == 1 and statics:  # one array and static parameters: reshape, sum, astype ...
        first_static = statics[0]

        def op(x, /, *statics, **params):
            if statics:
                if len(statics) == 1 and not params:  # reshape(g, shape): the common call
                    params = {first_static: statics[0]}
                else:
                    _, params = _statics_by_position(prim, (x, *statics), params)
            if isinstance(x, Tensor):
                xv = x._value
            else:
                xv = x if type(x) in ARRAY_TYPES else raw(x)
            now = per_thread.context
            mode = now.mode
            if mode == PLAIN:
                return wrap(forward(xv, **params))
            if mode == RAW:
                return forward(xv, **params)
            return _traced(prim, (x,), (xv,), params)

        return op

    def op(*args, **params):
        if n_arrays is not None and len(args) > n_arrays:
            args, params = _statics_by_position(prim, args, params)
        vals = [
            a._value if isinstance(a, Tensor) else a if type(a) in ARRAY_TYPES else raw(a)
            for a in args
        ]
        if len(vals) > 1:
            kind = type(vals[0])
            for v in vals:
                if type(v) is not kind:
                    vals = same_library(vals, prim.name)
                    break
        mode = per_thread.context.mode
        if mode == PLAIN:
            return wrap(forward(*vals, **params))
        if mode == RAW:
            return forward(*vals, **params)
        return _traced(prim, args, vals, params)

    return op


def _shape_error(prim, x, y):
    """A ValueError naming both shapes when they do not broadcast (None if they do)."""
    x_shape, y_shape = tuple(getattr(x, "shape", ())), tuple(getattr(y, "shape", ()))
    try:
        _np.broadcast_shapes(x_shape, y_shape)
    except ValueError:
        return ValueError(
            f"{prim.name}: shapes {x_shape} and {y_shape} do not broadcast together (each "
            "axis, counted from the end, must be equal or 1): reshape or expand one operand"
        )
    return None


def _statics_by_position(prim, args, params):
    extra = args[prim.n_arrays :]
    if len(extra) > len(prim.statics):
        raise TypeError(
            f"{prim.name}() takes {prim.n_arrays + len(prim.statics)} arguments; "
            f"{len(args)} were given"
        )
    for name, value in zip(prim.statics, extra):
        if name in params:
            raise TypeError(f"{prim.name}() got multiple values for argument '{name}'")
        params[name] = value
    return args[: prim.n_arrays], params


_NO_PARAMS: dict = {}  # shared and never written: rules receive static parameters by keyword


def _traced(prim: Primitive, args, vals, params):
    """Compute, then show the call to every active tape and forward accumulator."""
    if prim.saving_forward is not None:  # the saved values travel with the call's parameters
        value, saved = prim.saving_forward(*vals, **params)
        params = {**params, "saved": saved}
    else:
        value = prim.forward(*vals, **params)
    out = wrap(value)
    if prim.defaults:
        params = {**prim.defaults, **params}
    for a in args:
        if type(a) in ARRAY_TYPES:
            vals = _kept(args, vals)
            break
    now = per_thread.context
    for tape in now.tapes:
        tape._record(prim, args, vals, out, params)
    if now.accumulators:
        _push(now, prim, args, vals, out, params)
    return out


def _kept(args, vals) -> tuple:
    """``vals`` with the caller's own arrays (the arguments that are not tensors) copied, for a
    tape or accumulator that records the call and so keeps them: TensorFlow and JAX convert
    their inputs, so a later write into the caller's array (a reused index or weight buffer)
    must not change a gradient. Tensors' values are never written in place while saved."""
    return tuple(v if isinstance(a, Tensor) else private_copy(v) for a, v in zip(args, vals))


def private_copy(value):
    """A copy of a mutable array (NumPy, CuPy, array_api_strict) that a tape is to keep;
    anything else as it is (Python and NumPy scalars, Dask arrays: nothing writes into them)."""
    if type(value) is _np.ndarray:  # a read-only view may still see writes into its base
        return value.copy() if value.flags.writeable or value.base is not None else value
    if type(value) not in ARRAY_TYPES or isinstance(value, _np.generic):
        return value
    from ._backend import backend_name, xp_of

    if backend_name(value) == "dask":
        return value
    return xp_of(value).asarray(value, copy=True)


def _push(now, prim, args, vals, out, params):
    # outermost first: an inner accumulator's rule may use ``out``, whose outer tangent must
    # already exist
    for accumulator in now.accumulators:
        accumulator._push(prim, args, vals, out, params)
