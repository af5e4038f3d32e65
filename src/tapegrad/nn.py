"""Neural-network functions (``tg.nn``), and just enough layers, initializers and losses to
train real models."""

from ._layers import Dense, Layer, Sequential, glorot_uniform, he_normal
from ._losses import mean_squared_error, sigmoid_cross_entropy, softmax_cross_entropy
from .ops.nn import (
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    softmax,
    softplus,
    sparse_softmax_cross_entropy,
)

__all__ = [
    "Dense",
    "Layer",
    "Sequential",
    "glorot_uniform",
    "he_normal",
    "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "log_softmax",
    "logsumexp",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "sparse_softmax_cross_entropy",
]
