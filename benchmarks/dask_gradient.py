"""``python -m benchmarks.dask_gradient``: the time of one gradient on a Dask cluster, tapegrad
against the same gradient written by hand with dask.array.

The workload: the gradient of the mean logistic loss ``mean(softplus(X w) - y * (X w))`` with
respect to ``w``, for 2,000,000 rows of 20 float64 features in 40 row chunks (``--rows``,
``--features``, ``--chunks``). The data are generated on the workers (a seed per chunk) and
persisted there before anything is timed, so each call measures the gradient alone:

- tapegrad: the loss recorded on a tape from ``tg.constant(X)``, ``tg.constant(y)`` and a
  ``tg.Variable`` holding ``w`` as a Dask array, ``tape.gradient``, then ``.numpy()``;
- hand-written: the hand-derived gradient ``X.T @ (sigmoid(X @ w) - y) / n`` with dask.array
  operations, then ``.compute()``.

Both build their Dask graph in the timed call (as a training loop does at every step) and bring
the 20 numbers back to the client; they are checked to agree before anything is timed. Each
runs on a ``LocalCluster`` of 1 and of 2 worker processes with one thread each
(``--workers``). The calls are timed one by one with ``time.perf_counter``, tapegrad and
hand-written alternating, after warm-up calls; the table gives the median, the 10th and 90th
percentiles, the ratio of the medians, the time tapegrad spends building its graph on the
client (recording and differentiating, no computing), and the tasks each computation ran on
the workers (from the scheduler's task stream).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from time import perf_counter

import numpy as np

from . import machine

FEATURES = 20
RTOL = 1e-12


def _chunk(features: int, seed: int, block_info=None) -> np.ndarray:
    """A chunk of rows: standard normal features, then a 0/1 label in the last column."""
    info = block_info[None]
    rng = np.random.default_rng([seed, info["chunk-location"][0]])
    x = rng.standard_normal((info["chunk-shape"][0], features))
    true_w = np.random.default_rng([seed, 2**32 - 1]).standard_normal(features) / 2
    y = rng.random(len(x)) < 1.0 / (1.0 + np.exp(-(x @ true_w)))
    return np.concatenate([x, y[:, None]], axis=1)


def make_data(rows: int, features: int, chunks: int, seed: int = 0):
    import dask.array as da

    if rows % chunks:
        raise SystemExit(f"--rows ({rows}) must be a multiple of --chunks ({chunks})")
    data = da.map_blocks(
        _chunk,
        features,
        seed,
        chunks=((rows // chunks,) * chunks, (features + 1,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    return data[:, :features], data[:, features]


def _percentile(samples: list, q: float) -> float:
    ordered = sorted(samples)
    at = (len(ordered) - 1) * q
    low, high = math.floor(at), math.ceil(at)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.1f}"


def timer_resolution() -> tuple[float, float]:
    """The resolution perf_counter reports, and the smallest step measured between two reads."""
    info = time.get_clock_info("perf_counter")
    smallest = math.inf
    for _ in range(10_000):
        a = perf_counter()
        b = perf_counter()
        while b == a:
            b = perf_counter()
        smallest = min(smallest, b - a)
    return info.resolution, smallest


def run(workers: int, rows: int, features: int, chunks: int, repeats: int, warmup: int) -> dict:
    import dask.array as da
    import distributed

    import tapegrad as tg

    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        X, y = make_data(rows, features, chunks)
        X, y = client.persist([X, y])  # generated once, held in the workers' memory
        distributed.wait([X, y])
        w0 = np.random.default_rng(1).standard_normal(features) / 4
        w_dask = da.from_array(w0, chunks=-1)
        x_t, y_t, w = tg.constant(X), tg.constant(y), tg.Variable(w_dask)

        def tapegrad_graph():
            with tg.GradientTape() as tape:
                z = x_t @ w
                loss = tg.mean(tg.nn.softplus(z) - y_t * z)
            return tape.gradient(loss, w)

        def tapegrad_gradient():
            return tapegrad_graph().numpy()

        def hand_written_gradient():
            p = 1.0 / (1.0 + da.exp(-(X @ w_dask)))
            return (X.T @ (p - y) / rows).compute()

        a, b = tapegrad_gradient(), hand_written_gradient()
        if not np.allclose(a, b, rtol=RTOL, atol=0):
            raise AssertionError(
                f"tapegrad's gradient differs from the hand-written one by "
                f"{np.abs(a - b).max():.3g}: the benchmark would time different computations"
            )
        x_np = np.asarray(X.compute()) if rows <= 5_000_000 else None
        if x_np is not None:  # and both against NumPy on the same rows
            y_np = np.asarray(y.compute())
            p = 1.0 / (1.0 + np.exp(-(x_np @ w0)))
            if not np.allclose(b, x_np.T @ (p - y_np) / rows, rtol=RTOL, atol=0):
                raise AssertionError("the hand-written Dask gradient differs from NumPy's")
            del x_np, y_np

        tasks = {}
        for name, fn in (("tapegrad", tapegrad_gradient), ("hand", hand_written_gradient)):
            with distributed.get_task_stream(client) as stream:
                fn()
            tasks[name] = len(stream.data)
        for _ in range(warmup):
            tapegrad_gradient(), hand_written_gradient()
        samples = {"tapegrad": [], "hand": [], "graph": []}
        for _ in range(repeats):
            for name, fn in (
                ("tapegrad", tapegrad_gradient),
                ("hand", hand_written_gradient),
                ("graph", tapegrad_graph),
            ):
                start = perf_counter()
                fn()
                samples[name].append(perf_counter() - start)
    return {"samples": samples, "tasks": tasks, "workers": workers}


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dask_gradient",
        description="Time one logistic-loss gradient on a Dask cluster: tapegrad / hand-written.",
    )
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows (2,000,000)")
    parser.add_argument("--features", type=int, default=FEATURES, help="features (20)")
    parser.add_argument("--chunks", type=int, default=40, help="row chunks (40)")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="worker processes of each LocalCluster to time on (1 2)",
    )
    parser.add_argument("--repeats", type=int, default=21, help="timed calls of each (21)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (3)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = _parse(argv)
    try:
        import dask
        import distributed
    except ImportError:
        print("this benchmark needs Dask: pip install 'tapegrad[dask]'")
        return 1
    import tapegrad

    started = perf_counter()
    size = args.rows * (args.features + 1) * 8
    print("Dask gradient benchmark: tapegrad / hand-written dask.array, same cluster, same data")
    for line in machine.header():
        print(line)
    print(f"dask    : {dask.__version__}, distributed {distributed.__version__}")
    print(f"tapegrad: {tapegrad.__version__}")
    resolution, tick = timer_resolution()
    print(
        f"timer   : time.perf_counter, resolution {resolution * 1e9:.0f} ns reported, "
        f"{tick * 1e9:.0f} ns measured between two reads"
    )
    print(
        f"workload: gradient of the mean logistic loss, {args.rows:,} x {args.features} float64 "
        f"({size / 1e6:.0f} MB with labels) in {args.chunks} chunks, persisted on the workers; "
        f"{args.repeats} timed calls each, alternating, after {args.warmup} warm-up calls"
    )
    print("cluster : LocalCluster, worker processes x 1 thread, on this machine")
    print()
    results = []
    for workers in args.workers:
        results.append(
            run(workers, args.rows, args.features, args.chunks, args.repeats, args.warmup)
        )

    header = (
        f"{'workers':>7}  {'implementation':<14} {'median ms':>9} {'p10 ms':>8} {'p90 ms':>8} "
        f"{'spread':>7} {'tasks':>6}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        s = result["samples"]
        for name, label in (
            ("tapegrad", "tapegrad"),
            ("hand", "hand-written"),
            ("graph", "tapegrad graph"),
        ):
            median = statistics.median(s[name])
            p10, p90 = _percentile(s[name], 0.1), _percentile(s[name], 0.9)
            tasks = result["tasks"].get(name)
            print(
                f"{result['workers']:>7}  {label:<14} {_ms(median):>9} {_ms(p10)} {_ms(p90)} "
                f"{(p90 - p10) / median:>6.0%} {'' if tasks is None else tasks:>6}"
            )
        ratio = statistics.median(s["tapegrad"]) / statistics.median(s["hand"])
        paired = sorted(t / h for t, h in zip(s["tapegrad"], s["hand"]))
        print(
            f"{result['workers']:>7}  {'ratio':<14} {ratio:>8.2f}x   tapegrad / hand-written "
            f"(medians); per-pair ratios p10 {_percentile(paired, 0.1):.2f}x, "
            f"p90 {_percentile(paired, 0.9):.2f}x"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        print()
        for name, label in (("tapegrad", "tapegrad"), ("hand", "hand-written")):
            speedup = statistics.median(first["samples"][name]) / statistics.median(
                last["samples"][name]
            )
            print(
                f"{label}: {speedup:.2f}x faster on {last['workers']} workers than on "
                f"{first['workers']}"
            )
    print()
    print(
        "median, p10, p90: milliseconds per gradient, graph built and result fetched; spread = "
        "(p90 - p10) / median, the run-to-run variation: differences smaller than it are noise "
        "(the timer itself resolves well under a microsecond); tapegrad graph = recording and "
        "tape.gradient alone, computing nothing (included in the tapegrad row); tasks = tasks "
        "the scheduler ran for one gradient."
    )
    print(f"total time {perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
