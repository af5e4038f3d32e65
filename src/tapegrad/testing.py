"""``check_grads``: compare tapegrad's derivatives with numerical ones, to any order.

Derivatives are compared along random directions: for random ``v`` (inputs) and ``u`` (output),
reverse mode gives ``<vjp(u), v>``, forward mode ``<u, jvp(v)>``, and both must equal the
numerical derivative of ``eps -> <u, f(x + eps v)>`` at 0 (central differences with Richardson
extrapolation, steps chosen as in ``tg.numerical``). Order 2 repeats the check on the functions
``x -> <vjp_x(u), v>`` and ``x -> <u, jvp_x(v)>``, so rules are checked as functions too:
reverse-over-reverse, forward-over-reverse, reverse-over-forward and forward-over-forward.
Arguments and outputs may be nested lists, tuples and dicts of arrays, as in JAX's
``check_grads``; ``x``, ``v`` and ``u`` then stand for all their floating-point leaves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from . import numerical
from ._backend import in_library_of, is_array
from ._dtypes import kind_of
from ._forward import ForwardAccumulator
from ._structure import flatten
from ._tape import GradientTape
from ._tensor import Tensor
from .ops import asarray, conj, constant, multiply, real, sum

# Tolerances per dtype, written down once: (rtol, atol) on the directional derivatives.
TOLERANCES = {
    np.dtype("float64"): (1e-6, 1e-7),
    np.dtype("complex128"): (1e-6, 1e-7),
    np.dtype("float32"): (2e-2, 2e-3),
    np.dtype("complex64"): (2e-2, 2e-3),
    np.dtype("float16"): (1e-1, 1e-1),
}


def check_grads(
    f: Callable,
    args: Sequence,
    order: int = 2,
    modes: str | Sequence[str] = ("fwd", "rev"),
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    """Raise AssertionError, showing both values, where a derivative of ``f`` at ``args``
    disagrees with its numerical value. Only floating-point arguments are differentiated.

    ``args`` holds f's arguments: arrays, tensors, numbers, or nested lists, tuples and dicts
    of them; f may return such a structure too. ``modes`` names the modes to check, as in JAX:
    ``"fwd"``, ``"rev"``, or a tuple or list of them.

    >>> import tapegrad as tg
    >>> import numpy as np
    >>> tg.testing.check_grads(tg.sin, [np.array([0.5, 1.0])], order=2)
    >>> tg.testing.check_grads(lambda p: p["w"] * p["b"], [{"w": 2.0, "b": 3.0}], modes="rev")
    """
    modes = _modes(modes)
    _checked_options(order, rtol, atol)
    leaves, rebuild = flatten(list(args))

    def flat(*xs):
        return flatten(f(*rebuild(list(xs))))[0]

    rng = np.random.default_rng(seed)
    # Python numbers join the library of the first array among the arguments (CuPy's ...)
    arrays = [v._value if isinstance(v, Tensor) else v for v in leaves]
    like = next((v for v in arrays if is_array(v)), None)
    xs = tuple(_as_tensor(leaf, like) for leaf in leaves)
    _check(flat, xs, order, modes, rng, rtol, atol, "f")


def _modes(modes) -> tuple[str, ...]:
    if isinstance(modes, str):
        # JAX tests `"rev" in modes`, so a string names every mode it contains ("fwd,rev" both).
        named = tuple(mode for mode in ("fwd", "rev") if mode in modes)
        if not named:
            raise ValueError(f"modes must name 'fwd' and/or 'rev', got {modes!r}")
        return named
    modes = tuple(modes)
    if not modes:  # nothing would be checked, and the check would pass
        raise ValueError("modes must name 'fwd' and/or 'rev', got an empty sequence")
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"modes must hold 'fwd' and/or 'rev', not {mode!r}")
    return modes


def _checked_options(order, rtol, atol) -> None:
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
        raise ValueError(
            f"order must be a positive integer (1 for first derivatives), not {order!r}"
        )
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value is not None and not (isinstance(value, int | float | np.number) and value >= 0):
            raise ValueError(f"{name} must be a non-negative number or None, not {value!r}")


def _as_tensor(value, like=None):
    if value is None or isinstance(value, Tensor):  # None: an empty place in a structure
        return value
    if is_array(value):  # arrays keep their library
        return constant(value)
    value = np.asarray(value)
    return constant(value if like is None else in_library_of(like, value))


def _floating(values) -> list[int]:
    """Positions of the floating-point tensors: the ones that have derivatives."""
    return [i for i, a in enumerate(values) if a is not None and kind_of(a.dtype) in "fc"]


def _check(f, args, order, modes, rng, rtol, atol, name) -> None:
    """Check f, a function of tensors returning a list of them, and its derivatives."""
    wrt = _floating(args)
    if not wrt:
        raise ValueError(f"check_grads: {name} has no floating-point argument to differentiate")
    outs = [_as_tensor(y) for y in f(*args)]
    at_outs = _floating(outs)
    if not at_outs:
        raise ValueError(f"check_grads: {name} has no floating-point output to differentiate")
    v = [_random_like(rng, args[i]) for i in wrt]
    u = [_random_like(rng, outs[k]) for k in at_outs]
    value = float(_inner_all(u, outs, at_outs))
    if not math.isfinite(value):
        raise ValueError(
            f"check_grads: {name} is not finite at these arguments (<u, {name}> = {value}); "
            "derivatives can only be checked where f is finite: pass arguments inside its domain"
        )
    rt, at = _tolerances([args[i] for i in wrt] + [outs[k] for k in at_outs], rtol, atol)
    expected = _numerical(f, args, wrt, v, u, at_outs)
    if math.isnan(expected):
        raise AssertionError(
            f"check_grads: the numerical derivative of {name} along a random direction could "
            "not be computed at these arguments: f was NaN at every trial step, so each step "
            "left f's domain (or f is not differentiable there). Pass arguments further inside "
            "f's domain, away from its edges and singularities"
        )
    for mode in modes:
        derivative = _directional(f, args, wrt, v, u, at_outs, mode)
        if not abs(derivative - expected) <= at + rt * abs(expected):
            difference, allowed = abs(derivative - expected), at + rt * abs(expected)
            raise AssertionError(
                f"check_grads: the {mode} derivative of {name} along a random direction is "
                f"{derivative!r}, but the numerical derivative is {expected!r} "
                f"(difference {difference:.3g}, allowed {allowed:.3g})"
            )
        if order > 1:
            inner = _as_function(f, wrt, v, u, at_outs, mode)
            _check(
                lambda *xs, inner=inner: [inner(*xs)],
                args,
                order - 1,
                modes,
                rng,
                rtol,
                atol,
                f"{mode}({name})",
            )


def _tolerances(tensors, rtol, atol):
    dtypes = [t.dtype for t in tensors]
    worst = max(dtypes, key=lambda d: TOLERANCES.get(d, (1.0, 1.0))[0])
    default = TOLERANCES.get(worst, (1e-1, 1e-1))
    return (default[0] if rtol is None else rtol, default[1] if atol is None else atol)


def _random_like(rng, tensor):
    shape = tensor.shape
    values = rng.standard_normal(shape)
    if kind_of(tensor.dtype) == "c":
        values = values + 1j * rng.standard_normal(shape)
    # in the tensor's library and on its device, where the analytic derivatives meet it
    return asarray(np.asarray(values, dtype=tensor.dtype), like=tensor)


def _inner(u, y):
    """Real inner product <u, y> = Re(sum(conj(u) * y)), as a scalar tensor."""
    return real(sum(multiply(u if kind_of(u.dtype) != "c" else conj(u), y)))


def _inner_all(u, ys, at_outs):
    """<u, y> summed over the floating-point outputs ``ys[k]``, k in ``at_outs``."""
    total = None
    for u_k, k in zip(u, at_outs):
        term = _inner(u_k, _as_tensor(ys[k]))
        total = term if total is None else total + term
    return total


def _numerical(f, args, wrt, v, u, at_outs) -> float:
    base = [None if a is None else a.numpy() for a in args]
    # tg.numerical tries steps on the length scales 1, sqrt(|t|) and |t| of its point t. The
    # path x + eps v has its own: how far eps goes before an element of x changes by its own
    # size, where log, 1/x or sqrt leave their domain or cross a pole, or tanh(x / 1e-4)
    # changes completely. Differentiating at t = that length (at most 1, the step scale that
    # suits large x) with eps = t - length offers those steps along with unit ones, and the
    # search keeps whichever it trusts most; a step giving NaN is never kept.
    length = _length(base, wrt, v)

    def along(t):
        moved = list(args)
        for i, d in zip(wrt, v):
            moved[i] = asarray(base[i] + (t - length) * d.numpy(), like=args[i])
        return float(_inner_all(u, f(*moved), at_outs))

    return float(numerical.derivative(along, length, richardson=True))


def _length(base, wrt, v) -> float:
    """The least |x| / |v| over the moved elements of x that are not zero, at most 1."""
    length = 1.0
    for i, d in zip(wrt, v):
        size, speed = np.abs(base[i]), np.abs(d.numpy())
        moving = (size > 0) & (speed > 0)
        if np.any(moving):
            length = min(length, float(np.min(size[moving] / speed[moving])))
    return length


def _directional(f, args, wrt, v, u, at_outs, mode) -> float:
    return float(_as_function(f, wrt, v, u, at_outs, mode)(*args))


def _as_function(f, wrt, v, u, at_outs, mode):
    """``x -> <vjp_x(u), v>`` (rev) or ``x -> <u, jvp_x(v)>`` (fwd), itself differentiable."""

    def reverse(*xs):
        with GradientTape() as tape:
            for i in wrt:
                tape.watch(xs[i])
            ys = f(*xs)
            targets = [_as_tensor(ys[k]) for k in at_outs]
        grads = tape.gradient(targets, [xs[i] for i in wrt], output_gradients=u)
        real_dtype = np.result_type(*[np.finfo(d.dtype).dtype for d in v])  # <.,.> is real
        total = constant(np.zeros((), dtype=real_dtype))
        for g, d in zip(grads, v):
            if g is not None:
                total = total + _inner(g, d)
        return total

    def forward(*xs):
        with ForwardAccumulator([xs[i] for i in wrt], v) as acc:
            ys = f(*xs)
        total = None
        for u_k, k in zip(u, at_outs):
            y = _as_tensor(ys[k])
            t = acc.jvp(y)
            # An output that does not depend on x still gives a function of x, of its dtype.
            term = multiply(real(sum(y)), 0.0) if t is None else _inner(u_k, t)
            total = term if total is None else total + term
        return total

    return reverse if mode == "rev" else forward
