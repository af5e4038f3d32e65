"""The differentiable functions, one module per family; each module's ``__all__`` is its public
part. Importing the package installs the operators on Tensor (see ``_operators.py``)."""

from . import (
    _operators,
    creation,
    elementwise,
    indexing,
    linalg,
    manipulation,
    reduction,
    searching,
    statistics,
)
from .creation import *
from .elementwise import *
from .indexing import *
from .linalg import *
from .manipulation import *
from .reduction import *
from .searching import *
from .statistics import *

_operators.install()

__all__ = [
    name
    for family in (
        creation,
        elementwise,
        indexing,
        linalg,
        manipulation,
        reduction,
        searching,
        statistics,
    )
    for name in family.__all__
]
