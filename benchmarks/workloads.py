"""The workloads written with tapegrad, as a user would write them. Each ``make_*`` function does
the setup (variables, data, optimizer) and returns the callable that is timed."""

from __future__ import annotations

import numpy as np

import tapegrad as tg

from .floors import CHAIN_FACTOR


def make_seed_grad():
    """``z = x**2 + y**2 + 1`` and its gradient with respect to two float32 Variables, on a new
    tape per call. The callable returns ``(z, [dz/dx, dz/dy])``."""
    x = tg.Variable(2.0)
    y = tg.Variable(3.0)

    def run():
        with tg.GradientTape() as tape:
            z = x**2 + y**2 + 1
        return z, tape.gradient(z, [x, y])

    return run


def seed_sgd(steps: int = 100):
    """The seed's loop: SGD(0.1) on ``x**2 + 2x + 1`` from x = 0; returns the Variable."""
    x = tg.Variable(0.0)
    opt = tg.optimizers.SGD(learning_rate=0.1)
    for _ in range(steps):
        with tg.GradientTape() as tape:
            z = x**2 + 2 * x + 1
        opt.apply_gradients([(tape.gradient(z, x), x)])
    return x


def make_seed_sgd(steps: int = 100):
    return lambda: seed_sgd(steps)


def chain_tape(x0, steps: int):
    """Record ``steps`` applications of ``y = sin(y) * 1.0001`` from the tensor ``x0``; returns
    the tape and ``sum(y)``, holding nothing else."""
    with tg.GradientTape() as tape:
        tape.watch(x0)
        y = x0
        for _ in range(steps):
            y = tg.sin(y) * CHAIN_FACTOR
        total = tg.sum(y)
    return tape, total


def make_chain(x0: np.ndarray, steps: int = 2000):
    """d sum(y) / d x0 for the chain, from a watched float64 constant; returns the gradient."""
    x = tg.constant(x0)

    def run():
        tape, total = chain_tape(x, steps)
        return tape.gradient(total, x)

    return run


class MLP:
    """A ReLU network trained with SGD, its parameters held in tapegrad Variables."""

    def __init__(self, X, labels, weights, biases, lr: float = 0.01):
        self.X = tg.constant(X)
        self.labels = tg.constant(labels)
        self.weights = [tg.Variable(W) for W in weights]
        self.biases = [tg.Variable(b) for b in biases]
        self.variables = self.weights + self.biases
        self.optimizer = tg.optimizers.SGD(lr)

    def loss(self):
        h = self.X
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ W + b
            if i < last:
                h = tg.nn.relu(h)
        return tg.mean(tg.nn.sparse_softmax_cross_entropy(self.labels, h))

    def gradients(self):
        with tg.GradientTape() as tape:
            loss = self.loss()
        return loss, tape.gradient(loss, self.variables)

    def step(self):
        """One training step: forward, backward, SGD update. Returns the loss."""
        loss, grads = self.gradients()
        self.optimizer.apply_gradients(zip(grads, self.variables, strict=True))
        return loss


def make_hessian(A, x, how: str = "hessian"):
    """The Hessian of ``sum(tanh(A @ x))`` at the float64 array ``x``, computed ``how``:
    ``hessian`` (tg.hessian, forward over reverse), ``tape`` (tape.hessian on a persistent
    tape), ``fwdrev`` (tg.jacfwd(tg.jacrev(f))) or ``revrev`` (tg.jacrev(tg.jacrev(f)))."""
    A = tg.constant(A)
    x = tg.constant(x)

    def f(x):
        return tg.sum(tg.tanh(A @ x))

    if how == "tape":
        v = tg.Variable(x)

        def run():
            with tg.GradientTape(persistent=True) as tape:
                y = f(v)
            return tape.hessian(y, v)

        return run
    transforms = {
        "hessian": tg.hessian,
        "fwdrev": lambda f: tg.jacfwd(tg.jacrev(f)),
        "revrev": lambda f: tg.jacrev(tg.jacrev(f)),
    }
    hess = transforms[how](f)
    return lambda: hess(x)


def make_jacobian(W1, W2, x, how: str = "jacobian"):
    """The Jacobian of ``tanh(W2 @ tanh(W1 @ x))`` at the float64 array ``x``, by reverse mode
    (``jacobian``: tg.jacobian) or forward mode (``jacfwd``: tg.jacfwd)."""
    W1 = tg.constant(W1)
    W2 = tg.constant(W2)
    x = tg.constant(x)

    def f(x):
        return tg.tanh(W2 @ tg.tanh(W1 @ x))

    jac = {"jacobian": tg.jacobian, "jacfwd": tg.jacfwd}[how](f)
    return lambda: jac(x)


class DenseStack:
    """Square tanh Dense layers, ``h = tanh(h @ W + b)``, with Variable weights, run in blocks
    of ``block`` layers; with ``recompute=True`` each block is wrapped in ``tg.recompute_grad``,
    so the backward pass runs it again instead of keeping its intermediate values."""

    def __init__(self, X, weights, biases, block: int, recompute: bool):
        self.X = tg.constant(X)
        self.weights = [tg.Variable(W) for W in weights]
        self.biases = [tg.Variable(b) for b in biases]
        self.variables = self.weights + self.biases
        self.blocks = []
        for start in range(0, len(weights), block):
            run = self._block(start, min(start + block, len(weights)))
            self.blocks.append(tg.recompute_grad(run) if recompute else run)

    def _block(self, start: int, stop: int):
        def block(h):
            for W, b in zip(self.weights[start:stop], self.biases[start:stop], strict=True):
                h = tg.tanh(h @ W + b)
            return h

        return block

    def forward(self):
        """Record ``sum(output)`` on a new tape; returns the tape and the loss."""
        with tg.GradientTape() as tape:
            h = self.X
            for block in self.blocks:
                h = block(h)
            loss = tg.sum(h)
        return tape, loss
