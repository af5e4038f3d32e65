"""Finite-difference derivatives accurate enough to check automatic differentiation against.

Three difference formulas are available through ``method=``:

``"central"`` (default)
    ``(f(x + h) - f(x - h)) / (2 h)``. The truncation error is O(h**2) and the rounding
    error O(eps |f| / h); the default step balances the two, so a smooth function gets
    about ``eps**(2/3)`` relative error: 1e-11 to 1e-10 in float64 (1e-6 is a safe bound)
    and about 1e-5 in float32 (1e-3 is a safe bound).
``"forward"``
    ``(f(x + h) - f(x)) / h``, stepping towards larger x only. The truncation error is
    O(h), so the best it can do is about ``sqrt(eps)``: 1e-8 to 1e-7 relative in float64
    (1e-6 is a safe bound) and only 1e-3 to 1e-2 in float32. It needs fewer evaluations
    and never evaluates f below x.
``"complex"``
    The complex step ``Im(f(x + i h)) / h``. Nothing is subtracted, so the step can be
    tiny and the result is exact to rounding (a few 1e-16 relative in float64, about 1e-6
    in float32) for a real-analytic f written with operations that accept complex input:
    ``np.sin``, not ``math.sin``; no ``abs``, ``np.real`` or comparisons on x.

``richardson=True`` forms the difference at steps h, h/2, h/4 and h/8 and combines them
so that the leading error terms cancel (Richardson extrapolation). Its default step is
larger, as the truncation error it leaves is O(h**8) (O(h**4) for forward); central
differences then reach about 1e-12 relative in float64 (1e-8 is a safe bound) and
forward ones about 1e-10. In float32 rounding dominates and it gains little.

All these figures assume |f| is not much larger than ``|f'|`` times f's length scale:
the rounding error grows with |f|, so a large constant added to f costs accuracy.

Steps. The step must be small next to the length over which f changes, and that length
is unknown: it is near ``|x|`` for ``log`` or powers and near 1 for ``sin`` or ``exp``.
Unless ``step=`` is given, the difference is formed for each of the length scales 1,
``sqrt(|x|)`` and ``|x|`` (``h = eps**(1/3) * scale`` for central, ``eps**(1/2)`` for
forward, ``eps**(1/9)`` and ``eps**(1/5)`` with Richardson), and per element the result
with the smallest error estimate is kept. The estimate is the change from a step twice
as large (or between the last two extrapolations) plus the rounding error of the
function values; a step that leaves f's domain gives NaN and is never kept (so does a
step where f raises ArithmeticError or ValueError, as ``math.log`` does; at x itself
such an error propagates), and a large step whose result disagrees with a smaller
step's beyond that one's error is charged the disagreement. Steps are rounded so that
``x + h`` is exactly representable, and central steps point away from zero. The complex
step is ``eps * |x|`` (``eps`` at 0).
``step=`` (a positive scalar or array) fixes the step and skips the search.

Complex x. :func:`derivative` and :func:`jacobian` move each element ``z = x + iy`` of x
along the real axis and give ``df/dx``: for a holomorphic f (``z**2``, ``np.exp``) that is
the complex derivative ``f'(z)``, as ``tg.jacfwd`` and ``tg.jacobian`` give with
``holomorphic=True``; for another f it is only the derivative along x. :func:`gradient`
follows ``tg.grad`` (TensorFlow's convention), so that the two can be compared: f must be
real, and the gradient is ``df/dx + i df/dy``, the direction of steepest ascent (``2 z``
for ``|z|**2``, ``y + ix`` for ``Re(z) Im(z)``).

Cost per element of x (per column of a Jacobian), with the default step: 12 evaluations
of f for central, 6 for forward and 1 for complex; twice as many with Richardson (4 for
complex); and one evaluation at x itself.

Types. A Python number x is differentiated in float64. NumPy arrays and scalars keep
their floating dtype (float32 stays float32); integer and boolean ones become float64.
Arrays of other Array API libraries that ``array_api_compat`` recognises (PyTorch, CuPy,
JAX, ...) stay in their library. Anything else, such as a tapegrad tensor or another
object with ``__array__`` or ``.numpy()``, is read with ``np.asarray``. The outputs of
f go through the same conversion.

>>> import numpy as np
>>> round(float(derivative(np.log, 2.0)), 9)
0.5
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["METHODS", "derivative", "gradient", "jacobian"]

METHODS = ("central", "forward", "complex")

# Richardson extrapolation combines this many steps, each half the previous one.
_LEVELS = 4

# Default step h = eps**exponent * scale: each exponent balances truncation against
# rounding for its error order (h**2, h, h**8 and h**4 for forward with Richardson).
_STEP_EXPONENT = {
    ("central", False): 1 / 3,
    ("forward", False): 1 / 2,
    ("central", True): 1 / 9,
    ("forward", True): 1 / 5,
}

# A smaller step's value is taken to be within this many of its error estimates.
_TRUST = 4

# Order of the leading error term and of each further one, for the extrapolation.
_ERROR_ORDER = {"central": 2, "forward": 1, "complex": 2}


def derivative(
    f: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "central",
    step: Any = None,
    richardson: bool = False,
) -> Any:
    """Derivative of ``f`` at ``x``.

    For a scalar ``x`` this is ``df/dx``, with the shape of ``f(x)``. For an array ``x``,
    f must act elementwise: every element is moved by its own step at once, and the
    result is the elementwise derivative ``(f(x + h) - f(x - h)) / (2 h)`` (for central
    differences), with the shape of ``x``. Use :func:`jacobian` for other functions.
    A complex ``x`` is moved along the real axis: for a holomorphic f the result is
    ``f'(z)`` (see the module docs).

    Args:
        f: function of one argument returning a number or array.
        x: point, a Python number or array.
        method: ``"central"``, ``"forward"`` or ``"complex"`` (see the module docs).
        step: positive step, scalar or array broadcasting to ``x``; chosen when None.
        richardson: apply Richardson extrapolation: True or False.

    Returns:
        An array (0-d for scalar results), float64 for a Python number ``x``.

    >>> import numpy as np
    >>> round(float(derivative(np.sin, 0.0)), 9)
    1.0
    >>> derivative(lambda t: t**3, np.array([1.0, 2.0]), method="complex").round(9)
    array([ 3., 12.])
    """
    richardson = _check_options(method, richardson)
    xp, point = _as_point(x, "x")
    setup = _Setup.make(f, xp, point, method)
    return _estimate(setup, _whole, _steps(setup, step, richardson), richardson)


def gradient(
    f: Callable[..., Any],
    *args: Any,
    method: str = "central",
    step: Any = None,
    richardson: bool = False,
) -> Any:
    """Gradient of the scalar function ``f`` with respect to each of its arguments.

    Args:
        f: function of ``len(args)`` arguments returning a single number, a real one
            where an argument is complex.
        *args: the point; each argument may be a number or an array.
        method: ``"central"``, ``"forward"`` or ``"complex"`` (see the module docs).
        step: as for :func:`derivative`, applied to every argument; with several
            arguments, a tuple gives one step per argument.
        richardson: apply Richardson extrapolation.

    Returns:
        With one argument, an array shaped like it; with several, a tuple of such arrays,
        one per argument. For a complex argument ``z = x + iy``, ``df/dx + i df/dy`` in
        its dtype, as ``tg.grad`` gives (see the module docs).

    >>> import numpy as np
    >>> gradient(lambda v: np.sum(v**2), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    >>> dx, dy = gradient(lambda x, y: x * y**2, 3.0, 2.0)
    >>> round(float(dx), 6), round(float(dy), 6)
    (4.0, 12.0)
    >>> gradient(lambda z: np.abs(z) ** 2, 3 + 4j).round(6)
    np.complex128(6+8j)
    """
    if not args:
        raise TypeError("gradient needs at least one argument to differentiate f at")
    richardson = _check_options(method, richardson)
    points = [_as_point(arg, f"argument {i}") for i, arg in enumerate(args)]
    steps = _per_argument(step, len(args))
    grads = tuple(
        _partial_gradient(f, points, i, steps[i], method, richardson) for i in range(len(args))
    )
    return grads if len(grads) > 1 else grads[0]


def jacobian(
    f: Callable[[Any], Any],
    x: Any,
    *,
    method: str = "central",
    step: Any = None,
    richardson: bool = False,
) -> Any:
    """Jacobian of ``f`` at ``x``: entry ``[i..., j...]`` is ``d f(x)[i...] / d x[j...]``.

    For complex x the derivatives are taken along the real axis, giving ``f'(z)`` entries
    for a holomorphic f (see the module docs).

    Args:
        f: function of one argument returning a number or array.
        x: point, a Python number or array.
        method: ``"central"``, ``"forward"`` or ``"complex"`` (see the module docs).
        step: positive step, scalar or array broadcasting to ``x``; chosen when None.
        richardson: apply Richardson extrapolation.

    Returns:
        An array of shape ``f(x).shape + x.shape``.

    >>> import numpy as np
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> jacobian(lambda v: a @ v, np.array([0.5, -1.0])).round(6)
    array([[1., 2.],
           [3., 4.],
           [5., 6.]])
    """
    richardson = _check_options(method, richardson)
    xp, point = _as_point(x, "x")
    return _jacobian(_Setup.make(f, xp, point, method), step, richardson)


@dataclass(frozen=True)
class _Setup:
    """One differentiation: f, the point, the method and f's value there."""

    f: Callable[[Any], Any]
    xp: Any
    x: Any
    method: str
    fx: Any

    @classmethod
    def make(cls, f: Callable[[Any], Any], xp: Any, x: Any, method: str) -> _Setup:
        if not callable(f):
            raise TypeError(f"f must be callable, got {type(f).__name__}")
        if method == "complex" and _is_dtype(xp, x.dtype, "complex floating"):
            raise ValueError(
                f"method='complex' needs a real x, got dtype {x.dtype}; "
                "use method='central' or 'forward' for complex x"
            )
        return cls(f, xp, x, method, _call(f, xp, x))

    def call(self, point: Any) -> Any:
        """f at a trial point near x: NaN, to be discarded, where the step left f's domain."""
        # Steps that leave f's domain are tried and then discarded: their warnings are noise.
        with np.errstate(all="ignore") if self.xp is np else contextlib.nullcontext():
            try:
                return _call(self.f, self.xp, point)
            except (ArithmeticError, ValueError):
                # Where np.log gives NaN, math.log raises ValueError and 1 / 0.0 raises
                # ZeroDivisionError. f worked at x itself (make called it there, and lets
                # such errors through), so the step is what failed.
                return self._nan(point)

    def _nan(self, point: Any) -> Any:
        """NaN in place of f's values at ``point``, with the dtype they would have had."""
        xp, fx = self.xp, self.fx
        if self.method == "complex":
            dtype = point.dtype  # the complex step reads the imaginary part of f's values
        elif _is_dtype(xp, fx.dtype, _FLOATING):
            dtype = fx.dtype
        else:  # integer values: their differences are divided by real steps
            dtype = xp.abs(self.x).dtype
        return _full(xp, fx.shape, math.nan, dtype, point)


def _check_options(method: str, richardson: Any) -> bool:
    """Reject an unknown method or a non-boolean richardson; richardson as a bool."""
    if method not in METHODS:
        valid = ", ".join(repr(m) for m in METHODS)
        raise ValueError(f"unknown method {method!r}; use one of {valid}")
    # A string such as "no" would otherwise be truthy, or fail as a missing table key.
    flag = isinstance(richardson, bool | np.bool_)
    if not (flag or isinstance(richardson, numbers.Integral) and richardson in (0, 1)):
        raise TypeError(f"richardson must be True or False, got {richardson!r}")
    return bool(richardson)


@functools.cache
def _compat() -> Any:
    try:
        import array_api_compat
    except ImportError:
        return None
    return array_api_compat


def _namespace(x: Any) -> Any:
    # tapegrad tensors are read as plain data, so that a check runs outside any tape.
    if isinstance(x, np.ndarray | np.generic | numbers.Number) or _from_tapegrad(x):
        return np
    compat = _compat()
    if compat is None:  # the libraries tapegrad knows without it (CuPy's bare namespace ...)
        from ._backend import backend_name, is_array, xp_of

        return xp_of(x) if is_array(x) and backend_name(x) != "numpy" else np
    if not compat.is_array_api_obj(x):
        return np
    xp = compat.array_namespace(x)
    return np if compat.is_numpy_namespace(xp) else xp


def _from_tapegrad(x: Any) -> bool:
    return type(x).__module__.partition(".")[0] == "tapegrad"


def _to_array(xp: Any, value: Any) -> Any:
    if xp is not np:
        return xp.asarray(value)
    if not hasattr(value, "__array__") and callable(getattr(value, "numpy", None)):
        value = value.numpy()
    return np.asarray(value)


_FLOATING = ("real floating", "complex floating")


def _is_dtype(xp: Any, dtype: Any, kind: str | tuple[str, ...]) -> bool:
    """Array API ``isdtype``: a kind, or a tuple of kinds any of which will do."""
    if xp is np:
        kinds = {"bool": "b", "real floating": "f", "complex floating": "c", "numeric": "iufc"}
        names = (kind,) if isinstance(kind, str) else kind
        return np.dtype(dtype).kind in "".join(kinds[name] for name in names)
    return xp.isdtype(dtype, kind)


def _astype(xp: Any, x: Any, dtype: Any) -> Any:
    return xp.astype(x, dtype) if hasattr(xp, "astype") else x.astype(dtype)


def _as_point(x: Any, name: str) -> tuple[Any, Any]:
    xp = _namespace(x)
    try:
        point = _to_array(xp, x)
        numeric = _is_dtype(xp, point.dtype, ("numeric", "bool"))
    except (TypeError, ValueError):
        numeric = False
    if not numeric:
        raise TypeError(f"{name} must be a number or a numeric array, got {type(x).__name__}")
    if not _is_dtype(xp, point.dtype, _FLOATING):
        point = _astype(xp, point, xp.float64)
    if not bool(xp.all(xp.isfinite(point))):
        raise ValueError(
            f"{name} must be finite, got {_non_finite(xp, point)}; "
            "finite differences need a point where f is defined"
        )
    return xp, point


def _non_finite(xp: Any, point: Any) -> str:
    if point.ndim == 0:
        return repr(
            complex(point) if _is_dtype(xp, point.dtype, "complex floating") else float(point)
        )
    return "an array containing nan" if bool(xp.any(xp.isnan(point))) else "an array containing inf"


def _call(f: Callable[[Any], Any], xp: Any, point: Any) -> Any:
    value = f(point)
    try:
        out = _to_array(xp, value)
        numeric = _is_dtype(xp, out.dtype, "numeric")
    except (TypeError, ValueError):
        numeric = False
    if not numeric:
        raise TypeError(
            f"f must return a number or a numeric array, got {type(value).__name__} {value!r:.60}"
        )
    return out


def _partial_gradient(
    f: Callable[..., Any],
    points: Sequence[tuple[Any, Any]],
    index: int,
    step: Any,
    method: str,
    richardson: bool,
) -> Any:
    def along(arg: Any) -> Any:
        return f(*(arg if i == index else p for i, (_, p) in enumerate(points)))

    xp, point = points[index]
    setup = _scalar_setup(along, xp, point, method)
    grad = xp.reshape(_jacobian(setup, step, richardson), point.shape)
    if not _is_dtype(xp, point.dtype, "complex floating"):
        return grad
    # tg.grad's convention for z = x + iy is df/dx + i df/dy; jacobian gave df/dx, as it moves
    # the real part of its point only. df/dy is the same derivative of w -> f(i w) at w = -i z
    # (multiplying by -1j and 1j only swaps and negates real and imaginary parts: exact).
    turned = _scalar_setup(lambda w: along(w * 1j), xp, point * -1j, method)
    grad_y = xp.reshape(_jacobian(turned, step, richardson), point.shape)
    return _astype(xp, grad, point.dtype) + _astype(xp, grad_y, point.dtype) * 1j


def _scalar_setup(f: Callable[[Any], Any], xp: Any, point: Any, method: str) -> _Setup:
    """The setup for a gradient: f must give one number, a real one for a complex point."""
    setup = _Setup.make(f, xp, point, method)
    if math.prod(setup.fx.shape) != 1:
        raise ValueError(
            f"gradient needs f to return a single number, got shape {tuple(setup.fx.shape)}; "
            "use jacobian for array outputs"
        )
    if _is_dtype(xp, point.dtype, "complex floating") and _is_dtype(
        xp, setup.fx.dtype, "complex floating"
    ):
        # As tg.grad: of complex values, neither conj(f'(z)) nor f'(z) is "the" gradient.
        raise TypeError(
            f"gradient of complex arguments needs f to return a real number, got "
            f"{setup.fx.dtype}; differentiate a real value such as np.real(f(z)) or "
            "np.abs(f(z))**2, or use derivative or jacobian for f'(z) of a holomorphic f"
        )
    return setup


def _per_argument(step: Any, count: int) -> list[Any]:
    if count > 1 and isinstance(step, tuple):
        if len(step) != count:
            raise ValueError(f"step has {len(step)} entries for {count} arguments")
        return list(step)
    return [step] * count


def _jacobian(setup: _Setup, step: Any, richardson: bool) -> Any:
    xp, x = setup.xp, setup.x
    size = math.prod(x.shape)
    shape = tuple(setup.fx.shape) + tuple(x.shape)
    if size == 0:
        return _full(xp, shape, 0, setup.fx.dtype, x)
    steps = _steps(setup, step, richardson)
    index = xp.reshape(_arange(xp, size, x), x.shape)
    columns = [_estimate(setup, _basis(xp, index, j), steps, richardson) for j in range(size)]
    return xp.reshape(xp.stack(columns, axis=-1), shape)


def _full(xp: Any, shape: Any, value: float, dtype: Any, like: Any) -> Any:
    """An array of ``value`` on the device of ``like``."""
    if xp is np:
        return np.full(shape, value, dtype=dtype)
    return xp.full(shape, value, dtype=dtype, device=_compat().device(like))


def _arange(xp: Any, size: int, like: Any) -> Any:
    if xp is np:
        return np.arange(size)
    return xp.arange(size, device=_compat().device(like))


def _whole(h: Any) -> tuple[Any, Any]:
    return h, h


def _basis(xp: Any, index: Any, j: int) -> Callable[[Any], tuple[Any, Any]]:
    """Moves element ``j`` of x only."""

    def direction(h: Any) -> tuple[Any, Any]:
        shift = xp.where(index == j, h, xp.zeros_like(h))
        return shift, xp.reshape(h, (-1,))[j]

    return direction


def _steps(setup: _Setup, step: Any, richardson: bool) -> list[Any]:
    """Candidate base steps, shaped like x; more than one only for the default step."""
    xp = setup.xp
    size = xp.abs(setup.x)
    if step is not None:
        return [_user_step(setup, size, step, richardson)]
    eps = float(xp.finfo(size.dtype).eps)
    tiny = float(xp.finfo(size.dtype).smallest_normal)
    # At x = 0 there is no length to go by; near underflow, eps * |x| loses its bits.
    scale = xp.where(size > 0, size, xp.ones_like(size))
    scale = xp.maximum(scale, xp.full_like(scale, tiny / eps))
    if setup.method == "complex":
        # No cancellation: a tiny step costs nothing and removes truncation error.
        return [eps * scale]
    factor = eps ** _STEP_EXPONENT[(setup.method, richardson)]
    # Even the finest step must move x by a few units in the last place.
    least = 4 * _finest(richardson) * eps * scale
    scales = (xp.ones_like(scale), xp.sqrt(scale), scale)
    return [_orient(setup, xp.maximum(factor * s, least)) for s in scales]


def _user_step(setup: _Setup, size: Any, step: Any, richardson: bool) -> Any:
    xp = setup.xp
    h = xp.asarray(step, dtype=size.dtype)
    if not bool(xp.all(xp.isfinite(h) & (h > 0))):
        raise ValueError(f"step must be positive and finite, got {step!r}")
    try:
        h = _orient(setup, xp.broadcast_to(h, size.shape))
    except ValueError:
        raise ValueError(
            f"step of shape {tuple(h.shape)} does not broadcast to x's shape {tuple(size.shape)}"
        ) from None
    if bool(xp.any(_exact(setup, h / _finest(richardson)) == 0)):
        raise ValueError(
            f"step={step!r} is too small to change x in {setup.x.dtype}; "
            "use a larger step or step=None"
        )
    return h


def _finest(richardson: bool) -> int:
    """How many times smaller than the base step the finest step is."""
    return 2 ** (_LEVELS - 1) if richardson else 1


def _orient(setup: _Setup, h: Any) -> Any:
    """Central steps point away from zero, so that x - h is exact whenever x + h is."""
    xp, x = setup.xp, setup.x
    if setup.method != "central" or _is_dtype(xp, x.dtype, "complex floating"):
        return h
    return xp.where(x < 0, -h, h)


def _estimate(
    setup: _Setup,
    direction: Callable[[Any], tuple[Any, Any]],
    steps: Sequence[Any],
    richardson: bool,
) -> Any:
    """The difference for the given base steps; the most trusted one if several."""
    xp = setup.xp
    if len(steps) == 1:
        return xp.asarray(_extrapolate(setup, direction, steps[0], richardson, False)[0])
    candidates = [
        (xp.abs(direction(h)[1]), *_extrapolate(setup, direction, h, richardson, True))
        for h in steps
    ]
    # NumPy turns 0-d results into scalars; keep them arrays.
    return xp.asarray(_most_trusted(xp, candidates))


def _most_trusted(xp: Any, candidates: Sequence[tuple[Any, Any, Any]]) -> Any:
    """Per element, the value with the smallest error estimate.

    A large step can look converged when it averages f over its features (a step near
    2 pi for sin gives about 0 at every level), so a candidate that disagrees with one at
    a smaller step by more than that one's error bound is charged the whole disagreement.
    """
    errors = [_charged(xp, candidate, candidates) for candidate in candidates]
    best, best_error = candidates[0][1], errors[0]
    for (_, value, _), error in zip(candidates[1:], errors[1:], strict=True):
        better = error < best_error
        best = xp.where(better, value, best)
        best_error = xp.where(better, error, best_error)
    return best


def _charged(
    xp: Any, candidate: tuple[Any, Any, Any], candidates: Sequence[tuple[Any, Any, Any]]
) -> Any:
    step, value, error = candidate
    for other_step, other_value, other_error in candidates:
        conflict = xp.abs(value - other_value)
        charge = (other_step < step) & (conflict > _TRUST * other_error) & (conflict > error)
        error = xp.where(charge, conflict, error)
    return error


def _extrapolate(
    setup: _Setup,
    direction: Callable[[Any], tuple[Any, Any]],
    h: Any,
    richardson: bool,
    want_error: bool,
) -> tuple[Any, Any]:
    """Difference at step h (or extrapolated from h down) and an estimate of its error."""
    xp = setup.xp
    if richardson:
        levels = [h / 2**k for k in range(_LEVELS)]
    else:
        levels = [2 * h, h] if want_error else [h]
    results = [_difference(setup, *direction(_exact(setup, hk))) for hk in levels]
    values = [value for value, _ in results]
    noise = results[-1][1]
    if richardson:
        values = _richardson(values, _ERROR_ORDER[setup.method])
        noise = 2 * noise
    if len(values) == 1:
        return values[0], None
    error = xp.abs(values[-1] - values[-2]) + noise
    return values[-1], xp.where(xp.isnan(error), xp.full_like(error, math.inf), error)


def _richardson(values: Sequence[Any], order: int) -> list[Any]:
    """The diagonal of the tableau: best estimates using 1, 2, ... of the steps."""
    column = list(values)
    diagonal = [column[0]]
    for j in range(1, len(values)):
        factor = 2.0 ** (order * j) - 1
        column = [fine + (fine - coarse) / factor for coarse, fine in itertools.pairwise(column)]
        diagonal.append(column[0])
    return diagonal


def _exact(setup: _Setup, h: Any) -> Any:
    """h rounded so that x + h is exact, keeping rounding of x out of the difference."""
    xp, x = setup.xp, setup.x
    if setup.method == "complex":
        return h
    if _is_dtype(xp, x.dtype, "complex floating"):
        return xp.real((x + h) - x)
    return (x + h) - x


def _difference(setup: _Setup, shift: Any, div: Any) -> tuple[Any, Any]:
    """One difference quotient and the size of its rounding error."""
    xp, x = setup.xp, setup.x
    if setup.method == "complex":
        return _complex_step(setup, shift, div)
    if setup.method == "forward":
        high, low = setup.call(x + shift), setup.fx
        value = (high - low) / div
        rounding = (xp.abs(high) + xp.abs(low)) / xp.abs(div)
    else:
        high, low = setup.call(x + shift), setup.call(x - shift)
        value = (high - low) / (2 * div)
        rounding = (xp.abs(high) + xp.abs(low)) / (2 * xp.abs(div))
    return value, float(xp.finfo(value.dtype).eps) * rounding


def _complex_step(setup: _Setup, shift: Any, div: Any) -> tuple[Any, Any]:
    xp, x = setup.xp, setup.x
    cdtype = xp.result_type(x.dtype, xp.complex64)
    out = setup.call(_astype(xp, x, cdtype) + _astype(xp, shift, cdtype) * 1j)
    if not _is_dtype(xp, out.dtype, "complex floating"):
        raise ValueError(
            f"method='complex' needs f to return complex values for complex input, got "
            f"dtype {out.dtype}; write f with operations that accept complex numbers "
            "(np.sin, not math.sin; no abs or np.real) or use method='central'"
        )
    value = xp.imag(out) / div
    return value, float(xp.finfo(value.dtype).eps) * xp.abs(value)
