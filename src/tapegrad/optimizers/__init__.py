"""Optimizers that update Variables from gradients, with Keras 3's names, defaults and update
formulas, and PyTorch's full-batch L-BFGS."""

from . import schedules
from ._optimizer import Optimizer
from .adam import Adam, Adamax, AdamW, Lamb, Nadam
from .adaptive import Adadelta, Adagrad, RMSprop
from .ftrl import Ftrl
from .lbfgs import LBFGS
from .lion import Lion
from .sgd import SGD

__all__ = [
    "LBFGS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "schedules",
]
