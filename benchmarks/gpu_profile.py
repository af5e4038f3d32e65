"""Where the time of a GPU step goes: ``python -m benchmarks.gpu_profile [--backend numpy]``.

For mlp_large and the sin chain (``benchmarks/gpu.py``'s workloads), it measures per step:
the wall time with the device synchronized, the host time to issue the step without waiting
for it, and the number of kernels CuPy launched (when its profiler API is there); then it prints
the Python functions that take the host time in tapegrad's step (cProfile). When the host time
is close to the wall time, the step is bound by Python, not by the GPU.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import statistics
import time

from benchmarks.gpu import (
    FULL,
    SMALL,
    HandMLP,
    TapegradMLP,
    chain_start,
    cupy_backend,
    hand_chain,
    mlp_data,
    numpy_backend,
    tapegrad_chain,
)


def _timed(step, sync, repeats: int) -> tuple[float, float]:
    """Medians of the synchronized wall time and of the host time to issue one step."""
    walls, hosts = [], []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        step()
        issued = time.perf_counter()
        sync()
        walls.append(time.perf_counter() - start)
        hosts.append(issued - start)
    return statistics.median(walls) * 1e3, statistics.median(hosts) * 1e3


def _profile(step, sync, repeats: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeats):
        step()
    sync()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("tottime")
    stats.print_stats(top)


def _kernels(step, sync) -> None:
    """Print the GPU kernels one step launches, by name: PyTorch's profiler records every
    kernel of the process through CUPTI, CuPy's too. Skipped without PyTorch or a GPU."""
    try:
        from torch.autograd import DeviceType
        from torch.profiler import ProfilerActivity, profile
    except ImportError:
        print("   (kernel list skipped: PyTorch is not installed)")
        return
    sync()
    try:
        with profile(activities=[ProfilerActivity.CUDA]) as recorded:
            step()
            sync()
    except Exception as error:  # noqa: BLE001 - a profiler that cannot start: say why, go on
        print(f"   (kernel list skipped: {type(error).__name__}: {error})")
        return
    names = collections.Counter(
        event.name for event in recorded.events() if event.device_type == DeviceType.CUDA
    )
    print(f"   {sum(names.values())} kernels and copies")
    for name, count in names.most_common():
        print(f"   {count:4d}  {name[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_profile", description=__doc__)
    parser.add_argument("--backend", choices=["cupy", "numpy"], default="cupy")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    backend = cupy_backend() if args.backend == "cupy" else numpy_backend()
    sizes = FULL if args.backend == "cupy" else SMALL
    data = mlp_data(sizes)
    hand = HandMLP(backend, *data)
    ours = TapegradMLP(backend, *data, optimizer=True)
    start = backend.xp.asarray(chain_start(sizes))
    x = __import__("tapegrad").constant(start)
    steps = {
        "mlp_large hand-written": hand.step,
        "mlp_large tapegrad": ours.step,
        "chain hand-written": lambda: hand_chain(backend.xp, start, sizes.chain_steps),
        "chain tapegrad": lambda: tapegrad_chain(x, sizes.chain_steps),
    }
    print(f"device: {backend.device}")
    for name, step in steps.items():
        for _ in range(3):
            step()
        repeats = args.repeats if "mlp" in name else max(3, args.repeats // 6)
        wall, host = _timed(step, backend.sync, repeats)
        print(f"{name:26s} wall {wall:8.3f} ms   host (issuing) {host:8.3f} ms")
    for name in ("mlp_large tapegrad", "chain tapegrad"):
        print(f"\n== {name}: where the host time goes ==")
        _profile(steps[name], backend.sync, 10 if "mlp" in name else 2, args.top)
    if args.backend == "cupy":
        for name in steps:
            print(f"\n== {name}: the kernels of one step ==")
            _kernels(steps[name], backend.sync)


if __name__ == "__main__":
    main()
