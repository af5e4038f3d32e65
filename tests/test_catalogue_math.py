"""Semantics of the math catalogue: values against NumPy, dtypes, the documented subgradients at
kinks and ties, strong zeros (the "double where"), complex gradients, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.testing import check_grads

RNG = np.random.default_rng(7)
X = RNG.uniform(-0.9, 0.9, (2, 3))
POSITIVE = RNG.uniform(0.5, 2.5, (2, 3))


@pytest.fixture(autouse=True)
def _no_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _grad(f, x):
    return tg.grad(f)(tg.constant(np.asarray(x, dtype=np.float64))).numpy()


# -- values and dtypes against NumPy -------------------------------------------------------------
UNARY = {
    "acos": (np.arccos, X),
    "acosh": (np.arccosh, POSITIVE + 1),
    "asin": (np.arcsin, X),
    "asinh": (np.arcsinh, X),
    "atan": (np.arctan, X),
    "atanh": (np.arctanh, X),
    "cosh": (np.cosh, X),
    "sinh": (np.sinh, X),
    "exp2": (np.exp2, X),
    "log2": (np.log2, POSITIVE),
    "log10": (np.log10, POSITIVE),
    "reciprocal": (np.reciprocal, POSITIVE),
    "sinc": (np.sinc, X),
    "trunc": (np.trunc, 3 * X),
    "signbit": (np.signbit, X),
    "isinf": (np.isinf, np.array([1.0, np.inf, -np.inf, np.nan])),
}
BINARY = {
    "atan2": (np.arctan2, X, X.T[:1].T),
    "hypot": (np.hypot, X, POSITIVE),
    "copysign": (np.copysign, X, -X),
    "logaddexp": (np.logaddexp, X, POSITIVE),
    "nextafter": (np.nextafter, X, POSITIVE),
    "logical_xor": (np.logical_xor, X > 0, X < 0.3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_values_and_dtype_match_numpy(name, dtype):
    reference, x = UNARY[name]
    x = np.asarray(x, dtype=dtype)
    out = getattr(tg, name)(tg.constant(x))
    expected = reference(x)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_and_dtype_match_numpy(name):
    reference, x, y = BINARY[name]
    out = getattr(tg, name)(tg.constant(x), tg.constant(y))
    expected = reference(x, y)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


def test_numpy_names_are_the_same_functions():
    assert tg.arctan2 is tg.atan2 and tg.arcsin is tg.asin and tg.arccosh is tg.acosh
    assert tg.arccos is tg.acos and tg.arctan is tg.atan and tg.arcsinh is tg.asinh
    assert tg.arctanh is tg.atanh


def test_python_scalars_take_the_dtype_of_the_array():
    x = tg.constant([1.0, 2.0])  # float32
    for out in (tg.atan2(x, 2.0), tg.hypot(1.0, x), tg.logaddexp(x, 0.0), tg.copysign(x, -1.0)):
        assert out.dtype == tg.float32


def test_imag_and_real():
    z = tg.constant(np.array([1 + 2j, -3 - 4j], dtype=np.complex64))
    assert tg.imag(z).dtype == tg.float32
    np.testing.assert_array_equal(tg.imag(z).numpy(), [2, -4])
    np.testing.assert_array_equal(tg.real(z).numpy(), [1, -3])
    np.testing.assert_array_equal(tg.imag(tg.constant([1.0])).numpy(), [0.0])


def test_sinc_and_its_derivatives_at_zero():
    assert float(tg.sinc(tg.constant(0.0))) == 1.0
    d1 = tg.grad(tg.sinc)(tg.constant(0.0, dtype=tg.float64))
    d2 = tg.grad(tg.grad(tg.sinc))(tg.constant(0.0, dtype=tg.float64))
    assert float(d1) == 0.0
    np.testing.assert_allclose(float(d2), -(np.pi**2) / 3, rtol=1e-12)
    # the series near 0 joins the closed form without a step
    near = np.array([0.99e-2, 1.01e-2]) / np.pi
    d = tg.grad(lambda x: tg.sum(tg.sinc(x)))(tg.constant(near)).numpy()
    u = np.pi * near
    np.testing.assert_allclose(d, (np.cos(u) - np.sin(u) / u) / near, rtol=1e-9)


def test_bitwise_functions_match_numpy():
    a = np.array([12, 10, -3], dtype=np.int32)
    b = np.array([6, 1, 2], dtype=np.int32)
    ta, tb = tg.constant(a), tg.constant(b)
    np.testing.assert_array_equal(tg.bitwise_and(ta, tb).numpy(), a & b)
    np.testing.assert_array_equal(tg.bitwise_or(ta, tb).numpy(), a | b)
    np.testing.assert_array_equal(tg.bitwise_xor(ta, tb).numpy(), a ^ b)
    np.testing.assert_array_equal(tg.bitwise_invert(ta).numpy(), ~a)
    np.testing.assert_array_equal(tg.bitwise_left_shift(ta, tb).numpy(), a << b)
    np.testing.assert_array_equal(tg.bitwise_right_shift(ta, tb).numpy(), a >> b)
    assert tg.bitwise_and(ta, 1).dtype == tg.int32
    flags = tg.constant([True, False])
    np.testing.assert_array_equal(tg.bitwise_xor(flags, True).numpy(), [False, True])


def test_bitwise_functions_refuse_floats():
    with pytest.raises(TypeError, match=r"bitwise_and needs integer or bool arrays, not float32"):
        tg.bitwise_and(tg.constant([1.0]), tg.constant([2.0]))


def test_reciprocal_of_integers_divides_as_divide():
    # TensorFlow's truediv: float32 up to 16-bit integers, float64 from 32 bits
    assert tg.reciprocal(tg.constant([2, 4])).dtype == tg.float64
    assert tg.reciprocal(tg.constant([2, 4], dtype=tg.int16)).dtype == tg.float32
    assert tg.reciprocal(tg.constant([2, 4])).numpy().tolist() == [0.5, 0.25]


# -- subgradients at kinks and ties ----------------------------------------------------------------
def test_zero_subgradients_at_kinks():
    assert _grad(lambda x: tg.sum(tg.abs(x)), [0.0]).tolist() == [0.0]
    assert _grad(lambda x: tg.sum(tg.copysign(x, -1.0)), [0.0, 2.0]).tolist() == [0.0, -1.0]
    assert _grad(lambda x: tg.sum(tg.hypot(x, 0.0)), [0.0]).tolist() == [0.0]
    assert _grad(lambda x: tg.sum(tg.atan2(x, x)), [0.0]).tolist() == [0.0]
    assert _grad(lambda x: tg.std(x), [1.5, 1.5, 1.5]).tolist() == [0.0, 0.0, 0.0]
    # an infinite derivative times a zero one: 0, so sqrt(x**2) agrees with abs at 0
    assert _grad(lambda x: tg.sum(tg.sqrt(x**2)), [0.0, -2.0]).tolist() == [0.0, -1.0]


def test_hypot_at_the_origin_agrees_with_abs():
    x = tg.constant([0.0, 3.0], dtype=tg.float64)
    g_hypot = tg.grad(lambda x: tg.sum(tg.hypot(x, 0.0)))(x).numpy()
    g_abs = tg.grad(lambda x: tg.sum(tg.abs(x)))(x).numpy()
    np.testing.assert_array_equal(g_hypot, g_abs)
    # and so do its second derivatives (0, as abs's); atan2's mixed partials agree there
    origin = tg.constant(np.zeros(2))
    for f in (lambda v: tg.hypot(v[0], v[1]), lambda v: tg.atan2(v[0], v[1])):
        for how in (tg.hessian, lambda f: tg.jacobian(tg.grad(f))):
            assert how(f)(origin).numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_ties_split_the_gradient_evenly():
    x, y = tg.constant(2.0, dtype=tg.float64), tg.constant(2.0, dtype=tg.float64)
    for op in (tg.maximum, tg.minimum, tg.logaddexp):
        gx, gy = tg.grad(op, argnums=(0, 1))(x, y)
        assert (float(gx), float(gy)) == (0.5, 0.5)
    assert _grad(lambda x: tg.max(x), [1.0, 3.0, 3.0]).tolist() == [0.0, 0.5, 0.5]


def test_logaddexp_of_two_infinities():
    x = tg.constant([-np.inf, np.inf])
    assert tg.grad(lambda x: tg.sum(tg.logaddexp(x, x)))(x).numpy().tolist() == [1.0, 1.0]


def test_clip_is_minimum_of_maximum_with_half_gradients_at_the_bounds():
    x = tg.constant([-1.0, 0.0, 0.5, 1.0, 2.0], dtype=tg.float64)
    np.testing.assert_array_equal(tg.clip(x, 0.0, 1.0).numpy(), np.clip(x.numpy(), 0, 1))
    assert _grad(lambda x: tg.sum(tg.clip(x, 0.0, 1.0)), x.numpy()).tolist() == [
        0.0,
        0.5,
        1.0,
        0.5,
        0.0,
    ]
    lo = tg.constant(0.0, dtype=tg.float64)
    g_x, g_lo = tg.grad(lambda x, lo: tg.sum(tg.clip(x, lo)), argnums=(0, 1))(x, lo)
    assert g_x.numpy().tolist() == [0.0, 0.5, 1.0, 1.0, 1.0] and float(g_lo) == 1.5
    assert tg.clip(x).numpy().tolist() == x.numpy().tolist()
    assert tg.clip(x, max=0.5).numpy().max() == 0.5


def test_sort_with_equal_elements_shares_the_gradient():
    x = tg.constant([3.0, 1.0, 3.0, 2.0, 1.0], dtype=tg.float64)
    top = tg.grad(lambda x: tg.sort(x)[-1])(x).numpy()
    assert top.tolist() == [0.5, 0.0, 0.5, 0.0, 0.0]
    np.testing.assert_array_equal(top, tg.grad(tg.max)(x).numpy())
    weights = tg.constant(np.arange(5.0))
    g = tg.grad(lambda x: tg.sum(tg.sort(x) * weights))(x).numpy()
    assert g.tolist() == [3.5, 0.5, 3.5, 2.0, 0.5]  # sorted positions 0,1 / 2 / 3,4
    forward = tg.jacfwd(tg.sort)(x).numpy()
    np.testing.assert_array_equal(forward, tg.jacrev(tg.sort)(x).numpy())


def test_sort_gradient_follows_the_permutation_without_ties():
    x = np.array([[0.3, -1.0, 2.0], [1.0, 0.0, -0.5]])
    g = tg.grad(lambda x: tg.sum(tg.sort(x, axis=1, descending=True) * tg.constant([1.0, 2, 3])))
    np.testing.assert_array_equal(g(tg.constant(x)).numpy(), [[2.0, 3.0, 1.0], [1.0, 2.0, 3.0]])


def test_unique_values_share_the_gradient_of_their_value():
    x = tg.constant([2.0, 1.0, 2.0, 2.0], dtype=tg.float64)
    g = tg.grad(lambda x: tg.sum(tg.unique_values(x) * tg.constant([1.0, 3.0])))(x)
    np.testing.assert_allclose(g.numpy(), [1.0, 1.0, 1.0, 1.0])


# -- strong zeros: the "double where" --------------------------------------------------------------
def _safe_sqrt(x):
    return tg.where(x > 0, tg.sqrt(x), 0.0)


DOUBLE_WHERE = {
    "sqrt": _safe_sqrt,
    "x_log_x": lambda x: tg.where(x > 0, x * tg.log(x), 0.0),
    "x_sqrt_x": lambda x: tg.where(x > 0, x * tg.sqrt(x), 0.0),
    "sin_of_sqrt": lambda x: tg.where(x > 0, tg.sin(tg.sqrt(x)), 0.0),
    "smooth_step": lambda x: tg.where(x > 0, tg.exp(-1 / x), 0.0),
    "sin_x_over_x": lambda x: tg.where(x > 0, tg.sin(x) / x, 1.0),
    "asin": lambda x: tg.where(x > 0, tg.asin(x - 1), 0.0),
    "power": lambda x: tg.where(x > 0, x**0.5 + tg.log1p(x), 0.0),
    "logit": lambda x: tg.where(x > 0, tg.special.logit(x / 4), 0.0),
    "erfinv": lambda x: tg.where(x > 0, tg.special.erfinv(x / 2 - 1), 0.0),
    "gammaln": lambda x: tg.where(x > 0, tg.special.gammaln(x), 0.0),
    "digamma": lambda x: tg.where(x > 0, tg.special.digamma(x), 0.0),
}


def _second_derivatives(loss):
    return {
        "reverse over reverse": tg.jacrev(tg.grad(loss)),
        "forward over reverse": tg.jacfwd(tg.grad(loss)),
        "reverse over forward": tg.jacrev(tg.jacfwd(loss)),
        "forward over forward": tg.jacfwd(tg.jacfwd(loss)),
        # a batch of tangents over a batched cotangent: reshaped tangents keep their marks
        "forward over jacrev": tg.jacfwd(tg.jacrev(loss)),
        "hessian": tg.hessian(loss),
    }


@pytest.mark.parametrize("name", sorted(DOUBLE_WHERE))
def test_double_where_gradients_are_zero_in_the_unselected_branch(name):
    f = DOUBLE_WHERE[name]
    x = tg.constant([-1.0, 0.0], dtype=tg.float64)  # unselected: sqrt(-1) is NaN, sqrt' is inf
    loss = lambda x: tg.sum(f(x))  # noqa: E731
    assert tg.grad(loss)(x).numpy().tolist() == [0.0, 0.0]
    for mode, second in _second_derivatives(loss).items():
        assert second(x).numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]], mode
    _, tangent = tg.jvp(loss, (x,), (tg.constant([1.0, 1.0], dtype=tg.float64),))
    assert float(tangent) == 0.0


def test_double_where_through_reductions():
    f = lambda x: tg.where(x > 0, tg.prod(tg.sqrt(x)) * tg.sum(tg.log(x)), 0.0)  # noqa: E731
    loss = lambda x: tg.sum(f(x))  # noqa: E731
    x = tg.constant([-1.0, 0.0], dtype=tg.float64)
    assert tg.grad(loss)(x).numpy().tolist() == [0.0, 0.0]
    for mode, second in _second_derivatives(loss).items():  # shape ops pass the marks on too
        assert second(x).numpy().tolist() == [[0, 0], [0, 0]], mode


def test_double_where_to_second_order_in_both_modes():
    x = np.array([-1.0, -0.3, 0.7, 2.0])  # unselected and selected positions together
    for name, f in DOUBLE_WHERE.items():
        if name != "asin":  # asin(x - 1) is defined on [0, 2] only
            check_grads(f, [x], order=2)
    hessian = tg.hessian(lambda x: tg.sum(_safe_sqrt(x)))(tg.constant(x)).numpy()
    np.testing.assert_allclose(np.diag(hessian), [0, 0, -0.25 * 0.7**-1.5, -0.25 * 2**-1.5])


def test_the_issues_example():
    x = tg.constant(-1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.where(x > 0, tg.sqrt(x), 0.0)
    assert float(tape.gradient(y, x)) == 0.0


def test_a_cotangent_that_is_not_zero_is_unchanged():
    x = tg.constant([0.0, 4.0], dtype=tg.float64)
    assert np.isinf(tg.grad(lambda x: tg.sum(tg.sqrt(x)))(x).numpy()[0])
    assert np.isnan(tg.grad(lambda x: tg.sum(tg.sqrt(x - 5.0)))(x).numpy()).all()


def test_strong_zeros_leave_no_trace_behind():
    """Marks belong to the recorded values: gradients never depend on what ran before."""
    naive = lambda x: tg.log(1.0 + tg.exp(x))  # noqa: E731
    before = tg.grad(naive)(tg.constant(100.0)).numpy()
    for f in DOUBLE_WHERE.values():
        tg.grad(lambda x: tg.sum(f(x)))(tg.constant([-1.0, 0.0, 1.0]))
    after = tg.grad(naive)(tg.constant(100.0)).numpy()
    assert np.isnan(before) and np.isnan(after)  # exp(100) overflows float32: 0 * inf


def test_strong_zeros_on_a_persistent_tape():
    x = tg.constant([-1.0, 4.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tg.where(x > 0, tg.sin(tg.sqrt(x)) * 2.0, 0.0)
    for _ in range(2):
        assert tape.gradient(y, x).numpy()[0] == 0.0


# -- complex gradients: dL/dx + i dL/dy -----------------------------------------------------------
Z = np.array([0.3 + 0.4j, -0.5 + 0.2j, 0.7 - 0.6j])
Z2 = np.array([1.1 - 0.3j, 0.4 + 0.9j, -0.8 + 0.5j])
W = np.array([0.5 - 1.0j, 1.5 + 0.5j, -0.7 + 0.2j])


def _numerical_gradient(loss, z):
    """dL/dx + i dL/dy by central differences on the real and imaginary parts."""
    out = np.zeros(z.shape, dtype=complex)
    for j in range(z.size):
        for unit in (1.0, 1j):
            step = np.zeros(z.shape, dtype=complex)
            step.flat[j] = unit

            def along(eps, step=step):
                return float(loss(tg.constant(z + eps * step)))

            slope = tg.numerical.derivative(along, 0.0, richardson=True)
            out.flat[j] += slope * unit
    return out


def _real_loss(f):
    weights = tg.constant(W)
    return lambda z: tg.real(tg.sum(tg.conj(weights[: f(z).size]) * tg.reshape(f(z), (-1,))))


COMPLEX = {
    "exp": tg.exp,
    "expm1": tg.expm1,
    "exp2": tg.exp2,
    "log": tg.log,
    "log1p": tg.log1p,
    "log2": tg.log2,
    "log10": tg.log10,
    "sqrt": tg.sqrt,
    "square": tg.square,
    "reciprocal": tg.reciprocal,
    "sin": tg.sin,
    "cos": tg.cos,
    "tan": tg.tan,
    "sinh": tg.sinh,
    "cosh": tg.cosh,
    "tanh": tg.tanh,
    "asin": tg.asin,
    "acos": tg.acos,
    "atan": tg.atan,
    "asinh": tg.asinh,
    "acosh": tg.acosh,
    "atanh": tg.atanh,
    "sinc": tg.sinc,
    "abs": tg.abs,
    "sign": tg.sign,
    "real": tg.real,
    "imag": tg.imag,
    "conj": tg.conj,
    "multiply": lambda z: z * tg.constant(Z2),
    "divide": lambda z: tg.constant(Z2) / z,
    "pow": lambda z: z**2.5,
    "cumulative_prod": tg.cumulative_prod,
    "cumulative_sum": tg.cumulative_sum,
    "prod": tg.prod,
    "var": lambda z: tg.var(z, correction=1),
    "std": tg.std,
}


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_gradient_is_dx_plus_i_dy(name):
    loss = _real_loss(COMPLEX[name])
    z = tg.constant(Z)
    np.testing.assert_allclose(tg.grad(loss)(z).numpy(), _numerical_gradient(loss, Z), atol=1e-8)


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_second_order_both_modes(name):
    """The gradient as a function of z: its JVP (forward over reverse) and the gradient of a
    real projection of it (reverse over reverse) against differences of the gradient."""
    loss = _real_loss(COMPLEX[name])
    grad = tg.grad(loss)
    direction = tg.constant(Z2)
    _, forward = tg.jvp(grad, (tg.constant(Z),), (direction,))
    h = 1e-5
    numeric = (grad(tg.constant(Z + h * Z2)).numpy() - grad(tg.constant(Z - h * Z2)).numpy()) / (
        2 * h
    )
    np.testing.assert_allclose(forward.numpy(), numeric, rtol=1e-6, atol=1e-7)
    projected = lambda z: tg.real(tg.sum(tg.conj(tg.constant(W)) * grad(z)))  # noqa: E731
    np.testing.assert_allclose(
        tg.grad(projected)(tg.constant(Z)).numpy(),
        _numerical_gradient(projected, Z),
        rtol=1e-6,
        atol=1e-7,
    )


def test_complex_gradient_points_uphill():
    """For L = |z|^2 the gradient is 2z (steepest ascent), not its conjugate."""
    z = tg.constant(Z)
    g = tg.grad(lambda z: tg.sum(tg.real(z * tg.conj(z))))(z)
    np.testing.assert_allclose(g.numpy(), 2 * Z)


# -- statistics and scans --------------------------------------------------------------------------
def test_var_and_std_match_numpy():
    x = RNG.normal(size=(3, 4))
    for correction in (0, 1, 1.5):
        for axis in (None, 0, (0, 1), -1):
            np.testing.assert_allclose(
                tg.var(tg.constant(x), axis=axis, correction=correction).numpy(),
                np.var(x, axis=axis, ddof=correction),
            )
            np.testing.assert_allclose(
                tg.std(tg.constant(x), axis=axis, correction=correction, keepdims=True).numpy(),
                np.std(x, axis=axis, ddof=correction, keepdims=True),
            )
    assert tg.var(tg.constant(Z)).dtype == tg.float64
    assert tg.var(tg.constant([1.0, 2.0])).dtype == tg.float32


def test_cumulative_functions_match_numpy():
    x = RNG.normal(size=(2, 3))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(
            tg.cumulative_sum(tg.constant(x), axis=axis).numpy(), np.cumsum(x, axis=axis)
        )
        np.testing.assert_allclose(
            tg.cumulative_prod(tg.constant(x), axis=axis).numpy(), np.cumprod(x, axis=axis)
        )
    first = tg.cumulative_sum(tg.constant([1.0, 2.0]), include_initial=True)
    assert first.numpy().tolist() == [0.0, 1.0, 3.0]
    first = tg.cumulative_prod(tg.constant(x), axis=0, include_initial=True)
    assert first.shape == (3, 3) and first.numpy()[0].tolist() == [1.0, 1.0, 1.0]
    empty = tg.cumulative_sum(tg.zeros((0,)), include_initial=True)
    assert empty.numpy().tolist() == [0.0]
    np.testing.assert_allclose(tg.cumsum(tg.constant(x)).numpy(), np.cumsum(x))
    np.testing.assert_allclose(tg.cumprod(tg.constant(x), axis=1).numpy(), np.cumprod(x, axis=1))


def test_integer_sums_take_at_least_the_default_integer():
    small = tg.constant(np.array([100, 100], dtype=np.int8))
    assert tg.sum(small).dtype == tg.int32 and int(tg.sum(small)) == 200
    assert tg.cumulative_sum(small).dtype == tg.int32
    assert tg.prod(tg.constant(np.array([2], dtype=np.uint8))).dtype == tg.uint32
    assert tg.sum(tg.constant(np.array([1], dtype=np.int64))).dtype == tg.int64
    assert tg.sum(tg.constant([True, True])).dtype == tg.int32
    assert tg.cumulative_sum(small, dtype=tg.float64).dtype == tg.float64


def test_scans_need_an_axis_beyond_one_dimension():
    with pytest.raises(ValueError, match=r"cumulative_sum of a 2-dimensional array needs an axis"):
        tg.cumulative_sum(tg.ones((2, 2)))
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds"):
        tg.cumulative_prod(tg.ones((2, 2)), axis=2)


def test_cumprod_with_zeros_is_exact_to_second_order():
    x = np.array([2.0, 0.0, 3.0, 0.0, 1.5])
    f = lambda x: tg.sum(tg.cumprod(x))  # noqa: E731
    g = tg.grad(f)(tg.constant(x)).numpy()
    assert g.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]
    expected = np.zeros((5, 5))  # d2/dxi dxj of sum_k prod_{l<=k} x_l
    for i in range(5):
        for j in range(5):
            if i != j:
                for k in range(max(i, j), 5):
                    expected[i, j] += np.prod([x[m] for m in range(k + 1) if m not in (i, j)])
    for hessian in (tg.hessian(f), tg.jacrev(tg.grad(f)), tg.jacfwd(tg.jacfwd(f))):
        np.testing.assert_array_equal(hessian(tg.constant(x)).numpy(), expected)
    check_grads(lambda x: tg.cumulative_prod(x, axis=0), [np.array([[0.0, 1.0], [2.0, 0.0]])], 3)


def test_prod_with_zeros_is_exact_to_second_order():
    x = np.array([2.0, 0.0, 3.0, 0.0, 1.5])
    hessian = tg.hessian(tg.prod)(tg.constant(x)).numpy()
    expected = np.zeros((5, 5))
    expected[1, 3] = expected[3, 1] = 9.0
    np.testing.assert_array_equal(hessian, expected)
    check_grads(lambda x: tg.prod(x, axis=1), [np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])], 2)


def test_diff_matches_numpy():
    x = RNG.normal(size=(3, 4))
    for axis in (0, -1):
        for n in (0, 1, 2, 5):
            np.testing.assert_allclose(
                tg.diff(tg.constant(x), axis=axis, n=n).numpy(), np.diff(x, axis=axis, n=n)
            )
    np.testing.assert_allclose(
        tg.diff(tg.constant(x), prepend=1.0, append=tg.constant(x[:, :2])).numpy(),
        np.diff(x, prepend=1.0, append=x[:, :2]),
    )
    with pytest.raises(ValueError, match=r"diff: n must be a non-negative integer; got -1"):
        tg.diff(tg.constant(x), n=-1)


# -- searching, sorting, sets ---------------------------------------------------------------------
def test_searching_and_sorting_match_numpy():
    x = np.array([[3.0, 1.0, 3.0], [-1.0, 7.0, 7.0]])
    t = tg.constant(x)
    for axis in (None, 0, 1):
        assert tg.argmax(t, axis=axis).numpy().tolist() == np.argmax(x, axis=axis).tolist()
        assert tg.argmin(t, axis=axis).numpy().tolist() == np.argmin(x, axis=axis).tolist()
    assert tg.argmax(t, axis=1, keepdims=True).shape == (2, 1)
    assert tg.argmax(t).dtype == tg.int64
    assert tg.argsort(t).numpy().tolist() == np.argsort(x, kind="stable").tolist()
    assert tg.argsort(t, descending=True).numpy().tolist() == [[0, 2, 1], [1, 2, 0]]
    assert tg.sort(t, axis=0).numpy().tolist() == np.sort(x, axis=0).tolist()
    assert tg.sort(t, descending=True).numpy().tolist() == [[3, 3, 1], [7, 7, -1]]
    assert [i.numpy().tolist() for i in tg.nonzero(t - 3.0)] == [
        i.tolist() for i in np.nonzero(x - 3.0)
    ]
    assert tg.count_nonzero(t - 3.0).numpy() == 4
    assert tg.count_nonzero(t - 3.0, axis=1, keepdims=True).shape == (2, 1)
    found = tg.searchsorted(tg.constant([1.0, 2.0, 2.0, 3.0]), tg.constant([2.0, 0.0, 9.0]))
    assert found.numpy().tolist() == [1, 0, 4]
    right = tg.searchsorted(tg.constant([1.0, 2.0, 2.0]), tg.constant(2.0), side="right")
    assert int(right) == 3


def test_unique_functions_match_numpy():
    x = np.array([[2.0, 1.0], [2.0, np.nan], [np.nan, 1.0]])
    result = tg.unique_all(tg.constant(x))
    values, indices, inverse, counts = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True, equal_nan=False
    )
    np.testing.assert_array_equal(result.values.numpy(), values)
    assert result.indices.numpy().tolist() == indices.tolist()
    assert result.inverse_indices.shape == x.shape
    assert result.inverse_indices.numpy().ravel().tolist() == inverse.ravel().tolist()
    assert result.counts.numpy().tolist() == counts.tolist() == [2, 2, 1, 1]
    assert tg.unique_counts(tg.constant(x)).counts.numpy().tolist() == [2, 2, 1, 1]
    assert tg.unique_inverse(tg.constant(x)).inverse_indices.shape == (3, 2)
    np.testing.assert_array_equal(tg.unique_values(tg.constant(x)).numpy(), values)


def test_integer_results_have_no_derivative():
    x = tg.constant([1.0, 3.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        index = tg.argmax(x)
        order = tg.argsort(x)
        count = tg.count_nonzero(x)
    for result in (index, order, count):
        assert result.dtype == tg.int64
    assert tape.gradient(index, x) is None


def test_errors_name_the_problem_and_the_fix():
    with pytest.raises(ValueError, match=r"argmax of an empty array \(shape \(0,\)\)"):
        tg.argmax(tg.zeros((0,)))
    with pytest.raises(ValueError, match=r"nonzero of a 0-d array .* reshape it to 1-D"):
        tg.nonzero(tg.constant(1.0))
    with pytest.raises(ValueError, match=r"searchsorted needs a 1-D sorted array x1"):
        tg.searchsorted(tg.ones((2, 2)), tg.constant(1.0))
    with pytest.raises(ValueError, match=r"searchsorted: side must be 'left' or 'right'"):
        tg.searchsorted(tg.ones((2,)), tg.constant(1.0), side="middle")
    with pytest.raises(ValueError, match=r"sort needs an array of at least one dimension"):
        tg.sort(tg.constant(1.0))


def test_all_and_any():
    x = tg.constant([[True, False], [True, True]])
    assert tg.all(x, axis=1).numpy().tolist() == [False, True]
    assert tg.any(x, axis=0).numpy().tolist() == [True, True]
    assert bool(tg.any(tg.constant([0.0, 2.0])))
    assert tg.all(x, keepdims=True).shape == (1, 1)


def test_logaddexp_keeps_its_second_derivative_at_a_tie():
    """At x == y the weight of each argument is 1/2 and its derivative 1/4: softplus(0) has
    second derivative sigmoid'(0) = 1/4 (a constant weight at ties would give 0)."""
    assert float(tg.grad(tg.grad(tg.nn.softplus))(tg.constant(np.float64(0.0)))) == 0.25
    hessian = tg.hessian(lambda w: tg.sum(tg.nn.softplus(w)))(tg.constant(np.zeros(2)))
    np.testing.assert_array_equal(hessian.numpy(), np.diag([0.25, 0.25]))


def test_where_gives_python_scalars_the_dtypes_binary_operations_give():
    c = tg.constant([True, False])
    assert tg.where(c, 1.0, 2).dtype == tg.float32  # both scalars: float32, not float64
    assert tg.where(c, 1, 2).dtype == tg.int32
    assert tg.where(c, tg.constant([1, 2]), 2.5).numpy().tolist() == [1.0, 2.5]
    assert tg.where(c, tg.constant([1, 2]), 2.5).dtype == tg.float32
    assert tg.where(c, tg.constant([1.0, 2.0], dtype=tg.float64), 0).dtype == tg.float64


def test_fft_frequencies_are_made_on_the_device_asked_for():
    xps = pytest.importorskip("array_api_strict")
    device = xps.Device("device1")
    for frequencies in (tg.fft.fftfreq(4, device=device), tg.fft.rfftfreq(4, device=device)):
        assert frequencies._value.device == device
        assert frequencies.dtype == tg.float32
    assert tg.fft.fftfreq(4, device="cpu").numpy().tolist() == [0.0, 0.25, -0.5, -0.25]


@pytest.mark.parametrize(
    "index",
    [
        (1, slice(None), [0, 4]),
        ([0, 1], slice(None), [0, 4]),
        (np.array([True, False]), slice(None), 2),
        (slice(None), [0, 1], 2),
    ],
    ids=["int-slice-array", "array-slice-array", "mask-slice-int", "slice-array-int"],
)
def test_jacobians_of_indexing_with_advanced_parts_apart(index):
    """NumPy puts the axes of advanced indices that are apart first: the batched rules of
    jacfwd, jacrev and hessian must keep their batch axes in front all the same."""
    values = np.arange(20.0).reshape(2, 2, 5)
    x = tg.constant(values)
    f = lambda t: t[index]  # noqa: E731
    expected = tg.numerical.jacobian(lambda a: f(tg.constant(a)).numpy(), values)
    np.testing.assert_allclose(tg.jacfwd(f)(x).numpy(), expected, atol=1e-8)
    np.testing.assert_allclose(tg.jacrev(f)(x).numpy(), expected, atol=1e-8)
    hessian = tg.hessian(lambda t: tg.sum(f(t) ** 2))(x).numpy().reshape(20, 20)
    picked = np.zeros(values.shape)
    picked[index] = 1.0
    np.testing.assert_allclose(hessian, np.diag(2.0 * picked.reshape(-1)), atol=1e-8)
    v = tg.constant(np.ones(values[index].shape))
    for transform in (tg.jacfwd, tg.jacrev):
        jac = transform(lambda u: x.at[index].add(u))(v).numpy()
        np.testing.assert_allclose(jac.reshape(20, -1).sum(axis=1), picked.reshape(-1), atol=1e-12)


def test_a_boolean_mask_of_the_wrong_shape_is_refused_as_numpy_refuses_it():
    a = tg.constant(np.arange(6.0).reshape(2, 3))
    with pytest.raises(IndexError) as caught:
        a[np.array([True])]
    assert str(caught.value) == (
        "a boolean mask of shape (1,) does not match axis 0 of the tensor of shape (2, 3) (their "
        "shape is (2,)): a mask must have the shape of the axes it selects from"
    )
    with pytest.raises(IndexError, match=r"shape \(2,\) does not match axis 1"):
        a.at[:, np.array([False, True])].set(0.0)
    v = tg.Variable(np.zeros(3))
    with pytest.raises(IndexError, match=r"shape \(2,\) does not match axis 0"):
        v[np.array([True, False])] = 1.0
    assert a[..., np.array([True, False, True])].numpy().tolist() == [[0.0, 2.0], [3.0, 5.0]]
    assert a[np.array([[True, False, True], [False, False, True]])].numpy().tolist() == [
        0.0,
        2.0,
        5.0,
    ]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("correction", [3, 4])
def test_variance_with_no_degree_of_freedom_left_has_no_finite_gradient(correction):
    """NumPy's variance is inf once correction >= N; its gradient must not be a finite number
    (it used to be one of the wrong sign, or a ZeroDivisionError)."""
    x = tg.constant(np.array([1.0, 2.0, 4.0]))
    assert float(tg.var(x, correction=correction)) == np.inf
    for f in (tg.var, tg.std):
        gradient = tg.grad(lambda t, f=f: f(t, correction=correction))(x).numpy()
        assert not np.isfinite(gradient).any()
    _, tangent = tg.jvp(lambda t: tg.var(t, correction=correction), (x,), (tg.ones(3),))
    assert not np.isfinite(tangent.numpy())


def test_axes_out_of_range_raise_instead_of_wrapping():
    a = tg.constant(np.arange(6.0).reshape(2, 3))
    message = r"axis 2 is out of bounds for an array of 2 dimensions: use an axis in \[-2, 1\]"
    with pytest.raises(ValueError, match=message):
        tg.take(a, [0], axis=2)
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        tg.moveaxis(a, 5, 0)
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        tg.tensordot(a, tg.ones((3, 4)), axes=([5], [0]))
    with pytest.raises(ValueError, match="axis 3 is out of bounds"):
        tg.repeat(a, 2, axis=3)
    assert tg.tensordot(a, tg.ones((3, 4)), axes=[1, 0]).shape == (2, 4)  # NumPy's form


AXIS_7 = "axis 7 is out of bounds for an array of 2 dimensions: use an axis in [-2, 1]"


@pytest.mark.parametrize(
    "name, call, message",
    [
        (name, lambda a, name=name: getattr(tg, name)(a, axis=7), f"{name}: {AXIS_7}")
        for name in ("sum", "mean", "prod", "max", "min", "var", "std")
    ]
    + [
        ("concat", lambda a: tg.concat([a, a], axis=7), f"concat: {AXIS_7}"),
        (
            "stack",
            lambda a: tg.stack([a, a], axis=7),
            "stack: axis 7 is out of bounds for an array of 3 dimensions: use an axis in [-3, 2]",
        ),
        ("roll", lambda a: tg.roll(a, 1, axis=7), f"roll: {AXIS_7}"),
        ("softmax", lambda a: tg.nn.softmax(a, axis=7), f"softmax: {AXIS_7}"),
        ("logsumexp", lambda a: tg.nn.logsumexp(a, axis=7), f"logsumexp: {AXIS_7}"),
        ("repeated", lambda a: tg.prod(a, axis=(0, 0)), "prod: repeated axis in (0, 0)"),
    ],
)
def test_an_axis_out_of_range_is_named_by_tapegrad_on_every_function(name, call, message):
    # these reached the backend's own error (NumPy's AxisError, or an IndexError from roll)
    with pytest.raises(ValueError) as caught:
        call(tg.constant(np.arange(6.0).reshape(2, 3)))
    assert str(caught.value) == message


def test_a_maximum_over_no_elements_names_the_function_and_the_axis():
    with pytest.raises(ValueError) as caught:
        tg.max(tg.ones((0, 2)), axis=0)
    assert str(caught.value) == (
        "max: axis=0 of the shape (0, 2) holds no elements, and the maximum of nothing is "
        "undefined: reduce over axes of nonzero length"
    )
    assert tg.min(tg.ones((0, 2)), axis=1).shape == (0,)


def test_numpy_integers_serve_as_axes_shifts_and_lengths():
    a = tg.constant(np.arange(6.0).reshape(2, 3))
    gradient = tg.grad(lambda x: tg.sum(tg.max(x, axis=np.int64(0))))(a)
    assert gradient.numpy().tolist() == [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    assert tg.moveaxis(a, np.int64(0), 1).shape == (3, 2)
    assert tg.tile(a, np.int64(2)).shape == (2, 6)
    assert tg.fft.fftfreq(np.int64(4)).numpy().tolist() == [0.0, 0.25, -0.5, -0.25]
    assert tg.arange(np.int64(3)).dtype == tg.int32


def test_roll_broadcasts_shifts_against_axes_as_numpy():
    x = tg.constant(np.arange(5.0))
    assert tg.roll(x, (1, 2), axis=0).numpy().tolist() == np.roll(np.arange(5.0), (1, 2)).tolist()
    assert tg.roll(x, (1, 2)).numpy().tolist() == [2.0, 3.0, 4.0, 0.0, 1.0]


def test_integer_fills_and_ranges_are_never_truncated_or_wrapped():
    assert tg.arange(2**31 - 1, 2**31 + 1).numpy().tolist() == [2**31 - 1, 2**31]
    assert tg.arange(2**31 - 1, 2**31 + 1).dtype == tg.int64
    with pytest.raises(ValueError, match="outside int32's range"):
        tg.arange(2**31 - 1, 2**31 + 1, dtype=tg.int32)
    with pytest.raises(TypeError, match="would truncate"):
        tg.full_like(tg.constant([1, 2]), 2.5)
    with pytest.raises(TypeError, match="would truncate"):
        tg.pad(tg.constant([1, 2]), 1, constant_values=2.5)
    assert tg.full_like(tg.constant([1, 2]), 2.0).numpy().tolist() == [2, 2]
    assert tg.pad(tg.constant([1.0, 2.0]), 1, constant_values=2.5).numpy().tolist() == [
        2.5,
        1.0,
        2.0,
        2.5,
    ]


def test_small_shapes_as_numpy_gives_them():
    a = tg.constant(np.arange(6.0).reshape(2, 3))
    assert a[[]].shape == (0, 3)  # an empty list selects nothing
    assert [p.shape for p in tg.split(tg.constant(np.zeros(0)), 3)] == [(0,), (0,), (0,)]
    assert float(tg.mean(tg.constant(1.0), axis=0)) == 1.0  # as sum accepts the same call
    assert float(tg.grad(lambda x: tg.mean(x, axis=0))(tg.constant(2.0))) == 1.0
    assert tg.reciprocal(tg.constant(3)).dtype == (1 / tg.constant(3)).dtype == tg.float64
    assert tg.reciprocal(tg.constant(3, dtype=tg.int8)).dtype == tg.float32


def test_diff_takes_sequences_and_an_empty_inf_norm_is_zero():
    x = tg.constant(np.array([1.0, 3.0, 6.0]))
    assert tg.diff(x, prepend=[0.0, 1.0]).numpy().tolist() == [1.0, 0.0, 2.0, 3.0]
    assert tg.diff(x, append=(7.0,)).numpy().tolist() == [2.0, 3.0, 1.0]
    empty = tg.constant(np.zeros((2, 0)))
    assert tg.linalg.vector_norm(empty, ord=np.inf, axis=1).numpy().tolist() == [0.0, 0.0]


def test_numpy_std_var_and_sort_dispatch_take_numpys_keywords():
    x = tg.constant(np.array([1.0, 3.0, 6.0]))
    assert float(np.std(x, ddof=1)) == np.std(np.array([1.0, 3.0, 6.0]), ddof=1)
    assert float(np.var(x, ddof=1)) == np.var(np.array([1.0, 3.0, 6.0]), ddof=1)
    grid = tg.constant(np.array([[3.0, 1.0], [2.0, 0.0]]))
    assert np.sort(grid, axis=None).numpy().tolist() == [0.0, 1.0, 2.0, 3.0]


def test_argmax_names_an_axis_out_of_range():
    with pytest.raises(ValueError, match=r"axis -2 is out of bounds for an array of 1 dim"):
        tg.argmin(tg.constant([1.0, 3.0]), axis=-2)


def test_axis_mistakes_in_shape_functions_are_named():
    x = tg.constant(np.arange(3.0))
    for f in (lambda: tg.swapaxes(x, 0, 1), lambda: tg.unstack(x, axis=1)):
        with pytest.raises(ValueError, match=r"axis 1 is out of bounds for an array of 1 dim"):
            f()
    with pytest.raises(ValueError, match=r"^tril needs matrices \(at least 2 dimensions\)"):
        tg.tril(x)
    m = tg.constant(np.arange(6.0).reshape(2, 3))
    assert tg.expand_dims(m, axis=(0, -1)).shape == np.expand_dims(np.zeros((2, 3)), (0, -1)).shape
    tg.testing.check_grads(lambda v: tg.expand_dims(v, axis=(0, 2)), [m.numpy()], order=2)


def test_pad_refuses_negative_widths_by_name():
    with pytest.raises(ValueError, match=r"^pad: widths must be non-negative, got pad_width=-1$"):
        tg.pad(tg.constant([1.0, 2.0]), -1)


# -- one rule for the floating result of bool and integer input -----------------------------------
FLOATING_FUNCTIONS = {
    "exp": (tg.exp, np.exp),
    "sin": (tg.sin, np.sin),
    "sqrt": (tg.sqrt, np.sqrt),
    "log1p": (tg.log1p, np.log1p),
    "tanh": (tg.tanh, np.tanh),
    "exp2": (tg.exp2, np.exp2),
    "sinc": (tg.sinc, np.sinc),
    "hypot": (lambda x: tg.hypot(x, x), lambda x: np.hypot(x, x)),
    "atan2": (lambda x: tg.atan2(x, x), lambda x: np.arctan2(x, x)),
    "logaddexp": (lambda x: tg.logaddexp(x, x), lambda x: np.logaddexp(x, x)),
    "mean": (tg.mean, np.mean),
    "var": (tg.var, np.var),
    "std": (tg.std, np.std),
    "sigmoid": (tg.nn.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "softplus": (tg.nn.softplus, lambda x: np.logaddexp(x, 0)),
    "softmax": (tg.nn.softmax, lambda x: np.exp(x) / np.exp(x).sum()),
    "logsumexp": (tg.nn.logsumexp, lambda x: np.log(np.exp(x).sum())),
    "erf": (tg.special.erf, lambda x: np.vectorize(math.erf)(x)),
    "vector_norm": (lambda x: tg.linalg.vector_norm(x, ord=1), lambda x: np.abs(x).sum()),
}
# float32 for bool and integers up to 16 bits, float64 beyond (TensorFlow's true division);
# NumPy gives float16 for bool and 8-bit integers, where exp(int8(12)) overflows
FLOAT_FOR = {
    "bool": "float32",
    "int8": "float32",
    "uint8": "float32",
    "int16": "float32",
    "int32": "float64",
    "int64": "float64",
    "uint32": "float64",
}


@pytest.mark.parametrize("dtype", sorted(FLOAT_FOR))
@pytest.mark.parametrize("name", sorted(FLOATING_FUNCTIONS))
def test_floating_functions_give_one_dtype_for_bool_and_integer_input(name, dtype):
    ours, numpys = FLOATING_FUNCTIONS[name]
    values = np.array([1, 0, 1, 1] if dtype == "bool" else [12, 0, 3, 16]).astype(dtype)
    out = ours(tg.constant(values))
    assert out.dtype == FLOAT_FOR[dtype]
    expected = numpys(values.astype(np.float64)).astype(FLOAT_FOR[dtype])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_norms_of_integers_are_computed_in_floating_point():
    # |int8(-128)| wrapped to -128, and int32 sums overflowed: -127 for the 1-norm
    x = tg.constant(np.array([-128, 1], np.int8))
    norms = [tg.linalg.vector_norm(x, ord=o) for o in (1, math.inf, -math.inf, 3, 0)]
    assert [n.dtype for n in norms] == [tg.float32] * 5
    assert [float(n) for n in norms[:3]] + [float(norms[4])] == [129.0, 128.0, 1.0, 2.0]
    assert float(norms[3]) == pytest.approx((128**3 + 1) ** (1 / 3), rel=1e-6)
    assert float(tg.linalg.vector_norm(tg.constant([2**31 - 1, 2**31 - 1]), ord=1)) == 2**32 - 2
    matrix = tg.constant(np.array([[-128, 0], [0, 1]], np.int8))
    assert float(tg.linalg.matrix_norm(matrix, ord=1)) == 128.0


def test_a_float16_mean_is_summed_in_float32_as_numpy_does():
    out = tg.mean(tg.constant(np.array([60000, 60000], np.float16)))
    assert (out.dtype, float(out)) == (tg.float16, 60000.0)


def test_diff_takes_a_scalar_to_join_as_a_weak_scalar_not_truncated():
    out = tg.diff(tg.constant([1, 2]), prepend=0.5)  # 0.5 used to become 0
    assert (out.dtype, out.numpy().tolist()) == (tg.float32, [0.5, 1.0])
    out = tg.diff(tg.constant([1.0, 2.0]), prepend=1j)  # 1j used to become 0
    assert (out.dtype, out.numpy().tolist()) == (tg.complex64, [1 - 1j, 1 + 0j])
    out = tg.diff(tg.constant([1.0, 2.0], dtype=tg.float64), append=4)
    assert (out.dtype, out.numpy().tolist()) == (tg.float64, [1.0, 2.0])
    with pytest.raises(ValueError, match="outside int8's range"):
        tg.diff(tg.constant([1, 2], dtype=tg.int8), prepend=1000)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: tg.sum(tg.constant([1 + 2j]), dtype=tg.float32),
            "sum: dtype=float32 would drop the imaginary parts of complex64 values",
        ),
        (
            lambda: tg.prod(tg.constant([1.5]), dtype=tg.int32),
            "prod: dtype=int32 would drop the fractions of float32 values",
        ),
        (
            lambda: tg.cumulative_sum(tg.constant([1.5]), dtype=tg.int32),
            "cumulative_sum: dtype=int32 would drop the fractions of float32 values",
        ),
        (
            lambda: tg.linalg.trace(tg.constant([[1j, 0], [0, 1]]), dtype=tg.float32),
            "trace: dtype=float32 would drop the imaginary parts of complex64 values",
        ),
    ],
)
def test_a_sum_dtype_that_would_drop_part_of_the_values_raises(call, message):
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value) == (
        f"{message}: give a dtype of their kind, or cast them first (tg.real, tg.astype) if "
        "that is meant"
    )
    assert tg.sum(tg.constant([1, 2]), dtype=tg.float64).dtype == tg.float64  # widening


def test_ordering_functions_refuse_complex_and_keep_bool():
    with pytest.raises(TypeError, match="clip takes real values, not complex64"):
        tg.clip(tg.constant([1 + 2j]), 0, 1)
    with pytest.raises(TypeError, match="relu takes real inputs, not complex64"):
        tg.nn.relu(tg.constant([1 + 2j]))
    flags = tg.constant([[True, True], [True, True]])
    assert tg.tril(flags).numpy().tolist() == [[True, False], [True, True]]
    assert tg.triu(flags).dtype == tg.bool
    assert tg.nn.relu(tg.constant([True, False])).dtype == tg.bool
    assert tg.round(tg.constant([True])).dtype == tg.bool


# -- creation: shapes, bounds and fill values ------------------------------------------------
@pytest.mark.parametrize("size", [np.int64(3), np.int32(3), np.array(3), tg.constant(3)])
def test_numpy_integers_and_0d_integer_tensors_serve_as_shapes(size):
    # "'numpy.int64' object is not iterable" before
    for make in (tg.zeros, tg.ones, tg.empty, lambda s: tg.full(s, 1.0)):
        assert make(size).shape == (3,)
    assert tg.reshape(tg.arange(6.0), (size, 2)).shape == (3, 2)
    assert tg.broadcast_to(tg.constant(1.0), size).shape == (3,)
    with pytest.raises(TypeError) as caught:
        tg.zeros(2.5)
    assert str(caught.value) == (
        "a shape is an int or a sequence of ints, not 2.5: round or cast the sizes to int first"
    )


def test_linspace_between_tensors_is_differentiable_and_dispatches_from_numpy():
    # tensor endpoints used to recurse forever through __array_function__
    a, b = tg.constant(0.0), tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch([a, b])
        y = tg.linspace(a, b, 5)
        total = tg.sum(y * y)
    assert y.numpy().tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    # d/da sum((a + (b - a) f)^2) = 2 sum(y (1 - f)); d/db = 2 sum(y f)
    assert [float(g) for g in tape.gradient(total, [a, b])] == [1.25, 3.75]
    assert np.linspace(a, b, 3).numpy().tolist() == [0.0, 0.5, 1.0]
    assert tg.linspace(tg.constant(1 + 1j), 2.0, 3).dtype == tg.complex64
    with pytest.raises(TypeError, match="would truncate"):
        tg.linspace(0, 1, 5, dtype=tg.int32)
    assert tg.linspace(0, 4, 5, dtype=tg.int32).numpy().tolist() == [0, 1, 2, 3, 4]
    # ends of several shapes broadcast along a new first axis, as NumPy's
    got = tg.linspace(tg.zeros(2), tg.ones((3, 2)), 3).numpy()
    np.testing.assert_array_equal(got, np.linspace(np.zeros(2), np.ones((3, 2)), 3))
    got = tg.linspace(tg.constant(0.0), tg.constant([1.0, 2.0]), 3).numpy().tolist()
    assert got == [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]]
    ints = tg.linspace(tg.constant(0), tg.constant(10), 3, dtype=tg.int32)
    assert (ints.dtype, ints.numpy().tolist()) == (tg.int32, [0, 5, 10])


def test_arange_of_an_integer_tensor_is_an_integer_range():
    for bound in (tg.constant(3), np.array(3), np.int64(3)):
        out = tg.arange(bound)
        assert (out.dtype, out.numpy().tolist()) == (tg.int32, [0, 1, 2])


def test_full_is_differentiable_in_a_tensor_fill_value_as_tensorflow_fill():
    x = tg.Variable([2.0, 3.0])
    with tg.GradientTape() as tape:
        y = tg.sum(tg.full((2, 2), x[0]) * x[1])
    assert tape.gradient(y, x).numpy().tolist() == [12.0, 8.0]
    assert tg.full((2,), tg.constant(3)).numpy().tolist() == [3, 3]


def test_repeated_axes_raise_in_expand_dims_and_moveaxis_as_in_numpy():
    m = tg.reshape(tg.arange(6.0), (2, 3))
    cases = [
        (lambda: tg.expand_dims(m, axis=(0, 0)), "expand_dims: repeated axis in (0, 0)"),
        (
            lambda: tg.moveaxis(m, (0, 1), (1, 1)),
            "moveaxis: repeated axis in destination (1, 1): name each axis once",
        ),
        (
            lambda: tg.moveaxis(tg.ones((2, 3, 4)), (0, 0), (1, 2)),
            "moveaxis: repeated axis in source (0, 0): name each axis once",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == message
    assert tg.expand_dims(m, axis=(3, 0)).shape == (1, 2, 3, 1)


# -- errors name the function, the value and the fix -----------------------------------------
M23 = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize(
    "call, kind, message",
    [
        (
            lambda m: tg.sum(m, axis=1.0),
            TypeError,
            "sum: axis must be an int, a tuple of ints or None, not 1.0",
        ),
        (
            lambda m: tg.argmax(m, axis=(0, 1)),
            TypeError,
            "argmax: axis must be an int or None (one axis), not (0, 1)",
        ),
        (
            lambda m: tg.squeeze(m, axis=0),
            ValueError,
            "cannot squeeze axis 0 of shape (2, 3): its length is 2, not 1",
        ),
        (
            lambda m: tg.permute_dims(m, (0, 0)),
            ValueError,
            "permute_dims: axes (0, 0) are not an order of the 2 axes of a tensor of shape (2, 3): "
            "name each of 0 to 1 once",
        ),
        (
            lambda m: tg.arange(0, 10, 0),
            ValueError,
            "arange: step must not be 0 (the range would never reach stop)",
        ),
        (
            lambda m: tg.fft.fftfreq(4, d=0),
            ValueError,
            "fftfreq: the sample spacing d must be nonzero and finite, not 0",
        ),
        (
            lambda m: tg.linalg.diagonal(m, offset=1.5),
            TypeError,
            "diagonal: offset must be an integer, not 1.5",
        ),
        (
            lambda m: tg.from_dlpack(3),
            TypeError,
            "from_dlpack takes an array that supports DLPack (it has __dlpack__), not int: use "
            "tg.constant for Python values",
        ),
        (
            lambda m: tg.full(3, [1.0, 2.0]),
            ValueError,
            "full: fill_value must be a single number, not one of shape (2,): use "
            "tg.broadcast_to(value, shape) to repeat an array",
        ),
        (
            lambda m: tg.repeat(m, 2.5),
            TypeError,
            "repeat: repeats must be integers, not 2.5: round them and cast to int first",
        ),
        (
            lambda m: tg.repeat(m, [1, 2], axis=1),
            ValueError,
            "repeat: 2 repeat counts for an axis of length 3: give one count, or one per element",
        ),
        (
            lambda m: tg.tile(m, 2.0),
            TypeError,
            "tile: repetitions must be an int or a sequence of ints, not 2.0",
        ),
        (
            lambda m: tg.nn.softplus(tg.constant([1 + 1j])),
            TypeError,
            "softplus takes real inputs, not complex64: for complex x write tg.log(1 + tg.exp(x))",
        ),
        (
            lambda m: tg.constant([[1, 2], [3]]),
            ValueError,
            "cannot convert [[1, 2], [3]] to a tensor: its nested lists have different lengths (a "
            "ragged list); a tensor needs rows of one length, so pad them first",
        ),
        (
            lambda m: m.__setitem__(0, [1.0, 2.0]),
            ValueError,
            "cannot write a value of shape (2,) into the tensor at a place of shape (3,): the "
            "value "
            "must broadcast to the shape it replaces",
        ),
        (
            lambda m: tg.Variable([1.0, 2.0, 3.0]).__setitem__(5, 1.0),
            IndexError,
            "index 5 is out of bounds for axis 0 with size 3 (writing into variable 'Variable:0' "
            "of shape (3,))",
        ),
    ],
)
def test_bad_arguments_get_errors_that_name_the_function_and_the_fix(call, kind, message):
    # each of these used to surface NumPy's or Python's own words (or recursed, or divided by 0)
    with pytest.raises(kind) as caught:
        call(tg.constant(M23))
    assert str(caught.value) == message


def test_softmax_of_nothing_is_empty_as_numpys():
    assert tg.nn.softmax(tg.zeros((0,))).shape == (0,)
    assert tg.nn.log_softmax(tg.zeros((2, 0))).shape == (2, 0)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda z: tg.special.digamma(z), "digamma"),
        (lambda z: tg.special.gammaln(z), "gammaln"),
        (lambda z: tg.special.erfinv(z), "erfinv"),
        (lambda z: tg.special.polygamma(1, z), "polygamma"),
    ],
)
def test_real_special_functions_refuse_complex_input_by_name(call, name):
    # digamma of complex computed, then its gradient failed inside SciPy; the others raised
    # SciPy's own type errors
    with pytest.raises(TypeError) as caught:
        call(tg.constant([1 + 2j]))
    assert str(caught.value) == (
        f"tg.special.{name} takes real inputs, not complex64: apply it to the real part "
        "(tg.real) if that is meant"
    )
    assert tg.special.erf(tg.constant([1 + 2j])).dtype == tg.complex64


def test_ihfft_of_a_complex_signal_names_itself():
    with pytest.raises(TypeError) as caught:
        tg.fft.ihfft(tg.constant([1 + 1j, 2.0]))
    assert str(caught.value) == (
        "ihfft takes a real signal, not complex64: use tg.fft.ifft for complex input"
    )


def test_fftfreq_takes_a_spacing_held_in_a_tensor_or_array():
    expected = [0.0, 0.5, -1.0, -0.5]
    for d in (tg.constant(0.5), np.array(0.5), np.float64(0.5)):
        assert tg.fft.fftfreq(4, d=d).numpy().tolist() == expected


def test_a_power_below_one_is_guarded_as_sqrt_is():
    # x ** 1.5's rule left its infinite part unmarked: hvp and linearize gave NaN where jvp gave 0
    z = tg.constant([0.0, 1.0])
    loss = lambda v: tg.sum(tg.where(v > 0, v**1.5, 0.0))  # noqa: E731
    assert tg.hvp(loss, z, tg.constant([1.0, 0.0])).numpy().tolist() == [0.0, 0.0]
    assert tg.jacfwd(tg.grad(loss))(z).numpy().tolist() == [[0.0, 0.0], [0.0, 0.75]]
    _, linear = tg.linearize(lambda v: v**0.5, z)
    assert linear(tg.constant([0.0, 1.0])).numpy().tolist() == [0.0, 0.5]


def test_a_sum_between_a_singular_rule_and_a_zero_derivative_keeps_the_zero():
    # sqrt's infinite cotangent at 0, spread by sum's rule, lost its mark: reverse mode gave NaN
    # where forward mode gave 0 (the norm's least-norm subgradient)
    zero = tg.constant([0.0, 0.0])
    norm = lambda v: tg.sqrt(tg.sum(v * v))  # noqa: E731
    assert tg.grad(norm)(zero).numpy().tolist() == tg.jacfwd(norm)(zero).numpy().tolist()
    assert tg.grad(norm)(zero).numpy().tolist() == [0.0, 0.0]
    low = tg.constant([-np.inf, -np.inf])
    assert tg.grad(tg.nn.logsumexp)(low).numpy().tolist() == [0.0, 0.0]
    assert tg.grad(norm)(tg.constant([3.0, 4.0])).numpy().tolist() == pytest.approx([0.6, 0.8])


def test_prod_partials_stay_exact_when_the_product_is_subnormal():
    # prod / x_i lost the digits the subnormal product had lost: 0.20998 instead of 0.21
    x = tg.constant(np.array([1e-320, 0.7, 0.3]))
    assert tg.jacfwd(tg.prod)(x).numpy()[0] == pytest.approx(0.21, rel=1e-15)
    assert tg.grad(tg.prod)(x).numpy()[0] == pytest.approx(0.21, rel=1e-15)


def test_strong_zero_subgradients_come_without_numpy_warnings():
    # the inf and NaN that the guards clean were computed with NumPy's warnings on: users
    # running with warnings as errors, or np.errstate(all="raise"), could not take these
    w = tg.Variable(np.zeros(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            with tg.GradientTape() as tape:
                loss = tg.sqrt(tg.sum(w * w))
            assert tape.gradient(loss, w).numpy().tolist() == [0.0, 0.0, 0.0]
            grad = tg.grad(lambda v: tg.sum(tg.where(v > 0, tg.sqrt(v), 0.0)))
            assert grad(tg.constant([0.0, 4.0])).numpy().tolist() == [0.0, 0.25]
            jac = tg.jacfwd(lambda v: tg.sqrt(tg.sum(v * v)))(tg.constant(np.zeros(2)))
            assert jac.numpy().tolist() == [0.0, 0.0]
