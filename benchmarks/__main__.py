"""``python -m benchmarks [name ...]``: time tapegrad against the NumPy floors and print a table.

Names pick workloads (``seed_grad seed_sgd chain mlp_small mlp_large memory``); none runs all.
``--check`` exits with status 1 when a workload misses its target.
"""

from __future__ import annotations

import argparse
import sys
from time import perf_counter

from . import machine, memory, timing
from .suite import CASES

NAMES = [case.name for case in CASES] + ["memory"]
COLUMNS = (
    f"{'workload':<11} {'tapegrad':>10} {'floor':>10} {'ratio':>8} {'target':>8}  {'result':<6}"
    f" {'best-of ratio':>13}"
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
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        parser.error(f"unknown workload {' '.join(unknown)}; choose from {' '.join(NAMES)}")
    return args


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def _memory_report() -> bool:
    """Print the memory benchmark; True when it meets its target."""
    try:
        result = memory.measure()
    except Exception as exc:  # reported like a broken workload
        print(f"memory      FAILED  {type(exc).__name__}: {exc}")
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


def main(argv=None) -> int:
    args = _parse(argv)
    if args.list:
        for case in CASES:
            print(f"{case.name:<11} {'<= ' + format(case.target, 'g') + 'x':<12} {case.summary}")
        print(
            f"{'memory':<11} {'<= ' + format(memory.TARGET, 'g') + ' arrays':<12} "
            "what the chain's backward pass adds to its forward pass's peak memory"
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
    notes = []
    for case in cases:
        threads = case.blas_threads if args.blas_threads is None else None
        with machine.blas_threads_limited(threads) as limited:
            try:
                tg_fn, floor_fn = case.prepare()  # checks that both compute the same numbers
            except Exception as exc:  # a broken workload is reported, and the others still run
                missed.append(case.name)
                print(f"{case.name:<11} FAILED  {type(exc).__name__}: {exc}", flush=True)
                continue
            tg_time, floor_time = timing.compare(tg_fn, floor_fn, args.repeats, args.min_time)
        if threads is not None:
            notes.append(
                f"{case.name}: {case.note}"
                if limited
                else f"{case.name}: could not limit BLAS to {threads} thread(s); default used"
            )
        ratio = tg_time.median / floor_time.median
        ok = ratio <= case.target
        if not ok:
            missed.append(case.name)
        print(
            f"{case.name:<11} {timing.format_seconds(tg_time.median):>10} "
            f"{timing.format_seconds(floor_time.median):>10} {ratio:>7.2f}x "
            f"{'<= ' + format(case.target, 'g') + 'x':>8}  {_verdict(ok):<6}"
            f" {tg_time.best / floor_time.best:>12.2f}x",
            flush=True,
        )
    if cases:
        print()
        print(
            "tapegrad, floor: seconds per call, median of the repeats; ratio = tapegrad / floor "
            "(medians); best-of ratio = fastest repeat / fastest repeat."
        )
        for case in cases:
            print(f"  {case.name:<11} {case.summary}")
        for note in notes:
            print(f"note: {note}")

    if "memory" in chosen:
        print()
        if not _memory_report():
            missed.append("memory")

    print()
    print(f"numpy {np.__version__}; total time {perf_counter() - start:.1f} s")
    if missed:
        print(f"missed targets: {' '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
