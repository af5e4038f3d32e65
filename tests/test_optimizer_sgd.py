"""SGD: Keras's update formulas, per-variable state, the iteration counter and bad input."""

import re
import warnings

import numpy as np
import pytest

import tapegrad as tg

GRADS = [np.array([0.5, -1.0]), np.array([2.0, 0.25]), np.array([-1.5, 3.0]), np.array([1.0, 1.0])]
W0 = np.array([1.0, -2.0])


def run(optimizer, grads=GRADS, w0=W0):
    var = tg.Variable(w0)
    trajectory = []
    for g in grads:
        optimizer.apply_gradients([(tg.constant(g), var)])
        trajectory.append(var.numpy().copy())
    return np.array(trajectory)


def by_hand(lr, momentum=0.0, nesterov=False, grads=GRADS, w0=W0):
    """Keras: w -= lr*g; with momentum m = momentum*m - lr*g, then w += m
    (nesterov: w += momentum*m - lr*g)."""
    w = w0.copy()
    m = np.zeros_like(w)
    trajectory = []
    for g in grads:
        if momentum == 0.0:
            w = w - lr * g
        else:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
        trajectory.append(w.copy())
    return np.array(trajectory)


def test_default_learning_rate_and_momentum():
    opt = tg.optimizers.SGD()
    assert opt.learning_rate == 0.01
    assert opt.momentum == 0.0
    assert opt.nesterov is False


def test_plain_sgd_follows_w_minus_lr_times_g():
    np.testing.assert_allclose(
        run(tg.optimizers.SGD(learning_rate=0.1)), by_hand(0.1), rtol=1e-15, atol=0
    )


def test_plain_sgd_first_step_exact_values():
    var = tg.Variable([1.0, -2.0], dtype=tg.float64)
    tg.optimizers.SGD(learning_rate=0.5).apply_gradients([(tg.constant([2.0, -4.0]), var)])
    assert var.numpy().tolist() == [0.0, 0.0]


def test_momentum_follows_keras_formula():
    np.testing.assert_allclose(
        run(tg.optimizers.SGD(learning_rate=0.1, momentum=0.9)),
        by_hand(0.1, momentum=0.9),
        rtol=1e-14,
    )


def test_momentum_differs_from_plain_sgd_after_the_first_step():
    plain = by_hand(0.1)
    momentum = run(tg.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    np.testing.assert_allclose(momentum[0], plain[0], rtol=1e-15)
    assert not np.allclose(momentum[1], plain[1])


def test_momentum_second_step_by_hand():
    var = tg.Variable(np.float64(0.0))
    opt = tg.optimizers.SGD(learning_rate=1.0, momentum=0.5)
    opt.apply_gradients([(tg.constant(np.float64(1.0)), var)])  # m = -1, w = -1
    assert float(var) == -1.0
    opt.apply_gradients([(tg.constant(np.float64(1.0)), var)])  # m = -0.5 - 1, w = -2.5
    assert float(var) == -2.5


def test_nesterov_follows_keras_formula():
    np.testing.assert_allclose(
        run(tg.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)),
        by_hand(0.1, momentum=0.9, nesterov=True),
        rtol=1e-14,
    )


def test_nesterov_second_step_by_hand():
    var = tg.Variable(np.float64(0.0))
    opt = tg.optimizers.SGD(learning_rate=1.0, momentum=0.5, nesterov=True)
    opt.apply_gradients([(tg.constant(np.float64(1.0)), var)])  # m = -1, w += -0.5 - 1
    assert float(var) == -1.5
    opt.apply_gradients([(tg.constant(np.float64(1.0)), var)])  # m = -1.5, w += -0.75 - 1
    assert float(var) == -3.25


def test_sgd_minimises_the_seed_parabola_with_momentum():
    x = tg.Variable(0.0)
    opt = tg.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    for _ in range(300):
        with tg.GradientTape() as tape:
            z = x**2 + 2 * x + 1
        opt.apply_gradients([(tape.gradient(z, x), x)])
    assert abs(float(x) + 1.0) < 1e-4


def test_float32_variable_stays_float32():
    var = tg.Variable([1.0, 2.0])
    tg.optimizers.SGD(0.1, momentum=0.9).apply_gradients([(tg.constant(np.array([1.0, 1.0])), var)])
    assert var.dtype == tg.float32
    np.testing.assert_allclose(var.numpy(), [0.9, 1.9], rtol=1e-6)


def test_several_variables_in_one_call():
    a, b = tg.Variable(1.0), tg.Variable([2.0, 3.0])
    tg.optimizers.SGD(learning_rate=0.5).apply_gradients(
        [(tg.constant(2.0), a), (tg.constant([2.0, -2.0]), b)]
    )
    assert float(a) == 0.0
    assert b.numpy().tolist() == [1.0, 4.0]


def test_apply_gradients_accepts_a_zip():
    variables = [tg.Variable(1.0), tg.Variable(2.0)]
    grads = [tg.constant(1.0), tg.constant(1.0)]
    tg.optimizers.SGD(learning_rate=1.0).apply_gradients(zip(grads, variables))
    assert [float(v) for v in variables] == [0.0, 1.0]


# -- iterations --
def test_iterations_count_apply_gradients_calls():
    opt = tg.optimizers.SGD()
    var = tg.Variable(1.0)
    assert int(opt.iterations) == 0
    for _ in range(3):
        opt.apply_gradients([(tg.constant(1.0), var)])
    assert int(opt.iterations) == 3


def test_iterations_count_calls_not_variables():
    opt = tg.optimizers.SGD()
    a, b = tg.Variable(1.0), tg.Variable(1.0)
    opt.apply_gradients([(tg.constant(1.0), a), (tg.constant(1.0), b)])
    assert int(opt.iterations) == 1


# -- per-variable state --
def test_momentum_is_kept_per_variable():
    opt = tg.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    a = tg.Variable(np.array([1.0, -2.0]))
    b = tg.Variable(np.array([1.0, -2.0]))
    other = [g * -3.0 for g in GRADS]
    for ga, gb in zip(GRADS, other):
        opt.apply_gradients([(tg.constant(ga), a), (tg.constant(gb), b)])
    np.testing.assert_allclose(a.numpy(), by_hand(0.1, 0.9)[-1], rtol=1e-14)
    np.testing.assert_allclose(b.numpy(), by_hand(0.1, 0.9, grads=other)[-1], rtol=1e-14)


def test_new_variables_are_accepted_at_any_time_with_fresh_state():
    opt = tg.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    a = tg.Variable(W0)
    for g in GRADS[:2]:
        opt.apply_gradients([(tg.constant(g), a)])
    b = tg.Variable(W0)
    for g in GRADS[2:]:
        opt.apply_gradients([(tg.constant(g), a), (tg.constant(g), b)])
    np.testing.assert_allclose(a.numpy(), by_hand(0.1, 0.9)[-1], rtol=1e-14)
    np.testing.assert_allclose(b.numpy(), by_hand(0.1, 0.9, grads=GRADS[2:])[-1], rtol=1e-14)
    assert int(opt.iterations) == 4


def test_momentum_turned_on_later_starts_from_zero():
    """The momentum slot is built when first needed, as Keras builds it (zeros): setting
    momentum after a plain step used to give a bare KeyError on the next step."""
    opt, var = tg.optimizers.SGD(learning_rate=0.1), tg.Variable(W0)
    opt.apply_gradients([(tg.constant(GRADS[0]), var)])
    opt.momentum = 0.9
    for g in GRADS[1:]:
        opt.apply_gradients([(tg.constant(g), var)])
    w1 = by_hand(0.1, grads=GRADS[:1])[-1]
    want = by_hand(0.1, 0.9, grads=GRADS[1:], w0=w1)
    np.testing.assert_allclose(var.numpy(), want[-1], rtol=1e-15)
    np.testing.assert_allclose(
        opt.get_slot(var, "momentum").numpy(), want[-1] - want[-2], rtol=1e-14
    )


def test_momentum_turned_off_later_drops_its_slot():
    opt, var = tg.optimizers.SGD(learning_rate=0.1, momentum=0.9), tg.Variable(W0)
    opt.apply_gradients([(tg.constant(GRADS[0]), var)])
    opt.momentum = 0.0
    opt.apply_gradients([(tg.constant(GRADS[1]), var)])
    np.testing.assert_allclose(var.numpy(), W0 - 0.1 * GRADS[0] - 0.1 * GRADS[1], rtol=1e-15)
    assert opt.slot_names() == [] and len(opt.variables) == 1
    with pytest.raises(KeyError, match="SGD keeps no slots with these options"):
        opt.get_slot(var, "momentum")


def test_variables_with_equal_values_do_not_share_state():
    opt = tg.optimizers.SGD(learning_rate=1.0, momentum=0.5)
    a, b = tg.Variable(np.float64(0.0)), tg.Variable(np.float64(0.0))
    opt.apply_gradients([(tg.constant(np.float64(1.0)), a)])
    opt.apply_gradients([(tg.constant(np.float64(1.0)), b)])
    assert float(a) == float(b) == -1.0


# -- None gradients and bad input --
def test_none_gradient_is_skipped_with_a_warning_naming_the_variable():
    opt = tg.optimizers.SGD(learning_rate=0.5)
    w = tg.Variable(1.0, name="w")
    b = tg.Variable(1.0, name="b")
    with pytest.warns(UserWarning, match=re.escape("'w:0'")):
        opt.apply_gradients([(None, w), (tg.constant(1.0), b)])
    assert float(w) == 1.0
    assert float(b) == 0.5


def test_no_warning_when_every_gradient_is_given():
    opt = tg.optimizers.SGD(learning_rate=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.apply_gradients([(tg.constant(1.0), tg.Variable(1.0))])


def test_unconnected_variable_from_a_tape_is_skipped_with_a_warning():
    used, unused = tg.Variable(2.0, name="used"), tg.Variable(5.0, name="unused")
    with tg.GradientTape() as tape:
        loss = used * used
    grads = tape.gradient(loss, [used, unused])
    with pytest.warns(UserWarning, match="unused:0"):
        tg.optimizers.SGD(learning_rate=0.25).apply_gradients(zip(grads, [used, unused]))
    assert (float(used), float(unused)) == (1.0, 5.0)


def test_gradient_of_the_wrong_shape_raises_value_error_naming_both_shapes():
    var = tg.Variable([1.0, 2.0])
    opt = tg.optimizers.SGD()
    with pytest.raises(ValueError, match=re.escape("(3,)") + ".*" + re.escape("(2,)")):
        opt.apply_gradients([(tg.constant([1.0, 2.0, 3.0]), var)])
    assert var.numpy().tolist() == [1.0, 2.0]


def test_updating_something_that_is_not_a_variable_raises_type_error():
    with pytest.raises(TypeError, match=r"tg\.Variable"):
        tg.optimizers.SGD().apply_gradients([(tg.constant(1.0), tg.constant(1.0))])


def test_momentum_outside_zero_one_raises_value_error():
    with pytest.raises(ValueError, match="momentum"):
        tg.optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="momentum"):
        tg.optimizers.SGD(momentum=-0.1)


def test_momentum_and_nesterov_are_checked_when_set_later_too():
    opt = tg.optimizers.SGD(0.1)
    with pytest.raises(ValueError) as caught:
        opt.momentum = 5
    assert str(caught.value) == "momentum must lie in [0, 1], not 5"
    with pytest.raises(TypeError) as caught:
        opt.momentum = "0.9"
    assert str(caught.value) == "momentum must be a real number, not str '0.9'"
    with pytest.raises(TypeError) as caught:
        tg.optimizers.SGD(0.1, momentum=None)
    assert str(caught.value) == "momentum must be a real number, not None"
    with pytest.raises(TypeError) as caught:
        tg.optimizers.SGD(0.1, nesterov="yes")
    assert str(caught.value) == "nesterov must be True or False, not str 'yes'"
    assert (opt.momentum, opt.nesterov) == (0.0, False)


def test_a_negative_learning_rate_is_refused_as_pytorch_does():
    with pytest.raises(ValueError) as caught:
        tg.optimizers.SGD(-0.1)
    assert str(caught.value) == "learning_rate must be >= 0, not -0.1"
    opt = tg.optimizers.SGD(0.1)
    with pytest.raises(ValueError) as caught:
        opt.learning_rate = -5
    assert str(caught.value) == "learning_rate must be >= 0, not -5"
    assert tg.optimizers.SGD(0).learning_rate == 0  # a zero rate is no step, not a mistake


def test_an_integer_variable_is_refused_instead_of_truncating_the_step():
    var = tg.Variable(5)
    with pytest.raises(TypeError) as caught:
        tg.optimizers.SGD(0.1).apply_gradients([(tg.constant(3.0), var)])
    assert str(caught.value) == (
        "SGD cannot update variable 'Variable:0' of dtype int32: it updates floating-point or "
        "complex variables only, as each step would be truncated to a whole number; create the "
        "variable with a float dtype, e.g. tg.Variable(value, dtype=tg.float32)"
    )
    assert int(var) == 5


def test_gradient_accumulation_steps_may_be_a_numpy_integer():
    opt = tg.optimizers.SGD(1.0, gradient_accumulation_steps=np.int64(2))
    var = tg.Variable(np.float64(10.0))
    for g in (1.0, 3.0):
        opt.apply_gradients([(tg.constant(np.float64(g)), var)])
    assert float(var) == 8.0


# -- learning-rate schedules --
def test_learning_rate_may_be_a_callable_of_the_step():
    steps = []

    def schedule(step):
        steps.append(step)
        return 0.1 / (1 + step)

    opt = tg.optimizers.SGD(learning_rate=schedule)
    var = tg.Variable(np.float64(1.0))
    expected = 1.0
    for step in range(3):
        opt.apply_gradients([(tg.constant(np.float64(1.0)), var)])
        expected -= 0.1 / (1 + step)
    assert steps == [0, 1, 2]
    np.testing.assert_allclose(float(var), expected, rtol=1e-15)


def test_schedule_with_momentum():
    opt = tg.optimizers.SGD(learning_rate=lambda step: 0.5**step, momentum=0.5)
    var = tg.Variable(np.float64(0.0))
    for _ in range(2):
        opt.apply_gradients([(tg.constant(np.float64(1.0)), var)])
    # step 0: m = -1, w = -1; step 1: m = -0.5 - 0.5 = -1, w = -2
    assert float(var) == -2.0


def test_a_step_writes_weights_that_nothing_else_holds_in_place():
    # nothing but the variable holds its array: the step writes into it, no second copy
    var = tg.Variable([1.0, 2.0])
    address = id(var._value)  # not the array itself: holding it would forbid the write
    tg.optimizers.SGD(learning_rate=0.5).apply_gradients([(tg.constant([2.0, 2.0]), var)])
    assert id(var._value) == address  # a new array would be made while the old one lives
    assert var.numpy().tolist() == [0.0, 1.0]


def test_a_step_never_writes_an_array_someone_else_holds():
    var = tg.Variable([1.0, 2.0])
    seen = var.numpy()  # a read-only view of the variable's array: it must keep its values
    opt = tg.optimizers.Adam(learning_rate=0.5)
    opt.apply_gradients([(tg.constant([2.0, 2.0]), var)])
    assert seen.tolist() == [1.0, 2.0]
    assert var.numpy().tolist() == pytest.approx([0.5, 1.5], rel=1e-5)
    held = var.value()  # a tensor of the current value
    opt.apply_gradients([(tg.constant([2.0, 2.0]), var)])
    assert held.numpy().tolist() == pytest.approx([0.5, 1.5], rel=1e-5)
    # a variable given a view of the caller's array never writes through it
    mine = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    var.assign(mine[0])
    del held
    tg.optimizers.SGD(1.0).apply_gradients([(tg.constant([1.0, 1.0]), var)])
    assert mine.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert var.numpy().tolist() == [0.0, 1.0]


def test_snapshot_of_the_variable_survives_an_optimizer_step():
    var = tg.Variable([1.0, 2.0])
    opt = tg.optimizers.SGD(learning_rate=1.0)
    with tg.GradientTape(persistent=True) as tape:
        loss = tg.sum(var * var)
    opt.apply_gradients([(tape.gradient(loss, var), var)])
    assert var.numpy().tolist() == [-1.0, -2.0]
    assert tape.gradient(loss, var).numpy().tolist() == [2.0, 4.0]
