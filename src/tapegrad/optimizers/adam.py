"""Adam and its relatives (AdamW, Adamax, Nadam, Lamb), with Keras 3's update formulas.

Keras adds ``epsilon`` to the square root of the *uncorrected* second moment and folds both bias
corrections into the step size: ``w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``
("epsilon hat" in the Adam paper), which differs from PyTorch's placement of epsilon.

For complex variables the second moments (here and in ``adaptive.py`` and ``ftrl.py``) average
``|g|² = g * conj(g)`` rather than ``g²``, as optax does, and norms take magnitudes.
"""

from __future__ import annotations

import math

import numpy as np

from .._backend import waits_to_read, xp_of
from ._checks import EPSILON
from ._optimizer import Optimizer, _norm, _norm_array, _times_conj

# beta_1 = 1 divides by zero in the bias correction 1 - beta_1**t, beta_2 = 1 stops Adam
# (sqrt(1 - beta_2**t) is 0) and divides by zero in Nadam and Lamb; beyond 1 the averages grow
_ADAM_CHECKS = {**Optimizer._checks, "beta_1": "[0, 1)", "beta_2": "[0, 1)", "epsilon": EPSILON}


class Adam(Optimizer):
    """Adam, as Keras 3 computes it (``t`` is the 1-based step; it is counted per variable from
    its first update, which for variables present from the first step is Keras's count):

    ``m = m + (g - m) * (1 - beta_1)``, ``v = v + (g**2 - v) * (1 - beta_2)``,
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``;
    with ``amsgrad=True``, ``v`` in the last formula is the running maximum of ``v``.

    >>> import tapegrad as tg
    >>> w = tg.Variable(1.0)
    >>> _ = tg.optimizers.Adam(learning_rate=0.1).apply_gradients([(tg.constant(3.0), w)])
    >>> round(float(w), 6)  # the first step moves each weight by about lr
    0.9
    """

    _counts_steps = True
    _checks = {**_ADAM_CHECKS, "amsgrad": "bool"}

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _slot_initials_for(self) -> dict:
        slots = {"momentum": 0.0, "velocity": 0.0}
        if self.amsgrad:
            slots["velocity_hat"] = 0.0
        return slots

    def _update_step(self, grad, var, lr, slots) -> None:
        t = self._local_step(slots)
        alpha = lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (_times_conj(grad, grad) - slots["velocity"]) * (1 - self.beta_2)
        slots["momentum"], slots["velocity"] = m, v
        if self.amsgrad:
            v = slots["velocity_hat"] = xp_of(v).maximum(slots["velocity_hat"], v)
        self._assign_sub(var, m * alpha / (xp_of(v).sqrt(v) + self.epsilon))


class AdamW(Adam):
    """Adam with decoupled weight decay: before each Adam step,
    ``w -= w * weight_decay * lr`` (Keras 3's default ``weight_decay=0.004``).

    >>> import tapegrad as tg
    >>> tg.optimizers.AdamW().weight_decay
    0.004
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **options,
    ):
        if weight_decay is None:
            raise ValueError(
                "AdamW needs a float weight_decay, not None; for no weight decay use Adam"
            )
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **options
        )


class Adamax(Optimizer):
    """Adamax, Adam with the infinity norm, as Keras 3 computes it:

    ``m = m + (g - m) * (1 - beta_1)``, ``u = max(beta_2 * u, |g|)``,
    ``w -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    >>> import tapegrad as tg
    >>> tg.optimizers.Adamax().learning_rate
    0.001
    """

    # u = max(beta_2 u, |g|) divides by no 1 - beta_2**t: beta_2 = 1, a running maximum, is fine
    _checks = {**_ADAM_CHECKS, "beta_2": "[0, 1]"}

    _counts_steps = True

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    _slot_initials = {"momentum": 0.0, "norm": 0.0}

    def _update_step(self, grad, var, lr, slots) -> None:
        xp = xp_of(grad)
        t = self._local_step(slots)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        u = xp.maximum(self.beta_2 * slots["norm"], xp.abs(grad))
        slots["momentum"], slots["norm"] = m, u
        self._assign_sub(var, lr * m / ((1 - self.beta_1**t) * (u + self.epsilon)))


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Keras's momentum schedule
    ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)``, whose running product ``prod(mu_1..mu_t)`` is
    shared by all variables:

    ``m_hat = mu_{t+1} * m / (1 - prod_{t+1}) + (1 - mu_t) * g / (1 - prod_t)``,
    ``v_hat = v / (1 - beta_2**t)``, ``w -= lr * m_hat / (sqrt(v_hat) + epsilon)``.

    >>> import tapegrad as tg
    >>> tg.optimizers.Nadam().epsilon
    1e-07
    """

    _checks = _ADAM_CHECKS

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._globals["u_product"] = np.float64(1.0)

    _slot_initials = {"momentum": 0.0, "velocity": 0.0}

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96**t)

    def _before_update_steps(self) -> None:
        product = float(self._globals["u_product"]) * self._mu(self._step() + 1)
        self._globals["u_product"] = np.float64(product)

    def _update_step(self, grad, var, lr, slots) -> None:
        t = self._step() + 1
        u_t, u_next = self._mu(t), self._mu(t + 1)
        product = float(self._globals["u_product"])
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (_times_conj(grad, grad) - slots["velocity"]) * (1 - self.beta_2)
        slots["momentum"], slots["velocity"] = m, v
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * grad / (1 - product)
        v_hat = v / (1 - self.beta_2**t)
        self._assign_sub(var, m_hat * lr / (xp_of(v_hat).sqrt(v_hat) + self.epsilon))


class Lamb(Optimizer):
    """LAMB: the Adam direction (bias-corrected, epsilon outside the root) scaled per variable
    by the trust ratio ``||w|| / ||update||`` (1 where either norm is 0), as Keras 3 computes it.

    >>> import tapegrad as tg
    >>> tg.optimizers.Lamb().beta_2
    0.999
    """

    _checks = _ADAM_CHECKS

    _counts_steps = True

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **options,
    ):
        super().__init__(learning_rate, **options)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    _slot_initials = {"momentum": 0.0, "velocity": 0.0}

    def _update_step(self, grad, var, lr, slots) -> None:
        xp = xp_of(grad)
        t = self._local_step(slots)
        m = slots["momentum"] * self.beta_1 + grad * (1 - self.beta_1)
        v = slots["velocity"] * self.beta_2 + _times_conj(grad, grad) * (1 - self.beta_2)
        slots["momentum"], slots["velocity"] = m, v
        update = (m / (1 - self.beta_1**t)) / (xp.sqrt(v / (1 - self.beta_2**t)) + self.epsilon)
        self._assign_sub(var, _trust_ratio(var._value, update) * lr * update)


def _trust_ratio(w, update):
    """Lamb's ``|w| / |update|``, 1 where either norm is 0. On CuPy and Dask it stays a 0-d
    array: reading it would wait for the GPU or compute the step's recipe twice."""
    if not waits_to_read(update):
        w_norm, u_norm = _norm(w), _norm(update)
        return w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    xp = xp_of(update)
    w_norm, u_norm = _norm_array(w), _norm_array(update)
    both = (w_norm > 0) & (u_norm > 0)
    return xp.where(both, w_norm / xp.where(both, u_norm, 1.0), 1.0)
