"""Why is my gradient None? The answer, from what a tape saw.

A tape notes each operation without a derivative that consumed a watched value (a cut: argmax, a
cast to an integer dtype, a comparison, ``stop_gradient``), with the file and line of the user's
code that called it, and follows the values computed from the cut. From those notes and the
recorded entries, an unconnected source is explained as one of: never watched; not read inside
the tape; read, but the target does not depend on it; or its path to the target is cut.
"""

from __future__ import annotations

import os
import sys

from ._tensor import Variable

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_INSIDE = _PACKAGE_DIR + os.sep  # with the separator: a sibling package tapegrad_x is outside


class UnconnectedGradientError(ValueError):
    """A gradient was requested with ``unconnected_gradients="raise"`` for a source the target
    does not depend on; the message says why, for each such source."""


def caller_location() -> str:
    """``file:line`` of the innermost frame outside tapegrad: the user's code."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_INSIDE):
        frame = frame.f_back
    if frame is None:  # pragma: no cover - tapegrad called from nowhere
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def explain(tape, target_uid: int, source, gradient_is_none: bool = False) -> str:
    """One sentence on how ``source`` reaches the target, or why it does not
    (``gradient_is_none``: a backward pass gave it none, which custom rules decide)."""
    name = _describe(source)
    uid = source._uid
    if uid not in tape._watched:
        return f"{name} {_why_not_watched(tape, source)}"
    if uid == target_uid:
        return f"{name} is the target itself"
    entries = [e for e in tape._entries if e is not None]
    recorded = _reach(uid, [(e[1], e[3]) for e in entries], tape._watched)
    if target_uid in recorded:
        if target_uid in _reach(uid, _derivative_edges(entries), tape._watched):
            return f"{name} is connected: the target depends on it through recorded operations"
        gaps = [e[0] for e in entries if _gap(e, recorded)]
        names = ", ".join(sorted({p.name for p in gaps}))
        if gradient_is_none or not any(_custom(p) for p in gaps):
            return (
                f"{name} reaches the target only through operations whose rules give it no "
                f"gradient: {names} (an input without a derivative, or a custom rule that "
                "returned None for it); make the rule return a gradient for it"
            )
        return (  # a custom rule answers only when asked: it may or may not give one
            f"{name} is connected: the target depends on it through recorded operations, among "
            f"them custom rules ({names}); a gradient of None for it comes from such a rule "
            "returning None"
        )
    edges = [(e[1], e[3]) for e in tape._entries if e is not None]
    edges += [(inputs, out) for _, _, inputs, out in tape._cuts]
    if target_uid in _reach(uid, edges, tape._watched):
        return f"{name} {_why_cut(tape, uid, recorded, edges, target_uid)}"
    if target_uid in _reach(uid, edges, tape._watched, before_watch={uid}):
        return (
            f"{name} reaches the target only through reads made before the tape watched it, "
            "which the tape takes as constants: call tape.watch(x) before x is used"
        )
    unrecorded = _when_unrecorded(tape, target_uid)
    if not any(_uses(inputs, uid) for inputs, _ in edges):
        if unrecorded:  # used, but where nothing records (stop_recording)
            return (
                f"{name} was watched, but the target was computed {unrecorded}, where no "
                "operation is recorded: compute the target while the tape records"
            )
        return (
            f"{name} was watched, but no operation recorded by the tape used it: compute the "
            "target from it inside the tape's `with` block, with tape.watch(x) called before x "
            "is used"
        )
    if unrecorded and not any(out == target_uid for _, out in edges):
        return (
            f"{name} was read inside the tape, but the target was computed {unrecorded}, and "
            "only operations the tape records reach it: compute the target while it records"
        )
    return (
        f"{name} was read inside the tape, but the target does not depend on it: the target "
        "was computed without it (check which value the loss uses)"
    )


def _when_unrecorded(tape, uid: int):
    """When a value of this uid was made while the tape was not recording (uids grow, and the
    tape takes one whenever it stops and starts): words for it, or None."""
    closed = getattr(tape, "_closed_uid", None)
    if closed is not None and not tape._recording and uid > closed:
        return "after the tape's `with` block ended"
    if any(stop < uid < start for stop, start in getattr(tape, "_pauses", ())):
        return "while the tape was not recording (inside stop_recording, or between two blocks)"
    return None


def _describe(source) -> str:
    if isinstance(source, Variable):
        return f"variable '{source.name}'"
    return f"the {source.dtype} tensor of shape {source.shape}"


def _why_not_watched(tape, source) -> str:
    if isinstance(source, Variable):
        if not source.trainable:
            return (
                "is not trainable, so tapes do not watch it: call tape.watch(v), or create it "
                "with trainable=True"
            )
        if not tape._watch_accessed:
            return (
                "was never watched: this tape has watch_accessed_variables=False; call "
                "tape.watch(v) inside the `with` block"
            )
        return (
            "was not read inside the tape: only operations run inside the tape's `with` block "
            "are recorded; compute the target from it there"
        )
    return (
        "was never watched: tapes watch variables automatically but other tensors only after "
        "tape.watch(x), called before x is used"
    )


def _why_cut(tape, uid, recorded, edges, target_uid) -> str:
    ancestors = _ancestors(target_uid, edges)
    reached = _reach(uid, edges, tape._watched)
    cuts = [
        (name, where)
        for name, where, inputs, out in tape._cuts
        if name is not None and out in ancestors and any(_uses(inputs, u) for u in reached)
    ]
    described = "; ".join(f"{name} at {where}" for name, where in cuts) or "an operation"
    return (
        f"reaches the target only through an operation without a derivative, which cuts the "
        f"gradient: {described}. Remove it from the path (for a cast, keep a floating-point "
        "dtype; for stop_gradient, that is its purpose)"
    )


def _uses(inputs, uid) -> bool:
    return any(u and abs(u) == uid for u in inputs)


def _reach(start: int, edges, watched: set, before_watch: set = frozenset()) -> set:
    """Uids computed (through ``edges``) from ``start``. Cut edges were noted apart from the
    entries, so the two lists interleave: passes repeat until nothing is added. A negated uid
    is a read of an unwatched value: a value computed from a cut, which is followed, or a read
    made before ``tape.watch`` (its uid among the watched now), which the tape took as a
    constant and is followed only when it is in ``before_watch``."""
    reached = {start}
    grew = True
    while grew:
        grew = False
        for inputs, out in edges:
            if out not in reached and any(
                u and abs(u) in reached and (u > 0 or -u not in watched or -u in before_watch)
                for u in inputs
            ):
                reached.add(out)
                grew = True
    return reached


def _custom(prim) -> bool:
    """A custom operation (custom_gradient, custom_vjp ...): its rule may answer None."""
    return prim.replay is not None


def _has_rule(prim, k: int) -> bool:
    vjps = prim.vjps
    return vjps is not None and k < len(vjps) and vjps[k] is not None and not _custom(prim)


def _derivative_edges(entries) -> list:
    """The recorded edges through inputs whose rules surely give a gradient."""
    return [([u if _has_rule(e[0], k) else 0 for k, u in enumerate(e[1])], e[3]) for e in entries]


def _gap(entry, reached) -> bool:
    """Whether an entry reads a reached value through an input whose rule may give none."""
    prim, uids = entry[0], entry[1]
    return any(u > 0 and u in reached and not _has_rule(prim, k) for k, u in enumerate(uids))


def _ancestors(target: int, edges) -> set:
    """Uids the target was computed from (through ``edges``), passes repeated as in _reach."""
    found = {target}
    grew = True
    while grew:
        grew = False
        for inputs, out in reversed(edges):
            if out in found:
                new = {abs(u) for u in inputs if u} - found
                if new:
                    found |= new
                    grew = True
    return found
