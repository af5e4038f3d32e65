"""A yardstick, not a library: the smallest eager tape in Python that runs four workloads.

No checks, no dtype rules, no nesting, no persistence, no Variables, only the ops the workloads
use, each with the cheapest rule NumPy allows (the MLP's cross-entropy fused as tapegrad's is).
Its time on the same machine shows what recording each operation and walking the tape back costs
before any feature is added: the part of a ratio that no eager tape written in Python avoids.
"""

from __future__ import annotations

import numpy as np

from .floors import CHAIN_FACTOR, SEED_LR

_recording: list = []  # the tapes open now


class Value:
    """An array with a place on the tape: what a tensor is here."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __add__(self, other):
        return _op(_ADD, self, other)

    __radd__ = __add__

    def __mul__(self, other):
        return _op(_MUL, self, other)

    __rmul__ = __mul__

    def __pow__(self, other):
        return _op(_POW, self, other)

    def __matmul__(self, other):
        return _op(_MATMUL, self, other)


def _op(op, *args):
    """Compute on the arrays, and keep the call on each open tape."""
    values = []
    for a in args:  # a loop, not a comprehension: a comprehension is one more call
        values.append(a.v if type(a) is Value else a)
    out, saved = op[0](*values)
    out = Value(out)
    for tape in _recording:
        tape.append((op[1], args, values, saved, out))
    return out


def _sum_to(g, like):
    """A broadcast cotangent summed back to the shape of its input (none for Python numbers)."""
    shape = getattr(like, "shape", None)
    if shape is None or g.shape == shape:
        return g
    return g.sum(axis=tuple(range(g.ndim - len(shape))))


# each op: (forward returning (value, saved), rule returning one cotangent per input)
_ADD = (
    lambda a, b: (a + b, None),
    lambda g, a, b, s: (_sum_to(g, a), _sum_to(g, b)),
)
_MUL = (lambda a, b: (a * b, None), lambda g, a, b, s: (g * b, g * a))
_POW = (lambda a, n: (a**n, None), lambda g, a, n, s: (g * n * a ** (n - 1), None))
_MATMUL = (lambda a, b: (a @ b, None), lambda g, a, b, s: (g @ b.T, a.T @ g))
_SIN = (lambda a: (np.sin(a), None), lambda g, a, s: (g * np.cos(a),))
_SUM = (lambda a: (a.sum(), None), lambda g, a, s: (np.broadcast_to(g, a.shape),))
_RELU = (lambda a: (np.maximum(a, 0), None), lambda g, a, s: (g * (a > 0),))
_MEAN = (
    lambda a: (a.sum() / a.size, None),
    lambda g, a, s: (np.broadcast_to(g / a.size, a.shape),),
)


def _xent_forward(logits, labels):
    shifted = logits - logits.max(-1, keepdims=True)
    exponentials = np.exp(shifted)
    total = exponentials.sum(-1)
    picked = shifted[np.arange(len(labels)), labels]
    return np.log(total) - picked, (exponentials, total)


def _xent_rule(g, logits, labels, saved):
    exponentials, total = saved
    p = exponentials / total[:, None]
    p[np.arange(len(labels)), labels] -= 1
    return g[:, None] * p, None


_XENT = (_xent_forward, _xent_rule)


class Tape(list):
    """The recorded calls, walked back from the target by ``gradient``."""

    def __enter__(self):
        _recording.append(self)
        return self

    def __exit__(self, *exc):
        _recording.remove(self)

    def gradient(self, target, sources):
        grads = {id(target): np.ones_like(target.v)}
        for rule, args, values, saved, out in reversed(self):
            g = grads.pop(id(out), None)
            if g is None:
                continue
            for arg, ga in zip(args, rule(g, *values, saved)):
                if ga is not None and type(arg) is Value:
                    key = id(arg)
                    grads[key] = grads[key] + ga if key in grads else ga
        return [grads.get(id(s)) for s in sources]


def seed_grad():
    """``x**2 + y**2 + 1`` and its gradient with respect to x = 2 and y = 3, float32."""
    x, y = Value(np.float32(2.0)), Value(np.float32(3.0))
    with Tape() as tape:
        z = x**2 + y**2 + 1
    return z.v, tape.gradient(z, [x, y])


def chain(x0, steps: int = 2000):
    """``steps`` applications of ``y = sin(y) * factor``, then d sum(y) / d x0."""
    x = Value(x0)
    with Tape() as tape:
        y = x
        for _ in range(steps):
            y = _op(_SIN, y) * CHAIN_FACTOR
        total = _op(_SUM, y)
    return tape.gradient(total, [x])[0]


def seed_sgd(steps: int = 100):
    """The seed's loop: ``x**2 + 2x + 1`` from x = 0, ``x -= 0.1 * dz/dx``, float32."""
    x = Value(np.float32(0.0))
    for _ in range(steps):
        with Tape() as tape:
            z = x**2 + 2 * x + 1
        (g,) = tape.gradient(z, [x])
        x.v = x.v - SEED_LR * g
    return x.v


class MLP:
    """The mlp workloads' network and SGD step on the bare tape."""

    def __init__(self, X, labels, weights, biases, lr: float = 0.01):
        self.X, self.labels, self.lr = Value(X), labels, lr
        self.weights = [Value(W) for W in weights]
        self.biases = [Value(b) for b in biases]
        self.variables = self.weights + self.biases

    def step(self):
        with Tape() as tape:
            h = self.X
            last = len(self.weights) - 1
            for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
                h = h @ W + b
                if i < last:
                    h = _op(_RELU, h)
            loss = _op(_MEAN, _op(_XENT, h, self.labels))
        for var, g in zip(self.variables, tape.gradient(loss, self.variables), strict=True):
            var.v -= self.lr * g
        return loss.v
