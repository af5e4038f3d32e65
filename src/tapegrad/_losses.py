"""Losses for training, as composites of tapegrad operations (so every order of derivative
works): mean squared error, softmax cross-entropy and binary cross-entropy from logits."""

from __future__ import annotations

from . import _dtypes
from ._tensor import Tensor
from .ops import astype, convert_to_tensor, exp, log1p, mean, sum, where
from .ops.nn import log_softmax


def _matching(labels, logits, what: str, of: str = "logits") -> tuple[Tensor, Tensor]:
    """Labels and logits (or predictions, ``of``) of one shape (no silent broadcasting) and
    one dtype: the logits' if they are floating, else a floating dtype both promote to, so a
    label is never truncated (0.5 cast to integer logits' int32 would be 0)."""
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels)
    if labels.shape != logits.shape:
        hint = f"give one label per {of[:-1]}"
        if what == "softmax_cross_entropy" and labels.ndim == logits.ndim - 1:
            hint += " (for integer class labels use tg.nn.sparse_softmax_cross_entropy)"
        raise ValueError(
            f"{what}: labels of shape {labels.shape} do not match {of} of shape "
            f"{logits.shape}; {hint}"
        )
    kind = _dtypes.kind_of(logits.dtype)
    if _dtypes.kind_of(labels.dtype) == "c" and kind != "c":
        raise TypeError(
            f"{what}: complex labels ({labels.dtype}) for real {of} ({logits.dtype}) would lose "
            "their imaginary part; give real labels (tg.real(labels) if that is meant)"
        )
    if kind not in "fc":  # integer or bool logits: compute in floating point
        dtype = _dtypes.float_result(_dtypes.result_type(labels.dtype, logits.dtype))
        return astype(labels, dtype), astype(logits, dtype)
    if labels.dtype != logits.dtype:
        labels = astype(labels, logits.dtype)
    return labels, logits


def mean_squared_error(y_true, y_pred) -> Tensor:
    """``mean((y_pred - y_true) ** 2)`` over the last axis (per example), as Keras's
    ``mean_squared_error``; take ``tg.mean`` of it for a scalar loss.

    >>> import tapegrad as tg
    >>> print(tg.nn.mean_squared_error(tg.constant([[0.0, 2.0]]), tg.constant([[1.0, 1.0]])))
    tg.Tensor([1.], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _matching(y_true, y_pred, "mean_squared_error", of="predictions")
    return mean((y_pred - y_true) ** 2, axis=-1)


def softmax_cross_entropy(labels, logits, axis: int = -1) -> Tensor:
    """Cross-entropy between label distributions (one-hot or soft) and unnormalised
    ``logits`` along ``axis``, per example, as TensorFlow's
    ``softmax_cross_entropy_with_logits``: ``-sum(labels * log_softmax(logits))``.

    >>> import tapegrad as tg
    >>> loss = tg.nn.softmax_cross_entropy(tg.constant([[1.0, 0.0]]), tg.constant([[0.0, 0.0]]))
    >>> round(float(loss[0]), 4)
    0.6931
    """
    labels, logits = _matching(labels, logits, "softmax_cross_entropy")
    return -sum(labels * log_softmax(logits, axis=axis), axis=axis)


def sigmoid_cross_entropy(labels, logits) -> Tensor:
    """Binary cross-entropy from logits, elementwise, as TensorFlow's
    ``sigmoid_cross_entropy_with_logits``: ``-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x))``
    computed as ``softplus(x) - x z``, stable for logits of any size.

    >>> import tapegrad as tg
    >>> loss = tg.nn.sigmoid_cross_entropy(tg.constant([1.0, 0.0]), tg.constant([1000.0, 0.0]))
    >>> print(loss.numpy().round(4))
    [0.     0.6931]
    """
    labels, logits = _matching(labels, logits, "sigmoid_cross_entropy")
    # softplus(x) - x z with the large terms cancelled first: for a confident, correct logit
    # (x = 30, z = 1) the loss is log1p(exp(-30)) itself, not 30 + it - 30 rounded. Each
    # branch is evaluated only where it is finite, so no NaN reaches the gradient through the
    # unused one, and the loss stays smooth at 0 at every order.
    positive = logits >= 0
    x_pos = where(positive, logits, 0.0)
    x_neg = where(positive, 0.0, logits)
    linear = logits * labels
    return where(positive, (x_pos - linear) + log1p(exp(-x_pos)), log1p(exp(x_neg)) - linear)
