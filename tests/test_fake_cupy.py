"""The CuPy backend suite on a CPU: ``tests/fake_cupy`` stands in for CuPy 14.2 (NumPy arrays
that refuse what CuPy refuses), so that tapegrad's CuPy code paths run on every machine.

The suite runs as on a GPU box without array-api-compat (``tools/gpu_check.sh``), in a
subprocess: this process never sees the fake (other tests ask whether CuPy is importable). A
real GPU run remains the authority; the fake catches what its docstring lists.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "fake_cupy"

# a GPU box has NumPy, CuPy, pytest and Hypothesis: the other array libraries are blocked there
# (array-api-compat above all, which would take CuPy's namespace from its own), the fake first
BLOCKED = ("array_api_compat", "array_api_strict", "dask")
BOOTSTRAP = (
    f"import sys; sys.modules.update(dict.fromkeys({BLOCKED!r})); "
    "sys.path.insert(0, sys.argv.pop(1)); import pytest; sys.exit(pytest.main(sys.argv[1:]))"
)


def run_backend_suite_on_fake_cupy(*pytest_args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TAPEGRAD_TEST_BACKEND="cupy", HYPOTHESIS_PROFILE="ci")
    command = [sys.executable, "-c", BOOTSTRAP, str(FAKE), "-m", "backend", "-q"]
    command += ["-p", "no:cacheprovider", "--tb=short", "-rfEs", *pytest_args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.backend  # the CuPy backend suite, on the fake
def test_the_cupy_backend_suite_passes_on_the_fake_cupy():
    pytest.importorskip("scipy")  # the fake computes cupyx.scipy with SciPy
    done = run_backend_suite_on_fake_cupy()
    output = done.stdout + done.stderr
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)))
    assert done.returncode == 0 and "passed" in output, (
        f"the CuPy backend suite failed on the fake CuPy ({len(failed)} tests):\n"
        + "\n".join(failed)
        + "\n\n"
        + output[-6000:]
    )
    assert "cupy is not available" not in output, output[-3000:]  # the fake was found


if __name__ == "__main__":  # the suite's own report: python tests/test_fake_cupy.py [-x ...]
    done = run_backend_suite_on_fake_cupy(*sys.argv[1:])
    print(done.stdout + done.stderr)
    sys.exit(done.returncode)
