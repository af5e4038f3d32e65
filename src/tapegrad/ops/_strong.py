"""Strong zeros: a cotangent that is exactly zero stays exactly zero through a rule.

``where(x > 0, sqrt(x), 0.0)`` differentiates both branches. At ``x = -1`` the unselected branch
``sqrt(x)`` receives a zero cotangent from where's rule, and sqrt's rule multiplies it by
``1 / (2 * sqrt(-1)) = NaN``; IEEE arithmetic makes ``0 * NaN = NaN`` and the gradient is NaN
(the "double where" problem of JAX, TensorFlow and autograd). A zero cotangent means "this output
does not matter": the product with any derivative, finite or not, should be zero, as
ForwardDiff.jl's NaN-safe mode makes it.

Checking every rule's result for NaN would cost a pass over the data in every backward step, so
tapegrad checks only where a NaN from a zero cotangent can arise:

* rules of functions whose derivative is infinite or undefined at some finite input (sqrt, log,
  divide, pow, asin, acos, acosh, atanh, reciprocal, ...) always replace the NaN they produce
  where their cotangent is exactly zero by zero (``singular``);
* where's rule, when the branch it sends zeros into holds inf or NaN, marks that value; a rule
  whose output value is marked does the same replacement and marks its inputs, so the marks
  spread over the computation of that branch, back to where the non-finite values arose
  (``smooth`` and ``linear`` rules). Marks are kept by identity of the backend values, weakly,
  so they live as long as the recorded values do, and gradients never depend on what ran
  before;
* an infinite result of a singular rule (sqrt's cotangent or tangent at 0) is marked too, and
  the rule that receives it sets ``inf * 0`` to 0: a zero derivative wins over an infinite one.
  So the subgradient of ``sqrt(x**2)`` at 0 is 0, as for ``abs``, and in a forward-over-reverse
  Hessian an infinite tangent that meets a zero cotangent gives 0.

A cotangent that is not exactly zero is never changed: ``sum(sqrt(x))`` at ``x = 0`` still has
an infinite gradient. The replacement is written with tapegrad's own ``where``, so derivatives
of every order see it. The rules of the elementwise functions, reductions, statistics, scans,
sorting, shape manipulation and indexing pass marks on; a rule of another family (matmul, linalg)
ends the marking, which the functions in its path then no longer see (the singular rules still
apply).
"""

from __future__ import annotations

import inspect
import sys
import weakref
from collections import deque
from functools import partial

import numpy as np

from .._backend import waits_to_read, xp_of
from .._dtypes import kind_of
from .._tensor import Tensor

_MARKED: dict[int, object] = {}  # id(value) -> a weak reference to the value (or the value)
_HELD: deque = deque()  # ids of values held strongly (NumPy scalars take no weak reference)
_MAX_HELD = 4096  # held scalars before a sweep; the bound grows with those still in use
_held_bound = _MAX_HELD
_add_reduce = np.add.reduce


def _raw(value):
    return value._value if isinstance(value, Tensor) else value


def _forget(key, ref) -> None:
    if _MARKED.get(key) is ref:
        del _MARKED[key]


def mark(value) -> None:
    """Remember ``value`` (a forward value holding inf or NaN) as feeding an unselected branch."""
    v = _raw(value)
    if getattr(v, "dtype", None) is None or kind_of(v.dtype) not in "fc":
        return
    key = id(v)
    if key in _MARKED:
        return
    try:
        _MARKED[key] = weakref.ref(v, partial(_forget, key))
    except TypeError:  # NumPy scalars: held strongly, and forgotten once nothing else holds them
        _MARKED[key] = v
        _HELD.append(key)
        if len(_HELD) > _held_bound:
            _sweep_held()


def _sweep_held() -> None:
    """Forget the held scalars that only this module still holds (the tape that kept them is
    gone), and keep every one still in use however many there are: dropping the oldest mark of
    a value still on a tape made its zero cotangent NaN again (past 4,096 marks, a sum of 3,000
    guarded branches had 952 NaN gradients)."""
    global _held_bound
    counts = getattr(sys, "getrefcount", None)
    if counts is None:  # no reference counts (PyPy): the oldest go, as a bound must hold
        while len(_HELD) > _MAX_HELD:
            _MARKED.pop(_HELD.popleft(), None)
        return
    kept = deque()
    for key in _HELD:
        v = _MARKED.get(key)
        if v is None:
            continue
        if counts(v) > 3:  # more than the dict's, the loop's ``v`` and the call's own
            kept.append(key)
        else:
            del _MARKED[key]
    _HELD.clear()
    _HELD.extend(kept)
    _held_bound = max(_MAX_HELD, 2 * len(kept))


def is_marked(value) -> bool:
    v = _raw(value)
    entry = _MARKED.get(id(v))
    if entry is None:
        return False
    return entry is v or (type(entry) is weakref.ref and entry() is v)


def _total(value):
    v = _raw(value)
    if isinstance(v, (np.ndarray, np.generic)):
        return _add_reduce(v, axis=None)
    if isinstance(v, (int, float, complex)):
        return v
    return xp_of(v).sum(v)


def all_finite(value) -> bool:
    """True when no element is inf or NaN (one reduction; a sum that overflows reads as not
    finite, which only costs the caller a closer look). CuPy and Dask values are taken as
    finite: a check would wait for the GPU or compute the recipe; ``strong`` guards their rules
    unconditionally instead, and where's rule marks their branches without looking."""
    if waits_to_read(_raw(value)):
        return True
    total = _total(value)
    return bool(total - total == 0)


def may_be_infinite(value) -> bool:
    """Whether ``value`` may hold inf or NaN: a readable value is checked; a CuPy or Dask value
    is taken as possibly infinite, so that the mark that keeps a zero derivative exact against
    an infinite one reaches the next rule without reading it (that rule then guards
    unconditionally, as ``strong`` does on these libraries, and marks no further)."""
    v = _raw(value)
    if waits_to_read(v):
        return True
    total = _total(v)
    return not bool(total - total == 0)


def strong(g, out, infinite=False):
    """``out`` (a rule's result for cotangent ``g``) with its NaN set to zero where ``g`` is
    exactly zero (and, with ``infinite``, where ``g`` is infinite: the derivative it meets is
    then zero)."""
    if not waits_to_read(_raw(out)):  # CuPy, Dask: the guard without a check that waits
        total = _total(out)
        if total == total:
            return out
    if not _broadcasts(tuple(getattr(g, "shape", ())), tuple(getattr(out, "shape", ()))):
        return out  # a reduction's rule: which cotangent reached which element is not known
    from .elementwise import equal, isinf, isnan, logical_and, logical_or, where

    zero = equal(g, 0)
    if infinite:
        zero = logical_or(zero, isinf(g))
    return where(logical_and(zero, isnan(out)), 0, out)


def _broadcasts(a: tuple, b: tuple) -> bool:
    return all(m == n or m == 1 or n == 1 for m, n in zip(a[::-1], b[::-1]))


def _mark_inputs(inputs) -> None:
    # all of them, finite or not: a finite value may still come from a non-finite one (a shift
    # that drops a NaN), whose rule would meet that NaN
    for x in inputs:
        mark(x)


# -- rule wrappers ----------------------------------------------------------------------------
def _after_singular(g, ans, inputs, out):
    out = strong(g, out, infinite=bool(_MARKED) and is_marked(g))
    if _MARKED and is_marked(ans):
        _mark_inputs(inputs)
    if may_be_infinite(out):
        mark(out)
    return out


def _after_smooth(g, ans, inputs, out):
    carried = is_marked(g)
    from_ans = is_marked(ans)
    if carried or from_ans:
        out = strong(g, out, infinite=carried)
        if from_ans:
            _mark_inputs(inputs)
        if carried and not all_finite(out):  # on CuPy and Dask the marks stop here
            mark(out)
    return out


def _after_linear(g, ans, inputs, out):
    if is_marked(ans):
        _mark_inputs(inputs)
    if out is not g and is_marked(g):  # an infinite cotangent that a sum spreads stays
        mark(out)  # infinite: the next rule's zero derivative must still win over it
    return out


def guarded(g, ans, inputs, out):
    """``out`` guarded as ``singular`` guards a rule's result (zero wins, an infinite result
    marked): for a rule that is singular for some arguments only (``x ** y`` with ``y < 1``)."""
    return _after_singular(g, ans, inputs, out)


def singular(rule):
    """For a rule whose derivative can be infinite or undefined at a finite input. An infinite
    result (sqrt's cotangent at 0) is marked in turn: where the next rule multiplies it by a
    zero derivative, the product is zero (the subgradient of ``sqrt(x**2)`` at 0 is that of
    ``abs``), and a tangent that meets a zero cotangent in a Hessian stays exact."""
    return _wrap(rule, _after_singular, always=True)


def smooth(rule):
    """For a rule whose derivative is finite wherever its input is: it can only turn a zero
    cotangent into NaN where the values it reads are inf or NaN, which marks announce."""
    return _wrap(rule, _after_smooth, always=False)


def linear(rule):
    """For a rule that maps zero to zero by construction: it only passes marks on."""
    return _wrap(rule, _after_linear, always=False)


def _arity(rule):
    """The number of positional parameters of a rule that has no others, else None."""
    try:
        parameters = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return None
    if any(p.kind is not p.POSITIONAL_OR_KEYWORD or p.default is not p.empty for p in parameters):
        return None
    return len(parameters)


def _quiet():
    """NumPy's floating-point warnings off for a rule's arithmetic (division by zero, inf - inf,
    inf * 0), which the strong-zero guards turn into exact results."""
    return np.errstate(divide="ignore", invalid="ignore")


def _wrap(rule, after, always):
    """``rule`` followed by ``after`` (always, or only while marks exist). The common arities
    get wrappers without argument packing: these run in every backward step."""
    arity = _arity(rule)
    # where infinities are expected (a singular rule, or marks in play) the arithmetic runs
    # quietly: the inf and NaN it makes are the mechanism, cleaned by ``after``, and NumPy's
    # warnings would point at tapegrad's lines (or raise under np.errstate(all="raise"))
    if always:
        if arity == 3:

            def wrapped(g, ans, x):
                with _quiet():
                    return after(g, ans, (x,), rule(g, ans, x))

        elif arity == 4:

            def wrapped(g, ans, x, y):
                with _quiet():
                    return after(g, ans, (x, y), rule(g, ans, x, y))

        else:

            def wrapped(g, ans, *inputs, **params):
                with _quiet():
                    return after(g, ans, inputs, rule(g, ans, *inputs, **params))

    elif arity == 3:

        def wrapped(g, ans, x):
            if _MARKED:
                with _quiet():
                    return after(g, ans, (x,), rule(g, ans, x))
            return rule(g, ans, x)

    elif arity == 4:

        def wrapped(g, ans, x, y):
            if _MARKED:
                with _quiet():
                    return after(g, ans, (x, y), rule(g, ans, x, y))
            return rule(g, ans, x, y)

    else:

        def wrapped(g, ans, *inputs, **params):
            if _MARKED:
                with _quiet():
                    return after(g, ans, inputs, rule(g, ans, *inputs, **params))
            return rule(g, ans, *inputs, **params)

    wrapped.__name__ = getattr(rule, "__name__", "rule")
    wrapped.__wrapped__ = rule
    if not always:  # the engine calls ``rule`` itself while no marks exist (see ``marks``)
        wrapped.unmarked = rule
    return wrapped


# The marks, for the engine: while this is empty, the conditional wrappers change nothing, and the
# backward loop calls the rules they wrap directly.
marks = _MARKED


def rules(kind, *vjps):
    """The VJP rules of one op, each wrapped by ``kind`` (None stays None: no derivative)."""
    wrapped = tuple(None if r is None else kind(r) for r in vjps)
    return wrapped if len(wrapped) > 1 else wrapped[0]
