"""FTRL-Proximal, with Keras 3's update formula."""

from __future__ import annotations

from .._backend import xp_of
from .._dtypes import REAL_FLOAT_TYPES, kind_of
from ._optimizer import Optimizer, _shrink_magnitude, _times_conj


class Ftrl(Optimizer):
    """Follow The Regularized Leader, as Keras 3 computes it (``p = -learning_rate_power``,
    ``l2' = l2_regularization_strength + beta / (2 * lr)``):

    ``n' = n + g**2``, ``z += g + 2 * l2_shrinkage * w - (n'**p - n**p) / lr * w``,
    ``w = (clip(z, -l1, l1) - z) / (n'**p / lr + 2 * l2')``, ``n = n'``.

    For complex variables the L1 term shrinks each entry's magnitude (soft thresholding, phase
    kept): ``w = -(z - l1 * z / |z|) / (...)`` where ``|z| > l1``, else 0; for real ``z`` this is
    the formula above. The step divides by the learning rate, so a learning rate of 0 (such as
    the first step of a warm-up from 0) is refused with a ValueError (Keras gives NaN weights).

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

    def _check_learning_rate(self, lr: float) -> None:
        if lr == 0:
            who = "Ftrl" if self.name == "Ftrl" else f"{self.name} (Ftrl)"
            raise ValueError(
                f"{who} cannot take a step with learning rate 0: its update divides "
                "by the learning rate (Keras would make every weight NaN), and nothing was "
                "changed; use a learning rate > 0, e.g. start a warm-up schedule above 0 "
                "(CosineDecay(initial_learning_rate=1e-6, ...)) rather than at 0"
            )

    def _update_step(self, grad, var, lr, slots) -> None:
        xp, w = xp_of(grad), var._value
        p = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        n, n_new = slots["accumulator"], slots["accumulator"] + _times_conj(grad, grad)
        shrunk = grad + 2 * self.l2_shrinkage_regularization_strength * w
        z = slots["linear"] + shrunk - (n_new**p - n**p) / lr * w
        quadratic = n_new**p / lr + 2 * l2
        if type(z.dtype) in REAL_FLOAT_TYPES or kind_of(z.dtype) != "c":
            shrunk = xp.clip(z, -l1, l1)
        else:  # |z| soft-thresholded by l1, the phase kept (a complex clip would compare
            shrunk = _shrink_magnitude(z, l1, z)  # complex numbers lexicographically)
        self._assign(var, (shrunk - z) / quadratic)
        slots["linear"], slots["accumulator"] = z, n_new
