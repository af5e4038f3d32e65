"""Optimizers with per-coordinate step sizes from running averages of squared gradients:
RMSprop, Adagrad and Adadelta, with Keras 3's update formulas (epsilon inside the root)."""

from __future__ import annotations

from .._backend import xp_of
from ._checks import EPSILON
from ._optimizer import Optimizer, _times_conj


class RMSprop(Optimizer):
    """RMSprop, as Keras 3 computes it:

    ``v = rho * v + (1 - rho) * g**2``; centered: ``a = rho * a + (1 - rho) * g`` and the
    denominator is ``sqrt(v - a**2 + epsilon)``, else ``sqrt(v + epsilon)``;
    ``step = lr * g / denominator``; with momentum ``p = momentum * p + step`` and ``w -= p``,
    else ``w -= step``.

    >>> import tapegrad as tg
    >>> opt = tg.optimizers.RMSprop()
    >>> opt.rho, opt.epsilon
    (0.9, 1e-07)
    """

    _checks = {
        **Optimizer._checks,
        "rho": "[0, 1]",
        "momentum": "[0, 1]",
        "epsilon": EPSILON,
        "centered": "bool",
    }

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _slot_initials_for(self) -> dict:
        slots = {"velocity": 0.0}
        if self.momentum > 0:
            slots["momentum"] = 0.0
        if self.centered:
            slots["average_gradient"] = 0.0
        return slots

    def _update_step(self, grad, var, lr, slots) -> None:
        rho = self.rho
        v = slots["velocity"] = rho * slots["velocity"] + (1 - rho) * _times_conj(grad, grad)
        if self.centered:
            a = slots["average_gradient"] = rho * slots["average_gradient"] + (1 - rho) * grad
            denominator = v - _times_conj(a, a) + self.epsilon
        else:
            denominator = v + self.epsilon
        step = lr * grad / xp_of(denominator).sqrt(denominator)
        if self.momentum > 0:
            step = slots["momentum"] = self.momentum * slots["momentum"] + step
        self._assign_sub(var, step)


class Adagrad(Optimizer):
    """Adagrad, as Keras 3 computes it: ``a = a + g**2`` (``a`` starts at
    ``initial_accumulator_value``), ``w -= lr * g / sqrt(a + epsilon)``.

    >>> import tapegrad as tg
    >>> tg.optimizers.Adagrad().initial_accumulator_value
    0.1
    """

    # a negative accumulator would give the square root of a negative number
    _checks = {**Optimizer._checks, "initial_accumulator_value": "[0, inf)", "epsilon": EPSILON}

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_initials_for(self) -> dict:
        return {"accumulator": self.initial_accumulator_value}

    def _update_step(self, grad, var, lr, slots) -> None:
        a = slots["accumulator"] = slots["accumulator"] + _times_conj(grad, grad)
        self._assign_sub(var, lr * grad / xp_of(a).sqrt(a + self.epsilon))


class Adadelta(Optimizer):
    """Adadelta, as Keras 3 computes it (note Keras's default ``learning_rate=0.001`` scales
    the step; the original algorithm has none, i.e. 1.0):

    ``G = rho * G + (1 - rho) * g**2``,
    ``delta = -sqrt(D + epsilon) / sqrt(G + epsilon) * g``,
    ``D = rho * D + (1 - rho) * delta**2``, ``w += lr * delta``.

    >>> import tapegrad as tg
    >>> tg.optimizers.Adadelta().rho
    0.95
    """

    _checks = {**Optimizer._checks, "rho": "[0, 1]", "epsilon": EPSILON}

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.rho = rho
        self.epsilon = epsilon

    _slot_initials = {"accumulated_grad": 0.0, "accumulated_delta_var": 0.0}

    def _update_step(self, grad, var, lr, slots) -> None:
        xp, rho, eps = xp_of(grad), self.rho, self.epsilon
        g2 = rho * slots["accumulated_grad"] + _times_conj((1 - rho) * grad, grad)
        slots["accumulated_grad"] = g2
        d2 = slots["accumulated_delta_var"]
        delta = -(xp.sqrt(d2 + eps) * grad) / xp.sqrt(g2 + eps)
        slots["accumulated_delta_var"] = rho * d2 + _times_conj((1 - rho) * delta, delta)
        self._assign(var, var._value + lr * delta)
