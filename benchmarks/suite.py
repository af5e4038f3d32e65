"""The timed workloads: each pairs a tapegrad callable with its NumPy floor and a target ratio.

``prepare`` builds both, checks once that they compute the same numbers (so a wrong benchmark
cannot pass silently), and returns the two callables to time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import bare_tape, floors, workloads

RTOL = 1e-5
RTOL_FLOAT64 = 1e-8  # the float64 derivative workloads must agree with their floors this closely


class MismatchError(AssertionError):
    """tapegrad and the floor disagree: the benchmark would time different computations."""


def as_numpy(value) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def check_close(name: str, what: str, actual, expected, rtol: float = RTOL) -> None:
    """Norm-wise relative agreement: ``|actual - expected| <= rtol * |expected|``."""
    a = as_numpy(actual).astype(np.float64)
    e = as_numpy(expected).astype(np.float64)
    if a.shape != e.shape:
        raise MismatchError(f"{name}: {what} has shape {a.shape}, the floor's {e.shape}")
    err = float(np.linalg.norm(a - e))
    scale = float(np.linalg.norm(e))
    if not err <= rtol * max(scale, np.finfo(np.float64).tiny):
        raise MismatchError(
            f"{name}: {what} differs from the floor's by {err:.3g} (relative "
            f"{err / max(scale, 1e-300):.3g}, allowed {rtol:g})"
        )


@dataclass
class Case:
    name: str
    target: float | None  # the largest acceptable tapegrad / floor ratio (None: for information)
    summary: str
    prepare: Callable[[], tuple[Callable[[], object], Callable[[], object]]]
    # BLAS threads for both sides (None: the machine's default); see ``note``
    blas_threads: int | None = None
    note: str = ""


def _seed_grad():
    run = workloads.make_seed_grad()
    z, (gx, gy) = run()
    fz, (fgx, fgy) = floors.seed_grad()
    for what, a, e in (("z", z, fz), ("dz/dx", gx, fgx), ("dz/dy", gy, fgy)):
        check_close("seed_grad", what, a, e)
    return run, floors.seed_grad


def _seed_sgd():
    check_close("seed_sgd", "final x", workloads.seed_sgd(), floors.seed_sgd())
    return workloads.make_seed_sgd(), floors.seed_sgd


def _chain():
    x0 = np.random.default_rng(0).standard_normal(100)
    run = workloads.make_chain(x0, steps=2000)
    check_close("chain", "gradient", run(), floors.chain(x0, steps=2000))
    return run, lambda: floors.chain(x0, steps=2000)


def _mlp(name: str, batch: int, sizes: list[int]):
    def prepare():
        X, labels, weights, biases = floors.mlp_data(batch, sizes)
        model = workloads.MLP(X, labels, weights, biases, lr=0.01)
        floor_w = [W.copy() for W in weights]
        floor_b = [b.copy() for b in biases]
        # one step each from the same state: the losses, gradients and new weights must agree
        loss, grads = model.gradients()
        floor_grads: list = []
        floor_loss = floors.mlp_step(X, labels, floor_w, floor_b, grads=floor_grads)
        check_close(name, "loss", loss, floor_loss)
        n = len(weights)
        for i, dW, db in floor_grads:
            check_close(name, f"dW{i}", grads[i], dW)
            check_close(name, f"db{i}", grads[n + i], db)
        model.optimizer.apply_gradients(zip(grads, model.variables, strict=True))
        for i in range(n):
            check_close(name, f"W{i} after the update", model.weights[i], floor_w[i])
            check_close(name, f"b{i} after the update", model.biases[i], floor_b[i])
        return model.step, lambda: floors.mlp_step(X, labels, floor_w, floor_b)

    return prepare


def _seed_grad_bare():
    z, (gx, gy) = bare_tape.seed_grad()
    fz, (fgx, fgy) = floors.seed_grad()
    for what, a, e in (("z", z, fz), ("dz/dx", gx, fgx), ("dz/dy", gy, fgy)):
        check_close("seed_grad_bare", what, a, e)
    return bare_tape.seed_grad, floors.seed_grad


def _chain_bare():
    x0 = np.random.default_rng(0).standard_normal(100)
    check_close("chain_bare", "gradient", bare_tape.chain(x0, 2000), floors.chain(x0, steps=2000))
    return lambda: bare_tape.chain(x0, 2000), lambda: floors.chain(x0, steps=2000)


def _seed_sgd_bare():
    check_close("seed_sgd_bare", "final x", bare_tape.seed_sgd(), floors.seed_sgd())
    return bare_tape.seed_sgd, floors.seed_sgd


def _mlp_bare(name: str, batch: int, sizes: list[int]):
    def prepare():
        X, labels, weights, biases = floors.mlp_data(batch, sizes)
        model = bare_tape.MLP(X, labels, [W.copy() for W in weights], [b.copy() for b in biases])
        floor_w = [W.copy() for W in weights]
        floor_b = [b.copy() for b in biases]
        check_close(name, "loss", model.step(), floors.mlp_step(X, labels, floor_w, floor_b))
        for i, (W, b) in enumerate(zip(model.weights, model.biases, strict=True)):
            check_close(name, f"W{i} after the update", W.v, floor_w[i])
            check_close(name, f"b{i} after the update", b.v, floor_b[i])
        return model.step, lambda: floors.mlp_step(X, labels, floor_w, floor_b)

    return prepare


BARE_NOTE = (
    "a yardstick, not tapegrad: the same workload on benchmarks/bare_tape.py, a tape with no "
    "checks and no features, shows what recording and walking back costs in any Python tape"
)


DERIVATIVES_NOTE = (
    "runs with 1 BLAS thread on both sides: on a busy machine, waking BLAS threads for the "
    "floor's few matrix products makes its time swing tenfold, so the ratio would say nothing "
    "(--blas-threads N overrides)"
)


def _hessian(how: str):
    def prepare():
        A, x = floors.hessian_data()
        run = workloads.make_hessian(A, x, how)
        check_close(f"hessian ({how})", "Hessian", run(), floors.hessian(A, x), RTOL_FLOAT64)
        return run, lambda: floors.hessian(A, x)

    return prepare


def _jacobian(how: str):
    def prepare():
        W1, W2, x = floors.jacobian_data()
        run = workloads.make_jacobian(W1, W2, x, how)
        expected = floors.jacobian(W1, W2, x)
        check_close(f"jacobian ({how})", "Jacobian", run(), expected, RTOL_FLOAT64)
        return run, lambda: floors.jacobian(W1, W2, x)

    return prepare


CASES = [
    Case(
        "seed_grad",
        20.0,
        "z = x**2 + y**2 + 1, gradient wrt two float32 Variables, a new tape per call",
        _seed_grad,
    ),
    Case(
        "seed_grad_bare",
        None,
        "seed_grad on the bare tape (benchmarks/bare_tape.py)",
        _seed_grad_bare,
        note=BARE_NOTE,
    ),
    Case(
        "seed_sgd",
        25.0,
        "100 SGD(0.1) steps on x**2 + 2x + 1 from x = 0 (float32)",
        _seed_sgd,
    ),
    Case(
        "seed_sgd_bare",
        None,
        "seed_sgd on the bare tape (benchmarks/bare_tape.py)",
        _seed_sgd_bare,
        note=BARE_NOTE,
    ),
    Case(
        "chain",
        3.0,
        "2000 steps of y = sin(y) * 1.0001 on 100 float64, then d sum(y) / d x0",
        _chain,
    ),
    Case(
        "chain_bare",
        None,
        "chain on the bare tape (benchmarks/bare_tape.py)",
        _chain_bare,
        note=BARE_NOTE,
    ),
    Case(
        "mlp_small",
        1.5,
        "one SGD training step, 64-128-10 ReLU MLP, batch 64, float32",
        _mlp("mlp_small", 64, [64, 128, 10]),
        blas_threads=1,
        note=(
            "runs with 1 BLAS thread on both sides: its matrices are too small to gain from "
            "threads, and waking BLAS threads on a busy machine would dominate both timings"
        ),
    ),
    Case(
        "mlp_small_bare",
        None,
        "mlp_small on the bare tape (benchmarks/bare_tape.py)",
        _mlp_bare("mlp_small_bare", 64, [64, 128, 10]),
        blas_threads=1,
        note=BARE_NOTE,
    ),
    Case(
        "mlp_large",
        1.1,
        "one SGD training step, 784-2048-2048-10 ReLU MLP, batch 1024, float32",
        _mlp("mlp_large", 1024, [784, 2048, 2048, 10]),
    ),
    Case(
        "hessian",
        3.0,
        "Hessian of sum(tanh(A @ x)), n = 200, float64, tg.hessian (forward over reverse)",
        _hessian("hessian"),
        blas_threads=1,
        note=DERIVATIVES_NOTE,
    ),
    Case(
        "hessian_tape",
        None,
        "the same Hessian by tape.hessian on a persistent tape (x a Variable)",
        _hessian("tape"),
        blas_threads=1,
        note=DERIVATIVES_NOTE,
    ),
    Case(
        "hessian_fwdrev",
        None,
        "the same Hessian by tg.jacfwd(tg.jacrev(f))",
        _hessian("fwdrev"),
        blas_threads=1,
        note=DERIVATIVES_NOTE,
    ),
    Case(
        "hessian_revrev",
        None,
        "the same Hessian by tg.jacrev(tg.jacrev(f))",
        _hessian("revrev"),
        blas_threads=1,
        note=DERIVATIVES_NOTE,
    ),
    Case(
        "jacobian",
        3.0,
        "Jacobian of tanh(W2 @ tanh(W1 @ x)), 300 inputs and outputs, float64, tg.jacobian",
        _jacobian("jacobian"),
        blas_threads=1,
        note=DERIVATIVES_NOTE,
    ),
    Case(
        "jacobian_fwd",
        None,
        "the same Jacobian by tg.jacfwd (forward mode, all 300 tangents in one pass)",
        _jacobian("jacfwd"),
        blas_threads=1,
        note=DERIVATIVES_NOTE,
    ),
]
