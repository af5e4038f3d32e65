"""Function transforms over the tape and the forward accumulator, in JAX's style.

``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``linearize``, ``jacobian`` (``jacrev``),
``jacfwd``, ``hessian`` and ``hvp`` take functions of arrays, or of nested lists, tuples and dicts
of arrays, and return arrays, never None: an argument the output does not depend on gets zeros,
as in JAX (the tape keeps TensorFlow's None). Jacobians send every basis vector through one
vectorized pass: a leading batch axis on the cotangents (reverse) or tangents (forward).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._backend import device_of, xp_of
from ._checks import flag, function
from ._dtypes import kind_of
from ._forward import ForwardAccumulator, checked_tangent
from ._structure import check_same_structure, flatten
from ._tape import GradientTape
from ._tensor import Tensor, Variable, wrap, wrap_with_uid
from .ops import conj, constant, identity, ones_like, permute_dims, reshape, zeros_like
from .ops._helpers import mark_basis

__all__ = [
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linearize",
    "value_and_grad",
    "vjp",
]


# -- arguments -----------------------------------------------------------------------------------
class _Inputs:
    """The differentiated arguments of one call: their leaves as tensors, and how to rebuild
    the call's arguments and a result per argument from new leaves."""

    def __init__(self, args, kwargs, argnums, argnames):
        self.args, self.kwargs = list(args), dict(kwargs)
        self.argnums, self.argnames = argnums, argnames
        self.leaves: list[Tensor] = []
        self.parts = []  # (where, count, rebuild)
        seen = set()
        for where in [("pos", i) for i in argnums] + [("kw", n) for n in argnames]:
            value = self._get(where)
            place = ("pos", where[1] % len(self.args)) if where[0] == "pos" else where
            if place in seen:  # the second copy would replace the first, which then got zeros
                raise ValueError(
                    f"argnums {tuple(argnums)} names argument {place[1]} twice: give each "
                    "position once (a negative number counts from the end)"
                    if place[0] == "pos"
                    else f"argnames {tuple(argnames)} names '{place[1]}' twice: give each once"
                )
            seen.add(place)
            leaves, rebuild = flatten(value)
            tensors = [_as_input(leaf, where, self.leaves) for leaf in leaves]
            self._set(where, rebuild(tensors))
            self.parts.append((where, len(tensors), rebuild))
            self.leaves.extend(tensors)
        # what to differentiate with respect to: the leaves as f received them. f may write
        # into a leaf (x *= 3, x[0] = 5), which gives that object the written value and a new
        # uid; these stand-ins keep the uid of the argument as passed, as JAX's tracers do.
        # A Variable stays itself (its assign is a Variable's, as outside a transform).
        self.sources: list[Tensor] = [
            leaf if isinstance(leaf, Variable) else wrap_with_uid(leaf._value, leaf._uid)
            for leaf in self.leaves
        ]

    def _get(self, where):
        kind, key = where
        if kind == "pos":
            if not -len(self.args) <= key < len(self.args):
                raise ValueError(
                    f"argnums {key} is out of range for a call with {len(self.args)} "
                    "positional arguments"
                )
            return self.args[key]
        if key not in self.kwargs:
            raise ValueError(
                f"argnames names '{key}', but the call has no keyword argument of that name; "
                f"it has {sorted(self.kwargs)}"
            )
        return self.kwargs[key]

    def _set(self, where, value):
        kind, key = where
        if kind == "pos":
            self.args[key] = value
        else:
            self.kwargs[key] = value

    def call(self, f):
        return f(*self.args, **self.kwargs)

    def per_argument(self, values: list):
        """Split a flat list (one value per leaf) back into the arguments' structures."""
        positional, named, at = [], {}, 0
        for (kind, key), count, rebuild in self.parts:
            value = rebuild(values[at : at + count])
            at += count
            if kind == "pos":
                positional.append(value)
            else:
                named[key] = value
        return positional, named

    def shaped(self, positional, named, single: bool):
        """JAX's form: one value for an int ``argnums``, a tuple for a sequence; with
        ``argnames``, a dict of them (alone when no positional argument was asked for)."""
        result = positional[0] if single else tuple(positional)
        if not self.argnames:
            return result
        return named if not self.argnums else (result, named)


def _as_input(leaf, where, earlier: list):
    if isinstance(leaf, Variable) and not any(leaf is e for e in earlier):
        tensor = leaf  # f may use it as a Variable (assign, name), as it was given
    elif isinstance(leaf, Tensor):
        # a tensor of its own for each differentiated position: the same tensor passed twice,
        # or also closed over by f, is then differentiated per position, as in JAX; recorded
        # (identity), so tapes and accumulators outside the transform still see the path
        tensor = identity(leaf)
    else:
        try:
            tensor = constant(leaf)
        except TypeError:
            raise TypeError(
                f"argument {where[1]!r} holds {type(leaf).__name__} {leaf!r}, which cannot be "
                "differentiated: pass arrays, numbers, or lists, tuples and dicts of them"
            ) from None
    if kind_of(tensor.dtype) not in "fc":
        raise TypeError(
            f"argument {where[1]!r} has dtype {tensor.dtype}: only floating-point and complex "
            f"inputs are differentiable; pass floats (e.g. {float(1)}) or cast with tg.astype"
        )
    return tensor


def _argnums(argnums, argnames):
    names = () if argnames is None else ((argnames,) if isinstance(argnames, str) else argnames)
    if argnums is None:
        argnums = () if names else 0
    single = isinstance(argnums, int)
    return ((argnums,) if single else tuple(argnums)), tuple(names), single


def check_callable(f, name: str) -> None:
    function(
        f,
        f"{name} takes a function to differentiate",
        f": pass the function itself ({name}(f), not {name}(f(x)))",
    )


# -- reverse mode --------------------------------------------------------------------------------
def value_and_grad(
    f: Callable,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
    holomorphic: bool = False,
) -> Callable:
    """A function returning ``(f(*args), gradient)``; see ``grad``.

    >>> import tapegrad as tg
    >>> value, g = tg.value_and_grad(lambda x: x ** 3)(2.0)
    >>> float(value), float(g)
    (8.0, 12.0)
    """
    check_callable(f, "value_and_grad")
    flag(has_aux, "value_and_grad: has_aux")
    flag(holomorphic, "value_and_grad: holomorphic")
    nums, names, single = _argnums(argnums, argnames)

    def value_and_gradient(*args, **kwargs):
        inputs = _Inputs(args, kwargs, nums, names)
        if holomorphic:
            _check_complex(inputs.leaves, "inputs", "grad")
        with GradientTape() as tape:
            tape.watch(inputs.leaves)
            out = inputs.call(f)
        value, aux = _split_aux(out, has_aux)
        _check_scalar(value, "grad")
        _check_output_kind([value], "grad", holomorphic)
        grads = tape.gradient(value, inputs.sources, unconnected_gradients="zero")
        if holomorphic:  # the tape's convention gives conj(f'(z)) for a holomorphic f
            grads = [conj(g) for g in grads]
        result = inputs.shaped(*inputs.per_argument(grads), single)
        return ((value, aux), result) if has_aux else (value, result)

    return value_and_gradient


def grad(
    f: Callable,
    argnums: int | Sequence[int] | None = None,
    has_aux: bool = False,
    *,
    argnames: str | Sequence[str] | None = None,
    holomorphic: bool = False,
) -> Callable:
    """The gradient of a scalar function with respect to argument(s) ``argnums`` (0 by default)
    and keyword argument(s) ``argnames``; arguments may be nested lists, tuples and dicts.

    With ``has_aux=True``, ``f`` returns ``(value, aux)`` and the result is ``(grad, aux)``.
    With ``argnames``, the result holds a dict from name to gradient (alone when ``argnums`` is
    not given, else after the positional gradients).

    The output must be real. For complex inputs the gradient follows TensorFlow's convention,
    ``df/dx + i df/dy`` (the direction of steepest ascent; JAX gives its conjugate). With
    ``holomorphic=True``, inputs and output must be complex and the result is ``f'(z)``.

    >>> import tapegrad as tg
    >>> float(tg.grad(tg.sin)(0.0))
    1.0
    >>> tg.grad(lambda p: p["w"] * 3.0)({"w": 2.0})["w"].numpy()
    array(3., dtype=float32)
    >>> float(tg.grad(lambda x, *, scale: scale * x * x, argnames="scale")(3.0, scale=1.0)["scale"])
    9.0
    """
    check_callable(f, "grad")
    flag(has_aux, "grad: has_aux")
    flag(holomorphic, "grad: holomorphic")
    value_and_gradient = value_and_grad(
        f, argnums, has_aux, argnames=argnames, holomorphic=holomorphic
    )

    def gradient(*args, **kwargs):
        value, result = value_and_gradient(*args, **kwargs)
        return (result, value[1]) if has_aux else result

    return gradient


def _split_aux(out, has_aux):
    if not has_aux:
        return out, None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(
            "with has_aux=True the function must return a pair (output, aux); it returned "
            f"{type(out).__name__}"
        )
    return out[0], out[1]


def _check_scalar(value, what):
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{what} needs a function that returns a tensor; it returned {type(value).__name__}"
        )
    if value.shape != ():
        raise TypeError(
            f"{what} needs a function with a scalar output, but it returned shape {value.shape}: "
            "use tg.jacobian for the full derivative, or tg.vjp for a vector-Jacobian product"
        )


def _check_output_kind(outputs, what, holomorphic):
    """JAX's rule: a reverse-mode derivative needs real outputs, or complex ones with
    ``holomorphic=True``; an integer output has no derivative."""
    for y in outputs:
        kind = kind_of(y.dtype)
        if kind not in "fc":
            raise TypeError(
                f"{what} needs a function with floating-point outputs, but it returned {y.dtype}: "
                "an integer or boolean output has no derivative; compute it in floating point "
                "(tg.astype(x, tg.float32))"
            )
        if kind == "c" and not holomorphic:
            raise TypeError(
                f"{what} needs a function with real outputs, but it returned {y.dtype}: for a "
                "holomorphic function pass holomorphic=True (the result is then f'(z)); "
                "otherwise differentiate a real value, such as tg.real(y) or tg.abs(y) ** 2"
                + ("; for real inputs, tg.jacfwd gives the Jacobian" if what == "jacobian" else "")
            )
        if kind != "c" and holomorphic:
            raise TypeError(
                f"{what}(holomorphic=True) needs complex outputs, but the function returned "
                f"{y.dtype}"
            )


def _check_complex(leaves, what, transform):
    for leaf in leaves:
        if kind_of(leaf.dtype) != "c":
            raise TypeError(
                f"{transform}(holomorphic=True) needs complex {what}, but got {leaf.dtype}: "
                "cast with tg.astype(x, tg.complex128)"
            )


def _check_real_inputs(leaves, transform):
    """JAX's rule for forward-mode Jacobians: a complex input's one basis direction (the real
    one) would give only half of the derivative of a non-holomorphic function."""
    for leaf in leaves:
        if kind_of(leaf.dtype) == "c":
            raise TypeError(
                f"{transform} needs real inputs, but got {leaf.dtype}: for a holomorphic "
                "function pass holomorphic=True (the result is then f'(z)); otherwise pass the "
                "real and imaginary parts as separate real inputs"
            )


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` returns a tuple with one cotangent per
    primal (zeros where unconnected) and may be called many times.

    >>> import tapegrad as tg
    >>> out, vjp_fn = tg.vjp(lambda x, y: x * y, 2.0, 5.0)
    >>> [float(g) for g in vjp_fn(1.0)]
    [5.0, 2.0]
    """
    check_callable(f, "vjp")
    flag(has_aux, "vjp: has_aux")
    inputs = _Inputs(primals, {}, tuple(range(len(primals))), ())
    tape = GradientTape(persistent=True)
    with tape:
        tape.watch(inputs.leaves)
        out = inputs.call(f)
    value, aux = _split_aux(out, has_aux)
    out_leaves, _ = flatten(value)

    def vjp_fn(cotangent):
        check_same_structure(cotangent, value, "cotangents", "output")
        cotangents, _ = flatten(cotangent)
        grads = tape.gradient(
            out_leaves, inputs.sources, output_gradients=cotangents, unconnected_gradients="zero"
        )
        return tuple(inputs.per_argument(grads)[0])

    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jacobian(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    *,
    holomorphic: bool = False,
) -> Callable:
    """The Jacobian by reverse mode: for an output of shape ``S`` and an input of shape ``T``,
    an array of shape ``S + T``, from one vectorized backward pass per output array.

    Outputs must be real (complex inputs follow ``grad``'s convention), as in JAX; with
    ``holomorphic=True``, inputs and outputs are complex and the result is ``f'(z)``.

    >>> import tapegrad as tg
    >>> tg.jacobian(lambda x: x * x)(tg.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    check_callable(f, "jacobian")
    flag(has_aux, "jacobian: has_aux")
    flag(holomorphic, "jacobian: holomorphic")
    nums, _, single = _argnums(argnums, None)

    def jacobian_of(*args, **kwargs):
        inputs = _Inputs(args, kwargs, nums, ())
        if holomorphic:
            _check_complex(inputs.leaves, "inputs", "jacobian")
        with GradientTape(persistent=True) as tape:
            tape.watch(inputs.leaves)
            out = inputs.call(f)
        value, aux = _split_aux(out, has_aux)
        out_leaves, rebuild_out = flatten(value)
        _check_output_kind(out_leaves, "jacobian", holomorphic)
        per_output = []
        for y in out_leaves:
            rows = tape.jacobian(y, inputs.sources, unconnected_gradients="zero")
            if holomorphic:  # conj(f'(z)) by the tape's convention
                rows = [conj(r) for r in rows]
            per_output.append(inputs.shaped(*inputs.per_argument(rows), single))
        result = rebuild_out(per_output)
        return (result, aux) if has_aux else result

    return jacobian_of


jacrev = jacobian


# -- forward mode ----------------------------------------------------------------------------------
def jvp(f: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False):
    """``(f(*primals), tangent_out)``: the Jacobian of ``f`` applied to ``tangents``.

    >>> import tapegrad as tg
    >>> out, t = tg.jvp(lambda x: x ** 3, (2.0,), (1.0,))
    >>> float(out), float(t)
    (8.0, 12.0)
    """
    check_callable(f, "jvp")
    flag(has_aux, "jvp: has_aux")
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp got {len(primals)} primals and {len(tangents)} tangents: give one tangent per "
            "primal, with the same structure"
        )
    check_same_structure(tangents, primals, "tangents", "primals")
    inputs = _Inputs(primals, {}, tuple(range(len(primals))), ())
    tangent_leaves, _ = flatten(tangents)
    with ForwardAccumulator(inputs.leaves, tangent_leaves) as accumulator:
        out = inputs.call(f)
    value, aux = _split_aux(out, has_aux)
    out_leaves, rebuild = flatten(value)
    tangent_out = rebuild([accumulator.jvp(y, unconnected_gradients="zero") for y in out_leaves])
    return (value, tangent_out, aux) if has_aux else (value, tangent_out)


def linearize(f: Callable, *primals):
    """``(f(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is the JVP at ``primals``.

    ``f`` runs once. ``f_jvp`` is the linear map at that point: it transposes the recorded
    backward pass of ``f`` (which is linear in its cotangents), so it neither runs ``f`` again
    nor sees later changes to the variables ``f`` read.

    >>> import tapegrad as tg
    >>> out, f_jvp = tg.linearize(tg.exp, 0.0)
    >>> float(f_jvp(2.0))
    2.0
    """
    check_callable(f, "linearize")
    inputs = _Inputs(primals, {}, tuple(range(len(primals))), ())
    # the backward pass of f, recorded as a function of its cotangents ("seeds"): a linear map
    # u -> J^T u, whose own gradient at t is J t
    with GradientTape(persistent=True, watch_accessed_variables=False) as transpose:
        with GradientTape() as tape:
            tape.watch(inputs.leaves)
            out = inputs.call(f)
        out_leaves, rebuild = flatten(out)
        # seeds for the floating-point outputs (an integer output's tangent is zero, as jvp
        # gives it); ones, not zeros: the map is linear, and at a zero cotangent the guards
        # that keep zeros exact would choose their zero branch, hiding an infinite derivative
        moving = [y for y in out_leaves if kind_of(y.dtype) in "fc"]
        seeds = [ones_like(y) for y in moving]
        transpose.watch(seeds)
        cotangents = tape.gradient(
            moving, inputs.sources, output_gradients=seeds, unconnected_gradients="zero"
        )

    def f_jvp(*tangents):
        check_same_structure(tangents, primals, "tangents", "primals")
        tangent_leaves, _ = flatten(tangents)
        given = [checked_tangent(t, leaf) for t, leaf in zip(tangent_leaves, inputs.sources)]
        pushed = iter(
            transpose.gradient(
                cotangents, seeds, output_gradients=given, unconnected_gradients="zero"
            )
        )
        return rebuild(
            [next(pushed) if kind_of(y.dtype) in "fc" else zeros_like(y) for y in out_leaves]
        )

    return out, f_jvp


def jacfwd(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    *,
    holomorphic: bool = False,
) -> Callable:
    """The Jacobian by forward mode, of shape ``output.shape + input.shape``: all basis
    tangents go through one pass, on a leading batch axis.

    Inputs must be real (outputs may be complex), as in JAX; with ``holomorphic=True``, inputs
    and outputs are complex and the result is ``f'(z)``.

    >>> import tapegrad as tg
    >>> tg.jacfwd(lambda x: x * x)(tg.constant([1.0, 2.0])).numpy()
    array([[2., 0.],
           [0., 4.]], dtype=float32)
    """
    check_callable(f, "jacfwd")
    flag(has_aux, "jacfwd: has_aux")
    flag(holomorphic, "jacfwd: holomorphic")
    nums, _, single = _argnums(argnums, None)

    def jacobian_of(*args, **kwargs):
        inputs = _Inputs(args, kwargs, nums, ())
        if holomorphic:
            _check_complex(inputs.leaves, "inputs", "jacfwd")
        else:
            _check_real_inputs(inputs.leaves, "jacfwd")
        sizes = [leaf.size for leaf in inputs.leaves]
        basis = _basis_tangents(inputs.leaves, sizes)
        with ForwardAccumulator(inputs.leaves, basis, _batched=True) as accumulator:
            out = inputs.call(f)
        value, aux = _split_aux(out, has_aux)
        out_leaves, rebuild_out = flatten(value)
        if holomorphic:
            _check_complex(out_leaves, "outputs", "jacfwd")
        per_output = []
        for y in out_leaves:
            t = accumulator.jvp(y)
            blocks = _split_directions(t, y, inputs.leaves, sizes)
            per_output.append(inputs.shaped(*inputs.per_argument(blocks), single))
        result = rebuild_out(per_output)
        return (result, aux) if has_aux else result

    return jacobian_of


def _basis_tangents(leaves, sizes):
    """One tangent per input leaf, of shape ``(N,) + leaf.shape``: together the N = sum(sizes)
    standard basis directions of all inputs."""
    total = sum(sizes)
    tangents, at = [], 0
    for leaf, size in zip(leaves, sizes):
        xp = xp_of(leaf._value)
        value = leaf._value
        eye = xp.eye(total, size, k=-at, dtype=value.dtype, device=device_of(value))
        tangent = xp.reshape(eye, (total,) + leaf.shape)
        if len(leaves) == 1 and leaf.ndim == 1:
            mark_basis(tangent)  # the identity: a matmul JVP that meets it needs no product
        tangents.append(wrap(tangent))
        at += size
    return tangents


def _split_directions(t, y, leaves, sizes):
    """The forward-mode tangent ``(N,) + y.shape`` cut into per-input Jacobian blocks."""
    blocks, at = [], 0
    for leaf, size in zip(leaves, sizes):
        if t is None:
            xp = xp_of(y._value)
            value = y._value
            zeros = xp.zeros(y.shape + leaf.shape, dtype=value.dtype, device=device_of(value))
            blocks.append(wrap(zeros))
        else:
            part = t[at : at + size]
            blocks.append(reshape(_directions_last(part), y.shape + leaf.shape))
        at += size
    return blocks


def _directions_last(t):
    return permute_dims(t, tuple(range(1, t.ndim)) + (0,))


def hessian(
    f: Callable, argnums: int | Sequence[int] = 0, *, holomorphic: bool = False
) -> Callable:
    """The Hessian of a scalar function: forward mode over reverse mode, as in JAX. Inputs must
    be real; with ``holomorphic=True``, complex inputs and output give ``f''(z)``.

    >>> import tapegrad as tg
    >>> tg.hessian(lambda x: tg.sum(x ** 3))(tg.constant([1.0, 2.0])).numpy()
    array([[ 6.,  0.],
           [ 0., 12.]], dtype=float32)
    """
    check_callable(f, "hessian")
    flag(holomorphic, "hessian: holomorphic")
    return jacfwd(jacobian(f, argnums, holomorphic=holomorphic), argnums, holomorphic=holomorphic)


def hvp(f: Callable, primals, tangents):
    """The Hessian-vector product of a scalar function, forward over reverse: with one primal,
    ``hvp(f, x, v)``; with several, tuples of primals and tangents.

    >>> import tapegrad as tg
    >>> float(tg.hvp(lambda x: x ** 3, 2.0, 1.0))
    12.0
    """
    check_callable(f, "hvp")
    several = isinstance(primals, tuple)
    primals = primals if several else (primals,)
    tangents = tangents if several else (tangents,)
    argnums = tuple(range(len(primals)))
    _, t = jvp(grad(f, argnums=argnums), primals, tangents)
    return t if several else t[0]
