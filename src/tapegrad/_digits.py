"""Train a small MLP on the 8x8 handwritten digits that ship with scikit-learn, with a
GradientTape and Adam: a tqdm progress bar per epoch, the held-out test accuracy, and a PNG plot
of the training loss and test accuracy per epoch.

Needs the ``examples`` extra (scikit-learn, tqdm, matplotlib); without it, ``main`` says how to
install it.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

INSTALL_HINT = "pip install 'tapegrad[examples]'"
DEFAULT_PLOT = os.path.join(tempfile.gettempdir(), "tapegrad-digits.png")


def _require():
    """The optional packages, or an ImportError that says how to install them."""
    try:
        import matplotlib  # noqa: F401
        import sklearn  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"the digits example needs scikit-learn, tqdm and matplotlib ({error.name} is "
            f"missing): install them with  {INSTALL_HINT}"
        ) from None


def load_data(seed: int = 0, test_size: float = 0.25):
    """The digits as float32 pixels scaled to [0, 1], split into stratified train and test
    sets: ``(x_train, x_test, y_train, y_test)``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    return train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)


def train_digits(
    epochs: int = 30,
    hidden: int = 64,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    plot_path: str | None = DEFAULT_PLOT,
    progress: bool = True,
) -> dict:
    """Train a ``64 -> hidden -> 10`` ReLU network with Adam on mini-batches; return the
    history (``train_loss``, ``train_accuracy``, ``test_accuracy`` per epoch), the final
    ``test_accuracy`` and the ``plot_path`` written (None to skip the plot)."""
    _require()
    from tqdm.auto import tqdm

    import tapegrad as tg

    x_train, x_test, y_train, y_test = load_data(seed)
    model = tg.nn.Sequential(
        [
            tg.nn.Dense(hidden, activation="relu", kernel_initializer="he_normal", seed=seed),
            tg.nn.Dense(10, seed=seed + 1),
        ]
    )
    optimizer = tg.optimizers.Adam(learning_rate)
    rng = np.random.default_rng(seed)
    history = {"train_loss": [], "train_accuracy": [], "test_accuracy": []}
    n_batches = -(-len(x_train) // batch_size)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        bar = tqdm(
            total=n_batches, desc=f"epoch {epoch}/{epochs}", unit="batch", disable=not progress
        )
        loss_sum = correct = seen = 0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            loss, logits = _train_step(model, optimizer, x_train[batch], y_train[batch])
            loss_sum += loss * len(batch)
            correct += int(np.sum(np.argmax(logits, axis=1) == y_train[batch]))
            seen += len(batch)
            bar.update(1)
            # no redraw per batch: the bar's own refresh rate decides, so logs stay short
            postfix = {"loss": f"{loss_sum / seen:.4f}", "accuracy": f"{correct / seen:.3f}"}
            bar.set_postfix(postfix, refresh=False)
        test_accuracy = accuracy(model, x_test, y_test)
        bar.set_postfix(postfix | {"test accuracy": f"{test_accuracy:.3f}"})
        bar.close()
        history["train_loss"].append(loss_sum / seen)
        history["train_accuracy"].append(correct / seen)
        history["test_accuracy"].append(test_accuracy)
    if plot_path is not None:
        plot_history(history, plot_path)
    return {
        "history": history,
        "test_accuracy": history["test_accuracy"][-1],
        "plot_path": plot_path,
    }


def _train_step(model, optimizer, x, y) -> tuple[float, np.ndarray]:
    import tapegrad as tg

    with tg.GradientTape() as tape:
        logits = model(x)
        loss = tg.mean(tg.nn.sparse_softmax_cross_entropy(y, logits))
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return float(loss), logits.numpy()


def accuracy(model, x, y) -> float:
    """The fraction of ``x`` whose highest logit is the label."""
    return float(np.mean(np.argmax(model(x).numpy(), axis=1) == y))


def plot_history(history: dict, path: str) -> str:
    """Write a PNG of the training loss and the test accuracy per epoch. Uses matplotlib's Agg
    canvas directly, so it needs no display and leaves pyplot's backend alone."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    epochs = range(1, len(history["train_loss"]) + 1)
    figure = Figure(figsize=(9, 3.5))
    FigureCanvasAgg(figure)
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, history["train_loss"], marker="o")
    loss_axes.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    accuracy_axes.plot(epochs, history["test_accuracy"], marker="o", color="tab:green")
    accuracy_axes.set(title="held-out test accuracy", xlabel="epoch", ylabel="accuracy")
    figure.suptitle("tapegrad: an MLP on the 8x8 digits, trained with GradientTape and Adam")
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    return path


def main(argv=None) -> int:
    """Train, print the test accuracy and where the plot went. Returns 0, or 1 (after saying
    how to install them) when the optional packages are missing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=DEFAULT_PLOT, help="where to write the PNG plot")
    args = parser.parse_args(argv)
    try:
        result = train_digits(
            args.epochs, args.hidden, args.batch_size, args.learning_rate, args.seed, args.plot
        )
    except ImportError as error:
        print(error)
        return 1
    print(f"held-out test accuracy: {result['test_accuracy']:.2%}")
    print(f"plot of training loss and test accuracy written to {result['plot_path']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
