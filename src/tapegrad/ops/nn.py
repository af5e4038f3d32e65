"""Neural-network functions. Most are composites of other ops, with no rules of their own;
``sigmoid``, ``relu`` and the fused cross-entropy are primitives for stability and speed."""

from __future__ import annotations

import numpy as np

from .._backend import (
    backend_name,
    constant_like,
    counts_bools_as_numbers,
    device_of,
    waits_to_read,
    xp_of,
)
from .._dtypes import REAL_FLOAT_TYPES, kind_of
from .._fused import Fused
from .._primitive import primitive, raw
from .._standard_gaps import indexes_natively, take_along_axis
from .._state import RAW, per_thread
from .._tensor import Tensor, wrap
from ._helpers import floating, named_axes, size_of
from .creation import stop_gradient
from .elementwise import as_floating, exp, isfinite, log, where
from .manipulation import expand_dims, squeeze
from .reduction import max, sum


def _relu_vjp(g, ans, x):
    if type(x) is np.ndarray:  # the common case first: no call
        return g * (x > 0)
    if counts_bools_as_numbers(raw(x)):
        return _RELU_VJP(g, x)
    return where(x > 0, g, 0.0)


# g * (x > 0), not where(x > 0, g, 0): a NaN or infinite cotangent stays NaN where x <= 0
_RELU_VJP = Fused("relu_vjp", "g x", "out = g * (x > 0)", lambda g, x: g * (x > 0))


@primitive(vjp=_relu_vjp, jvp="elementwise")
def relu(x, /):
    """``max(x, 0)``; its derivative at 0 is taken as 0.

    >>> import tapegrad as tg
    >>> print(tg.nn.relu(tg.constant([-1.0, 0.0, 2.0])))
    tg.Tensor([0. 0. 2.], shape=(3,), dtype=float32)
    """
    if type(x.dtype) in REAL_FLOAT_TYPES:  # the common case first: no call
        return xp_of(x).maximum(x, 0)
    kind = kind_of(x.dtype)
    if kind == "b":  # already max(x, 0) (NumPy would make int64 of it)
        return x
    if kind == "c":
        raise TypeError(
            f"relu takes real inputs, not {x.dtype}: complex numbers have no order; apply it to "
            "the real and imaginary parts (tg.real, tg.imag) if that is meant"
        )
    return xp_of(x).maximum(x, 0)


_SIGMOID_VJP = Fused(
    "sigmoid_vjp", "g ans", "out = g * (ans * (1 - ans))", lambda g, ans: g * (ans * (1 - ans))
)


@primitive(vjp=lambda g, ans, x: _SIGMOID_VJP(g, ans), jvp="elementwise")
def sigmoid(x, /):
    """``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``; real inputs only."""
    if kind_of(x.dtype) == "c":  # the stable form compares x with 0, which complex x is not
        raise TypeError(
            f"sigmoid takes real inputs, not {x.dtype}: for complex x write 1 / (1 + tg.exp(-x))"
        )
    x = floating(x)  # bool has no negative, and int8 would give NumPy's float16
    xp = xp_of(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _checked(name, axis, value):
    """The axis checked first, named by the function called (the ops inside would name
    themselves); a 0-d value takes axis 0 or -1, as the reductions do. Returns ``value``."""
    ndim = value.ndim
    if ndim and not (type(axis) is int and -ndim <= axis < ndim):  # the common call: no more
        named_axes(name, axis, ndim)
    return value


def logsumexp(x, /, *, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, without overflow: the maximum is subtracted first.

    >>> import tapegrad as tg
    >>> float(tg.nn.logsumexp(tg.constant([1000.0, 1000.0], dtype=tg.float64)))
    1000.6931471805599
    """
    _checked("logsumexp", axis, raw(x))
    x = as_floating(x)
    if size_of(raw(x).shape) == 0:  # nothing to add up: -inf, as log(0) (max would raise)
        result = sum(x, axis=axis, keepdims=True) - float("inf")
    else:
        peak = stop_gradient(max(x, axis=axis, keepdims=True))
        peak = where(isfinite(peak), peak, 0)  # all -inf (or inf) slices stay exact
        result = log(sum(exp(x - peak), axis=axis, keepdims=True)) + peak
    if keepdims:
        return result
    return squeeze(result, axis=tuple(range(x.ndim)) if axis is None else axis)


def softmax(x, /, *, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``, stable for large inputs."""
    value = _checked("softmax", axis, raw(x))
    if type(value.dtype) not in REAL_FLOAT_TYPES:
        x = as_floating(x)
    if 0 in value.shape:  # nothing to normalise (max would raise): empty, as NumPy's
        return exp(x)
    e = exp(x - stop_gradient(max(x, axis=axis, keepdims=True)))
    return e / sum(e, axis=axis, keepdims=True)


def log_softmax(x, /, *, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed as ``x - logsumexp(x)``."""
    _checked("log_softmax", axis, raw(x))
    x = as_floating(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def _softmax_jvp(p, t):
    """The softmax Jacobian (symmetric) applied to ``t``, given the probabilities ``p``."""
    return p * (t - sum(p * t, axis=-1, keepdims=True))


@primitive(
    vjp=(lambda g, ans, logits, labels: _softmax_jvp(softmax(logits), g), None),
    jvp=lambda ts, ans, logits, labels: _softmax_jvp(softmax(logits), ts[0]),
)
def _softmax_minus_one_hot(logits, labels, /):
    # d cross-entropy / d logits, for a traced backward pass (a first-order one uses the
    # softmax the forward pass saved)
    xp = xp_of(logits)
    shifted = xp.exp(logits - xp.max(logits, axis=-1, keepdims=True))
    return _minus_one_hot(xp, shifted / xp.sum(shifted, axis=-1, keepdims=True), labels)


def _minus_one_hot(xp, p, labels):
    """``p - one_hot(labels)`` for probabilities ``p`` that nothing else holds."""
    if indexes_natively(p):  # p is ours: subtract the one-hot in place, no mask needed
        if p.ndim == 2:  # a batch of examples: the rows are p's own
            p[_row_numbers(labels, p.shape[0]), labels] -= 1
            return p
        rows = xp.reshape(p, (-1, p.shape[-1]))  # a copy where p is not contiguous
        rows[_row_numbers(labels, rows.shape[0]), xp.reshape(labels, (-1,))] -= 1
        return xp.reshape(rows, tuple(p.shape))
    picked = take_along_axis(p, labels[..., None], -1)
    classes = xp.arange(p.shape[-1], device=device_of(p))
    return xp.where(classes == labels[..., None], picked - 1, p)


def _scaled_softmax_minus_one_hot(g, exponentials, total, labels, classes):
    """``g * (softmax - one_hot(labels))`` from the forward's exponentials and their sums
    (``g``, ``total`` and ``labels`` with a last axis of 1, as the kernel broadcasts them)."""
    p = _minus_one_hot(xp_of(exponentials), exponentials / total, labels[..., 0])
    return g * p


# the first-order backward step in one kernel on CuPy: a division, the one-hot subtraction (an
# indexed read and write: several launches) and the product with the cotangent; ``i % classes``
# is the output element's class
_XENT_GRAD = Fused(
    "xent_grad",
    "g exponentials total labels:int classes:index",
    "out = g * (exponentials / total - (i % classes == labels))",
    _scaled_softmax_minus_one_hot,
)


def _xent_vjp(g, ans, logits, labels, *, saved=None):
    # first order (a backward pass nothing records): the forward's softmax. The mode decides,
    # not g's type: a recorded pass starts from a raw seed too
    if saved is not None and per_thread.context.mode == RAW:
        exponentials, total = saved
        if type(exponentials) is np.ndarray:  # the formula itself, without the kernel's axes
            return g[..., None] * _minus_one_hot(np, exponentials / total[..., None], labels)
        return _XENT_GRAD(
            g[..., None], exponentials, total[..., None], labels[..., None], logits.shape[-1]
        )
    return expand_dims(g, axis=-1) * _softmax_minus_one_hot(logits, labels)


def _xent_jvp(ts, ans, logits, labels, *, saved=None):
    return sum(ts[0] * _softmax_minus_one_hot(logits, labels), axis=-1)


@primitive(vjp=(_xent_vjp, None), jvp=_xent_jvp, saves=True)
def _sparse_softmax_cross_entropy(logits, labels, /):
    # one fused primitive: one pass forward, and the textbook softmax - one_hot backward, from
    # the exponentials and their sums it keeps (saves=True)
    xp = xp_of(logits)
    shifted = logits - xp.max(logits, axis=-1, keepdims=True)
    exponentials = xp.exp(shifted)
    total = xp.sum(exponentials, axis=-1)
    if type(total) is np.ndarray:  # the formula itself
        return xp.log(total) - _pick_last(xp, shifted, labels), (exponentials, total)
    return _XENT_LOSS(total, shifted, labels, logits.shape[-1]), (exponentials, total)


# each example's loss in one kernel on CuPy: the read of its label's logit (an indexed read:
# several launches), the log and the difference; ``shifted`` is read whole, row ``i``
_XENT_LOSS = Fused(
    "xent_loss",
    "total shifted:raw labels:int classes:index",
    "out = log(total) - shifted[i * classes + labels]",
    lambda total, shifted, labels, classes: (
        xp_of(total).log(total) - _pick_last(xp_of(shifted), shifted, labels)
    ),
)


def _pick_last(xp, x, labels):
    """``x[..., labels]`` elementwise along the last axis."""
    if indexes_natively(x):  # plain integer indexing: several times faster than take_along
        if x.ndim == 2:  # a batch of examples: no reshapes
            return x[_row_numbers(labels, x.shape[0]), labels]
        rows = xp.reshape(x, (-1, x.shape[-1]))
        picked = rows[_row_numbers(labels, rows.shape[0]), xp.reshape(labels, (-1,))]
        return xp.reshape(picked, tuple(labels.shape))
    return take_along_axis(x, labels[..., None], -1)[..., 0]


def _row_numbers(labels, n):
    return constant_like(labels, 0, n) if backend_name(labels) != "numpy" else np.arange(n)


def sparse_softmax_cross_entropy(labels, logits):
    """Per-example cross-entropy between integer ``labels`` and unnormalised ``logits``, as
    TensorFlow's ``sparse_softmax_cross_entropy_with_logits``.

    A label outside ``[0, classes)`` raises ValueError, except on CuPy and Dask, where checking
    would wait for the GPU or compute the recipe: there, as TensorFlow does on a GPU, that
    example's loss is NaN (and its gradient zero).

    >>> import tapegrad as tg
    >>> loss = tg.nn.sparse_softmax_cross_entropy(tg.constant([0]), tg.constant([[0.0, 0.0]]))
    >>> round(float(loss[0]), 4)
    0.6931
    """
    label_values = raw(labels)
    if type(raw(logits).dtype) not in REAL_FLOAT_TYPES:  # integer logits: as softmax takes them
        logits = as_floating(logits)
    logit_shape = tuple(raw(logits).shape)
    if kind_of(label_values.dtype) not in "iu":
        raise TypeError(
            f"labels must be integers (class indices), not {label_values.dtype}: cast them "
            "with tg.astype(labels, tg.int32)"
        )
    if tuple(label_values.shape) != logit_shape[:-1]:
        raise ValueError(
            f"labels of shape {tuple(label_values.shape)} do not match logits of shape "
            f"{logit_shape}: labels need the logits' shape without its last (class) axis"
        )
    xp = xp_of(label_values)
    n_classes = logit_shape[-1]
    if waits_to_read(label_values):
        # checking would wait for the GPU (CuPy) or compute the recipe (Dask): as TensorFlow on
        # a GPU, an out-of-range label gives a NaN loss for its example instead of an error
        safe, in_range = _guarded_labels(labels, label_values, n_classes)
        loss = _sparse_softmax_cross_entropy(logits, safe)
        nan = wrap(constant_like(raw(loss), float("nan")))
        return where(in_range, loss, nan)
    checked = type(labels) is Tensor and _checked_labels.get(labels._uid) == n_classes
    if not checked:
        valid = (label_values >= 0) & (label_values < n_classes)
        if label_values.size and not bool(xp.all(valid)):
            raise ValueError(
                f"labels must lie in [0, {n_classes}) for logits with {n_classes} classes; got "
                f"values from {int(xp.min(label_values))} to {int(xp.max(label_values))}"
            )
        if type(labels) is Tensor:
            _remember_checked(labels._uid, n_classes)
    # the tensor itself where there is one: a tape copies a caller's raw array it keeps
    return _sparse_softmax_cross_entropy(logits, labels if type(labels) is Tensor else label_values)


# Label tensors found in range, by uid: a tensor's values never change under one uid (a write
# in place gives it a new one), so a training loop that passes the same labels every step
# checks them once. A few are kept: a loop over a handful of fixed batches stays checked.
_checked_labels: dict[int, int] = {}
_CHECKED_KEPT = 16


def _remember_checked(uid: int, n_classes: int) -> None:
    if len(_checked_labels) >= _CHECKED_KEPT:  # a new batch per step: start again
        _checked_labels.clear()
    _checked_labels[uid] = n_classes


# The clipped labels and their in-range mask, by label tensor uid and class count, where they
# cannot be checked (CuPy, Dask): a training loop that passes the same labels every step makes
# them once, not two kernels per step. Kept as the checked labels are.
_guarded: dict[tuple[int, int], tuple] = {}


def _guarded_labels(labels, label_values, n_classes: int) -> tuple:
    """The labels clipped into range and the mask of those that were, as tensors: a tape
    copies the raw arrays it keeps (a kernel each on a GPU), never a tensor's value."""
    key = (labels._uid, n_classes) if type(labels) is Tensor else None
    found = _guarded.get(key)
    if found is not None:
        return found
    safe = xp_of(label_values).clip(label_values, 0, n_classes - 1)
    found = wrap(safe), wrap(safe == label_values)
    if key is not None:
        if len(_guarded) >= _CHECKED_KEPT:
            _guarded.clear()
        _guarded[key] = found
    return found


@primitive(vjp=lambda g, ans, x: g * sigmoid(x), jvp="elementwise")
def softplus(x, /):
    """``log(1 + exp(x))``, computed as ``logaddexp(x, 0)``: no overflow for large ``x``, no
    underflow to 0 for very negative ``x``. Its derivative is ``sigmoid(x)`` (one op: the loss
    of a logistic regression costs no more than the hand-derived gradient).

    >>> import tapegrad as tg
    >>> round(float(tg.nn.softplus(tg.constant(1000.0))), 1)
    1000.0
    """
    if kind_of(x.dtype) == "c":  # logaddexp is real only
        raise TypeError(
            f"softplus takes real inputs, not {x.dtype}: for complex x write tg.log(1 + tg.exp(x))"
        )
    x = floating(x)
    return xp_of(x).logaddexp(x, constant_like(x, 0.0))
