from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tapegrad as tg
from tapegrad.numerical import METHODS, derivative, gradient, jacobian

# name: (f, f', scale of f' for judging error near its zeros, domain)
FUNCTIONS = {
    "sin": (np.sin, np.cos, 1.0, "any"),
    "exp": (np.exp, np.exp, None, "any"),
    "log": (np.log, lambda x: 1 / x, None, "positive"),
    "cube": (lambda x: x**3, lambda x: 3 * x**2, None, "any"),
    "exp_sin": (
        lambda x: np.exp(np.sin(x)),
        lambda x: np.cos(x) * np.exp(np.sin(x)),
        math.e,
        "any",
    ),
}

MAGNITUDES = (1e-3, 1.0, 1e3)

# Worst relative error allowed, per (method, richardson, dtype).
BOUNDS = {
    ("central", False, np.float64): 1e-6,
    ("central", True, np.float64): 1e-8,
    ("forward", False, np.float64): 1e-6,
    ("forward", True, np.float64): 1e-8,
    ("complex", False, np.float64): 1e-13,
    ("complex", True, np.float64): 1e-13,
    ("central", False, np.float32): 1e-3,
    ("central", True, np.float32): 1e-3,
    ("complex", False, np.float32): 1e-5,
}

# Absolute error allowed where f is of order 10: forward differences lose about
# sqrt(eps) * |f| to rounding, the others far less.
TOLERANCE = {"central": 1e-9, "forward": 1e-6, "complex": 1e-12}


def points(name: str, magnitude: float, dtype: type) -> np.ndarray:
    """Points near ``magnitude`` in f's domain, where f' is not close to zero."""
    _, df, scale, domain = FUNCTIONS[name]
    x = magnitude * np.linspace(0.5, 2.0, 41)
    if domain != "positive":
        x = np.concatenate([x, -x])
    x = x.astype(dtype)
    if scale is not None:
        x = x[np.abs(df(x.astype(np.float64))) > 0.1 * scale]
    return x


def relative_error(name: str, x: np.ndarray, estimate: np.ndarray) -> float:
    exact = FUNCTIONS[name][1](x.astype(np.float64))
    return float(np.max(np.abs(estimate.astype(np.float64) - exact) / np.abs(exact)))


@pytest.mark.parametrize("method, richardson, dtype", list(BOUNDS))
@pytest.mark.parametrize(
    "name, magnitude",
    # exp overflows near 1e3.
    [(name, m) for name in FUNCTIONS for m in MAGNITUDES if (name, m) != ("exp", 1e3)],
)
def test_accuracy(name, magnitude, method, richardson, dtype):
    x = points(name, magnitude, dtype)
    estimate = derivative(FUNCTIONS[name][0], x, method=method, richardson=richardson)
    assert estimate.dtype == dtype
    assert relative_error(name, x, estimate) <= BOUNDS[(method, richardson, dtype)]


def test_float32_sin_far_from_zero_is_not_fooled_by_large_steps():
    # A step near a multiple of 2 pi averages sin out to a converged-looking 0.
    x = np.linspace(1000, 10000, 2001, dtype=np.float32)
    for richardson in (False, True):
        estimate = derivative(np.sin, x, richardson=richardson)
        assert np.max(np.abs(estimate - np.cos(x.astype(np.float64)))) < 1e-3


def test_steps_that_leave_the_domain_are_discarded_quietly():
    x = np.array([1e-3, 2e-5, 3e-7], dtype=np.float32)
    with np.errstate(all="raise"):
        estimate = derivative(np.log, x)
    np.testing.assert_allclose(estimate, 1 / x.astype(np.float64), rtol=1e-3)


magnitudes = st.floats(min_value=-3, max_value=3).map(lambda e: 10.0**e)
signs = st.sampled_from([-1.0, 1.0])


@settings(deadline=None, max_examples=40)
@given(magnitude=magnitudes, sign=signs)
def test_accuracy_over_a_range_of_points(magnitude, sign):
    x = sign * magnitude
    cases = [
        # x + sin(x)/2 has a slope of at least 1/2 everywhere.
        (lambda t: t + 0.5 * np.sin(t), x, lambda t: 1 + 0.5 * np.cos(t)),
        (lambda t: t**3, x, lambda t: 3 * t**2),
        (np.log, magnitude, lambda t: 1 / t),
    ]
    for f, at, df in cases:
        exact = df(at)
        assert abs(derivative(f, at) / exact - 1) <= 1e-6
        assert abs(derivative(f, at, richardson=True) / exact - 1) <= 1e-8
        assert abs(derivative(f, at, method="complex") / exact - 1) <= 1e-13
    # In float32 the rounding of f itself limits x + sin(x)/2 at large x, so only
    # functions whose size is comparable to x * f'(x) are held to 1e-3.
    for f, at, df in cases[1:]:
        at32 = np.float32(at)
        assert abs(derivative(f, at32) / df(np.float64(at32)) - 1) <= 1e-3


@settings(deadline=None, max_examples=40)
@given(x=st.floats(min_value=-1e6, max_value=1e6), method=st.sampled_from(["central", "forward"]))
def test_exact_steps_make_the_identity_exact(x, method):
    # Only a step that is exactly representable next to x gives exactly 1 here.
    assert derivative(lambda t: t, x, method=method) == 1.0
    assert derivative(lambda t: t, x, method=method, richardson=True) == 1.0


def test_python_numbers_are_differentiated_in_float64():
    assert isinstance(derivative(np.sin, 1.0), np.ndarray)
    assert derivative(np.sin, 1.0).dtype == np.float64
    assert derivative(np.sin, 1.0, step=1e-3).dtype == np.float64
    assert derivative(np.sin, 1).dtype == np.float64
    assert derivative(np.sin, np.float32(1.0)).dtype == np.float32
    assert derivative(np.sin, np.arange(3)).dtype == np.float64
    assert jacobian(np.sin, 0.5).dtype == np.float64
    assert gradient(lambda a, b: a * b, 2.0, 3)[1].dtype == np.float64


def test_f_receives_float64_for_integer_points():
    seen = []
    derivative(lambda t: seen.append(t.dtype) or t * t, np.array([1, 2]))
    assert set(seen) == {np.dtype(np.float64)}


def test_scalar_x_gives_f_shaped_result():
    result = derivative(lambda t: np.stack([t, t**2, np.sin(t)]), 2.0)
    np.testing.assert_allclose(result, [1.0, 4.0, np.cos(2.0)], rtol=1e-9)


def test_forward_steps_upwards_only():
    seen = []
    derivative(lambda t: seen.append(float(t)) or np.sqrt(t), 0.0, method="forward")
    assert min(seen) == 0.0


def test_explicit_step_is_used():
    assert derivative(np.exp, 0.0, step=0.1) == pytest.approx(math.sinh(0.1) / 0.1, rel=1e-14)
    steps = np.array([0.1, 0.2])
    expected = np.sinh(steps) / steps
    np.testing.assert_allclose(derivative(np.exp, np.zeros(2), step=steps), expected, rtol=1e-14)


def test_explicit_step_with_richardson_extrapolates():
    error = abs(derivative(np.exp, 0.0, step=0.1, richardson=True) - 1)
    assert error < 1e-12 < abs(derivative(np.exp, 0.0, step=0.1) - 1)


def test_complex_step_with_complex_x_for_other_methods():
    z = 1.0 + 0.5j
    assert derivative(np.exp, z) == pytest.approx(np.exp(z), rel=1e-9)
    assert derivative(np.exp, z, method="forward") == pytest.approx(np.exp(z), rel=1e-6)


def test_gradient_of_sum_of_squares_is_twice_x():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1e-3]])
    for method in METHODS:
        grad = gradient(lambda v: np.sum(v**2), x, method=method)
        assert isinstance(grad, np.ndarray) and grad.shape == x.shape
        np.testing.assert_allclose(grad, 2 * x, rtol=1e-6, atol=TOLERANCE[method])


def test_gradient_of_several_arguments_is_a_tuple():
    def f(a, b, c):
        return np.sum(a * b) + c**2

    a, b = np.array([1.0, 2.0]), np.array([3.0, -4.0])
    grads = gradient(f, a, b, 0.5, richardson=True)
    assert isinstance(grads, tuple) and len(grads) == 3
    np.testing.assert_allclose(grads[0], b, rtol=1e-10)
    np.testing.assert_allclose(grads[1], a, rtol=1e-10)
    assert grads[2].shape == () and float(grads[2]) == pytest.approx(1.0, rel=1e-10)


def test_gradient_steps_per_argument():
    grads = gradient(lambda a, b: np.exp(a) + np.exp(b), 0.0, 0.0, step=(0.1, 0.2))
    np.testing.assert_allclose(grads, [math.sinh(0.1) / 0.1, math.sinh(0.2) / 0.2], rtol=1e-14)


def test_jacobian_of_a_linear_map_is_its_matrix():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    for method in METHODS:
        jac = jacobian(lambda v: a @ v, x, method=method)
        np.testing.assert_allclose(jac, a, atol=TOLERANCE[method])


def test_jacobian_shape_is_output_then_input():
    x = np.arange(6.0).reshape(2, 3) + 1

    def f(v):
        return np.stack([v.sum(axis=0), (v**2).sum(axis=0)])

    jac = jacobian(f, x, richardson=True)
    assert jac.shape == (2, 3, 2, 3)
    expected = np.zeros((2, 3, 2, 3))
    for i in range(2):
        for j in range(3):
            expected[0, j, i, j] = 1.0
            expected[1, j, i, j] = 2 * x[i, j]
    np.testing.assert_allclose(jac, expected, atol=1e-9)
    assert jacobian(lambda v: np.sum(v), x).shape == (2, 3)
    assert jacobian(lambda t: np.stack([t, 2 * t]), 1.0).shape == (2,)


def test_jacobian_of_elementwise_function_is_diagonal():
    x = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(jacobian(np.log, x, method="complex"), np.diag(1 / x), rtol=1e-14)


class Wrapped:
    """A stand-in for a tensor type that NumPy can read."""

    def __init__(self, data):
        self.data = np.asarray(data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)


class HasNumpyMethod:
    def __init__(self, data):
        self.data = np.asarray(data)

    def numpy(self):
        return self.data


def test_array_like_inputs_and_outputs_are_read_with_numpy():
    x = Wrapped([1.0, 2.0])
    np.testing.assert_allclose(derivative(lambda t: Wrapped(t**2), x), [2.0, 4.0])
    np.testing.assert_allclose(derivative(lambda t: HasNumpyMethod(t**2), HasNumpyMethod(3.0)), 6)
    grad = gradient(lambda t: Wrapped(np.sum(t**2)), Wrapped(np.float32([1, 2])))
    assert grad.dtype == np.float32


def test_other_array_api_libraries_stay_in_their_namespace():
    xps = pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    x = xps.asarray([0.5, 1.0, 2.0])
    for method in METHODS:
        estimate = derivative(xps.log, x, method=method)
        assert isinstance(estimate, type(x))
        assert float(xps.max(xps.abs(estimate * x - 1))) < 1e-6
    a = xps.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert float(xps.max(xps.abs(jacobian(lambda v: a @ v, x) - a))) < 1e-9
    assert gradient(lambda v: xps.sum(v**2), x).shape == (3,)


def test_unknown_method_lists_the_valid_ones():
    message = r"unknown method 'backward'; use one of 'central', 'forward', 'complex'"
    with pytest.raises(ValueError, match=message):
        derivative(np.sin, 1.0, method="backward")
    with pytest.raises(ValueError, match=message):
        gradient(np.sin, 1.0, method="backward")
    with pytest.raises(ValueError, match=message):
        jacobian(np.sin, 1.0, method="backward")


@pytest.mark.parametrize(
    "x, shown",
    [(math.nan, "nan"), (-math.inf, "-inf"), (np.array([1.0, np.inf]), "an array containing inf")],
)
def test_non_finite_points_are_rejected(x, shown):
    with pytest.raises(ValueError, match=rf"x must be finite, got {shown}; finite differences"):
        derivative(np.sin, x)


def test_non_finite_gradient_argument_is_named():
    with pytest.raises(ValueError, match=r"argument 1 must be finite, got an array containing nan"):
        gradient(lambda a, b: a * np.sum(b), 1.0, np.array([np.nan]))


def test_non_numeric_points_are_rejected():
    with pytest.raises(TypeError, match=r"x must be a number or a numeric array, got str"):
        derivative(np.sin, "1.0")


@pytest.mark.parametrize("result", [None, "0.5", object(), True])
def test_f_must_return_numbers(result):
    with pytest.raises(TypeError, match=r"f must return a number or a numeric array, got "):
        derivative(lambda t: result, 1.0)


def test_complex_step_needs_a_real_point():
    with pytest.raises(
        ValueError, match=r"method='complex' needs a real x, got dtype complex128; use method="
    ):
        derivative(np.exp, 1 + 2j, method="complex")


@pytest.mark.parametrize("f", [np.abs, np.real, lambda t: t.real**2])
def test_complex_step_needs_f_to_return_complex_values(f):
    with pytest.raises(
        ValueError,
        match=r"method='complex' needs f to return complex values for complex input, "
        r"got dtype float64; write f with operations that accept complex numbers",
    ):
        derivative(f, 1.0, method="complex")


@pytest.mark.parametrize("step", [0.0, -1e-3, math.nan, np.array([1e-3, -1e-3])])
def test_steps_must_be_positive_and_finite(step):
    with pytest.raises(ValueError, match=r"step must be positive and finite, got "):
        derivative(np.sin, np.array([1.0, 2.0]), step=step)


def test_steps_below_the_resolution_of_x_are_rejected():
    with pytest.raises(
        ValueError, match=r"step=1e-20 is too small to change x in float64; use a larger step"
    ):
        derivative(np.sin, 1e3, step=1e-20)


def test_step_shape_must_broadcast():
    with pytest.raises(ValueError, match=r"step of shape \(3,\) does not broadcast to x's shape"):
        derivative(np.sin, np.ones(2), step=np.full(3, 1e-3))


def test_gradient_needs_a_scalar_function_and_an_argument():
    with pytest.raises(ValueError, match=r"gradient needs f to return a single number, got shape"):
        gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(TypeError, match=r"gradient needs at least one argument"):
        gradient(lambda: 1.0)
    with pytest.raises(ValueError, match=r"step has 3 entries for 2 arguments"):
        gradient(lambda a, b: a * b, 1.0, 2.0, step=(0.1, 0.1, 0.1))


def test_f_must_be_callable():
    with pytest.raises(TypeError, match=r"f must be callable, got float"):
        derivative(1.0, 2.0)


def test_steps_where_a_python_function_raises_are_discarded():
    # math.log and math.sqrt raise ValueError below 0 where np.log gives NaN; the coarse
    # steps at 1e-6 go there.
    assert derivative(math.log, 1e-6) == pytest.approx(1e6, rel=1e-6)
    assert derivative(math.log, 1e-6, richardson=True) == pytest.approx(1e6, rel=1e-8)
    assert derivative(math.sqrt, 1e-6, richardson=True) == pytest.approx(500.0, rel=1e-8)
    assert gradient(lambda t: math.log(t), 1e-6) == pytest.approx(1e6, rel=1e-6)
    assert jacobian(math.sqrt, 1e-6) == pytest.approx(500.0, rel=1e-6)
    # OverflowError, an ArithmeticError, from the unit-scale steps (exp(1900) overflows).
    # f changes over 1e-5, far less than |x|, which costs Richardson its extra digits.
    slope = derivative(lambda t: math.exp(1e5 * t), 1e-3, richardson=True)
    assert slope == pytest.approx(1e5 * math.exp(100), rel=1e-6)


def test_an_error_of_f_at_x_itself_propagates():
    with pytest.raises(ValueError, match=r"math domain error"):
        derivative(math.log, -1.0)


@pytest.mark.parametrize("richardson", ["no", None, 2, 0.5])
def test_richardson_must_be_true_or_false(richardson):
    message = rf"richardson must be True or False, got {re.escape(repr(richardson))}"
    for differentiate in (derivative, gradient, jacobian):
        with pytest.raises(TypeError, match=message):
            differentiate(np.sin, 1.0, richardson=richardson)


def test_richardson_accepts_booleans_and_zero_or_one():
    exact = derivative(np.sin, 1.0, richardson=True)
    assert derivative(np.sin, 1.0, richardson=1) == exact
    assert derivative(np.sin, 1.0, richardson=np.True_) == exact
    assert derivative(np.sin, 1.0, richardson=0) == derivative(np.sin, 1.0)


# (numpy f, tapegrad f, z, tg.grad's value df/dx + i df/dy)
COMPLEX_GRADIENTS = [
    (lambda z: np.abs(z) ** 2, lambda z: tg.abs(z) ** 2, 3 + 4j, 6 + 8j),
    (lambda z: np.real(z) * np.imag(z), lambda z: tg.real(z) * tg.imag(z), 1 + 2j, 2 + 1j),
    (lambda z: np.real(z**2), lambda z: tg.real(z**2), 1 + 2j, 2 - 4j),
]


@pytest.mark.parametrize(
    "f, tg_f, z, expected",
    COMPLEX_GRADIENTS,
    ids=["abs_squared", "real_times_imag", "real_of_square"],
)
def test_gradient_of_complex_arguments_follows_tg_grad(f, tg_f, z, expected):
    assert tg.grad(tg_f)(tg.constant(np.complex128(z))).numpy() == expected
    for method, richardson in (("central", False), ("central", True), ("forward", False)):
        grad = gradient(f, z, method=method, richardson=richardson)
        assert grad.dtype == np.complex128
        assert grad == pytest.approx(expected, rel=1e-6)


def test_gradient_of_complex_arrays_keeps_their_dtype_beside_real_arguments():
    z = np.array([3 + 4j, 1j], dtype=np.complex64)
    da, dz = gradient(lambda a, w: a * np.sum(np.abs(w) ** 2), 2.0, z)
    assert da == pytest.approx(26.0, rel=1e-6)
    assert dz.dtype == np.complex64
    np.testing.assert_allclose(dz, [12 + 16j, 4j], rtol=1e-4)


def test_gradient_of_complex_arguments_needs_a_real_function():
    with pytest.raises(
        TypeError,
        match=r"gradient of complex arguments needs f to return a real number, got complex128; "
        r"differentiate a real value such as np.real\(f\(z\)\)",
    ):
        gradient(lambda z: z**2, 1 + 2j)


def test_derivative_of_a_holomorphic_function_is_f_prime_as_holomorphic_transforms_give():
    z = np.array([1 + 2j, 1j])
    expected = tg.jacfwd(lambda w: w**2, holomorphic=True)(tg.constant(z)).numpy()
    np.testing.assert_allclose(np.diag(expected), [2 + 4j, 2j])
    np.testing.assert_allclose(derivative(lambda w: w**2, z), [2 + 4j, 2j], rtol=1e-9)
    np.testing.assert_allclose(jacobian(lambda w: w**2, z), expected, rtol=1e-9, atol=1e-12)


# -- tg.testing.check_grads ------------------------------------------------------------------


@pytest.mark.parametrize(
    "f, x",
    [
        (tg.log, 1e-3),
        (lambda x: 1 / x, 1e-3),
        (lambda x: 1 / x, 1e-4),
        (lambda x: x**0.5, 1e-4),
        (lambda x: tg.tanh(x / 1e-4), 1e-4),
        (lambda x: tg.sin(x / 1e-4), 1e-4),
    ],
    ids=["log", "reciprocal", "reciprocal_1e-4", "sqrt", "tanh_x_over_1e-4", "sin_x_over_1e-4"],
)
def test_check_grads_passes_correct_derivatives_at_small_arguments(f, x):
    # Unit-scale steps along the random direction left log's domain or crossed 1/x's pole.
    tg.testing.check_grads(f, [np.array([x, 2 * x])], order=2)
    tg.testing.check_grads(f, [np.array([x, 2 * x], dtype=np.float32)], order=1)


@tg.custom_vjp
def _log_with_doubled_derivative(x):
    return tg.log(x)


_log_with_doubled_derivative.defvjp(lambda x: (tg.log(x), x), lambda x, g: (2 * g / x,))


def test_check_grads_still_catches_a_wrong_derivative_at_small_arguments():
    with pytest.raises(
        AssertionError,
        match=r"the fwd derivative of f along a random direction is 147.18\d+, but the "
        r"numerical derivative is 73.59\d+ ",
    ):
        tg.testing.check_grads(_log_with_doubled_derivative, [np.array([1e-3, 2e-3])], order=1)


def test_check_grads_explains_a_numerical_derivative_it_cannot_compute():
    # sqrt at 0: every step of the path to one side leaves the domain.
    with pytest.raises(
        AssertionError,
        match=r"the numerical derivative of f along a random direction could not be computed "
        r"at these arguments: f was NaN at every trial step, so each step left f's domain",
    ):
        tg.testing.check_grads(tg.sqrt, [np.array([0.0, 1.0])], order=1)


def test_check_grads_refuses_arguments_where_f_is_not_finite():
    with pytest.raises(
        ValueError,
        match=r"check_grads: f is not finite at these arguments \(<u, f> = -inf\); derivatives "
        r"can only be checked where f is finite",
    ):
        with np.errstate(divide="ignore"):  # log(0) = -inf is the point of the test
            tg.testing.check_grads(tg.log, [np.array([0.0, 1.0])], order=1)


@pytest.mark.parametrize(
    "modes, first",
    [("rev", "rev"), ("fwd", "fwd"), (["rev"], "rev"), (("fwd", "rev"), "fwd"), ("fwd,rev", "fwd")],
)
def test_check_grads_takes_jax_spellings_of_modes(modes, first):
    tg.testing.check_grads(tg.sin, [np.array([0.5, 1.0])], modes=modes)
    with pytest.raises(AssertionError, match=rf"check_grads: the {first} derivative of f "):
        tg.testing.check_grads(_log_with_doubled_derivative, [np.array([1.0])], modes=modes)


@pytest.mark.parametrize(
    "modes, message",
    [
        ("backward", r"modes must name 'fwd' and/or 'rev', got 'backward'"),
        (("fwd", "bwd"), r"modes must hold 'fwd' and/or 'rev', not 'bwd'"),
    ],
)
def test_check_grads_rejects_unknown_modes(modes, message):
    with pytest.raises(ValueError, match=message):
        tg.testing.check_grads(tg.sin, [np.array([0.5])], modes=modes)


def test_check_grads_takes_nested_arguments_and_outputs():
    def f(params, scale):
        w, (b, c) = params["w"], params["b"]
        return {"a": w * b, "c": (tg.sin(w) * scale, c**3), "n": None}

    params = {"w": np.array([0.5, 1.5]), "b": [2.0, np.array([1.0, -1.0])], "unused": None}
    tg.testing.check_grads(f, [params, 3.0], order=2)
    tg.testing.check_grads(lambda p: p[0] * p[1], [[np.ones(2), np.ones(3)[:2]]], order=2)


def test_check_grads_catches_a_wrong_derivative_in_one_leaf_of_a_structure():
    with pytest.raises(AssertionError, match=r"check_grads: the fwd derivative of f "):
        tg.testing.check_grads(
            lambda p: {"a": p["w"] * 2.0, "c": (_log_with_doubled_derivative(p["b"]),)},
            [{"w": np.array([0.5, 1.5]), "b": np.array([1.0])}],
            order=1,
        )


def test_check_grads_needs_a_floating_point_output():
    with pytest.raises(ValueError, match=r"check_grads: f has no floating-point output"):
        tg.testing.check_grads(lambda x: {"n": tg.astype(x, tg.int32)}, [np.array([1.0])])


@pytest.mark.parametrize(
    "options, message",
    [
        ({"modes": []}, "modes must name 'fwd' and/or 'rev', got an empty sequence"),
        ({"modes": ()}, "modes must name 'fwd' and/or 'rev', got an empty sequence"),
        ({"order": 0}, "order must be a positive integer (1 for first derivatives), not 0"),
        ({"order": 1.5}, "order must be a positive integer (1 for first derivatives), not 1.5"),
        ({"rtol": -1}, "rtol must be a non-negative number or None, not -1"),
        ({"atol": float("nan")}, "atol must be a non-negative number or None, not nan"),
    ],
)
def test_check_grads_refuses_options_under_which_it_would_check_nothing(options, message):
    # modes=[] used to pass without checking anything, even for a wrong rule
    @tg.custom_gradient
    def wrong(x):
        return tg.sin(x), lambda g: g * 5.0

    with pytest.raises(ValueError) as caught:
        tg.testing.check_grads(wrong, [np.array([0.5, 1.0])], **options)
    assert str(caught.value) == message
