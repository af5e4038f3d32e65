"""The seed notebook, cell by cell: exact values and the exact text its users read."""

import numpy as np
import pytest

import tapegrad as tg

NON_PERSISTENT_ERROR = "GradientTape.gradient can only be called once on non-persistent tapes."


def f(x, y):
    return x**2 + y**2 + 1


def f4(x, y):
    return x**4 + y**2 + 1


def parabola(x):
    return x**2 + 2 * x + 1


def scalar_repr(value):
    return f"<tg.Tensor: shape=(), dtype=float32, numpy={value}>"


def test_cell_2_1_second_gradient_of_non_persistent_tape_prints_the_seed_error(capsys):
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        z = f(x, y)
    dz_x = tape.gradient(z, x)
    print(dz_x)
    try:
        tape.gradient(z, y)
    except RuntimeError as error:
        print(error)
    assert capsys.readouterr().out == (
        f"tg.Tensor(4.0, shape=(), dtype=float32)\n{NON_PERSISTENT_ERROR}\n"
    )


def test_cell_2_1_values():
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        z = f(x, y)
    assert float(z) == 14.0
    dz_x = tape.gradient(z, x)
    assert isinstance(dz_x, tg.Tensor)
    assert dz_x.dtype == tg.float32
    assert dz_x.shape == ()
    assert float(dz_x) == 4.0


def test_cell_2_1_as_shown_with_persistent_tape_gives_both_gradients():
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)
    with tg.GradientTape(persistent=True) as tape:
        z = f(x, y)
    assert float(tape.gradient(z, x)) == 4.0
    assert float(tape.gradient(z, y)) == 6.0


def test_cell_2_2_persistent_tape_prints_both_partials(capsys):
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)
    with tg.GradientTape(persistent=True) as tape:
        z = f(x, y)
    dz_x = tape.gradient(z, x)
    dz_y = tape.gradient(z, y)
    print(dz_y)
    print(dz_x)
    del tape
    assert capsys.readouterr().out == (
        "tg.Tensor(6.0, shape=(), dtype=float32)\ntg.Tensor(4.0, shape=(), dtype=float32)\n"
    )


def test_cell_2_3_gradient_with_respect_to_a_list_prints_a_list(capsys):
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)
    with tg.GradientTape(persistent=True) as tape:
        z = f(x, y)
    dz_xy = tape.gradient(z, [x, y])
    print(dz_xy)
    del tape
    assert isinstance(dz_xy, list)
    assert capsys.readouterr().out == f"[{scalar_repr(4.0)}, {scalar_repr(6.0)}]\n"


def test_cell_2_4_watched_constants_print_the_same_list(capsys):
    x = tg.constant(2.0)
    y = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(y)
        z = f(x, y)
    dz_xy = tape.gradient(z, [x, y])
    print(dz_xy)
    del tape
    assert capsys.readouterr().out == f"[{scalar_repr(4.0)}, {scalar_repr(6.0)}]\n"


def test_cell_2_4_unwatched_constants_have_no_gradient():
    x = tg.constant(2.0)
    y = tg.constant(3.0)
    with tg.GradientTape() as tape:
        z = f(x, y)
    assert tape.gradient(z, [x, y]) == [None, None]


def test_cell_2_5_two_targets_give_the_sum_of_their_gradients(capsys):
    x = tg.Variable(5.0)
    with tg.GradientTape() as tape:
        z1 = 3 * x
        z2 = x**2
    print(tape.gradient([z1, z2], x))
    del tape
    assert capsys.readouterr().out == "tg.Tensor(13.0, shape=(), dtype=float32)\n"


def test_cell_2_5_intermediate_values_stay_float32():
    x = tg.Variable(5.0)
    with tg.GradientTape():
        z1 = 3 * x
        z2 = x**2
    assert (z1.dtype, float(z1)) == (tg.float32, 15.0)
    assert (z2.dtype, float(z2)) == (tg.float32, 25.0)


def second_order_cell():
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)
    with tg.GradientTape(persistent=True) as out_tape:
        with tg.GradientTape(persistent=True) as inner_tape:
            z = f4(x, y)
        inner_gradients = inner_tape.gradient(z, [x, y])
    out_gradient = [out_tape.gradient(g, [x, y]) for g in inner_gradients]
    return inner_gradients, out_gradient


def test_cell_2_6_second_order_prints_first_and_second_derivatives(capsys):
    inner_gradients, out_gradient = second_order_cell()
    print(inner_gradients)
    print(out_gradient)
    assert capsys.readouterr().out == (
        f"[{scalar_repr(32.0)}, {scalar_repr(6.0)}]\n"
        f"[[{scalar_repr(48.0)}, None], [None, {scalar_repr(2.0)}]]\n"
    )


def test_cell_2_6_second_order_values():
    inner_gradients, out_gradient = second_order_cell()
    assert [float(g) for g in inner_gradients] == [32.0, 6.0]
    (dxx, dxy), (dyx, dyy) = out_gradient
    assert dxy is None and dyx is None
    assert float(dxx) == 48.0
    assert float(dyy) == 2.0
    assert dxx.dtype == dyy.dtype == tg.float32


def float32_descent(steps=100, learning_rate=0.1):
    """The seed's descent computed by hand in float32: x -= lr * (2x + 2)."""
    x = np.float32(0.0)
    lr = np.float32(learning_rate)
    for _ in range(steps):
        x = np.float32(x - lr * np.float32(np.float32(2) * x + np.float32(2)))
    return x


def test_hand_computed_descent_matches_tensorflow_reference_value():
    assert float32_descent() == np.float32(-0.9999998807907104)


def test_cell_3_1_assign_sub_descent_prints_the_seed_variable(capsys):
    learning_rate = 0.1
    x = tg.Variable(0.0)
    for _ in range(100):
        with tg.GradientTape() as tape:
            z = parabola(x)
        dz_dx = tape.gradient(z, x)
        x.assign_sub(learning_rate * dz_dx)
    print(x)
    assert capsys.readouterr().out == (
        "<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>\n"
    )
    assert x.numpy() == float32_descent()
    assert x.dtype == tg.float32


def test_cell_3_2_sgd_descent_prints_the_seed_variable(capsys):
    learning_rate = 0.1
    x = tg.Variable(0.0)
    optimizer = tg.optimizers.SGD(learning_rate=learning_rate)
    for _ in range(100):
        with tg.GradientTape() as tape:
            z = parabola(x)
        dz_dx = tape.gradient(z, x)
        optimizer.apply_gradients([(dz_dx, x)])
    print(x)
    assert capsys.readouterr().out == (
        "<tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>\n"
    )
    assert x.numpy() == float32_descent()
    assert int(optimizer.iterations) == 100


@pytest.mark.parametrize("steps", [1, 2, 5])
def test_descent_first_steps_match_hand_computation(steps):
    x = tg.Variable(0.0)
    for _ in range(steps):
        with tg.GradientTape() as tape:
            z = parabola(x)
        x.assign_sub(0.1 * tape.gradient(z, x))
    assert x.numpy() == float32_descent(steps)
