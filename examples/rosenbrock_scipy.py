"""The SciPy bridge on the Rosenbrock function: BFGS with tapegrad's exact gradient against
SciPy's default finite differences, and Newton-CG with exact Hessian-vector products.

    python examples/rosenbrock_scipy.py [--dim 100]

Needs SciPy: pip install 'tapegrad[examples]'.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tapegrad as tg


def rosenbrock(x):
    return tg.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosenbrock_numpy(x):
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def start(dim: int) -> np.ndarray:
    x0 = np.full(dim, -1.0)
    x0[::2] = -1.2
    return x0


def timed(run):
    begin = time.perf_counter()
    result = run()
    return result, time.perf_counter() - begin


def main(argv=None) -> dict:
    from scipy.optimize import minimize as scipy_minimize

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dim", type=int, default=100)
    args = parser.parse_args(argv)
    x0 = start(args.dim)
    runs = {
        "BFGS, tapegrad gradient": lambda: tg.optimize.minimize(rosenbrock, x0, method="BFGS"),
        "BFGS, finite differences": lambda: scipy_minimize(rosenbrock_numpy, x0, method="BFGS"),
        "Newton-CG, tapegrad hessp": lambda: tg.optimize.minimize(
            rosenbrock, x0, method="Newton-CG", options={"xtol": 1e-10}
        ),
    }
    results = {}
    print(f"Rosenbrock in {args.dim} dimensions")
    for name, run in runs.items():
        result, seconds = timed(run)
        error = float(np.max(np.abs(result.x - 1)))
        print(
            f"  {name:27s} function evaluations {result.nfev:7d}   "
            f"max |x - 1| {error:.1e}   {seconds:.2f} s"
        )
        results[name] = result
    ratio = results["BFGS, finite differences"].nfev / results["BFGS, tapegrad gradient"].nfev
    print(f"finite differences needed {ratio:.0f}x more function evaluations")
    return {"results": results, "ratio": ratio}


if __name__ == "__main__":
    main()
