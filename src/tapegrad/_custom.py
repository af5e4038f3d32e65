"""Custom derivative rules and checkpointing: ``custom_gradient`` (TensorFlow's semantics),
``custom_vjp`` and ``custom_jvp`` (JAX's), and ``recompute_grad``.

Each call of a decorated function is recorded as one operation of its own (a ``Primitive`` made
for that call), whose rules call the user's. A reverse rule serves forward mode too, and a
forward rule reverse mode, by transposition: both are linear maps, and the gradient of
``<u, L(v)>`` with respect to ``v`` is ``L^T u``, which a tape computes from ``L`` itself.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
import warnings
import weakref
from collections.abc import Callable

from ._backend import is_array, xp_of
from ._checks import function
from ._dtypes import kind_of
from ._primitive import Primitive, _traced
from ._state import RAW, TRACED, context, plain_mode, suspended
from ._structure import check_same_structure, flatten
from ._tape import GradientTape
from ._tensor import GradientCutWarning, Tensor, Variable, wrap
from .ops import asarray, astype, concat, real, reshape, stack, zeros_like


# -- recording one call as one operation -----------------------------------------------------------
class _JointRules:
    """Per-input VJP rules backed by one function that returns every input's cotangent at once;
    the backward loop asks input by input, so the last answer is kept for the same cotangent."""

    def __init__(self, joint: Callable, n_inputs: int):
        self.joint, self.n_inputs = joint, n_inputs
        self.last_g = self.last_key = self.last = None

    def __getitem__(self, k: int):
        if not 0 <= k < self.n_inputs:
            raise IndexError(k)
        return functools.partial(self._rule, k)

    def __len__(self) -> int:
        return self.n_inputs

    def _rule(self, k, g, ans, *inputs):
        # the answer is kept for the inputs asked in turn about one cotangent; a later backward
        # pass may send the same cotangent under other tapes (or none), which needs its own
        now = context()
        # weak references, not id(): a new tape at a dead tape's address must not match it
        key = (
            now.mode,
            tuple(map(weakref.ref, now.tapes)),
            tuple(map(weakref.ref, now.accumulators)),
        )
        if g is not self.last_g or key != self.last_key:
            self.last_g, self.last_key, self.last = g, key, self.joint(g, *inputs)
        out = self.last[k]
        # a first-order pass works on raw arrays (the user's rule returned a tensor), which
        # libraries without operators that defer to tensors (array_api_strict) need
        if type(out) is Tensor and now.mode == RAW:
            return out._value
        return out


def _record_call(name: str, inputs: list, value, vjp_joint, jvp_rule, replay):
    """Record ``value`` (a Tensor) as the output of one operation on ``inputs`` (Tensors).
    Returns the recorded output tensor (``value`` itself when nothing records). ``replay``
    runs the user's function again on new inputs (for ``tape.hessian``)."""
    if context().mode != TRACED or not inputs:
        return value
    raw_out = value._value
    batched = _per_example(vjp_joint, value.ndim, inputs)
    if jvp_rule is None:  # forward mode by transposing the reverse rule
        jvp_rule = _transpose_vjp_to_jvp(batched, inputs, value)
    prim = Primitive(name, lambda *vals: raw_out, None, jvp_rule, len(inputs), (), {})
    prim.set_vjps(_JointRules(batched, len(inputs)))
    prim.replay = replay
    return _traced(prim, inputs, [t._value for t in inputs], {})


def _per_example(joint: Callable, out_ndim: int, inputs: list) -> Callable:
    """User rules are written for one cotangent; a vectorized Jacobian sends a batch of them on
    leading axes, so the rule runs once per example and the results are stacked. Rules run
    with operations returning tensors, and get a tensor cotangent, as in TensorFlow."""
    # a partial of a module-level function, not a closure that calls itself: that would be a
    # reference cycle holding the rule, its residuals and inputs until the cyclic collector ran
    return functools.partial(_each_example, joint, out_ndim, inputs)


def _each_example(joint: Callable, out_ndim: int, inputs: list, g, *vals):
    with plain_mode():
        g = g if isinstance(g, Tensor) else wrap(g)
        if g.ndim <= out_ndim:
            return joint(g, *vals)
        rows = [_each_example(joint, out_ndim, inputs, g[i], *vals) for i in range(g.shape[0])]
    return [_stack_rows([r[k] for r in rows], x) for k, x in enumerate(inputs)]


def _stack_rows(rows: list, like):
    if all(r is None for r in rows):
        return None
    shape = next(tuple(r.shape) for r in rows if r is not None)
    filled = [
        r if r is not None else _fresh_zeros(like, shape[: len(shape) - like.ndim]) for r in rows
    ]
    return stack(filled)


def _tensor_arguments(args):
    """The arguments' leaves (lists, tuples and dicts flattened, as TensorFlow flattens them),
    the function that rebuilds the arguments from leaves, and the positions of the tensors."""
    flat_args, rebuild_args = flatten(list(args))
    return flat_args, rebuild_args, [i for i, a in enumerate(flat_args) if isinstance(a, Tensor)]


def _substitute(args, positions, new_inputs):
    args = list(args)
    for i, value in zip(positions, new_inputs):
        args[i] = value
    return args


def _pack(values: list, like: list | None = None):
    """Several output tensors (or their tangents: ``like`` the outputs) as one flat tensor (one
    recorded operation has one output), in their promoted dtype; ``_unpack`` casts each part
    back to its own. Integer and bool outputs have no derivative and are left out, so the pack
    never mixes kinds (array_api_strict refuses to) nor rounds an int64 through a float."""
    if len(values) == 1:
        return values[0]
    kept = [v for v, d in zip(values, _differentiable(like or values)) if d]
    return concat([reshape(v, (-1,)) for v in kept])


def _differentiable(outputs: list) -> list:
    """Which outputs are packed: the floating and complex ones (all, where none is)."""
    kinds = [kind_of(o.dtype) in "fc" for o in outputs]
    return kinds if any(kinds) else [True] * len(outputs)


def _outputs_of(recorded, outputs: list) -> list:
    """The recorded operation's output split back into the function's outputs; an integer or
    bool output is the function's own, exact."""
    parts = _unpack(recorded, outputs)
    return [p if d else o for p, o, d in zip(parts, outputs, _differentiable(outputs))]


def _unpack(packed, like: list) -> list:
    """The parts of a pack, one per output of ``like``; zeros for the outputs left out."""
    if len(like) == 1:
        return [packed]
    parts, at, lead = [], 0, _lead(packed)
    for o, packed_here in zip(like, _differentiable(like)):
        if not packed_here:  # no derivative: its cotangent is zero
            parts.append(_fresh_zeros(o, lead))
            continue
        part = reshape(packed[..., at : at + o.size], lead + o.shape)
        if part.dtype != o.dtype:  # a float32 output packed beside a float64 one, say
            if kind_of(part.dtype) == "c" and kind_of(o.dtype) != "c":
                part = real(part)  # a real output's part of a complex pack (or cotangent)
            part = astype(part, o.dtype)
        parts.append(part)
        at += o.size
    return parts


def _lead(packed) -> tuple:
    return tuple(packed.shape[:-1])


def _check_count(what: str, got, expected: int, names: str):
    if len(got) != expected:
        raise ValueError(
            f"{what} returned {len(got)} gradients, but the function has {expected} {names}: "
            "return one gradient (or None) per input, in order"
        )


def _as_tensors(values: list, like: list) -> list:
    """A rule's results as tensors: a Python or NumPy number (``lambda g: 2.0``, as TensorFlow
    and JAX accept) or an array becomes a tensor of its input's (or output's) dtype and
    library."""
    return [
        v
        if v is None or isinstance(v, Tensor)
        else asarray(v, dtype=x.dtype if _floating(x) else None, like=x)
        for v, x in zip(values, like)
    ]


def _owners(args: tuple) -> list:
    """For each flattened leaf of ``args``: (the argument it belongs to, its place in it)."""
    return [(i, k) for i, a in enumerate(args) for k in range(len(flatten(a)[0]))]


def _labels(args: tuple, positions: list, variables: list = ()) -> list:
    """How messages name each recorded input: the argument it belongs to (and its piece, for
    a list, tuple or dict argument), or the variable read. Made only for a message."""
    owners = _owners(args)
    labels = []
    for p in positions:
        i, k = owners[p]
        nested = isinstance(args[i], (list, tuple, dict))
        labels.append(f"argument {i}" + (f" (its leaf {k})" if nested else ""))
    return labels + [f"variable {v.name!r}" for v in variables]


def _check_shapes(what: str, grads, inputs, named: Callable) -> None:
    """``named()`` gives the inputs' labels, when a message needs them."""
    for index, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            continue
        shape = tuple(g.shape) if hasattr(g, "shape") else ()
        if shape != x.shape:  # a rule sees one example at a time: no batch axes to allow
            raise ValueError(
                f"{what} returned a gradient of shape {shape} for {named()[index]} of shape "
                f"{x.shape}: each gradient must have its input's shape"
            )
        dtype = getattr(g, "dtype", None)
        if dtype is not None and kind_of(dtype) == "c" and kind_of(x.dtype) != "c":
            raise TypeError(  # the cast to the input's dtype would drop it silently
                f"{what} returned a complex gradient ({dtype}) for {named()[index]}, which is real "
                f"({x.dtype}): its imaginary part would be lost; return tg.real(...) of it if "
                "that is meant"
            )


class _VariableProbe(GradientTape):
    """A tape that records nothing and only notes which trainable variables were read."""

    def __init__(self):
        super().__init__(watch_accessed_variables=True)

    def _record(self, prim, args, vals, out, params) -> None:
        for a in args:
            if isinstance(a, Variable) and a._trainable and kind_of(a._value.dtype) in "fc":
                self._variables.setdefault(a._uid, a)


def _run_unrecorded(f, args, kwargs):
    """Run ``f`` with every tape and accumulator paused; return its result and the trainable
    variables it read that are not among its arguments (those are inputs already, as in
    TensorFlow, and would otherwise be counted twice)."""
    now = context()
    with suspended(tapes=list(now.tapes), accumulators=list(now.accumulators)):
        return _run_probed(f, args, kwargs)


def _run_probed(f, args, kwargs):
    """Run ``f`` (recorded by whatever records); return its result and the trainable variables
    it read that are not among its arguments."""
    with _VariableProbe() as probe:
        result = f(*args, **kwargs)
    given = flatten(list(args) + list(kwargs.values()))[0]  # keyword tensors pass through
    passed = {id(a) for a in given if isinstance(a, Variable)}
    return result, [v for v in probe.watched_variables() if id(v) not in passed]


def _transpose_vjp_to_jvp(vjp_of: Callable, inputs: list, out_like):
    """A JVP rule from a VJP: J t is the gradient of <vjp(u), t> with respect to u. Tangents
    with a leading batch axis get a batch of cotangents u, one per direction."""

    def jvp_rule(ts, ans, *vals):
        batch = next(tuple(t.shape[: t.ndim - x.ndim]) for t, x in zip(ts, inputs) if t is not None)
        u = _fresh_zeros(out_like, batch)
        with GradientTape() as tape:
            tape.watch(u)
            cotangents = vjp_of(u, *vals)
            total = None
            for c, t in zip(cotangents, ts):
                if c is None or t is None:
                    continue
                term = _inner(c, t)
                total = term if total is None else total + term
        if total is None:
            return u
        return tape.gradient(total, u, unconnected_gradients="zero")

    return jvp_rule


def _floating(x) -> bool:
    return kind_of(x.dtype) in "fc"


def _floating_vjp(tape, target, sources: list, cotangent) -> list:
    """``tape._vjp`` for the floating and complex sources; None for integers and bools, which
    carry no derivative (and cannot be watched)."""
    grads = iter(tape._vjp(target, [s for s in sources if _floating(s)], cotangent))
    return [next(grads) if _floating(s) else None for s in sources]


def _fresh_zeros(like: Tensor, batch: tuple = ()) -> Tensor:
    """A new zero tensor to differentiate with respect to (in any mode, even a raw backward)."""
    xp = xp_of(like._value)
    return wrap(xp.zeros(batch + like.shape, dtype=like._value.dtype))


def _inner(c, t):
    """``Re <c, t>``, whose gradient in the cotangent ``u`` (c = J^H u, as the VJP gives it) is
    ``J t``: the conjugate keeps a complex tangent from coming out as ``J conj(t)``."""
    from .ops import conj, real, sum

    return real(sum((conj(c) if kind_of(c.dtype) == "c" else c) * t))


# -- TensorFlow's custom_gradient ------------------------------------------------------------------
def custom_gradient(f: Callable) -> Callable:
    """Give ``f`` its own gradient, as ``tf.custom_gradient``: ``f(*x)`` returns ``(y, grad_fn)``
    and ``grad_fn(*upstream)`` returns one gradient per input (a single value for one input).
    When ``f`` reads trainable variables, ``grad_fn`` is also called with ``variables=`` (the
    variables read) and returns ``(input_gradients, variable_gradients)``.

    >>> import tapegrad as tg
    >>> @tg.custom_gradient
    ... def clipped_identity(x):
    ...     return tg.identity(x), lambda g: tg.minimum(tg.maximum(g, -1.0), 1.0)
    >>> x = tg.constant(2.0)
    >>> with tg.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = clipped_identity(x) * 10.0
    >>> print(tape.gradient(y, x))
    tg.Tensor(1.0, shape=(), dtype=float32)
    """

    function(f, "custom_gradient decorates a function")

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        # f runs recorded, as TensorFlow's tape keeps watching it: what grad_fn computes from
        # f's intermediates stays a function of the inputs for outer tapes (second derivatives);
        # the output's own path is replaced by the recorded call below
        result, variables = _run_probed(f, args, kwargs)
        name = getattr(f, "__name__", "custom_gradient")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(
                f"{name} must return a pair (output, grad_fn), as tf.custom_gradient's function "
                f"does; it returned {type(result).__name__}: end it with `return y, grad_fn`"
            )
        y, grad_fn = result
        outputs, rebuild = flatten(y)
        _check_outputs(f, outputs)
        flat_args, rebuild_args, positions = _tensor_arguments(args)
        inputs = [flat_args[i] for i in positions]
        recorded_inputs = inputs + variables
        if not callable(grad_fn):
            raise TypeError(f"{name} must return (output, grad_fn); its grad_fn is not callable")
        if variables and not _takes_variables(grad_fn):  # at the call, as TensorFlow checks
            raise TypeError(
                f"{name} reads variables ({', '.join(v.name for v in variables)}), so its grad_fn "
                "must take them: def grad_fn(*upstream, variables=None), returning "
                "(input_gradients, variable_gradients)"
            )

        def joint(g, *vals):
            upstream = _unpack(g, outputs)
            if variables:
                result = grad_fn(*upstream, variables=variables)
                if not isinstance(result, (tuple, list)) or len(result) != 2:
                    raise ValueError(
                        f"the grad_fn of {name} reads variables, so it must return a pair "
                        "(input_gradients, variable_gradients)"
                    )
                grads_x = _of_tensors(_as_list(result[0]), positions, len(flat_args), name)
                grads_v = _as_list(result[1])
                _check_count(f"the grad_fn of {name}", grads_v, len(variables), "variables")
                grads = grads_x + grads_v
            else:
                grads = _of_tensors(_as_list(grad_fn(*upstream)), positions, len(flat_args), name)
            grads = _as_tensors(grads, recorded_inputs)
            named = functools.partial(_labels, args, positions, variables)
            _check_shapes(f"the grad_fn of {name}", grads, recorded_inputs, named)
            return grads

        packed = _pack(outputs)
        out = _record_call(
            name,
            recorded_inputs,
            packed,
            vjp_joint=joint,
            jvp_rule=None,
            replay=lambda *new: _pack(
                flatten(wrapped(*rebuild_args(_substitute(flat_args, positions, new)), **kwargs))[0]
            ),
        )
        if out is packed:
            return y
        return rebuild(_outputs_of(out, outputs))

    return wrapped


def _takes_variables(grad_fn) -> bool:
    try:
        parameters = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):  # a builtin: nothing to tell, so the call will say
        return True
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in parameters)


def _as_list(value) -> list:
    """A grad_fn's gradients as one flat list: nested ones (``(gx, [ga, gb])`` for an argument
    that is a list) flattened as TensorFlow flattens them."""
    return flatten(list(value))[0] if isinstance(value, (tuple, list)) else [value]


def _of_tensors(grads: list, positions: list, n_flat: int, name: str) -> list:
    """The gradients of the tensor arguments: ``grad_fn`` returns one per tensor input, or, as
    TensorFlow counts them, one per flattened argument (None for those that are not tensors)."""
    if len(grads) == n_flat and n_flat != len(positions):
        return [grads[i] for i in positions]
    _check_count(f"the grad_fn of {name}", grads, len(positions), "tensor inputs")
    return grads


def _check_outputs(f, outputs, what="must return tensors (and a grad_fn)"):
    for o in outputs:
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{getattr(f, '__name__', 'the function')} {what}; it returned {type(o).__name__}"
            )


# -- JAX's custom_vjp and custom_jvp ---------------------------------------------------------------
class custom_vjp:
    """A function with a reverse rule of its own, as ``jax.custom_vjp``:
    ``f.defvjp(fwd, bwd)`` where ``fwd(*args)`` returns ``(out, residuals)`` and
    ``bwd(residuals, g)`` returns a tuple with one cotangent per argument. Arguments and outputs
    may be lists, tuples and dicts of tensors: ``g`` then has the output's structure, and each
    cotangent its argument's (or is None, for zeros). The arguments at ``nondiff_argnums`` (a
    number or a function, say) are not differentiated: ``bwd`` gets them first,
    ``bwd(*nondiff_args, residuals, g)``, and returns cotangents for the others only.

    >>> import tapegrad as tg
    >>> @tg.custom_vjp
    ... def f(x):
    ...     return tg.sin(x)
    >>> f.defvjp(lambda x: (tg.sin(x), tg.cos(x)), lambda cos_x, g: (2 * cos_x * g,))
    >>> float(tg.grad(f)(0.0))
    2.0
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple = ()):
        function(fun, "custom_vjp decorates a function")
        functools.update_wrapper(self, fun)
        self.__name__ = _name_of(fun)
        self.fun = fun
        self.nondiff_argnums = _checked_argnums(nondiff_argnums, "custom_vjp")
        self.fwd = self.bwd = None
        self._in_fwd = threading.local()  # fwd may call the function itself, per thread

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(
                f"custom_vjp function {self.__name__} has no rule yet: call "
                f"{self.__name__}.defvjp(fwd, bwd) first"
            )
        depth = getattr(self._in_fwd, "depth", 0)
        now = context()
        # fwd may call the function itself (JAX's fixed-point example). As in JAX, that call is
        # again the function with its rule as seen from the outer levels of differentiation:
        # each active tape or accumulator is one level, so a second derivative runs fwd twice
        # (and the primal once, plainly, at the bottom), a first derivative once
        levels = sum(not isinstance(t, _VariableProbe) for t in now.tapes)  # probes: no level
        if now.mode != TRACED or depth >= levels + len(now.accumulators):
            return self.fun(*args)
        # fwd runs recorded, as in JAX: residuals stay functions of the inputs on outer tapes,
        # so the bwd rule can itself be differentiated (the output's own path is replaced below)
        self._in_fwd.depth = depth + 1
        try:
            result, variables = _run_probed(self.fwd, args, {})
        finally:
            self._in_fwd.depth = depth
        _warn_variables_read(f"custom_vjp function {self.__name__}", variables, "bwd")
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(
                f"the fwd rule of {self.__name__} must return a pair (output, residuals); it "
                f"returned {type(result).__name__}"
            )
        out, residuals = result
        outputs, rebuild_out = flatten(out)  # one tensor, or lists, tuples and dicts of them
        for o in outputs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"the fwd rule of {self.__name__} must return (output, residuals), the output "
                    f"tensors (or lists, tuples and dicts of them); it returned {type(o).__name__}"
                )
        flat_args, rebuild_args, positions = _tensor_arguments(args)
        nondiff = self.nondiff_argnums
        positions = _differentiated(positions, args, nondiff)
        name = self.__name__

        def joint(g, *vals):
            fixed = [args[i] for i in nondiff]
            cotangents = self.bwd(*fixed, residuals, rebuild_out(_unpack(g, outputs)))
            if not isinstance(cotangents, tuple):
                raise TypeError(
                    f"the bwd rule of {name} must return a tuple with one cotangent per "
                    f"argument; it returned {type(cotangents).__name__}"
                )
            expected = len(args) - len(nondiff)
            what = "arguments" if not nondiff else "arguments outside nondiff_argnums"
            _check_count(f"the bwd rule of {name}", cotangents, expected, what)
            given = iter(cotangents)
            cotangents = tuple(None if i in nondiff else next(given) for i in range(len(args)))
            flat = _flat_cotangents(cotangents, args, name)
            inputs = [flat_args[i] for i in positions]
            picked = _as_tensors([flat[i] for i in positions], inputs)
            named = functools.partial(_labels, args, positions)
            _check_shapes(f"the bwd rule of {name}", picked, inputs, named)
            return picked

        packed = _pack(outputs)
        recorded = _record_call(
            name,
            [flat_args[i] for i in positions],
            packed,
            vjp_joint=joint,
            jvp_rule=None,
            replay=lambda *new: _pack(
                flatten(self(*rebuild_args(_substitute(flat_args, positions, new))))[0]
            ),
        )
        if recorded is packed:
            return out
        return rebuild_out(_outputs_of(recorded, outputs))


def _checked_argnums(argnums, transform: str) -> tuple:
    """``nondiff_argnums`` as a tuple of non-negative ints (one int is taken as one)."""
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in numbers:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise TypeError(
                f"{transform}: nondiff_argnums must be non-negative argument positions, such as "
                f"(0,); got {argnums!r}"
            )
    return tuple(sorted(set(numbers)))


def _differentiated(positions: list, args: tuple, nondiff: tuple) -> list:
    """The flat positions of the tensors that belong to arguments outside ``nondiff``."""
    if not nondiff:
        return positions
    owners = _owners(args)
    return [p for p in positions if owners[p][0] not in nondiff]


def _warn_variables_read(what: str, variables: list, rule: str) -> None:
    """JAX's custom rules cannot close over what they differentiate (it raises); here the
    variables read inside get no gradient through the function, which would otherwise be a
    silent zero."""
    if variables:
        names = ", ".join(repr(v.name) for v in variables)
        warnings.warn(
            f"{what} reads trainable variables that are not among its arguments ({names}): no "
            f"gradient reaches them through it, since {rule} gives derivatives for the "
            "arguments only; pass them as arguments",
            GradientCutWarning,
            stacklevel=3,
        )


def _name_of(fun) -> str:
    """A name for messages: a function's own, a partial's function's, else the class's."""
    inner = getattr(fun, "func", None)  # functools.partial
    return getattr(fun, "__name__", None) or getattr(inner, "__name__", None) or type(fun).__name__


def _flat_cotangents(cotangents: tuple, args: tuple, name: str) -> list:
    """The bwd rule's cotangents, one per argument in the argument's structure (None: zero for
    the whole argument, as JAX allows), as one list of leaves in the order of the arguments'."""
    flat = []
    for i, (c, a) in enumerate(zip(cotangents, args)):
        leaves = flatten(a)[0]
        if c is None:
            flat.extend([None] * len(leaves))
            continue
        if isinstance(a, (list, tuple, dict)):
            check_same_structure(
                c, a, f"cotangents of argument {i} from the bwd rule of {name}", "argument"
            )
        flat.extend(flatten(c)[0])
    return flat


class custom_jvp:
    """A function with a forward rule of its own, as ``jax.custom_jvp``:
    ``f.defjvp(rule)`` where ``rule(primals, tangents)`` returns ``(out, tangent_out)``. Reverse
    mode transposes the rule, which must be linear in the tangents. Arguments and outputs may be
    lists, tuples and dicts of tensors; tangents have their structures. The arguments at
    ``nondiff_argnums`` are not differentiated: the rule gets them first,
    ``rule(*nondiff_args, primals, tangents)``, and the others in ``primals`` and ``tangents``.
    ``f.defjvps(jvp_0, jvp_1, ...)`` gives one rule per argument instead, as JAX's.

    >>> import tapegrad as tg
    >>> @tg.custom_jvp
    ... def f(x):
    ...     return tg.exp(x)
    >>> _ = f.defjvp(lambda primals, tangents: (f(primals[0]), 3.0 * tangents[0]))
    >>> float(tg.jvp(f, (0.0,), (1.0,))[1]), float(tg.grad(f)(0.0))
    (3.0, 3.0)
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple = ()):
        function(fun, "custom_jvp decorates a function")
        functools.update_wrapper(self, fun)
        self.__name__ = _name_of(fun)
        self.fun = fun
        self.nondiff_argnums = _checked_argnums(nondiff_argnums, "custom_jvp")
        self.rule = None

    def defjvp(self, rule: Callable) -> Callable:
        self.rule = rule
        return rule

    def defjvps(self, *jvps) -> None:
        """JAX's ``defjvps``: one function per differentiated argument, ``jvp_i(t_i, out,
        *primals)`` giving that argument's part of the output's tangent (None: no part); the
        tangent is their sum."""
        nondiff = self.nondiff_argnums

        def rule(*given):
            *fixed, primals, tangents = given
            fixed, rest = iter(fixed), iter(primals)
            count = len(primals) + len(nondiff)
            args = [next(fixed) if i in nondiff else next(rest) for i in range(count)]
            out = self.fun(*args)
            outputs, rebuild = flatten(out)
            total = None
            for jvp, t in zip(jvps, tangents):
                if jvp is None:
                    continue
                parts = flatten(jvp(t, out, *primals))[0]
                total = parts if total is None else [a + b for a, b in zip(total, parts)]
            return out, rebuild(total if total is not None else [zeros_like(o) for o in outputs])

        self.rule = rule

    def __call__(self, *args):
        if self.rule is None:
            raise TypeError(
                f"custom_jvp function {self.__name__} has no rule yet: call "
                f"{self.__name__}.defjvp(rule) first"
            )
        if context().mode != TRACED:
            return self.fun(*args)
        out, variables = _run_unrecorded(self.fun, args, {})
        _warn_variables_read(f"custom_jvp function {self.__name__}", variables, "the jvp rule")
        outputs, rebuild_out = flatten(out)  # one tensor, or lists, tuples and dicts of them
        _check_outputs(
            self.fun, outputs, "must return tensors (or lists, tuples and dicts of them)"
        )
        flat_args, rebuild_args, positions = _tensor_arguments(args)
        nondiff = self.nondiff_argnums
        positions = _differentiated(positions, args, nondiff)
        inputs = [flat_args[i] for i in positions]
        name = self.__name__

        def one_direction(ts, vals):
            # the rule sees the inputs at their recorded values (a Variable assigned since the
            # call must not move the derivative); a traced pass hands them as tensors under
            # their recorded uids, so outer tapes see the path
            primals = list(flat_args)
            # numbers get zero tangents; other leaves (None, a string) stay as they are, as
            # JAX's tangent of a non-array leaf is no array either
            tangents = [a if isinstance(a, Tensor) else _zero_tangent(a) for a in flat_args]
            for i, t, v in zip(positions, ts, vals):
                primals[i] = v if isinstance(v, Tensor) else wrap(v)
                tangents[i] = zeros_like(flat_args[i]) if t is None else t
            primals, tangents = rebuild_args(primals), rebuild_args(tangents)
            fixed = [primals[i] for i in nondiff]
            primals = tuple(a for i, a in enumerate(primals) if i not in nondiff)
            tangents = tuple(a for i, a in enumerate(tangents) if i not in nondiff)
            with plain_mode():
                result = self.rule(*fixed, primals, tangents)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError(
                    f"the jvp rule of {name} must return (primal_out, tangent_out); it returned "
                    f"{type(result).__name__}"
                )
            check_same_structure(result[1], out, f"tangents from the jvp rule of {name}", "output")
            leaves = _as_tensors(flatten(result[1])[0], outputs)
            for k, (tangent, o) in enumerate(zip(leaves, outputs)):
                if tangent.dtype == o.dtype or not _floating(o):
                    continue
                if kind_of(tangent.dtype) == "c" and kind_of(o.dtype) != "c":
                    raise TypeError(
                        f"the jvp rule of {name} returned a complex tangent ({tangent.dtype}) "
                        f"for a real output ({o.dtype}): return tg.real(...) of it if that is meant"
                    )
                leaves[k] = astype(tangent, o.dtype)  # as reverse mode casts a cotangent
            for tangent, o in zip(leaves, outputs):
                if tuple(getattr(tangent, "shape", ())) != o.shape:
                    raise ValueError(
                        f"the jvp rule of {name} returned a tangent of shape "
                        f"{tuple(getattr(tangent, 'shape', ()))} for an output of shape "
                        f"{o.shape}: the tangent must have the output's shape"
                    )
            return _pack(leaves, like=outputs)

        def tangent_out(ts, ans, *vals):
            batch = next(
                (tuple(t.shape[: t.ndim - x.ndim]) for t, x in zip(ts, inputs) if t is not None),
                (),
            )
            if not batch:
                return one_direction(ts, vals)
            count = math.prod(batch)
            if not count:  # no directions (a Jacobian of an input without elements)
                return _fresh_zeros(packed, batch)
            # one direction at a time, in a loop (a closure calling itself would be a reference
            # cycle holding the call's arrays until the cyclic collector ran)
            flat = [None if t is None else reshape(t, (count, *t.shape[len(batch) :])) for t in ts]
            rows = [
                one_direction([None if t is None else t[i] for t in flat], vals)
                for i in range(count)
            ]
            return reshape(stack(rows), batch + tuple(rows[0].shape))

        packed = _pack(outputs)

        def joint(g, *vals):
            ts = [_fresh_zeros(x) if _floating(x) else None for x in inputs]  # ints: no tangent
            with GradientTape() as tape:
                tape.watch([t for t in ts if t is not None])
                t_out = tangent_out(ts, packed, *vals)
            grads = iter(tape._vjp(t_out, [t for t in ts if t is not None], g))
            return [None if t is None else next(grads) for t in ts]

        recorded = _record_call(
            name,
            inputs,
            packed,
            vjp_joint=joint,
            jvp_rule=tangent_out,
            replay=lambda *new: _pack(
                flatten(self(*rebuild_args(_substitute(flat_args, positions, new))))[0]
            ),
        )
        if recorded is packed:
            return out
        return rebuild_out(_outputs_of(recorded, outputs))


def _zero_tangent(leaf):
    return zeros_like(leaf) if isinstance(leaf, (int, float, complex)) or is_array(leaf) else leaf


# -- checkpointing ---------------------------------------------------------------------------------
def recompute_grad(f: Callable) -> Callable:
    """Checkpointing: ``f``'s intermediate values are not kept; the backward pass runs ``f``
    again to get them. Gradients reach ``f``'s tensor arguments and the variables it reads.

    >>> import tapegrad as tg
    >>> block = tg.recompute_grad(lambda x: tg.tanh(x) * 2.0)
    >>> float(tg.grad(block)(0.0))
    2.0
    """

    function(f, "recompute_grad decorates a function")

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        out, variables = _run_unrecorded(f, args, kwargs)
        outputs, rebuild = flatten(out)  # one tensor, or a list, tuple or dict of them
        _check_outputs(f, outputs, "must return tensors (or lists, tuples and dicts of them)")
        flat_args, rebuild_args, positions = _tensor_arguments(args)
        inputs = [flat_args[i] for i in positions] + variables

        def joint(g, *vals):
            # the tensor arguments at their recorded values (a tensor written after the call,
            # t[i] = v, must not change the gradient); a traced pass hands them under their
            # recorded uids, so outer tapes see the path. Variables are read as they are now,
            # as TensorFlow reads them.
            again_args = [
                a if isinstance(a, Variable) else v if isinstance(v, Tensor) else wrap(v)
                for a, v in zip((flat_args[i] for i in positions), vals)
            ]
            recomputed = again_args + variables
            call_args = rebuild_args(_substitute(flat_args, positions, again_args))
            with GradientTape() as tape:
                tape.watch([x for x in recomputed if _floating(x)])
                again = _pack(flatten(f(*call_args, **kwargs))[0])
            return _floating_vjp(tape, again, recomputed, g)

        packed = _pack(outputs)
        recorded = _record_call(
            getattr(f, "__name__", "recompute_grad"),
            inputs,
            packed,
            vjp_joint=joint,
            jvp_rule=None,
            replay=lambda *new: _pack(
                flatten(wrapped(*rebuild_args(_substitute(flat_args, positions, new)), **kwargs))[0]
            ),
        )
        if recorded is packed:
            return out
        return rebuild(_outputs_of(recorded, outputs))

    return wrapped
