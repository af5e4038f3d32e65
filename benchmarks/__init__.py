"""Benchmarks: tapegrad against hand-written NumPy floors, run with ``python -m benchmarks``.

Each workload is timed twice in one process, back to back: once written with tapegrad and once
as its NumPy floor (the same computation, forward and derivative, with no autodiff). The report
gives both medians, their ratio and the ratio the project aims for.
"""

try:  # run from a checkout without installing: use the source tree's package
    import tapegrad  # noqa: F401
except ImportError:
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "src"))
