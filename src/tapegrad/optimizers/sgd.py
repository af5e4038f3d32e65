"""Stochastic gradient descent, with Keras's update formulas."""

from __future__ import annotations

from ._optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum, as Keras computes it:

    without momentum ``w -= lr * g``; with momentum ``m = momentum * m - lr * g`` and then
    ``w += m`` (or ``w += momentum * m - lr * g`` with ``nesterov=True``).

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

    def __init__(
        self,
        learning_rate=0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str | None = None,
    ):
        super().__init__(learning_rate, name)
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must lie in [0, 1], not {momentum!r}")
        self.momentum = momentum
        self.nesterov = bool(nesterov)

    def _update(self, var, grad, lr) -> None:
        value = var._value
        step = grad * lr
        if self.momentum == 0:
            var._value = value - step
            return
        m = self.slot(var, "momentum") * self.momentum - step
        self.set_slot(var, "momentum", m)
        var._value = value + (m * self.momentum - step if self.nesterov else m)
