"""``python -m benchmarks.gpu``: tapegrad on CuPy against hand-written CuPy and PyTorch.

Two workloads, one forward and backward pass per timed call:

- ``mlp_large``: one SGD(0.01) training step of a 784-2048-2048-10 ReLU MLP, batch 1024,
  float32, mean sparse softmax cross-entropy over integer labels;
- ``chain``: 500 steps of ``y = sin(y) * 0.999`` on 1,048,576 float32, then d sum(y) / d x.

Each is written three ways: with tapegrad on CuPy arrays; by hand in CuPy, the forward and the
hand-derived backward as plain CuPy operations (the floor: the array operations a user writes,
with no autodiff around them and no kernels of their own); and with PyTorch on CUDA, for
reference. tapegrad launches fused kernels of its own for some rules (sin's, relu's, the
cross-entropy's) and SGD's step, as PyTorch has fused backward kernels and optimizers: so it
launches fewer kernels than the floor; ``TAPEGRAD_FUSED_KERNELS=0`` turns them off, for the
comparison of the same kernels. Every implementation starts from the same values, and before
anything is timed its loss, gradients and updated weights are checked against the hand-written
ones. Each call is timed alone, the device synchronized before and after it; the report gives
the median, the 10th and the 90th percentile, and each median over the floor's.

``--backend numpy --small`` runs the same code on NumPy (and PyTorch on the CPU) at small sizes,
to try the script on a machine without a GPU. The file imports only the standard library,
NumPy, tapegrad, CuPy and PyTorch (optional), and no other benchmark module: those are written
for NumPy, and a GPU machine may have nothing else installed.

Exit status: 0; 1 when a column failed to run (or, with ``--check``, when tapegrad is over the
target); 2 when tapegrad computes other numbers than the hand-written code, or CuPy is unusable.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from time import perf_counter

import numpy as np

try:
    import tapegrad as tg
except ImportError:  # run from a checkout without installing: use the source tree's package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import tapegrad as tg

from .workloads import MLP  # noqa: E402 - after tapegrad is importable

LR = 0.01
CHAIN_FACTOR = 0.999  # below 1, so the chain neither grows nor needs float64
RTOL = 1e-4  # float32: the implementations may sum in different orders (cuBLAS, PyTorch)
TARGET = 1.1  # the largest acceptable tapegrad / hand-written time
ROUNDS = 5  # the repeats are interleaved in this many rounds, so drift hits every column alike
# the numbers, measured on an H100, for a reader comparing machines
REFERENCE_H100_MS = {
    "mlp_large": {"cupy": 1.49, "torch": 1.68},
    "chain": {"cupy": 43.5, "torch": 44.3},
}


@dataclass(frozen=True)
class Sizes:
    batch: int
    layers: tuple[int, ...]
    chain_steps: int
    chain_length: int


FULL = Sizes(batch=1024, layers=(784, 2048, 2048, 10), chain_steps=500, chain_length=1 << 20)
SMALL = Sizes(batch=64, layers=(64, 128, 128, 10), chain_steps=50, chain_length=4096)


class MismatchError(AssertionError):
    """An implementation computes other numbers than the hand-written one."""


# -- the machine -------------------------------------------------------------------------------


@dataclass
class Backend:
    """The array library of the tapegrad and hand-written columns."""

    name: str
    xp: object
    sync: Callable[[], None]
    device: str
    versions: dict[str, str]

    def copy_in(self, array: np.ndarray):
        """The backend's own copy of a host array (the floor updates its weights in place)."""
        return self.xp.array(array, copy=True)


@dataclass
class Torch:
    """PyTorch on the backend's device."""

    torch: object
    device: object
    sync: Callable[[], None]
    label: str


def _no_sync() -> None:
    """The CPU runs each operation to its end before returning: nothing to wait for."""


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _cuda_version(number: int) -> str:
    return f"{number // 1000}.{number % 1000 // 10}"


def numpy_backend() -> Backend:
    return Backend("numpy", np, _no_sync, _cpu_name(), {})


def cupy_backend() -> Backend:
    import cupy

    device = cupy.cuda.Device()
    name = cupy.cuda.runtime.getDeviceProperties(device.id)["name"]
    name = name.decode() if isinstance(name, bytes) else name
    runtime = cupy.cuda.runtime
    versions = {
        "cupy": cupy.__version__,
        "CUDA runtime": _cuda_version(runtime.runtimeGetVersion()),
        "CUDA driver": _cuda_version(runtime.driverGetVersion()),
        # TF32 matmuls would be ~1e-3 off: say so, as the check would then fail
        "CUPY_TF32": os.environ.get("CUPY_TF32", "0"),
    }
    return Backend("cupy", cupy, device.synchronize, name, versions)


def load_torch(backend: Backend, wanted: bool) -> tuple[Torch | None, str]:
    """PyTorch on the backend's device (CUDA for CuPy, the CPU for NumPy), or None and why."""
    if not wanted:
        return None, "PyTorch column skipped (--no-torch)"
    try:
        import torch
    except ImportError:
        return None, "PyTorch column skipped: torch is not installed"
    if backend.name == "numpy":
        # one thread: PyTorch's OpenMP threads, spinning after each operation, otherwise fight
        # NumPy's BLAS threads for the cores and slow every column of the dry run many times over
        torch.set_num_threads(1)
        return Torch(torch, torch.device("cpu"), _no_sync, "torch (cpu)"), ""
    if not torch.cuda.is_available():
        return None, f"PyTorch column skipped: torch {torch.__version__} sees no CUDA device"
    return Torch(torch, torch.device("cuda"), torch.cuda.synchronize, "torch (cuda)"), ""


def torch_versions(env: Torch) -> dict[str, str]:
    torch = env.torch
    with warnings.catch_warnings():  # newer releases deprecate this getter in favour of others
        warnings.simplefilter("ignore")
        precision = torch.get_float32_matmul_precision()
    versions = {"torch": torch.__version__, "torch float32 matmul precision": precision}
    if env.device.type == "cuda":
        versions["torch CUDA"] = str(torch.version.cuda)
    return versions


# -- values and their comparison ---------------------------------------------------------------


def as_numpy(value) -> np.ndarray:
    """A host copy of a tapegrad, CuPy, PyTorch or NumPy value."""
    if isinstance(value, tg.Tensor):
        return np.asarray(value.numpy())
    if hasattr(value, "detach"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "get"):  # a cupy.ndarray
        return value.get()
    return np.asarray(value)


def relative_difference(actual, expected, what: str) -> float:
    """``max |actual - expected| / max |expected|``: relative to the array's scale, so that an
    element near zero (a gradient through cos(x) at x near pi/2) cannot make float32 rounding look
    large. Raises MismatchError on another shape or dtype: a silent float64 promotion would change
    what is timed."""
    a, e = as_numpy(actual), as_numpy(expected)
    if a.shape != e.shape or a.dtype != e.dtype:
        raise MismatchError(
            f"{what} is {a.dtype}{list(a.shape)}, the hand-written one {e.dtype}{list(e.shape)}"
        )
    a, e = a.astype(np.float64), e.astype(np.float64)
    scale = float(np.max(np.abs(e))) if e.size else 0.0
    diff = float(np.max(np.abs(a - e))) if e.size else 0.0
    return diff / max(scale, np.finfo(np.float64).tiny)


def compare(label: str, values: list, expected: list, names: list[str]) -> float:
    """The largest relative difference over the values; MismatchError above RTOL."""
    worst = 0.0
    for value, reference, name in zip(values, expected, names, strict=True):
        diff = relative_difference(value, reference, f"{label}: {name}")
        if not diff <= RTOL:  # also catches NaN
            raise MismatchError(
                f"{label}: {name} differs from the hand-written one by {diff:.3g} "
                f"(max |diff| / max |hand-written|; allowed {RTOL:g})"
            )
        worst = max(worst, diff)
    return worst


# -- the columns -------------------------------------------------------------------------------


@dataclass
class Column:
    """One implementation of a workload. ``make`` builds its state from the starting values and
    returns ``(run, values)``: one timed call, and what the check compares (computed from the
    starting state)."""

    key: str  # its name in the JSON
    label: str  # its name in the table
    make: Callable[[], tuple[Callable[[], object], Callable[[], list]]]
    sync: Callable[[], None]  # waits for the device to finish the work run() queued
    headline: bool = False  # the tapegrad column whose ratio is held to TARGET
    run: Callable[[], object] | None = None  # set by make()


# -- mlp_large ---------------------------------------------------------------------------------


def mlp_data(sizes: Sizes, seed: int = 0):
    """Inputs, integer labels, weights (normal, scaled by 1/sqrt(fan-in)) and zero biases, on
    the host, float32: every implementation starts from copies of these."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((sizes.batch, sizes.layers[0])).astype(np.float32)
    labels = rng.integers(0, sizes.layers[-1], sizes.batch)
    pairs = zip(sizes.layers[:-1], sizes.layers[1:], strict=True)
    weights = [(rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32) for m, n in pairs]
    biases = [np.zeros(n, np.float32) for n in sizes.layers[1:]]
    return X, labels, weights, biases


def mlp_names(layers: int) -> list[str]:
    """What ``values()`` returns for the MLP, in order."""
    params = [f"W{i}" for i in range(layers)] + [f"b{i}" for i in range(layers)]
    return ["loss"] + [f"d{p}" for p in params] + [f"{p} after one step" for p in params]


class HandMLP:
    """The floor: the forward pass and the hand-derived backward pass in plain array operations
    of ``xp`` (CuPy or NumPy), and an in-place SGD update."""

    def __init__(self, backend: Backend, X, labels, weights, biases):
        xp = self.xp = backend.xp
        self.X, self.labels = backend.copy_in(X), backend.copy_in(labels)
        self.rows = xp.arange(X.shape[0])
        self.weights = [backend.copy_in(W) for W in weights]
        self.biases = [backend.copy_in(b) for b in biases]

    def gradients(self):
        """The loss and its gradients, weights first, then biases."""
        xp, rows, labels = self.xp, self.rows, self.labels
        last = len(self.weights) - 1
        inputs = []  # each layer's input, kept for the backward pass
        h = self.X
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            inputs.append(h)
            h = h @ W + b
            if i < last:
                h = xp.maximum(h, 0)
        # softmax cross-entropy, shifted by the row maximum for stability
        e = xp.exp(h - h.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -xp.log(probs[rows, labels]).mean()
        # d loss / d logits = (softmax - one_hot) / batch, built in the probabilities' buffer
        g = probs
        g[rows, labels] -= 1
        g /= h.shape[0]
        dW, db = [None] * (last + 1), [None] * (last + 1)
        for i in range(last, -1, -1):
            dW[i] = inputs[i].T @ g
            db[i] = g.sum(axis=0)
            if i > 0:  # ReLU's derivative: the layer's output (our input) was positive
                g = (g @ self.weights[i].T) * (inputs[i] > 0)
        return loss, dW + db

    def step(self):
        loss, grads = self.gradients()
        for p, g in zip(self.weights + self.biases, grads, strict=True):
            p -= LR * g
        return loss

    def values(self) -> list:
        loss, grads = self.gradients()
        self.step()
        return [loss, *grads, *self.weights, *self.biases]


class TapegradMLP(MLP):
    """The MLP as a tapegrad user writes it (``benchmarks.workloads.MLP``) on the backend's
    arrays; the update by ``tg.optimizers.SGD`` or, with ``optimizer=False``, by
    ``v.assign_sub(lr * g)``."""

    def __init__(self, backend: Backend, X, labels, weights, biases, optimizer: bool):
        copy_in = backend.copy_in
        super().__init__(
            copy_in(X),
            copy_in(labels),
            [copy_in(W) for W in weights],
            [copy_in(b) for b in biases],
            LR,
        )
        if not optimizer:
            self.optimizer = None

    def step(self):
        if self.optimizer is not None:
            return super().step()
        loss, grads = self.gradients()
        for v, g in zip(self.variables, grads, strict=True):
            v.assign_sub(LR * g)
        return loss

    def values(self) -> list:
        loss, grads = self.gradients()
        self.step()
        return [loss, *grads, *self.variables]


class TorchMLP:
    """The MLP in PyTorch: ``loss.backward()`` and ``torch.optim.SGD``, the same operations as
    the others (``h @ W + b``, not the fused ``nn.Linear``)."""

    def __init__(self, env: Torch, X, labels, weights, biases):
        torch = self.torch = env.torch

        def put(array, grad=False):
            return torch.tensor(array, device=env.device, requires_grad=grad)

        self.X, self.labels = put(X), put(labels)
        self.weights = [put(W, True) for W in weights]
        self.biases = [put(b, True) for b in biases]
        self.parameters = self.weights + self.biases
        self.optimizer = torch.optim.SGD(self.parameters, lr=LR)

    def loss(self):
        h = self.X
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ W + b
            if i < last:
                h = self.torch.relu(h)
        return self.torch.nn.functional.cross_entropy(h, self.labels)

    def gradients(self):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss()
        loss.backward()
        # zero_grad(set_to_none=True) gives the next backward new tensors: no copy needed here
        return loss, [p.grad for p in self.parameters]

    def step(self):
        loss, _ = self.gradients()
        self.optimizer.step()
        return loss

    def values(self) -> list:
        loss, grads = self.gradients()
        self.step()
        return [loss, *grads, *self.parameters]


def mlp_columns(backend: Backend, env: Torch | None, sizes: Sizes) -> list[Column]:
    """The MLP's columns, the hand-written one first."""
    data = mlp_data(sizes)

    def made(model):
        return model.step, model.values

    columns = [
        Column(
            backend.name,
            f"hand-written {backend.name}",
            lambda: made(HandMLP(backend, *data)),
            backend.sync,
        ),
        Column(
            "tapegrad",
            "tapegrad (SGD)",
            lambda: made(TapegradMLP(backend, *data, optimizer=True)),
            backend.sync,
            headline=True,
        ),
        Column(
            "tapegrad_assign_sub",
            "tapegrad (assign_sub)",
            lambda: made(TapegradMLP(backend, *data, optimizer=False)),
            backend.sync,
        ),
    ]
    if env is not None:
        columns.append(Column("torch", env.label, lambda: made(TorchMLP(env, *data)), env.sync))
    return columns


# -- chain -------------------------------------------------------------------------------------


def chain_start(sizes: Sizes, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(sizes.chain_length).astype(np.float32)


def hand_chain(xp, x, steps: int):
    """``sum(y)`` and its gradient with respect to ``x``, by hand: the forward keeps each step's
    input, as the backward needs its cosine."""
    saved = []
    y = x
    for _ in range(steps):
        saved.append(y)
        y = xp.sin(y) * CHAIN_FACTOR
    total = y.sum()
    grad = xp.ones_like(y)
    for s in reversed(saved):
        grad = grad * CHAIN_FACTOR * xp.cos(s)
    return total, grad


def tapegrad_chain(x, steps: int):
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(steps):
            y = tg.sin(y) * CHAIN_FACTOR
        total = tg.sum(y)
    return total, tape.gradient(total, x)


def torch_chain(torch, x, steps: int):
    y = x
    for _ in range(steps):
        y = torch.sin(y) * CHAIN_FACTOR
    total = torch.sum(y)
    (grad,) = torch.autograd.grad(total, x)
    return total, grad


def chain_columns(backend: Backend, env: Torch | None, sizes: Sizes) -> list[Column]:
    """The chain's columns, the hand-written one first."""
    x0, steps = chain_start(sizes), sizes.chain_steps

    def made(fn, x):
        run = lambda: fn(x, steps)
        return run, lambda: list(run())

    columns = [
        Column(
            backend.name,
            f"hand-written {backend.name}",
            lambda: made(partial(hand_chain, backend.xp), backend.copy_in(x0)),
            backend.sync,
        ),
        Column(
            "tapegrad",
            "tapegrad",
            lambda: made(tapegrad_chain, tg.constant(backend.copy_in(x0))),
            backend.sync,
            headline=True,
        ),
    ]
    if env is not None:
        torch = env.torch
        columns.append(
            Column(
                "torch",
                env.label,
                lambda: made(
                    partial(torch_chain, torch),
                    torch.tensor(x0, device=env.device, requires_grad=True),
                ),
                env.sync,
            )
        )
    return columns


# -- the workloads -----------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    summary: Callable[[Sizes], str]
    columns: Callable[[Backend, Torch | None, Sizes], list[Column]]
    names: Callable[[Sizes], list[str]]  # the values the check compares, in order
    compared: str  # the same, in words
    repeats: int
    warmup: int


def _mlp_summary(s: Sizes) -> str:
    layers = "-".join(map(str, s.layers))
    return (
        f"one SGD({LR:g}) step, {layers} ReLU MLP, batch {s.batch}, float32, "
        "mean sparse softmax cross-entropy"
    )


def _chain_summary(s: Sizes) -> str:
    return (
        f"{s.chain_steps} steps of y = sin(y) * {CHAIN_FACTOR} on {s.chain_length:,} float32, "
        "then d sum(y) / d x"
    )


def workloads(mlp_repeats: int, chain_repeats: int) -> list[Workload]:
    return [
        Workload(
            "mlp_large",
            _mlp_summary,
            mlp_columns,
            lambda s: mlp_names(len(s.layers) - 1),
            "the loss, the gradients and the parameters after one step",
            mlp_repeats,
            warmup=5,
        ),
        Workload(
            "chain",
            _chain_summary,
            chain_columns,
            lambda s: ["sum(y)", "d sum(y) / d x"],
            "sum(y) and its gradient",
            chain_repeats,
            warmup=2,
        ),
    ]


# -- timing ------------------------------------------------------------------------------------


def timed_call(column: Column) -> float:
    """Seconds for one call, from an idle device to the end of the work the call queued."""
    column.sync()
    start = perf_counter()
    column.run()
    column.sync()
    return perf_counter() - start


def time_columns(columns: list[Column], repeats: int, warmup: int, failed: dict) -> dict:
    """Samples per column key. The repeats run in ROUNDS rounds, each column's calls back to back
    within a round. A column that raises is moved to ``failed`` and the others go on."""
    live = list(columns)
    for column in list(live):
        try:
            for _ in range(warmup):
                timed_call(column)
        except Exception as exc:
            _fail(column, exc, failed, live)
    samples: dict[str, list[float]] = {c.key: [] for c in live}
    for r in range(ROUNDS):
        count = repeats * (r + 1) // ROUNDS - repeats * r // ROUNDS
        for column in list(live):
            try:
                samples[column.key].extend(timed_call(column) for _ in range(count))
            except Exception as exc:
                _fail(column, exc, failed, live)
                samples.pop(column.key)
    return samples


def _fail(column: Column, exc: Exception, failed: dict, live: list) -> None:
    traceback.print_exception(exc, file=sys.stderr)
    failed[column.key] = f"{type(exc).__name__}: {exc}"
    live.remove(column)


@dataclass
class Stats:
    median: float
    p10: float
    p90: float
    samples: list[float] = field(repr=False)

    @classmethod
    def of(cls, samples: list[float]) -> Stats:
        if len(samples) < 2:
            return cls(samples[0], samples[0], samples[0], samples)
        deciles = statistics.quantiles(samples, n=10, method="inclusive")
        return cls(statistics.median(samples), deciles[0], deciles[-1], samples)


# -- running a workload ------------------------------------------------------------------------


def build_and_check(workload, backend, env, sizes, failed: dict) -> list[tuple[Column, float]]:
    """The columns that built and passed the check, each with its largest relative difference.

    The hand-written column gives the reference values. A tapegrad column that disagrees with it
    ends the run (exit status 2): its time would be that of another computation. A column that
    raises, or a PyTorch column that disagrees, is left out and the others go on."""
    names = workload.names(sizes)
    floor, *others = workload.columns(backend, env, sizes)
    floor.run, values = floor.make()
    expected = [as_numpy(v) for v in values()]  # host copies: the floor updates in place
    checked = [(floor, 0.0)]
    for column in others:
        try:
            column.run, values = column.make()
            diff = compare(column.label, values(), expected, names)
        except MismatchError as exc:
            if column.key.startswith("tapegrad"):
                _abort(
                    f"{workload.name}: {exc}\ntapegrad computes other numbers than the "
                    "hand-written code, so their times would not be comparable"
                )
            failed[column.key] = str(exc)
            continue
        except Exception as exc:  # reported, and the other columns still run
            traceback.print_exception(exc, file=sys.stderr)
            failed[column.key] = f"{type(exc).__name__}: {exc}"
            continue
        checked.append((column, diff))
    return checked


def run_workload(workload: Workload, backend: Backend, env, sizes: Sizes) -> dict:
    """Check, time and print one workload; returns its JSON record."""
    print(f"{workload.name}: {workload.summary(sizes)}", flush=True)
    failed: dict[str, str] = {}
    checked = build_and_check(workload, backend, env, sizes, failed)
    diffs = {column.key: diff for column, diff in checked}
    columns = [column for column, _ in checked]
    samples = time_columns(columns, workload.repeats, workload.warmup, failed)
    stats = {key: Stats.of(s) for key, s in samples.items()}
    record = _record(workload, columns, stats, diffs, failed, backend, sizes)
    _print_workload(record, columns, failed)
    return record


def _run_guarded(workload: Workload, backend: Backend, env, sizes: Sizes) -> dict:
    """``run_workload``, and when the hand-written column itself fails, a record saying so:
    the next workload still runs."""
    try:
        return run_workload(workload, backend, env, sizes)
    except Exception as exc:
        traceback.print_exception(exc, file=sys.stderr)
        why = f"{type(exc).__name__}: {exc}"
        print(f"  FAILED: {why}\n", flush=True)
        return {"summary": workload.summary(sizes), "columns": {}, "failed": {"workload": why}}


def _record(workload, columns, stats, diffs, failed, backend, sizes) -> dict:
    floor = stats.get(columns[0].key)
    result: dict = {
        "summary": workload.summary(sizes),
        "checked": workload.compared,
        "repeats": workload.repeats,
        "warmup": workload.warmup,
        "floor": columns[0].key,
        "columns": {},
        "failed": failed,
    }
    for column in columns:
        s = stats.get(column.key)
        if s is None:
            continue
        entry = {
            "label": column.label,
            "median_ms": s.median * 1e3,
            "p10_ms": s.p10 * 1e3,
            "p90_ms": s.p90 * 1e3,
            "ratio_to_floor": s.median / floor.median if floor else None,
            "max_rel_diff": diffs[column.key],
            "samples_ms": [t * 1e3 for t in s.samples],
        }
        if column.headline:
            entry["target"] = TARGET
            entry["meets_target"] = floor is not None and s.median / floor.median <= TARGET
        result["columns"][column.key] = entry
    if backend.name == "cupy" and sizes == FULL:
        result["reference_h100_ms"] = REFERENCE_H100_MS[workload.name]
    return result


def _print_workload(record: dict, columns: list[Column], failed: dict) -> None:
    checked = ", ".join(
        f"{c.label} {record['columns'][c.key]['max_rel_diff']:.2g}"
        for c in columns[1:]
        if c.key in record["columns"]
    )
    print(
        f"  check: max |diff| / max |hand-written| over {record['checked']} "
        f"(allowed {RTOL:g}): {checked or 'nothing to compare'}"
    )
    print(f"  timed: {record['repeats']} calls each, after {record['warmup']} warm-up calls")
    width = max(len(c.label) for c in columns)
    print(
        f"  {'column':<{width}} {'median':>10} {'p10':>10} {'p90':>10} {'/ floor':>8} "
        f"{'target':>8}  result"
    )
    for column in columns:
        entry = record["columns"].get(column.key)
        if entry is None:
            continue
        target, verdict = "", ""
        if column.headline:
            target = f"<= {TARGET:g}x"
            verdict = "ok" if entry["meets_target"] else "MISS"
        ratio = entry["ratio_to_floor"]
        line = (
            f"  {column.label:<{width}} {_ms(entry['median_ms'])} {_ms(entry['p10_ms'])} "
            f"{_ms(entry['p90_ms'])} {'-' if ratio is None else f'{ratio:7.2f}x':>8} "
            f"{target:>8}  {verdict}"
        )
        print(line.rstrip())
    reference = record.get("reference_h100_ms")
    if reference:
        print(
            f"  the issue's H100 numbers: hand-written cupy {reference['cupy']:g} ms, "
            f"torch {reference['torch']:g} ms"
        )
    for key, why in failed.items():
        print(f"  FAILED {key}: {why}")
    print(flush=True)


def _ms(value: float) -> str:
    return f"{value:7.3f} ms"


# -- the command line --------------------------------------------------------------------------


def _parse(argv):
    names = [w.name for w in workloads(0, 0)]
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu",
        description="Time tapegrad on CuPy against hand-written CuPy and PyTorch on CUDA.",
    )
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of: {' '.join(names)}")
    parser.add_argument("--backend", choices=("cupy", "numpy"), default="cupy")
    parser.add_argument("--small", action="store_true", help="small sizes, for a dry run")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--mlp-repeats", type=int, default=50, metavar="N")
    parser.add_argument("--chain-repeats", type=int, default=20, metavar="N")
    parser.add_argument("--no-torch", action="store_true", help="leave out the PyTorch column")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when tapegrad is over {TARGET:g}x"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown workload {' '.join(unknown)}; choose from {' '.join(names)}")
    if min(args.mlp_repeats, args.chain_repeats) < 1:
        parser.error("repeats must be at least 1")
    return args


def _backend(name: str) -> Backend:
    if name == "numpy":
        return numpy_backend()
    try:
        return cupy_backend()
    except Exception as exc:  # no CuPy, or no usable GPU
        _abort(
            f"cannot use CuPy ({type(exc).__name__}: {exc}); "
            "try the script on the CPU with --backend numpy --small"
        )


def _abort(message: str):
    print(f"ABORT: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def _header(backend: Backend, env: Torch | None, note: str, args) -> dict:
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    versions.update(backend.versions)
    if env is not None:
        versions.update(torch_versions(env))
    versions["tapegrad"] = tg.__version__
    compat = importlib.util.find_spec("array_api_compat") is not None
    versions["array-api-compat"] = "installed" if compat else "not installed"
    print(
        f"tapegrad on {backend.name} against hand-written {backend.name} (the floor) and "
        "PyTorch: one forward and backward pass per call"
    )
    print(f"device  : {backend.device}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(
        "timing  : device synchronized before and after each call; median, p10 and p90 of the "
        f"calls, in {ROUNDS} interleaved rounds after warm-up calls"
        + ("; --small sizes" if args.small else "")
    )
    if backend.name == "numpy":
        print("note    : NumPy backend: a dry run of the script; its times are not the benchmark")
    if note:
        print(f"note    : {note}")
    print(flush=True)
    return versions


def main(argv=None) -> int:
    args = _parse(argv)
    start = perf_counter()
    backend = _backend(args.backend)
    env, note = load_torch(backend, not args.no_torch)
    versions = _header(backend, env, note, args)
    sizes = SMALL if args.small else FULL
    chosen = [
        w
        for w in workloads(args.mlp_repeats, args.chain_repeats)
        if not args.names or w.name in args.names
    ]
    report = {
        "backend": backend.name,
        "device": backend.device,
        "small": args.small,
        "versions": versions,
        "rtol": RTOL,
        "target": TARGET,
        "rounds": ROUNDS,
        "notes": [note] if note else [],
        "workloads": {w.name: _run_guarded(w, backend, env, sizes) for w in chosen},
    }
    report["total_s"] = perf_counter() - start
    print(f"total time {report['total_s']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"figures written to {args.json}")
    records = report["workloads"].values()
    broken = any(r["failed"] for r in records)
    missed = any(not c.get("meets_target", True) for r in records for c in r["columns"].values())
    return 1 if broken or (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
