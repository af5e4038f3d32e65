"""tapegrad: automatic differentiation for NumPy users, with TensorFlow's GradientTape semantics.

>>> import tapegrad as tg
>>> x = tg.Variable(2.0)
>>> with tg.GradientTape() as tape:
...     z = x ** 2 + 1
>>> print(tape.gradient(z, x))
tg.Tensor(4.0, shape=(), dtype=float32)
"""

import math

from . import debug, fft, linalg, nn, numerical, optimize, optimizers, special, testing
from ._checkpoint import load, save
from ._custom import custom_gradient, custom_jvp, custom_vjp, recompute_grad
from ._dtypes import (
    bool,
    can_cast,
    complex64,
    complex128,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    isdtype,
    result_type,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._explain import UnconnectedGradientError
from ._forward import ForwardAccumulator
from ._info import __array_namespace_info__
from ._tape import GradientTape
from ._tensor import GradientCutWarning, Reference, Tensor, Variable, persist
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
__array_api_version__ = "2024.12"

e = math.e
pi = math.pi
inf = math.inf
nan = math.nan
newaxis = None
__all__ = [
    "ForwardAccumulator",
    "__array_namespace_info__",
    "can_cast",
    "e",
    "finfo",
    "iinfo",
    "inf",
    "isdtype",
    "nan",
    "newaxis",
    "pi",
    "result_type",
    "UnconnectedGradientError",
    "GradientCutWarning",
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
    "persist",
    "debug",
    "nn",
    "numerical",
    "optimize",
    "optimizers",
    "load",
    "save",
    "testing",
    *_ops_all,
    *("bool complex64 complex128 float16 float32 float64 int8 int16 int32 int64".split()),
    *("uint8 uint16 uint32 uint64".split()),
]
