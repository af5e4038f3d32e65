"""Command line: ``python -m tapegrad demo``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """\
usage: python -m tapegrad <command>

commands:
  demo    run the automatic differentiation tutorial section by section on tapegrad:
          each section's code, its printed output and the expected value, checked;
          the exit status is 1 if any section does not match

options:
  -h, --help    show this message and exit
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in ``argv`` (``sys.argv[1:]`` by default); return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        if rest in (["-h"], ["--help"]):
            print(USAGE, end="")
            return 0
        if rest:
            return _usage_error(f"'demo' takes no arguments, got: {' '.join(rest)}")
        from ._demo import run_demo

        results = run_demo()
        trained = _train_digits()
        return 0 if all(result.ok for result in results) and trained else 1
    return _usage_error(f"unknown command {command!r}; the commands are: demo")


def _train_digits() -> bool:
    """The demo's last part: a real model trained end to end. True unless it trains badly;
    without the optional packages it says how to install them and does not fail."""
    from ._digits import DEFAULT_PLOT, train_digits

    print("=" * 78)
    print("4. Training a model: an MLP on the 8x8 handwritten digits, with a tape and Adam")
    print("=" * 78)
    try:
        result = train_digits(30, 64, 32, 1e-3, 0, DEFAULT_PLOT)
    except ImportError as error:
        print(error)
        return True
    accuracy = result["test_accuracy"]
    verdict = "OK" if accuracy >= 0.95 else "MISMATCH (expected at least 95%)"
    print(f"held-out test accuracy: {accuracy:.2%}")
    print(f"plot of training loss and test accuracy per epoch: {result['plot_path']}")
    print(f"check:    {verdict}")
    return accuracy >= 0.95


def _usage_error(message: str) -> int:
    print(f"python -m tapegrad: error: {message}", file=sys.stderr)
    print(USAGE.splitlines()[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
