"""L2-regularised logistic regression on scikit-learn's breast-cancer data, fitted with
tapegrad's L-BFGS, and checked against scikit-learn's LogisticRegression on the same problem.

scikit-learn minimises ``C * sum(log_loss) + ||w||^2 / 2`` (the intercept is not penalised);
so does this script, with the loss written in tapegrad operations and gradients from a tape.

    python examples/logistic_regression.py [--samples N] [--C 1.0]

Needs scikit-learn: pip install 'tapegrad[examples]'.
"""

from __future__ import annotations

import argparse

import numpy as np

import tapegrad as tg


def load(samples: int | None):
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    if samples is not None:
        x, y = x[:samples], y[:samples]
    return StandardScaler().fit_transform(x), y.astype(np.float64)


def fit_tapegrad(x, y, c: float):
    w = tg.Variable(np.zeros(x.shape[1]), name="w")
    b = tg.Variable(np.float64(0.0), name="b")
    features, labels = tg.constant(x), tg.constant(y)

    def objective():
        logits = features @ w + b
        return c * tg.sum(tg.nn.sigmoid_cross_entropy(labels, logits)) + 0.5 * tg.sum(w * w)

    opt = tg.optimizers.LBFGS(
        [w, b],
        max_iter=500,
        tolerance_grad=1e-10,
        tolerance_change=1e-14,
        line_search_fn="strong_wolfe",
    )
    opt.step(objective)
    return w.numpy(), float(b), opt.state["n_iter"]


def fit_sklearn(x, y, c: float):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, tol=1e-12, max_iter=100_000).fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=None, help="use only the first N rows")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args(argv)
    x, y = load(args.samples)
    w, b, iterations = fit_tapegrad(x, y, args.C)
    w_ref, b_ref = fit_sklearn(x, y, args.C)
    difference = float(np.max(np.abs(np.append(w, b) - np.append(w_ref, b_ref))))
    print(f"{x.shape[0]} samples, {x.shape[1]} features, C={args.C}")
    print(f"tapegrad L-BFGS: {iterations} iterations")
    print(f"largest coefficient difference from scikit-learn: {difference:.2e}")
    return {"difference": difference, "iterations": iterations, "coef": w, "intercept": b}


if __name__ == "__main__":
    main()
