"""Collection for the backend entry point.

``TAPEGRAD_TEST_BACKEND=cupy python -m pytest -m backend`` must run on a machine that has only
NumPy, CuPy, pytest and Hypothesis (a GPU box without a network): with that variable set, only
the backend suite is collected, so test modules and doctests that need the test extras (SciPy,
scikit-learn, Dask ...) are never imported there.
"""

import os

_BACKEND_SUITE = {"test_backends.py", "conftest.py"}

# the CPU stand-in for CuPy: imported only by the subprocess of tests/test_fake_cupy.py, never
# collected (its doctests would import a module named cupy into this process)
collect_ignore = ["tests/fake_cupy"]


def pytest_ignore_collect(collection_path, config):
    if not os.environ.get("TAPEGRAD_TEST_BACKEND"):
        return None
    if collection_path.is_dir():
        return None
    return collection_path.name not in _BACKEND_SUITE
