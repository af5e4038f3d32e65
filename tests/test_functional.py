"""Function transforms: grad, value_and_grad, vjp, jvp, linearize, jacobian (jacrev), jacfwd,
hessian and hvp; their structures, errors, compositions, the examples of JAX's documentation, and
forward and reverse Jacobians agreeing through leading batch axes."""

import re

import numpy as np
import pytest

import tapegrad as tg

RNG = np.random.default_rng(20240611)


def f64(value):
    return tg.constant(np.asarray(value, dtype=np.float64))


def randn(*shape):
    return RNG.standard_normal(shape)


def close(actual, expected, rtol=1e-12, atol=1e-12):
    assert actual is not None
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


# -- examples from JAX's documentation, with their documented (float32) results --------------------
def test_jax_grad_doc_example_tanh():
    # jax.grad: grad(jnp.tanh)(0.2) prints 0.961043
    close(tg.grad(tg.tanh)(0.2), 0.961043, rtol=1e-6)


def test_autodiff_cookbook_derivatives_of_tanh_at_two():
    # the cookbook prints 0.070650935, -0.13621868 and 0.25265405 (float32 rounding)
    d1 = tg.grad(tg.tanh)
    d2 = tg.grad(d1)
    d3 = tg.grad(d2)
    close(d1(2.0), 0.070650935, rtol=1e-5)
    close(d2(2.0), -0.13621868, rtol=1e-5)
    close(d3(2.0), 0.25265405, rtol=1e-5)
    t = np.tanh(2.0)
    close(d1(f64(2.0)), 1 - t**2)
    close(d2(f64(2.0)), -2 * t * (1 - t**2))
    close(d3(f64(2.0)), (1 - t**2) * (6 * t**2 - 2))


def test_autodiff_cookbook_logistic_regression_gradients():
    # the cookbook's model: predict = sigmoid(W @ x + b), loss = -sum(log likelihood)
    inputs = np.array(
        [[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]]
    )
    targets = np.array([True, True, False, True])

    def loss(W, b):
        preds = tg.nn.sigmoid(tg.matmul(f64(inputs), W) + b)
        label_probs = preds * targets + (1 - preds) * (1 - targets)
        return -tg.sum(tg.log(label_probs))

    W, b = randn(3), 0.3
    p = 1 / (1 + np.exp(-(inputs @ W + b)))
    residual = p - targets  # d loss / d logits
    W_grad = tg.grad(loss, argnums=0)(f64(W), f64(b))
    b_grad = tg.grad(loss, 1)(f64(W), f64(b))
    both = tg.grad(loss, (0, 1))(f64(W), f64(b))
    close(W_grad, inputs.T @ residual)
    close(b_grad, residual.sum())
    assert isinstance(both, tuple) and len(both) == 2
    close(both[0], inputs.T @ residual)
    close(both[1], residual.sum())
    value, (gw, gb) = tg.value_and_grad(loss, (0, 1))(f64(W), f64(b))
    close(value, -np.sum(np.log(np.where(targets, p, 1 - p))))
    close(gw, inputs.T @ residual)
    close(gb, residual.sum())


def test_jax_jvp_doc_example_sin():
    # jax.jvp(jnp.sin, (0.1,), (0.2,)) gives (0.09983342, 0.19900084)
    out, tangent = tg.jvp(tg.sin, (0.1,), (0.2,))
    close(out, 0.09983342, rtol=1e-6)
    close(tangent, 0.19900084, rtol=1e-6)


def test_jax_vjp_doc_example_sin_cos():
    # jax.vjp: f(x, y) = (sin(x), cos(y)) at (0.5, 1.0), cotangent (-0.7, 0.3)
    # gives xbar = -0.61430776, ybar = -0.2524413
    primals, f_vjp = tg.vjp(lambda x, y: (tg.sin(x), tg.cos(y)), 0.5, 1.0)
    close(primals[0], np.sin(0.5), rtol=1e-6)
    close(primals[1], np.cos(1.0), rtol=1e-6)
    xbar, ybar = f_vjp((-0.7, 0.3))
    close(xbar, -0.61430776, rtol=1e-6)
    close(ybar, -0.2524413, rtol=1e-6)


def jax_jacobian_doc_function(x):
    return tg.stack([x[0], 5 * x[2], 4 * x[1] ** 2 - 2 * x[2], x[2] * tg.sin(x[0])])


JAX_JACOBIAN_DOC_RESULT = [
    [1.0, 0.0, 0.0],
    [0.0, 0.0, 5.0],
    [0.0, 16.0, -2.0],
    [1.6209, 0.0, 0.84147],
]


@pytest.mark.parametrize("transform", [tg.jacfwd, tg.jacrev])
def test_jax_jacfwd_and_jacrev_doc_example(transform):
    x = tg.constant([1.0, 2.0, 3.0])
    jac = transform(jax_jacobian_doc_function)(x)
    assert jac.shape == (4, 3)
    close(jac, JAX_JACOBIAN_DOC_RESULT, rtol=1e-4, atol=1e-6)
    exact = transform(jax_jacobian_doc_function)(f64([1.0, 2.0, 3.0]))
    close(exact[3], [3 * np.cos(1.0), 0.0, np.sin(1.0)])


def test_jax_hessian_doc_example():
    # g = x0**3 - 2 x0 x1 - x1**6 at [1, 2]: [[6, -2], [-2, -480]]
    g = lambda x: x[0] ** 3 - 2 * x[0] * x[1] - x[1] ** 6
    hess = tg.hessian(g)(tg.constant([1.0, 2.0]))
    assert hess.shape == (2, 2)
    np.testing.assert_array_equal(hess.numpy(), [[6.0, -2.0], [-2.0, -480.0]])


def test_jax_linearize_doc_example():
    # f(x) = 3 sin(x) + cos(x / 2): jvp at 2 along 3 is (3.2681944, -5.007528);
    # linearize's f_jvp(3.) = -5.007528 and f_jvp(4.) = -6.676704
    f = lambda x: 3.0 * tg.sin(x) + tg.cos(x / 2.0)
    out, tangent = tg.jvp(f, (2.0,), (3.0,))
    close(out, 3.2681944, rtol=1e-6)
    close(tangent, -5.007528, rtol=1e-6)
    y, f_jvp = tg.linearize(f, 2.0)
    close(y, 3.2681944, rtol=1e-6)
    close(f_jvp(3.0), -5.007528, rtol=1e-6)
    close(f_jvp(4.0), -6.676704, rtol=1e-6)


# -- grad and value_and_grad -----------------------------------------------------------------------
def test_grad_of_a_scalar_function():
    g = tg.grad(lambda x: x**3)(f64(2.0))
    assert isinstance(g, tg.Tensor)
    assert g.shape == () and g.dtype == tg.float64
    assert float(g) == 12.0


def test_grad_default_argnum_is_the_first_argument():
    f = lambda x, y: x * y**2
    assert float(tg.grad(f)(f64(3.0), f64(2.0))) == 4.0


def test_grad_int_argnums_gives_one_gradient():
    f = lambda x, y: x * y**2
    g = tg.grad(f, argnums=1)(f64(3.0), f64(2.0))
    assert isinstance(g, tg.Tensor)
    assert float(g) == 12.0


def test_grad_negative_argnums_counts_from_the_end():
    f = lambda x, y, z: x * y * z
    assert float(tg.grad(f, argnums=-1)(f64(2.0), f64(3.0), f64(5.0))) == 6.0


def test_grad_tuple_argnums_gives_a_tuple_in_that_order():
    f = lambda x, y, z: x * y**2 * z**3
    g = tg.grad(f, argnums=(2, 0))(f64(1.0), f64(2.0), f64(3.0))
    assert isinstance(g, tuple) and len(g) == 2
    assert float(g[0]) == 1.0 * 4.0 * 27.0
    assert float(g[1]) == 4.0 * 27.0


def test_grad_one_element_tuple_argnums_gives_a_one_element_tuple():
    g = tg.grad(lambda x, y: x * y, argnums=(1,))(f64(3.0), f64(2.0))
    assert isinstance(g, tuple) and len(g) == 1
    assert float(g[0]) == 3.0


def test_grad_of_a_vector_argument():
    x = randn(5)
    g = tg.grad(lambda v: tg.sum(tg.sin(v) * v))(f64(x))
    assert g.shape == (5,)
    close(g, np.cos(x) * x + np.sin(x))


def test_grad_takes_python_numbers_and_numpy_arrays():
    assert float(tg.grad(lambda x: x * x)(3.0)) == 6.0
    g = tg.grad(lambda x: tg.sum(x * x))(np.array([1.0, 2.0]))
    assert g.dtype == tg.float64
    np.testing.assert_array_equal(g.numpy(), [2.0, 4.0])


def test_a_list_of_numbers_is_a_list_of_scalar_arguments():
    g = tg.grad(lambda xs: xs[0] * xs[1] ** 2)([1.0, 3.0])
    assert isinstance(g, list) and len(g) == 2
    assert [float(v) for v in g] == [9.0, 6.0]


def test_grad_keeps_the_dtype_of_the_argument():
    g32 = tg.grad(lambda x: tg.sum(x**2))(np.array([1.0, 2.0], dtype=np.float32))
    assert g32.dtype == tg.float32
    g64 = tg.grad(lambda x: tg.sum(x**2))(np.array([1.0, 2.0]))
    assert g64.dtype == tg.float64


def test_grad_with_has_aux_returns_gradient_and_aux():
    def f(x):
        y = x**2
        return y, {"half": y / 2, "tag": "square"}

    g, aux = tg.grad(f, has_aux=True)(f64(3.0))
    assert float(g) == 6.0
    assert float(aux["half"]) == 4.5
    assert aux["tag"] == "square"


def test_value_and_grad_returns_value_and_gradient():
    value, g = tg.value_and_grad(lambda x: tg.sum(x**3))(f64([1.0, 2.0]))
    assert float(value) == 9.0
    np.testing.assert_array_equal(g.numpy(), [3.0, 12.0])


def test_value_and_grad_with_has_aux_nests_value_and_aux():
    f = lambda x, y: (x * y, [x + y])
    (value, aux), g = tg.value_and_grad(f, argnums=(0, 1), has_aux=True)(f64(2.0), f64(5.0))
    assert float(value) == 10.0
    assert isinstance(aux, list) and float(aux[0]) == 7.0
    assert [float(v) for v in g] == [5.0, 2.0]


def test_has_aux_with_a_single_output_raises_type_error():
    with pytest.raises(TypeError, match=r"has_aux=True.*pair \(output, aux\).*Tensor"):
        tg.grad(lambda x: x * 2, has_aux=True)(f64(1.0))


def test_has_aux_with_a_triple_raises_type_error():
    with pytest.raises(TypeError, match=r"has_aux=True.*returned tuple"):
        tg.grad(lambda x: (x, x, x), has_aux=True)(f64(1.0))


def test_grad_with_respect_to_nested_lists_tuples_and_dicts():
    params = {"w": [f64([1.0, 2.0]), f64([3.0, 4.0])], "c": (f64(5.0),)}

    def f(p):
        a, b = p["w"]
        return tg.sum(a * b) + p["c"][0] ** 2

    g = tg.grad(f)(params)
    assert isinstance(g, dict) and set(g) == {"w", "c"}
    assert isinstance(g["w"], list) and len(g["w"]) == 2
    assert isinstance(g["c"], tuple) and len(g["c"]) == 1
    np.testing.assert_array_equal(g["w"][0].numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(g["w"][1].numpy(), [1.0, 2.0])
    assert float(g["c"][0]) == 10.0


def test_grad_with_a_nested_argument_among_several():
    f = lambda scale, xs: scale * tg.sum(xs[0] * xs[1])
    gs, gx = tg.grad(f, argnums=(0, 1))(f64(2.0), (f64([1.0, 2.0]), f64([3.0, 4.0])))
    assert float(gs) == 11.0
    assert isinstance(gx, tuple)
    np.testing.assert_array_equal(gx[0].numpy(), [6.0, 8.0])
    np.testing.assert_array_equal(gx[1].numpy(), [2.0, 4.0])


def test_grad_of_a_namedtuple_keeps_the_namedtuple():
    from collections import namedtuple

    Point = namedtuple("Point", "x y")
    g = tg.grad(lambda p: p.x * p.y**2)(Point(f64(3.0), f64(2.0)))
    assert type(g) is Point
    assert float(g.x) == 4.0 and float(g.y) == 12.0


def test_grad_of_an_unused_argument_is_zeros_not_none():
    f = lambda x, y: tg.sum(x * 2.0)
    gx, gy = tg.grad(f, argnums=(0, 1))(f64([1.0, 2.0]), f64([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    assert isinstance(gy, tg.Tensor)
    assert gy.shape == (1, 3) and gy.dtype == tg.float64
    np.testing.assert_array_equal(gy.numpy(), np.zeros((1, 3)))


def test_grad_of_a_constant_output_is_zeros():
    g = tg.grad(lambda x: tg.constant(3.0, dtype=tg.float64))(f64([1.0, 2.0]))
    assert isinstance(g, tg.Tensor)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_grad_through_stop_gradient_is_zeros():
    g = tg.grad(lambda x: tg.sum(tg.stop_gradient(x) * 3.0))(f64([1.0, 2.0]))
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_unused_leaves_of_a_nested_argument_get_zeros():
    g = tg.grad(lambda p: p["a"] * 2.0)({"a": f64(1.0), "b": [f64([1.0, 2.0, 3.0])]})
    assert float(g["a"]) == 2.0
    np.testing.assert_array_equal(g["b"][0].numpy(), [0.0, 0.0, 0.0])


@pytest.mark.parametrize("transform", [tg.grad, tg.value_and_grad])
@pytest.mark.parametrize("shape", [(3,), (2, 2), (1,)])
def test_grad_of_a_non_scalar_function_raises_type_error_naming_jacobian_vjp_and_shape(
    transform, shape
):
    x = f64(np.ones(shape))
    with pytest.raises(TypeError) as info:
        transform(lambda v: v * 2.0)(x)
    message = str(info.value)
    assert "jacobian" in message
    assert "vjp" in message
    assert str(shape) in message


def test_grad_of_an_integer_argument_raises_type_error():
    with pytest.raises(TypeError, match=r"int64.*floating-point"):
        tg.grad(lambda x: x * x)(np.array(3, dtype=np.int64))


def test_grad_of_a_non_array_argument_raises_type_error():
    with pytest.raises(TypeError, match="cannot be differentiated"):
        tg.grad(lambda x: x)("abc")


def test_grad_argnums_out_of_range_raises_value_error():
    with pytest.raises(ValueError, match=r"argnums 2 is out of range.*2 positional"):
        tg.grad(lambda x, y: x * y, argnums=2)(f64(1.0), f64(2.0))


def test_grad_non_differentiated_arguments_may_be_anything():
    f = lambda x, n, name: x**n
    assert float(tg.grad(f)(f64(2.0), 3, "cube")) == 12.0


# -- argnames: keyword arguments -------------------------------------------------------------------
def scaled_square(x, *, scale, shift=0.0):
    return scale * x * x + shift


def test_argnames_alone_gives_a_dict_from_name_to_gradient():
    g = tg.grad(scaled_square, argnames="scale")(f64(3.0), scale=f64(2.0))
    assert isinstance(g, dict) and list(g) == ["scale"]
    assert float(g["scale"]) == 9.0


def test_argnames_several_names():
    g = tg.grad(scaled_square, argnames=("scale", "shift"))(f64(3.0), scale=f64(2.0), shift=1.0)
    assert set(g) == {"scale", "shift"}
    assert float(g["scale"]) == 9.0
    assert float(g["shift"]) == 1.0


def test_argnames_with_int_argnums_gives_positional_then_dict():
    g = tg.grad(scaled_square, argnums=0, argnames="scale")(f64(3.0), scale=f64(2.0))
    assert isinstance(g, tuple) and len(g) == 2
    gx, named = g
    assert float(gx) == 12.0
    assert isinstance(named, dict) and float(named["scale"]) == 9.0


def test_argnames_with_tuple_argnums_gives_tuple_then_dict():
    f = lambda x, y, *, w: w * x * y
    (gx, gy), named = tg.grad(f, argnums=(0, 1), argnames="w")(f64(2.0), f64(3.0), w=f64(5.0))
    assert (float(gx), float(gy), float(named["w"])) == (15.0, 10.0, 6.0)


def test_argnames_with_a_nested_keyword_argument():
    f = lambda x, *, params: tg.sum(params["w"] * x) + params["b"]
    g = tg.grad(f, argnames="params")(f64([1.0, 2.0]), params={"w": f64([3.0, 4.0]), "b": 1.0})
    np.testing.assert_array_equal(g["params"]["w"].numpy(), [1.0, 2.0])
    assert float(g["params"]["b"]) == 1.0


def test_argnames_of_an_unused_keyword_argument_is_zeros():
    f = lambda x, *, unused: x * x
    g = tg.grad(f, argnames="unused")(f64(3.0), unused=f64([1.0, 1.0]))
    np.testing.assert_array_equal(g["unused"].numpy(), [0.0, 0.0])


def test_value_and_grad_with_argnames():
    value, g = tg.value_and_grad(scaled_square, argnames="scale")(f64(3.0), scale=f64(2.0))
    assert float(value) == 18.0
    assert float(g["scale"]) == 9.0


def test_argnames_with_has_aux():
    f = lambda x, *, scale: (scale * x, "aux")
    g, aux = tg.grad(f, argnames="scale", has_aux=True)(f64(3.0), scale=f64(2.0))
    assert float(g["scale"]) == 3.0 and aux == "aux"


def test_argnames_naming_a_missing_keyword_raises_value_error():
    with pytest.raises(ValueError, match=r"argnames names 'scael'.*\['scale'\]"):
        tg.grad(scaled_square, argnames="scael")(f64(3.0), scale=f64(2.0))


def test_argnames_given_positionally_raises_value_error():
    f = lambda x, y: x * y
    with pytest.raises(ValueError, match="argnames names 'y'"):
        tg.grad(f, argnames="y")(f64(1.0), f64(2.0))


# -- vjp -------------------------------------------------------------------------------------------
def test_vjp_returns_the_output_and_a_tuple_with_one_cotangent_per_primal():
    out, vjp_fn = tg.vjp(lambda x: x * 3.0, f64([1.0, 2.0]))
    np.testing.assert_array_equal(out.numpy(), [3.0, 6.0])
    cts = vjp_fn(f64([1.0, 10.0]))
    assert isinstance(cts, tuple) and len(cts) == 1
    np.testing.assert_array_equal(cts[0].numpy(), [3.0, 30.0])


def test_vjp_with_several_primals():
    x, y = randn(3), randn(3)
    out, vjp_fn = tg.vjp(lambda a, b: tg.sin(a) * b, f64(x), f64(y))
    u = randn(3)
    gx, gy = vjp_fn(f64(u))
    close(out, np.sin(x) * y)
    close(gx, u * np.cos(x) * y)
    close(gy, u * np.sin(x))


def test_vjp_fn_can_be_called_many_times():
    a = randn(3, 4)
    x = randn(4)
    out, vjp_fn = tg.vjp(lambda v: tg.tanh(f64(a) @ v), f64(x))
    jac = (1 - np.tanh(a @ x) ** 2)[:, None] * a
    for k in range(3):
        u = np.eye(3)[k]
        (g,) = vjp_fn(f64(u))
        close(g, jac[k])
    (g,) = vjp_fn(f64(u))
    close(g, jac[2])


def test_vjp_of_an_unconnected_primal_is_zeros():
    _, vjp_fn = tg.vjp(lambda x, y: x * 2.0, f64([1.0, 2.0]), f64([[3.0]]))
    gx, gy = vjp_fn(f64([1.0, 1.0]))
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    assert isinstance(gy, tg.Tensor) and gy.shape == (1, 1)
    np.testing.assert_array_equal(gy.numpy(), [[0.0]])


def test_vjp_with_nested_primals_and_outputs():
    def f(p):
        return {"prod": p["a"] * p["b"][0], "sum": [p["a"] + p["b"][0]]}

    primal = {"a": f64([1.0, 2.0]), "b": [f64([3.0, 4.0])]}
    out, vjp_fn = tg.vjp(f, primal)
    np.testing.assert_array_equal(out["prod"].numpy(), [3.0, 8.0])
    (g,) = vjp_fn({"prod": f64([1.0, 1.0]), "sum": [f64([10.0, 100.0])]})
    np.testing.assert_array_equal(g["a"].numpy(), [13.0, 104.0])
    assert isinstance(g["b"], list)
    np.testing.assert_array_equal(g["b"][0].numpy(), [11.0, 102.0])


def test_vjp_with_has_aux():
    out, vjp_fn, aux = tg.vjp(lambda x: (x * x, x + 1), f64(3.0), has_aux=True)
    assert float(out) == 9.0 and float(aux) == 4.0
    assert float(vjp_fn(f64(1.0))[0]) == 6.0


def test_vjp_with_too_few_cotangents_raises_value_error():
    _, vjp_fn = tg.vjp(lambda x: (x, x * 2), f64(1.0))
    with pytest.raises(ValueError) as caught:
        vjp_fn(f64(1.0))
    assert str(caught.value) == (
        "the cotangents do not have the structure of the output: * against [*, *]; give one "
        "array per array, in the same nesting of lists, tuples and dicts (with the same keys)"
    )


def test_vjp_with_a_cotangent_of_the_wrong_shape_raises_value_error():
    _, vjp_fn = tg.vjp(lambda x: x * 2, f64([1.0, 2.0]))
    with pytest.raises(ValueError, match=re.escape("(3,)")):
        vjp_fn(f64([1.0, 2.0, 3.0]))


# -- jvp and linearize -----------------------------------------------------------------------------
def test_jvp_with_several_primals():
    x, y, tx, ty = randn(3), randn(3), randn(3), randn(3)
    out, t = tg.jvp(lambda a, b: a * tg.exp(b), (f64(x), f64(y)), (f64(tx), f64(ty)))
    close(out, x * np.exp(y))
    close(t, tx * np.exp(y) + x * np.exp(y) * ty)


def test_jvp_primals_may_be_a_list():
    out, t = tg.jvp(lambda a: a * a, [f64(3.0)], [f64(1.0)])
    assert (float(out), float(t)) == (9.0, 6.0)


def test_jvp_with_nested_primals_and_outputs():
    def f(p):
        return {"s": tg.sin(p["x"]), "pair": (p["x"] * p["y"][0], p["y"][0])}

    x, y = randn(2), randn(2)
    primals = ({"x": f64(x), "y": [f64(y)]},)
    tangents = ({"x": f64([1.0, 0.0]), "y": [f64([0.0, 2.0])]},)
    out, t = tg.jvp(f, primals, tangents)
    assert set(t) == {"s", "pair"} and isinstance(t["pair"], tuple)
    close(t["s"], np.cos(x) * [1.0, 0.0])
    close(t["pair"][0], [1.0, 0.0] * y + x * [0.0, 2.0])
    close(t["pair"][1], [0.0, 2.0])


def test_jvp_of_an_output_that_does_not_depend_on_the_primal_is_zeros():
    out, t = tg.jvp(lambda x: (x * 2, tg.ones((2, 3), dtype=tg.float64)), (f64(1.0),), (f64(1.0),))
    assert float(t[0]) == 2.0
    assert isinstance(t[1], tg.Tensor) and t[1].shape == (2, 3)
    np.testing.assert_array_equal(t[1].numpy(), np.zeros((2, 3)))


def test_jvp_with_has_aux():
    out, t, aux = tg.jvp(lambda x: (x**3, "aux"), (f64(2.0),), (f64(1.0),), has_aux=True)
    assert (float(out), float(t), aux) == (8.0, 12.0, "aux")


def test_jvp_with_a_different_number_of_primals_and_tangents_raises_value_error():
    with pytest.raises(ValueError, match="jvp got 2 primals and 1 tangents"):
        tg.jvp(lambda a, b: a * b, (f64(1.0), f64(2.0)), (f64(1.0),))


def test_jvp_with_tangents_of_another_structure_raises_value_error():
    with pytest.raises(ValueError, match=re.escape("primals: [*] against [[*, *]]")):
        tg.jvp(lambda p: p[0] * p[1], ([f64(1.0), f64(2.0)],), (f64(1.0),))


def test_tangents_and_cotangents_must_have_the_primals_keys():
    params = {"a": f64(1.0), "b": f64(2.0)}
    f = lambda d: d["a"] * 10.0 + d["b"]  # noqa: E731
    message = "tangents do not have the structure of the primals: [{'a': *, 'c': *}] against"
    with pytest.raises(ValueError, match=re.escape(message)):
        tg.jvp(f, (params,), ({"a": f64(1.0), "c": f64(1.0)},))
    with pytest.raises(ValueError, match="tangents do not have the structure"):
        tg.jvp(f, (params,), ([f64(1.0), f64(0.0)],))
    _, vjp_fn = tg.vjp(lambda d: {"p": d["a"], "q": d["b"]}, params)
    with pytest.raises(ValueError, match="cotangents do not have the structure of the output"):
        vjp_fn({"p": f64(1.0), "r": f64(0.0)})
    with pytest.raises(ValueError, match="tangents do not have the structure"):
        tg.ForwardAccumulator(params, {"a": f64(1.0), "c": f64(1.0)})
    assert float(tg.jvp(f, [params], [{"b": f64(0.0), "a": f64(1.0)}])[1]) == 10.0


def test_jvp_with_a_tangent_of_the_wrong_shape_raises_value_error():
    with pytest.raises(ValueError, match=re.escape("tangent of shape (3,)")):
        tg.jvp(lambda x: x * 2, (f64([1.0, 2.0]),), (f64([1.0, 2.0, 3.0]),))


def test_jvp_equals_the_jacobian_times_the_tangent():
    a, x, v = randn(4, 3), randn(3), randn(3)
    f = lambda u: tg.tanh(f64(a) @ u)
    _, t = tg.jvp(f, (f64(x),), (f64(v),))
    close(t, tg.jacfwd(f)(f64(x)).numpy() @ v)


def test_linearize_equals_jvp_and_can_be_called_many_times():
    a, x = randn(3, 3), randn(3)
    f = lambda u: tg.sin(f64(a) @ u) * u
    out, f_jvp = tg.linearize(f, f64(x))
    close(out, np.sin(a @ x) * x)
    jac = tg.jacrev(f)(f64(x)).numpy()
    for _ in range(3):
        v = randn(3)
        close(f_jvp(f64(v)), jac @ v)


def test_linearize_with_several_primals():
    out, f_jvp = tg.linearize(lambda a, b: a * b, f64(2.0), f64(3.0))
    assert float(out) == 6.0
    assert float(f_jvp(f64(1.0), f64(0.0))) == 3.0
    assert float(f_jvp(f64(0.0), f64(1.0))) == 2.0


def test_linearize_runs_f_once_on_tensors_and_freezes_the_point():
    calls = []

    def f(x):
        calls.append(type(x))
        return x.shape and x * x * scale  # x is a tensor, as in jvp

    scale = tg.Variable(1.0, dtype=tg.float64)
    out, f_jvp = tg.linearize(f, np.array([2.0, 3.0]))
    assert isinstance(out, tg.Tensor) and out.numpy().tolist() == [4.0, 9.0]
    scale.assign(5.0)  # after linearizing: the linear map stays the one at the point
    assert f_jvp(np.array([1.0, 1.0])).numpy().tolist() == [4.0, 6.0]
    assert f_jvp(f64([0.5, 0.0])).numpy().tolist() == [2.0, 0.0]
    assert calls == [tg.Tensor]  # once, at linearize


def test_linearize_keeps_structures_and_checks_the_tangents():
    out, f_jvp = tg.linearize(lambda p: {"y": p["w"] * p["b"], "z": p["b"]}, {"w": 2.0, "b": 3.0})
    pushed = f_jvp({"b": 1.0, "w": 0.0})
    assert {k: float(v) for k, v in pushed.items()} == {"y": 2.0, "z": 1.0}
    with pytest.raises(ValueError) as caught:
        f_jvp({"w": 1.0})
    assert str(caught.value) == (
        "the tangents do not have the structure of the primals: [{'w': *}] against "
        "[{'b': *, 'w': *}]; give one array per array, in the same nesting of lists, tuples and "
        "dicts (with the same keys)"
    )
    _, g_jvp = tg.linearize(lambda x: x * 2.0, f64([1.0, 2.0]))
    with pytest.raises(ValueError, match=re.escape("tangent of shape (3,) does not match")):
        g_jvp(f64([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="complex tangent"):
        g_jvp(tg.constant(np.array([1j, 0j])))


def test_linearize_of_an_unconnected_output_gives_zeros():
    _, f_jvp = tg.linearize(lambda a, b: (a * 2.0, f64(7.0)), f64(1.0), f64(2.0))
    first, second = f_jvp(f64(1.0), f64(1.0))
    assert float(first) == 2.0 and float(second) == 0.0


# -- Jacobians -------------------------------------------------------------------------------------
JACOBIANS = [tg.jacfwd, tg.jacrev]


def test_jacrev_is_jacobian():
    assert tg.jacrev is tg.jacobian


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_shape_is_output_shape_plus_input_shape(transform):
    w = f64(randn(2, 3, 4, 5))
    jac = transform(lambda x: tg.sum(w * x, axis=(2, 3)))(f64(randn(4, 5)))
    assert jac.shape == (2, 3, 4, 5)
    close(jac, w.numpy())


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_a_scalar_output_is_the_gradient(transform):
    x = randn(3, 2)
    jac = transform(lambda v: tg.sum(v**2))(f64(x))
    assert jac.shape == (3, 2)
    close(jac, 2 * x)


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_a_scalar_input(transform):
    jac = transform(lambda s: s * f64([1.0, 2.0, 3.0]))(f64(2.0))
    assert jac.shape == (3,)
    np.testing.assert_array_equal(jac.numpy(), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_tanh_of_a_matrix_vector_product(transform):
    w, x = randn(3, 4), randn(4)
    s = 1 - np.tanh(w @ x) ** 2
    f = lambda W, v: tg.tanh(W @ v)
    jx = transform(f, argnums=1)(f64(w), f64(x))
    assert jx.shape == (3, 4)
    close(jx, s[:, None] * w)
    jw = transform(f)(f64(w), f64(x))
    assert jw.shape == (3, 3, 4)
    close(jw, np.einsum("i,ij,k->ijk", s, np.eye(3), x))
    both = transform(f, argnums=(0, 1))(f64(w), f64(x))
    assert isinstance(both, tuple) and len(both) == 2
    close(both[0], jw.numpy())
    close(both[1], jx.numpy())


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_softmax(transform):
    x = randn(5)
    p = np.exp(x - x.max())
    p /= p.sum()
    close(transform(tg.nn.softmax)(f64(x)), np.diag(p) - np.outer(p, p))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_log_softmax_and_logsumexp(transform):
    x = randn(4)
    p = np.exp(x) / np.exp(x).sum()
    close(transform(tg.nn.log_softmax)(f64(x)), np.eye(4) - p[None, :])
    close(transform(tg.nn.logsumexp)(f64(x)), p)


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_a_batched_softmax_is_block_diagonal(transform):
    x = randn(2, 3)
    jac = transform(tg.nn.softmax)(f64(x)).numpy()
    assert jac.shape == (2, 3, 2, 3)
    for b in range(2):
        p = np.exp(x[b]) / np.exp(x[b]).sum()
        close(jac[b, :, b, :], np.diag(p) - np.outer(p, p))
        close(jac[b, :, 1 - b, :], np.zeros((3, 3)))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_with_three_argnums(transform):
    x, y, z = randn(2), randn(3), randn(2, 3)
    f = lambda a, b, c: a[:, None] * b[None, :] * c
    jz, jx, jy = transform(f, argnums=(2, 0, 1))(f64(x), f64(y), f64(z))
    assert (jz.shape, jx.shape, jy.shape) == ((2, 3, 2, 3), (2, 3, 2), (2, 3, 3))
    close(jz, np.einsum("i,j,ik,jl->ijkl", x, y, np.eye(2), np.eye(3)))
    close(jx, np.einsum("j,ij,ik->ijk", y, z, np.eye(2)))
    close(jy, np.einsum("i,ij,jk->ijk", x, z, np.eye(3)))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_an_unconnected_argument_is_zeros(transform):
    jx, jy = transform(lambda a, b: a * 2.0, argnums=(0, 1))(f64([1.0, 2.0]), f64(randn(4, 1)))
    close(jx, 2 * np.eye(2))
    assert isinstance(jy, tg.Tensor) and jy.shape == (2, 4, 1)
    np.testing.assert_array_equal(jy.numpy(), np.zeros((2, 4, 1)))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_a_constant_output_is_zeros(transform):
    jac = transform(lambda a: tg.ones((2,), dtype=tg.float64))(f64([1.0, 2.0, 3.0]))
    assert isinstance(jac, tg.Tensor) and jac.shape == (2, 3)
    np.testing.assert_array_equal(jac.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_with_nested_outputs(transform):
    x = randn(3)
    out = transform(lambda v: {"sq": v**2, "rest": [tg.sum(v), v[0]]})(f64(x))
    assert set(out) == {"sq", "rest"} and isinstance(out["rest"], list)
    close(out["sq"], np.diag(2 * x))
    close(out["rest"][0], np.ones(3))
    close(out["rest"][1], [1.0, 0.0, 0.0])


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_with_nested_inputs(transform):
    u, v = randn(3), randn(3)
    jac = transform(lambda p: p["u"] * p["v"][0])({"u": f64(u), "v": (f64(v),)})
    assert set(jac) == {"u", "v"} and isinstance(jac["v"], tuple)
    close(jac["u"], np.diag(v))
    close(jac["v"][0], np.diag(u))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_with_has_aux(transform):
    jac, aux = transform(lambda x: (x**2, x + 1), has_aux=True)(f64([1.0, 2.0]))
    close(jac, np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(aux.numpy(), [2.0, 3.0])


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_passes_keyword_arguments_through(transform):
    jac = transform(lambda x, *, power: x**power)(f64([1.0, 2.0]), power=3)
    close(jac, np.diag([3.0, 12.0]))


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_keeps_float32(transform):
    jac = transform(lambda x: x * x)(tg.constant([1.0, 2.0]))
    assert jac.dtype == tg.float32


@pytest.mark.parametrize("transform", JACOBIANS)
def test_jacobian_of_an_integer_argument_raises_type_error(transform):
    with pytest.raises(TypeError, match="only floating-point and complex"):
        transform(lambda x: x * 2)(np.array([1, 2]))


# -- Hessians and Hessian-vector products ----------------------------------------------------------
def sum_tanh_of(a):
    return lambda x: tg.sum(tg.tanh(f64(a) @ x))


def sum_tanh_hessian(a, x):
    t = np.tanh(a @ x)
    return a.T @ ((-2 * t * (1 - t**2))[:, None] * a)


def test_hessian_of_sum_tanh_of_a_matrix_vector_product():
    a, x = randn(6, 4), randn(4)
    close(tg.hessian(sum_tanh_of(a))(f64(x)), sum_tanh_hessian(a, x))


def test_hessian_of_a_quadratic_form_is_the_symmetric_part():
    m, x = randn(3, 3), randn(3)
    hess = tg.hessian(lambda v: v @ (f64(m) @ v))(f64(x))
    close(hess, m + m.T)


def test_hessian_of_logsumexp():
    x = randn(4)
    p = np.exp(x) / np.exp(x).sum()
    close(tg.hessian(tg.nn.logsumexp)(f64(x)), np.diag(p) - np.outer(p, p))


def test_hessian_of_a_matrix_argument_has_four_axes():
    x = randn(2, 3)
    hess = tg.hessian(lambda m: tg.sum(m**3))(f64(x))
    assert hess.shape == (2, 3, 2, 3)
    close(hess, np.einsum("ij,ik,jl->ijkl", 6 * x, np.eye(2), np.eye(3)))


def test_hessian_with_two_argnums_is_a_nested_tuple():
    x, y = randn(3), randn(3)
    hess = tg.hessian(lambda a, b: tg.sum(a**2 * b), argnums=(0, 1))(f64(x), f64(y))
    assert isinstance(hess, tuple) and len(hess) == 2
    assert all(isinstance(row, tuple) and len(row) == 2 for row in hess)
    close(hess[0][0], np.diag(2 * y))
    close(hess[0][1], np.diag(2 * x))
    close(hess[1][0], np.diag(2 * x))
    close(hess[1][1], np.zeros((3, 3)))


def test_hessian_with_respect_to_the_second_argument():
    a, x = randn(5, 3), randn(3)
    hess = tg.hessian(lambda m, v: tg.sum(tg.tanh(m @ v)), argnums=1)(f64(a), f64(x))
    close(hess, sum_tanh_hessian(a, x))


def test_hessian_of_a_vector_function_has_output_axes_first():
    x = randn(3)
    hess = tg.hessian(lambda v: v**3)(f64(x))
    assert hess.shape == (3, 3, 3)
    close(hess, np.einsum("i,ij,ik->ijk", 6 * x, np.eye(3), np.eye(3)))


def test_hessian_of_a_function_linear_in_its_argument_is_zeros():
    hess = tg.hessian(lambda v: tg.sum(v * 3.0))(f64([1.0, 2.0]))
    assert isinstance(hess, tg.Tensor) and hess.shape == (2, 2)
    np.testing.assert_array_equal(hess.numpy(), np.zeros((2, 2)))


def test_hvp_equals_the_hessian_times_the_vector():
    a, x, v = randn(5, 4), randn(4), randn(4)
    f = sum_tanh_of(a)
    close(tg.hvp(f, f64(x), f64(v)), sum_tanh_hessian(a, x) @ v)


def test_hvp_of_a_scalar_function_of_a_scalar():
    assert float(tg.hvp(lambda x: x**3, f64(2.0), f64(1.0))) == 12.0
    close(tg.hvp(tg.sin, f64(0.5), f64(2.0)), -2 * np.sin(0.5))


def test_hvp_with_several_primals_gives_a_tuple():
    x, y, vx, vy = randn(3), randn(3), randn(3), randn(3)
    # H = [[diag(2y), diag(2x)], [diag(2x), 0]]
    hx, hy = tg.hvp(lambda a, b: tg.sum(a**2 * b), (f64(x), f64(y)), (f64(vx), f64(vy)))
    close(hx, 2 * y * vx + 2 * x * vy)
    close(hy, 2 * x * vx)


def test_hvp_against_the_full_hessian_for_a_matrix_argument():
    x, v = randn(2, 3), randn(2, 3)
    f = lambda m: tg.sum(tg.nn.softmax(m, axis=-1) * m)
    hess = tg.hessian(f)(f64(x)).numpy().reshape(6, 6)
    close(tg.hvp(f, f64(x), f64(v)), (hess @ v.reshape(6)).reshape(2, 3))


def test_complex_grad_is_the_conjugate_of_jax_result():
    # the cookbook: grad(lambda z: x**2 + y**2)(3 + 4j) is 6 - 8j in JAX; tapegrad gives its
    # conjugate, the direction of steepest ascent
    z = tg.constant(np.complex128(3 + 4j))
    g = tg.grad(lambda w: tg.real(w * tg.conj(w)))(z)
    assert g.dtype == tg.complex128
    assert complex(g.numpy()) == 6 + 8j
    assert complex(tg.grad(lambda w: tg.abs(w) ** 2)(z).numpy()) == 6 + 8j


# -- one vectorized pass ---------------------------------------------------------------------------
@pytest.mark.parametrize("transform", [tg.jacfwd, tg.jacrev, tg.hessian])
def test_jacobians_and_hessians_call_the_function_once(transform):
    calls = []

    def f(x):
        calls.append(x.shape)
        return tg.sum(tg.tanh(x) ** 2)

    transform(f)(f64(randn(50)))
    assert calls == [(50,)]


def test_vjp_fn_does_not_call_the_function_again():
    calls = []

    def f(x):
        calls.append(1)
        return tg.sin(x)

    _, vjp_fn = tg.vjp(f, f64(randn(3)))
    for _ in range(3):
        vjp_fn(f64(randn(3)))
    assert calls == [1]


# -- GradientTape.hessian --------------------------------------------------------------------------
def test_tape_hessian_of_sum_tanh_of_a_matrix_vector_product():
    a, x = randn(6, 4), randn(4)
    source = f64(x)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(source)
        y = tg.sum(tg.tanh(f64(a) @ source))
    hess = tape.hessian(y, source)
    assert hess.shape == (4, 4) and hess.dtype == tg.float64
    close(hess, sum_tanh_hessian(a, x))
    close(tape.gradient(y, source), a.T @ (1 - np.tanh(a @ x) ** 2))


def test_tape_hessian_with_a_variable_and_a_matrix_source():
    x = randn(2, 3)
    v = tg.Variable(x, dtype=tg.float64)
    with tg.GradientTape(persistent=True) as tape:
        y = tg.sum(tg.nn.softmax(v, axis=-1) * v) + tg.sum(v**3)
    hess = tape.hessian(y, v)
    assert hess.shape == (2, 3, 2, 3)
    close(hess, tg.hessian(lambda m: tg.sum(tg.nn.softmax(m, axis=-1) * m) + tg.sum(m**3))(f64(x)))


def test_tape_hessian_of_an_unconnected_source_is_zeros():
    x, other = f64([1.0, 2.0]), f64([1.0, 2.0, 3.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, other])
        y = tg.sum(x**2)
    hess = tape.hessian(y, other)
    np.testing.assert_array_equal(hess.numpy(), np.zeros((3, 3)))


def test_tape_hessian_on_a_non_persistent_tape_raises_runtime_error():
    x = f64([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x**3)
    with pytest.raises(RuntimeError, match=r"persistent=True"):
        tape.hessian(y, x)


def test_tape_hessian_of_a_non_scalar_target_raises_value_error():
    x = f64([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x**3
    with pytest.raises(ValueError, match=re.escape("shape (2,)")):
        tape.hessian(y, x)


# -- compositions ----------------------------------------------------------------------------------
THIRD_DERIVATIVES = {
    "sin": (tg.sin, lambda x: -np.cos(x)),
    "cos": (tg.cos, np.sin),
    "exp": (tg.exp, np.exp),
    "log": (tg.log, lambda x: 2 / x**3),
    "x**4": (lambda x: x**4, lambda x: 24 * x),
    "tanh": (tg.tanh, lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2)),
    "sqrt": (tg.sqrt, lambda x: 3 / 8 * x**-2.5),
    "x*exp(x)": (lambda x: x * tg.exp(x), lambda x: (x + 3) * np.exp(x)),
}


@pytest.mark.parametrize("name", sorted(THIRD_DERIVATIVES))
def test_grad_of_grad_of_grad(name):
    f, third = THIRD_DERIVATIVES[name]
    for x in (0.3, 1.7):
        close(tg.grad(tg.grad(tg.grad(f)))(f64(x)), third(x))


def test_fourth_and_fifth_derivatives_of_x_to_the_fourth():
    d4 = tg.grad(tg.grad(tg.grad(tg.grad(lambda x: x**4))))
    assert float(d4(f64(1.5))) == 24.0
    assert float(tg.grad(d4)(f64(1.5))) == 0.0


def test_mixed_transform_third_derivative():
    # forward over reverse over forward
    d1 = lambda x: tg.jvp(tg.sin, (x,), (f64(1.0),))[1]
    d3 = lambda x: tg.jvp(tg.grad(d1), (x,), (f64(1.0),))[1]
    close(d3(f64(0.4)), -np.cos(0.4))


TANH_MATRIX = f64(randn(4, 3))
HESSIAN_FUNCTIONS = {
    "tanh_matvec": (lambda x: tg.sum(tg.tanh(TANH_MATRIX @ x)), (3,)),
    "logsumexp": (lambda x: tg.nn.logsumexp(x * x), (4,)),
    "softmax_entropy": (lambda x: -tg.sum(tg.nn.softmax(x) * tg.nn.log_softmax(x)), (4,)),
    "rosenbrock": (
        lambda x: tg.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
        (4,),
    ),
    "matrix": (lambda m: tg.sum(tg.sin(m) @ tg.matrix_transpose(m)), (2, 3)),
    "products": (lambda x: tg.prod(x) + tg.sum(x[:, None] * x[None, :] ** 2), (3,)),
}


@pytest.mark.parametrize("name", sorted(HESSIAN_FUNCTIONS))
def test_jacfwd_of_jacrev_equals_jacrev_of_jacfwd(name):
    f, shape = HESSIAN_FUNCTIONS[name]
    x = f64(randn(*shape))
    fwd_rev = tg.jacfwd(tg.jacrev(f))(x).numpy()
    rev_fwd = tg.jacrev(tg.jacfwd(f))(x).numpy()
    rev_rev = tg.jacrev(tg.jacrev(f))(x).numpy()
    fwd_fwd = tg.jacfwd(tg.jacfwd(f))(x).numpy()
    assert fwd_rev.shape == shape + shape
    close(fwd_rev, rev_fwd, rtol=1e-10, atol=1e-10)
    close(rev_rev, rev_fwd, rtol=1e-10, atol=1e-10)
    close(fwd_fwd, rev_fwd, rtol=1e-10, atol=1e-10)
    close(tg.hessian(f)(x), rev_fwd, rtol=1e-10, atol=1e-10)
    size = int(np.prod(shape))
    flat = fwd_rev.reshape(size, size)
    close(flat, flat.T, rtol=1e-10, atol=1e-10)


def test_rosenbrock_hessian_matches_scipy_documentation():
    # scipy.optimize.rosen_hess(0.1 * np.arange(4)) is documented as this matrix
    f = HESSIAN_FUNCTIONS["rosenbrock"][0]
    expected = [[-38.0, 0.0, 0.0, 0.0], [0.0, 134.0, -40.0, 0.0]]
    expected += [[0.0, -40.0, 130.0, -80.0], [0.0, 0.0, -80.0, 200.0]]
    close(tg.hessian(f)(f64(0.1 * np.arange(4))), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(HESSIAN_FUNCTIONS))
def test_hessian_vector_products_in_every_order_equal_the_full_hessian(name):
    f, shape = HESSIAN_FUNCTIONS[name]
    x, v = f64(randn(*shape)), randn(*shape)
    size = int(np.prod(shape))
    expected = (tg.hessian(f)(x).numpy().reshape(size, size) @ v.reshape(size)).reshape(shape)
    forward_over_reverse = tg.jvp(tg.grad(f), (x,), (f64(v),))[1]
    reverse_over_forward = tg.grad(lambda u: tg.jvp(f, (u,), (f64(v),))[1])(x)
    reverse_over_reverse = tg.grad(lambda u: tg.sum(tg.grad(f)(u) * f64(v)))(x)
    for result in (forward_over_reverse, reverse_over_forward, reverse_over_reverse):
        close(result, expected, rtol=1e-10, atol=1e-10)
    close(tg.hvp(f, x, f64(v)), expected, rtol=1e-10, atol=1e-10)
    _, vjp_fn = tg.vjp(tg.grad(f), x)
    close(vjp_fn(f64(v))[0], expected, rtol=1e-10, atol=1e-10)


def test_jacobian_of_a_gradient_with_respect_to_another_argument():
    a, x = randn(3, 4), randn(4)
    # d/dA of grad_x sum(tanh(A x)) = d/dA [A^T (1 - t^2)]
    mixed = tg.jacfwd(tg.grad(lambda m, v: tg.sum(tg.tanh(m @ v)), argnums=1))(f64(a), f64(x))
    reverse = tg.jacrev(tg.grad(lambda m, v: tg.sum(tg.tanh(m @ v)), argnums=1))(f64(a), f64(x))
    t = np.tanh(a @ x)
    s = 1 - t**2
    expected = np.einsum("ij,i,k->jik", a, -2 * t * s, x) + np.einsum("jk,i->jik", np.eye(4), s)
    assert mixed.shape == (4, 3, 4)
    close(mixed, expected)
    close(reverse, expected)


def test_grad_of_a_function_that_calls_jacfwd():
    # d/dx of the trace of the Jacobian of x**3 is d/dx sum(3 x**2) = 6 x
    x = randn(3)
    trace = lambda v: tg.sum(tg.jacfwd(lambda u: u**3)(v) * tg.eye(3, dtype=tg.float64))
    close(tg.grad(trace)(f64(x)), 6 * x)
    close(tg.jacfwd(tg.grad(trace))(f64(x)), 6 * np.eye(3))


def test_vjp_of_jvp_and_jvp_of_vjp():
    x, v, u = randn(3), randn(3), randn(3)
    f = lambda a: tg.sin(a) * tg.sum(a)
    jac = tg.jacrev(f)(f64(x)).numpy()
    _, t = tg.jvp(lambda a: tg.vjp(f, a)[1](f64(u))[0], (f64(x),), (f64(v),))
    hess = tg.jacfwd(tg.jacrev(f))(f64(x)).numpy()  # (out, in, in)
    close(t, np.einsum("i,ijk,k->j", u, hess, v), rtol=1e-10, atol=1e-10)
    (g,) = tg.vjp(lambda a: tg.jvp(f, (a,), (f64(v),))[1], f64(x))[1](f64(u))
    close(g, np.einsum("i,ijk,j->k", u, hess, v), rtol=1e-10, atol=1e-10)
    close(tg.jvp(f, (f64(x),), (f64(v),))[1], jac @ v)


# -- leading batch axes: forward and reverse Jacobians agree ---------------------------------------
LABELS = np.array([[2, 0, 1], [1, 1, 3]])
BROADCAST_WEIGHTS = f64(randn(2, 3, 4))

BATCH_FUNCTIONS = {
    "broadcast_multiply": (lambda x, y: x * y + tg.sin(x), [(3, 4), (4,)]),
    "broadcast_divide": (lambda x, y: x / (2 + y**2), [(2, 3), (2, 1)]),
    "broadcast_subtract_scalar": (lambda x, s: (x - s) ** 2, [(2, 3), ()]),
    "broadcast_to": (lambda x: tg.broadcast_to(x, (2, 3, 4)) * BROADCAST_WEIGHTS, [(3, 1)]),
    "sum_axis": (lambda x: tg.sum(x**2, axis=1), [(3, 4)]),
    "sum_keepdims": (lambda x: x / tg.sum(tg.exp(x), axis=0, keepdims=True), [(3, 4)]),
    "sum_all": (lambda x: tg.sum(x * x) * x, [(2, 2)]),
    "mean_axes": (lambda x: tg.mean(tg.tanh(x), axis=(0, 2)), [(2, 3, 4)]),
    "max_axis": (lambda x: tg.max(x, axis=-1), [(3, 5)]),
    "min_keepdims": (lambda x: x - tg.min(x, axis=0, keepdims=True), [(4, 2)]),
    "prod_axis": (lambda x: tg.prod(x, axis=0), [(3, 2)]),
    "matmul_matrix_vector": (lambda a, v: a @ v, [(3, 4), (4,)]),
    "matmul_vector_matrix": (lambda v, a: v @ a, [(3,), (3, 4)]),
    "matmul_vector_vector": (lambda u, v: (u @ v) * u, [(3,), (3,)]),
    "matmul_matrix_matrix": (lambda a, b: tg.tanh(a @ b), [(2, 3), (3, 4)]),
    "matmul_stacked": (lambda a, b: tg.matmul(a, b), [(2, 3, 4), (2, 4, 2)]),
    "matmul_stacked_broadcast": (lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    "matmul_stacked_vector": (lambda a, v: a @ v, [(2, 3, 4), (4,)]),
    "matmul_vector_stacked": (lambda v, a: v @ a, [(3,), (2, 3, 4)]),
    "matmul_broadcast_batch": (lambda a, b: a @ b, [(2, 1, 3, 2), (3, 2, 2)]),
    "reshape_permute": (
        lambda x: tg.permute_dims(tg.reshape(x, (2, 3, 2)), (2, 0, 1)) * 2.0,
        [(3, 4)],
    ),
    "matrix_transpose": (lambda x: tg.matrix_transpose(x) @ x, [(3, 2)]),
    "expand_squeeze": (lambda x: tg.squeeze(tg.expand_dims(x, axis=1), axis=1) ** 3, [(3,)]),
    "index_slices": (lambda x: x[1:, ::2] * x[:-1, 1::2], [(3, 4)]),
    "index_integer_and_newaxis": (lambda x: x[0] + x[:, None, 2] * x[-1], [(3, 4)]),
    "index_repeated": (lambda x: x[np.array([2, 0, 2])] ** 2, [(3, 2)]),
    "index_boolean_mask": (lambda x: x[np.array([True, False, True])] * 3.0, [(3,)]),
    "take_along_axis": (
        lambda x: tg.take_along_axis(x, np.array([[1, 1], [0, 2]]), axis=1) ** 2,
        [(2, 3)],
    ),
    "concat": (lambda x, y: tg.concat([x, y * 2.0, x**2], axis=1), [(2, 3), (2, 1)]),
    "concat_axis0": (lambda x, y: tg.concat([tg.sin(x), y], axis=0), [(2, 3), (1, 3)]),
    "stack": (lambda x, y: tg.stack([x, tg.sin(y)], axis=-1), [(2, 3), (2, 3)]),
    "stack_axis0": (lambda x, y: tg.stack([x * y, y]), [(3,), (3,)]),
    "where": (lambda x, y: tg.where(x > 0, x * y, y**2), [(3, 4), (4,)]),
    "where_scalar_branch": (lambda x: tg.where(x > 0, tg.exp(x), 0.0), [(5,)]),
    "maximum": (lambda x, y: tg.maximum(x, y) * x, [(3, 4), (4,)]),
    "minimum_scalar": (lambda x: tg.minimum(x, 0.1), [(5,)]),
    "relu_sigmoid": (lambda x: tg.nn.relu(x) + tg.nn.sigmoid(x), [(2, 3)]),
    "abs_sqrt": (lambda x: tg.sqrt(tg.abs(x) + 1.0), [(2, 3)]),
    "pow_both": (lambda x, y: (x**2 + 1.0) ** y, [(3,), (3,)]),
    "log_divide": (lambda x, y: tg.log(x**2 + 1.0) / (y**2 + 1.0), [(2, 2), (2,)]),
    "softmax_last": (lambda x: tg.nn.softmax(x), [(2, 4)]),
    "softmax_axis0": (lambda x: tg.nn.softmax(x, axis=0), [(3, 2)]),
    "log_softmax": (lambda x: tg.nn.log_softmax(x), [(2, 3)]),
    "logsumexp_axis": (lambda x: tg.nn.logsumexp(x, axis=1), [(3, 4)]),
    "logsumexp_all": (lambda x: tg.nn.logsumexp(x), [(3, 4)]),
    "logsumexp_keepdims": (lambda x: x - tg.nn.logsumexp(x, axis=0, keepdims=True), [(3, 2)]),
    "sparse_softmax_cross_entropy": (
        lambda logits: tg.nn.sparse_softmax_cross_entropy(LABELS, logits),
        [(2, 3, 4)],
    ),
    "dense_layer": (lambda w, b, x: tg.tanh(x @ w + b), [(3, 2), (2,), (4, 3)]),
}


def _jacobian_inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [f64(rng.standard_normal(shape)) for shape in shapes]


@pytest.mark.parametrize("name", sorted(BATCH_FUNCTIONS))
def test_jacfwd_equals_jacrev(name):
    f, shapes = BATCH_FUNCTIONS[name]
    args = _jacobian_inputs(shapes, seed=len(name))
    argnums = tuple(range(len(args)))
    forward = tg.jacfwd(f, argnums=argnums)(*args)
    reverse = tg.jacrev(f, argnums=argnums)(*args)
    out_shape = f(*args).shape
    for arg, fwd, rev in zip(args, forward, reverse):
        assert fwd.shape == out_shape + arg.shape
        assert rev.shape == out_shape + arg.shape
        close(fwd, rev.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(BATCH_FUNCTIONS))
def test_jacobians_equal_the_numerical_jacobian(name):
    f, shapes = BATCH_FUNCTIONS[name]
    args = _jacobian_inputs(shapes, seed=len(name))
    values = [a.numpy() for a in args]
    forward = tg.jacfwd(f, argnums=tuple(range(len(args))))(*args)
    for i, fwd in enumerate(forward):

        def only_i(x, i=i):
            return f(*[f64(x) if j == i else args[j] for j in range(len(args))]).numpy()

        numeric = tg.numerical.jacobian(only_i, values[i])
        close(fwd, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(BATCH_FUNCTIONS))
def test_second_order_jacobians_agree_through_two_batch_axes(name):
    f, shapes = BATCH_FUNCTIONS[name]
    args = _jacobian_inputs(shapes, seed=len(name))
    out_shape = f(*args).shape
    weights = f64(np.random.default_rng(7).standard_normal(out_shape))
    scalar = lambda *a: tg.sum(f(*a) * weights)
    fwd_rev = tg.jacfwd(tg.jacrev(scalar))(*args)
    rev_fwd = tg.jacrev(tg.jacfwd(scalar))(*args)
    rev_rev = tg.jacrev(tg.jacrev(scalar))(*args)
    assert fwd_rev.shape == args[0].shape * 2
    close(fwd_rev, rev_fwd.numpy(), rtol=1e-10, atol=1e-10)
    close(rev_rev, rev_fwd.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["dense_layer", "softmax_last", "matmul_stacked", "concat"])
def test_jacobian_of_a_vector_function_twice(name):
    f, shapes = BATCH_FUNCTIONS[name]
    args = _jacobian_inputs(shapes, seed=len(name))
    out_shape = f(*args).shape
    fwd_rev = tg.jacfwd(tg.jacrev(f))(*args)
    rev_fwd = tg.jacrev(tg.jacfwd(f))(*args)
    assert fwd_rev.shape == out_shape + args[0].shape * 2
    close(fwd_rev, rev_fwd.numpy(), rtol=1e-10, atol=1e-10)


# -- the identity basis: a matmul JVP that meets jacfwd's basis returns the matrix itself --------
def test_jacfwd_of_a_matrix_product_is_the_matrix_exactly():
    A = f64(randn(3, 4))
    x, v = f64(randn(4)), f64(randn(3))
    np.testing.assert_array_equal(tg.jacfwd(lambda x: A @ x)(x).numpy(), A.numpy())
    np.testing.assert_array_equal(tg.jacfwd(lambda v: v @ A)(v).numpy(), A.numpy().T)
    # through a nonlinearity after the product, as in a Hessian of sum(tanh(A @ x))
    B = f64(randn(4, 4))
    expected = (
        B.numpy().T
        @ np.diag(-2 * np.tanh(B.numpy() @ x.numpy()) / np.cosh(B.numpy() @ x.numpy()) ** 2)
        @ B.numpy()
    )
    close(tg.hessian(lambda x: tg.sum(tg.tanh(B @ x)))(x), expected, rtol=1e-12, atol=1e-12)


def test_the_identity_shortcut_keeps_the_products_dtype():
    # a float64 input against a float32 matrix: the product, and its Jacobian, are float64
    A = tg.constant(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    jac = tg.jacfwd(lambda x: A @ x)(f64([1.0, 2.0, 3.0]))
    assert jac.dtype == tg.float64
    np.testing.assert_array_equal(jac.numpy(), A.numpy().astype(np.float64))


def test_a_tangent_that_is_no_longer_the_basis_is_multiplied():
    # the basis scaled by an op before the product: the product runs, and gives 2 A
    A = f64(randn(3, 4))
    x = f64(randn(4))
    np.testing.assert_array_equal(tg.jacfwd(lambda x: A @ (2.0 * x))(x).numpy(), 2.0 * A.numpy())
    # two inputs: each one's tangents are a slice of the basis, not the identity
    v = f64(randn(4))
    jx, jv = tg.jacfwd(lambda x, v: A @ x + A @ v, argnums=(0, 1))(x, v)
    close(jx, A.numpy(), rtol=0, atol=0)
    close(jv, A.numpy(), rtol=0, atol=0)


# -- the same tensor in several places -------------------------------------------------------------
def test_the_same_tensor_passed_twice_is_differentiated_per_position():
    """As in JAX: grad(a * b)(x, x) is b = 3, not the total derivative 2x = 6."""
    x = f64(3.0)
    assert float(tg.grad(lambda a, b: a * b)(x, x)) == 3.0
    assert [float(g) for g in tg.grad(lambda a, b: a * b, argnums=(0, 1))(x, x)] == [3.0, 3.0]
    assert float(tg.jvp(lambda a, b: a * b, (x, x), (f64(1.0), f64(0.0)))[1]) == 3.0
    assert [float(j) for j in tg.jacfwd(lambda a, b: a * b, argnums=(0, 1))(x, x)] == [3.0, 3.0]
    assert [float(j) for j in tg.jacrev(lambda a, b: a * b, argnums=(0, 1))(x, x)] == [3.0, 3.0]
    h = tg.hessian(lambda a, b: a * a * b, argnums=(0, 1))(x, x)
    assert [[float(v) for v in row] for row in h] == [[6.0, 6.0], [6.0, 0.0]]
    tied = tg.grad(lambda p: p["a"] * p["b"])({"a": x, "b": x})
    assert {k: float(v) for k, v in tied.items()} == {"a": 3.0, "b": 3.0}


def test_a_tensor_also_closed_over_is_a_constant_inside_the_function():
    x = f64(3.0)
    assert float(tg.grad(lambda a: a * x)(x)) == 3.0  # JAX: 3.0
    assert float(tg.jvp(lambda a: a * x, (x,), (f64(1.0),))[1]) == 3.0


def test_transforms_of_an_outer_point_still_reach_outer_tapes_and_accumulators():
    v = tg.Variable(2.0, dtype=tg.float64)
    with tg.GradientTape() as tape:
        g = tg.grad(lambda a: a**3)(v)  # 3 v^2
    assert float(g) == 12.0 and float(tape.gradient(g, v)) == 12.0  # 6 v
    x = f64(2.0)
    with tg.ForwardAccumulator(x, f64(1.0)) as acc:
        g = tg.grad(lambda a: a**3)(x)
    assert float(acc.jvp(g)) == 12.0
    assert float(tg.grad(tg.grad(lambda a: a**3))(x)) == 12.0


# -- dicts match by key ----------------------------------------------------------------------------
def test_dicts_are_matched_by_key_not_by_the_order_they_were_built_in():
    out, vjp_fn = tg.vjp(lambda x: {"b": 2 * x, "a": 3 * x}, f64(1.0))
    assert list(out) == ["b", "a"]  # the function's own order is kept
    assert float(vjp_fn({"a": f64(1.0), "b": f64(0.0)})[0]) == 3.0
    params, tangents = {"w": f64(1.0), "b": f64(5.0)}, {"b": f64(0.0), "w": f64(1.0)}
    assert float(tg.jvp(lambda p: 10 * p["w"] + p["b"], (params,), (tangents,))[1]) == 10.0
    assert float(tg.hvp(lambda p: p["w"] ** 3 + p["b"], params, tangents)["w"]) == 6.0
    with tg.ForwardAccumulator(params, tangents) as acc:
        y = 10 * params["w"] + params["b"]
    assert float(acc.jvp(y)) == 10.0
    x = f64(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        ys = {"z": x * x, "a": 3 * x}
    assert float(tape.gradient(ys, x, output_gradients={"a": f64(1.0), "z": f64(0.0)})) == 3.0


def test_dicts_with_keys_of_several_types_are_matched_by_key():
    grads = tg.grad(lambda d: d[1] * d["a"])({1: f64(2.0), "a": f64(3.0)})
    assert list(grads) == [1, "a"]
    assert {k: float(v) for k, v in grads.items()} == {1: 3.0, "a": 2.0}


# -- complex values: JAX's rules -------------------------------------------------------------------
Z = np.array([0.3 + 1j, -0.5 + 0.2j])


def test_holomorphic_derivatives_are_f_prime_in_every_transform():
    z = tg.constant(Z)
    square = lambda w: w * w  # noqa: E731
    for transform in (tg.jacrev, tg.jacfwd):
        jac = transform(square, holomorphic=True)(z)
        assert jac.dtype == tg.complex128
        close(jac, np.diag(2 * Z))
    close(tg.grad(lambda w: tg.sum(w**3), holomorphic=True)(z), 3 * Z**2)
    close(tg.hessian(lambda w: tg.sum(w**3), holomorphic=True)(z), np.diag(6 * Z))


def test_complex_outputs_need_holomorphic_in_reverse_mode():
    z = tg.constant(Z)
    message = (
        "jacobian needs a function with real outputs, but it returned complex128: for a "
        "holomorphic function pass holomorphic=True (the result is then f'(z)); otherwise "
        "differentiate a real value, such as tg.real(y) or tg.abs(y) ** 2; for real inputs, "
        "tg.jacfwd gives the Jacobian"
    )
    with pytest.raises(TypeError) as caught:
        tg.jacrev(lambda w: w * w)(z)
    assert str(caught.value) == message
    with pytest.raises(TypeError, match=r"^grad needs a function with real outputs, but it re"):
        tg.grad(lambda w: tg.sum(w * w))(z)


def test_a_real_to_complex_function_has_its_jacobian_by_forward_mode():
    x = f64([0.3, -1.0])
    f = lambda t: tg.exp(1j * tg.astype(t, tg.complex128))  # noqa: E731
    close(tg.jacfwd(f)(x), np.diag(1j * np.exp(1j * x.numpy())))
    with pytest.raises(TypeError, match="for real inputs, tg.jacfwd gives the Jacobian"):
        tg.jacrev(f)(x)  # used to return the real part alone


def test_complex_inputs_need_holomorphic_in_forward_mode():
    with pytest.raises(TypeError) as caught:
        tg.jacfwd(lambda w: tg.abs(w))(tg.constant(Z))
    assert str(caught.value) == (
        "jacfwd needs real inputs, but got complex128: for a holomorphic function pass "
        "holomorphic=True (the result is then f'(z)); otherwise pass the real and imaginary "
        "parts as separate real inputs"
    )
    with pytest.raises(TypeError, match="^jacfwd needs real inputs"):
        tg.hessian(lambda w: tg.sum(tg.abs(w) ** 2))(tg.constant(Z))


def test_holomorphic_needs_complex_inputs_and_outputs():
    with pytest.raises(TypeError) as caught:
        tg.grad(lambda x: x * x, holomorphic=True)(f64(1.0))
    assert str(caught.value) == (
        "grad(holomorphic=True) needs complex inputs, but got float64: cast with "
        "tg.astype(x, tg.complex128)"
    )
    with pytest.raises(TypeError) as caught:
        tg.jacrev(lambda w: tg.abs(w), holomorphic=True)(tg.constant(Z))
    assert str(caught.value) == (
        "jacobian(holomorphic=True) needs complex outputs, but the function returned float64"
    )
    with pytest.raises(TypeError, match=r"^jacfwd\(holomorphic=True\) needs complex outputs"):
        tg.jacfwd(lambda w: tg.abs(w), holomorphic=True)(tg.constant(Z))


def test_an_integer_output_has_no_gradient():
    with pytest.raises(TypeError) as caught:
        tg.grad(lambda x: tg.astype(x, tg.int32))(f64(1.0))
    assert str(caught.value) == (
        "grad needs a function with floating-point outputs, but it returned int32: an integer "
        "or boolean output has no derivative; compute it in floating point "
        "(tg.astype(x, tg.float32))"
    )


def test_linearize_keeps_infinite_derivatives_and_integer_outputs():
    with np.errstate(divide="ignore", invalid="ignore"):
        for f in (tg.sqrt, tg.log):
            _, expected = tg.jvp(f, (f64(0.0),), (f64(1.0),))
            _, f_jvp = tg.linearize(f, f64(0.0))
            assert float(f_jvp(f64(1.0))) == float(expected) == np.inf
    _, f_jvp = tg.linearize(lambda a: (a * 2.0, tg.argmax(a)), f64([1.0, 3.0]))
    doubled, index = f_jvp(f64([1.0, 1.0]))
    assert doubled.numpy().tolist() == [2.0, 2.0] and int(index) == 0
    assert index.dtype == tg.int64


def test_a_variable_passed_once_reaches_f_as_the_variable():
    v = tg.Variable([1.0, 2.0])
    gradient = tg.grad(lambda p: (p.assign_add([1.0, 1.0]), tg.sum(p * p))[1])(v)
    assert gradient.numpy().tolist() == [4.0, 6.0]
    w = tg.Variable(3.0)  # passed twice: each position differentiated on its own
    assert [float(g) for g in tg.grad(lambda a, b: a * b, argnums=(0, 1))(w, w)] == [3.0, 3.0]


@pytest.mark.parametrize("argnums", [(0, 0), (0, -1)])
def test_an_argument_named_twice_in_argnums_raises(argnums):
    # the second copy used to replace the first, whose gradient came back as zeros
    x = tg.constant([1.0, 2.0])
    for transform in (tg.grad, tg.value_and_grad, tg.jacobian):
        with pytest.raises(ValueError) as caught:
            transform(lambda x: tg.sum(x**2), argnums=argnums)(x)
        assert str(caught.value) == (
            f"argnums {argnums} names argument 0 twice: give each position once (a negative "
            "number counts from the end)"
        )


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacobian", "jacfwd", "hessian"])
def test_a_transform_of_something_not_callable_raises_at_once(name):
    # tg.grad(f(x)) used to return a function that failed only when called, as JAX does not
    with pytest.raises(TypeError) as caught:
        getattr(tg, name)(tg.sin(tg.constant(1.0)))
    assert str(caught.value) == (
        f"{name} takes a function to differentiate, not Tensor <tg.Tensor: shape=(), "
        f"dtype=float32, numpy=0.841471>: pass the function itself ({name}(f), not "
        f"{name}(f(x)))"
    )


@pytest.mark.parametrize("name", ["custom_gradient", "custom_vjp", "custom_jvp", "recompute_grad"])
def test_a_custom_rule_decorator_refuses_what_is_not_callable(name):
    with pytest.raises(TypeError) as caught:
        getattr(tg, name)(3)
    assert str(caught.value) == f"{name} decorates a function, not int 3"


def test_vjp_returns_a_new_tensor_per_input_never_the_cotangent():
    # add's rule passes the cotangent on: both results were the caller's ct
    x, y = tg.constant([1.0, 2.0]), tg.constant([3.0, 4.0])
    ct = tg.constant([1.0, 1.0])
    _, vjp_fn = tg.vjp(lambda a, b: a + b, x, y)
    ga, gb = vjp_fn(ct)
    assert ga is not gb and ct is not ga and ct is not gb
    ga *= 2.0
    assert (ga.numpy().tolist(), gb.numpy().tolist()) == ([2.0, 2.0], [1.0, 1.0])
    assert ct.numpy().tolist() == [1.0, 1.0]
    assert [g.numpy().tolist() for g in vjp_fn(ct)] == [[1.0, 1.0], [1.0, 1.0]]


def test_jvp_and_linearize_return_new_tensors_never_the_tangent():
    x = tg.constant([1.0, 2.0])
    t = tg.constant([3.0, 4.0])
    _, out = tg.jvp(lambda a: a + 0.0, (x,), (t,))
    assert out is not t
    out *= 10.0
    assert out.numpy().tolist() == [30.0, 40.0] and t.numpy().tolist() == [3.0, 4.0]
    _, f_jvp = tg.linearize(lambda a: a + 0.0, x)
    pushed = f_jvp(t)
    assert pushed is not t
    pushed += 1.0
    assert pushed.numpy().tolist() == [4.0, 5.0] and t.numpy().tolist() == [3.0, 4.0]


def _scaled_in_place(x):
    x *= 3.0  # f writes into its own argument: the derivative is still at the argument given
    return tg.sum(x**2)


def _first_written(x):
    x[0] = 5.0
    return tg.sum(x**2)


def test_transforms_differentiate_at_the_argument_given_when_f_writes_into_it():
    x = np.array([1.0, 2.0])
    ones = np.ones(2)
    assert tg.grad(_scaled_in_place)(x).numpy().tolist() == [18.0, 36.0]
    assert tg.value_and_grad(_scaled_in_place)(x)[1].numpy().tolist() == [18.0, 36.0]
    assert tg.vjp(_scaled_in_place, x)[1](1.0)[0].numpy().tolist() == [18.0, 36.0]
    assert float(tg.jvp(_scaled_in_place, (x,), (ones,))[1]) == 54.0
    assert float(tg.linearize(_scaled_in_place, x)[1](ones)) == 54.0
    assert tg.hessian(_scaled_in_place)(x).numpy().tolist() == [[18.0, 0.0], [0.0, 18.0]]
    assert tg.hvp(_scaled_in_place, x, ones).numpy().tolist() == [18.0, 18.0]
    assert tg.grad(_first_written)(x).numpy().tolist() == [0.0, 4.0]
    squares = lambda x: (x.__imul__(3.0), x**2)[1]  # noqa: E731
    expected = [[18.0, 0.0], [0.0, 36.0]]
    assert tg.jacrev(squares)(x).numpy().tolist() == expected
    assert tg.jacfwd(squares)(x).numpy().tolist() == expected
    assert x.tolist() == [1.0, 2.0]  # the caller's array is not written


def test_jacobians_of_products_over_an_empty_axis():
    assert tg.matmul(tg.ones((2, 2, 0)), tg.ones((0, 3))).numpy().tolist() == [[[0.0] * 3] * 2] * 2
    assert tg.jacrev(lambda x: x @ np.ones((3, 0)))(np.ones((2, 3))).shape == (2, 0, 2, 3)
    assert tg.jacfwd(lambda x: np.ones((2, 0)) @ x)(np.ones((0, 3))).shape == (2, 3, 0, 3)
