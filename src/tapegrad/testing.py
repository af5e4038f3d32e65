"""``check_grads``: compare tapegrad's derivatives with numerical ones, to any order.

Derivatives are compared along random directions: for random ``v`` (inputs) and ``u`` (output),
reverse mode gives ``<vjp(u), v>``, forward mode ``<u, jvp(v)>``, and both must equal the
numerical derivative of ``eps -> <u, f(x + eps v)>`` at 0 (central differences with Richardson
extrapolation, in the inputs' precision). Order 2 repeats the check on the functions
``x -> <vjp_x(u), v>`` and ``x -> <u, jvp_x(v)>``, so rules are checked as functions too:
reverse-over-reverse, forward-over-reverse, reverse-over-forward and forward-over-forward.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import numerical
from ._dtypes import kind_of
from ._forward import ForwardAccumulator
from ._tape import GradientTape
from ._tensor import Tensor
from .ops import conj, constant, multiply, real, sum

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
    modes: Sequence[str] = ("fwd", "rev"),
    *,
    seed: int = 0,
    rtol: float | None = None,
    atol: float | None = None,
) -> None:
    """Raise AssertionError, showing both values, where a derivative of ``f`` at ``args``
    disagrees with its numerical value. Only floating-point arguments are differentiated.

    >>> import tapegrad as tg
    >>> import numpy as np
    >>> tg.testing.check_grads(tg.sin, [np.array([0.5, 1.0])], order=2)
    """
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"modes must hold 'fwd' and/or 'rev', not {mode!r}")
    args = tuple(_as_tensor(a) for a in args)
    rng = np.random.default_rng(seed)
    _check(f, args, order, tuple(modes), rng, rtol, atol, "f")


def _as_tensor(value):
    return value if isinstance(value, Tensor) else constant(np.asarray(value))


def _check(f, args, order, modes, rng, rtol, atol, name) -> None:
    wrt = [i for i, a in enumerate(args) if kind_of(a.dtype) in "fc"]
    if not wrt:
        raise ValueError(f"check_grads: {name} has no floating-point argument to differentiate")
    out = f(*args)
    v = [_random_like(rng, args[i]) for i in wrt]
    u = _random_like(rng, out)
    rt, at = _tolerances(args, out, rtol, atol)
    expected = _numerical(f, args, wrt, v, u)
    for mode in modes:
        derivative = _directional(f, args, wrt, v, u, mode)
        if not abs(derivative - expected) <= at + rt * abs(expected):
            difference, allowed = abs(derivative - expected), at + rt * abs(expected)
            raise AssertionError(
                f"check_grads: the {mode} derivative of {name} along a random direction is "
                f"{derivative!r}, but the numerical derivative is {expected!r} "
                f"(difference {difference:.3g}, allowed {allowed:.3g})"
            )
        if order > 1:
            inner = _as_function(f, wrt, v, u, mode)
            _check(inner, args, order - 1, modes, rng, rtol, atol, f"{mode}({name})")


def _tolerances(args, out, rtol, atol):
    dtypes = [a.dtype for a in args if kind_of(a.dtype) in "fc"] + [out.dtype]
    worst = max(dtypes, key=lambda d: TOLERANCES.get(d, (1.0, 1.0))[0])
    default = TOLERANCES.get(worst, (1e-1, 1e-1))
    return (default[0] if rtol is None else rtol, default[1] if atol is None else atol)


def _random_like(rng, tensor):
    shape = tensor.shape
    values = rng.standard_normal(shape)
    if kind_of(tensor.dtype) == "c":
        values = values + 1j * rng.standard_normal(shape)
    return constant(np.asarray(values, dtype=tensor.dtype))


def _inner(u, y):
    """Real inner product <u, y> = Re(sum(conj(u) * y)), as a scalar tensor."""
    return real(sum(multiply(u if kind_of(u.dtype) != "c" else conj(u), y)))


def _numerical(f, args, wrt, v, u) -> float:
    base = [a.numpy() for a in args]

    def along(eps):
        moved = list(args)
        for i, d in zip(wrt, v):
            moved[i] = constant(base[i] + eps * d.numpy())
        return float(_inner(u, f(*moved)))

    return float(numerical.derivative(along, 0.0, richardson=True))


def _directional(f, args, wrt, v, u, mode) -> float:
    return float(_as_function(f, wrt, v, u, mode)(*args))


def _as_function(f, wrt, v, u, mode):
    """``x -> <vjp_x(u), v>`` (rev) or ``x -> <u, jvp_x(v)>`` (fwd), itself differentiable."""

    def reverse(*xs):
        with GradientTape() as tape:
            for i in wrt:
                tape.watch(xs[i])
            y = f(*xs)
        grads = tape.gradient(y, [xs[i] for i in wrt], output_gradients=u)
        real_dtype = np.result_type(*[np.finfo(d.dtype).dtype for d in v])  # <.,.> is real
        total = constant(np.zeros((), dtype=real_dtype))
        for g, d in zip(grads, v):
            if g is not None:
                total = total + _inner(g, d)
        return total

    def forward(*xs):
        with ForwardAccumulator([xs[i] for i in wrt], v) as acc:
            y = f(*xs)
        t = acc.jvp(y)
        if t is None:
            return multiply(real(sum(y)), 0.0)
        return _inner(u, t)

    return reverse if mode == "rev" else forward
