"""One kernel where array operations would launch several: fused elementwise formulas on CuPy.

On a GPU, a step over small or medium arrays is bound by the host: CuPy spends 10-40 us of
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
bits (a backend test checks each kernel against its formula on a GPU). The environment variable
``TAPEGRAD_FUSED_KERNELS=0`` turns the kernels off (the array operations then run everywhere),
for comparison.
"""

from __future__ import annotations

import os

import numpy as np

ENABLED = os.environ.get("TAPEGRAD_FUSED_KERNELS", "1") != "0"

_FLOATS = frozenset(np.dtype(c) for c in "fd")  # float32, float64: the dtypes kernels take
# array type -> whether its library takes the kernels (callers may read it to skip a call)
TAKES_KERNELS: dict[type, bool] = {}

# the kinds of operand a formula declares (``name:kind``), as CuPy's kernel declares them
_DECLARATIONS = {
    "": "T {}",  # an array of the first operand's library and floating dtype
    "raw": "raw T {}",  # the same, read whole by the body (``x[i * classes + j]``)
    "int": "I {}",  # an integer array of that library (one integer dtype for all)
    "scalar": "T {}",  # a Python number, taken in the floating dtype
    "index": "int64 {}",  # a Python int
}


def _takes_kernels(kind: type) -> bool:
    found = TAKES_KERNELS.get(kind)
    if found is None:
        found = TAKES_KERNELS[kind] = ENABLED and kind.__module__.split(".")[0] == "cupy"
    return found


class Fused:
    """A formula of arrays and numbers that runs as one CuPy kernel where it can.

    ``operands`` names them in call order, each ``name`` (an array of the first operand's
    dtype) or ``name:kind`` with a kind of ``_DECLARATIONS``; ``body`` is the kernel's C
    statement assigning ``out`` (``i`` is the output element's flat index); ``formula`` computes
    the same with array operations (the definition, which every other library runs).
    """

    def __init__(self, name: str, operands: str, body: str, formula):
        self.name, self.body, self.formula = name, body, formula
        self.operands = [(*token.partition(":")[::2],) for token in operands.split()]
        # positions by kind, so that the check of a call loops only over what it must test
        where = {kind: [] for kind in _DECLARATIONS}
        for position, (_, kind) in enumerate(self.operands[1:], 1):
            where[kind].append(position)
        self._floating = tuple(where[""] + where["raw"])
        self._raw, self._integer = tuple(where["raw"]), tuple(where["int"])
        self._numbers = tuple(where["scalar"])
        self._ints = tuple(where["index"])
        self._others = self._raw or self._integer or self._ints
        self._kernel = None

    def __call__(self, *operands):
        if TAKES_KERNELS.get(type(operands[0])) is not False and self.applies(operands):
            return (self._kernel or self._compiled())(*operands)
        return self.formula(*operands)

    def launch(self, *operands):
        """The kernel, for operands that ``applies`` accepted."""
        return (self._kernel or self._compiled())(*operands)

    def _compiled(self):
        self._kernel = self._compile()
        return self._kernel

    def applies(self, operands) -> bool:
        """Whether every operand is what the kernel takes: the arrays of one CuPy device array
        type, the floating ones of one dtype (float32 or float64), the numbers Python's."""
        first = operands[0]
        library = type(first)
        if TAKES_KERNELS.get(library) is not True and not _takes_kernels(library):
            return False
        dtype = first.dtype
        if dtype not in _FLOATS:
            return False
        for k in self._floating:
            operand = operands[k]
            if type(operand) is not library or (
                operand.dtype is not dtype and operand.dtype != dtype
            ):
                return False
        for k in self._numbers:
            if type(operands[k]) is not float and type(operands[k]) is not int:
                return False
        return self._others_apply(operands, library) if self._others else True

    def _others_apply(self, operands, library) -> bool:
        for k in self._raw:  # read by flat position
            if not operands[k].flags.c_contiguous:
                return False
        for k in self._ints:
            if type(operands[k]) is not int:
                return False
        if self._integer:
            integers = operands[self._integer[0]]
            if type(integers) is not library or integers.dtype.kind not in "iu":
                return False
            for k in self._integer[1:]:
                if type(operands[k]) is not library or operands[k].dtype != integers.dtype:
                    return False
        return True

    def _compile(self):  # pragma: no cover - needs a GPU
        import cupy

        return cupy.ElementwiseKernel(
            ", ".join(_DECLARATIONS[kind].format(name) for name, kind in self.operands),
            "T out",
            self.body,
            f"tapegrad_{self.name}",
            options=("--fmad=false",),
        )
