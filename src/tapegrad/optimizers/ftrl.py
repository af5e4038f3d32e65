"""FTRL-Proximal, with Keras 3's update formula."""

from __future__ import annotations

from .._backend import xp_of
from ._optimizer import Optimizer, _times_conj


class Ftrl(Optimizer):
    """Follow The Regularized Leader, as Keras 3 computes it (``p = -learning_rate_power``,
    ``l2' = l2_regularization_strength + beta / (2 * lr)``):

    ``n' = n + g**2``, ``z += g + 2 * l2_shrinkage * w - (n'**p - n**p) / lr * w``,
    ``w = (clip(z, -l1, l1) - z) / (n'**p / lr + 2 * l2')``, ``n = n'``.

    >>> import tapegrad as tg
    >>> tg.optimizers.Ftrl().learning_rate_power
    -0.5
    """

    _checks = {
        **Optimizer._checks,
        "learning_rate_power": "(-inf, 0]",
        "initial_accumulator_value": "[0, inf)",
        "l1_regularization_strength": "[0, inf)",
        "l2_regularization_strength": "[0, inf)",
        "l2_shrinkage_regularization_strength": "[0, inf)",
        "beta": "[0, inf)",  # a negative beta could make the denominator of the step zero
    }

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_initials_for(self) -> dict:
        return {"accumulator": self.initial_accumulator_value, "linear": 0.0}

    def _update_step(self, grad, var, lr, slots) -> None:
        xp, w = xp_of(grad), var._value
        p = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        n, n_new = slots["accumulator"], slots["accumulator"] + _times_conj(grad, grad)
        shrunk = grad + 2 * self.l2_shrinkage_regularization_strength * w
        z = slots["linear"] + shrunk - (n_new**p - n**p) / lr * w
        quadratic = n_new**p / lr + 2 * l2
        self._assign(var, (xp.clip(z, -l1, l1) - z) / quadratic)
        slots["linear"], slots["accumulator"] = z, n_new
