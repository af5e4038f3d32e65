"""The NumPy floors: each workload written by hand in NumPy, forward and derivative, on the same
dtypes and sizes as the tapegrad version, with no autodiff. They set the speed to compare with."""

from __future__ import annotations

import numpy as np

CHAIN_FACTOR = 1.0001


def seed_grad():
    """``z = x**2 + y**2 + 1`` at float32 x = 2, y = 3, and its gradient ``(2x, 2y)``."""
    x = np.float32(2.0)
    y = np.float32(3.0)
    z = x**2 + y**2 + 1
    return z, (2 * x, 2 * y)


SEED_LR = np.float32(0.1)


def seed_sgd(steps: int = 100, lr=SEED_LR):
    """Gradient descent on ``x**2 + 2x + 1`` from x = 0 in float32, the loss computed each step."""
    x = np.float32(0.0)
    for _ in range(steps):
        _loss = x**2 + 2 * x + 1
        x = x - lr * (2 * x + 2)
    return x


def chain(x0: np.ndarray, steps: int = 2000) -> np.ndarray:
    """``steps`` applications of ``y = sin(y) * 1.0001`` from ``x0``; returns d sum(y) / d x0.

    The forward keeps every intermediate input, as the backward needs ``cos`` of each.
    """
    factor = CHAIN_FACTOR
    saved = [x0]
    y = x0
    for _ in range(steps):
        y = np.sin(y) * factor
        saved.append(y)
    grad = np.ones_like(y)
    for k in range(steps - 1, -1, -1):
        grad = grad * factor * np.cos(saved[k])
    return grad


def mlp_data(batch: int, sizes: list[int], seed: int = 0, dtype=np.float32):
    """Inputs, integer labels, weights (normal, scaled by 1/sqrt(fan-in)) and zero biases."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    labels = rng.integers(0, sizes[-1], batch)
    weights = [
        (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    biases = [np.zeros(n_out, dtype) for n_out in sizes[1:]]
    return X, labels, weights, biases


def mlp_step(X, labels, weights, biases, lr: float = 0.01, grads: list | None = None):
    """One training step of a ReLU MLP with mean sparse softmax cross-entropy: the forward pass,
    the backward pass and the SGD update (in place). Returns the loss.

    ``grads``, when given, receives ``(layer, dW, db)`` for each layer (used to check tapegrad).
    """
    batch = X.shape[0]
    rows = np.arange(batch)
    last = len(weights) - 1
    inputs = [X]
    h = X
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        h = h @ W + b
        if i < last:
            h = np.maximum(h, 0)
        inputs.append(h)
    # softmax cross-entropy, shifted by the row maximum for stability
    shifted = h - h.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(probs[rows, labels]).mean()
    # d loss / d logits = (softmax - one_hot) / batch, built in the probabilities' buffer
    g = probs
    g[rows, labels] -= 1
    g /= batch
    for i in range(last, -1, -1):
        dW = inputs[i].T @ g
        db = g.sum(axis=0)
        if i > 0:
            g = (g @ weights[i].T) * (inputs[i] > 0)
        if grads is not None:
            grads.append((i, dW.copy(), db.copy()))
        weights[i] -= lr * dW
        biases[i] -= lr * db
    return loss


def hessian_data(n: int = 200, seed: int = 0):
    """``A`` (n x n, normal scaled by 1/sqrt(n)) and ``x`` (normal), float64."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal(n)


def hessian(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Hessian of ``sum(tanh(A @ x))``: ``A.T @ diag(tanh'') @ A``, where
    ``tanh''(u) = -2 tanh(u) (1 - tanh(u)**2)``; the diagonal scales the rows of ``A``."""
    t = np.tanh(A @ x)
    curvature = -2.0 * t * (1.0 - t * t)
    return A.T @ (curvature[:, None] * A)


def jacobian_data(n: int = 300, seed: int = 0):
    """``W1``, ``W2`` (n x n, normal scaled by 1/sqrt(n)) and ``x`` (normal), float64."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n, n)) / np.sqrt(n)
    W2 = rng.standard_normal((n, n)) / np.sqrt(n)
    return W1, W2, rng.standard_normal(n)


def jacobian(W1: np.ndarray, W2: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Jacobian of ``tanh(W2 @ tanh(W1 @ x))``: ``diag(1 - y2**2) W2 diag(1 - y1**2) W1``,
    each diagonal scaling the rows of the matrix after it."""
    y1 = np.tanh(W1 @ x)
    y2 = np.tanh(W2 @ y1)
    return ((1.0 - y2 * y2)[:, None] * W2) @ ((1.0 - y1 * y1)[:, None] * W1)


def dense_data(layers: int, width: int, batch: int, seed: int = 0, dtype=np.float32):
    """Inputs, weights (normal, scaled by 1/sqrt(width)) and small biases for a stack of
    ``layers`` square tanh Dense layers."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, width)).astype(dtype)
    weights = [
        (rng.standard_normal((width, width)) / np.sqrt(width)).astype(dtype) for _ in range(layers)
    ]
    biases = [(0.1 * rng.standard_normal(width)).astype(dtype) for _ in range(layers)]
    return X, weights, biases
