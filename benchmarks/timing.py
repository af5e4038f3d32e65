"""Timing with ``time.perf_counter``: calibrated loops per repeat, interleaved repeats, medians."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

MIN_REPEAT_TIME = 0.02  # seconds: each repeat runs enough loops to last at least this long
REPEATS = 7


@dataclass
class Timing:
    """Seconds per call: the median over repeats, with the spread and the loops per repeat."""

    median: float
    best: float
    worst: float
    loops: int
    repeats: int


def _run(fn: Callable[[], object], loops: int) -> float:
    start = perf_counter()
    for _ in range(loops):
        fn()
    return perf_counter() - start


def calibrate(fn: Callable[[], object], min_time: float = MIN_REPEAT_TIME) -> int:
    """The number of calls that makes one repeat last at least ``min_time``."""
    loops = 1
    while True:
        elapsed = _run(fn, loops)
        if elapsed >= min_time:
            return loops
        if elapsed <= 0:
            loops *= 10
            continue
        loops = max(loops * 2, int(loops * min_time / elapsed * 1.2) + 1)


def compare(
    first: Callable[[], object],
    second: Callable[[], object],
    repeats: int = REPEATS,
    min_time: float = MIN_REPEAT_TIME,
) -> tuple[Timing, Timing]:
    """Time two functions with interleaved repeats, so drift in the machine hits both alike."""
    loops = (calibrate(first, min_time), calibrate(second, min_time))
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, n, out in zip((first, second), loops, samples, strict=True):
            out.append(_run(fn, n) / n)
    return tuple(  # type: ignore[return-value]
        Timing(statistics.median(s), min(s), max(s), n, repeats)
        for s, n in zip(samples, loops, strict=True)
    )


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
