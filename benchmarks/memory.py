"""Peak memory of the chain's backward pass against its forward pass, measured with tracemalloc
(NumPy reports its array allocations to it). Sizes are in units of one chain array."""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass

import numpy as np

from . import floors, workloads
from .suite import check_close

SIZE = 100_000  # float64 elements per array: the arrays dominate everything else
STEPS = 200
TARGET = 2.0  # arrays the backward pass may add to the forward pass's peak


@dataclass
class MemoryResult:
    array_bytes: int
    forward_peak: float  # arrays, while the tape records
    held: float  # arrays held when tape.gradient starts
    backward_peak: float  # arrays, during tape.gradient
    floor_peak: float  # arrays, the NumPy floor's forward and backward together

    @property
    def added(self) -> float:
        """What the backward pass adds to the forward pass's peak, in arrays."""
        return self.backward_peak - self.forward_peak


def _tapegrad(x0: np.ndarray, steps: int):
    import tapegrad as tg

    x = tg.constant(x0)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        tape, total = workloads.chain_tape(x, steps)
        held, forward_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        grad = tape.gradient(total, x)
        backward_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return grad, forward_peak, held, backward_peak


def _floor(x0: np.ndarray, steps: int):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        grad = floors.chain(x0, steps)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return grad, peak


def measure(size: int = SIZE, steps: int = STEPS) -> MemoryResult:
    x0 = np.random.default_rng(1).standard_normal(size)
    grad, forward_peak, held, backward_peak = _tapegrad(x0, steps)
    floor_grad, floor_peak = _floor(x0, steps)
    check_close("memory", "gradient", grad, floor_grad)
    unit = x0.nbytes
    return MemoryResult(
        unit, forward_peak / unit, held / unit, backward_peak / unit, floor_peak / unit
    )
