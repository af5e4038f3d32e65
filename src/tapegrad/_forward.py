"""ForwardAccumulator: forward mode, tangents pushed through each operation as it runs.

An accumulator keeps a tangent per uid. When an operation reads a tensor with a tangent, the
op's JVP rule computes the output's tangent, with this accumulator suspended (it must not track
its own bookkeeping, nor may accumulators inside it) while outer accumulators and tapes still see
those operations: that is what makes forward-over-reverse and reverse-over-forward compose in any
order. Accumulators push outermost first, so an inner rule that uses the output sees its outer
tangent.
"""

from __future__ import annotations

from ._backend import is_array, same_library
from ._dtypes import kind_of
from ._state import context, suspended
from ._structure import check_same_structure, flatten
from ._tensor import Tensor, wrap, wrap_with_uid
from .ops import asarray, astype, broadcast_to, conj, convert_to_tensor, reshape, zeros_like
from .ops._helpers import lead
from .ops._strong import is_marked, mark, marks


class ForwardAccumulator:
    """Compute Jacobian-vector products with TensorFlow's semantics.

    >>> import tapegrad as tg
    >>> x = tg.constant(2.0)
    >>> with tg.ForwardAccumulator(x, tg.constant(1.0)) as acc:
    ...     y = x * x * x
    >>> print(acc.jvp(y))
    tg.Tensor(12.0, shape=(), dtype=float32)
    """

    def __init__(self, primals, tangents, *, _batched: bool = False):
        check_same_structure(tangents, primals, "tangents", "primals")
        primal_leaves, _ = flatten(primals)
        tangent_leaves, _ = flatten(tangents)
        self._tangents: dict[int, object] = {}
        # batched: each tangent carries one leading axis of directions (all basis vectors of a
        # forward-mode Jacobian go through one pass); the JVP rules keep such axes in front
        self._batched = _batched
        for primal, tangent in zip(primal_leaves, tangent_leaves):
            self._watch(primal, tangent)
        self._active = False

    def _watch(self, primal, tangent) -> None:
        if not isinstance(primal, Tensor):
            raise TypeError(
                f"ForwardAccumulator primals must be tensors or variables, not "
                f"{type(primal).__name__}: wrap the value in tg.constant(...)"
            )
        if kind_of(primal.dtype) not in "fc":
            raise TypeError(
                f"cannot compute a JVP for a {primal.dtype} primal: only floating-point and "
                "complex tensors are differentiable; cast it with tg.astype(x, tg.float32)"
            )
        if primal._uid in self._tangents:  # TensorFlow's type and advice
            raise ValueError(
                f"the {primal.dtype} tensor of shape {primal.shape} is given as a primal more than "
                "once: give it once, with the sum of its tangents (or pass tg.identity(x) for "
                "another primal of the same value)"
            )
        self._tangents[primal._uid] = checked_tangent(tangent, primal, self._batched)

    def __enter__(self) -> ForwardAccumulator:
        if self._active:
            raise ValueError(  # TensorFlow's type and words
                "Accumulator is already recording: enter each ForwardAccumulator once, or "
                "create a new one for a nested computation"
            )
        self._active = True
        now = context()
        now.accumulators.append(self)
        now.refresh()
        return self

    def __exit__(self, *exc) -> None:
        self._active = False
        now = context()
        now.accumulators.remove(self)
        now.refresh()

    def jvp(self, primals, unconnected_gradients="none"):
        """The tangents of ``primals`` (a tensor or a nested structure), None where unconnected
        (zeros with ``unconnected_gradients="zero"``). Each is a new Tensor: ``t *= 2`` on one
        changes neither the accumulator nor a tangent given to it."""
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"unconnected_gradients must be 'none' or 'zero', not {unconnected_gradients!r}"
            )
        leaves, rebuild = flatten(primals)
        out = []
        for leaf in leaves:
            if not isinstance(leaf, Tensor):
                raise TypeError(f"ForwardAccumulator.jvp takes tensors, not {type(leaf).__name__}")
            tangent = self._tangents.get(leaf._uid)
            if tangent is not None:  # the same array, under its uid (outer tapes recorded it)
                tangent = wrap_with_uid(tangent._value, tangent._uid)
            elif unconnected_gradients == "zero":
                tangent = zeros_like(leaf)
            out.append(tangent)
        return rebuild(out)

    def _push(self, prim, args, vals, out, params) -> None:
        tangents = self._tangents
        ts = [tangents.get(a._uid) if isinstance(a, Tensor) else None for a in args]
        if all(t is None for t in ts):
            return
        if prim.jvp is None or prim.vjps is None or kind_of(out._value.dtype) not in "fc":
            return  # the path is cut here (no derivative, or an integer result)
        inputs = [
            wrap_with_uid(v, a._uid) if isinstance(a, Tensor) else v for a, v in zip(args, vals)
        ]
        # this accumulator and those inside it do not see the tangent computation; outer ones do
        active = context().accumulators
        inner = active[active.index(self) :]
        with suspended(accumulators=inner):
            if prim.jvp == "elementwise":
                tangent = _elementwise(prim, ts, out, inputs, params)
            else:
                tangent = prim.jvp(ts, out, *inputs, **params)
        tangents[out._uid] = tangent


def _elementwise(prim, ts, ans, inputs, params):
    """The JVP of an op with a diagonal derivative, from its VJP rules: for a VJP rule
    ``g * conj(f'(x))``, ``conj(rule(conj(t)))`` is ``f'(x) * t``."""
    total, batch = None, ()
    for rule, t, x in zip(prim.vjps, ts, inputs):
        if t is None or rule is None:
            continue
        batch = lead(t, x)
        if x.ndim < ans.ndim and batch:  # keep the batch axes in front of the broadcast ones
            shaped = reshape(t, batch + (1,) * (ans.ndim - x.ndim) + tuple(x.shape))
            if marks and is_marked(t):  # a singular rule's infinite tangent stays announced
                mark(shaped)
            t = shaped
        complex_ = kind_of(t.dtype) == "c" or kind_of(ans.dtype) == "c"
        term = rule(conj(t) if complex_ else t, ans, *inputs, **params)
        term = conj(term) if complex_ else term
        total = term if total is None else total + term
    full = batch + tuple(ans.shape)
    if tuple(total.shape) != full:
        total = broadcast_to(total, full)
    if total.dtype != ans.dtype:  # a tangent of a narrower input: the output's precision
        total = astype(total, ans.dtype)
    return total


def checked_tangent(tangent, primal, batched: bool = False):
    """``tangent`` as a tensor of its primal's library, shape (after a leading axis of directions
    when ``batched``) and dtype. Python values join the primal's library; an array of another
    library is refused, as mixing libraries in an operation is. The result is never the
    caller's object (a Variable is read, as TensorFlow reads it; a Tensor gets a new object
    under its uid), so changing the caller's tensor in place later leaves it as it was."""
    given = tangent
    if isinstance(tangent, Tensor) or is_array(tangent):
        value = tangent._value if isinstance(tangent, Tensor) else tangent
        _, joined = same_library((primal._value, value), "ForwardAccumulator")
        tangent = convert_to_tensor(tangent, None) if joined is value else wrap(joined)
    else:
        tangent = asarray(tangent, like=primal)
    if (tangent.shape[1:] if batched else tangent.shape) != primal.shape:
        raise ValueError(
            f"the tangent of shape {tangent.shape} does not match its primal of shape "
            f"{primal.shape}"
        )
    if tangent._value.dtype != primal._value.dtype:
        if kind_of(tangent.dtype) == "c" and kind_of(primal.dtype) != "c":
            raise TypeError(
                f"a complex tangent ({tangent.dtype}) for a real primal ({primal.dtype}) "
                "would lose its imaginary part: give a real tangent, or make the primal "
                "complex (tg.astype(x, tg.complex128))"
            )
        tangent = astype(tangent, primal.dtype)
    if tangent is given:
        tangent = wrap_with_uid(tangent._value, tangent._uid)
    return tangent
