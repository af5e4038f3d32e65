"""``tg.optimize.minimize``: ``scipy.optimize.minimize`` with exact derivatives from tapegrad.

The gradient comes from a tape (reverse mode); Hessian-vector products come from forward mode
over reverse mode (a ``ForwardAccumulator`` around the tape's gradient computation), so a
Newton-type method gets exact curvature at the cost of a few gradients. ``x0`` may be an array
or a nested list/tuple/dict of arrays; ``fun`` receives tensors in the same structure. SciPy is
an optional dependency, imported only when ``minimize`` is called.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._backend import to_numpy
from ._dtypes import kind_of
from ._forward import ForwardAccumulator
from ._structure import flatten
from ._tape import GradientTape
from ._tensor import Tensor
from .ops import constant, reshape

__all__ = ["minimize"]

_NO_DERIVATIVES = {"nelder-mead", "powell", "cobyla", "cobyqa"}
_TAKES_HESSP = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
_NEEDS_HESS = {"dogleg", "trust-exact"}


def minimize(fun: Callable, x0, args: tuple = (), method: str | None = None, **kwargs):
    """Minimize the scalar function ``fun(x, *args)`` with ``scipy.optimize.minimize``,
    supplying the exact gradient (``jac``) and, for the methods that use them, Hessian-vector
    products (``hessp``: Newton-CG, trust-ncg, trust-krylov, trust-constr) or the Hessian
    (``hess``: dogleg, trust-exact). ``fun`` must compute its value with tapegrad operations.

    ``x0`` is an array (or a list of numbers), a number, or a nested list/tuple/dict of arrays;
    ``fun`` receives float64 tensors in that structure, and the result's ``x`` (and ``jac``)
    come back in it as NumPy arrays. Other keyword arguments go to SciPy unchanged; a ``jac``,
    ``hess`` or ``hessp`` you give replaces tapegrad's. Bounds, constraints and callbacks see
    the flattened vector (the leaves of ``x0`` in order).

    >>> import tapegrad as tg
    >>> def rosenbrock(x):
    ...     return tg.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> result = tg.optimize.minimize(
    ...     rosenbrock, [-1.2, 1.0, 1.0], method="Newton-CG", options={"xtol": 1e-10}
    ... )
    >>> result.success, result.x.round(6)
    (True, array([1., 1., 1.]))
    """
    scipy_minimize = _scipy_minimize()
    problem = _Problem(fun, x0, args)
    name = method.lower() if isinstance(method, str) else None
    objective = problem.value
    if name not in _NO_DERIVATIVES and kwargs.get("jac", True) is True:
        kwargs["jac"] = True
        objective = problem.value_and_grad
    if name in _TAKES_HESSP and "hess" not in kwargs:
        kwargs.setdefault("hessp", problem.hessp)
    if name in _NEEDS_HESS:
        kwargs.setdefault("hess", problem.hess)
    result = scipy_minimize(objective, problem.x0, method=method, **kwargs)
    result.x = problem.rebuild(result.x)
    if isinstance(result.get("jac"), np.ndarray) and result.jac.shape == problem.x0.shape:
        result.jac = problem.rebuild(result.jac)
    return result


def _scipy_minimize():
    try:
        from scipy.optimize import minimize as scipy_minimize
    except ImportError:
        raise ImportError(
            "tg.optimize.minimize needs SciPy, an optional dependency of tapegrad: install it "
            "with `pip install scipy` (or `pip install 'tapegrad[examples]'`)"
        ) from None
    return scipy_minimize


class _Problem:
    """``fun`` seen by SciPy: a function of one flat float64 vector, with its derivatives."""

    def __init__(self, fun: Callable, x0, args: tuple):
        self.fun, self.args = fun, tuple(args)
        if _numbers_only(x0):  # [1.0, 2.0] is an array to SciPy users, not a structure
            x0 = np.asarray(x0)
        leaves, self._rebuild = flatten(x0)
        arrays = [_float64(leaf) for leaf in leaves]
        self.shapes = [a.shape for a in arrays]
        self.sizes = [a.size for a in arrays]
        self.x0 = np.concatenate([a.ravel() for a in arrays]) if arrays else np.zeros(0)

    def rebuild(self, flat: np.ndarray):
        """The flat vector as NumPy arrays in the structure of ``x0``."""
        return self._rebuild(self._split(np.asarray(flat, dtype=np.float64), np.reshape))

    def _split(self, flat, reshape_fn) -> list:
        if len(self.shapes) == 1:
            return [reshape_fn(flat, self.shapes[0])]
        out, at = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            out.append(reshape_fn(flat[at : at + size], shape))
            at += size
        return out

    def _call(self, x: Tensor) -> Tensor:
        y = self.fun(self._rebuild(self._split(x, reshape)), *self.args)
        if not isinstance(y, Tensor) or y.size != 1:
            kind = f"a {type(y).__name__}" if not isinstance(y, Tensor) else f"shape {y.shape}"
            raise TypeError(
                f"tg.optimize.minimize: fun must return a scalar tensor computed with tapegrad "
                f"operations (tg.sum, tg.exp, ...), so that it can be differentiated; it returned "
                f"{kind}"
            )
        return reshape(y, ())

    def value(self, x: np.ndarray) -> float:
        return float(self._call(constant(x)))

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        xt = constant(x)
        with GradientTape() as tape:
            tape.watch(xt)
            y = self._call(xt)
        g = tape.gradient(y, xt, unconnected_gradients="zero")
        return float(y), np.array(g.numpy(), dtype=np.float64)

    def hessp(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """H(x) p by forward mode over reverse mode: the JVP of the gradient along ``p``."""
        xt = constant(x)
        with ForwardAccumulator(xt, constant(np.asarray(p, dtype=np.float64))) as acc:
            with GradientTape() as tape:
                tape.watch(xt)
                y = self._call(xt)
            g = tape.gradient(y, xt, unconnected_gradients="zero")
        return np.array(acc.jvp(g, unconnected_gradients="zero").numpy(), dtype=np.float64)

    def hess(self, x: np.ndarray) -> np.ndarray:
        """The full Hessian: the Jacobian of the gradient, by a tape over a tape."""
        xt = constant(x)
        with GradientTape() as outer:
            outer.watch(xt)
            with GradientTape() as inner:
                inner.watch(xt)
                y = self._call(xt)
            g = inner.gradient(y, xt, unconnected_gradients="zero")
        h = outer.jacobian(g, xt, unconnected_gradients="zero")
        return np.array(h.numpy(), dtype=np.float64)


def _float64(leaf) -> np.ndarray:
    value = to_numpy(leaf._value) if isinstance(leaf, Tensor) else np.asarray(leaf)
    if kind_of(value.dtype) not in "biuf":
        raise TypeError(
            f"tg.optimize.minimize works on real numbers; x0 holds a {value.dtype} value "
            f"{value!r:.60}"
        )
    return np.array(value, dtype=np.float64)


def _numbers_only(x0) -> bool:
    if not isinstance(x0, (list, tuple)):
        return False
    leaves, _ = flatten(x0)
    return bool(leaves) and all(isinstance(v, (int, float, np.number)) for v in leaves)
