"""tg.optimize.minimize: scipy.optimize.minimize with tapegrad's exact derivatives."""

import re
import sys
import warnings
from unittest import mock

import numpy as np
import pytest

import tapegrad as tg

so = pytest.importorskip("scipy.optimize")


def rosenbrock(x):
    return tg.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def start(n):
    x0 = np.full(n, -1.0)
    x0[::2] = -1.2
    return x0


def spy_on_scipy():
    return mock.patch("scipy.optimize.minimize", wraps=so.minimize)


def test_bfgs_on_100d_rosenbrock_needs_far_fewer_evaluations_than_finite_differences():
    x0 = start(100)
    ours = tg.optimize.minimize(rosenbrock, x0, method="BFGS")
    theirs = so.minimize(so.rosen, x0, method="BFGS")  # SciPy's default: finite differences
    assert ours.success
    np.testing.assert_allclose(ours.x, np.ones(100), atol=1e-5)
    assert ours.nfev * 5 <= theirs.nfev, (ours.nfev, theirs.nfev)


def test_the_gradient_given_to_scipy_is_exact():
    with spy_on_scipy() as spy:
        tg.optimize.minimize(rosenbrock, start(6), method="BFGS", options={"maxiter": 1})
    objective, kwargs = spy.call_args.args[0], spy.call_args.kwargs
    assert kwargs["jac"] is True
    x = np.random.default_rng(0).normal(size=6)
    value, gradient = objective(x)
    assert value == pytest.approx(so.rosen(x), rel=1e-14)
    np.testing.assert_allclose(gradient, so.rosen_der(x), rtol=1e-13)


def test_newton_cg_gets_exact_hessian_vector_products():
    with spy_on_scipy() as spy:
        result = tg.optimize.minimize(
            rosenbrock, start(20), method="Newton-CG", options={"xtol": 1e-10}
        )
    assert result.success and result.nhev > 0
    np.testing.assert_allclose(result.x, np.ones(20), atol=1e-8)
    hessp = spy.call_args.kwargs["hessp"]
    rng = np.random.default_rng(1)
    x, p = rng.normal(size=20), rng.normal(size=20)
    np.testing.assert_allclose(hessp(x, p), so.rosen_hess_prod(x, p), rtol=1e-12)


@pytest.mark.parametrize("method", ["trust-ncg", "trust-krylov", "trust-constr"])
def test_other_methods_that_take_hessp(method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # trust-constr's notes on its own tolerances
        result = tg.optimize.minimize(rosenbrock, start(4), method=method)
    np.testing.assert_allclose(result.x, np.ones(4), atol=1e-3)


def test_methods_that_need_the_full_hessian_get_it():
    with spy_on_scipy() as spy:
        result = tg.optimize.minimize(rosenbrock, start(5), method="trust-exact")
    assert result.success
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-8)
    x = np.random.default_rng(2).normal(size=5)
    np.testing.assert_allclose(spy.call_args.kwargs["hess"](x), so.rosen_hess(x), rtol=1e-12)


def test_nested_structures_of_arrays():
    target = np.array([[1.0, -2.0], [0.5, 3.0]])

    def loss(params, scale):
        return (params["a"] - 2.0) ** 2 + scale * tg.sum((params["b"][0] - target) ** 2)

    x0 = {"a": 0.0, "b": [np.zeros((2, 2))]}
    result = tg.optimize.minimize(loss, x0, args=(3.0,), method="L-BFGS-B")
    assert result.success
    assert float(result.x["a"]) == pytest.approx(2.0, abs=1e-6)
    assert isinstance(result.x["b"], list) and result.x["b"][0].shape == (2, 2)
    np.testing.assert_allclose(result.x["b"][0], target, atol=1e-6)
    assert result.jac["b"][0].shape == (2, 2)


def test_the_default_method_and_tensor_starting_points():
    result = tg.optimize.minimize(rosenbrock, tg.constant([-1.2, 1.0]))  # SciPy picks BFGS
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-5)
    assert result.x.dtype == np.float64


def test_derivative_free_methods_get_no_jac():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SciPy warns when given a jac it cannot use
        result = tg.optimize.minimize(rosenbrock, [0.5, 0.5], method="Nelder-Mead")
    np.testing.assert_allclose(result.x, [1.0, 1.0], atol=1e-3)


def test_a_jac_given_by_the_caller_wins():
    with spy_on_scipy() as spy:
        tg.optimize.minimize(rosenbrock, [0.5, 0.5], method="BFGS", jac="2-point")
    assert spy.call_args.kwargs["jac"] == "2-point"


def test_fun_must_return_a_scalar_tensor():
    with pytest.raises(TypeError, match="fun must return a scalar tensor .* it returned a float"):
        tg.optimize.minimize(lambda x: float(tg.sum(x)), [1.0, 2.0], method="BFGS")
    with pytest.raises(TypeError, match=re.escape("it returned shape (2,)")):
        tg.optimize.minimize(lambda x: x * 2, [1.0, 2.0], method="BFGS")


def test_complex_starting_points_are_refused():
    with pytest.raises(TypeError, match="works on real numbers; x0 holds a complex128"):
        tg.optimize.minimize(rosenbrock, np.array([1j, 2.0]))


def test_missing_scipy_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    message = "tg.optimize.minimize needs SciPy, an optional dependency of tapegrad: install it"
    with pytest.raises(ImportError, match=re.escape(message) + ".*pip install scipy"):
        tg.optimize.minimize(rosenbrock, [1.0, 2.0])
