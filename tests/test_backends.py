"""The gradient table on other array libraries: every row's value, reverse-mode gradient,
forward-mode derivative and second derivative on the backend must equal NumPy's, and every
result must stay in the backend's library.

The backends are named by ``TAPEGRAD_TEST_BACKEND`` (comma-separated; ``numpy``,
``array_api_strict``, ``dask``, ``cupy``). Without it, every installed CPU backend runs:
array_api_strict proves that no NumPy-only call slips into the engine or the rules, Dask that
lazy, chunked arrays go through them. On a GPU machine::

    TAPEGRAD_TEST_BACKEND=cupy python -m pytest -m backend

needs only NumPy, CuPy, pytest and Hypothesis, and no install of tapegrad.
"""

from __future__ import annotations

import contextlib
import importlib
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gradients import ROWS, _inputs

import tapegrad as tg
from tapegrad._backend import backend_name
from tapegrad._state import per_thread

pytestmark = pytest.mark.backend


# -- the backends ----------------------------------------------------------------------------------
def _dask_array(a):
    import dask.array as da

    # two chunks along the first axis where there is one, so rules meet chunk boundaries
    chunks = tuple(max(1, (n + 1) // 2) if i == 0 else -1 for i, n in enumerate(a.shape))
    return da.from_array(a, chunks=chunks or ())


def _strict_array(a):
    import array_api_strict

    return array_api_strict.asarray(a)


def _strict_array_on_device1(a):
    import array_api_strict

    # a second device, whose arrays cannot meet the default device's: any array the engine or a
    # rule makes without naming the device of the values it works with fails there
    return array_api_strict.asarray(a, device=array_api_strict.Device("device1"))


def _cupy_array(a):
    import cupy

    return cupy.asarray(a)


CONVERTERS = {
    "numpy": lambda a: np.array(a),
    "array_api_strict": _strict_array,
    "array_api_strict_device1": _strict_array_on_device1,
    "dask": _dask_array,
    "cupy": _cupy_array,
}
MODULES = {"numpy": "numpy", "array_api_strict": "array_api_strict", "dask": "dask.array"}
MODULES["array_api_strict_device1"] = "array_api_strict"
MODULES["cupy"] = "cupy"
LIBRARY = {name: name for name in MODULES} | {"array_api_strict_device1": "array_api_strict"}


def _available(name):
    try:
        module = importlib.import_module(MODULES[name])
    except ImportError:
        return False
    if name == "cupy":
        try:
            return module.cuda.runtime.getDeviceCount() > 0
        except Exception:  # no driver, no device
            return False
    return True


def _requested():
    names = os.environ.get("TAPEGRAD_TEST_BACKEND")
    if names:
        requested = [n.strip() for n in names.split(",") if n.strip()]
        unknown = sorted(set(requested) - set(CONVERTERS))
        if unknown:
            raise ValueError(
                f"TAPEGRAD_TEST_BACKEND names unknown backends {unknown}: use {sorted(CONVERTERS)}"
            )
        return requested
    return ["array_api_strict", "array_api_strict_device1", "dask"]


BACKENDS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(not _available(name), reason=f"{name} is not available here"),
    )
    for name in _requested()
]

# Functions a backend's library lacks, in general or for some shapes (Dask factorizes single
# matrices only, and has no eigh, eig, det, slogdet or pinv; unique has a result of unknown size):
# each either matches NumPy or raises an error that names the backend and says what is not
# available, never computing somewhere else.
SPECIAL = {"digamma", "erf", "erfc", "erfinv", "gammaln", "polygamma"}
UNSUPPORTED = {
    "array_api_strict": SPECIAL | {"einsum", "tensordot"},
    "array_api_strict_device1": SPECIAL | {"einsum", "tensordot"},
    "dask": {"_unique_values", "_sort", "_eigh", "_qr", "_slogdet", "_svd", "cholesky", "det"}
    | {"boolean_mask"}
    | {"eigvalsh", "inv", "pinv", "solve", "svdvals", "linalg.eigh", "linalg.lstsq"}
    | {"linalg.matrix_norm", "linalg.matrix_power", "linalg.qr", "linalg.slogdet", "linalg.svd"}
    | {"_eig", "eigvals", "linalg.eig"}
    | {"solve_triangular", "linalg.cho_solve"},  # stacks: Dask solves one triangular matrix
    "cupy": {"_eig", "eigvals", "linalg.eig"},  # cupy.linalg.eig is recent (cuSOLVER's geev)
    "numpy": set(),
}


# -- one row on one backend ----------------------------------------------------------------------
def _derivatives(function, args, cotangent, tangents, directions, order):
    """Value, VJP with ``cotangent``, JVP along ``tangents`` and (order 2) the derivative of
    <VJP, directions> in reverse mode: each as an array of the arguments' library."""
    xs = [tg.constant(a) for a in args]
    with tg.GradientTape(persistent=True) as outer:
        outer.watch(xs)
        with tg.GradientTape() as inner:
            inner.watch(xs)
            out = function(*xs)
            projected = tg.sum(out * cotangent)
        grads = inner.gradient(projected, xs, unconnected_gradients="zero")
        second = tg.sum(tg.stack([tg.sum(g * d) for g, d in zip(grads, directions)]))
    hessian_vector = outer.gradient(second, xs, unconnected_gradients="zero") if order > 1 else []
    with tg.ForwardAccumulator(xs, tangents) as accumulator:
        forward_out = function(*xs)
    jvp = accumulator.jvp(forward_out, unconnected_gradients="zero")
    return [out, *grads, jvp, *hessian_vector]


def _to_backend(convert, value):
    if isinstance(value, np.ndarray):
        return convert(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_backend(convert, v) for v in value)
    if isinstance(value, dict):
        return {k: _to_backend(convert, v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(ROWS))
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_gradient_table_on_backend(backend, name, data):
    row = ROWS[name]
    shapes, kwargs = row.draw(data)
    args = _inputs(row, shapes, seed=3)
    rng = np.random.default_rng(4)
    reference_out = row.function(*[tg.constant(a) for a in args], **kwargs)
    cotangent = rng.normal(size=reference_out.shape)
    tangents = [rng.normal(size=a.shape) for a in args]
    directions = [rng.normal(size=a.shape) for a in args]
    function = lambda *a: row.function(*a, **kwargs)  # noqa: E731
    expected = _derivatives(function, args, cotangent, tangents, directions, row.order)

    convert = CONVERTERS[backend]
    moved = _to_backend(convert, [args, cotangent, tangents, directions, kwargs])
    on_backend = lambda *a: row.function(*a, **moved[4])  # noqa: E731
    try:
        with _nothing_computed(backend):  # on Dask, the graph is built without computing
            got = _derivatives(on_backend, *moved[:4], row.order)
    except (NotImplementedError, TypeError) as error:
        if name not in UNSUPPORTED[backend]:
            raise
        assert LIBRARY[backend] in str(error) and "not available" in str(error), str(error)
        return
    device = getattr(moved[0][0], "device", None) if moved[0] else None
    for what, have, want in zip(_labels(len(args), row.order), got, expected):
        if want.size:  # a zero-size result has no elements whose library could be checked
            library = backend_name(have._value)
            assert library == LIBRARY[backend], f"{name}: {what} left {backend}"
            assert getattr(have._value, "device", None) == device, f"{name}: {what} moved"
        np.testing.assert_allclose(
            have.numpy(), want.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{name}: {what}"
        )


def _nothing_computed(backend):
    """On Dask, a scheduler that refuses to run: building values, gradients and derivatives
    must not compute anything (``.numpy()`` computes, afterwards)."""
    if LIBRARY[backend] != "dask":
        return contextlib.nullcontext()
    import dask

    return dask.config.set(scheduler=_refuse_to_compute)


def _labels(n_args, order):
    labels = ["value", *(f"gradient {i}" for i in range(n_args)), "jvp"]
    return labels + [f"second derivative {i}" for i in range(n_args)] * (order > 1)


def test_out_of_range_labels_give_nan_without_computing_on_dask():
    """Checking labels would compute a Dask recipe (or wait for a GPU): as TensorFlow on a GPU,
    an out-of-range label gives its example a NaN loss, and the others are exact."""
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3))
    labels = np.array([0, 3, -1, 2])
    loss = tg.nn.sparse_softmax_cross_entropy(
        tg.constant(da.from_array(labels, chunks=2)), tg.constant(da.from_array(logits, chunks=2))
    )
    assert backend_name(loss._value) == "dask"
    value = loss.numpy()
    assert np.isnan(value[1]) and np.isnan(value[2])
    expected = tg.nn.sparse_softmax_cross_entropy(
        tg.constant(labels[[0, 3]]), tg.constant(logits[[0, 3]])
    )
    np.testing.assert_allclose(value[[0, 3]], expected.numpy(), rtol=1e-14)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        tg.nn.sparse_softmax_cross_entropy(tg.constant(labels), tg.constant(logits))


def _refuse_to_compute(*args, **kwargs):
    raise AssertionError("a Dask recipe was computed while building the graph")


def test_casts_of_dask_values_are_checked_in_each_block_not_computed_up_front():
    """A cast that could truncate or wrap is checked where Dask computes each block: building the
    tensor computes nothing, and the loss is refused, never silent, when it is computed."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    fractions = da.from_array(np.array([1.0, 2.0, 3.0, 4.5]), chunks=2)
    too_large = da.from_array(np.array([1, 2, 3, 2**40]), chunks=2)
    whole = da.from_array(np.array([1.0, -2.0, 3.0, 4.0]), chunks=2)
    with dask.config.set(scheduler=_refuse_to_compute):
        truncating = tg.constant(fractions, dtype=tg.int32)
        wrapping = tg.Variable(too_large, dtype=tg.int16)
        exact = tg.constant(whole, dtype=tg.int8)
    assert backend_name(exact._value) == "dask" and exact.dtype == tg.int8
    np.testing.assert_array_equal(exact.numpy(), np.array([1, -2, 3, 4], np.int8))
    with pytest.raises(TypeError) as truncated:
        truncating.numpy()
    assert str(truncated.value) == (
        "cannot convert value (in a block of a dask array) of dtype float64 to int32: that would "
        "truncate array([3. , 4.5]); round it first (tg.round) or use a floating-point dtype"
    )
    with pytest.raises(ValueError) as wrapped:
        wrapping.numpy()
    assert str(wrapped.value) == (
        "cannot convert value (in a block of a dask array) to int16: its values run from 3 to "
        "1099511627776, outside int16's range [-32768, 32767], and would wrap around; use a "
        "dtype that holds them"
    )


OPTIMIZERS = sorted(
    name
    for name in dir(tg.optimizers)
    if isinstance(getattr(tg.optimizers, name), type)
    and issubclass(getattr(tg.optimizers, name), tg.optimizers.Optimizer)
    and name not in ("Optimizer", "LBFGS")
)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_steps_match_numpy_and_stay_in_the_library(backend, name):
    convert = CONVERTERS[backend]
    start, grad = np.array([1.0, -2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    expected, variable = tg.Variable(start), tg.Variable(convert(start))
    reference, optimizer = getattr(tg.optimizers, name)(0.1), getattr(tg.optimizers, name)(0.1)
    for _ in range(3):
        reference.apply_gradients([(tg.constant(grad), expected)])
        optimizer.apply_gradients([(tg.constant(convert(grad)), variable)])
    assert backend_name(variable._value) == LIBRARY[backend]
    assert getattr(variable._value, "device", None) == getattr(convert(start), "device", None)
    np.testing.assert_allclose(variable.numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_checkpoints_hold_numpy_and_restore_into_the_library(backend, tmp_path):
    convert = CONVERTERS[backend]
    variable, optimizer = tg.Variable(convert(np.array([1.0, 2.0]))), tg.optimizers.Adam(0.1)
    optimizer.apply_gradients([(tg.constant(convert(np.array([1.0, 1.0]))), variable)])
    tg.save(tmp_path / "state.npz", {"w": variable, "opt": optimizer})
    with np.load(tmp_path / "state.npz") as stored:
        assert all(type(stored[k]) is np.ndarray for k in stored.files)
    restored, fresh = tg.Variable(convert(np.zeros(2))), tg.optimizers.Adam(0.1)
    fresh.apply_gradients([(tg.constant(convert(np.zeros(2))), restored)])
    tg.load(tmp_path / "state.npz", {"w": restored, "opt": fresh})
    slot = fresh.get_slot(restored, "momentum")
    assert backend_name(restored._value) == LIBRARY[backend]
    assert backend_name(slot._value) == LIBRARY[backend]
    np.testing.assert_array_equal(restored.numpy(), variable.numpy())
    np.testing.assert_array_equal(slot.numpy(), optimizer.get_slot(variable, "momentum").numpy())


def test_reduction_gradients_keep_the_inputs_dask_chunks():
    """A cotangent broadcast back to a chunked input is chunked as the input (Dask would make
    one chunk as large as the input, on one worker)."""
    da = pytest.importorskip("dask.array")
    x = tg.constant(da.ones((1000, 3), chunks=(100, 3)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        loss = tg.mean(x * x)
    grad = tape.gradient(loss, x)
    assert grad._value.chunks == x._value.chunks
    np.testing.assert_allclose(grad.numpy(), np.full((1000, 3), 2 / 3000))


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b.values[0] != "numpy"])
def test_mixing_two_libraries_in_one_operation_names_both(backend):
    ours = tg.constant(CONVERTERS[backend](np.ones(3)))
    numpy_tensor = tg.constant(np.ones(3))
    message = (
        f"add mixes a {LIBRARY[backend]} array with a numpy array: tapegrad never moves data "
        "between libraries on its own; convert one to the other's library first, for example "
        "cupy.asarray(x), dask.array.from_array(x) or t.numpy()"
    )
    with pytest.raises(TypeError) as error:
        ours + numpy_tensor
    assert str(error.value) == message
    library = LIBRARY[backend]
    with pytest.raises(TypeError, match=f"matmul mixes a numpy array with a {library} array"):
        tg.matmul(numpy_tensor, ours)
    # an explicit conversion, and Python or NumPy scalars, go with anything
    converted = tg.asarray(np.ones(3), like=ours) + ours * 2.0 + np.float64(1.0)
    assert backend_name(converted._value) == library
    np.testing.assert_array_equal(converted.numpy(), np.full(3, 4.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_lbfgs_steps_match_numpy_and_stay_in_the_library(backend):
    """LBFGS reads the loss and the gradient back to the host (on Dask in one pass)."""
    convert = CONVERTERS[backend]
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(20, 3)), rng.normal(size=20)

    def fit(to):
        A, y, w = tg.constant(to(a)), tg.constant(to(b)), tg.Variable(to(np.zeros(3)))
        optimizer = tg.optimizers.LBFGS([w], max_iter=5, line_search_fn="strong_wolfe")
        optimizer.step(lambda: tg.mean(tg.square(A @ w - y)))
        return w

    expected, got = fit(np.asarray), fit(convert)
    assert backend_name(got._value) == LIBRARY[backend]
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10)


# -- devices: creation functions take device=, and arrays stay on their device --------------------
def _device1():
    strict = pytest.importorskip("array_api_strict")
    return strict, strict.Device("device1")


def test_creation_functions_make_their_arrays_on_the_device_named():
    strict, device = _device1()
    made = {
        "zeros": tg.zeros((2, 3), device=device),
        "ones": tg.ones(2, dtype=tg.float64, device=device),
        "empty": tg.empty(2, device=device),
        "full": tg.full(2, 1.5, device=device),
        "eye": tg.eye(2, device=device),
        "arange": tg.arange(3, device=device),
        "linspace": tg.linspace(0.0, 1.0, 3, device=device),
        "asarray": tg.asarray([1.0, 2.0], device=device),
        "zeros_like": tg.zeros_like(tg.constant([1.0, 2.0]), device=device),
        "full_like": tg.full_like(tg.constant([1.0, 2.0]), 7.0, device=device),
    }
    expected = {
        "zeros": np.zeros((2, 3), np.float32),
        "ones": np.ones(2),
        "empty": np.zeros(2, np.float32),
        "full": np.full(2, 1.5, np.float32),
        "eye": np.eye(2, dtype=np.float32),
        "arange": np.arange(3, dtype=np.int32),
        "linspace": np.linspace(0, 1, 3, dtype=np.float32),
        "asarray": np.array([1.0, 2.0], np.float32),
        "zeros_like": np.zeros(2, np.float32),
        "full_like": np.full(2, 7.0, np.float32),
    }
    for name, tensor in made.items():
        assert backend_name(tensor._value) == "array_api_strict", name
        assert tensor.device == device, name
        np.testing.assert_array_equal(tensor.numpy(), expected[name], err_msg=name)
        assert tensor.dtype == expected[name].dtype, name
    # None and "cpu" make NumPy arrays; a tensor's own library and device by default in *_like
    assert type(tg.zeros(2, device="cpu")._value) is np.ndarray
    on_device = tg.ones(2, device=device)
    assert tg.zeros_like(on_device).device == device
    assert type(tg.asarray(on_device, device="cpu")._value) is np.ndarray


def test_a_device_of_no_known_library_is_refused_by_name():
    with pytest.raises(TypeError) as error:
        tg.zeros(2, device="cuda:0")
    assert str(error.value) == (
        "device='cuda:0': tapegrad creates arrays in NumPy (device None or 'cpu'), CuPy (a "
        "cupy.cuda.Device) or array_api_strict (its Device objects); for another library, "
        "create the array with it and pass it to tg.asarray"
    )


def test_gradients_jacobians_and_steps_stay_on_the_inputs_device():
    strict, device = _device1()
    x = tg.Variable(strict.asarray([1.0, 2.0, 3.0], device=device))
    A = tg.asarray(np.arange(6.0).reshape(2, 3), like=x)  # like= keeps the device too
    assert A.device == device
    with tg.GradientTape(persistent=True) as tape:
        y = tg.tanh(A @ x)
        loss = tg.sum(y)
    grad = tape.gradient(loss, x)
    jac = tape.jacobian(y, x)
    hess = tg.hessian(lambda v: tg.sum(tg.tanh(A @ v)))(tg.constant(x._value))
    expected_jac = (1 - np.tanh(A.numpy() @ x.numpy()) ** 2)[:, None] * A.numpy()
    for name, value in {"gradient": grad, "jacobian": jac, "hessian": hess}.items():
        assert value.device == device, name
    np.testing.assert_allclose(jac.numpy(), expected_jac, rtol=1e-12)
    np.testing.assert_allclose(grad.numpy(), expected_jac.sum(axis=0), rtol=1e-12)
    tg.optimizers.Adam(0.1).apply_gradients([(grad, x)])
    assert x.device == device
    # printing reads the value back to the host from any device
    assert "backend=array_api_strict" in repr(x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sort_gradients_average_over_ties_on_every_backend(backend):
    """Tied values share their cotangents (the symmetric subgradient); the group sizes come from
    a scatter-add, which on libraries without one returns a new array."""
    convert = CONVERTERS[backend]
    values, weights = np.array([1.0, 2.0, 1.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])
    x = tg.constant(convert(values))
    with tg.GradientTape() as tape:
        tape.watch(x)
        try:
            total = tg.sum(tg.sort(x) * tg.asarray(weights, like=x))
        except NotImplementedError as error:
            assert "_sort" in UNSUPPORTED[backend] and "not available" in str(error)
            return
    np.testing.assert_array_equal(tape.gradient(total, x).numpy(), [1.5, 3.0, 1.5, 4.0])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns of the inf it then zeroes
def test_a_zero_derivative_wins_over_an_infinite_one_on_every_backend(backend):
    """sqrt(x * x) has abs's subgradient 0 at 0: sqrt's infinite cotangent meets the product's
    zero derivative. On CuPy and Dask the infinite value cannot be seen without reading it, so it
    is marked unread, and the next rule guards."""
    convert = CONVERTERS[backend]
    x = tg.constant(convert(np.array([-1.0, 0.0, 4.0])))
    f = lambda v: tg.sum(tg.sqrt(v * v))  # noqa: E731
    gradient = tg.grad(f)(x)
    assert backend_name(gradient._value) == LIBRARY[backend]
    np.testing.assert_array_equal(gradient.numpy(), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(tg.hessian(f)(x).numpy(), np.zeros((3, 3)))


def test_a_dask_boolean_mask_is_refused_and_a_numpy_mask_computes_nothing():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    x = tg.constant(da.from_array(np.arange(6.0), chunks=2))
    keep = np.arange(6) % 2 == 0
    with dask.config.set(scheduler=_refuse_to_compute):
        picked = x[keep]
        gradient = tg.grad(lambda v: tg.sum(v[keep] ** 2))(x)
        with pytest.raises(NotImplementedError) as caught:
            x[x > 2.0]
    assert str(caught.value) == (
        "indexing with a boolean mask is not available for a dask mask: the size of the result "
        "is unknown until the mask is computed; compute the mask first (mask.numpy(), a NumPy "
        "mask selects from dask data without computing it), or keep the shape with "
        "tg.where(mask, x, 0)"
    )
    np.testing.assert_array_equal(picked.numpy(), [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(gradient.numpy(), [0.0, 0.0, 4.0, 0.0, 8.0, 0.0])


# -- values that join a tensor's library ---------------------------------------------------------
STRICT_AND_DASK = [
    pytest.param(name, marks=pytest.mark.skipif(not _available(name), reason=f"no {name}"))
    for name in ("array_api_strict", "array_api_strict_device1", "dask")
]


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_a_numpy_scalar_tensor_joins_the_other_operands_library(backend):
    """0-d NumPy tensors (tg.constant(2.0), any full NumPy reduction) hold NumPy scalars, which go
    with any library, in either operand order and in operations of several arrays."""
    x = tg.constant(CONVERTERS[backend](np.array([1.0, -2.0])))
    c = tg.constant(2.0, dtype=tg.float64)
    results = {
        "c * x": c * x,
        "x * c": x * c,
        "where": tg.where(x > 0, np.float64(5.0), x),
        "clip": tg.clip(x, c, 3.0),
        "maximum": tg.maximum(x, c),
        "atan2": tg.atan2(x, c),
    }
    for what, result in results.items():
        assert backend_name(result._value) == LIBRARY[backend], what
    np.testing.assert_array_equal(results["x * c"].numpy(), [2.0, -4.0])
    np.testing.assert_array_equal(results["where"].numpy(), [5.0, -2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * c)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 2.0])


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_at_updates_take_python_and_numpy_scalars_in_the_tensors_library(backend):
    make = lambda: tg.constant(CONVERTERS[backend](np.zeros(3)))  # noqa: E731
    updates = {
        "add": (lambda t: t.at[[0, 0]].add(1.0), [2.0, 0.0, 0.0]),
        "multiply": (lambda t: (t + 1.0).at[[0, 0]].multiply(2.0), [4.0, 1.0, 1.0]),
        "min": (lambda t: t.at[[0, 0]].min(-1.0), [-1.0, 0.0, 0.0]),
        "min of a slice": (lambda t: t.at[1:].min(-1.0), [0.0, -1.0, -1.0]),
        "set": (lambda t: t.at[[0, 1]].set(5.0), [5.0, 5.0, 0.0]),
        "NumPy scalar": (lambda t: t.at[1].add(np.float64(2.0)), [0.0, 2.0, 0.0]),
    }
    for what, (update, expected) in updates.items():
        result = update(make())
        assert backend_name(result._value) == LIBRARY[backend], what
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=what)


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_custom_rules_and_complex_intermediates_on_every_backend(backend):
    """A custom rule returns tensors; a first-order pass hands the engine their arrays (libraries
    whose operators do not defer to tensors need that). A real input promoted to complex inside
    an operation gets the real part of its cotangent."""
    values = np.array([0.5, 1.0])
    x = tg.constant(CONVERTERS[backend](values))

    @tg.custom_gradient
    def f(v):
        return tg.sin(v), lambda dy: dy * 3.0

    gradient = tg.grad(lambda v: tg.sum(f(v) * v))(x)
    assert backend_name(gradient._value) == LIBRARY[backend]
    np.testing.assert_allclose(gradient.numpy(), 3.0 * values + np.sin(values), rtol=1e-15)
    rolled = tg.grad(lambda v: tg.sum(tg.recompute_grad(lambda u: tg.sin(u) * u)(v) * v))(x)
    np.testing.assert_allclose(
        rolled.numpy(), 2 * values * np.sin(values) + values**2 * np.cos(values), rtol=1e-14
    )
    through_complex = tg.grad(lambda v: tg.sum(tg.abs(v * (1 + 1j))))(x)
    assert through_complex.dtype == tg.float64
    np.testing.assert_allclose(through_complex.numpy(), [np.sqrt(2.0)] * 2, rtol=1e-15)


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_a_variable_keeps_its_library_through_every_update(backend):
    v = tg.Variable(CONVERTERS[backend](np.array([1.0, 2.0])), dtype=tg.float64)
    v += 1.0
    v *= 2.0
    v.assign_sub(np.float64(1.0))
    v[0] = np.float64(10.0)
    assert backend_name(v._value) == LIBRARY[backend]
    np.testing.assert_array_equal(v.numpy(), [10.0, 5.0])
    v.assign([5.0, 6.0])
    assert backend_name(v._value) == LIBRARY[backend]
    v.assign(np.array([7.0, 8.0]))
    assert backend_name(v._value) == LIBRARY[backend]
    np.testing.assert_array_equal(v.numpy(), [7.0, 8.0])


def test_a_value_of_another_array_library_is_not_assigned():
    da = pytest.importorskip("dask.array")
    xs = pytest.importorskip("array_api_strict")
    w = tg.Variable(da.zeros(2, chunks=1), name="w")
    with pytest.raises(TypeError) as caught:
        w.assign(tg.constant(xs.asarray([1.0, 2.0])))
    assert str(caught.value) == (
        "cannot assign a array_api_strict value to variable 'w:0', which holds a dask array: "
        "tapegrad never moves data between libraries on its own; convert the value first, for "
        "example with t.numpy()"
    )


def test_assigned_and_restored_dask_variables_keep_their_chunks(tmp_path):
    da = pytest.importorskip("dask.array")
    w = tg.Variable(da.zeros(8, chunks=2))
    w.assign(np.ones(8))
    assert w._value.chunks == ((2, 2, 2, 2),)
    tg.save(tmp_path / "w.npz", {"w": w})
    restored = tg.Variable(da.zeros(8, chunks=2))
    tg.load(tmp_path / "w.npz", {"w": restored})
    assert restored._value.chunks == ((2, 2, 2, 2),)
    np.testing.assert_array_equal(restored.numpy(), np.ones(8))


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_layers_run_on_the_inputs_library(backend):
    """A layer's own variables move to the first input's library; raw arrays stay in theirs (a
    Dask array is not computed)."""
    convert = CONVERTERS[backend]
    inputs = np.linspace(-1.0, 1.0, 18).reshape(6, 3)

    def model():
        return tg.nn.Sequential([tg.nn.Dense(4, activation="relu", seed=0), tg.nn.Dense(2, seed=1)])

    on_backend = model()
    with _nothing_computed(backend):
        with tg.GradientTape() as tape:
            loss = tg.mean(on_backend(convert(inputs)) ** 2)
        grads = tape.gradient(loss, on_backend.trainable_variables)
    for v, g in zip(on_backend.trainable_variables, grads):
        assert backend_name(v._value) == backend_name(g._value) == LIBRARY[backend]
    reference = model()
    with tg.GradientTape() as tape:
        expected = tg.mean(reference(inputs) ** 2)
    expected_grads = tape.gradient(expected, reference.trainable_variables)
    np.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-6)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_check_grads_differentiates_in_the_arguments_library(backend):
    seen = set()

    def f(x, y):
        seen.add(backend_name(x._value))
        return tg.sin(x) * y

    values = [np.array([0.5, 1.0]), np.array([2.0, -1.0])]
    tg.testing.check_grads(f, [CONVERTERS[backend](v) for v in values], order=2)
    assert seen == {LIBRARY[backend]}
    with pytest.raises(AssertionError, match="but the numerical derivative is"):
        tg.testing.check_grads(
            lambda x: tg.stop_gradient(x) * x, [CONVERTERS[backend](values[0])], order=1
        )


@pytest.mark.parametrize("backend", STRICT_AND_DASK)
def test_complex_transforms_take_real_input_on_every_backend(backend):
    values = np.array([1.0, 2.0, 3.0, 5.0])
    x = tg.constant(CONVERTERS[backend](values))
    for name in ("fft", "ifft", "fftn", "ifftn", "hfft", "irfft"):
        have = getattr(tg.fft, name)(x)
        want = getattr(tg.fft, name)(tg.constant(values))
        assert backend_name(have._value) == LIBRARY[backend] and have.dtype == want.dtype, name
        np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-13, atol=1e-13)
    gradient = tg.grad(lambda v: tg.sum(tg.real(tg.fft.fft(v)) ** 2))(x)
    expected = tg.grad(lambda v: tg.sum(tg.real(tg.fft.fft(v)) ** 2))(tg.constant(values))
    np.testing.assert_allclose(gradient.numpy(), expected.numpy(), rtol=1e-13)


def test_seeds_tangents_and_zeros_keep_the_targets_library_and_chunks():
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    x = tg.constant(da.from_array(np.arange(6.0).reshape(3, 2), chunks=(1, 2)))
    other = tg.constant(da.zeros((3, 2), chunks=(1, 2)))
    with dask.config.set(scheduler=_refuse_to_compute):
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * 2.0
        gradient = tape.gradient(y, x)
        zeros = tape.gradient(y, other, unconnected_gradients="zero")
        seeded = tape.gradient(y, x, output_gradients=tg.constant(da.ones((3, 2), chunks=1)))
    assert gradient._value.chunks == zeros._value.chunks == ((1, 1, 1), (2,))
    assert backend_name(seeded._value) == "dask"
    message = "output_gradients mixes a dask array with a numpy array"
    with pytest.raises(TypeError, match=message):
        tape.gradient(y, x, output_gradients=np.ones((3, 2)))
    with pytest.raises(TypeError, match="ForwardAccumulator mixes a dask array with a numpy array"):
        tg.ForwardAccumulator(x, tg.constant(np.ones((3, 2))))
    point = tg.constant(da.from_array(np.array(3.0), chunks=()))
    with tg.ForwardAccumulator(point, 1.0) as accumulator:  # a Python tangent joins the library
        doubled = point * 2.0
    assert backend_name(accumulator.jvp(doubled)._value) == "dask"
    assert float(accumulator.jvp(doubled).numpy()) == 2.0


@pytest.mark.parametrize("name", ["SGD", "Lamb"])
@pytest.mark.parametrize("clipping", [{"clipnorm": 1.0}, {"global_clipnorm": 1.0}, {}])
def test_a_dask_optimizer_step_computes_once_with_clipping_and_trust_ratios(name, clipping):
    """Norms stay Dask arrays: reading each would compute its gradient's recipe on its own,
    before the step's one pass computes everything again."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    from dask.local import get_sync

    passes = []

    def counting(*args, **kwargs):
        passes.append(1)
        return get_sync(*args, **kwargs)

    results = []
    for convert in (np.asarray, lambda a: da.from_array(a, chunks=1)):
        variables = [tg.Variable(convert(np.array([1.0, -2.0]) * (i + 1))) for i in range(3)]
        optimizer = getattr(tg.optimizers, name)(0.1, **clipping)
        passes.clear()
        with dask.config.set(scheduler=counting):
            for _ in range(2):
                pairs = [
                    (tg.constant(convert(np.array([3.0, 4.0]) * (i + 1))), v)
                    for i, v in enumerate(variables)
                ]
                optimizer.apply_gradients(pairs)
            results.append((len(passes), [v.numpy() for v in variables]))
    (_, expected), (dask_passes, got) = results
    assert dask_passes == 2  # one pass per step (the reads after it find the results persisted)
    np.testing.assert_allclose(np.array(got), np.array(expected), rtol=1e-12)


@pytest.mark.parametrize(
    "options", [{"clipnorm": 100.0}, {"global_clipnorm": 100.0}, {"clipvalue": 100.0}]
)
def test_clipping_options_that_do_not_clip_agree_on_dask(options):
    da = pytest.importorskip("dask.array")
    results = []
    for convert in (np.asarray, lambda a: da.from_array(a, chunks=1)):
        v = tg.Variable(convert(np.array([1.0, 2.0])))
        tg.optimizers.SGD(1.0, **options).apply_gradients(
            [(tg.constant(convert(np.array([3.0, -4.0]))), v)]
        )
        results.append(v.numpy().tolist())
    assert results == [[-2.0, 6.0], [-2.0, 6.0]]


def test_integer_division_and_reciprocal_on_a_library_that_divides_floats_only():
    xs = pytest.importorskip("array_api_strict")
    i = tg.constant(xs.asarray([2, 4]))
    assert tg.reciprocal(i).dtype == tg.float64
    assert tg.reciprocal(i).numpy().tolist() == [0.5, 0.25]
    assert (i / tg.constant(xs.asarray([4, 8]))).numpy().tolist() == [0.5, 0.5]


def test_svdvals_of_a_dask_matrix_and_lstsq_refused_by_name():
    """Dask's own svdvals asks for full matrices, which its svd refuses: the values come from the
    reduced svd. lstsq's rank sets its residuals' shape, so it would have to compute."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    values = np.random.default_rng(0).standard_normal((4, 3))
    x = tg.constant(da.from_array(values, chunks=(2, 3)))
    with dask.config.set(scheduler=_refuse_to_compute):
        singular = tg.linalg.svdvals(x)
        with pytest.raises(NotImplementedError, match="^tg.linalg.lstsq is not available for dask"):
            tg.linalg.lstsq(x, tg.constant(da.ones(4, chunks=2)))
    np.testing.assert_allclose(
        singular.numpy(), np.linalg.svd(values, compute_uv=False), rtol=1e-12
    )


def test_dask_inverse_keeps_the_dtype_numpy_gives():
    # Dask's inv solves against a float64 identity: float32 and complex64 used to come back wider
    da = pytest.importorskip("dask.array")
    a = np.array([[2.0, 1.0], [1.0, 3.0]], np.float32)
    for dtype in (np.float32, np.complex64):
        out = tg.linalg.inv(tg.constant(da.from_array(a.astype(dtype), chunks=1)))
        assert out.dtype == tg.linalg.inv(tg.constant(a.astype(dtype))).dtype == dtype
        np.testing.assert_allclose(out.numpy(), np.linalg.inv(a.astype(dtype)), rtol=1e-6)
    ints = tg.constant(da.from_array(np.array([0, 3], np.int32), chunks=1))
    assert tg.exp2(ints).numpy().tolist() == [1.0, 8.0] and tg.exp2(ints).dtype == tg.float64


def test_floating_results_of_integers_follow_one_rule_on_every_backend():
    # float32 for 8-bit integers, float64 for 32-bit ones, as on NumPy; a float16 mean is
    # summed in float32 there too
    da = pytest.importorskip("dask.array")
    xs = pytest.importorskip("array_api_strict")
    for convert in (lambda a: da.from_array(a, chunks=1), xs.asarray):
        small = tg.constant(convert(np.array([1, 2], np.int8)))
        wide = tg.constant(convert(np.array([1, 2], np.int32)))
        assert [f(small).dtype for f in (tg.sin, tg.mean, tg.nn.softmax)] == [tg.float32] * 3
        assert [f(wide).dtype for f in (tg.sqrt, tg.mean, tg.var)] == [tg.float64] * 3
        norm = tg.linalg.vector_norm(tg.constant(convert(np.array([-128, 1], np.int8))), ord=1)
        assert float(norm.numpy()) == 129.0
    half = tg.constant(da.from_array(np.array([60000, 60000], np.float16), chunks=1))
    assert float(tg.mean(half).numpy()) == 60000.0


def test_dask_arrays_without_elements_reshape_and_multiply_as_numpy_ones_do():
    # Dask's own reshape fails on them (an empty product in its rechunking)
    da = pytest.importorskip("dask.array")
    x = tg.constant(da.zeros((2, 0), chunks=1))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.reshape(x, (0,))
    assert (y.shape, tg.reshape(x, (-1, 3)).shape) == ((0,), (0, 3))
    assert tape.gradient(y, x).numpy().shape == (2, 0)
    with pytest.raises(ValueError, match=r"cannot reshape array of size 0 into shape \(0,"):
        tg.reshape(x, (0, -1))
    # the product's gradient shifted empty axes, which built chunks of the wrong shape
    column = tg.constant(da.zeros((0, 1), chunks=1))
    with tg.GradientTape() as tape:
        tape.watch(column)
        total = tg.prod(column)
    assert float(total.numpy()) == 1.0
    assert tape.gradient(total, column).numpy().shape == (0, 1)
    with tg.GradientTape() as tape:
        tape.watch(column)
        running = tg.cumulative_prod(column, axis=1)
    assert tape.gradient(running, column).numpy().shape == (0, 1)


def test_dask_reductions_refuse_a_repeated_axis_at_the_call_and_cast_to_float16():
    # Dask built a graph of the wrong shape for axis=(0, 0) and failed only when computed;
    # its namespace has no float16, which every cast to it looked up
    da = pytest.importorskip("dask.array")
    x = tg.constant(da.from_array(np.arange(6.0).reshape(2, 3), chunks=1))
    for name in ("sum", "prod", "max", "min", "var", "std"):
        with pytest.raises(ValueError) as caught:
            getattr(tg, name)(x, axis=(0, 0))
        assert str(caught.value) == f"{name}: repeated axis in (0, 0)"
    half = tg.constant(da.from_array(np.array([1.0, 2.0], np.float16), chunks=1))
    half += tg.constant(da.from_array(np.array([1.0, 1.0], np.float32), chunks=1))
    assert (half.dtype, half.numpy().tolist()) == (tg.float16, [2.0, 3.0])
    total = tg.sum(tg.constant(da.from_array(np.arange(3.0), chunks=1)), dtype=tg.float16)
    assert (total.dtype, float(total.numpy())) == (tg.float16, 3.0)


def test_strict_and_dask_edge_cases_found_by_todays_hunt():
    xs = pytest.importorskip("array_api_strict")
    da = pytest.importorskip("dask.array")
    # a tape's Hessian inside its own block: the raw seed met a traced tensor on strict
    x = tg.constant(xs.asarray(np.array([1.0, 2.0, 3.0])))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.sum(x * x * x)
        hessian = tape.hessian(y, x)
    assert np.diag(hessian.numpy()).tolist() == [6.0, 12.0, 18.0]
    # integer logits follow the floating rule (strict refused exp of int8)
    logits = tg.constant(xs.asarray(np.array([[1, 0, 2], [0, 1, 1]], np.int8)))
    labels = tg.constant(xs.asarray(np.array([2, 0])))
    assert tg.nn.sparse_softmax_cross_entropy(labels, logits).dtype == tg.float32
    # strict float64 arrays in a list keep float64
    assert tg.constant([xs.asarray(1.5), xs.asarray(2.5)]).dtype == tg.float64
    # a NumPy integer to join a Dask tensor
    joined = tg.diff(
        tg.constant(da.from_array(np.array([1.0, 4.0]), chunks=1)), prepend=np.int64(3)
    )
    assert joined.numpy().tolist() == [-2.0, 3.0]
    # a float written into an integer variable: the TypeError, not an AttributeError
    v = tg.Variable(xs.asarray(np.array([1, 2])))
    with pytest.raises(TypeError, match="a float is never truncated to an integer"):
        v.assign_add(xs.asarray(np.array([1.0, 1.0])))


def test_full_of_a_tensor_fill_and_custom_outputs_of_two_kinds_stay_in_the_library():
    xs = pytest.importorskip("array_api_strict")
    da = pytest.importorskip("dask.array")
    three = tg.constant(xs.asarray(np.array(3)))
    filled = tg.full((2,), three)  # strict's int64 was taken for a NumPy dtype
    assert (filled.dtype, filled.numpy().tolist()) == (tg.int64, [3, 3])
    assert tg.full((2,), tg.constant(xs.asarray(np.array(3.0))), dtype=tg.int32).dtype == tg.int32
    lazy = tg.full((2,), tg.constant(da.from_array(np.array(3))))  # computed to NumPy before
    assert "dask" in repr(lazy) and lazy.numpy().tolist() == [3, 3]

    @tg.custom_vjp
    def doubled_and_flag(x):  # a float and an int output: strict refused to pack them together
        return [x * 2.0, tg.astype(x > 1.5, tg.int32)]

    doubled_and_flag.defvjp(lambda x: (doubled_and_flag(x), None), lambda r, g: (g[0] * 2.0,))
    x = tg.constant(xs.asarray(np.array([1.0, 2.0])))
    with tg.GradientTape() as tape:
        tape.watch(x)
        doubled, flag = doubled_and_flag(x)
        total = tg.sum(doubled)
    assert flag.numpy().tolist() == [0, 1]
    assert tape.gradient(total, x).numpy().tolist() == [2.0, 2.0]


def test_list_axes_and_bool_sums_on_array_api_strict():
    # the standard takes tuple axes only, and strict sums no bools: both worked on NumPy only
    xs = pytest.importorskip("array_api_strict")
    x = tg.constant(xs.asarray(np.arange(6.0).reshape(2, 3)))
    assert tg.sum(x, axis=[0]).numpy().tolist() == [3.0, 5.0, 7.0]
    assert tg.max(x, axis=[1]).numpy().tolist() == [2.0, 5.0]
    assert tg.var(x, axis=[0]).numpy().tolist() == [2.25, 2.25, 2.25]
    flags = tg.constant(xs.asarray(np.array([True, True, False])))
    assert (tg.sum(flags).dtype, int(tg.sum(flags).numpy())) == (tg.int32, 2)


def test_a_list_of_dask_tensors_is_stacked_lazily_not_computed_to_numpy():
    # tg.constant([dask tensors]) computed them and returned a NumPy tensor: issue 6 says
    # nothing is pulled into one process silently
    da = pytest.importorskip("dask.array")
    xs = pytest.importorskip("array_api_strict")
    halves = [tg.constant(da.from_array(np.float64(v))) for v in (1.5, 2.5)]
    with _nothing_computed("dask"):
        joined = tg.constant([halves, [0.5, halves[0]]])
    assert "dask" in repr(joined) and joined.dtype == tg.float64
    assert joined.numpy().tolist() == [[1.5, 2.5], [0.5, 1.5]]
    with pytest.raises(TypeError) as caught:
        tg.constant([xs.asarray(1.5), halves[0]])
    assert str(caught.value) == (
        "cannot convert a list that mixes array_api_strict and dask arrays to one tensor: "
        "tapegrad never moves data between libraries on its own; convert them first"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_fused_kernel_gives_its_formulas_values_on_cupy(backend):
    from tapegrad import _fused

    if LIBRARY[backend] != "cupy" or not _fused.ENABLED:
        pytest.skip("the fused kernels run on CuPy only, unless TAPEGRAD_FUSED_KERNELS=0")
    from tapegrad.ops.elementwise import _COS_VJP, _SIN_VJP, _TANH_VJP
    from tapegrad.ops.nn import _RELU_VJP, _SIGMOID_VJP, _XENT_GRAD, _XENT_LOSS
    from tapegrad.optimizers.sgd import _STEP

    cupy = importlib.import_module("cupy")
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        g, x = (cupy.asarray(rng.normal(size=(5, 7)).astype(dtype)) for _ in range(2))
        x[0, 0], g[1, 1] = 0.0, np.nan  # relu's: 0 is not positive; a NaN cotangent stays NaN
        labels = cupy.asarray(rng.integers(0, 7, size=5).astype(np.int32))
        exponentials = cupy.exp(x)
        total = exponentials.sum(axis=-1)
        cases = [
            (_SIN_VJP, (g, x)),
            (_COS_VJP, (g, x)),
            (_TANH_VJP, (g, cupy.tanh(x))),
            (_SIGMOID_VJP, (g, 1 / (1 + cupy.exp(-x)))),
            (_RELU_VJP, (g, x)),
            (_STEP, (x, g, 0.01)),
            (_XENT_LOSS, (total, x, labels, 7)),
            (_XENT_GRAD, (g[:, :1], exponentials, total[:, None], labels[:, None], 7)),
        ]
        for fused, operands in cases:
            assert fused.applies(operands), fused.name
            with _raw_arrays():  # as in a backward pass, where rules get and give raw arrays
                got, want = fused.launch(*operands), fused.formula(*operands)
            assert (got.dtype, got.shape) == (want.dtype, want.shape), fused.name
            # the same operations, rounded alike (--fmad=false): the same bits
            np.testing.assert_array_equal(got.get(), want.get(), err_msg=f"{fused.name} {dtype}")


@contextlib.contextmanager
def _raw_arrays():
    now = per_thread.context
    now.raw_depth += 1
    now.refresh()
    try:
        yield
    finally:
        now.raw_depth -= 1
        now.refresh()


@pytest.mark.parametrize("backend", BACKENDS)
def test_scatter_add_keeps_infinite_and_nan_values_to_their_own_positions(backend):
    # a product with a one-hot (inf * 0) or real + imag * 1j (inf * 1j) spread NaN to the rest
    from tapegrad._standard_gaps import index_for, scatter_add

    convert = CONVERTERS[backend]
    for values in (
        np.array([np.inf, 2.0, np.nan, -1.0]),
        np.array([complex(-0.0, 1), complex(1, np.inf), complex(np.inf, 2), complex(3, np.nan)]),
    ):
        target = np.zeros(5, values.dtype)
        target[0] = complex(-0.0, -0.0) if values.dtype.kind == "c" else -0.0
        index = (np.array([0, 1, 3, 3]),)
        expected = target.copy()
        np.add.at(expected, index, values)
        moved = convert(target)
        got = tg.constant(scatter_add(moved, index_for(moved, index), convert(values))).numpy()
        np.testing.assert_array_equal(got, expected)
        if values.dtype.kind == "c" and LIBRARY[backend] in ("numpy", "cupy"):  # add.at's -0.0
            assert np.signbit(got.real[0]) == np.signbit(expected.real[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_numpy_functions_and_helpers_keep_cupy_tensors_on_cupy(backend):
    # each once failed on CuPy (keywords CuPy lacks, NumPy arrays beside CuPy ones) or gave NumPy
    if LIBRARY[backend] != "cupy":
        pytest.skip("CuPy's own signatures and refusals")
    cupy = importlib.import_module("cupy")

    def both(make):
        on_numpy = make(lambda a: tg.constant(np.asarray(a, dtype=float)))
        on_cupy = make(lambda a: tg.constant(cupy.asarray(np.asarray(a, dtype=float))))
        for want, got in zip(on_numpy, on_cupy, strict=True):
            assert backend_name(got._value) == "cupy", make
            np.testing.assert_array_equal(got.numpy(), want.numpy())

    both(lambda c: [np.nanquantile(c([[1, np.nan, 3], [4, 5, 6]]), [0.25, 0.5], axis=1)])
    both(lambda c: [np.nanpercentile(c([1, np.nan, 3]), 50, method="midpoint")])
    both(lambda c: [np.isin(c([1, 2, 5]), c([2])), np.isin(c([1, 2, 5]), np.array([5.0]))])
    both(lambda c: [np.argpartition(c([3, 1, 2]), 1)])
    both(lambda c: [np.histogram_bin_edges(c([1, 2, 5]), 3)])
    both(lambda c: [np.digitize(c([1, 2, 5]), np.array([1.5, 3.0]))])
    both(lambda c: [np.interp(0.5, c([0, 1]), c([0, 2]))])
    both(lambda c: [np.block([c([1, 2]), 3.0])])
    both(lambda c: [np.resize(c(np.zeros(0)), (2,))])
    both(lambda c: [tg.linalg.matrix_rank(c([[1, 2], [2, 4]])), tg.linalg.matrix_rank(c([[1]]))])
    both(lambda c: [tg.linalg.matrix_rank(c([[1, 2], [2, 4.001]]), rtol=0.01)])
    x = cupy.asarray(np.array([1.0, 2.0]))
    tg.testing.check_grads(lambda w, b: w * b, [x, 3.0], order=1)  # 3.0 joins CuPy
    np.testing.assert_allclose(
        cupy.asnumpy(tg.numerical.derivative(lambda t: t**3, x)), [3.0, 12.0], rtol=1e-6
    )
