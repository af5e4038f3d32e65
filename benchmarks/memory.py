"""Peak memory, measured with tracemalloc (NumPy reports its array allocations to it).

``measure``: the chain's backward pass against its forward pass, in units of one chain array.
``measure_recompute``: a stack of tanh Dense layers with and without ``tg.recompute_grad``
around each block of layers, in bytes above the weights' own memory.
"""

from __future__ import annotations

import gc
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


# -- recompute_grad --------------------------------------------------------------------------------
DENSE_LAYERS = 100
DENSE_WIDTH = 512
DENSE_BATCH = 64
DENSE_BLOCK = 10  # layers per recompute_grad block
RECOMPUTE_TARGET = 3.0  # the peak must fall at least this many times with recompute_grad


@dataclass
class Peaks:
    """Bytes traced above the weights (which exist before tracing starts) in one gradient
    computation: forward under the tape, then ``tape.gradient`` for every weight and bias."""

    forward_peak: int  # while the tape records
    held: int  # when tape.gradient starts: what the tape keeps for the backward pass
    peak: int  # forward and tape.gradient together, the gradients returned included


@dataclass
class RecomputeResult:
    weight_bytes: int  # the weights' and biases' own memory (the gradients take as much)
    plain: Peaks
    recompute: Peaks

    @property
    def ratio(self) -> float:
        """How many times the peak falls with recompute_grad."""
        return self.plain.peak / self.recompute.peak

    @property
    def held_ratio(self) -> float:
        return self.plain.held / self.recompute.held


def _dense_peaks(model):
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        tape, loss = model.forward()
        held, forward_peak = tracemalloc.get_traced_memory()
        grads = tape.gradient(loss, model.variables)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return grads, Peaks(forward_peak, held, peak)


def measure_recompute(
    layers: int = DENSE_LAYERS,
    width: int = DENSE_WIDTH,
    batch: int = DENSE_BATCH,
    block: int = DENSE_BLOCK,
) -> RecomputeResult:
    X, weights, biases = floors.dense_data(layers, width, batch)
    plain = workloads.DenseStack(X, weights, biases, block, recompute=False)
    plain_grads, plain_peaks = _dense_peaks(plain)
    del plain
    recomputed = workloads.DenseStack(X, weights, biases, block, recompute=True)
    grads, peaks = _dense_peaks(recomputed)
    for i, (g, expected) in enumerate(zip(grads, plain_grads, strict=True)):
        what = f"dW{i}" if i < layers else f"db{i - layers}"
        check_close("recompute", f"{what} with recompute_grad", g, expected)
    weight_bytes = sum(W.nbytes for W in weights) + sum(b.nbytes for b in biases)
    return RecomputeResult(weight_bytes, plain_peaks, peaks)
