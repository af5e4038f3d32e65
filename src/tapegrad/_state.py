"""Per-thread record of what is active: recording tapes, forward accumulators, raw mode.

Every operation reads ``state.mode`` first, so it is kept as one small int that is recomputed
whenever the stacks change. A tape never records another thread's operations.
"""

from __future__ import annotations

import threading

PLAIN = 0  # nothing active: operations compute and wrap their result
TRACED = 1  # a tape records or an accumulator pushes tangents
RAW = 2  # a backward pass with nothing to record: rules get and return raw arrays


class _State(threading.local):
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


state = _State()


class raw_mode:
    """Context in which operations take and return backend arrays, for a backward pass that
    nothing records. Entering a tape inside it switches back to traced mode."""

    def __enter__(self):
        state.raw_depth += 1
        state.refresh()

    def __exit__(self, *exc):
        state.raw_depth -= 1
        state.refresh()


class suspended:
    """Run with the given tapes and accumulators removed from the active stacks (restored in
    their original order afterwards), e.g. while an accumulator computes its own tangents."""

    def __init__(self, tapes=(), accumulators=()):
        self.tapes, self.accumulators = tapes, accumulators

    def __enter__(self):
        self.saved = state.tapes, state.accumulators
        state.tapes = [t for t in state.tapes if t not in self.tapes]
        state.accumulators = [a for a in state.accumulators if a not in self.accumulators]
        state.refresh()

    def __exit__(self, *exc):
        state.tapes, state.accumulators = self.saved
        state.refresh()


class plain_mode:
    """Run user code (a custom rule) with operations returning tensors, even inside a backward
    pass that nothing records."""

    def __enter__(self):
        self.saved = state.raw_depth
        state.raw_depth = 0
        state.refresh()

    def __exit__(self, *exc):
        state.raw_depth = self.saved
        state.refresh()
