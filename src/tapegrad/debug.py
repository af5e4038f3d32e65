"""Debugging help: ``check_numerics`` finds the first operation that makes a NaN or an Inf."""

from __future__ import annotations

import sys

from ._backend import xp_of
from ._dtypes import kind_of
from ._explain import caller_location
from ._state import context

__all__ = ["check_numerics"]


class check_numerics:
    """Inside this block, the first operation whose forward or backward result holds NaN or Inf
    raises FloatingPointError, naming the operation, its input shapes and the file and line of
    the user's code that called it. A gradient rule's operation is also named by the line of the
    forward call it differentiates, where that call was made inside the block. Every operation
    is checked, so this is slower: use it to find a problem, not in production.

    >>> import tapegrad as tg
    >>> with tg.debug.check_numerics():
    ...     tg.log(tg.constant(-1.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FloatingPointError: log produced NaN in its forward result; input shapes [()]; called at ...
    """

    # the user's line of each checked operation, by output uid, so that a rule failing in the
    # backward pass can name the forward call it differentiates; the oldest are dropped past this
    _REMEMBERED = 1 << 16

    def __init__(self) -> None:
        self._called_at: dict[int, str] = {}

    def __enter__(self) -> check_numerics:
        now = context()
        now.accumulators.append(self)  # seen by every operation, as a forward accumulator is
        now.refresh()
        return self

    def __exit__(self, *exc) -> None:
        now = context()
        now.accumulators.remove(self)
        now.refresh()

    def _push(self, prim, args, vals, out, params) -> None:
        value = out._value
        if kind_of(value.dtype) not in "fc":
            return
        xp = xp_of(value)
        here = caller_location()
        if bool(xp.all(xp.isfinite(value))):
            called_at = self._called_at
            called_at[out._uid] = here
            if len(called_at) > self._REMEMBERED:
                del called_at[next(iter(called_at))]
            return
        kind = "NaN" if bool(xp.any(xp.isnan(value))) else "Inf"
        shapes = [tuple(v.shape) if hasattr(v, "shape") else () for v in vals]
        rule = _rule_running()
        if rule is None:
            where = "forward result"
        elif rule[0] == "gradient":
            forward = self._called_at.get(rule[2])
            of = f"{rule[1]}, for its call at {forward}" if forward else rule[1]
            where = f"backward result (in the gradient rule of {of})"
        else:
            where = f"tangent computation (in the forward-mode rule of {rule[1]})"
        raise FloatingPointError(
            f"{prim.name} produced {kind} in its {where}; input shapes {shapes}; called at {here}"
        )


def _rule_running():
    """The derivative rule on the stack, if any: ("gradient", op name, the op's output uid) in a
    backward pass, ("tangent", op name) in forward mode; None for an operation the user called."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_loop" and code.co_filename.endswith("_tape.py"):
            found = frame.f_locals
            return "gradient", found["prim"].name, found["out_uid"]
        if code.co_name == "_push" and code.co_filename.endswith("_forward.py"):
            return "tangent", frame.f_locals["prim"].name
        frame = frame.f_back
    return None
