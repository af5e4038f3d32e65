"""tapegrad: automatic differentiation for NumPy users, with TensorFlow's GradientTape semantics.

>>> import tapegrad as tg
>>> x = tg.Variable(2.0)
>>> with tg.GradientTape() as tape:
...     z = x ** 2 + 1
>>> print(tape.gradient(z, x))
tg.Tensor(4.0, shape=(), dtype=float32)
"""

from . import debug, nn, numerical, optimizers, testing
from ._custom import custom_gradient, custom_jvp, custom_vjp, recompute_grad
from ._dtypes import (
    bool,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._explain import UnconnectedGradientError
from ._forward import ForwardAccumulator
from ._tape import GradientTape
from ._tensor import Reference, Tensor, Variable
from .functional import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    value_and_grad,
    vjp,
)
from .ops import *  # noqa: F403 - the function catalogue is the public surface
from .ops import __all__ as _ops_all

__version__ = "0.1.0"
__all__ = [
    "ForwardAccumulator",
    "UnconnectedGradientError",
    "custom_gradient",
    "custom_jvp",
    "custom_vjp",
    "recompute_grad",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linearize",
    "value_and_grad",
    "vjp",
    "GradientTape",
    "Reference",
    "Tensor",
    "Variable",
    "debug",
    "nn",
    "numerical",
    "optimizers",
    "testing",
    *_ops_all,
    *("bool complex64 complex128 float16 float32 float64 int8 int16 int32 int64".split()),
    *("uint8 uint16 uint32 uint64".split()),
]
