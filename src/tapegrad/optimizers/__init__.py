"""Optimizers that update Variables from gradients."""

from ._optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer"]
