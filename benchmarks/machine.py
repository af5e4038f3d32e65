"""A description of the machine, printed above the results so numbers are read in context."""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import sys

import numpy as np


def cpu_name() -> str:
    name = platform.processor()
    if name and name not in ("x86_64", "aarch64", "arm64", "i386"):
        return name
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return name or platform.machine() or "unknown"


def usable_cpus() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def blas_name() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:
        return "unknown"


def blas_threads() -> str:
    """BLAS threads from threadpoolctl when installed, else asked of a loaded OpenBLAS."""
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            return ", ".join(f"{i['internal_api']}: {i['num_threads']}" for i in infos)
    except ImportError:
        pass
    n = _openblas_threads()
    if n is not None:
        return f"{n} (openblas)"
    env = [
        f"{k}={os.environ[k]}"
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
        if k in os.environ
    ]
    return ", ".join(env) or "unknown"


_OPENBLAS_PREFIXES = ("scipy_openblas_", "openblas_")
_OPENBLAS_SUFFIXES = ("64_", "")


def _openblas_function(action: str):
    """``openblas_{action}_num_threads`` from a loaded OpenBLAS (any of its symbol spellings)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _OPENBLAS_PREFIXES:
            for suffix in _OPENBLAS_SUFFIXES:
                fn = getattr(lib, f"{prefix}{action}_num_threads{suffix}", None)
                if fn is not None:
                    return fn
    return None


def _openblas_threads() -> int | None:
    fn = _openblas_function("get")
    if fn is None:
        return None
    fn.restype = ctypes.c_int
    return int(fn())


def blas_thread_count() -> int | None:
    try:
        from threadpoolctl import threadpool_info

        counts = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    return _openblas_threads()


@contextlib.contextmanager
def blas_threads_limited(n: int | None):
    """Run the block with BLAS limited to ``n`` threads (no change for None); yields whether the
    limit is in force, and restores the previous count afterwards."""
    before = blas_thread_count()
    if n is None or before is None or before == n:
        yield n is None or before == n
        return
    applied = set_blas_threads(n)
    try:
        yield applied
    finally:
        set_blas_threads(before)


def set_blas_threads(n: int) -> bool:
    """Limit BLAS to ``n`` threads for the rest of the run; False where that is not possible."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n, user_api="blas")
        return True
    except ImportError:
        pass
    fn = _openblas_function("set")
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int]
    fn(n)
    return _openblas_threads() == n


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_line() -> str:
    load = load_average()
    if load is None:
        return "load    : unknown"
    line = f"load    : {load:.2f} (1-minute average)"
    cpus = usable_cpus() or 1
    if load > 0.5:
        line += f" on {cpus} CPUs: the machine is busy, so timings are noisy"
    return line


def header() -> list[str]:
    uname = platform.uname()
    return [
        f"machine : {cpu_name()} ({uname.machine}), {usable_cpus()} usable CPUs "
        f"of {os.cpu_count()}",
        f"system  : {uname.system} {uname.release}",
        f"python  : {platform.python_implementation()} {sys.version.split()[0]}",
        f"numpy   : {np.__version__}, BLAS {blas_name()}, BLAS threads {blas_threads()}",
        load_line(),
    ]


ALLOCATOR_WARMUP_BYTES = 16 * 2**20


def warm_allocator() -> str:
    """Allocate and free one 16 MB array, then say so (a line for the header).

    glibc's malloc returns freed memory to the system while a process has only held small
    blocks, and keeps it for reuse once a large block has been freed (its thresholds grow to
    the largest freed mapping of at most 32 MB). Without this, a workload that allocates a few
    hundred kilobytes per call pays a page fault per 4 KB page on every call when it runs
    first, and none when it runs after a large workload: its timing would depend on the order
    of the runs (on a virtual machine, by a factor of two). Both sides run in this state."""
    block = np.ones(ALLOCATOR_WARMUP_BYTES // 8)
    del block
    return (
        f"memory  : the harness allocated and freed one {ALLOCATOR_WARMUP_BYTES >> 20} MB array "
        "first, so freed memory is reused, not returned to the system after every call"
    )
