"""Lion (evolved sign momentum), with Keras 3's update formula."""

from __future__ import annotations

from .._backend import xp_of
from ._checks import Option
from ._optimizer import Optimizer


class Lion(Optimizer):
    """Lion, as Keras 3 computes it: ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``. Every coordinate moves by exactly ``lr`` (or 0).

    >>> import tapegrad as tg
    >>> w = tg.Variable([1.0, 1.0])
    >>> _ = tg.optimizers.Lion(learning_rate=0.5).apply_gradients([(tg.constant([3.0, -1e-6]), w)])
    >>> print(w)
    <tg.Variable 'Variable:0' shape=(2,) dtype=float32, numpy=array([0.5, 1.5], dtype=float32)>
    """

    _checks = {
        **Optimizer._checks,
        "beta_1": Option("(0, 1]", why=": with beta_1 <= 0 Lion degenerates to sign SGD"),
        "beta_2": "[0, 1]",
    }

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    _slot_initials = {"momentum": 0.0}

    def _update_step(self, grad, var, lr, slots) -> None:
        m = slots["momentum"]
        direction = xp_of(grad).sign(m * self.beta_1 + grad * (1.0 - self.beta_1))
        self._assign_sub(var, lr * direction)
        slots["momentum"] = m * self.beta_2 + grad * (1.0 - self.beta_2)
