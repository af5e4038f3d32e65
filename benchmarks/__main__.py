"""``python -m benchmarks [name ...]``: time tapegrad against the NumPy floors and print a table.

Names pick workloads (``python -m benchmarks --list`` lists them); none runs all. Rows without a
target are for information.
``--check`` exits with status 1 when a workload misses its target.
"""

from __future__ import annotations

import argparse
import sys
from time import perf_counter

from . import machine, memory, timing
from .suite import CASES

NAMES = [case.name for case in CASES] + ["memory", "recompute"]
WIDTH = max(len(name) for name in NAMES)
COLUMNS = (
    f"{'workload':<{WIDTH}} {'tapegrad':>10} {'floor':>10} {'ratio':>8} {'target':>8}  "
    f"{'result':<6} {'best-of ratio':>13}"
)


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time tapegrad against hand-written NumPy floors, back to back.",
    )
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of: {' '.join(NAMES)}")
    parser.add_argument("--repeats", type=int, default=timing.REPEATS, help="repeats (median)")
    parser.add_argument(
        "--min-time",
        type=float,
        default=timing.MIN_REPEAT_TIME,
        help="seconds each repeat lasts at least (loops are calibrated to it)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="limit BLAS to N threads (steadier small-matrix timings on a busy machine)",
    )
    parser.add_argument(
        "--cold-allocator",
        action="store_true",
        help="skip the allocator warm-up (see machine.warm_allocator): timings then include "
        "the page faults of memory the allocator returns to the system between calls",
    )
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        parser.error(f"unknown workload {' '.join(unknown)}; choose from {' '.join(NAMES)}")
    return args


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def _target(case) -> str:
    return "-" if case.target is None else f"<= {case.target:g}x"


def _memory_report() -> bool:
    """Print the memory benchmark; True when it meets its target."""
    try:
        result = memory.measure()
    except Exception as exc:  # reported like a broken workload
        print(f"{'memory':<{WIDTH}} FAILED  {type(exc).__name__}: {exc}")
        return False
    ok = result.added <= memory.TARGET
    print(
        f"memory: chain of {memory.STEPS} steps on {memory.SIZE:,} float64 "
        f"(1 array = {result.array_bytes / 1e6:.2f} MB), tracemalloc, in arrays"
    )
    print(f"  tapegrad forward peak (recording)        {result.forward_peak:8.2f}")
    print(f"  tapegrad held when tape.gradient starts  {result.held:8.2f}")
    print(f"  tapegrad backward peak (tape.gradient)   {result.backward_peak:8.2f}")
    print(f"  NumPy floor peak (forward and backward)  {result.floor_peak:8.2f}")
    print(
        f"  backward adds {result.added:+.2f} arrays to the forward's peak "
        f"(target <= {memory.TARGET:g})  {_verdict(ok)}"
    )
    return ok


def _mb(nbytes: int) -> str:
    return f"{nbytes / 1e6:8.2f}"


def _recompute_report() -> bool:
    """Print the recompute_grad memory benchmark; True when it meets its target."""
    try:
        result = memory.measure_recompute()
    except Exception as exc:  # reported like a broken workload
        print(f"{'recompute':<{WIDTH}} FAILED  {type(exc).__name__}: {exc}")
        return False
    # the target is on the memory the gradient computation needs beyond the weights and the
    # gradients it returns (which equal the weights in size, whatever the method): the
    # activations the tape keeps for the backward pass
    ok = result.held_ratio >= memory.RECOMPUTE_TARGET
    plain, recomputed = result.plain, result.recompute
    print(
        f"recompute: {memory.DENSE_LAYERS} tanh Dense layers of width {memory.DENSE_WIDTH}, "
        f"batch {memory.DENSE_BATCH}, float32, gradient for every weight and bias; "
        f"tracemalloc, MB above the weights' own {result.weight_bytes / 1e6:.2f} MB"
    )
    print(f"  {'':<40} {'plain':>8} {'recompute_grad':>15}")
    print(f"  {'':<40} {'':>8} {f'(blocks of {memory.DENSE_BLOCK})':>15}")
    rows = (
        ("forward peak (recording)", plain.forward_peak, recomputed.forward_peak),
        ("held when tape.gradient starts", plain.held, recomputed.held),
        ("peak, forward + tape.gradient", plain.peak, recomputed.peak),
    )
    for label, a, b in rows:
        print(f"  {label:<40} {_mb(a)} {_mb(b):>15}")
    print(
        f"  the gradients returned take {result.weight_bytes / 1e6:.2f} MB of each full peak, "
        f"which therefore falls only {result.ratio:.2f}x"
    )
    print(
        f"  activation memory the tape holds for the backward pass falls {result.held_ratio:.1f}x "
        f"with recompute_grad (target >= {memory.RECOMPUTE_TARGET:g}x)  {_verdict(ok)}"
    )
    return ok


def main(argv=None) -> int:
    args = _parse(argv)
    if args.list:
        for case in CASES:
            print(f"{case.name:<{WIDTH}} {_target(case):<12} {case.summary}")
        print(
            f"{'memory':<{WIDTH}} {'<= ' + format(memory.TARGET, 'g') + ' arrays':<12} "
            "what the chain's backward pass adds to its forward pass's peak memory"
        )
        print(
            f"{'recompute':<{WIDTH}} {'>= ' + format(memory.RECOMPUTE_TARGET, 'g') + 'x':<12} "
            "how many times recompute_grad lowers the peak memory of a 100-layer gradient"
        )
        return 0
    chosen = set(args.names or NAMES)

    import numpy as np

    import tapegrad

    start = perf_counter()
    if args.blas_threads is not None and not machine.set_blas_threads(args.blas_threads):
        print(f"warning: could not limit BLAS to {args.blas_threads} threads", file=sys.stderr)
    print("tapegrad benchmarks: autodiff time / hand-written NumPy floor time, same process")
    for line in machine.header():
        print(line)
    if args.cold_allocator:
        print("memory  : cold allocator: freed memory may be returned to the system between calls")
    else:
        print(machine.warm_allocator())
    print(f"tapegrad: {tapegrad.__version__}")
    print(
        f"timing  : time.perf_counter, median of {args.repeats} interleaved repeats, "
        f"each >= {args.min_time * 1e3:g} ms"
    )
    print()

    missed = []
    cases = [case for case in CASES if case.name in chosen]
    if cases:
        print(COLUMNS)
    notes: dict[str, list[str]] = {}  # note -> the workloads it applies to
    for case in cases:
        threads = case.blas_threads if args.blas_threads is None else None
        with machine.blas_threads_limited(threads) as limited:
            try:
                tg_fn, floor_fn = case.prepare()  # checks that both compute the same numbers
            except Exception as exc:  # a broken workload is reported, and the others still run
                missed.append(case.name)
                print(f"{case.name:<{WIDTH}} FAILED  {type(exc).__name__}: {exc}", flush=True)
                continue
            tg_time, floor_time = timing.compare(tg_fn, floor_fn, args.repeats, args.min_time)
        note = case.note
        if threads is not None and not limited:
            note = f"could not limit BLAS to {threads} thread(s); default used"
        if note:
            notes.setdefault(note, []).append(case.name)
        ratio = tg_time.median / floor_time.median
        ok = case.target is None or ratio <= case.target
        if not ok:
            missed.append(case.name)
        print(
            f"{case.name:<{WIDTH}} {timing.format_seconds(tg_time.median):>10} "
            f"{timing.format_seconds(floor_time.median):>10} {ratio:>7.2f}x "
            f"{_target(case):>8}  {'info' if case.target is None else _verdict(ok):<6}"
            f" {tg_time.best / floor_time.best:>12.2f}x",
            flush=True,
        )
    if cases:
        print()
        print(
            "tapegrad, floor: seconds per call, median of the repeats; ratio = tapegrad / floor "
            "(medians); best-of ratio = fastest repeat / fastest repeat; rows without a target "
            "are for information."
        )
        for case in cases:
            print(f"  {case.name:<{WIDTH}} {case.summary}")
        for note, names in notes.items():
            print(f"note: {', '.join(names)}: {note}")

    if "memory" in chosen:
        print()
        if not _memory_report():
            missed.append("memory")

    if "recompute" in chosen:
        print()
        if not _recompute_report():
            missed.append("recompute")

    print()
    print(f"numpy {np.__version__}; total time {perf_counter() - start:.1f} s")
    if missed:
        print(f"missed targets: {' '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
