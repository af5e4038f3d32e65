"""Custom derivative rules: custom_gradient (TensorFlow's semantics), custom_vjp and custom_jvp
(JAX's), and recompute_grad; with the examples of TensorFlow's and JAX's documentation and their
documented results."""

import functools
import gc
import re

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.testing import check_grads

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # exp(100) overflows float32


def f32(tensor, expected: str) -> None:
    """``tensor`` is a float32 tensor whose value prints as ``expected``, as the documentation
    shows it (NumPy's shortest float32 repr, which round-trips exactly)."""
    assert tensor.dtype == tg.float32
    assert np.asarray(tensor.numpy()) == np.float32(expected)


def values(tensor) -> list:
    return np.asarray(tensor.numpy() if isinstance(tensor, tg.Tensor) else tensor).tolist()


# -- custom_gradient: TensorFlow's documentation ---------------------------------------------------
@tg.custom_gradient
def log1pexp(x):
    e = tg.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))

    return tg.log(1 + e), grad


def test_tf_doc_log1pexp_naive_gradient_at_100_is_nan():
    x = tg.constant(100.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.log(1 + tg.exp(x))
    assert np.isnan(tape.gradient(y, x).numpy())


def test_tf_doc_log1pexp_custom_gradient_at_100_is_one():
    x = tg.constant(100.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    f32(tape.gradient(y, x), "1.0")


def test_tf_doc_log1pexp_value_and_gradient_at_zero():
    x = tg.constant(0.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    f32(y, "0.6931472")
    f32(tape.gradient(y, x), "0.5")


def test_tf_doc_bar_two_inputs_one_gradient_each():
    @tg.custom_gradient
    def bar(x, y):
        def grad(upstream):
            dz_dx = y
            dz_dy = x
            return upstream * dz_dx, upstream * dz_dy

        z = x * y
        return z, grad

    x = tg.constant(2.0, dtype=tg.float32)
    y = tg.constant(3.0, dtype=tg.float32)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(y)
        z = bar(x, y)
    f32(z, "6.0")
    f32(tape.gradient(z, x), "3.0")
    f32(tape.gradient(z, y), "2.0")


# -- custom_gradient: semantics --------------------------------------------------------------------
def test_custom_gradient_replaces_the_gradient_and_keeps_the_value():
    @tg.custom_gradient
    def clipped_identity(x):
        return tg.identity(x), lambda g: tg.minimum(tg.maximum(g, -1.0), 1.0)

    x = tg.constant([2.0, -3.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = clipped_identity(x) * tg.constant([10.0, 0.5])
    assert values(y) == [20.0, -1.5]
    assert values(tape.gradient(y, x)) == [1.0, 0.5]


def test_grad_fn_receives_the_upstream_gradient():
    seen = []

    @tg.custom_gradient
    def double(x):
        def grad(upstream):
            seen.append(values(upstream))
            return upstream * 2.0

        return x * 2.0, grad

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(double(x) * tg.constant([5.0, 7.0]))
    assert values(tape.gradient(y, x)) == [10.0, 14.0]
    assert seen == [[5.0, 7.0]]


def test_grad_fn_receives_tensors():
    seen = []

    @tg.custom_gradient
    def double(x):
        def grad(upstream):
            seen.append(upstream)
            return upstream * 2.0

        return x * 2.0, grad

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = double(x)
    tape.gradient(y, x)
    assert [type(g) for g in seen] == [tg.Tensor]
    assert values(seen[0]) == [1.0, 1.0]


def test_custom_gradient_outside_any_tape_returns_the_value_alone():
    @tg.custom_gradient
    def square(x):
        return x * x, lambda g: 2 * g * x

    f32(square(tg.constant(3.0)), "9.0")


def test_grad_fn_is_not_called_without_a_gradient():
    calls = []

    @tg.custom_gradient
    def square(x):
        def grad(g):
            calls.append(1)
            return 2 * g * x

        return x * x, grad

    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        square(x)
    assert calls == []


def test_grad_fn_with_variables_returns_input_and_variable_gradients():
    v = tg.Variable(3.0, name="scale")
    received = []

    @tg.custom_gradient
    def scale(x):
        def grad(upstream, variables=None):
            received.append(variables)
            return upstream * v * 10.0, [upstream * x * 100.0]

        return x * v, grad

    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    f32(y, "6.0")
    dx, dv = tape.gradient(y, [x, v])
    f32(dx, "30.0")
    f32(dv, "200.0")
    assert len(received) == 1
    assert len(received[0]) == 1 and received[0][0] is v


def test_grad_fn_with_two_variables_gets_them_in_the_order_read():
    a = tg.Variable(2.0, name="a")
    b = tg.Variable(5.0, name="b")

    @tg.custom_gradient
    def affine(x):
        def grad(upstream, variables=None):
            assert [w.name for w in variables] == ["a:0", "b:0"]
            return upstream * a, [upstream * x, upstream]

        return a * x + b, grad

    x = tg.constant(4.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = affine(x)
    assert [float(g) for g in tape.gradient(y, [x, a, b])] == [2.0, 4.0, 1.0]


def test_grad_fn_without_a_variables_keyword_raises_type_error_when_variables_are_read():
    v = tg.Variable(2.0)

    @tg.custom_gradient
    def uses_v(x):
        return x * v, lambda g: g * v

    x = tg.constant(1.0)
    with tg.GradientTape() as tape:  # at the call, as TensorFlow: not at gradient time
        tape.watch(x)
        with pytest.raises(TypeError) as caught:
            uses_v(x)
    assert str(caught.value) == (
        "uses_v reads variables (Variable:0), so its grad_fn must take them: def "
        "grad_fn(*upstream, variables=None), returning (input_gradients, variable_gradients)"
    )


def test_grad_fn_with_variables_returning_no_pair_raises_value_error():
    v = tg.Variable(2.0)

    @tg.custom_gradient
    def uses_v(x):
        return x * v, lambda g, variables=None: g * v

    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = uses_v(x)
    message = (
        "the grad_fn of uses_v reads variables, so it must return a pair "
        "(input_gradients, variable_gradients)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        tape.gradient(y, [x, v])


def test_grad_fn_with_too_many_variable_gradients_raises_value_error():
    v = tg.Variable(2.0)

    @tg.custom_gradient
    def uses_v(x):
        return x * v, lambda g, variables=None: (g * v, [g * x, g])

    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = uses_v(x)
    with pytest.raises(ValueError, match="returned 2 gradients, but the function has 1 variables"):
        tape.gradient(y, [x, v])


def test_grad_fn_with_the_wrong_number_of_gradients_raises_value_error():
    @tg.custom_gradient
    def product(x, y):
        return x * y, lambda g: g * y

    x, y = tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        z = product(x, y)
    message = (
        "the grad_fn of product returned 1 gradients, but the function has 2 tensor inputs: "
        "return one gradient (or None) per input, in order"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        tape.gradient(z, [x, y])


def test_grad_fn_with_a_gradient_of_the_wrong_shape_raises_value_error():
    @tg.custom_gradient
    def total(x):
        return tg.sum(x), lambda g: tg.ones((3,)) * g

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = total(x)
    message = (
        "the grad_fn of total returned a gradient of shape (3,) for argument 0 of shape (2,): "
        "each gradient must have its input's shape"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        tape.gradient(y, x)


def test_custom_gradient_function_returning_no_tensor_raises_type_error():
    @tg.custom_gradient
    def broken(x):
        return 3.0, lambda g: g

    with pytest.raises(TypeError, match="broken must return tensors .* it returned float"):
        broken(tg.constant(1.0))


def test_grad_fn_may_return_none_for_an_input():
    @tg.custom_gradient
    def product(x, y):
        return x * y, lambda g: (g * y, None)

    x, y = tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch([x, y])
        z = product(x, y)
    dx, dy = tape.gradient(z, [x, y])
    f32(dx, "3.0")
    assert dy is None


def test_custom_gradient_with_several_outputs_gets_one_upstream_per_output():
    seen = []

    @tg.custom_gradient
    def two(x):
        def grad(g1, g2):
            seen.append((values(g1), values(g2)))
            return g1 * 2.0 + g2 * 3.0

        return (x * 2.0, x * 3.0), grad

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        a, b = two(x)
        loss = tg.sum(a) + 10.0 * tg.sum(b)
    assert values(a) == [2.0, 4.0] and values(b) == [3.0, 6.0]
    assert values(tape.gradient(loss, x)) == [32.0, 32.0]
    assert seen == [([1.0, 1.0], [10.0, 10.0])]


def test_custom_gradient_with_several_outputs_of_different_shapes():
    @tg.custom_gradient
    def stats(x):
        return (tg.sum(x), x * x), lambda g_sum, g_sq: g_sum + 2.0 * x * g_sq

    x = tg.constant([1.0, 2.0, 3.0])
    s, sq = stats(x)
    assert float(s) == 6.0 and values(sq) == [1.0, 4.0, 9.0]
    gradient = tg.grad(lambda x: stats(x)[0] * 2.0 + tg.sum(stats(x)[1]))(x)
    assert values(gradient) == [4.0, 6.0, 8.0]


def test_jacobian_through_a_custom_gradient_with_two_outputs():
    @tg.custom_gradient
    def two(x):
        return (x * 2.0, x * 3.0), lambda g1, g2: g1 * 5.0 + g2 * 7.0

    ja, jb = tg.jacobian(two)(tg.constant([1.0, 2.0]))
    assert values(ja) == [[5.0, 0.0], [0.0, 5.0]]
    assert values(jb) == [[7.0, 0.0], [0.0, 7.0]]


def test_second_order_through_a_custom_gradient():
    @tg.custom_gradient
    def cube(x):
        return x * x * x, lambda g: g * 3.0 * x * x

    f32(tg.grad(cube)(2.0), "12.0")
    f32(tg.grad(tg.grad(cube))(2.0), "12.0")
    f32(tg.grad(tg.grad(tg.grad(cube)))(2.0), "6.0")


def test_second_order_uses_the_custom_gradient_not_the_function():
    # the custom gradient 3x is not the derivative of x**2, so the second derivative is 3
    @tg.custom_gradient
    def odd(x):
        return x * x, lambda g: g * 3.0 * x

    x = tg.constant(2.0)
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = odd(x)
        g = inner.gradient(y, x)
    f32(g, "6.0")
    f32(outer.gradient(g, x), "3.0")


def test_hessian_through_a_custom_gradient():
    @tg.custom_gradient
    def cube(x):
        return x * x * x, lambda g: g * 3.0 * x * x

    h = tg.hessian(lambda x: tg.sum(cube(x)))(tg.constant([1.0, 2.0]))
    assert values(h) == [[6.0, 0.0], [0.0, 12.0]]


def test_tape_hessian_through_a_custom_gradient():
    @tg.custom_gradient
    def cube(x):
        return x * x * x, lambda g: g * 3.0 * x * x

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.sum(cube(x))
    assert values(tape.hessian(y, x)) == [[6.0, 0.0], [0.0, 12.0]]


def test_forward_mode_through_a_custom_gradient():
    out, tangent = tg.jvp(log1pexp, (0.0,), (2.0,))
    f32(out, "0.6931472")
    f32(tangent, "1.0")
    out, tangent = tg.jvp(log1pexp, (100.0,), (1.0,))
    f32(tangent, "1.0")


def test_forward_accumulator_through_a_custom_gradient_with_two_inputs():
    @tg.custom_gradient
    def bar(x, y):
        return x * y, lambda g: (g * y, g * x)

    x, y = tg.constant(2.0), tg.constant(3.0)
    with tg.ForwardAccumulator([x, y], [tg.constant(1.0), tg.constant(10.0)]) as acc:
        z = bar(x, y)
    f32(acc.jvp(z), "23.0")


def test_jacfwd_equals_jacrev_through_a_custom_gradient():
    # the grad_fn is written for one cotangent, as in TensorFlow; Jacobians must still be right
    @tg.custom_gradient
    def scaled(x):
        w = tg.constant([[1.0, 2.0], [3.0, 4.0]])
        return w @ x, lambda g: tg.matrix_transpose(w) @ g

    x = tg.constant([1.0, -1.0])
    expected = [[1.0, 2.0], [3.0, 4.0]]
    assert values(tg.jacrev(scaled)(x)) == expected
    assert values(tg.jacfwd(scaled)(x)) == expected


# -- custom_vjp: JAX's documentation ---------------------------------------------------------------
def test_jax_doc_custom_vjp_sin_with_fwd_calling_f():
    @tg.custom_vjp
    def f(x):
        return tg.sin(x)

    def f_fwd(x):
        return f(x), tg.cos(x)

    def f_bwd(cos_x, y_bar):
        return (cos_x * y_bar,)

    f.defvjp(f_fwd, f_bwd)
    f32(f(3.0), "0.14112")
    f32(tg.grad(f)(3.0), "-0.9899925")


def test_jax_doc_custom_vjp_two_arguments_with_fwd_calling_f():
    @tg.custom_vjp
    def f(x, y):
        return tg.sin(x) * y

    def f_fwd(x, y):
        return f(x, y), (tg.cos(x), tg.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    f32(tg.grad(f)(2.0, 3.0), "-1.2484405")


def sin_times():
    """JAX's ``f(x, y) = sin(x) * y`` with a fwd rule that computes the output itself."""

    @tg.custom_vjp
    def f(x, y):
        return tg.sin(x) * y

    def f_fwd(x, y):
        return tg.sin(x) * y, (tg.cos(x), tg.sin(x), y)

    def f_bwd(res, g):
        cos_x, sin_x, y = res
        return (cos_x * g * y, sin_x * g)

    f.defvjp(f_fwd, f_bwd)
    return f


def test_jax_doc_custom_vjp_two_arguments():
    f = sin_times()
    f32(f(2.0, 3.0), "2.7278922")
    f32(tg.grad(f)(2.0, 3.0), "-1.2484405")
    dx, dy = tg.grad(f, argnums=(0, 1))(2.0, 3.0)
    f32(dx, "-1.2484405")
    f32(dy, "0.9092974")


def test_jax_doc_clip_gradient_with_none_for_non_array_arguments():
    @tg.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def clip_gradient_fwd(lo, hi, x):
        return x, (lo, hi)

    def clip_gradient_bwd(res, g):
        lo, hi = res
        return (None, None, tg.minimum(tg.maximum(g, lo), hi))

    clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)

    def clip_sin(x):
        return tg.sin(clip_gradient(-0.75, 0.75, x))

    f32(clip_sin(0.0), "0.0")
    f32(tg.grad(clip_sin)(0.0), "0.75")
    f32(tg.grad(clip_sin)(3.0), "-0.75")
    f32(tg.grad(clip_sin)(1.0), "0.5403023")


# -- custom_vjp: semantics -------------------------------------------------------------------------
def test_custom_vjp_rules_run_only_when_differentiating():
    calls = []

    @tg.custom_vjp
    def f(x):
        calls.append("f")
        return tg.sin(x)

    def f_fwd(x):
        calls.append("fwd")
        return tg.sin(x), tg.cos(x)

    def f_bwd(cos_x, g):
        calls.append("bwd")
        return (cos_x * g,)

    f.defvjp(f_fwd, f_bwd)
    f(3.0)
    assert calls == ["f"]
    calls.clear()
    tg.grad(f)(3.0)
    assert calls == ["fwd", "bwd"]


def test_bwd_receives_the_residuals_fwd_saved():
    received = []
    saved = {"scale": 4.0, "parts": [1.0, 2.0]}

    @tg.custom_vjp
    def f(x):
        return x * 4.0

    def f_fwd(x):
        return x * 4.0, (saved, x)

    def f_bwd(res, g):
        received.append(res)
        info, x = res
        return (g * info["scale"] + x * 0.0,)

    f.defvjp(f_fwd, f_bwd)
    f32(tg.grad(f)(2.0), "4.0")
    (residuals,) = received
    assert residuals[0] is saved
    f32(residuals[1], "2.0")


def test_bwd_receives_the_cotangent_as_a_tensor():
    seen = []

    @tg.custom_vjp
    def f(x):
        return x * 2.0

    def f_bwd(res, g):
        seen.append(g)
        return (g * 2.0,)

    f.defvjp(lambda x: (x * 2.0, None), f_bwd)
    tg.grad(f)(1.0)
    assert [type(g) for g in seen] == [tg.Tensor]


def test_bwd_output_is_used_even_when_it_is_not_the_derivative():
    @tg.custom_vjp
    def f(x):
        return x * x

    f.defvjp(lambda x: (x * x, None), lambda res, g: (g * 100.0,))
    f32(tg.grad(f)(3.0), "100.0")


def test_custom_vjp_second_order_differentiates_the_bwd_rule():
    f = sin_times()
    # d/dx (cos(x) * y) = -sin(x) * y at (2, 3)
    f32(tg.grad(tg.grad(f))(2.0, 3.0), "-2.7278922")
    f32(tg.hessian(lambda x: f(x, 3.0))(2.0), "-2.7278922")


def test_custom_vjp_third_order():
    @tg.custom_vjp
    def cube(x):
        return x**3

    cube.defvjp(lambda x: (x**3, x), lambda x, g: (g * 3.0 * x * x,))
    f32(tg.grad(tg.grad(tg.grad(cube)))(2.0), "6.0")


def test_custom_vjp_forward_mode_by_transposition():
    f = sin_times()
    out, tangent = tg.jvp(f, (2.0, 3.0), (1.0, 0.0))
    f32(out, "2.7278922")
    f32(tangent, "-1.2484405")
    _, tangent = tg.jvp(f, (2.0, 3.0), (0.0, 1.0))
    f32(tangent, "0.9092974")


def test_custom_vjp_jacfwd_equals_jacrev():
    @tg.custom_vjp
    def f(x):
        return x * x

    f.defvjp(lambda x: (x * x, x), lambda x, g: (2.0 * x * g,))
    x = tg.constant([1.0, 2.0, 3.0])
    expected = [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]
    assert values(tg.jacrev(f)(x)) == expected
    assert values(tg.jacfwd(f)(x)) == expected


def test_custom_vjp_jacobians_of_a_matrix_rule():
    # the rule is written for one cotangent, as in JAX; Jacobians must still be right
    w = tg.constant([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]])

    @tg.custom_vjp
    def f(x):
        return w @ x

    f.defvjp(lambda x: (w @ x, None), lambda res, g: (tg.matrix_transpose(w) @ g,))
    x = tg.constant([1.0, 1.0, 1.0])
    _, vjp_fn = tg.vjp(f, x)
    assert values(vjp_fn(tg.constant([1.0, -1.0]))[0]) == [1.0, -1.0, -4.0]
    assert values(tg.jacrev(f)(x)) == values(w)
    assert values(tg.jacfwd(f)(x)) == values(w)


def test_custom_vjp_bwd_may_return_none_for_an_array_argument():
    @tg.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, y), lambda y, g: (g * y, None))
    dx, dy = tg.grad(f, argnums=(0, 1))(2.0, 3.0)
    f32(dx, "3.0")
    f32(dy, "0.0")


def test_custom_vjp_without_a_rule_raises_type_error():
    @tg.custom_vjp
    def f(x):
        return x

    message = "custom_vjp function f has no rule yet: call f.defvjp(fwd, bwd) first"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.grad(f)(1.0)


def test_bwd_returning_too_few_cotangents_raises_value_error_naming_the_counts():
    @tg.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    message = (
        "the bwd rule of f returned 1 gradients, but the function has 2 arguments: "
        "return one gradient (or None) per input, in order"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        tg.grad(f)(2.0, 3.0)


def test_bwd_returning_too_many_cotangents_raises_value_error():
    @tg.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (x * 2.0, None), lambda res, g: (g * 2.0, g))
    with pytest.raises(ValueError, match="returned 2 gradients, but the function has 1 arguments"):
        tg.grad(f)(2.0)


def test_bwd_returning_a_list_raises_type_error_naming_the_structure():
    @tg.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (x * 2.0, None), lambda res, g: [g * 2.0])
    message = (
        "the bwd rule of f must return a tuple with one cotangent per argument; it returned list"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.grad(f)(2.0)


def test_bwd_returning_a_bare_array_raises_type_error():
    @tg.custom_vjp
    def f(x):
        return x * 2.0

    f.defvjp(lambda x: (x * 2.0, None), lambda res, g: g * 2.0)
    with pytest.raises(TypeError, match="the bwd rule of f must return a tuple"):
        tg.grad(f)(2.0)


def test_bwd_returning_the_wrong_shape_raises_value_error_naming_both_shapes():
    @tg.custom_vjp
    def f(x):
        return tg.sum(x * 2.0)

    f.defvjp(lambda x: (tg.sum(x * 2.0), None), lambda res, g: (tg.ones((3,)) * g,))
    message = (
        "the bwd rule of f returned a gradient of shape (3,) for argument 0 of shape (2,): "
        "each gradient must have its input's shape"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        tg.grad(f)(tg.constant([1.0, 2.0]))


def test_fwd_returning_no_pair_raises_type_error():
    @tg.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: ((x, "x"), None), lambda res, g: (g,))
    message = (
        "the fwd rule of f must return (output, residuals), the output tensors (or lists, "
        "tuples and dicts of them); it returned str"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.grad(f)(2.0)


def test_fwd_returning_a_bare_value_raises_type_error_naming_the_rule():
    @tg.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: x, lambda res, g: (g,))
    with pytest.raises(TypeError, match=re.escape("the fwd rule of f must return")):
        tg.grad(f)(2.0)


# -- custom_jvp: JAX's documentation ---------------------------------------------------------------
@tg.custom_jvp
def sin_y(x, y):
    return tg.sin(x) * y


@sin_y.defjvp
def sin_y_jvp(primals, tangents):
    x, y = primals
    x_dot, y_dot = tangents
    primal_out = sin_y(x, y)
    tangent_out = tg.cos(x) * x_dot * y + tg.sin(x) * y_dot
    return primal_out, tangent_out


def test_jax_doc_custom_jvp_tldr():
    f32(sin_y(2.0, 3.0), "2.7278922")
    y, y_dot = tg.jvp(sin_y, (2.0, 3.0), (1.0, 0.0))
    f32(y, "2.7278922")
    f32(y_dot, "-1.2484405")
    f32(tg.grad(sin_y)(2.0, 3.0), "-1.2484405")


@tg.custom_jvp
def stable_log1pexp(x):
    return tg.log(1.0 + tg.exp(x))


@stable_log1pexp.defjvp
def stable_log1pexp_jvp(primals, tangents):
    (x,) = primals
    (x_dot,) = tangents
    ans = stable_log1pexp(x)
    ans_dot = (1 - 1 / (1 + tg.exp(x))) * x_dot
    return ans, ans_dot


def test_jax_doc_naive_log1pexp_gradient_at_100_is_nan():
    def naive(x):
        return tg.log(1.0 + tg.exp(x))

    f32(naive(3.0), "3.0485873")
    f32(tg.grad(naive)(3.0), "0.95257413")
    assert np.isnan(tg.grad(naive)(100.0).numpy())


def test_jax_doc_log1pexp_custom_jvp():
    f32(stable_log1pexp(3.0), "3.0485873")
    f32(tg.grad(stable_log1pexp)(3.0), "0.95257413")
    f32(tg.grad(stable_log1pexp)(100.0), "1.0")


def test_jax_doc_log1pexp_custom_jvp_on_a_vector():
    # the documentation's vmap(grad(log1pexp))(arange(3.)): the Jacobian is diagonal
    x = tg.constant([0.0, 1.0, 2.0])
    gradient = tg.grad(lambda x: tg.sum(stable_log1pexp(x)))(x)
    assert values(gradient) == np.array([0.5, 0.7310586, 0.8807971], np.float32).tolist()
    assert values(tg.jacobian(stable_log1pexp)(x)) == np.diag(values(gradient)).tolist()


def test_jax_doc_differentiation_convention_at_zero():
    @tg.custom_jvp
    def f(x):
        return x / (1 + tg.sqrt(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,) = primals
        (x_dot,) = tangents
        ans = f(x)
        ans_dot = ((tg.sqrt(x) + 2) / (2 * (tg.sqrt(x) + 1) ** 2)) * x_dot
        return ans, ans_dot

    f32(tg.grad(f)(0.0), "1.0")


def test_jax_doc_custom_jvp_sin_first_and_second_order():
    @tg.custom_jvp
    def f(x):
        return tg.sin(x)

    def f_jvp(primals, tangents):
        (x,) = primals
        (t,) = tangents
        return f(x), tg.cos(x) * t

    f.defjvp(f_jvp)
    f32(f(3.0), "0.14112")
    y, y_dot = tg.jvp(f, (3.0,), (1.0,))
    f32(y, "0.14112")
    f32(y_dot, "-0.9899925")
    f32(tg.grad(f)(3.0), "-0.9899925")
    f32(tg.grad(tg.grad(f))(3.0), "-0.14112")


def test_jax_doc_custom_jvp_two_arguments():
    @tg.custom_jvp
    def f(x, y):
        return x**2 * y

    @f.defjvp
    def f_jvp(primals, tangents):
        x, y = primals
        x_dot, y_dot = tangents
        primal_out = f(x, y)
        tangent_out = 2 * x * y * x_dot + x**2 * y_dot
        return primal_out, tangent_out

    f32(tg.grad(f)(2.0, 3.0), "12.0")


def test_jax_doc_custom_jvp_with_python_control_flow():
    @tg.custom_jvp
    def f(x):
        if x > 0:
            return tg.sin(x)
        else:
            return tg.cos(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,) = primals
        (x_dot,) = tangents
        ans = f(x)
        if x > 0:
            return ans, 2 * x_dot
        else:
            return ans, 3 * x_dot

    f32(tg.grad(f)(1.0), "2.0")
    f32(tg.grad(f)(-1.0), "3.0")


# -- custom_jvp: semantics -------------------------------------------------------------------------
def test_custom_jvp_rule_runs_only_when_differentiating():
    calls = []

    @tg.custom_jvp
    def f(x):
        calls.append("f")
        return tg.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        calls.append("f_jvp")
        return f(primals[0]), tg.cos(primals[0]) * tangents[0]

    f(3.0)
    assert calls == ["f"]
    calls.clear()
    f32(tg.jvp(f, (3.0,), (1.0,))[1], "-0.9899925")
    assert "f_jvp" in calls


def test_defjvp_returns_the_rule_so_it_works_as_a_decorator():
    @tg.custom_jvp
    def f(x):
        return x

    def rule(primals, tangents):
        return f(primals[0]), tangents[0]

    assert f.defjvp(rule) is rule


def test_custom_jvp_reverse_mode_by_transposition_of_a_matrix_rule():
    # the rule is written for one tangent, as in JAX; Jacobians must still be right
    w = tg.constant([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]])

    @tg.custom_jvp
    def f(x):
        return w @ x

    f.defjvp(lambda primals, tangents: (f(primals[0]), w @ tangents[0]))
    x = tg.constant([1.0, 1.0, 1.0])
    _, vjp_fn = tg.vjp(f, x)
    assert values(vjp_fn(tg.constant([1.0, -1.0]))[0]) == [1.0, -1.0, -4.0]
    assert values(tg.jvp(f, (x,), (tg.constant([1.0, 0.0, 0.0]),))[1]) == [1.0, 0.0]
    assert values(tg.jacrev(f)(x)) == values(w)
    assert values(tg.jacfwd(f)(x)) == values(w)


def test_custom_jvp_reverse_mode_through_a_longer_computation():
    def loss(x):
        return tg.sum(stable_log1pexp(x * 2.0) * 3.0)

    x = tg.constant([0.0, 1.0])
    expected = 6.0 / (1.0 + np.exp(-2.0 * np.array([0.0, 1.0], np.float32)))
    np.testing.assert_allclose(values(tg.grad(loss)(x)), expected, rtol=1e-6)


def test_custom_jvp_reverse_mode_takes_the_rule_at_the_values_recorded():
    # the transposed rule used to run at the variable's value now: 3 * 10^2 instead of 3 * 2^2
    @tg.custom_jvp
    def cube(x):
        return x**3

    cube.defjvp(lambda p, t: (cube(p[0]), 3 * p[0] ** 2 * t[0]))
    x = tg.Variable(2.0, dtype=tg.float64)
    with tg.GradientTape() as tape:
        y = cube(x)
    x.assign(10.0)
    assert float(tape.gradient(y, x)) == 12.0


def test_custom_jvp_rule_is_used_for_the_hessian():
    @tg.custom_jvp
    def f(x):
        return x**3

    # the rule says f' = 10 x, so f'' = 10
    f.defjvp(lambda p, t: (f(p[0]), 10.0 * p[0] * t[0]))
    f32(tg.grad(tg.grad(f))(2.0), "10.0")
    assert values(tg.hessian(lambda x: tg.sum(f(x)))(tg.constant([1.0, 2.0]))) == [
        [10.0, 0.0],
        [0.0, 10.0],
    ]


def test_custom_jvp_without_a_rule_raises_type_error():
    @tg.custom_jvp
    def f(x):
        return x

    message = "custom_jvp function f has no rule yet: call f.defjvp(rule) first"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.jvp(f, (1.0,), (1.0,))


def test_jvp_rule_returning_no_pair_raises_type_error_naming_the_structure():
    @tg.custom_jvp
    def f(x):
        return x

    f.defjvp(lambda primals, tangents: tangents[0])
    message = "the jvp rule of f must return (primal_out, tangent_out); it returned Tensor"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.jvp(f, (1.0,), (1.0,))
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.grad(f)(1.0)


def test_jvp_rule_returning_a_tangent_of_the_wrong_shape_raises_value_error():
    @tg.custom_jvp
    def f(x):
        return x * 2.0

    f.defjvp(lambda primals, tangents: (f(primals[0]), tg.ones((3,)) * tangents[0]))
    with pytest.raises(ValueError, match=re.escape("(3,)")):
        tg.jvp(f, (1.0,), (1.0,))
    with pytest.raises(ValueError, match=re.escape("(3,)")):
        tg.grad(f)(1.0)


# -- recompute_grad --------------------------------------------------------------------------------
def dense_block(weights, biases):
    def block(h):
        for w, b in zip(weights, biases):
            h = tg.tanh(h @ w + b)
        return h

    return block


def dense_setup(seed=0, layers=3, width=4, batch=2):
    rng = np.random.default_rng(seed)
    weights = [tg.Variable(rng.standard_normal((width, width))) for _ in range(layers)]
    biases = [tg.Variable(rng.standard_normal(width)) for _ in range(layers)]
    x = tg.constant(rng.standard_normal((batch, width)))
    return weights, biases, x


def gradients_of(block, weights, biases, x):
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(block(block(x)) ** 2)
    return tape.gradient(y, [x, *weights, *biases])


def test_recompute_grad_gives_the_plain_gradients_for_inputs_and_variables_read_inside():
    weights, biases, x = dense_setup()
    plain = dense_block(weights, biases)
    expected = gradients_of(plain, weights, biases, x)
    got = gradients_of(tg.recompute_grad(plain), weights, biases, x)
    assert len(got) == 1 + 2 * len(weights)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == tg.float64
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12, atol=1e-14)


def test_recompute_grad_keeps_the_value():
    weights, biases, x = dense_setup()
    plain = dense_block(weights, biases)
    np.testing.assert_array_equal(tg.recompute_grad(plain)(x).numpy(), plain(x).numpy())


def test_recompute_grad_records_one_operation_and_runs_the_block_again_in_backward():
    calls = []

    def block(h):
        calls.append(1)
        return tg.tanh(h * 2.0 + 1.0) * 3.0

    checkpointed = tg.recompute_grad(block)
    x = tg.constant([0.5, 1.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = checkpointed(x)
    assert repr(tape) == "<tg.GradientTape non-persistent, 1 recorded operations>"
    assert len(calls) == 1
    gradient = tape.gradient(y, x, output_gradients=tg.ones((2,)))
    assert len(calls) == 2
    t = np.tanh(np.array([0.5, 1.0], np.float32) * 2 + 1)
    np.testing.assert_allclose(gradient.numpy(), 6.0 * (1 - t * t), rtol=1e-6)


def test_recompute_grad_with_a_variable_only_read_inside():
    w = tg.Variable(3.0, name="w")
    block = tg.recompute_grad(lambda x: tg.sin(x * w))
    x = tg.constant(0.5)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = block(x)
    dx, dw = tape.gradient(y, [x, w])
    expected = np.cos(np.float32(1.5))
    assert np.float32(dx.numpy()) == np.float32(expected * 3.0)
    assert np.float32(dw.numpy()) == np.float32(expected * 0.5)
    assert tape.watched_variables() == (w,)


def test_recompute_grad_passes_non_tensor_arguments_through():
    block = tg.recompute_grad(lambda x, power, scale=1.0: scale * x**power)
    f32(tg.grad(lambda x: block(x, 3, scale=2.0))(2.0), "24.0")


def test_recompute_grad_nested_in_jacobians():
    f = lambda x: tg.sin(x) * x
    checkpointed = tg.recompute_grad(f)
    x = tg.constant([0.5, 1.0, 1.5], dtype=tg.float64)
    expected = tg.jacobian(f)(x).numpy()
    np.testing.assert_allclose(tg.jacobian(checkpointed)(x).numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(tg.jacfwd(checkpointed)(x).numpy(), expected, rtol=1e-14)


def test_recompute_grad_nested_in_hessian():
    f = lambda x: tg.sum(tg.sin(x) * x)
    checkpointed = tg.recompute_grad(f)
    x = tg.constant([0.5, 1.0, 1.5], dtype=tg.float64)
    xs = np.array([0.5, 1.0, 1.5])
    expected = np.diag(2 * np.cos(xs) - xs * np.sin(xs))
    np.testing.assert_allclose(tg.hessian(checkpointed)(x).numpy(), expected, atol=1e-14)
    np.testing.assert_allclose(tg.hessian(f)(x).numpy(), expected, atol=1e-14)


def test_recompute_grad_nested_in_tape_hessian():
    checkpointed = tg.recompute_grad(lambda x: tg.sum(tg.sin(x) * x))
    x = tg.constant([0.5, 1.0, 1.5], dtype=tg.float64)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = checkpointed(x)
    xs = np.array([0.5, 1.0, 1.5])
    expected = np.diag(2 * np.cos(xs) - xs * np.sin(xs))
    np.testing.assert_allclose(tape.hessian(y, x).numpy(), expected, atol=1e-14)


def test_tape_hessian_reaches_a_variable_read_inside_recompute_grad_and_custom_gradient():
    # the variable is read by the function, not passed to it: the replay must read it under
    # the Hessian's tapes (it used to give zeros)
    x = tg.Variable([1.0, 2.0], dtype=tg.float64)
    checkpointed = tg.recompute_grad(lambda: tg.sum(x**4))

    @tg.custom_gradient
    def custom():
        return tg.sum(x**4), lambda up, variables: ([], [up * 4 * x**3])

    for f in (checkpointed, custom):
        with tg.GradientTape(persistent=True) as tape:
            y = f()
        assert tape.hessian(y, x).numpy().tolist() == [[12.0, 0.0], [0.0, 48.0]]


def test_recompute_grad_nested_in_batch_jacobian():
    weights, biases, x = dense_setup(layers=2, width=3, batch=4)
    plain = dense_block(weights, biases)
    results = []
    for block in (plain, tg.recompute_grad(plain)):
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = block(x)
        results.append(tape.batch_jacobian(y, x).numpy())
    assert results[1].shape == (4, 3, 3)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_recompute_grad_second_order():
    cube = tg.recompute_grad(lambda x: x**3)
    f32(tg.grad(cube)(2.0), "12.0")
    f32(tg.grad(tg.grad(cube))(2.0), "12.0")


def test_recompute_grad_of_a_function_returning_no_tensor_raises_type_error():
    message = "number must return tensors (or lists, tuples and dicts of them); it returned int"

    def number(x):
        return 3

    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tg.recompute_grad(number)(tg.constant(1.0))


def test_recompute_grad_of_a_structured_output():
    block = tg.recompute_grad(lambda a: (a * 2.0, {"s": tg.sin(a)}))
    x = tg.constant(0.5, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        doubled, parts = block(x)
        total = doubled + parts["s"]
    assert float(doubled) == 1.0 and float(parts["s"]) == np.sin(0.5)
    assert float(tape.gradient(total, x)) == 2.0 + np.cos(0.5)
    assert float(tg.grad(tg.grad(lambda v: block(v)[1]["s"]))(x)) == -np.sin(0.5)


def test_a_variable_passed_to_recompute_grad_gets_its_gradient_once():
    block = tg.recompute_grad(lambda x: x**3)
    x = tg.Variable(2.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            y = block(x)
        g = inner.gradient(y, x)
    assert float(g) == 12.0
    assert float(outer.gradient(g, x)) == 12.0


def test_a_variable_passed_to_custom_gradient_is_an_input_not_a_variable_read():
    """As in TensorFlow, grad_fn gets ``variables=`` only for variables read, not passed."""

    @tg.custom_gradient
    def triple(x):
        return x * 3.0, lambda u: u * 3.0

    x = tg.Variable(2.0)
    with tg.GradientTape() as tape:
        y = triple(x)
    assert float(tape.gradient(y, x)) == 3.0


# -- structures of arguments and outputs -----------------------------------------------------------
def test_tensors_inside_list_and_dict_arguments_are_inputs_as_in_tensorflow():
    a, b = tg.constant(2.0), tg.constant(3.0)

    @tg.custom_gradient
    def f(xs):
        return xs[0] + xs[1], lambda g: [g * 5.0, g * 5.0]

    with tg.GradientTape() as tape:
        tape.watch([a, b])
        z = f([a, b])
    assert [float(g) for g in tape.gradient(z, [a, b])] == [5.0, 5.0]
    block = tg.recompute_grad(lambda p: p["x"] * p["y"])
    grads = tg.grad(lambda x, y: block({"x": x, "y": y}), argnums=(0, 1))(a, b)
    assert [float(g) for g in grads] == [3.0, 2.0]


def test_grad_fn_may_count_every_argument_as_tensorflow_does():
    @tg.custom_gradient
    def scaled(x, s):
        return x * s, lambda g: (g * s, None)  # one per argument, None for the number

    assert float(tg.grad(lambda x: scaled(x, 3.0))(tg.constant(2.0))) == 3.0


def test_a_custom_vjp_takes_and_gives_lists_tuples_and_dicts_as_jax():
    # it used to refuse tensors inside a structure
    @tg.custom_vjp
    def affine(params, x):
        return params["w"] * x + params["b"]

    def bwd(residuals, g):
        params, x = residuals
        return {"w": 2 * g * x, "b": g}, g * params["w"]  # w's doubled: the rule is used

    affine.defvjp(lambda params, x: (affine(params, x), (params, x)), bwd)
    params, x = {"w": tg.constant(3.0), "b": tg.constant(1.0)}, tg.constant(2.0)
    grads, grad_x = tg.grad(affine, argnums=(0, 1))(params, x)
    assert (float(grads["w"]), float(grads["b"]), float(grad_x)) == (4.0, 1.0, 3.0)
    # d2/dx2 of x*x + x with the doubled rule: 2 (from w) + 1 (from x) = 3
    assert float(tg.hessian(lambda x: affine({"w": x, "b": x}, x))(x)) == 3.0

    @tg.custom_vjp
    def both(x):
        return tg.sin(x), {"c": tg.cos(x)}

    both.defvjp(lambda x: (both(x), x), lambda x, g: (g[0] * tg.cos(x) - g[1]["c"] * tg.sin(x),))
    y = tg.constant(0.5, dtype=tg.float64)
    got = tg.grad(lambda x: both(x)[0] + both(x)[1]["c"])(y)
    assert float(got) == pytest.approx(np.cos(0.5) - np.sin(0.5), rel=1e-15)

    @tg.custom_vjp
    def scaled(a, b):
        return a * b["k"]

    scaled.defvjp(lambda a, b: (scaled(a, b), (a, b)), lambda r, g: (g * r[1]["k"], None))
    grad_a, grad_b = tg.grad(scaled, argnums=(0, 1))(tg.constant(2.0), {"k": tg.constant(5.0)})
    assert (float(grad_a), float(grad_b["k"])) == (5.0, 0.0)  # None: zeros for the argument

    scaled.defvjp(lambda a, b: (scaled(a, b), (a, b)), lambda r, g: (g, {"j": g}))
    with pytest.raises(ValueError) as caught:
        tg.grad(scaled, argnums=1)(tg.constant(2.0), {"k": tg.constant(5.0)})
    assert str(caught.value) == (
        "the cotangents of argument 1 from the bwd rule of scaled do not have the structure of "
        "the argument: {'j': *} against {'k': *}; give one array per array, in the same "
        "nesting of lists, tuples and dicts (with the same keys)"
    )


def test_outputs_of_several_dtypes_keep_their_own():
    @tg.custom_gradient
    def two(a):
        outputs = (a * 2.0, tg.astype(a, tg.float64) * 3.0, tg.astype(a, tg.complex64) * 1j)
        return outputs, lambda g1, g2, g3: g1 * 2.0 + tg.astype(g2, tg.float32) * 3.0

    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        p, q, c = two(x)
        total = p + tg.astype(q, tg.float32)
    assert (p.dtype, q.dtype, c.dtype) == (tg.float32, tg.float64, tg.complex64)
    assert (float(p), float(q), complex(c.numpy())) == (4.0, 6.0, 2j)
    assert float(tape.gradient(total, x)) == 5.0


def test_custom_vjp_rules_hold_in_every_thread_at_once():
    import threading
    import time

    @tg.custom_vjp
    def slow_sin(x):
        return tg.sin(x)

    def fwd(x):
        time.sleep(0.2)  # a second thread calls the function meanwhile
        return tg.sin(x), tg.cos(x)

    slow_sin.defvjp(fwd, lambda cos_x, g: (100.0 * cos_x * g,))
    results = {}

    def run(i):
        results[i] = float(tg.grad(slow_sin)(tg.constant(0.0)))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    for thread in threads:
        thread.join()
    assert results == {0: 100.0, 1: 100.0}


def test_a_custom_rule_answers_each_backward_pass_afresh_for_the_same_seed():
    """A persistent tape's second backward pass, under an outer tape, sends the same seed
    object: the rule must run again there, recorded, for the second derivative."""

    @tg.custom_vjp
    def cube(x):
        return x**3

    cube.defvjp(lambda x: (x**3, x), lambda x, g: (3 * g * x**2,))
    x = tg.constant(np.float64(2.0))
    seed = tg.constant(np.float64(1.0))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = cube(x)
    assert float(tape.gradient(y, x, output_gradients=seed)) == 12.0
    with tg.GradientTape() as outer:
        outer.watch(x)
        g = tape.gradient(y, x, output_gradients=seed)
    assert float(outer.gradient(g, x)) == 12.0


def test_recompute_grad_reruns_at_the_values_recorded_not_at_later_writes():
    block = tg.recompute_grad(lambda u: tg.sin(u) * u)
    values = np.array([0.5, 1.5])

    def f(u):
        h = u * 1.0
        y = tg.sum(block(h))
        h[:] = 0.0  # a write after the call: the recorded h is what was differentiated
        return y

    x = tg.constant(values)
    np.testing.assert_allclose(tg.grad(f)(x).numpy(), np.cos(values) * values + np.sin(values))
    np.testing.assert_allclose(
        np.diag(tg.hessian(f)(x).numpy()), 2 * np.cos(values) - values * np.sin(values)
    )


def test_a_complex_gradient_from_a_rule_for_a_real_input_raises():
    # the imaginary part used to be dropped silently by the cast to the input's dtype
    @tg.custom_gradient
    def double(x):
        return x * 2, lambda g: tg.astype(g, tg.complex64) * (2 + 1j)

    x = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = double(x)
    with pytest.raises(TypeError) as caught:
        tape.gradient(y, x)
    assert str(caught.value) == (
        "the grad_fn of double returned a complex gradient (complex64) for argument 0, which is "
        "real (float32): its imaginary part would be lost; return tg.real(...) of it if that "
        "is meant"
    )


def test_a_custom_jvp_takes_and_gives_lists_tuples_and_dicts_as_jax():
    @tg.custom_jvp
    def f(p, x):
        return {"y": p["a"] * tg.sin(x), "z": p["b"] * x}

    def rule(primals, tangents):
        (p, x), (tp, tx) = primals, tangents
        return f(p, x), {
            "y": tp["a"] * tg.sin(x) + p["a"] * tg.cos(x) * tx,
            "z": tp["b"] * x + p["b"] * tx,
        }

    f.defjvp(rule)
    p = {"a": tg.constant(2.0, dtype=tg.float64), "b": tg.constant(3.0, dtype=tg.float64)}
    x = tg.constant(0.5, dtype=tg.float64)
    _, tangent = tg.jvp(lambda x: f(p, x), (x,), (tg.constant(1.0, dtype=tg.float64),))
    assert (float(tangent["y"]), float(tangent["z"])) == (2 * np.cos(0.5), 3.0)
    grads, grad_x = tg.grad(lambda p, x: f(p, x)["y"] + f(p, x)["z"], argnums=(0, 1))(p, x)
    assert (float(grads["a"]), float(grads["b"])) == (np.sin(0.5), 0.5)
    assert float(grad_x) == pytest.approx(2 * np.cos(0.5) + 3, rel=1e-15)
    assert float(tg.hessian(lambda x: f(p, x)["y"])(x)) == pytest.approx(-2 * np.sin(0.5))

    f.defjvp(lambda primals, tangents: (f(*primals), {"y": tangents[1]}))
    with pytest.raises(ValueError) as caught:
        tg.jvp(lambda x: f(p, x), (x,), (tg.constant(1.0, dtype=tg.float64),))
    assert str(caught.value) == (
        "the tangents from the jvp rule of f do not have the structure of the output: "
        "{'y': *} against {'y': *, 'z': *}; give one array per array, in the same nesting of "
        "lists, tuples and dicts (with the same keys)"
    )


def test_a_custom_jvp_argument_may_hold_leaves_that_are_not_numbers():
    # zeros_like(None) and zeros_like("a") failed inside the rule's tangents
    @tg.custom_jvp
    def scale(opts, x):
        return x * opts["s"]

    scale.defjvp(lambda p, t: (scale(*p), t[1] * p[0]["s"]))
    opts = {"s": 3.0, "name": "a", "none": None}
    x = tg.constant(2.0)
    assert float(tg.jvp(lambda x: scale(opts, x), (x,), (tg.constant(1.0),))[1]) == 3.0
    assert float(tg.grad(lambda x: scale(opts, x))(x)) == 3.0


def test_integer_outputs_of_a_recorded_custom_function_stay_exact():
    # the outputs were packed through float64, where 2**53 + 1 rounds
    @tg.custom_vjp
    def with_count(x):
        return x * 1, tg.constant(2**53 + 1, dtype=tg.int64)

    with_count.defvjp(lambda x: (with_count(x), None), lambda r, g: (g[0],))
    x = tg.constant([1.0, 3.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        doubled, count = with_count(x)
    assert (count.dtype, int(count)) == (tg.int64, 2**53 + 1)
    assert tape.gradient(doubled, x).numpy().tolist() == [1.0, 1.0]


def test_custom_gradient_intermediates_stay_functions_of_the_inputs_for_outer_tapes():
    # TensorFlow's docstring example (log1pexp above): grad_fn reads e = exp(x), computed
    # inside f, which the tape keeps watching; its second derivative is sigmoid'(0) = 0.25 (it
    # was None, or 0)
    x = tg.Variable(0.0)
    with tg.GradientTape() as outer:
        with tg.GradientTape() as inner:
            y = log1pexp(x)
        g = inner.gradient(y, x)
    assert (float(g), float(outer.gradient(g, x))) == (0.5, 0.25)
    assert float(tg.hessian(log1pexp)(tg.constant(0.0))) == 0.25
    assert float(tg.grad(tg.grad(log1pexp))(tg.constant(0.0))) == 0.25
    tg.testing.check_grads(log1pexp, (0.3,), order=2)


def test_a_custom_vjp_whose_fwd_calls_the_function_keeps_its_rule_at_every_order():
    # JAX's fixed-point pattern: fwd calls f, which must be f with its rule again for the outer
    # levels of differentiation (it was the plain primal, so second derivatives were 0)
    @tg.custom_vjp
    def f(a):
        return tg.sqrt(tg.stop_gradient(a))  # a solver that is not meant to be differentiated

    def f_fwd(a):
        y = f(a)
        return y, (y,)

    f.defvjp(f_fwd, lambda res, g: (g / (2 * res[0]),))
    a = tg.constant(2.0, dtype=tg.float64)
    np.testing.assert_allclose(float(tg.grad(f)(a)), 0.5 * 2**-0.5, rtol=1e-15)
    np.testing.assert_allclose(float(tg.grad(tg.grad(f))(a)), -0.25 * 2**-1.5, rtol=1e-15)
    np.testing.assert_allclose(float(tg.hessian(f)(a)), -0.25 * 2**-1.5, rtol=1e-15)
    np.testing.assert_allclose(float(tg.grad(tg.grad(tg.grad(f)))(a)), 0.375 * 2**-2.5, rtol=1e-14)
    calls = []
    plain = f.fun

    def counted(a):
        calls.append(1)
        return plain(a)

    f.fun = counted
    tg.grad(f)(a)
    assert len(calls) == 1  # a first derivative runs the primal once, as in JAX


def test_custom_rules_in_forward_mode_with_complex_tangents():
    """A JVP made from a VJP gives J t, not J conj(t), as plain operations do."""
    z, t = tg.constant(np.complex128(1 + 2j)), tg.constant(np.complex128(0.5 - 1j))
    square = lambda z: z * z  # noqa: E731
    expected = complex(tg.jvp(square, (z,), (t,))[1])
    assert expected == 5 + 0j
    assert complex(tg.jvp(tg.recompute_grad(square), (z,), (t,))[1]) == expected

    @tg.custom_gradient
    def squared(z):
        return z * z, lambda g: g * tg.conj(2 * z)  # TensorFlow's convention: conj(f')

    assert complex(tg.jvp(squared, (z,), (t,))[1]) == expected


def test_custom_rules_take_integer_arguments_numbers_and_nested_gradients():
    n = tg.constant(3)
    block = tg.recompute_grad(lambda x, n: x * tg.astype(n, x.dtype))
    assert float(tg.grad(block)(tg.constant(2.0), n)) == 3.0

    @tg.custom_jvp
    def scaled(x, n):
        return x * tg.astype(n, x.dtype)

    scaled.defjvp(lambda p, t: (scaled(*p), t[0] * tg.astype(p[1], p[0].dtype)))
    assert float(tg.grad(scaled)(tg.constant(2.0), n)) == 3.0

    @tg.custom_gradient
    def doubled(x):
        return x * 2, lambda g: 2.0  # a Python number, as TensorFlow accepts

    assert float(tg.grad(doubled)(tg.constant(1.0))) == 2.0

    @tg.custom_jvp
    def flat(x):
        return x * 2

    flat.defjvp(lambda p, t: (flat(p[0]), 0.0))
    assert float(tg.grad(flat)(tg.constant(1.0))) == 0.0

    @tg.custom_gradient
    def affine(x, ys):
        return x * ys[0] + ys[1], lambda g: (g * ys[0], [g * x, g])  # nested, as TF flattens

    gx, gys = tg.grad(affine, argnums=(0, 1))(tg.constant(2.0), [tg.constant(3.0), 4.0])
    assert float(gx) == 3.0 and [float(g) for g in gys] == [2.0, 1.0]

    scaled_by_two = tg.custom_vjp(functools.partial(lambda x, k: x * k, k=2.0))
    scaled_by_two.defvjp(lambda x: (x * 2, None), lambda r, g: (g * 2,))
    assert float(tg.grad(scaled_by_two)(tg.constant(1.0))) == 2.0

    @tg.custom_jvp
    def sine(x):
        return tg.sin(x)

    sine.defjvp(lambda p, t: (sine(p[0]), tg.cos(p[0]) * t[0]))
    assert tg.jacfwd(sine)(tg.zeros((0,))).shape == (0, 0)


def test_custom_rule_mistakes_are_named():
    @tg.custom_vjp
    def doubled(x):
        return x * 2

    doubled.defvjp(lambda x: (x * 2, None), lambda r, g: (tg.stack([g, g]),))
    with pytest.raises(ValueError) as caught:
        tg.grad(lambda x: tg.sum(doubled(x)))(tg.constant([1.0, 2.0]))
    assert str(caught.value) == (
        "the bwd rule of doubled returned a gradient of shape (2, 2) for argument 0 of shape (2,): "
        "each gradient must have its input's shape"
    )

    @tg.custom_jvp
    def twice(x):
        return x * 2

    twice.defjvp(lambda p, t: (twice(p[0]), tg.astype(t[0], tg.complex128) * 2))
    with pytest.raises(TypeError, match="returned a complex tangent .complex128. for a real"):
        tg.jvp(twice, (tg.constant(1.0),), (tg.constant(1.0),))
    twice.defjvp(lambda p, t: (twice(p[0]), tg.astype(t[0], tg.float64) * 2))
    assert tg.jvp(twice, (tg.constant(1.0),), (tg.constant(1.0),))[1].dtype == tg.float32

    @tg.custom_gradient
    def forgot(x):
        return x * 2

    with pytest.raises(TypeError) as caught:
        tg.grad(forgot)(tg.constant(1.0))
    assert str(caught.value) == (
        "forgot must return a pair (output, grad_fn), as tf.custom_gradient's function does; "
        "it returned Tensor: end it with `return y, grad_fn`"
    )


def test_a_variable_given_by_keyword_is_not_a_variable_read():
    v = tg.Variable(5.0)

    @tg.custom_gradient
    def scaled(x, *, scale):
        return x * scale, lambda g: g * scale  # no variables=: scale came by keyword, as in TF

    with tg.GradientTape() as tape:
        x = tg.constant(1.0)
        tape.watch(x)
        y = scaled(x, scale=v)
    assert float(tape.gradient(y, x)) == 5.0


def test_nondiff_argnums_as_in_jax():
    @functools.partial(tg.custom_vjp, nondiff_argnums=(0, 1))
    def clip_gradient(lo, hi, x):
        return x

    clip_gradient.defvjp(lambda lo, hi, x: (x, None), lambda lo, hi, _, g: (tg.clip(g, lo, hi),))
    assert float(tg.grad(lambda x: tg.sin(clip_gradient(-0.75, 0.75, x)))(0.0)) == 0.75
    bound = tg.constant(0.5)  # a tensor at a nondiff position gets no gradient
    grad_b = tg.grad(lambda b, x: clip_gradient(-1.0, b, x) * b, argnums=0)
    assert float(grad_b(bound, tg.constant(3.0))) == 3.0

    @functools.partial(tg.custom_jvp, nondiff_argnums=(0,))
    def apply(f, x):
        return f(x)

    @apply.defjvp
    def apply_jvp(f, primals, tangents):
        (x,), (x_dot,) = primals, tangents
        return f(x), 2.0 * x_dot

    assert float(tg.grad(lambda x: apply(tg.sin, x))(1.0)) == 2.0
    assert float(tg.jvp(lambda x: apply(tg.sin, x), (1.0,), (1.0,))[1]) == 2.0
    with pytest.raises(TypeError, match=r"nondiff_argnums must be non-negative .* got \(-1,\)"):
        tg.custom_vjp(lambda x: x, nondiff_argnums=(-1,))

    clip_gradient.defvjp(lambda lo, hi, x: (x, None), lambda lo, hi, _, g: (g, g))
    with pytest.raises(
        ValueError,
        match="returned 2 gradients, but the function has 1 arguments outside nondiff_argnums",
    ):
        tg.grad(lambda x: clip_gradient(-1.0, 1.0, x))(0.0)


def test_a_variable_read_inside_a_custom_vjp_or_jvp_is_named_not_silently_zero():
    v = tg.Variable(2.0, name="w")

    @tg.custom_vjp
    def scaled(x):
        return x * v

    scaled.defvjp(lambda x: (x * v, v), lambda r, g: (g * r,))

    @tg.custom_jvp
    def shifted(x):
        return x + v

    shifted.defjvp(lambda p, t: (shifted(p[0]), t[0]))
    for function, kind, rule in (
        (scaled, "custom_vjp", "bwd"),
        (shifted, "custom_jvp", "the jvp rule"),
    ):
        with tg.GradientTape() as tape:
            with pytest.warns(tg.GradientCutWarning) as caught:
                y = function(tg.constant(3.0))
        assert str(caught[0].message) == (
            f"{kind} function {function.__name__} reads trainable variables that are not among "
            f"its arguments ('w:0'): no gradient reaches them through it, since {rule} gives "
            "derivatives for the arguments only; pass them as arguments"
        )
        assert tape.gradient(y, v) is None


def test_shape_errors_name_the_argument_and_its_leaf():
    @tg.custom_vjp
    def affine(p, x):
        return p[0] * x + p[1]

    affine.defvjp(
        lambda p, x: (affine(p, x), (p, x)),
        lambda r, g: ((tg.sum(g * r[1]), tg.sum(g)), tg.sum(g)),  # x's cotangent summed: wrong
    )
    params = (tg.constant(2.0), tg.constant(1.0))
    with pytest.raises(ValueError) as caught:
        tg.grad(lambda x: tg.sum(affine(params, x)))(tg.constant([1.0, 3.0]))
    assert str(caught.value) == (
        "the bwd rule of affine returned a gradient of shape () for argument 1 of shape (2,): "
        "each gradient must have its input's shape"
    )
    with pytest.raises(ValueError, match=r"for argument 0 \(its leaf 1\) of shape \(\)"):
        affine.defvjp(lambda p, x: (affine(p, x), x), lambda r, g: ((g, tg.stack([g])), g))
        tg.grad(lambda x: affine(params, x))(tg.constant(1.0))


def test_custom_calls_leave_no_reference_cycles():
    """Each call's rule, residuals and inputs are freed when the tape is, without the cyclic
    collector (a rule that called itself through its own closure kept them all)."""
    x = tg.constant(np.array([0.3, -0.2, 0.5]))

    @tg.custom_gradient
    def clipped(x):
        return tg.identity(x), lambda g: tg.clip(g, -1.0, 1.0)

    @tg.custom_vjp
    def square(x):
        return x * x

    square.defvjp(lambda x: (x * x, x), lambda r, g: (2 * r * g,))

    @tg.custom_jvp
    def sine(x):
        return tg.sin(x)

    sine.defjvp(lambda p, t: (tg.sin(p[0]), tg.cos(p[0]) * t[0]))
    block = tg.recompute_grad(lambda h: tg.tanh(h) * 2.0)
    gc.collect()
    gc.disable()
    try:
        for function in (clipped, square, sine, block):
            for _ in range(5):
                tg.grad(lambda x: tg.sum(function(x)))(x)
                tg.jacfwd(function)(x)
            assert gc.collect() == 0, function
    finally:
        gc.enable()


def test_a_new_tape_at_a_dead_tapes_address_records_a_custom_rule():
    x = tg.constant(2.0, dtype=tg.float64)

    @tg.custom_gradient
    def cube(x):
        return x**3, lambda dy: dy * 3 * x**2

    with tg.GradientTape(persistent=True) as inner:
        inner.watch(x)
        y = cube(x)
    seed = tg.constant(1.0, dtype=tg.float64)
    for _ in range(4):  # CPython puts each new tape where the last one was
        outer = tg.GradientTape()
        with outer:
            outer.watch(x)
            g = inner.gradient(y, x, output_gradients=seed)
        assert float(outer.gradient(g, x)) == 12.0
        del g, outer


def test_defjvps_as_in_jax():
    @tg.custom_jvp
    def f(x, y):
        return tg.sin(x) * y

    f.defjvps(
        lambda x_dot, out, x, y: tg.cos(x) * x_dot * y, lambda y_dot, out, x, y: tg.sin(x) * y_dot
    )
    x, y = tg.constant(2.0, tg.float64), tg.constant(3.0, tg.float64)
    gx, gy = tg.grad(f, argnums=(0, 1))(x, y)
    assert float(gx) == pytest.approx(np.cos(2.0) * 3.0) and float(gy) == pytest.approx(np.sin(2.0))
    check_grads(f, (x, y), order=2, modes=("fwd", "rev"))

    @functools.partial(tg.custom_jvp, nondiff_argnums=(0,))
    def scaled(k, x):
        return k * x

    scaled.defjvps(lambda x_dot, out, x: 10.0 * x_dot)  # a rule of its own, to be seen
    assert float(tg.grad(lambda x: scaled(2.0, x))(1.0)) == 10.0
    assert float(tg.jvp(lambda x: scaled(2.0, x), (1.0,), (1.0,))[1]) == 10.0

    @tg.custom_jvp
    def product(x, y):
        return x * y

    product.defjvps(None, lambda y_dot, out, x, y: x * y_dot)  # None: no part from x
    assert [float(g) for g in tg.grad(product, argnums=(0, 1))(2.0, 3.0)] == [0.0, 2.0]
