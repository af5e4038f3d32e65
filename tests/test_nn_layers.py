"""tg.nn layers (Dense, Sequential), initializers and losses."""

import math
import re

import numpy as np
import pytest

import tapegrad as tg

# -- initializers ------------------------------------------------------------------------------


def test_glorot_uniform_bounds_spread_and_seed():
    w = tg.nn.glorot_uniform((200, 300), seed=0)
    limit = math.sqrt(6 / 500)
    values = w.numpy()
    assert w.shape == (200, 300) and w.dtype == tg.float32
    assert np.abs(values).max() <= limit
    assert values.var() == pytest.approx(limit**2 / 3, rel=0.02)  # the variance of U(-l, l)
    np.testing.assert_array_equal(values, tg.nn.glorot_uniform((200, 300), seed=0).numpy())
    assert not np.array_equal(values, tg.nn.glorot_uniform((200, 300), seed=1).numpy())


def test_he_normal_is_truncated_and_scaled_to_fan_in():
    w = tg.nn.he_normal((400, 250), dtype=tg.float64, seed=0).numpy()
    target = math.sqrt(2 / 400)
    assert w.dtype == np.float64
    assert w.std() == pytest.approx(target, rel=0.02)
    assert np.abs(w).max() <= 2 * target / 0.87962566103423978  # cut at two raw stddevs
    assert abs(w.mean()) < 0.01 * target * 10


def test_fans_of_vectors_and_convolution_kernels():
    # a (3, 3, 4, 8) kernel: fan_in = 3*3*4, fan_out = 3*3*8, as Keras computes them
    w = tg.nn.glorot_uniform((3, 3, 4, 8), seed=0).numpy()
    assert np.abs(w).max() <= math.sqrt(6 / (36 + 72))
    v = tg.nn.glorot_uniform((10,), seed=0).numpy()
    assert np.abs(v).max() <= math.sqrt(6 / 20)


# -- Dense ---------------------------------------------------------------------------------------
def test_dense_computes_activation_of_x_kernel_plus_bias():
    layer = tg.nn.Dense(3, activation="relu", name="hidden", seed=0)
    x = np.array([[1.0, -2.0], [0.5, 0.25]], dtype=np.float32)
    y = layer(x)
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), np.maximum(x @ kernel + bias, 0), rtol=1e-6)
    assert kernel.shape == (2, 3) and bias.tolist() == [0.0, 0.0, 0.0]
    assert (layer.kernel.name, layer.bias.name) == ("hidden/kernel:0", "hidden/bias:0")
    assert layer.trainable_variables == [layer.kernel, layer.bias]


def test_dense_builds_on_first_call_or_from_input_dim():
    lazy = tg.nn.Dense(4)
    assert not lazy.built and lazy.trainable_variables == []
    lazy(tg.ones((1, 6)))
    assert lazy.built and lazy.kernel.shape == (6, 4)
    eager = tg.nn.Dense(4, input_dim=6, use_bias=False)
    assert eager.built and [v.shape for v in eager.variables] == [(6, 4)]


def test_dense_casts_inputs_to_its_dtype():
    layer = tg.nn.Dense(2, input_dim=3, seed=0)
    assert layer(np.ones((2, 3))).dtype == tg.float32  # a float64 NumPy batch
    assert layer(tg.ones((2, 3), dtype=tg.float64)).dtype == tg.float32
    wide = tg.nn.Dense(2, input_dim=3, dtype=tg.float64, seed=0)
    assert wide.kernel.dtype == tg.float64 and wide(np.ones((1, 3))).dtype == tg.float64


def test_dense_seed_makes_weights_reproducible_and_initializers_are_pluggable():
    a, b = tg.nn.Dense(5, input_dim=4, seed=3), tg.nn.Dense(5, input_dim=4, seed=3)
    np.testing.assert_array_equal(a.kernel.numpy(), b.kernel.numpy())
    he = tg.nn.Dense(5, input_dim=4, kernel_initializer="he_normal", seed=3)
    assert not np.array_equal(he.kernel.numpy(), a.kernel.numpy())
    custom = tg.nn.Dense(
        2,
        input_dim=2,
        kernel_initializer=lambda shape, dtype: np.eye(*shape),
        bias_initializer=lambda shape, dtype: np.full(shape, 0.5),
    )
    assert custom.kernel.numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert custom.kernel.dtype == tg.float32
    assert custom(np.array([[2.0, 3.0]])).numpy().tolist() == [[2.5, 3.5]]


def test_dense_bad_arguments():
    with pytest.raises(ValueError, match="units must be a positive integer, not 0"):
        tg.nn.Dense(0)
    with pytest.raises(ValueError, match=re.escape("unknown activation 'relu6'")):
        tg.nn.Dense(2, activation="relu6")
    with pytest.raises(ValueError, match=re.escape("unknown kernel_initializer 'ones'")):
        tg.nn.Dense(2, kernel_initializer="ones")
    layer = tg.nn.Dense(2, input_dim=3, name="d")
    with pytest.raises(
        ValueError, match=re.escape("layer 'd' expects inputs with last dimension 3")
    ):
        layer(np.ones((1, 4)))


def test_layers_get_keras_style_automatic_names():
    first, second = tg.nn.Dense(1), tg.nn.Dense(1)
    assert first.name.startswith("dense") and second.name != first.name
    assert tg.nn.Sequential().name.startswith("sequential")


# -- Sequential ----------------------------------------------------------------------------------
def test_sequential_chains_layers_and_lists_variables_in_order():
    model = tg.nn.Sequential([tg.nn.Dense(4, seed=0), tg.nn.relu, tg.nn.Dense(2, seed=1)])
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    y = model(x)
    first, _, last = model.layers
    expected = np.maximum(x @ first.kernel.numpy() + first.bias.numpy(), 0)
    expected = expected @ last.kernel.numpy() + last.bias.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5)
    assert model.trainable_variables == [first.kernel, first.bias, last.kernel, last.bias]


def test_sequential_build_creates_every_variable():
    model = tg.nn.Sequential()
    model.add(tg.nn.Dense(8))
    model.add(tg.nn.sigmoid)
    model.add(tg.nn.Dense(3))
    model.build((None, 5))
    assert [v.shape for v in model.trainable_variables] == [(5, 8), (8,), (8, 3), (3,)]
    with pytest.raises(TypeError, match="Sequential takes layers"):
        model.add(3)


def test_non_trainable_variables_are_left_out_of_trainable_variables():
    layer = tg.nn.Dense(2, input_dim=2)
    layer.bias = tg.Variable([0.0, 0.0], trainable=False)
    assert layer.trainable_variables == [layer.kernel]
    assert layer.non_trainable_variables == [layer.bias]


def test_a_model_trains_with_a_tape_and_an_optimizer():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] > 0).astype(np.int32)  # XOR-like: needs the hidden layer
    model = tg.nn.Sequential([tg.nn.Dense(16, activation="tanh", seed=0), tg.nn.Dense(2, seed=1)])
    opt = tg.optimizers.Adam(0.05)
    for _ in range(150):
        with tg.GradientTape() as tape:
            loss = tg.mean(tg.nn.sparse_softmax_cross_entropy(labels, model(x)))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
    accuracy = np.mean(np.argmax(model(x).numpy(), axis=1) == labels)
    assert accuracy >= 0.95


# -- losses --------------------------------------------------------------------------------------
def test_mean_squared_error_is_per_example():
    y_true = np.array([[0.0, 1.0], [2.0, 2.0]])
    y_pred = np.array([[1.0, 1.0], [0.0, 4.0]])
    loss = tg.nn.mean_squared_error(y_true, tg.constant(y_pred))
    assert loss.numpy().tolist() == [0.5, 4.0]


def test_softmax_cross_entropy_matches_the_definition_and_the_sparse_version():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 1000.0]])
    labels = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    loss = tg.nn.softmax_cross_entropy(labels, tg.constant(logits)).numpy()
    log_p0 = logits[0] - np.log(np.exp(logits[0]).sum())
    assert loss[0] == pytest.approx(-(labels[0] * log_p0).sum(), rel=1e-14)
    assert loss[1] == pytest.approx(1000.0, rel=1e-14)  # stable: no overflow
    sparse = tg.nn.sparse_softmax_cross_entropy(np.array([2, 0]), tg.constant(logits)).numpy()
    one_hot = tg.nn.softmax_cross_entropy(np.eye(3)[[2, 0]], tg.constant(logits)).numpy()
    np.testing.assert_allclose(one_hot, sparse, rtol=1e-14)


def test_sigmoid_cross_entropy_is_stable_and_exact():
    logits = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0])
    labels = np.array([0.0, 1.0, 0.3, 0.0, 1.0])
    loss = tg.nn.sigmoid_cross_entropy(labels, tg.constant(logits)).numpy()
    p = 1 / (1 + np.exp(-logits[1:4]))
    direct = -labels[1:4] * np.log(p) - (1 - labels[1:4]) * np.log(1 - p)
    np.testing.assert_allclose(loss[1:4], direct, rtol=1e-14)
    assert loss[0] == 0.0 and loss[4] == 0.0


def test_sigmoid_cross_entropy_derivatives_are_right_at_zero_and_far_out():
    x = tg.constant(np.array([-1000.0, 0.0, 1000.0]))
    z = np.array([1.0, 0.25, 0.0])
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            loss = tg.sum(tg.nn.sigmoid_cross_entropy(z, x))
        g = inner.gradient(loss, x)
    h = outer.gradient(g, x)
    assert g.numpy().tolist() == [-1.0, 0.25, 1.0]  # sigmoid(x) - z
    assert h.numpy().tolist() == [0.0, 0.25, 0.0]  # sigmoid'(x): 1/4 at 0, not a kink


@pytest.mark.parametrize(
    "loss",
    [tg.nn.mean_squared_error, tg.nn.softmax_cross_entropy, tg.nn.sigmoid_cross_entropy],
    ids=lambda f: f.__name__,
)
def test_losses_have_right_derivatives_to_second_order(loss):
    rng = np.random.default_rng(0)
    labels = rng.uniform(size=(3, 4))
    logits = rng.normal(size=(3, 4)) * 3
    tg.testing.check_grads(lambda x: loss(labels, x), [logits], order=2)


def test_losses_refuse_mismatched_shapes():
    message = (
        "softmax_cross_entropy: labels of shape (2,) do not match logits of shape (2, 3); give "
        "one label per logit (for integer class labels use tg.nn.sparse_softmax_cross_entropy)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        tg.nn.softmax_cross_entropy(np.array([0, 1]), tg.zeros((2, 3)))
    with pytest.raises(ValueError, match=re.escape("labels of shape (3,) do not match")):
        tg.nn.sigmoid_cross_entropy(np.ones(3), tg.zeros((3, 1)))


def test_sigmoid_cross_entropy_is_exact_for_a_confident_correct_logit():
    loss = tg.nn.sigmoid_cross_entropy(
        tg.constant(np.array([1.0, 0.0])), tg.constant(np.array([30.0, -30.0]))
    )
    expected = np.log1p(np.exp(-30.0))
    assert loss.numpy().tolist() == [expected, expected]


def test_sigmoid_of_a_complex_tensor_raises_instead_of_taking_its_modulus():
    with pytest.raises(TypeError, match="sigmoid takes real inputs, not complex128"):
        tg.nn.sigmoid(tg.constant(np.array([0.3 + 0.2j])))


def test_a_model_nested_in_a_model_builds_the_next_layers_for_its_output():
    model = tg.nn.Sequential([tg.nn.Sequential([tg.nn.Dense(8), tg.nn.relu]), tg.nn.Dense(2)])
    model.build((None, 3))
    assert [v.shape for v in model.trainable_variables] == [(3, 8), (8,), (8, 2), (2,)]
    assert model(tg.ones((5, 3))).shape == (5, 2)
    assert model.compute_output_shape((None, 3)) == (None, 2)


def test_a_per_example_loss_of_scalars_says_a_0d_value_has_no_axes():
    message = "axis -1 is out of bounds for a 0-d array, which has no axes: use axis=None"
    with pytest.raises(ValueError, match=re.escape(message)):
        tg.nn.mean_squared_error(tg.constant(1.0), tg.constant(2.0))


# -- shared layers, frozen layers ----------------------------------------------------------------
def test_a_shared_layer_is_listed_once_and_stepped_once():
    d = tg.nn.Dense(
        1, use_bias=False, input_dim=1, kernel_initializer=lambda s, dt: np.full(s, 0.5)
    )
    model = tg.nn.Sequential([d, d])
    assert model.trainable_variables == [d.kernel] and model.variables == [d.kernel]
    with tg.GradientTape() as tape:
        loss = tg.sum(model(np.array([[1.0]], np.float32)))  # k * k: the gradient is 2k = 1
    grads = tape.gradient(loss, model.trainable_variables)
    tg.optimizers.SGD(0.1).apply_gradients(zip(grads, model.trainable_variables))
    assert d.kernel.numpy().tolist() == [[np.float32(0.5) - np.float32(0.1)]]  # one step, not two
    inner = tg.nn.Sequential([tg.nn.Dense(2, input_dim=2), d])
    outer = tg.nn.Sequential([inner, tg.nn.Dense(1, input_dim=1), inner, d])
    expected = [inner.layers[0].kernel, inner.layers[0].bias, d.kernel]
    expected += outer.layers[1].variables
    assert outer.trainable_variables == expected


def test_a_frozen_layer_leaves_trainable_variables_as_in_keras():
    first, last = tg.nn.Dense(3, input_dim=2), tg.nn.Dense(1, input_dim=3)
    model = tg.nn.Sequential([first, last])
    first.trainable = False
    assert first.trainable_variables == []
    assert first.non_trainable_variables == [first.kernel, first.bias]
    assert model.trainable_variables == [last.kernel, last.bias]
    assert model.non_trainable_variables == [first.kernel, first.bias]
    assert first.kernel.trainable  # the variable's own flag is untouched
    model.trainable = False  # reaches the layers inside, as Keras's setter does
    assert not last.trainable and model.trainable_variables == []
    assert model.non_trainable_variables == model.variables
    model.trainable = True
    assert model.trainable_variables == model.variables
    with pytest.raises(TypeError) as caught:
        first.trainable = "False"
    assert str(caught.value) == "trainable must be True or False, not 'False'"


def test_a_layer_subclass_that_skips_layer_init_still_builds():
    class NoInit(tg.nn.Layer):
        def __init__(self):
            self.w = None

        def build(self, shape):
            self.w = tg.Variable(np.ones((shape[-1], 1), np.float32))
            self.built = True

        def call(self, x):
            return x @ self.w

    assert NoInit()(np.ones((1, 2))).numpy().tolist() == [[2.0]]


def test_automatic_names_are_keras_snake_case():
    class HTTPProbeLayer(tg.nn.Layer):
        pass

    assert HTTPProbeLayer().name == "http_probe_layer"


# -- Dense argument and input checks -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": True}, "units must be a positive integer, not True"),
        ({"units": 2.0}, "units must be a positive integer, not 2.0"),
        ({"units": 3, "input_dim": 2.5}, "input_dim must be a positive integer, not 2.5"),
        ({"units": 3, "input_dim": 0}, "input_dim must be a positive integer, not 0"),
        ({"units": 3, "input_dim": True}, "input_dim must be a positive integer, not True"),
    ],
)
def test_dense_sizes_must_be_positive_integers(kwargs, message):
    with pytest.raises(ValueError) as caught:
        tg.nn.Dense(**kwargs)
    assert str(caught.value) == message


def test_dense_use_bias_must_be_a_bool():
    with pytest.raises(TypeError) as caught:
        tg.nn.Dense(3, use_bias="False")
    assert str(caught.value) == "use_bias must be True or False, not 'False'"
    assert tg.nn.Dense(3, input_dim=2, use_bias=np.bool_(False)).bias is None
    assert tg.nn.Dense(np.int64(3), input_dim=np.int32(2)).kernel.shape == (2, 3)


def test_dense_refuses_an_initializer_result_of_the_wrong_shape():
    def ones_column(shape, dtype):
        return np.ones((shape[0], 1))

    with pytest.raises(ValueError) as caught:
        tg.nn.Dense(3, kernel_initializer=ones_column, name="d")(tg.ones((2, 4)))
    assert str(caught.value) == (
        "layer 'd': kernel_initializer ones_column returned shape (4, 1) for a kernel of shape "
        "(4, 3); an initializer must return the shape it is given"
    )
    with pytest.raises(ValueError) as caught:
        tg.nn.Dense(3, input_dim=4, bias_initializer=lambda s, dt: 0.5, name="d")
    assert str(caught.value) == (
        "layer 'd': bias_initializer <lambda> returned shape () for a bias of shape (3,); "
        "an initializer must return the shape it is given"
    )
    with pytest.raises(TypeError) as caught:  # a complex value for a real layer
        tg.nn.Dense(2, input_dim=2, kernel_initializer=lambda s, dt: np.ones(s) * 1j)
    assert str(caught.value) == (
        "cannot convert complex value to float32: that would drop the imaginary part; take "
        "tg.real(x) or tg.imag(x) first"
    )


def test_dense_refuses_complex_input_to_a_real_layer():
    layer = tg.nn.Dense(2, input_dim=2, name="d")
    message = (
        "layer 'd' computes in float32 and cannot take complex input (complex128): that would "
        "drop the imaginary part; take tg.real(x) or tg.abs(x) first, or give the layer a "
        "complex dtype"
    )
    for x in (tg.constant(np.array([[1 + 1j, 2]])), np.array([[1 + 1j, 2]])):
        with pytest.raises(TypeError) as caught:
            layer(x)
        assert str(caught.value) == message
    complex_layer = tg.nn.Dense(2, input_dim=2, dtype=tg.complex64)
    assert complex_layer(np.array([[1 + 1j, 2]])).dtype == tg.complex64


def test_dense_explains_inputs_it_cannot_be_built_for():
    with pytest.raises(ValueError) as caught:
        tg.nn.Dense(2, name="d")(np.float32(1.0))
    assert str(caught.value) == (
        "layer 'd' needs inputs with at least one axis (the features, last); got a scalar, of "
        "shape ()"
    )
    model = tg.nn.Sequential([tg.nn.Dense(2, name="d")])
    with pytest.raises(ValueError) as caught:
        model.build((None, None))
    assert str(caught.value) == (
        "layer 'd' cannot be built for inputs of shape (None, None): the last axis (the "
        "features) must have a known, positive size"
    )
    with pytest.raises(TypeError) as caught:
        model.build(4)
    assert str(caught.value) == (
        "build takes the shape of the inputs, batch axis first, such as (None, 4); not 4"
    )
    with pytest.raises(TypeError) as caught:
        tg.nn.Sequential(tg.nn.Dense(3))
    assert (
        str(caught.value)
        == "Sequential takes a list of layers, not a Dense: write Sequential([layer])"
    )


def test_initializers_take_an_int_shape_and_empty_shapes():
    assert tg.nn.glorot_uniform(3, seed=0).shape == (3,)
    assert tg.nn.he_normal(np.int64(3), seed=0).shape == (3,)
    assert tg.nn.he_normal((0,)).shape == (0,)  # Keras's max(1, fan): no division by zero
    assert tg.nn.glorot_uniform((0,)).shape == (0,)


# -- loss dtypes -------------------------------------------------------------------------------
def test_losses_never_truncate_float_labels_to_integer_logits():
    mse = tg.nn.mean_squared_error(tg.constant([[0.5, 1.5]]), tg.constant([[1, 1]]))
    assert mse.dtype == tg.float64 and mse.numpy().tolist() == [0.25]
    sigmoid = tg.nn.sigmoid_cross_entropy(tg.constant([0.3]), tg.constant([2]))
    z = float(np.float32(0.3))  # the float32 label, promoted exactly to float64
    assert sigmoid.numpy().tolist() == [(2.0 - 2.0 * z) + np.log1p(np.exp(-2.0))]
    softmax = tg.nn.softmax_cross_entropy(tg.constant([[0.5, 0.5]]), tg.constant([[1, 2]]))
    assert softmax.numpy() == pytest.approx([np.log(np.e + np.e**2) - 1.5], rel=1e-15)
    # float logits keep their dtype: the labels are cast to it
    assert tg.nn.mean_squared_error([[1, 2]], tg.constant([[1.0, 1.0]])).dtype == tg.float32


def test_losses_refuse_complex_labels_for_real_logits():
    with pytest.raises(TypeError) as caught:
        tg.nn.mean_squared_error(tg.constant([1 + 1j, 2]), tg.constant([1.0, 2.0]))
    assert str(caught.value) == (
        "mean_squared_error: complex labels (complex64) for real predictions (float32) would "
        "lose their imaginary part; give real labels (tg.real(labels) if that is meant)"
    )
    with pytest.raises(TypeError) as caught:
        tg.nn.sigmoid_cross_entropy(np.array([1j]), tg.constant([1]))
    assert str(caught.value) == (
        "sigmoid_cross_entropy: complex labels (complex128) for real logits (int32) would "
        "lose their imaginary part; give real labels (tg.real(labels) if that is meant)"
    )


def test_mean_squared_error_shape_message_says_predictions():
    with pytest.raises(ValueError) as caught:
        tg.nn.mean_squared_error(np.ones(3), tg.zeros((3, 1)))
    assert str(caught.value) == (
        "mean_squared_error: labels of shape (3,) do not match predictions of shape (3, 1); "
        "give one label per prediction"
    )


def test_sparse_cross_entropy_as_the_target_has_exact_second_derivatives():
    # the rule took a raw seed for a first-order pass and cut the outer tapes: hessian was off,
    # hvp zeros and an outer gradient None, whenever the loss itself was the target
    z = np.array([0.3, -0.2, 0.5, 1.0])
    label = tg.constant(2)
    loss = lambda v: tg.nn.sparse_softmax_cross_entropy(label, v)  # noqa: E731
    p = np.exp(z) / np.exp(z).sum()
    expected = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(tg.hessian(loss)(tg.constant(z)).numpy(), expected, atol=1e-15)
    direction = tg.constant([1.0, 0.0, 0.0, 0.0], dtype=tg.float64)
    np.testing.assert_allclose(tg.hvp(loss, tg.constant(z), direction).numpy(), expected[:, 0])
    x = tg.constant(np.stack([z, z[::-1]]))
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            losses = tg.nn.sparse_softmax_cross_entropy(tg.constant([2, 1]), x)
        total = tg.sum(inner.gradient(losses, x) ** 2)
    rows = []
    for row, label_k in zip(x.numpy(), (2, 1)):  # d/dx sum((p - e)^2) = 2 (diag(p) - p p^T)(p - e)
        q = np.exp(row) / np.exp(row).sum()
        rows.append(2 * (np.diag(q) - np.outer(q, q)) @ (q - np.eye(4)[label_k]))
    np.testing.assert_allclose(outer.gradient(total, x).numpy(), np.array(rows), atol=1e-15)


def test_softmax_family_names_itself_for_a_bad_axis_and_takes_a_scalar():
    for f, name in (
        (tg.nn.softmax, "softmax"),
        (tg.nn.log_softmax, "log_softmax"),
        (tg.nn.logsumexp, "logsumexp"),
    ):
        with pytest.raises(ValueError) as caught:
            f(tg.ones(2), axis=5)
        assert str(caught.value) == (
            f"{name}: axis 5 is out of bounds for an array of 1 dimensions: use an axis in [-1, 0]"
        )
    scalar = tg.constant(1.0)
    assert [float(f(scalar)) for f in (tg.nn.softmax, tg.nn.log_softmax, tg.nn.logsumexp)] == [
        1.0,
        0.0,
        1.0,
    ]
