"""The engine: exact first derivatives of the issue's functions, the documented subgradients, and
cotangents with leading batch axes (one-pass Jacobians agree with row-by-row gradients)."""

import re

import numpy as np
import pytest

import tapegrad as tg

X = np.array([0.3, -1.2, 2.0])
POS = np.array([0.5, 1.5, 3.0])
C = np.array([1.0, -2.0, 0.5])
M = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]])
CR = np.array([2.0, -0.5])
A = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0]])
LABELS = np.array([2, 0])


def gradient(f, x):
    x = tg.constant(x, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def weighted(op, weights=C):
    """A scalar target whose gradient is ``weights * op'(x)`` for an elementwise op."""
    return lambda x: tg.sum(tg.constant(weights) * op(x))


def softmax_np(v, axis=-1):
    e = np.exp(v - v.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid_np(v):
    return 1 / (1 + np.exp(-v))


def _prod_partials(m):
    return np.prod(m, axis=1, keepdims=True) / m


ONE_HOT = np.eye(3)[LABELS]
W32 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

# name, function of x, x, the analytic gradient of the function at x
FIRST_DERIVATIVES = [
    ("sin", weighted(tg.sin), X, C * np.cos(X)),
    ("cos", weighted(tg.cos), X, -C * np.sin(X)),
    ("tan", weighted(tg.tan), X / 2, C / np.cos(X / 2) ** 2),
    ("exp", weighted(tg.exp), X, C * np.exp(X)),
    ("log", weighted(tg.log), POS, C / POS),
    ("log1p", weighted(tg.log1p), POS, C / (1 + POS)),
    ("expm1", weighted(tg.expm1), X, C * np.exp(X)),
    ("sqrt", weighted(tg.sqrt), POS, C * 0.5 / np.sqrt(POS)),
    ("square", weighted(tg.square), X, C * 2 * X),
    ("tanh", weighted(tg.tanh), X, C * (1 - np.tanh(X) ** 2)),
    ("abs", weighted(tg.abs), X, C * np.sign(X)),
    ("sign", weighted(tg.sign), X, np.zeros(3)),
    ("pow", weighted(lambda x: x**3), X, C * 3 * X**2),
    ("rpow", weighted(lambda x: 2.0**x), X, C * np.log(2.0) * 2.0**X),
    ("divide", weighted(lambda x: 1.0 / x), POS, -C / POS**2),
    ("maximum", weighted(lambda x: tg.maximum(x, 0.5)), X, C * (X > 0.5)),
    ("minimum", weighted(lambda x: tg.minimum(x, 0.5)), X, C * (X < 0.5)),
    (
        "maximum-second",
        weighted(lambda x: tg.maximum(tg.constant([1.0, 1.0, 1.0]), x)),
        X,
        C * (X > 1.0),
    ),
    (
        "where",
        weighted(lambda x: tg.where(x > 0, x * x, 3.0 * x)),
        X,
        C * np.where(X > 0, 2 * X, 3.0),
    ),
    ("sum", lambda x: tg.sum(x * x), M, 2 * M),
    ("sum-axis", lambda x: tg.sum(tg.constant(CR) * tg.sum(x, axis=1)), M, CR[:, None] + 0 * M),
    (
        "sum-keepdims",
        lambda x: tg.sum(tg.constant(C) * tg.sum(x, axis=0, keepdims=True)),
        M,
        C[None, :] + 0 * M,
    ),
    ("mean", lambda x: tg.sum(tg.constant(CR) * tg.mean(x, axis=1)), M, CR[:, None] / 3 + 0 * M),
    ("mean-all", lambda x: tg.mean(x), M, np.full_like(M, 1 / 6)),
    (
        "prod",
        lambda x: tg.sum(tg.constant(CR) * tg.prod(x, axis=1)),
        M,
        CR[:, None] * _prod_partials(M),
    ),
    (
        "max",
        lambda x: tg.sum(tg.constant(CR) * tg.max(x, axis=1)),
        M,
        CR[:, None] * (M == M.max(axis=1, keepdims=True)),
    ),
    (
        "min",
        lambda x: tg.sum(tg.constant(CR) * tg.min(x, axis=1)),
        M,
        CR[:, None] * (M == M.min(axis=1, keepdims=True)),
    ),
    ("matmul-vector", lambda x: tg.sum(tg.constant(CR) * (tg.constant(A) @ x)), X, A.T @ CR),
    ("matmul-matrix", lambda x: tg.sum(tg.constant(CR) * (x @ tg.constant(X))), A, np.outer(CR, X)),
    (
        "reshape",
        lambda x: tg.sum(tg.constant(W32) * tg.reshape(x, (3, 2))),
        M,
        W32.reshape(2, 3),
    ),
    (
        "permute_dims",
        lambda x: tg.sum(tg.constant(W32) * tg.permute_dims(x, (1, 0))),
        M,
        W32.T,
    ),
    (
        "expand_dims",
        lambda x: tg.sum(tg.constant(C[None, :]) * tg.expand_dims(x, axis=0)),
        X,
        C,
    ),
    (
        "squeeze",
        lambda x: tg.sum(tg.constant(C) * tg.squeeze(x, axis=0)),
        X[None, :],
        C[None, :],
    ),
    (
        "concat",
        lambda x: tg.sum(tg.constant(np.arange(6.0)) * tg.concat([x, 2.0 * x])),
        X,
        np.arange(3.0) + 2 * np.arange(3.0, 6.0),
    ),
    (
        "stack",
        lambda x: tg.sum(tg.constant(W32) * tg.stack([x, x * x], axis=1)),
        X,
        W32[:, 0] + 2 * X * W32[:, 1],
    ),
    (
        "take_along_axis",
        lambda x: tg.sum(
            tg.constant([[1.0, 10.0], [100.0, 1000.0]])
            * tg.take_along_axis(x, tg.constant([[2, 0], [1, 1]]), axis=1)
        ),
        M,
        np.array([[10.0, 0.0, 1.0], [0.0, 1100.0, 0.0]]),
    ),
    ("relu", weighted(tg.nn.relu), X, C * (X > 0)),
    ("sigmoid", weighted(tg.nn.sigmoid), X, C * sigmoid_np(X) * (1 - sigmoid_np(X))),
    (
        "softmax",
        weighted(tg.nn.softmax),
        X,
        softmax_np(X) * (C - np.sum(C * softmax_np(X))),
    ),
    ("log_softmax", weighted(tg.nn.log_softmax), X, C - softmax_np(X) * C.sum()),
    ("logsumexp", lambda x: tg.nn.logsumexp(x), X, softmax_np(X)),
    (
        "logsumexp-axis",
        lambda x: tg.sum(tg.constant(CR) * tg.nn.logsumexp(x, axis=1)),
        M,
        CR[:, None] * softmax_np(M, axis=1),
    ),
    (
        "sparse_softmax_cross_entropy",
        lambda x: tg.sum(
            tg.constant(CR) * tg.nn.sparse_softmax_cross_entropy(tg.constant(LABELS), x)
        ),
        M,
        CR[:, None] * (softmax_np(M, axis=1) - ONE_HOT),
    ),
    ("seed-f", lambda x: tg.sum(x**2 + 2 * x + 1), X, 2 * X + 2),
    ("seed-x4", lambda x: tg.sum(x**4), X, 4 * X**3),
]


@pytest.mark.parametrize(
    ("f", "x", "expected"),
    [case[1:] for case in FIRST_DERIVATIVES],
    ids=[case[0] for case in FIRST_DERIVATIVES],
)
def test_first_derivative_matches_the_analytic_value(f, x, expected):
    g = gradient(f, x)
    assert g is not None
    assert g.shape == np.shape(x)
    assert g.dtype == tg.float64
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-13, atol=1e-15)


def test_astype_passes_the_gradient_back_in_the_source_dtype():
    weights = tg.constant(C.astype(np.float32))
    g = gradient(lambda x: tg.sum(weights * tg.astype(x, tg.float32)), X)
    assert g.dtype == tg.float64
    np.testing.assert_array_equal(g.numpy(), C)


def test_astype_to_an_integer_cuts_the_gradient_path():
    assert gradient(lambda x: tg.astype(tg.astype(x, tg.int32), tg.float64) * x, POS) is not None
    assert gradient(lambda x: tg.astype(tg.astype(x, tg.int32), tg.float64), POS) is None


def test_sparse_softmax_cross_entropy_values_are_per_example():
    loss = tg.nn.sparse_softmax_cross_entropy(tg.constant(LABELS), tg.constant(M))
    assert loss.shape == (2,)
    expected = -np.log(softmax_np(M, axis=1)[np.arange(2), LABELS])
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-14)


def test_labels_checked_once_are_still_checked_against_other_logits():
    """A label tensor found in range is not read again for logits with as many classes; with
    fewer classes, a variable's new values, or a new tensor, the range is checked again."""
    labels = tg.constant([0, 2])
    three, two = tg.constant(np.zeros((2, 3))), tg.constant(np.zeros((2, 2)))
    for _ in range(2):
        assert tg.nn.sparse_softmax_cross_entropy(labels, three).shape == (2,)
    message = re.escape(
        "labels must lie in [0, 2) for logits with 2 classes; got values from 0 to 2"
    )
    with pytest.raises(ValueError, match=message):
        tg.nn.sparse_softmax_cross_entropy(labels, two)
    variable = tg.Variable([0, 1])
    assert tg.nn.sparse_softmax_cross_entropy(variable, two).shape == (2,)
    variable.assign([0, 2])
    with pytest.raises(ValueError, match=message):
        tg.nn.sparse_softmax_cross_entropy(variable, two)
    for _ in range(40):  # more tensors than are remembered: each is checked
        assert tg.nn.sparse_softmax_cross_entropy(tg.constant([1, 0]), two).shape == (2,)
    with pytest.raises(ValueError, match=message):
        tg.nn.sparse_softmax_cross_entropy(tg.constant([2, 0]), two)


def test_logsumexp_over_nothing_is_minus_infinity_as_scipy_gives():
    assert float(tg.nn.logsumexp(tg.constant(np.zeros((0,))))) == -np.inf
    x = tg.constant(np.zeros((2, 0)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.nn.logsumexp(x, axis=1)
        total = tg.sum(y)
    assert y.numpy().tolist() == [-np.inf, -np.inf]
    assert tape.gradient(total, x).shape == (2, 0)
    assert tg.nn.logsumexp(tg.constant(np.zeros((0, 3))), axis=1).shape == (0,)
    assert tg.nn.logsumexp(x, axis=1, keepdims=True).shape == (2, 1)


def test_array_api_signature_for_reductions():
    m = tg.constant(M)
    assert tg.sum(m, axis=0, keepdims=True).shape == (1, 3)
    assert tg.mean(m, axis=(0, 1)).shape == ()
    with pytest.raises(TypeError):
        tg.sum(x=m)


# -- subgradients at kinks --
def test_abs_at_zero_has_derivative_zero():
    assert gradient(lambda x: tg.sum(tg.abs(x)), [0.0, -2.0]).numpy().tolist() == [0.0, -1.0]


def test_relu_at_zero_has_derivative_zero():
    assert gradient(lambda x: tg.sum(tg.nn.relu(x)), [0.0, 2.0]).numpy().tolist() == [0.0, 1.0]


def test_maximum_ties_split_the_gradient_evenly():
    x, y = tg.constant(1.0), tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        z = tg.maximum(x, y)
    assert [float(g) for g in tape.gradient(z, [x, y])] == [0.5, 0.5]


def test_minimum_ties_split_the_gradient_evenly():
    x, y = tg.constant(2.0), tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        z = tg.minimum(x, y)
    assert [float(g) for g in tape.gradient(z, [x, y])] == [0.5, 0.5]


def test_maximum_of_a_tensor_with_itself_has_derivative_one():
    assert float(gradient(lambda x: tg.maximum(x, x), 3.0)) == 1.0


def test_max_with_repeated_maxima_shares_the_gradient_equally():
    g = gradient(lambda x: tg.max(x), [1.0, 3.0, 3.0])
    assert g.numpy().tolist() == [0.0, 0.5, 0.5]


def test_max_along_an_axis_shares_within_each_slice():
    g = gradient(lambda x: tg.sum(tg.max(x, axis=1)), [[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]])
    np.testing.assert_allclose(g.numpy(), [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]], rtol=1e-15)


def test_min_with_repeated_minima_shares_the_gradient_equally():
    g = gradient(lambda x: tg.min(x), [2.0, 1.0, 1.0, 5.0])
    assert g.numpy().tolist() == [0.0, 0.5, 0.5, 0.0]


# -- leading batch axes on cotangents --
def jacobian_by_rows(f, x):
    """Row k: the gradient with output_gradients set to the k-th basis vector."""
    x = tg.constant(x, dtype=tg.float64)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
    rows = []
    for k in range(y.size):
        basis = np.zeros(y.size)
        basis[k] = 1.0
        seed = tg.constant(basis.reshape(y.shape), dtype=y.dtype)
        g = tape.gradient(y, x, output_gradients=seed, unconnected_gradients="zero")
        rows.append(g.numpy())
    return np.array(rows).reshape(y.shape + x.shape)


def jacobian_in_one_pass(f, x):
    x = tg.constant(x, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    jacobian = tape.jacobian(y, x, unconnected_gradients="zero")
    assert jacobian.shape == y.shape + x.shape
    return jacobian.numpy()


W = np.array([[1.0, -2.0, 0.5, 3.0], [0.25, 1.0, -1.0, 2.0], [2.0, 0.0, 1.5, -0.5]])
B3 = np.arange(24.0).reshape(2, 3, 4) / 10
ROWS = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.5], [0.5, 1.5, -2.5]])

BATCHED = [
    ("broadcast-column", lambda x: x[:, None] * tg.constant(W), X),
    ("broadcast-row", lambda x: tg.constant(ROWS) + x, X),
    ("broadcast-scalar", lambda x: x * tg.constant(M), np.array(1.5)),
    ("broadcast-both", lambda x: tg.reshape(x, (3, 1)) * tg.reshape(x, (1, 3)), X),
    ("sum-axis", lambda x: tg.sum(x * x, axis=0), M),
    ("sum-axes-keepdims", lambda x: tg.sum(x, axis=(0, 2), keepdims=True), B3),
    ("mean-axis", lambda x: tg.mean(x, axis=-1), M),
    ("prod-axis", lambda x: tg.prod(x, axis=1), M),
    ("max-axis", lambda x: tg.max(x, axis=0), M),
    ("min-axis", lambda x: tg.min(x, axis=1, keepdims=True), M),
    ("matmul-matrix-vector", lambda x: tg.constant(A) @ x, X),
    ("matmul-vector-matrix", lambda x: x @ tg.constant(W), X),
    ("matmul-vector-vector", lambda x: x @ x, X),
    ("matmul-self", lambda x: x @ tg.permute_dims(x, (1, 0)), M),
    ("matmul-batched", lambda x: x @ tg.constant(W.T), B3),
    ("matmul-broadcast-left", lambda x: tg.constant(B3) @ x, W.T),
    ("reshape", lambda x: tg.reshape(x, (3, 2)) * tg.constant(W32), M),
    ("permute_dims", lambda x: tg.permute_dims(x, (2, 0, 1)), B3),
    ("expand_dims", lambda x: tg.expand_dims(x, axis=1) * tg.constant(M[:, None, :]), X),
    ("squeeze", lambda x: tg.squeeze(x, axis=0) ** 2, X[None, :]),
    ("concat", lambda x: tg.concat([x, x * x, tg.constant(M)], axis=0), M),
    ("stack", lambda x: tg.stack([x, tg.sin(x)], axis=-1), M),
    ("take_along_axis", lambda x: tg.take_along_axis(x, tg.constant([[2, 0], [1, 1]]), axis=1), M),
    ("index-slices", lambda x: x[1:, ::2], ROWS),
    ("index-integers", lambda x: x[[0, 0, 2]], X),
    ("index-mask", lambda x: x[x > 0], X),
    ("index-none-ellipsis", lambda x: x[None, ..., 0], B3),
    ("index-scalar", lambda x: x[1, 2], M),
    ("astype", lambda x: tg.astype(x, tg.float32) * 2.0, X),
    ("where", lambda x: tg.where(x > 0, x**2, -x), X),
    ("maximum", lambda x: tg.maximum(x, tg.constant(W[:, :3])), X),
    ("minimum", lambda x: tg.minimum(x[:, None], x[None, :]), np.array([1.0, 2.0, 0.5])),
    ("elementwise", lambda x: tg.sin(x) * tg.cos(x) + tg.tan(x / 4) - tg.tanh(x), X),
    ("exp-log", lambda x: tg.exp(x) + tg.log(x) + tg.log1p(x) + tg.expm1(x), POS),
    ("sqrt-square-abs", lambda x: tg.sqrt(x) * tg.square(x) - tg.abs(x) * tg.sign(x), POS),
    ("divide-pow-remainder", lambda x: x / (1.0 + x * x) + x**x + x % 0.7, POS),
    ("relu-sigmoid", lambda x: tg.nn.relu(x) * tg.nn.sigmoid(x), X),
    ("softmax", lambda x: tg.nn.softmax(x, axis=-1), M),
    ("log_softmax", lambda x: tg.nn.log_softmax(x, axis=0), M),
    ("logsumexp", lambda x: tg.nn.logsumexp(x, axis=1), M),
    (
        "sparse_softmax_cross_entropy",
        lambda x: tg.nn.sparse_softmax_cross_entropy(tg.constant(LABELS), x),
        M,
    ),
    ("seed-f", lambda x: x[0] ** 2 + x[1] ** 2 + 1, X),
    ("seed-x4", lambda x: x**4 + 2 * x + 1, X),
    ("mlp", lambda x: tg.nn.relu(tg.constant(W[:, :2]) @ tg.tanh(tg.constant(A / 4) @ x)), X),
]


@pytest.mark.parametrize(
    ("f", "x"), [case[1:] for case in BATCHED], ids=[case[0] for case in BATCHED]
)
def test_one_pass_jacobian_equals_row_by_row_gradients(f, x):
    np.testing.assert_allclose(
        jacobian_in_one_pass(f, x), jacobian_by_rows(f, x), rtol=1e-13, atol=1e-14
    )


def test_one_pass_jacobian_of_tanh_of_matmul_equals_the_analytic_value():
    f = BATCHED[-1][1]
    expected_inner = (1 - np.tanh(A / 4 @ X) ** 2)[:, None] * A / 4
    outer = (W[:, :2] @ np.tanh(A / 4 @ X) > 0)[:, None] * W[:, :2]
    np.testing.assert_allclose(jacobian_in_one_pass(f, X), outer @ expected_inner, rtol=1e-13)


def hessian_by_rows(f, x):
    x = tg.constant(x, dtype=tg.float64)
    rows = []
    for k in range(x.size):
        basis = np.zeros(x.size)
        basis[k] = 1.0
        with tg.GradientTape() as outer:
            outer.watch(x)
            with tg.GradientTape() as inner:
                inner.watch(x)
                y = f(x)
            g = inner.gradient(y, x)
        seed = tg.constant(basis.reshape(x.shape), dtype=tg.float64)
        rows.append(outer.gradient(g, x, output_gradients=seed, unconnected_gradients="zero"))
    return np.array([r.numpy() for r in rows]).reshape(x.shape + x.shape)


def hessian_in_one_pass(f, x):
    x = tg.constant(x, dtype=tg.float64)
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    return outer.jacobian(g, x, unconnected_gradients="zero").numpy()


SECOND_ORDER = [
    ("elementwise", lambda x: tg.sum(tg.sin(x) * tg.exp(x) / (1.0 + x * x)), X),
    ("broadcast", lambda x: tg.sum(x[:, None] * x[None, :] * tg.constant(W[:, :3])), X),
    ("matmul", lambda x: tg.sum(tg.tanh(tg.constant(A) @ x) ** 2), X),
    ("reductions", lambda x: tg.sum(tg.prod(x, axis=1)) + tg.mean(tg.max(x, axis=0) ** 3), M),
    ("softmax", lambda x: tg.sum(tg.constant(W32.T) * tg.nn.softmax(x)), M),
    ("logsumexp", lambda x: tg.sum(tg.nn.logsumexp(x, axis=0)), M),
    (
        "cross_entropy",
        lambda x: tg.sum(tg.nn.sparse_softmax_cross_entropy(tg.constant(LABELS), x)),
        M,
    ),
    ("indexing", lambda x: tg.sum(x[[0, 0, 2]] ** 3) + x[1] * x[2], X),
    (
        "shapes",
        lambda x: tg.sum(tg.concat([tg.reshape(x, (3, 2)), tg.square(x.T)], axis=0) ** 2),
        M,
    ),
    (
        "take_along_axis",
        lambda x: tg.sum(tg.take_along_axis(x, tg.constant([[2], [1]]), axis=1) ** 3),
        M,
    ),
]


@pytest.mark.parametrize(
    ("f", "x"), [case[1:] for case in SECOND_ORDER], ids=[case[0] for case in SECOND_ORDER]
)
def test_one_pass_hessian_equals_row_by_row_second_derivatives(f, x):
    np.testing.assert_allclose(
        hessian_in_one_pass(f, x), hessian_by_rows(f, x), rtol=1e-12, atol=1e-13
    )


def test_one_pass_hessian_of_tanh_of_matmul_equals_the_analytic_value():
    hessian = hessian_in_one_pass(SECOND_ORDER[2][1], X)
    t = np.tanh(A @ X)
    curvature = (2 - 6 * t**2) * (1 - t**2)
    np.testing.assert_allclose(hessian, A.T @ (curvature[:, None] * A), rtol=1e-12)


def test_hessian_of_the_seed_function_in_one_pass():
    hessian = hessian_in_one_pass(lambda x: x[0] ** 4 + x[1] ** 2 + 1, np.array([2.0, 3.0]))
    np.testing.assert_array_equal(hessian, [[48.0, 0.0], [0.0, 2.0]])


BATCH_PER_ROW = [
    ("matmul", lambda x: x @ tg.constant(W), ROWS),
    ("softmax", lambda x: tg.nn.softmax(x, axis=-1), ROWS),
    ("sum-keepdims", lambda x: tg.sum(x * x, axis=-1, keepdims=True), ROWS),
    ("broadcast", lambda x: x * tg.constant(X) + tg.constant(C), ROWS),
    ("outer", lambda x: x[:, :, None] * x[:, None, :], ROWS),
]


@pytest.mark.parametrize(
    ("f", "x"), [case[1:] for case in BATCH_PER_ROW], ids=[case[0] for case in BATCH_PER_ROW]
)
def test_batch_jacobian_equals_the_diagonal_blocks_of_the_full_jacobian(f, x):
    full = jacobian_by_rows(f, x)
    t = tg.constant(x, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(t)
        y = f(t)
    batch = tape.batch_jacobian(y, t)
    assert batch.shape == y.shape + x.shape[1:]
    n = x.shape[0]
    expected = np.stack([full[b][..., b, :] for b in range(n)])
    np.testing.assert_allclose(batch.numpy(), expected, rtol=1e-13, atol=1e-14)


# -- saved values: a forward's intermediates kept for its rules (primitive(saves=True)) ----------
def _cube_saving_square(uses):
    """x**3 whose forward saves x**2 for its rule; ``uses`` counts the rule's uses of it."""
    from tapegrad._primitive import REGISTRY, primitive

    def vjp(g, ans, x, *, saved=None):
        if saved is not None and not isinstance(g, tg.Tensor):
            uses.append(saved)
            return g * 3 * saved
        return g * 3 * x * x  # traced: from the tensor input, so outer tapes see the path

    @primitive(
        vjp=vjp, jvp=lambda ts, ans, x, *, saved=None: ts[0] * 3 * x * x, name="cube_t", saves=True
    )
    def cube(x, /):
        square = x * x
        return square * x, square

    REGISTRY.pop("cube_t")  # a test's op: the gradient table lists the library's own
    return cube


def test_a_saving_forward_returns_its_value_and_its_rules_get_what_it_saved():
    uses = []
    cube = _cube_saving_square(uses)
    x = tg.constant(np.array([1.0, 2.0]))
    assert cube(x).numpy().tolist() == [1.0, 8.0]  # nothing records: the value only
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = cube(x)
    assert tape.gradient(y, x).numpy().tolist() == [3.0, 12.0]
    assert len(uses) == 1 and uses[0].tolist() == [1.0, 4.0]
    # saved values are never written: a second gradient from the same tape is the same
    assert tape.gradient(y, x).numpy().tolist() == [3.0, 12.0]


def test_saved_values_are_left_alone_where_derivatives_are_traced():
    uses = []
    cube = _cube_saving_square(uses)
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = tg.sum(cube(x))
        g = inner.gradient(y, x)
    assert g.numpy().tolist() == [3.0, 12.0]
    assert outer.gradient(g, x).numpy().tolist() == [6.0, 12.0]  # 6x
    assert uses == []
    with tg.ForwardAccumulator(x, tg.constant(np.array([1.0, 0.0]))) as acc:
        z = cube(x)
    assert acc.jvp(z).numpy().tolist() == [3.0, 0.0]
    # tape.hessian runs the recorded operations again: the forward saves afresh
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        w = tg.sum(cube(x))
    np.testing.assert_array_equal(tape.hessian(w, x).numpy(), np.diag([6.0, 12.0]))


def test_an_op_that_promotes_scalars_cannot_save():
    from tapegrad._primitive import primitive

    with pytest.raises(ValueError, match="an op that saves values cannot promote scalars"):

        @primitive(vjp=lambda g, ans, x, y: g, promote=True, saves=True, name="bad_t")
        def bad(x, y, /):
            return x + y, None


def test_cross_entropy_gradients_from_the_saved_softmax_equal_the_recomputed_ones():
    rng = np.random.default_rng(7)
    logits = tg.constant(rng.normal(size=(5, 4)) * 10)
    labels = tg.constant(np.array([0, 3, 1, 1, 2]))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        loss = tg.mean(tg.nn.sparse_softmax_cross_entropy(labels, logits))
    first = tape.gradient(loss, logits).numpy()
    again = tape.gradient(loss, logits).numpy()
    p = np.exp(logits.numpy() - logits.numpy().max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(5), labels.numpy()] -= 1
    np.testing.assert_allclose(first, p / 5, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(first, again)


def test_cross_entropy_of_permuted_logits_with_three_axes_has_the_textbook_gradient():
    # permuted logits are not contiguous: the one-hot subtraction once went into a copy
    rng = np.random.default_rng(3)
    x = tg.Variable(rng.normal(size=(3, 2, 5)))
    labels = tg.constant(rng.integers(0, 5, size=(2, 3)))
    weights = tg.constant(rng.normal(size=(2, 3)))

    def loss_of(x):
        logits = tg.permute_dims(x, (1, 0, 2))
        return tg.sum(weights * tg.nn.sparse_softmax_cross_entropy(labels, logits))

    with tg.GradientTape() as tape:
        loss = loss_of(x)
    logits = np.transpose(x.numpy(), (1, 0, 2))
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    p -= np.eye(5)[labels.numpy()]
    expected = np.transpose(weights.numpy()[..., None] * p, (1, 0, 2))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), expected, rtol=1e-12, atol=1e-15)
    tangent = rng.normal(size=(3, 2, 5))
    _, forward = tg.jvp(loss_of, (x,), (tg.constant(tangent),))
    np.testing.assert_allclose(forward.numpy(), np.sum(expected * tangent), rtol=1e-12)


def test_a_python_complex_beside_a_real_tensor_casts_it_on_the_tape():
    """The real tensor is made complex by a recorded cast, whose rule keeps the real part of the
    cotangent: a real intermediate never receives a complex cotangent."""
    z = tg.constant(np.array([3 + 4j]))
    assert tg.grad(lambda w: tg.sum(tg.imag(tg.abs(w) + 1j)))(z).numpy().tolist() == [0j]
    for f in (
        lambda w: tg.sum(tg.real(tg.abs(w) * (1 - 1j))),
        lambda w: tg.sum(tg.real((1 - 1j) * tg.abs(w))),
    ):
        np.testing.assert_allclose(tg.grad(f)(z).numpy(), [0.6 + 0.8j], rtol=1e-15)
    assert (tg.constant(1.0) * 1j).dtype == tg.complex64
    assert (1j * tg.constant(1.0, dtype=tg.float64)).dtype == tg.complex128


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")  # the NaN branch
def test_marks_of_scalars_in_use_are_kept_past_the_bound_and_dead_ones_forgotten():
    """0-d values are NumPy scalars, which take no weak reference: their marks are held, and a
    sweep forgets only those no tape holds any more (dropping the oldest made live ones NaN)."""
    from tapegrad.ops import _strong

    xs = [tg.constant(-1.0, dtype=tg.float64) for _ in range(3000)]  # 6,000 marks on one tape
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = tg.sum(tg.stack([tg.where(x > 0, tg.exp(tg.log(x)), 0.0) for x in xs]))
    gradients = np.array([float(g) for g in tape.gradient(y, xs)])
    assert not np.isnan(gradients).any() and not gradients.any()
    del tape, y
    for _ in range(3 * _strong._MAX_HELD):
        x = tg.constant(-1.0, dtype=tg.float64)
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.where(x > 0, tg.exp(tg.log(x)), 0.0)
        assert float(tape.gradient(y, x)) == 0.0
    assert len(_strong._HELD) <= 2 * _strong._MAX_HELD


def test_the_rules_made_for_joins_of_many_inputs_are_bounded():
    from tapegrad.ops import manipulation

    xs = [tg.constant(float(i)) for i in range(2500)]
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = tg.sum(tg.concat([tg.reshape(x, (1,)) for x in xs]) ** 2)
    assert [float(g) for g in tape.gradient(y, xs)] == [2.0 * i for i in range(2500)]
    assert len(manipulation._concat.primitive.vjps.rules) <= 1024


@pytest.mark.parametrize("value", [np.array(1.0), np.array([1.0, 2.0])])
@pytest.mark.parametrize("shape", [(-1,), (2, -1), (-3, 2)])
def test_broadcast_to_a_negative_length_raises_numpys_error(value, shape):
    # the stride-0 view once took -1 as a length and gave shape (1,)
    with pytest.raises(ValueError, match="all elements of broadcast shape must be non-negative"):
        tg.broadcast_to(tg.constant(value), shape)
