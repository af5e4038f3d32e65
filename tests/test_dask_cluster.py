"""tapegrad on a dask.distributed cluster of worker processes, with data generated on the workers.

One LocalCluster (2 worker processes x 1 thread) serves the module. The data are generated
lazily, chunk by chunk, by ``_chunk`` from a seed per chunk; each call appends the pid of the
process that ran it and the chunk's index to a log file of the test's own, so a test can tell
how often, and in which processes, the data were generated. The NumPy references come from the
same generator, called here.
"""

import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

import tapegrad as tg  # noqa: E402

pytestmark = pytest.mark.cluster

ROWS, FEATURES, CHUNKS = 2_000_000, 20, 40  # 320 MB of features, generated on the workers
SMALL_ROWS, SMALL_CHUNKS = 200_000, 8


# -- the data ------------------------------------------------------------------------------------
def _chunk(index: int, rows: int, seed: int = 0) -> np.ndarray:
    """Chunk ``index``: ``rows`` rows of features and, in the last column, 0/1 labels."""
    rng = np.random.default_rng([seed, index])
    x = rng.standard_normal((rows, FEATURES))
    true_w = np.random.default_rng([seed, 2**32 - 1]).standard_normal(FEATURES) / 2
    y = rng.random(rows) < 1 / (1 + np.exp(-(x @ true_w)))
    return np.concatenate([x, y[:, None]], axis=1)


def _logged_chunk(log: str, seed: int, block_info=None) -> np.ndarray:
    index = block_info[None]["chunk-location"][0]
    with open(log, "a") as f:  # one short append per call: whole lines, even from two processes
        f.write(f"{os.getpid()} {index}\n")
    return _chunk(index, block_info[None]["chunk-shape"][0], seed)


def _never(block_info=None):
    raise AssertionError("a chunk was computed")


def dask_data(log, rows=ROWS, chunks=CHUNKS, seed=0):
    """Features and labels as lazy Dask arrays of ``chunks`` row chunks, made by ``_chunk``."""
    data = da.map_blocks(
        _logged_chunk,
        str(log),
        seed,
        chunks=((rows // chunks,) * chunks, (FEATURES + 1,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    return data[:, :FEATURES], data[:, FEATURES]


def numpy_data(rows=ROWS, chunks=CHUNKS, seed=0):
    data = np.concatenate([_chunk(i, rows // chunks, seed) for i in range(chunks)])
    return data[:, :FEATURES], data[:, FEATURES]


def calls(log) -> list:
    """(pid, chunk index) of every call of the generator so far."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [tuple(int(v) for v in line.split()) for line in f]


def start_weights(seed=1):
    return np.random.default_rng(seed).standard_normal(FEATURES) / 4


def logistic_loss(X, y, w):
    z = X @ w
    return tg.mean(tg.nn.softplus(z) - y * z)


def numpy_loss_and_gradient(x, y, w):
    z = x @ w
    return np.mean(np.logaddexp(0, z) - y * z), x.T @ (1 / (1 + np.exp(-z)) - y) / len(y)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def log(tmp_path):
    return tmp_path / "chunk-calls.log"


# -- the gradient on the cluster -----------------------------------------------------------------
def test_logistic_gradient_over_two_million_rows_equals_numpy_and_ran_on_the_workers(client, log):
    X, y = dask_data(log)
    w0 = start_weights()
    w = tg.Variable(da.from_array(w0, chunks=-1))
    with distributed.get_task_stream(client) as stream:
        with tg.GradientTape() as tape:
            loss = logistic_loss(tg.constant(X), tg.constant(y), w)
        grad = tape.gradient(loss, w)
        assert calls(log) == []  # recording and differentiating computed nothing
        loss, grad = tg.persist(loss, grad)
        loss_value, grad_value = float(loss), grad.numpy()

    expected_loss, expected_grad = numpy_loss_and_gradient(*numpy_data(), w0)
    assert abs(loss_value - expected_loss) <= 1e-10
    np.testing.assert_allclose(grad_value, expected_grad, rtol=0, atol=1e-10)

    # every chunk was generated once (loss and gradient in one pass), each in a worker process
    records = calls(log)
    assert sorted(index for _, index in records) == list(range(CHUNKS))
    pids = {pid for pid, _ in records}
    worker_pids = client.run(os.getpid)  # worker address -> its pid
    assert os.getpid() not in pids
    assert pids == set(worker_pids.values()), "both workers should have generated chunks"
    # and the scheduler saw the whole computation run on the workers: the generator's tasks
    # and the reductions that turned 2,000,000 rows into a loss and 20 gradient entries
    ran = [(str(task["key"]), task["worker"]) for task in stream.data]
    assert {worker for _, worker in ran} <= set(worker_pids)
    assert sum("_logged_chunk" in key for key, _ in ran) == CHUNKS
    assert len(ran) > 2 * CHUNKS


def test_a_second_step_reuses_the_cluster_and_matches_numpy(client, log):
    """An optimizer step persists the variable on the workers; the next gradient uses it."""
    X, y = dask_data(log, SMALL_ROWS, SMALL_CHUNKS)
    X, y = tg.constant(X), tg.constant(y)
    w0 = start_weights()
    w = tg.Variable(da.from_array(w0, chunks=-1))
    opt = tg.optimizers.SGD(learning_rate=0.5)
    x_np, y_np = numpy_data(SMALL_ROWS, SMALL_CHUNKS)
    expected = w0.copy()
    for _ in range(2):
        with tg.GradientTape() as tape:
            loss = logistic_loss(X, y, w)
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        expected -= 0.5 * numpy_loss_and_gradient(x_np, y_np, expected)[1]
    assert "backend=dask" in repr(w)
    np.testing.assert_allclose(w.numpy(), expected, rtol=0, atol=1e-12)
    # each step was computed once, when it was applied, and w.numpy() only fetched the result;
    # persist returns before the work is done, so the scheduler may have run both steps at
    # once, and then they shared the chunks
    assert SMALL_CHUNKS <= len(calls(log)) <= 2 * SMALL_CHUNKS
    assert os.getpid() not in {pid for pid, _ in calls(log)}


# -- laziness: printing, .numpy(), gradients -----------------------------------------------------
def test_a_dask_tensor_prints_shape_dtype_and_backend_without_computing(client):
    never = da.map_blocks(
        _never, chunks=((1000,) * 4, (3,)), dtype=np.float64, meta=np.empty((0, 0))
    )
    t = tg.constant(never)
    v = tg.Variable(never, name="v")
    s = tg.sum(tg.exp(t) * 2.0, axis=0)
    assert str(t) == "tg.Tensor(<not computed>, shape=(4000, 3), dtype=float64, backend=dask)"
    assert repr(t) == (
        "<tg.Tensor: shape=(4000, 3), dtype=float64, backend=dask, numpy=<not computed>>"
    )
    assert (
        str(v)
        == repr(v)
        == ("<tg.Variable 'v:0' shape=(4000, 3) dtype=float64, backend=dask, numpy=<not computed>>")
    )
    assert str(s) == "tg.Tensor(<not computed>, shape=(3,), dtype=float64, backend=dask)"
    assert (t.shape, t.dtype, t.ndim, t.size, len(t)) == ((4000, 3), tg.float64, 2, 12000, 4000)
    with pytest.raises(AssertionError, match="a chunk was computed"):
        s.numpy()


def test_numpy_computes_a_dask_tensor_on_the_workers(client, log):
    X, _ = dask_data(log, SMALL_ROWS, SMALL_CHUNKS)
    t = tg.constant(X)
    assert calls(log) == []
    value = t.numpy()
    assert type(value) is np.ndarray
    np.testing.assert_array_equal(value, numpy_data(SMALL_ROWS, SMALL_CHUNKS)[0])
    assert sorted(i for _, i in calls(log)) == list(range(SMALL_CHUNKS))
    assert os.getpid() not in {pid for pid, _ in calls(log)}
    np.testing.assert_array_equal(np.asarray(t[:5]), value[:5])


def test_the_gradient_of_a_dask_tensor_is_a_dask_tensor(client, log):
    X, y = dask_data(log, SMALL_ROWS, SMALL_CHUNKS)
    x, labels = tg.constant(X), tg.constant(y)
    w0 = start_weights()
    w = tg.Variable(da.from_array(w0, chunks=-1))
    with tg.GradientTape() as tape:
        tape.watch(x)
        loss = logistic_loss(x, labels, w)
    gx, gw = tape.gradient(loss, [x, w])
    assert calls(log) == []
    assert str(gw) == "tg.Tensor(<not computed>, shape=(20,), dtype=float64, backend=dask)"
    assert str(gx) == (
        f"tg.Tensor(<not computed>, shape=({SMALL_ROWS}, 20), dtype=float64, backend=dask)"
    )
    x_np, y_np = numpy_data(SMALL_ROWS, SMALL_CHUNKS)
    p = 1 / (1 + np.exp(-(x_np @ w0)))
    gx, gw = tg.persist(gx, gw)
    np.testing.assert_allclose(gw.numpy(), x_np.T @ (p - y_np) / SMALL_ROWS, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gx.numpy(), np.outer(p - y_np, w0) / SMALL_ROWS, rtol=0, atol=1e-15)


_LOSSES = {
    "softplus": lambda z, y: tg.nn.softplus(z) - y * z,
    "sigmoid_cross_entropy": lambda z, y: tg.nn.sigmoid_cross_entropy(y, z),
    "log_sigmoid": lambda z, y: (
        -y * tg.log(tg.nn.sigmoid(z)) - (1 - y) * tg.log1p(-tg.nn.sigmoid(z))
    ),
}


@pytest.mark.parametrize("name", list(_LOSSES))
def test_building_gradients_and_hessians_computes_nothing(client, log, name):
    X, y = dask_data(log, 8_000, SMALL_CHUNKS)
    X, y = tg.constant(X), tg.constant(y)
    w = tg.Variable(da.from_array(start_weights(), chunks=-1))
    with tg.GradientTape() as tape:
        loss = tg.mean(_LOSSES[name](X @ w, y))
    grad = tape.gradient(loss, w)
    hessian = tg.hessian(lambda v: tg.mean(_LOSSES[name](X @ v, y)))(tg.constant(w))
    assert len(calls(log)) == 0, f"{len(calls(log)) / SMALL_CHUNKS:g} passes over the data"
    assert "backend=dask" in str(hessian) and hessian.shape == (FEATURES, FEATURES)
    grad, hessian = tg.persist(grad, hessian)
    grad.numpy(), hessian.numpy()
    assert len(calls(log)) == SMALL_CHUNKS  # persist: one pass for both


# -- tg.persist ----------------------------------------------------------------------------------
def test_persist_computes_tensors_together_and_keeps_them_on_the_workers(client, log):
    X, y = dask_data(log, SMALL_ROWS, SMALL_CHUNKS)
    w = tg.Variable(da.from_array(start_weights(), chunks=-1))
    with tg.GradientTape() as tape:
        loss = logistic_loss(tg.constant(X), tg.constant(y), w)
    grad = tape.gradient(loss, w)
    # without persist, each tensor is its own recipe: two computations, two passes
    loss_value, grad_value = float(loss), grad.numpy()
    assert len(calls(log)) == 2 * SMALL_CHUNKS
    # persist computes both in one pass (on a cluster it starts the work and returns), and
    # keeps the results on the workers: reading them computes nothing more
    persisted = tg.persist(loss, grad)
    assert type(persisted) is tuple and len(persisted) == 2
    loss_p, grad_p = persisted
    assert loss_p is not loss and grad_p is not grad
    assert "backend=dask" in str(loss_p) and "backend=dask" in str(grad_p)
    for _ in range(3):
        assert float(loss_p) == loss_value
        np.testing.assert_array_equal(grad_p.numpy(), grad_value)
    assert len(calls(log)) == 3 * SMALL_CHUNKS
    assert os.getpid() not in {pid for pid, _ in calls(log)}


def test_a_persisted_tensor_is_the_same_value_to_the_tape(client, log):
    X, y = dask_data(log, SMALL_ROWS, SMALL_CHUNKS)
    w0 = start_weights()
    w = tg.Variable(da.from_array(w0, chunks=-1))
    labels = tg.constant(y)
    with tg.GradientTape() as tape:
        z = tg.persist(tg.constant(X) @ w)  # the logits computed now, kept on the workers
        loss = tg.mean(tg.nn.softplus(z) - labels * z)
    grad = tape.gradient(loss, w)
    assert grad is not None and "backend=dask" in str(grad)
    expected = numpy_loss_and_gradient(*numpy_data(SMALL_ROWS, SMALL_CHUNKS), w0)[1]
    np.testing.assert_allclose(grad.numpy(), expected, rtol=0, atol=1e-12)


def test_persist_updates_variables_in_place_and_passes_numpy_tensors_through(client, log):
    X, _ = dask_data(log, SMALL_ROWS, SMALL_CHUNKS)
    v = tg.Variable(tg.sum(tg.constant(X), axis=0))
    n = tg.constant([1.0, 2.0])
    assert calls(log) == []
    assert tg.persist(v) is v  # one argument: the tensor itself, not a tuple
    assert "backend=dask" in repr(v)
    for _ in range(2):
        np.testing.assert_allclose(v.numpy(), numpy_data(SMALL_ROWS, SMALL_CHUNKS)[0].sum(axis=0))
    assert len(calls(log)) == SMALL_CHUNKS  # computed once, by persist
    same_v, same_n = tg.persist(v, n)
    assert same_v is v and same_n is n
    assert tg.persist(n) is n
    with pytest.raises(TypeError, match="persist takes tensors and variables, not Array"):
        tg.persist(X)
