"""Fused elementwise formulas: one CuPy kernel where they apply, their array formula elsewhere."""

import numpy as np
import pytest

from tapegrad import _fused
from tapegrad.ops.elementwise import _COS_VJP, _SIN_VJP, _TANH_VJP
from tapegrad.ops.nn import _RELU_VJP, _SIGMOID_VJP
from tapegrad.optimizers.sgd import _STEP


class _DeviceArray:
    """Stands for a CuPy array in the decision alone (``applies`` reads the type's module and
    the dtype); nothing is computed with it."""

    __module__ = "cupy"

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)


@pytest.mark.parametrize(
    ("operands", "expected"),
    [
        ((_DeviceArray("float32"), _DeviceArray("float32"), 0.01), True),
        ((_DeviceArray("float64"), _DeviceArray("float64"), 1), True),
        # another dtype beside it, a half or complex or integer dtype, a scalar array: the formula
        ((_DeviceArray("float32"), _DeviceArray("float64"), 0.01), False),
        ((_DeviceArray("float16"), _DeviceArray("float16"), 0.01), False),
        ((_DeviceArray("complex64"), _DeviceArray("complex64"), 0.01), False),
        ((_DeviceArray("int32"), _DeviceArray("int32"), 1), False),
        ((_DeviceArray("float32"), _DeviceArray("float32"), np.float64(0.01)), False),
        ((np.ones(2, np.float32), np.ones(2, np.float32), 0.01), False),
    ],
)
def test_the_kernel_applies_to_cupy_arrays_of_one_real_float_dtype_and_python_scalars(
    operands, expected
):
    assert _STEP.applies(operands) is expected


def test_the_kernels_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(_fused, "ENABLED", False)
    monkeypatch.setattr(_fused, "TAKES_KERNELS", {})
    assert not _STEP.applies((_DeviceArray("float32"), _DeviceArray("float32"), 0.01))


@pytest.mark.parametrize(
    ("fused", "reference"),
    [
        (_SIN_VJP, lambda g, x: g * np.cos(x)),
        (_COS_VJP, lambda g, x: -g * np.sin(x)),
        (_TANH_VJP, lambda g, ans: g * (1 - ans * ans)),
        (_SIGMOID_VJP, lambda g, ans: g * (ans * (1 - ans))),
        (_RELU_VJP, lambda g, x: g * (x > 0)),
    ],
)
def test_off_cupy_a_fused_formula_is_its_array_operations(fused, reference):
    rng = np.random.default_rng(0)
    g = rng.normal(size=7).astype(np.float32)
    x = rng.normal(size=7).astype(np.float32)
    g[0], x[1] = np.nan, 0.0  # relu's: a NaN cotangent stays NaN, 0 is not positive
    np.testing.assert_array_equal(fused(g, x), reference(g, x))
    assert fused(g, x).dtype == np.float32
