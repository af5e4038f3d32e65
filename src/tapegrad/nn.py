"""Neural-network functions (``tg.nn``)."""

from .ops.nn import (
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    softmax,
    sparse_softmax_cross_entropy,
)

__all__ = [
    "log_softmax",
    "logsumexp",
    "relu",
    "sigmoid",
    "softmax",
    "sparse_softmax_cross_entropy",
]
