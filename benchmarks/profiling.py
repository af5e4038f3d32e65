"""``python -m benchmarks.profiling [name ...] [--top N] [--sort KEY]``: cProfile the tapegrad side
of workloads (default: seed_grad seed_sgd chain mlp_small), printing the top functions."""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from time import perf_counter

from . import machine
from .suite import CASES

DEFAULT = ["seed_grad", "seed_sgd", "chain", "mlp_small"]
SECONDS = 1.0  # profile each workload for about this long


def profile(name: str, top: int, sort: str) -> None:
    case = next(c for c in CASES if c.name == name)
    with machine.blas_threads_limited(case.blas_threads):
        run, _floor = case.prepare()
        start = perf_counter()
        run()
        calls = max(1, int(SECONDS / max(perf_counter() - start, 1e-6)))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            run()
        profiler.disable()
    print(f"=== {name}: {calls} calls, sorted by {sort} ===")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats(sort).print_stats(top)


def main(argv=None) -> int:
    names = [c.name for c in CASES]
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling")
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of: {' '.join(names)}")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args(argv)
    for name in args.names or DEFAULT:
        if name not in names:
            parser.error(f"unknown workload {name}; choose from {' '.join(names)}")
        profile(name, args.top, args.sort)
    return 0


if __name__ == "__main__":
    sys.exit(main())
