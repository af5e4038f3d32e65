"""The differentiable functions, one module per family. Importing the package installs the
operators on Tensor (see ``_operators.py``)."""

from . import _operators
from .creation import (
    arange,
    constant,
    convert_to_tensor,
    eye,
    full,
    identity,
    ones,
    ones_like,
    stop_gradient,
    zeros,
    zeros_like,
)
from .elementwise import (
    abs,
    add,
    astype,
    ceil,
    conj,
    cos,
    divide,
    equal,
    exp,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    positive,
    pow,
    real,
    remainder,
    round,
    sign,
    sin,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    where,
)
from .indexing import take_along_axis
from .linalg import matmul
from .manipulation import (
    broadcast_to,
    concat,
    expand_dims,
    matrix_transpose,
    permute_dims,
    reshape,
    squeeze,
    stack,
)
from .reduction import max, mean, min, prod, sum

_operators.install()

__all__ = [name for name in dir() if not name.startswith("_")]
