"""Stochastic gradient descent, with Keras 3's update formulas."""

from __future__ import annotations

import numpy as np

from .._fused import TAKES_KERNELS, Fused
from ._optimizer import Optimizer

# the plain step as one kernel on CuPy (elsewhere _assign_sub writes in place where it can)
_STEP = Fused(
    "sgd_step", "var grad lr:scalar", "out = var - grad * lr", lambda v, g, lr: v - g * lr
)


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as Keras computes it:

    without momentum ``w -= lr * g``; with momentum ``m = momentum * m - lr * g`` and then
    ``w += m`` (or ``w += momentum * m - lr * g`` with ``nesterov=True``).

    The options every optimizer takes (``weight_decay``, ``clipnorm``, ``clipvalue``,
    ``global_clipnorm``, ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``,
    ``loss_scale_factor``, ``gradient_accumulation_steps``, ``name``) are Keras 3's; see
    ``tg.optimizers.Optimizer``.

    >>> import tapegrad as tg
    >>> x = tg.Variable(0.0)
    >>> opt = tg.optimizers.SGD(learning_rate=0.1)
    >>> for _ in range(100):
    ...     with tg.GradientTape() as tape:
    ...         z = x ** 2 + 2 * x + 1
    ...     _ = opt.apply_gradients([(tape.gradient(z, x), x)])
    >>> print(x)
    <tg.Variable 'Variable:0' shape=() dtype=float32, numpy=-0.9999999>
    """

    _checks = {**Optimizer._checks, "momentum": "[0, 1]", "nesterov": "bool"}

    def __init__(
        self,
        learning_rate=0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.momentum = momentum
        self.nesterov = nesterov

    def _slot_initials_for(self) -> dict:
        return {"momentum": 0.0} if self.momentum != 0 else {}

    def _update_step(self, grad, var, lr, slots) -> None:
        if self.momentum == 0:
            # no local name for var._value: _assign_sub counts its references
            kind = type(var._value)
            if (
                kind is not np.ndarray
                and TAKES_KERNELS.get(kind) is not False
                and _STEP.applies((var._value, grad, lr))
            ):
                var._value = _STEP.launch(var._value, grad, lr)  # of the variable's dtype
            else:
                self._assign_sub(var, grad * lr)
            return
        step = grad * lr
        m = slots["momentum"] * self.momentum - step
        slots["momentum"] = m
        self._assign(var, var._value + (m * self.momentum - step if self.nesterov else m))
