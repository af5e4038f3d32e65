"""One kernel where array operations would launch several: fused elementwise formulas on CuPy.

On a GPU, a step over small or medium arrays is bound by the host: CuPy spends 10-15 us of
Python and driver time to launch a kernel, whatever the kernel computes. A rule such as sin's
``g * cos(x)`` is two launches as array operations, and one as a single elementwise kernel;
PyTorch keeps such kernels for the same reason (``threshold_backward``, ``sigmoid_backward``,
its fused optimizers). Each fused formula is declared once, here: its parameters, the body of a
CuPy ``ElementwiseKernel``, and the same formula in array operations, which every other library
runs and which defines the result.

The kernel is used only where every operand is a CuPy array of one real floating dtype (float32
or float64; scalars join in that dtype, as NumPy 2 and CuPy take a Python float beside a float32
array). It is compiled with ``--fmad=false``, so that ``a - b * c`` rounds the product and then
the difference, as the two array operations do: the fused and the unfused results are the same
bits. The environment variable ``TAPEGRAD_FUSED_KERNELS=0`` turns the kernels off (the array
operations then run everywhere), for comparison.
"""

from __future__ import annotations

import os

ENABLED = os.environ.get("TAPEGRAD_FUSED_KERNELS", "1") != "0"

_FLOATS = ("float32", "float64")
# array type -> whether its library takes the kernels (callers may read it to skip a call)
TAKES_KERNELS: dict[type, bool] = {}


def _takes_kernels(kind: type) -> bool:
    found = TAKES_KERNELS.get(kind)
    if found is None:
        found = TAKES_KERNELS[kind] = ENABLED and kind.__module__.split(".")[0] == "cupy"
    return found


class Fused:
    """A formula of arrays and scalars that runs as one CuPy kernel where it can.

    ``parameters`` name the operands in call order, arrays first (``"g x"``); ``scalars`` how
    many of the last ones are Python numbers; ``body`` is the kernel's C statement assigning
    ``out``; ``formula`` computes the same with array operations (the definition).
    """

    def __init__(self, name: str, parameters: str, body: str, formula, scalars: int = 0):
        self.name, self.body, self.formula = name, body, formula
        self.parameters = parameters.split()
        self.arrays = len(self.parameters) - scalars
        self._kernel = None

    def __call__(self, *operands):
        if TAKES_KERNELS.get(type(operands[0])) is not False and self.applies(operands):
            return self.launch(*operands)
        return self.formula(*operands)

    def launch(self, *operands):
        """The kernel, for operands that ``applies`` accepted."""
        kernel = self._kernel
        if kernel is None:
            kernel = self._kernel = self._compile()
        return kernel(*operands)

    def applies(self, operands) -> bool:
        """Every array operand a CuPy array of one real floating dtype, every scalar a float."""
        first = operands[0]
        kind = type(first)
        if not _takes_kernels(kind):
            return False
        dtype = first.dtype
        if dtype.name not in _FLOATS:
            return False
        for i, operand in enumerate(operands[1:], 1):
            if i < self.arrays:
                if type(operand) is not kind or operand.dtype != dtype:
                    return False
            elif type(operand) not in (float, int):
                return False
        return True

    def _compile(self):  # pragma: no cover - needs a GPU
        import cupy

        return cupy.ElementwiseKernel(
            ", ".join(f"T {p}" for p in self.parameters),
            "T out",
            self.body,
            f"tapegrad_{self.name}",
            options=("--fmad=false",),
        )
