"""ForwardAccumulator: TensorFlow's semantics and errors, its documentation's examples, and
forward mode composed with tapes and with other accumulators in any order and depth."""

import re

import numpy as np
import pytest

import tapegrad as tg

RNG = np.random.default_rng(4)


def f64(value):
    return tg.constant(np.asarray(value, dtype=np.float64))


def close(actual, expected, rtol=1e-12, atol=1e-12):
    assert actual is not None
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


# -- examples from TensorFlow's documentation ------------------------------------------------------
def test_tf_doc_forward_over_backward_hessian_vector_product():
    v = tg.Variable([1.0, 2.0])
    with tg.ForwardAccumulator(v, tg.constant([1.0, 0.0])) as acc:
        with tg.GradientTape() as tape:
            y = tg.sum(v**3.0)
        backward = tape.gradient(y, v)
    np.testing.assert_array_equal(backward.numpy(), [3.0, 12.0])
    np.testing.assert_array_equal(acc.jvp(backward).numpy(), [6.0, 0.0])


def test_tf_doc_nested_accumulators_give_second_derivatives():
    primal = tg.constant(1.1)
    with tg.ForwardAccumulator(primal, tg.constant(1.0)) as outer:
        with tg.ForwardAccumulator(primal, tg.constant(1.0)) as inner:
            primal_out = primal ** tg.constant(3.5)
    inner_jvp = inner.jvp(primal_out)
    close(inner_jvp, 4.4417057, rtol=1e-6)  # 3.5 * 1.1 ** 2.5
    close(outer.jvp(inner_jvp), 10.094786, rtol=1e-6)  # 3.5 * 2.5 * 1.1 ** 1.5
    # the documented caveat: the reverse order does not work, the inner accumulator never saw
    # the outer one's tangent computation
    assert inner.jvp(outer.jvp(primal_out)) is None


def test_tf_doc_linear_regression_jvp_with_respect_to_the_kernel():
    x = tg.constant([[2.0, 3.0], [1.0, 4.0]])
    targets = tg.constant([[1.0], [-1.0]])
    kernel = tg.Variable([[0.5], [-0.25]])
    bias = tg.Variable([0.1])
    with tg.ForwardAccumulator(primals=kernel, tangents=tg.constant([[1.0], [0.0]])) as acc:
        loss = tg.sum((tg.matmul(x, kernel) + bias - targets) ** 2.0)
    residual = np.array([[2.0, 3.0], [1.0, 4.0]]) @ [[0.5], [-0.25]] + 0.1 - [[1.0], [-1.0]]
    # d loss along the first kernel entry: sum(2 * residual * x[:, 0])
    close(acc.jvp(loss), np.sum(2 * residual[:, 0] * [2.0, 1.0]), rtol=1e-6)
    assert acc.jvp(bias) is None


# -- jvp results -----------------------------------------------------------------------------------
def test_jvp_of_a_primal_is_its_tangent():
    x = f64([1.0, 2.0])
    with tg.ForwardAccumulator(x, f64([3.0, 4.0])) as acc:
        pass
    np.testing.assert_array_equal(acc.jvp(x).numpy(), [3.0, 4.0])


def test_jvp_of_an_elementwise_chain():
    x, t = RNG.standard_normal(4), RNG.standard_normal(4)
    with tg.ForwardAccumulator(f64(x), f64(t)) as acc:
        y = tg.exp(tg.sin(f64(x) * 1.0))
    assert acc.jvp(y) is None  # a new tensor built from the same values is not the primal
    primal = f64(x)
    with tg.ForwardAccumulator(primal, f64(t)) as acc:
        y = tg.exp(tg.sin(primal))
    close(acc.jvp(y), np.exp(np.sin(x)) * np.cos(x) * t)


def test_jvp_with_several_primals_in_a_structure():
    a, b = f64([1.0, 2.0]), f64(3.0)
    with tg.ForwardAccumulator({"a": a, "b": [b]}, {"a": f64([1.0, 0.0]), "b": [f64(2.0)]}) as acc:
        y = a * b
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [1.0 * 3.0 + 1.0 * 2.0, 0.0 + 2.0 * 2.0])


def test_jvp_of_a_structure_keeps_the_structure():
    x = f64(2.0)
    with tg.ForwardAccumulator(x, f64(1.0)) as acc:
        y = x * x
        z = x * 3.0
    out = acc.jvp({"y": y, "rest": (z, [x])})
    assert set(out) == {"y", "rest"} and isinstance(out["rest"], tuple)
    assert float(out["y"]) == 4.0
    assert float(out["rest"][0]) == 3.0
    assert float(out["rest"][1][0]) == 1.0


def test_unconnected_jvp_is_none_or_zeros_when_asked():
    x = f64([1.0, 2.0])
    other = f64([[1.0, 2.0, 3.0]])
    with tg.ForwardAccumulator(x, f64([1.0, 1.0])) as acc:
        y = other * 2.0
    assert acc.jvp(y) is None
    zeros = acc.jvp(y, unconnected_gradients="zero")
    assert isinstance(zeros, tg.Tensor) and zeros.shape == (1, 3) and zeros.dtype == tg.float64
    np.testing.assert_array_equal(zeros.numpy(), np.zeros((1, 3)))


def test_operations_outside_the_accumulator_are_not_tracked():
    x = f64(2.0)
    acc = tg.ForwardAccumulator(x, f64(1.0))
    before = x * x
    with acc:
        inside = x * x
    after = x * x
    assert acc.jvp(before) is None
    assert float(acc.jvp(inside)) == 4.0
    assert acc.jvp(after) is None


def test_an_integer_result_cuts_the_tangent():
    x = f64([1.5, 2.5])
    with tg.ForwardAccumulator(x, f64([1.0, 1.0])) as acc:
        y = tg.astype(x, tg.int64)
        z = tg.astype(y, tg.float64) * x
    assert acc.jvp(y) is None
    np.testing.assert_array_equal(acc.jvp(z).numpy(), [1.0, 2.0])


def test_stop_gradient_cuts_the_tangent():
    x = f64(2.0)
    with tg.ForwardAccumulator(x, f64(1.0)) as acc:
        y = tg.stop_gradient(x) * x
    assert float(acc.jvp(y)) == 2.0


def test_variable_primal():
    v = tg.Variable([1.0, 2.0], dtype=tg.float64)
    with tg.ForwardAccumulator(v, f64([0.5, 0.5])) as acc:
        y = tg.sum(v * v)
    assert float(acc.jvp(y)) == 3.0


def test_the_tangent_takes_the_dtype_of_the_primal():
    x = tg.constant([1.0, 2.0])
    with tg.ForwardAccumulator(x, np.array([1.0, 1.0])) as acc:
        y = x * x
    assert acc.jvp(y).dtype == tg.float32
    np.testing.assert_array_equal(acc.jvp(y).numpy(), [2.0, 4.0])


def test_broadcasting_tangents():
    x, t = f64([1.0, 2.0, 3.0]), f64([1.0, 0.0, -1.0])
    m = f64(RNG.standard_normal((2, 3)))
    with tg.ForwardAccumulator(x, t) as acc:
        y = m * x + x
    close(acc.jvp(y), m.numpy() * t.numpy() + t.numpy())


def test_jvp_through_reductions_matmul_and_indexing():
    a = RNG.standard_normal((3, 4))
    x, t = RNG.standard_normal(4), RNG.standard_normal(4)
    primal = f64(x)
    with tg.ForwardAccumulator(primal, f64(t)) as acc:
        h = tg.tanh(f64(a) @ primal)
        y = tg.sum(h[1:]) + tg.max(primal)
    s = 1 - np.tanh(a @ x) ** 2
    close(acc.jvp(h), s * (a @ t))
    close(acc.jvp(y), np.sum((s * (a @ t))[1:]) + t[np.argmax(x)])


# -- errors ----------------------------------------------------------------------------------------
def test_a_different_number_of_primals_and_tangents_raises_value_error():
    message = "the tangents do not have the structure of the primals: [*] against [*, *]"
    with pytest.raises(ValueError, match=re.escape(message)):
        tg.ForwardAccumulator([f64(1.0), f64(2.0)], [f64(1.0)])


def test_a_tangent_of_the_wrong_shape_raises_value_error():
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\).*primal of shape \(2,\)"):
        tg.ForwardAccumulator(f64([1.0, 2.0]), f64([1.0, 2.0, 3.0]))


def test_a_non_tensor_primal_raises_type_error():
    with pytest.raises(TypeError, match=r"primals must be tensors or variables, not float.*"):
        tg.ForwardAccumulator(1.0, 1.0)


def test_an_integer_primal_raises_type_error():
    with pytest.raises(TypeError, match="int64 primal.*floating-point"):
        tg.ForwardAccumulator(tg.constant(np.array([1, 2])), tg.constant(np.array([1, 1])))


def test_jvp_of_a_non_tensor_raises_type_error():
    x = f64(1.0)
    with tg.ForwardAccumulator(x, f64(1.0)) as acc:
        pass
    with pytest.raises(TypeError, match="ForwardAccumulator.jvp takes tensors, not float"):
        acc.jvp(1.0)


def test_entering_an_active_accumulator_raises_value_error_as_tensorflow():
    acc = tg.ForwardAccumulator(f64(1.0), f64(1.0))
    with acc:
        with pytest.raises(ValueError, match="^Accumulator is already recording"):
            acc.__enter__()


def test_an_accumulator_can_be_entered_again_after_exit():
    x = f64(2.0)
    acc = tg.ForwardAccumulator(x, f64(1.0))
    with acc:
        y = x * x
    with acc:
        z = y * x
    assert float(acc.jvp(z)) == 12.0


# -- composition with tapes ------------------------------------------------------------------------
def test_tape_inside_accumulator_forward_over_reverse():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    a = RNG.standard_normal((4, 3))
    primal = f64(x)
    with tg.ForwardAccumulator(primal, f64(v)) as acc:
        with tg.GradientTape() as tape:
            tape.watch(primal)
            y = tg.sum(tg.tanh(f64(a) @ primal))
        g = tape.gradient(y, primal)
    t = np.tanh(a @ x)
    hess = a.T @ ((-2 * t * (1 - t**2))[:, None] * a)
    close(g, a.T @ (1 - t**2))
    close(acc.jvp(g), hess @ v)


def test_accumulator_inside_tape_reverse_over_forward():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    primal = f64(x)
    with tg.GradientTape() as tape:
        tape.watch(primal)
        with tg.ForwardAccumulator(primal, f64(v)) as acc:
            y = tg.sum(primal**3)
        jvp = acc.jvp(y)  # 3 x^2 . v
    close(jvp, np.sum(3 * x**2 * v))
    close(tape.gradient(jvp, primal), 6 * x * v)


def test_tape_jacobian_of_a_jvp():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    primal = f64(x)
    with tg.GradientTape() as tape:
        tape.watch(primal)
        with tg.ForwardAccumulator(primal, f64(v)) as acc:
            y = tg.sin(primal) * tg.sum(primal)
        jvp = acc.jvp(y)
    close(tape.jacobian(jvp, primal), _jacobian_of_jvp(x, v))


def _jacobian_of_jvp(x, v):
    # jvp_i = cos(x_i) v_i s + sin(x_i) vv with s = sum(x), vv = sum(v); differentiate by x_j
    s, vv = x.sum(), v.sum()
    diag = np.diag(-np.sin(x) * v * s + np.cos(x) * vv)
    return diag + np.outer(np.cos(x) * v, np.ones(3))


def test_accumulator_over_tape_over_accumulator_third_derivative():
    x = f64(0.7)
    with tg.ForwardAccumulator(x, f64(1.0)) as outer:
        with tg.GradientTape() as tape:
            tape.watch(x)
            with tg.ForwardAccumulator(x, f64(1.0)) as inner:
                y = tg.sin(x)
            first = inner.jvp(y)  # cos x
        second = tape.gradient(first, x)  # -sin x
    close(first, np.cos(0.7))
    close(second, -np.sin(0.7))
    close(outer.jvp(second), -np.cos(0.7))


def test_tape_over_accumulator_over_tape_third_derivative():
    x = f64(0.7)
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.ForwardAccumulator(x, f64(1.0)) as acc:
            with tg.GradientTape() as inner:
                inner.watch(x)
                y = x**4
            first = inner.gradient(y, x)  # 4 x^3
        second = acc.jvp(first)  # 12 x^2
    close(first, 4 * 0.7**3)
    close(second, 12 * 0.7**2)
    close(outer.gradient(second, x), 24 * 0.7)


def test_accumulator_with_a_persistent_tape_gives_the_hessian_of_a_vector_function():
    x, v = RNG.standard_normal(3), RNG.standard_normal(3)
    primal = f64(x)
    with tg.ForwardAccumulator(primal, f64(v)) as acc:
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(primal)
            y = primal**3
        jac = tape.jacobian(y, primal)  # diag(3 x^2)
    close(jac, np.diag(3 * x**2))
    close(acc.jvp(jac), np.diag(6 * x * v))


# -- nested accumulators ---------------------------------------------------------------------------
def test_nested_accumulators_on_a_vector_give_u_hessian_v():
    x, u, v = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)
    primal = f64(x)
    with tg.ForwardAccumulator(primal, f64(u)) as outer:
        with tg.ForwardAccumulator(primal, f64(v)) as inner:
            y = tg.sum(primal**3) + tg.sum(primal) ** 2
        inner_jvp = inner.jvp(y)
    close(inner_jvp, np.sum(3 * x**2 * v) + 2 * x.sum() * v.sum())
    close(outer.jvp(inner_jvp), np.sum(6 * x * u * v) + 2 * u.sum() * v.sum())


def test_three_nested_accumulators_give_the_third_derivative():
    x = f64(0.3)
    with tg.ForwardAccumulator(x, f64(1.0)) as a1:
        with tg.ForwardAccumulator(x, f64(1.0)) as a2:
            with tg.ForwardAccumulator(x, f64(1.0)) as a3:
                y = tg.exp(2.0 * x)
            d1 = a3.jvp(y)
        d2 = a2.jvp(d1)
    d3 = a1.jvp(d2)
    close(d1, 2 * np.exp(0.6))
    close(d2, 4 * np.exp(0.6))
    close(d3, 8 * np.exp(0.6))


def test_nested_accumulators_on_different_primals_give_mixed_partials():
    x, y = f64(2.0), f64(3.0)
    with tg.ForwardAccumulator(y, f64(1.0)) as outer:
        with tg.ForwardAccumulator(x, f64(1.0)) as inner:
            z = x**2 * y**3
        dzdx = inner.jvp(z)  # 2 x y^3
    assert float(dzdx) == 2 * 2.0 * 27.0
    assert float(outer.jvp(dzdx)) == 2 * 2.0 * 3 * 9.0  # 6 x y^2
    assert float(outer.jvp(z)) == 4.0 * 27.0


def test_inner_accumulator_does_not_see_the_outer_tangent_computation():
    x = f64(1.5)
    with tg.ForwardAccumulator(x, f64(1.0)) as outer:
        with tg.ForwardAccumulator(x, f64(1.0)) as inner:
            y = x**3
    assert inner.jvp(outer.jvp(y)) is None
    assert float(outer.jvp(inner.jvp(y))) == 6 * 1.5


def test_a_complex_tangent_for_a_real_primal_raises_instead_of_dropping_its_imaginary_part():
    with pytest.raises(TypeError, match=r"a complex tangent \(complex64\) for a real primal"):
        tg.ForwardAccumulator(tg.constant(2.0), tg.constant(1j))


def test_jvp_names_a_misspelt_unconnected_gradients():
    x = tg.constant(2.0)
    with tg.ForwardAccumulator(x, tg.constant(1.0)) as acc:
        y = x * x
    with pytest.raises(
        ValueError, match="unconnected_gradients must be 'none' or 'zero', not 'zeros'"
    ):
        acc.jvp(y, unconnected_gradients="zeros")
    assert float(acc.jvp(y, unconnected_gradients="zero")) == 4.0


def test_the_same_primal_twice_raises_as_in_tensorflow():
    x = f64(1.0)
    with pytest.raises(ValueError) as caught:
        tg.ForwardAccumulator([x, x], [f64(1.0), f64(2.0)])
    assert str(caught.value) == (
        "the float64 tensor of shape () is given as a primal more than once: give it once, with "
        "the sum of its tangents (or pass tg.identity(x) for another primal of the same value)"
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda x, c: x + c,
        lambda x, c: x - c,
        lambda x, c: tg.maximum(x, c),
        lambda x, c: tg.where(x > 0, x, c),
        lambda x, c: tg.clip(x, c, 5.0),
        lambda x, c: tg.copysign(x, c),
        lambda x, c: tg.sum(x, dtype=tg.float64) + c,
    ],
)
def test_a_tangent_has_the_dtype_of_its_output_when_a_wider_value_joins(f):
    # the tangent kept the narrower input's dtype: float16 overflowed to inf, float64 lost digits
    x = tg.constant(np.float32(1.0))
    c = tg.constant(np.float64(0.0))
    value, tangent = tg.jvp(lambda x: f(x, c) * (1.0 + 1e-9), (x,), (tg.constant(np.float32(1.0)),))
    assert value.dtype == tangent.dtype == tg.float64
    assert float(tangent) == 1.000000001
    half = tg.constant(np.float16(1.0))
    _, big = tg.jvp(lambda h: (h + tg.constant(np.float32(0.0))) * 1e5, (half,), (half,))
    assert (big.dtype, float(big)) == (tg.float32, 100000.0)


# -- tangents come back as new tensors --
def test_a_jvp_is_neither_the_given_tangent_nor_the_stored_one():
    # add's JVP passes the tangent on: acc.jvp(x + 0.0) was v itself, so `jy *= 10` changed
    # the caller's v and the accumulator's own tangents
    x = tg.constant([1.0, 2.0])
    v = tg.constant([3.0, 4.0])
    with tg.ForwardAccumulator(x, v) as acc:
        y = x + 0.0
    jy, jx = acc.jvp(y), acc.jvp(x)
    assert v is not jy and v is not jx and jx is not jy
    jy *= 10.0
    jx[0] = -1.0
    assert jy.numpy().tolist() == [30.0, 40.0]
    assert v.numpy().tolist() == [3.0, 4.0]
    assert acc.jvp(y).numpy().tolist() == [3.0, 4.0]
    assert acc.jvp(x).numpy().tolist() == [3.0, 4.0]


def test_changing_the_given_tangent_in_place_leaves_the_accumulator_as_it_was():
    x = tg.constant(2.0)
    v = tg.constant(1.0)
    w = tg.Variable(1.0)
    with tg.ForwardAccumulator([x, x * 1.0], [v, w]) as acc:
        v += 4.0
        w.assign(9.0)
        y = x * x
    assert float(acc.jvp(y)) == 4.0
    assert type(acc.jvp(x)) is tg.Tensor  # never the variable given
    assert float(acc.jvp(x)) == 1.0


def test_a_variable_tangent_is_read_where_outer_tapes_see_it():
    x = tg.constant(3.0)
    v = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        with tg.ForwardAccumulator(x, v) as acc:
            y = x * x
        j = acc.jvp(y)  # 2 x v
    assert float(j) == 12.0
    assert float(tape.gradient(j, v)) == 6.0
