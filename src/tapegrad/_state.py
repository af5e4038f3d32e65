"""Per-thread record of what is active: recording tapes, forward accumulators, raw mode.

Every operation reads the mode first, so it is kept as one small int that is recomputed whenever
the stacks change. A tape never records another thread's operations.

Each thread has one ``Context`` object, found through a ``threading.local``. Reading an
attribute of a ``threading.local`` costs several times what reading a plain attribute does, so
the hot paths read the context once (``per_thread.context``) and then its plain slots.
"""

from __future__ import annotations

import threading

PLAIN = 0  # nothing active: operations compute and wrap their result
TRACED = 1  # a tape records or an accumulator pushes tangents
RAW = 2  # a backward pass with nothing to record: rules get and return raw arrays


class Context:
    """What is active in one thread."""

    __slots__ = ("tapes", "accumulators", "raw_depth", "mode")

    def __init__(self) -> None:
        self.tapes: list = []
        self.accumulators: list = []
        self.raw_depth = 0
        self.mode = PLAIN

    def refresh(self) -> None:
        if self.tapes or self.accumulators:
            self.mode = TRACED
        else:
            self.mode = RAW if self.raw_depth else PLAIN


class _PerThread(threading.local):
    def __init__(self) -> None:
        self.context = Context()


per_thread = _PerThread()


def context() -> Context:
    """This thread's context."""
    return per_thread.context


class raw_mode:
    """Context in which operations take and return backend arrays, for a backward pass that
    nothing records. Entering a tape inside it switches back to traced mode."""

    def __enter__(self):
        now = per_thread.context
        now.raw_depth += 1
        now.refresh()

    def __exit__(self, *exc):
        now = per_thread.context
        now.raw_depth -= 1
        now.refresh()


class suspended:
    """Run with the given tapes and accumulators removed from the active stacks (restored in
    their original order afterwards), e.g. while an accumulator computes its own tangents."""

    def __init__(self, tapes=(), accumulators=()):
        self.tapes, self.accumulators = tapes, accumulators

    def __enter__(self):
        now = per_thread.context
        self.saved = now.tapes, now.accumulators
        now.tapes = [t for t in now.tapes if t not in self.tapes]
        now.accumulators = [a for a in now.accumulators if a not in self.accumulators]
        now.refresh()

    def __exit__(self, *exc):
        now = per_thread.context
        now.tapes, now.accumulators = self.saved
        now.refresh()


class plain_mode:
    """Run user code (a custom rule) with operations returning tensors, even inside a backward
    pass that nothing records."""

    def __enter__(self):
        now = per_thread.context
        self.saved = now.raw_depth
        now.raw_depth = 0
        now.refresh()

    def __exit__(self, *exc):
        now = per_thread.context
        now.raw_depth = self.saved
        now.refresh()
