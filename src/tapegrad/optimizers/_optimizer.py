"""The Optimizer base: ``apply_gradients``, ``minimize``, per-variable slots, learning rates.

Updates run on backend arrays, outside any tape, and give each Variable a new array (never
writing the old one), so values a tape saved stay as they were. Slots are keyed on the Variable
object (through ``ref()``), so new variables may join at any time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

from .._backend import xp_of
from .._tensor import Tensor, Variable


class Optimizer:
    """Base class: subclasses implement ``_update(variable, gradient, lr)`` on raw arrays.

    ``learning_rate`` is a number or a callable of the step (a schedule).
    """

    def __init__(self, learning_rate=0.01, name: str | None = None):
        self.learning_rate = learning_rate
        self.name = name or type(self).__name__
        self.iterations = Variable(0, trainable=False, name="iteration", dtype="int64")
        self._slots: dict = {}

    def _current_lr(self):
        lr = self.learning_rate
        if callable(lr):
            lr = lr(int(self.iterations))
        return float(lr) if isinstance(lr, Tensor) else lr

    def apply_gradients(self, grads_and_vars: Iterable) -> Variable:
        """Update each variable from its gradient; a None gradient is skipped with a warning.

        >>> import tapegrad as tg
        >>> v = tg.Variable(1.0)
        >>> tg.optimizers.SGD(learning_rate=0.5).apply_gradients([(tg.constant(2.0), v)])
        <tg.Variable 'iteration:0' shape=() dtype=int64, numpy=1>
        >>> print(v)
        <tg.Variable 'Variable:0' shape=() dtype=float32, numpy=0.0>
        """
        lr = self._current_lr()
        for pair in grads_and_vars:
            grad, var = _check_pair(pair)
            if grad is None:
                warnings.warn(
                    f"{self.name}: the gradient for variable '{var.name}' is None, so it was not "
                    "updated; check that the loss depends on it (tape.gradient gives None for "
                    "an unconnected source)",
                    stacklevel=2,
                )
                continue
            self._update(var, _gradient_array(grad, var), lr)
        self.iterations._value = self.iterations._value + 1
        return self.iterations

    def minimize(self, loss: Callable, var_list, tape=None) -> Variable:
        """Compute the gradient of ``loss()`` with respect to ``var_list`` and apply it."""
        from .._tape import GradientTape

        var_list = list(var_list() if callable(var_list) else var_list)
        if tape is None:
            with GradientTape() as tape:
                value = loss()
        else:
            value = loss
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def slot(self, var: Variable, name: str, initial=None):
        """The slot array ``name`` of ``var`` (created as zeros like the variable)."""
        slots = self._slots.setdefault(var.ref(), {})
        if name not in slots:
            value = var._value
            slots[name] = xp_of(value).zeros_like(value) if initial is None else initial
        return slots[name]

    def set_slot(self, var: Variable, name: str, value) -> None:
        self._slots[var.ref()][name] = value

    def variables(self) -> list:
        """The optimizer's state: its iteration counter and every slot array."""
        out = [self.iterations]
        for slots in self._slots.values():
            out.extend(slots.values())
        return out

    def _update(self, var: Variable, grad, lr) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _check_pair(pair):
    try:
        grad, var = pair
    except (TypeError, ValueError):
        raise TypeError(f"apply_gradients takes (gradient, variable) pairs, not {pair!r}") from None
    if not isinstance(var, Variable):
        raise TypeError(
            f"apply_gradients can only update tg.Variable objects, not {type(var).__name__}: "
            "create the parameter with tg.Variable(...)"
        )
    return grad, var


def _gradient_array(grad, var: Variable):
    value = grad._value if isinstance(grad, Tensor) else xp_of(var._value).asarray(grad)
    if tuple(value.shape) != var.shape:
        raise ValueError(
            f"the gradient of shape {tuple(value.shape)} does not match variable '{var.name}' "
            f"of shape {var.shape}: pass each variable with its own gradient"
        )
    if value.dtype != var._value.dtype:
        xp = xp_of(var._value)
        value = xp.astype(value, var._value.dtype)
    return value
