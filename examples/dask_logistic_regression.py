"""Logistic regression on more data than the machine's memory holds: tapegrad on Dask arrays.

The data are synthetic and never stored anywhere: each chunk of rows is generated on a Dask
worker when a step needs it, from a seed of its own, and dropped once the worker has reduced it
to that chunk's share of the loss, gradient and Hessian. The default, 200,000,000 rows of 20
float64 features and a label, is 33.6 GB. The model has 20 weights and an intercept; the loss is
the mean logistic loss ``softplus(z) - y z`` of the logits ``z = X w + b``, written with tapegrad
operations on the Dask arrays. Each Newton step takes the loss and gradient from
``tg.value_and_grad`` and the Hessian from ``tg.hessian``, computes all three together with
``tg.persist`` (one pass over the data), and solves the 21 x 21 system on the client. The rows
are taken in batches (``--batch-rows``, by default 8 chunks per worker thread), one after
another, so that a step needs memory for one batch whatever the size of the data. Newton's
method converges quadratically: about six steps from the start.

    python examples/dask_logistic_regression.py                      # 200M rows: 33.6 GB
    python examples/dask_logistic_regression.py --rows 2000000 --workers 2
    python examples/dask_logistic_regression.py --scheduler tcp://10.0.0.5:8786
    python examples/dask_logistic_regression.py --check              # against scikit-learn

Without ``--scheduler`` it starts a ``dask.distributed.LocalCluster`` of ``--workers`` worker
processes on this machine; with it, it connects to that cluster's scheduler and runs there (the
workers need NumPy, Dask and tapegrad installed). ``--check`` fits a subset small enough for
memory (``--rows``, default 200,000) to convergence and compares the coefficients with
scikit-learn's unpenalized ``LogisticRegression`` on the same rows.

Needs Dask (pip install 'tapegrad[dask]'); ``--check`` needs scikit-learn too.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time

import numpy as np

import tapegrad as tg

DEFAULT_ROWS = 200_000_000
CHUNK_ROWS = 500_000  # 84 MB a chunk
CHECK_ROWS = 200_000
CHECK_CHUNK_ROWS = 25_000
# Each step computes this many chunks per worker thread at once: a step's graph holds about
# 250 bytes per row of a batch until the batch is done (whether written with tapegrad or by
# hand), so the batches, not the data, set the memory a step needs: about 1 GB per thread.
BATCH_CHUNKS_PER_THREAD = 8
CHECK_MAX_ROWS = 5_000_000  # --check holds the rows in this process for scikit-learn
TRUE_INTERCEPT = -1.0  # about 30% positive labels


# -- the data: generated per chunk, on the workers ------------------------------------------------
def true_coefficients(features: int, seed: int) -> np.ndarray:
    """The weights and intercept the labels are drawn from."""
    w = np.random.default_rng([seed, 2**32 - 1]).standard_normal(features)
    return np.append(w * 1.5 / math.sqrt(features), TRUE_INTERCEPT)


def make_chunk(index: int, rows: int, features: int, seed: int) -> np.ndarray:
    """Chunk ``index``: ``rows`` rows of ``features`` standard normal features and, in the last
    column, a label drawn from the logistic model. The same arguments give the same numbers."""
    rng = np.random.default_rng([seed, index])
    x = rng.standard_normal((rows, features))
    coef = true_coefficients(features, seed)
    p = 1.0 / (1.0 + np.exp(-(x @ coef[:-1] + coef[-1])))
    y = rng.random(rows) < p
    return np.concatenate([x, y[:, None]], axis=1)


def _dask_chunk(features, seed, block_info=None):
    info = block_info[None]
    return make_chunk(info["chunk-location"][0], info["chunk-shape"][0], features, seed)


def row_chunks(rows: int, chunk_rows: int) -> tuple:
    full, rest = divmod(rows, chunk_rows)
    return (chunk_rows,) * full + ((rest,) if rest else ())


def dask_data(rows: int, features: int, chunk_rows: int, seed: int = 0):
    """The features ``X`` (rows x features) and labels ``y`` as lazy Dask arrays: nothing is
    generated until a computation needs it, and then chunk by chunk on the workers."""
    import dask.array as da

    data = da.map_blocks(
        _dask_chunk,
        features,
        seed,
        chunks=(row_chunks(rows, chunk_rows), (features + 1,)),
        dtype=np.float64,
        meta=np.empty((0, 0), dtype=np.float64),
        name=f"synthetic-{rows}x{features}-{chunk_rows}-{seed}",
    )
    return data[:, :features], data[:, features]


def numpy_data(rows: int, features: int, chunk_rows: int, seed: int = 0):
    """The same rows as ``dask_data``, generated here as one NumPy array (for --check)."""
    parts = [make_chunk(i, n, features, seed) for i, n in enumerate(row_chunks(rows, chunk_rows))]
    data = np.concatenate(parts)
    return data[:, :features], data[:, features]


# -- the model ------------------------------------------------------------------------------------
def mean_logistic_loss(theta, X, y):
    """The mean logistic loss of the weights ``theta[:-1]`` and intercept ``theta[-1]``."""
    z = X @ theta[:-1] + theta[-1]
    return tg.mean(tg.nn.softplus(z) - y * z)


def batch_terms(theta: np.ndarray, X, y):
    """Loss, gradient and Hessian of the mean loss over the rows of ``X`` and ``y`` at
    ``theta``, computed together on the workers (one pass over these rows), as NumPy values."""
    import dask.array as da

    def loss_of(coefficients):
        return mean_logistic_loss(coefficients, X, y)

    at = tg.constant(da.from_array(theta, chunks=-1))
    loss, grad = tg.value_and_grad(loss_of)(at)
    hessian = tg.hessian(loss_of)(at)
    loss, grad, hessian = tg.persist(loss, grad, hessian)  # the one pass over the data
    return float(loss), grad.numpy(), hessian.numpy()


def batches(X, y, batch_rows: int) -> list:
    """The rows in consecutive batches of ``batch_rows``, as tapegrad tensors."""
    rows = X.shape[0]
    return [
        (tg.constant(X[start : start + batch_rows]), tg.constant(y[start : start + batch_rows]))
        for start in range(0, rows, batch_rows)
    ]


def newton_step(theta: np.ndarray, parts: list, rows: int, progress=None):
    """The loss, gradient and Hessian of the mean loss over all rows at ``theta``, and the
    Newton step ``-H^-1 g`` (solved here: it is 21 x 21). The mean over all rows is the mean of
    the batches' means, each weighted by its share of the rows; the batches are computed one
    after another, so that the cluster never holds more than one batch's intermediates."""
    loss, grad, hessian = 0.0, 0.0, 0.0
    for X, y in parts:
        share = X.shape[0] / rows
        batch_loss, batch_grad, batch_hessian = batch_terms(theta, X, y)
        loss += share * batch_loss
        grad = grad + share * batch_grad
        hessian = hessian + share * batch_hessian
        if progress is not None:
            progress.update(X.shape[0])
    return loss, grad, np.linalg.solve(hessian, -grad)


def fit(X, y, steps: int, tolerance: float, batch_rows: int, progress: bool = True):
    """Newton's method from all weights 0 and the intercept of the intercept-only model, the
    log-odds of the positive rate (the usual start for a GLM, and one step fewer). Stops when
    the largest gradient entry is at most ``tolerance``. Returns the coefficients and the
    history of (loss, largest gradient entry, seconds) per step."""
    rows, features = X.shape
    start = time.perf_counter()
    rate = float(tg.mean(tg.constant(y)))  # a pass over the data
    theta = np.zeros(features + 1)
    theta[-1] = math.log(rate / (1.0 - rate))
    if progress:
        print(
            f"step 0: positive rate {rate:.6f}, intercept {theta[-1]:+.6f}, "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
    parts = batches(X, y, batch_rows)
    history = []
    for step in range(1, steps + 1):
        began = time.perf_counter()
        with _progress_bar(rows, f"step {step}", progress and len(parts) > 1) as bar:
            loss, grad, delta = newton_step(theta, parts, rows, bar)
        largest = float(np.abs(grad).max())
        now = time.perf_counter()
        history.append((loss, largest, now - began))
        if progress:
            print(
                f"step {step}/{steps}: loss {loss:.12f}, largest gradient entry "
                f"{largest:.3e}, {now - began:.1f} s (total {now - start:.1f} s)",
                flush=True,
            )
        if largest <= tolerance:  # converged: the step would not change the loss
            break
        theta = theta + delta
    return theta, history


@contextlib.contextmanager
def _progress_bar(total: int, description: str, show: bool):
    """A tqdm bar over the rows of one step, where tqdm is installed and ``show`` holds."""
    try:
        from tqdm import tqdm
    except ImportError:
        show = False
    if not show:
        yield None
        return
    with tqdm(total=total, desc=description, unit=" rows", unit_scale=True, leave=False) as bar:
        yield bar


def fit_sklearn(x, y) -> np.ndarray:
    import sklearn
    from sklearn.linear_model import LogisticRegression

    # no penalty: C=inf from scikit-learn 1.8 (which deprecates penalty), penalty=None before
    newer = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 8)
    options = {"C": np.inf} if newer else {"penalty": None}
    model = LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=100, **options)
    model.fit(x, y)
    return np.append(model.coef_[0], model.intercept_[0])


# -- the command line -----------------------------------------------------------------------------
def _parse(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help=f"rows of data (default {DEFAULT_ROWS:,}; {CHECK_ROWS:,} with --check)",
    )
    parser.add_argument("--features", type=int, default=20, help="features per row (20)")
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        help=f"rows per Dask chunk (default {CHUNK_ROWS:,}; {CHECK_CHUNK_ROWS:,} with --check)",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=None,
        help=f"rows computed at once (default {BATCH_CHUNKS_PER_THREAD} chunks per worker thread)",
    )
    parser.add_argument("--steps", type=int, default=10, help="at most this many Newton steps")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-10,
        help="stop when the largest gradient entry is at most this (1e-10)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the data's seed (0)")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="connect to this Dask scheduler (tcp://host:8786) instead of starting a LocalCluster",
    )
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes (2)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per LocalCluster worker (1)"
    )
    parser.add_argument(
        "--dashboard",
        metavar="ADDRESS",
        default=None,
        help="serve the LocalCluster's dashboard there, e.g. :8787 (default: none)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="fit a subset that fits in memory to convergence and compare with scikit-learn",
    )
    args = parser.parse_args(argv)
    if args.rows is None:
        args.rows = CHECK_ROWS if args.check else DEFAULT_ROWS
    if args.chunk_rows is None:
        args.chunk_rows = CHECK_CHUNK_ROWS if args.check else CHUNK_ROWS
    if args.check:
        if args.rows > CHECK_MAX_ROWS:
            parser.error(f"--check holds the data in memory: use --rows <= {CHECK_MAX_ROWS:,}")
        args.steps = max(args.steps, 20)  # to convergence
    for name in ("rows", "features", "chunk_rows", "batch_rows", "steps", "workers", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def _client(args):
    from distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
        return client, None, f"the cluster at {args.scheduler}"
    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=args.threads,
        processes=True,
        dashboard_address=args.dashboard,
    )
    client = Client(cluster)
    where = (
        f"a LocalCluster of {_plural(args.workers, 'worker process', 'es')}, "
        f"{_plural(args.threads, 'thread')} each"
    )
    if args.dashboard:
        where += f", dashboard {client.dashboard_link}"
    return client, cluster, where


def _plural(n: int, noun: str, suffix: str = "s") -> str:
    return f"{n} {noun}{'' if n == 1 else suffix}"


def _size(nbytes: int) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e9 else f"{nbytes / 1e6:.1f} MB"


def main(argv=None) -> dict:
    args = _parse(argv)
    client, cluster, where = _client(args)
    try:
        X, y = dask_data(args.rows, args.features, args.chunk_rows, args.seed)
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        batch_rows = args.batch_rows or BATCH_CHUNKS_PER_THREAD * max(threads, 1) * args.chunk_rows
        batch_rows = min(batch_rows, args.rows)
        size = args.rows * (args.features + 1) * 8
        print(
            f"{args.rows:,} rows x {args.features} features + label, float64: {_size(size)} in "
            f"{_plural(X.numblocks[0], 'chunk')}, generated on the workers at every step"
        )
        print(
            f"running on {where}; batches of {batch_rows:,} rows "
            f"({_plural(math.ceil(args.rows / batch_rows), 'batch', 'es')} a step)",
            flush=True,
        )
        coef, history = fit(X, y, args.steps, args.tolerance, batch_rows)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"weights  : {np.array2string(coef[:-1], precision=4, max_line_width=100)}")
    print(f"intercept: {coef[-1]:+.6f}")
    truth = true_coefficients(args.features, args.seed)
    print(f"largest difference from the true coefficients: {np.abs(coef - truth).max():.2e}")
    result = {"coef": coef, "history": history, "rows": args.rows}
    if args.check:
        x_np, y_np = numpy_data(args.rows, args.features, args.chunk_rows, args.seed)
        reference = fit_sklearn(x_np, y_np)
        difference = float(np.abs(coef - reference).max())
        print(f"largest coefficient difference from scikit-learn: {difference:.2e}")
        result["difference"] = difference
        result["sklearn_coef"] = reference
    return result


if __name__ == "__main__":
    main()
